from __future__ import annotations

import re
import time
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lambdaperm._core.pattern import LINE_TERMINATORS, Pattern

FUNCTION_NAME = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
ACTION = r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$"
PRINCIPAL = r"[^\s]+"
ACCOUNT = r"\d{12}"
ORG_ID = r"o-[a-z0-9]{10,32}"
STATEMENT_ID = r"[a-zA-Z0-9._\-]+"
ARN = (
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?"
    r"-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)
REAL_PATTERNS = [FUNCTION_NAME, ACTION, PRINCIPAL, ACCOUNT, ORG_ID, STATEMENT_ID, ARN]

Parts = list[str | None]


def aws_fullmatch(regex: str, value: str) -> bool:
    """The oracle: how AWS (Java) matches, for values with no line terminator but \\n."""
    assert not set(value) & (LINE_TERMINATORS - {"\n"})
    return re.fullmatch(regex, value, re.ASCII) is not None


# Each pattern is compiled once for the whole module, as the library does.
_COMPILED: dict[str, Pattern] = {}


def compiled(regex: str) -> Pattern:
    if regex not in _COMPILED:
        _COMPILED[regex] = Pattern(regex)
    return _COMPILED[regex]


# Kept small so the file runs in well under 3 s; a run at 1,500 examples per test passed too.
FAST = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# Per real pattern (seven of them), and generating matches of the ARN patterns is the slow part.
PER_PATTERN = settings(FAST, max_examples=15)


@pytest.mark.parametrize(
    ("regex", "parts", "expected"),
    [
        # Function name, ARN or partial ARN, optionally qualified.
        (FUNCTION_NAME, ["my-function"], True),
        (FUNCTION_NAME, ["my-function:live"], True),
        (FUNCTION_NAME, ["my-function:$LATEST"], True),
        (FUNCTION_NAME, ["my-function:$LATEST.PUBLISHED"], True),
        (FUNCTION_NAME, ["123456789012:function:my-function"], True),
        (FUNCTION_NAME, ["arn:aws:lambda:us-east-1:123456789012:function:my-function:7"], True),
        (FUNCTION_NAME, ["arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f"], True),
        (FUNCTION_NAME, ["my function"], False),
        (FUNCTION_NAME, ["my-function:bad$"], False),
        (FUNCTION_NAME, [""], False),
        (FUNCTION_NAME, [None, ":live"], True),
        (FUNCTION_NAME, [None, ":$LATEST"], True),
        (FUNCTION_NAME, [None, ":bad$"], False),
        (FUNCTION_NAME, [None], True),
        (FUNCTION_NAME, ["arn:aws:lambda:", None, ":function:f"], True),
        (FUNCTION_NAME, ["my function", None], False),
        # Action.
        (ACTION, ["lambda:InvokeFunction"], True),
        (ACTION, ["lambda:*"], True),
        (ACTION, ["*"], True),
        (ACTION, ["lambda:Invoke-Function"], False),
        (ACTION, ["s3:GetObject"], False),
        (ACTION, ["lambda:", None], True),
        (ACTION, ["s3:", None], False),
        (ACTION, [None, "*"], True),
        (ACTION, [None, "-"], False),
        # Principal.
        (PRINCIPAL, ["s3.amazonaws.com"], True),
        (PRINCIPAL, ["arn:aws:iam::123456789012:root"], True),
        (PRINCIPAL, ["a b"], False),
        (PRINCIPAL, [""], False),
        (PRINCIPAL, [None], True),
        (PRINCIPAL, [None, " "], False),
        (PRINCIPAL, [None, ".amazonaws.com"], True),
        # Account.
        (ACCOUNT, ["123456789012"], True),
        (ACCOUNT, ["12345678901"], False),
        (ACCOUNT, ["12345678901234"], False),
        (ACCOUNT, [None], True),
        (ACCOUNT, ["12345", None], True),
        (ACCOUNT, ["123456789012", None], True),
        (ACCOUNT, ["123456789012", None, "3"], False),
        (ACCOUNT, ["12345678901234", None], False),
        (ACCOUNT, ["abc", None], False),
        (ACCOUNT, [None, "1", None, "2", None], True),
        # Organization id.
        (ORG_ID, ["o-abcdefghij"], True),
        (ORG_ID, ["o-" + "a" * 32], True),
        (ORG_ID, ["o-abcdefghi"], False),
        (ORG_ID, ["o-" + "a" * 33], False),
        (ORG_ID, ["o-", None], True),
        (ORG_ID, ["o-ABC", None], False),
        (ORG_ID, ["o-" + "a" * 33, None], False),
        (ORG_ID, [None, "a" * 32], True),
        (ORG_ID, [None, "a" * 33], False),
        # Statement id.
        (STATEMENT_ID, ["Allow-S3.invoke_1"], True),
        (STATEMENT_ID, ["allow s3"], False),
        (STATEMENT_ID, [None, "-", None], True),
        (STATEMENT_ID, [None, "/", None], False),
        # Source ARN.
        (ARN, ["arn:aws:s3:::my-bucket/*"], True),
        (ARN, ["arn:aws:sns:us-east-1:123456789012:topic"], True),
        (ARN, ["arn:aws:execute-api:eusc-de-east-1:123456789012:api/*"], True),
        (ARN, ["arn:aws:s3:us-east-1:12:x"], False),
        (ARN, ["arn:aws:s3"], False),
        (ARN, ["arn:gcp:s3:::b"], False),
        (ARN, ["arn:aws:s3:::", None, "/*"], True),
        (ARN, ["arn:aws:s3:::", None], True),
        (ARN, ["arn:", None, ":lambda"], True),
        (ARN, [None], True),
        (ARN, ["arn:", None, ":sqs:us-east-1:", None, ":queue"], True),
        (ARN, ["arn:aws:s3:", None, ":1:x"], True),
        (ARN, ["arn:aws:s3:us-east-1:12:", None], False),
        (ARN, ["urn:", None], False),
        (ARN, [None, "arn:aws:s3:::b"], True),
    ],
)
def test_real_patterns(regex: str, parts: Parts, expected: bool) -> None:
    assert compiled(regex).could_match(parts) is expected
    if None not in parts:
        joined = "".join(p for p in parts if p is not None)
        assert (aws_fullmatch(regex, joined)) is expected


@pytest.mark.parametrize(
    ("regex", "parts", "expected"),
    [
        ("", [], True),
        ("", [None], True),
        ("", ["a"], False),
        ("a", [], False),
        ("a|", [None, None], True),
        (r"^a$|^b$", ["b"], True),
        (r"(^a$)", [None], True),
        (r"\Aab\Z", ["a", None], True),
        ("a$", ["a\n"], False),
        (".", ["\n"], False),
        ("(?s).", ["\n"], True),
        ("a(?s:.)b", ["a\nb"], True),
        (".*", ["a\nb"], False),
        (".*", [None, "\n"], False),
        # AWS's semantics (Java's): ASCII classes and case folding, '.' stops at \r, U+2028.
        ("(?i)k", ["\u212a"], False),
        ("(?i)k", ["K"], True),
        ("(?i)[a-z]+", ["ABC", None], True),
        ("(?a)\\d", ["\u0661"], False),
        ("\\d", ["\u0661"], False),
        ("\\d", ["\uff11"], False),
        ("\\d{2}", ["42"], True),
        ("\\w", ["\u00e9"], False),
        ("\\s", ["\u3000"], False),
        ("[^\\s]", ["\u3000"], True),
        (".", ["\r"], False),
        (".", ["\u2028"], False),
        (".", ["\u2029"], False),
        (".", ["\x85"], False),
        (".", ["\u00e9"], True),
        ("(?s).", ["\r"], True),
        ("a.*b", ["a", None, "\r", None, "b"], False),
        (r"[^\d\D]", [None], False),
        (r"[^\d\D]|b", [None], True),
        (r"x[^\s\S]*y", ["x", None, "y"], True),
        (r"(ab){2,3}", ["ab", None, "ab"], True),
        (r"(ab){2,3}", ["abab", None, "abab"], False),
        (r"a{3}?", ["aaa"], True),
        (r"(?:a|bc)+?d", ["bcab", None], True),
        (r"[^a]", [None], True),
        (r"[^a]", ["a"], False),
        (r"(a*)*b", ["a" * 30], False),
        # Skipping an optional group that ends in a star does not enter the star's loop.
        (r"(/[^\s]*)?", ["orders"], False),
        (r"(/[^\s]*)?", ["/orders"], True),
        (r"(/x*)?y*", ["x"], False),
        (r"a(b*)?", ["abbb"], True),
        (r"a(b*)?", ["ab", None], True),
        (r"(a(b*))?c", ["bc"], False),
        (r"[^/]*(/c*)?", ["abc"], True),
        (r"x[^/]*(/c*)?", ["x/cc"], True),
        (r"x(/c*)?", ["xcc"], False),
    ],
)
def test_edge_cases(regex: str, parts: Parts, expected: bool) -> None:
    assert Pattern(regex).could_match(parts) is expected


@pytest.mark.parametrize(
    "regex",
    [
        r"(?=a)a",
        r"a(?!b)",
        r"(?<=a)b",
        r"(?<!a)b",
        r"(a)\1",
        r"(?P<x>a)(?P=x)",
        r"(a)?(?(1)b|c)",
        r"a++",
        r"(?>a)",
        r"\bfoo",
        r"foo\B",
        r"a^b",
        r"a$b",
        r"(^a)*",
        r"a*^",
    ],
)
def test_unsupported_constructs_raise(regex: str) -> None:
    with pytest.raises(ValueError, match="unsupported regex construct"):
        Pattern(regex)


@pytest.mark.parametrize("regex", ["(", "[a", "a{2,1}", "*"])
def test_invalid_regex_raises(regex: str) -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        Pattern(regex)


def test_oversized_regex_raises() -> None:
    with pytest.raises(ValueError, match="too large"):
        Pattern("((a{100}){100}){100}")


def test_source_and_repr() -> None:
    pattern = Pattern(ACCOUNT)
    assert pattern.source == ACCOUNT
    assert repr(pattern) == "Pattern('\\\\d{12}')"


def test_many_values_are_fast() -> None:
    org = compiled(ORG_ID)
    anything = Pattern(".*")
    arn = compiled(ARN)
    start = time.perf_counter()
    for i in range(5000):
        assert org.could_match([f"o-{i:010d}"])
        assert arn.could_match([f"arn:aws:s3:::bucket-{i}/", None])
    assert anything.could_match(["x" * 100_000])
    assert Pattern(ORG_ID).could_match(["o-" + "a" * 32])
    assert time.perf_counter() - start < 1.0


# --- Property tests -------------------------------------------------------------------------

ALPHABET = "abcxyzABZ0129:-_./*$ o"


def matching(regex: str) -> st.SearchStrategy[str]:
    return (
        st.from_regex(re.compile(regex, re.ASCII), fullmatch=True)
        .filter(lambda s: len(s) <= 80)
        .filter(lambda s: not set(s) & (LINE_TERMINATORS - {"\n"}))
    )


@st.composite
def split_with_unknowns(draw: st.DrawFn, value: str) -> Parts:
    cuts = sorted(draw(st.sets(st.integers(0, len(value)), max_size=5)))
    bounds = [0, *cuts, len(value)]
    pieces = [value[a:b] for a, b in pairwise(bounds)]
    hidden = draw(st.lists(st.booleans(), min_size=len(pieces), max_size=len(pieces)))
    return [None if hide else piece for piece, hide in zip(pieces, hidden, strict=True)]


@pytest.mark.parametrize("regex", REAL_PATTERNS)
@PER_PATTERN
@given(data=st.data())
def test_known_values_agree_with_re(regex: str, data: st.DataObject) -> None:
    value = data.draw(st.text(ALPHABET, max_size=40) | matching(regex))
    assert compiled(regex).could_match([value]) is aws_fullmatch(regex, value)


@pytest.mark.parametrize("regex", REAL_PATTERNS)
@PER_PATTERN
@given(data=st.data())
def test_hiding_parts_of_a_match_still_matches(regex: str, data: st.DataObject) -> None:
    value = data.draw(matching(regex))
    parts = data.draw(split_with_unknowns(value))
    assert compiled(regex).could_match(parts)


@st.composite
def template_and_substitution(draw: st.DrawFn, alphabet: str) -> tuple[Parts, str]:
    chunks = draw(st.lists(st.text(alphabet, max_size=6), max_size=5))
    parts: Parts = []
    concrete = ""
    for chunk in chunks:
        if draw(st.booleans()):
            parts.append(None)
            concrete += draw(st.text(alphabet, max_size=6))
        else:
            parts.append(chunk)
            concrete += chunk
    return parts, concrete


@pytest.mark.parametrize("regex", REAL_PATTERNS)
@PER_PATTERN
@given(data=st.data())
def test_matching_substitution_implies_could_match(regex: str, data: st.DataObject) -> None:
    parts, concrete = data.draw(template_and_substitution(ALPHABET))
    if aws_fullmatch(regex, concrete):
        assert compiled(regex).could_match(parts)


# Small random regexes over a tiny alphabet exercise constructs the real patterns only touch.
ATOMS = ["a", "b", "0", " ", "\\n", ".", r"\d", r"\s", r"\w", r"\W", "[a-b]", "[^a]", r"[^\s]"]


def _regexes() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        repeat = st.sampled_from(["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "{1,3}?"])
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"(?:{t[0]}|{t[1]})"),
            inner.map(lambda r: f"({r})"),
            st.tuples(inner, repeat).map(lambda t: f"(?:{t[0]}){t[1]}"),
        )

    body = st.recursive(st.sampled_from(ATOMS), extend, max_leaves=6)
    flags = st.sampled_from(["", "(?i)", "(?s)", "(?a)"])
    return st.tuples(flags, body).map("".join)


SMALL_ALPHABET = "abAB0 \n"


@FAST
@given(regex=_regexes(), data=st.data())
def test_generated_regexes_agree_with_re(regex: str, data: st.DataObject) -> None:
    value = data.draw(st.text(SMALL_ALPHABET, max_size=8))
    assert Pattern(regex).could_match([value]) is aws_fullmatch(regex, value)


@FAST
@given(regex=_regexes(), data=st.data())
def test_generated_regexes_hidden_parts_still_match(regex: str, data: st.DataObject) -> None:
    value = data.draw(
        st.from_regex(re.compile(regex, re.ASCII), fullmatch=True).filter(lambda s: len(s) <= 30)
    )
    pattern = Pattern(regex)
    assert pattern.could_match([value])
    assert pattern.could_match(data.draw(split_with_unknowns(value)))


@FAST
@given(regex=_regexes(), data=st.data())
def test_generated_regexes_substitution_implies_could_match(
    regex: str, data: st.DataObject
) -> None:
    parts, concrete = data.draw(template_and_substitution(SMALL_ALPHABET))
    if aws_fullmatch(regex, concrete):
        assert Pattern(regex).could_match(parts)


# --- An enclosing '?' or '*' around a construct that ends in a repeat -------------------------


@st.composite
def _nested_repeats(draw: st.DrawFn) -> str:
    atom = st.sampled_from(["a", "b", "[^a]", r"[^\s]", "."])
    inner = draw(st.tuples(atom, st.sampled_from(["*", "+", "?", "{0,2}"])).map("".join))
    head = draw(st.sampled_from(["", "a", "/"]))
    outer = draw(st.sampled_from(["?", "*", "{0,1}", "{1,2}"]))
    tail = draw(st.sampled_from(["", "b", "a*"]))
    return f"(?:{head}{inner}){outer}{tail}"


@settings(FAST, max_examples=150)
@given(regex=_nested_repeats(), value=st.text("ab/ \n", max_size=6))
def test_optional_groups_ending_in_a_repeat_agree_with_re(regex: str, value: str) -> None:
    assert Pattern(regex).could_match([value]) is aws_fullmatch(regex, value)


# --- Holes of a known shape ---------------------------------------------------------------------

# Finite shapes, so that the oracle can try every value they stand for.
FINITE_SHAPES = [["a"], ["ab", "b"], ["", "0"], ["a0", "b", "ba"], ["aa", "aaa"]]


@FAST
@given(
    regex=_regexes(),
    data=st.data(),
    shape=st.sampled_from(FINITE_SHAPES),
)
def test_a_shaped_hole_matches_iff_one_of_its_values_does(
    regex: str, data: st.DataObject, shape: list[str]
) -> None:
    before = data.draw(st.text(SMALL_ALPHABET, max_size=4))
    after = data.draw(st.text(SMALL_ALPHABET, max_size=4))
    hole = Pattern("|".join(re.escape(v) for v in shape))
    expected = any(aws_fullmatch(regex, before + v + after) for v in shape)
    assert Pattern(regex).could_match([before, hole, after]) is expected


def test_shapes_in_a_row_and_next_to_unknown_parts() -> None:
    digits = Pattern(r"\d{2}")
    letter = Pattern("[a-z]")
    assert Pattern(r"\d{4}").could_match([digits, digits])
    assert not Pattern(r"\d{3}").could_match([digits, digits])
    assert Pattern(r"\d{2}[a-z]x").could_match([digits, letter, "x"])
    assert not Pattern(r"[a-z]\d{2}").could_match([digits, letter])
    assert Pattern(r"a.*b").could_match(["a", None, digits, None, "b"])
    assert not Pattern(r"a:b").could_match(["a", digits, "b"])


def test_a_shape_must_be_ascii() -> None:
    with pytest.raises(ValueError, match="a shape must be ASCII"):
        Pattern("x").could_match([Pattern("[^:]")])


REGIONS = [
    "us-east-1",
    "eu-west-2",
    "us-gov-west-1",
    "cn-north-1",
    "eusc-de-east-1",
    "us-isob-east-1",
]


@settings(PER_PATTERN, max_examples=40)
@given(
    region=st.sampled_from(REGIONS),
    account=st.from_regex(re.compile(r"\d{12}", re.ASCII), fullmatch=True),
    pattern=st.sampled_from([FUNCTION_NAME, ARN]),
)
def test_a_value_of_the_shape_matching_implies_the_hole_could(
    region: str, account: str, pattern: str
) -> None:
    from constructs_lambdaperm._core.tokens import shape

    compiled_pattern = compiled(pattern)
    for field, value in (("Region", region), ("AccountId", account)):
        shaped = ["arn:aws:lambda:", shape(field) if field == "Region" else region, ":"]
        shaped += [shape(field) if field == "AccountId" else account, ":function:f"]
        concrete = f"arn:aws:lambda:{region}:{account}:function:f"
        if compiled_pattern.could_match([concrete]):
            assert compiled_pattern.could_match(shaped), (field, value)
