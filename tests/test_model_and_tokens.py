"""The model's parsing, and checks of values with deploy-time parts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lambdaperm import Permission, PrincipalKind, check
from constructs_lambdaperm._core.api_model import field_constraints
from constructs_lambdaperm._core.model import parse_function_name, principal_kind
from constructs_lambdaperm._core.tokens import describe, is_unresolved, marker, split
from constructs_lambdaperm._rules.documented import resolve_function

TOKEN = marker("TOKEN.7")


@pytest.mark.parametrize(
    ("value", "function", "qualifier", "name"),
    [
        ("my-function", "my-function", None, "my-function"),
        ("my-function:v1", "my-function", "v1", "my-function"),
        (
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            None,
            "my-function",
        ),
        (
            "arn:aws:lambda:us-west-2:123456789012:function:my-function:live",
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            "live",
            "my-function",
        ),
        (
            "123456789012:function:my-function:3",
            "123456789012:function:my-function",
            "3",
            "my-function",
        ),
    ],
)
def test_the_four_name_formats(value: str, function: str, qualifier: str | None, name: str) -> None:
    parsed = parse_function_name(value)
    assert (parsed.function, parsed.qualifier, parsed.name) == (function, qualifier, name)


@pytest.mark.parametrize(
    ("principal", "kind"),
    [
        ("*", PrincipalKind.ANYONE),
        ("123456789012", PrincipalKind.ACCOUNT),
        ("arn:aws:iam::123456789012:root", PrincipalKind.IAM),
        ("arn:aws-us-gov:iam::123456789012:role/x", PrincipalKind.IAM),
        ("s3.amazonaws.com", PrincipalKind.SERVICE),
        ("logs.eu-west-1.amazonaws.com", PrincipalKind.SERVICE),
        ("alexa-connectedhome.amazon.com", PrincipalKind.SERVICE),
        (TOKEN, PrincipalKind.UNKNOWN),
        ("example.com", PrincipalKind.INVALID),
    ],
)
def test_principal_kinds(principal: str, kind: PrincipalKind) -> None:
    assert principal_kind(principal) is kind


def test_token_markers_split_into_known_and_unknown_parts() -> None:
    value = "arn:" + TOKEN + ":s3:::" + marker("Ref:Bucket")
    assert is_unresolved(value)
    assert split(value) == ("arn:", None, ":s3:::", None)
    assert describe(value) == "arn:<deploy-time value>:s3:::<deploy-time value>"
    assert not is_unresolved("arn:aws:s3:::bucket")


def test_qualifier_in_the_name_and_apart_must_agree() -> None:
    assert resolve_function("fn:live", "live")[:2] == ("fn:live", "live")
    assert resolve_function("fn", "live")[:2] == ("fn:live", "live")
    _, _, findings = resolve_function("fn:live", "prod")
    assert [f.rule.id for f in findings] == ["LP112"]


def test_qualifier_after_a_deploy_time_name_is_appended() -> None:
    name, qualifier, findings = resolve_function(TOKEN, "live")
    assert (name, qualifier, findings) == (TOKEN + ":live", "live", [])


def ids(permission: Permission, *, evaluated: bool) -> set[str]:
    return {
        f.rule.id
        for f in check(permission)
        if f.evaluated is evaluated and (f.blocking or not evaluated)
    }


@pytest.mark.parametrize(
    "permission",
    [
        Permission(function_name=TOKEN, principal="223456789012"),
        Permission(function_name=TOKEN + ":live", qualifier="live", principal="223456789012"),
        Permission(function_name="fn", principal=TOKEN, source_account=TOKEN),
        Permission(
            function_name="fn",
            principal="sns.amazonaws.com",
            source_arn="arn:" + TOKEN + ":sns:" + TOKEN + ":" + TOKEN + ":topic",
        ),
        Permission(function_name="fn", principal="*", principal_org_id=TOKEN),
        Permission(
            function_name="fn",
            principal="s3.amazonaws.com",
            source_arn=TOKEN,
            source_account=TOKEN,
        ),
        Permission(function_name="fn", principal="223456789012", action=TOKEN),
    ],
)
def test_deploy_time_values_are_never_refused_for_being_deploy_time(
    permission: Permission,
) -> None:
    assert ids(permission, evaluated=True) == set()
    assert ids(permission, evaluated=False), "what could not be checked is reported"


@pytest.mark.parametrize(
    ("permission", "rule"),
    [
        # Known parts that no deploy-time value can repair.
        (
            Permission(
                function_name="fn", principal="223456789012", source_account="1234567890123" + TOKEN
            ),
            "LP106",
        ),
        (Permission(function_name="fn", principal="*", principal_org_id="O-" + TOKEN), "LP107"),
        (
            Permission(
                function_name="fn", principal="sns.amazonaws.com", source_arn="urn:" + TOKEN
            ),
            "LP105",
        ),
        (Permission(function_name=TOKEN + ":bad.qualifier", principal="223456789012"), "LP101"),
        (Permission(function_name=TOKEN + ":" + "q" * 140, principal="223456789012"), "LP101"),
    ],
)
def test_known_parts_of_deploy_time_values_are_checked(permission: Permission, rule: str) -> None:
    assert rule in ids(permission, evaluated=True)


# --- parse_function_name: every input, never an exception (issue 14) --------------------------


@pytest.mark.parametrize(
    ("value", "function", "qualifier", "name"),
    [
        # Lambda's pattern reads these as the function "arn", qualified or not.
        ("arn", "arn", None, "arn"),
        ("arn:live", "arn", "live", "arn"),
        ("arn:aws", "arn", "aws", "arn"),
        # The function named "function", in the ARN format.
        (
            "arn:aws:lambda:us-east-1:123456789012:function",
            "arn:aws:lambda:us-east-1:123456789012:function",
            None,
            "function",
        ),
        # Not FunctionNames: kept whole, for LP101.
        ("arn:", "arn:", None, None),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket", None, None),
        ("", "", None, None),
        ("a:b:c:d", "a:b:c:d", None, None),
    ],
)
def test_names_that_crashed_the_parser(
    value: str, function: str, qualifier: str | None, name: str | None
) -> None:
    parsed = parse_function_name(value)
    assert (parsed.function, parsed.qualifier, parsed.name) == (function, qualifier, name)


@pytest.mark.parametrize(
    "value",
    ["arn", "arn:live", "arn:aws", "arn:aws:lambda:us-east-1:123456789012:function"],
)
def test_valid_names_pass(value: str) -> None:
    found = check(Permission(function_name=value, principal="223456789012"))
    assert [f for f in found if f.blocking] == []


@pytest.mark.parametrize("value", ["arn:", "arn:aws:s3:::bucket", "fn:a:b"])
def test_invalid_names_are_lp101(value: str) -> None:
    found = {f.rule.id for f in check(Permission(function_name=value, principal="223456789012"))}
    assert "LP101" in found


PARTITION, REGION, ACCOUNT_ID = (
    "${Token[AWS.Partition.6]}",
    "${Token[AWS.Region.7]}",
    "${Token[AWS.AccountId.3]}",
)


@pytest.mark.parametrize(
    ("value", "function", "qualifier", "name"),
    [
        (
            f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:f:$LATEST",
            f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:f",
            "$LATEST",
            "f",
        ),
        (f"{ACCOUNT_ID}:function:f", f"{ACCOUNT_ID}:function:f", None, "f"),
        (f"f:{REGION}", "f", REGION, "f"),
        (f"{REGION}", REGION, None, None),
        # Any other deploy-time value may hold colons: kept whole.
        (f"{TOKEN}:live", f"{TOKEN}:live", None, None),
    ],
)
def test_pseudo_parameters_hold_no_colon_so_the_name_splits(
    value: str, function: str, qualifier: str | None, name: str | None
) -> None:
    parsed = parse_function_name(value)
    assert (parsed.function, parsed.qualifier, parsed.name) == (function, qualifier, name)


@settings(max_examples=300, deadline=None, database=None)
@given(
    value=st.text(
        st.sampled_from("arn:aws-lambdfuctio0123456789$LATEST.PUBLISHED_x é"), max_size=60
    )
)
def test_parsing_never_raises(value: str) -> None:
    parsed = parse_function_name(value)
    assert isinstance(parsed.function, str)


@settings(max_examples=200, deadline=None, database=None)
@given(value=st.text(max_size=40))
def test_parsing_arbitrary_text_never_raises(value: str) -> None:
    parse_function_name(value)
    check(Permission(function_name=value, principal="223456789012"))


_PATTERN = field_constraints()["FunctionName"].pattern
assert _PATTERN is not None
FUNCTION_NAME_PATTERN = _PATTERN.source


@settings(max_examples=150, deadline=None, database=None)
@given(
    value=st.from_regex(re.compile(FUNCTION_NAME_PATTERN, re.ASCII), fullmatch=True).filter(
        lambda v: len(v) <= 140
    )
)
def test_valid_names_round_trip(value: str) -> None:
    parsed = parse_function_name(value)
    rebuilt = parsed.function + ("" if parsed.qualifier is None else ":" + parsed.qualifier)
    assert rebuilt == value
    assert parsed.name is not None
    assert parsed.function.endswith(parsed.name)
    again = parse_function_name(parsed.function)
    assert (again.function, again.qualifier, again.name) == (parsed.function, None, parsed.name)


@settings(max_examples=100, deadline=None, database=None)
@given(
    region=st.sampled_from(["us-east-1", "eu-west-2", "us-gov-west-1", "cn-north-1"]),
    account=st.from_regex(re.compile(r"\d{12}", re.ASCII), fullmatch=True),
    name=st.from_regex(re.compile(r"[a-zA-Z0-9_-]{1,70}", re.ASCII), fullmatch=True),
    qualifier=st.none() | st.sampled_from(["$LATEST", "live", "7"]),
    hide=st.sets(st.sampled_from(["Partition", "Region", "AccountId"])),
)
def test_a_name_splits_the_same_with_pseudo_parameters(
    region: str, account: str, name: str, qualifier: str | None, hide: set[str]
) -> None:
    fields = {"Partition": "aws", "Region": region, "AccountId": account}
    shown = {k: (f"${{Token[AWS.{k}.1]}}" if k in hide else v) for k, v in fields.items()}
    suffix = "" if qualifier is None else ":" + qualifier
    template = "arn:{Partition}:lambda:{Region}:{AccountId}:function:" + name + suffix
    concrete = parse_function_name(template.format(**fields))
    parsed = parse_function_name(template.format(**shown))
    assert (parsed.qualifier, parsed.name) == (concrete.qualifier, concrete.name)
    assert parsed.function == template.format(**shown).removesuffix(suffix)
