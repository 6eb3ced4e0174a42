"""Live against intended: a function's policy as Lambda holds it, compared by meaning.

Pure Python. Both sides are read into one normal form before they are compared, so that two
statements that grant the same thing compare equal however they are written:

- the statement as Lambda's ``GetPolicy`` returns it (AWS's own layout, facts sheet §1-§7),
  as an emulator writes it (moto 5.2.5's layout, §8: other key order, bare principals,
  ``FunctionUrlAuthType`` and ``InvokedViaFunctionUrl`` as top-level keys), or as an
  ``AWS::Lambda::ResourcePolicy`` document states it;
- the statement the templates intend (``render.statement`` of each permission, its deploy-time
  values replaced by what the stacks hold once deployed: :func:`substitute`).

The normal form (:class:`Meaning`): the effect; the principals, each canonical (an account ID
and its root ARN are one principal, ``{"AWS": "*"}`` is ``*``); the actions; every condition
test by key (case-insensitive, as IAM reads condition keys), operator (``ArnLike``,
``ArnEquals`` and ``StringLike`` are one operator, and without a wildcard they are
``StringEquals``: IAM decides them alike) and values as a set. Sids never count: CloudFormation
generates them, and a statement added by hand may reuse one.

:func:`compare` pairs the statements of one function and qualifier: the same meaning is in
sync; the same grant (effect, principal, action) with other conditions is changed; the rest is
missing (intended, not live) or extra (live, not intended). :func:`permission_of` reads a live
statement back into the model, so the catalogue's rules check it; a statement no AddPermission
parameter expresses (a ``Deny``, a list of principals, another condition key...) says why, and
is reported as not evaluated, never as passing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._core import bounds, tokens
from .._core.model import Permission, PrincipalKind, principal_kind

_ROOT_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::(\d{12}):root")
_ACCOUNT = re.compile(r"\d{12}")
_LIKE = frozenset({"ArnLike", "ArnEquals", "StringLike"})
_NOT_LIKE = frozenset({"ArnNotLike", "ArnNotEquals", "StringNotLike"})
_WILDCARD = re.compile(r"[*?]")

SOURCE_ARN = "aws:sourcearn"
SOURCE_ACCOUNT = "aws:sourceaccount"
PRINCIPAL_ORG_ID = "aws:principalorgid"
EVENT_SOURCE_TOKEN = "lambda:eventsourcetoken"
FUNCTION_URL_AUTH_TYPE = "lambda:functionurlauthtype"
INVOKED_VIA_FUNCTION_URL = "lambda:invokedviafunctionurl"

_PARAMETERS = {
    SOURCE_ARN: ("SourceArn", "Equals", "Like"),
    SOURCE_ACCOUNT: ("SourceAccount", "Equals"),
    PRINCIPAL_ORG_ID: ("PrincipalOrgID", "Equals"),
    EVENT_SOURCE_TOKEN: ("EventSourceToken", "Equals"),
    FUNCTION_URL_AUTH_TYPE: ("FunctionUrlAuthType", "Equals"),
    INVOKED_VIA_FUNCTION_URL: ("InvokedViaFunctionUrl", "Bool"),
}
"""Each condition key AddPermission writes: its parameter and the operators it is written with."""

# Keys an emulator leaks into statements (moto: the request's own parameters) that are no
# policy element: ignored, never a difference.
_LEAKED = frozenset({"FunctionName", "Qualifier", "RevisionId", "StatementId"})
# Request parameters moto writes as top-level keys instead of conditions (facts sheet §8.8).
_TOP_LEVEL_CONDITIONS = {
    "FunctionUrlAuthType": ("StringEquals", "lambda:FunctionUrlAuthType"),
    "InvokedViaFunctionUrl": ("Bool", "lambda:InvokedViaFunctionUrl"),
}
_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)


class PolicyFormatError(ValueError):
    """A policy document that is not the JSON of an IAM policy."""


@dataclass(frozen=True, order=True)
class Test:
    """One condition test: an operator, a key and the values it accepts."""

    operator: str
    """Canonical: ``Equals`` (``StringEquals``, or a like operator without wildcards),
    ``Like`` (``ArnLike``, ``ArnEquals`` or ``StringLike`` with a wildcard), ``Bool``...;
    any other IAM operator as written (``IfExists`` and ``ForAnyValue:`` kept)."""
    key: str
    """The condition key, in lower case (IAM reads keys case-insensitively)."""
    values: frozenset[str]
    """The values, as a set (``Bool`` values in lower case)."""

    def show(self) -> str:
        """``aws:sourcearn Like arn:aws:s3:::b``, deploy-time values as ``{label}``."""
        shown = " or ".join(sorted(bounds.readable(v) for v in self.values))
        return f"{self.key} {self.operator} {shown}"


@dataclass(frozen=True)
class Meaning:
    """What a statement grants, whatever its layout: what is compared."""

    effect: str
    """``Allow`` or ``Deny``."""
    principals: frozenset[str]
    """Canonical principals: ``*``, an account ID (for its root ARN too), an IAM ARN, a
    service; ``NotPrincipal:`` before each when the statement says ``NotPrincipal``."""
    actions: frozenset[str]
    """The actions; ``NotAction:`` before each for ``NotAction``."""
    conditions: frozenset[Test]
    """Every condition test."""

    @property
    def grant(self) -> tuple[str, frozenset[str], frozenset[str]]:
        """Effect, principals and actions: two statements with these alike are one grant."""
        return (self.effect, self.principals, self.actions)

    def show_principals(self) -> str:
        """The principals for a person, sorted."""
        return ", ".join(sorted(bounds.readable(p) for p in self.principals))

    def show_actions(self) -> str:
        """The actions for a person, sorted."""
        return ", ".join(sorted(self.actions))


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, as read, and its meaning."""

    raw: Mapping[str, Any]
    """The statement as written (live: as the API returned it)."""
    meaning: Meaning
    """What it grants."""
    resources: tuple[str, ...]
    """Its ``Resource`` (one or more ARNs); empty when it has none."""
    sid: str | None = None
    """Its Sid, if it has one (never compared)."""
    unexpressed: tuple[str, ...] = ()
    """What in it no AddPermission parameter expresses (a ``Deny``, a second principal, a
    condition key of another kind...): the reasons the catalogue cannot check it."""

    @property
    def unresolved(self) -> list[str]:
        """The labels of deploy-time values it still holds (intended statements only)."""
        text = json.dumps(self.raw, sort_keys=True)
        return sorted({label for label, _ in bounds.marker_bounds(text)})


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def canonical_principal(value: str) -> str:
    """One principal in canonical form: an account's root ARN as its 12-digit account ID."""
    text = value.strip()
    match = _ROOT_ARN.fullmatch(text)
    if match is not None:
        return match.group(1)
    return text


def _principals(element: Any, reasons: list[str]) -> frozenset[str]:
    if element is None:
        reasons.append("no Principal")
        return frozenset()
    if isinstance(element, str):
        # AWS writes "*" only; moto writes an account, role or Alexa principal bare (§8.4-6).
        return frozenset({canonical_principal(element)})
    if not isinstance(element, Mapping):
        reasons.append(f"a Principal of type {type(element).__name__}")
        return frozenset({json.dumps(element, sort_keys=True)})
    found: set[str] = set()
    for kind, values in element.items():
        for value in _listed(values):
            text = str(value)
            if kind == "AWS":
                found.add("*" if text == "*" else canonical_principal(text))
            elif kind == "Service":
                found.add(text)
            else:
                found.add(f"{kind}:{text}")
                reasons.append(f"a {kind} principal")
    return frozenset(found)


def canonical_operator(operator: str, values: Iterable[str]) -> str:
    """The operator as IAM decides it: like operators without a wildcard test equality."""
    prefix, _, base = operator.rpartition(":")
    suffix = ""
    if base.endswith("IfExists"):
        base, suffix = base.removesuffix("IfExists"), "IfExists"
    wild = any(_WILDCARD.search(_literal(v)) for v in values)
    if base in _LIKE:
        base = "Like" if wild else "Equals"
    elif base in _NOT_LIKE:
        base = "NotLike" if wild else "NotEquals"
    elif base == "StringEquals":
        base = "Equals"
    elif base == "StringNotEquals":
        base = "NotEquals"
    return f"{prefix + ':' if prefix else ''}{base}{suffix}"


def _literal(value: str) -> str:
    """``value`` with its deploy-time markers left out (their brackets hold no wildcard)."""
    return "".join(part or "" for part in tokens.split(value))


def _conditions(element: Any, reasons: list[str]) -> frozenset[Test]:
    if element is None:
        return frozenset()
    if not isinstance(element, Mapping):
        reasons.append("a Condition that is not an object")
        return frozenset()
    found: set[Test] = set()
    for operator, tests in element.items():
        if not isinstance(tests, Mapping):
            reasons.append(f"a {operator} condition that is not an object")
            continue
        for key, values in tests.items():
            texts = [_value_text(v) for v in _listed(values)]
            canonical = canonical_operator(str(operator), texts)
            if canonical == "Bool":
                texts = [t.lower() for t in texts]
            found.add(Test(canonical, str(key).lower(), frozenset(texts)))
    return frozenset(found)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise(raw: Mapping[str, Any]) -> Statement:
    """A statement in the normal form, from any of the layouts the module reads."""
    reasons: list[str] = []
    body = dict(raw)
    condition: dict[str, dict[str, Any]] = {}
    given = body.get("Condition")
    if isinstance(given, Mapping):
        condition = {str(k): dict(v) if isinstance(v, Mapping) else v for k, v in given.items()}
    for key, (operator, condition_key) in _TOP_LEVEL_CONDITIONS.items():
        if key in body:
            # moto writes these request parameters as keys of the statement (facts sheet §8.8).
            value = body.pop(key)
            block = condition.setdefault(operator, {})
            if isinstance(block, dict):
                block[condition_key] = value
    for key in sorted(set(body) - _ELEMENTS - _LEAKED):
        reasons.append(f"an element {key!r} that IAM does not know")
    effect = str(body.get("Effect", "Allow"))
    if effect != "Allow":
        reasons.append(f"Effect {effect}")
    if "NotPrincipal" in body:
        principals = frozenset(
            f"NotPrincipal:{p}" for p in _principals(body["NotPrincipal"], reasons)
        )
        reasons.append("NotPrincipal")
    else:
        principals = _principals(body.get("Principal"), reasons)
    if "NotAction" in body:
        actions = frozenset(f"NotAction:{a}" for a in _listed(body["NotAction"]))
        reasons.append("NotAction")
    else:
        actions = frozenset(str(a) for a in _listed(body.get("Action", [])) if a is not None)
    if "NotResource" in body:
        reasons.append("NotResource")
    resource = body.get("Resource")
    resources = tuple(str(r) for r in _listed(resource)) if resource is not None else ()
    tests = _conditions(condition or None, reasons)
    meaning = Meaning(effect=effect, principals=principals, actions=actions, conditions=tests)
    sid = body.get("Sid")
    return Statement(
        raw=raw,
        meaning=meaning,
        resources=resources,
        sid=str(sid) if sid is not None else None,
        unexpressed=tuple(_expressible(meaning, resources, reasons)),
    )


def _expressible(meaning: Meaning, resources: Sequence[str], reasons: list[str]) -> list[str]:
    """Why AddPermission could not have written the statement (empty when it could)."""
    found = list(reasons)
    if len(meaning.principals) > 1:
        found.append(f"{len(meaning.principals)} principals")
    if len(meaning.actions) != 1:
        found.append(f"{len(meaning.actions)} actions")
    if len(resources) != 1:
        found.append(f"{len(resources)} resources")
    keys: dict[str, int] = {}
    for test in meaning.conditions:
        keys[test.key] = keys.get(test.key, 0) + 1
        parameter = _PARAMETERS.get(test.key)
        if parameter is None:
            found.append(f"the condition key {test.key}")
        elif test.operator not in parameter[1:]:
            found.append(f"{test.key} tested with {test.operator}")
        elif len(test.values) != 1:
            found.append(f"{len(test.values)} values of {test.key}")
    found.extend(f"{key} tested {count} times" for key, count in keys.items() if count > 1)
    return list(dict.fromkeys(found))


def parse_policy(text: str | Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document (``GetPolicy``'s ``Policy``, as text or parsed).

    :raises PolicyFormatError: when it is not the JSON of a policy.
    """
    if isinstance(text, str):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise PolicyFormatError(f"the policy is not JSON ({error})") from error
    else:
        document = text
    if not isinstance(document, Mapping):
        raise PolicyFormatError("the policy is not a JSON object")
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        raise PolicyFormatError("the policy's Statement is not a list of objects")
    return [normalise(statement) for statement in statements]


def on_resource(
    statements: Iterable[Statement], name: str, qualifier: str | None
) -> list[Statement]:
    """The statements whose ``Resource`` is the function ``name`` with ``qualifier``.

    Lambda keeps one policy per function, version and alias, so on AWS this keeps every
    statement of the policy read for that qualifier; moto keeps one policy for all of a
    function's qualifiers and returns it whatever the qualifier asked (facts sheet §8.10), so
    there it keeps that qualifier's own. ``name`` is the function's name or ARN; a statement
    whose resource cannot be told is kept.
    """
    wanted = [_function_part(name)] + ([qualifier] if qualifier is not None else [])
    kept: list[Statement] = []
    for statement in statements:
        if len(statement.resources) != 1:
            kept.append(statement)
            continue
        parts = statement.resources[0].split(":")
        if parts[:1] != ["arn"] or len(parts) < 7 or parts[6:] == wanted:
            kept.append(statement)
    return kept


def _function_part(name: str) -> str:
    parts = name.split(":")
    if parts[0] == "arn" and len(parts) >= 7:
        return parts[6]
    if len(parts) >= 3 and parts[-2] == "function":
        return parts[-1]
    if len(parts) >= 3 and "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


# --- deploy-time values ---------------------------------------------------------------------


def substitute(value: Any, known: Mapping[str, str]) -> Any:
    """``value`` (text, or a statement's dicts and lists) with each marker ``known`` holds.

    ``known`` maps a bounded marker's label to the value it has once deployed; other markers
    are left as they are.
    """
    if isinstance(value, str):
        if "${Token[" not in value:
            return value
        return _MARKER.sub(lambda m: known.get(m.group(1), m.group(0)), value)
    if isinstance(value, Mapping):
        return {key: substitute(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, known) for item in value]
    return value


_MARKER = re.compile(r"\$\{Token\[([^\]\s;]*);max=\d+\]\}")


def labels_in(value: Any) -> set[str]:
    """The labels of the bounded markers in ``value`` (text, or dicts and lists of it)."""
    return {label for label, _ in bounds.marker_bounds(json.dumps(value, sort_keys=True))}


def _fits(intended: str, live: str) -> bool:
    """Whether ``live`` could be ``intended`` once its deploy-time parts are known."""
    if not tokens.is_unresolved(intended):
        return intended == live
    pattern = []
    for kind, piece in tokens.labelled_parts(intended):
        if kind == "text":
            pattern.append(re.escape(piece))
        else:
            label, _, most = piece.partition(";max=")
            limit = most if most.isdigit() else ""
            characters = "." if label.startswith(bounds.OPAQUE_PREFIX) else "[^:]"
            pattern.append(f"{characters}{{0,{limit}}}" if limit else f"{characters}*")
    return re.fullmatch("".join(pattern), live, re.DOTALL) is not None


def _sets_fit(intended: frozenset[str], live: frozenset[str]) -> bool:
    if intended == live:
        return True
    if len(intended) != len(live):
        return False
    remaining = list(sorted(live))
    for value in sorted(intended, key=tokens.is_unresolved):
        match = next((v for v in remaining if _fits(value, v)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def _tests_fit(intended: frozenset[Test], live: frozenset[Test]) -> bool:
    if intended == live:
        return True
    if len(intended) != len(live):
        return False
    remaining = sorted(live)
    for test in sorted(intended):
        match = next(
            (
                t
                for t in remaining
                if (t.key, t.operator) == (test.key, test.operator)
                and _sets_fit(test.values, t.values)
            ),
            None,
        )
        if match is None:
            return False
        remaining.remove(match)
    return True


def _grant_fits(intended: Meaning, live: Meaning) -> bool:
    return (
        intended.effect == live.effect
        and _sets_fit(intended.principals, live.principals)
        and _sets_fit(intended.actions, live.actions)
    )


def _meaning_fits(intended: Meaning, live: Meaning) -> bool:
    return _grant_fits(intended, live) and _tests_fit(intended.conditions, live.conditions)


# --- the comparison ---------------------------------------------------------------------------

IN_SYNC = "in sync"
MISSING = "missing"
EXTRA = "extra"
CHANGED = "changed"
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Pair:
    """One row of a comparison: an intended statement, a live one, or both."""

    status: str
    """``in sync``, ``unverified`` (in sync as far as deploy-time values that could not be
    read allow), ``changed``, ``missing`` or ``extra``."""
    intended: Statement | None
    """The statement the templates intend; ``None`` for an extra one."""
    live: Statement | None
    """The live statement; ``None`` for a missing one."""
    origin: Any = None
    """What the intended statement came from (the caller's: a template resource)."""

    @property
    def differences(self) -> list[str]:
        """For a changed statement, each condition test only one side has."""
        if self.intended is None or self.live is None:
            return []
        mine, theirs = self.intended.meaning.conditions, self.live.meaning.conditions
        return [f"intended {t.show()}" for t in sorted(mine - theirs)] + [
            f"live {t.show()}" for t in sorted(theirs - mine)
        ]

    @property
    def drift(self) -> bool:
        """Whether this row is drift."""
        return self.status in (MISSING, EXTRA, CHANGED)


@dataclass(frozen=True)
class Comparison:
    """Every statement of one function's (or qualifier's) policy, intended against live."""

    pairs: tuple[Pair, ...]
    """In the order: in sync, unverified, changed, missing, extra (each in its side's order)."""

    @property
    def drift(self) -> list[Pair]:
        """The rows that are drift."""
        return [p for p in self.pairs if p.drift]

    def count(self, status: str) -> int:
        """How many rows have ``status``."""
        return sum(1 for p in self.pairs if p.status == status)


def compare(intended: Sequence[tuple[Statement, Any]], live: Sequence[Statement]) -> Comparison:
    """Pair ``intended`` statements (each with its origin) with ``live`` ones by meaning.

    First the statements that mean the same (a repeated grant pairs once per copy), then those
    that would if the deploy-time values that could not be read were what the live statement
    says (``unverified``), then the same grant with other conditions (``changed``, the closest
    conditions first); what is left is missing or extra. Never by Sid.
    """
    left = list(range(len(intended)))
    right = list(range(len(live)))
    pairs: list[Pair] = []

    def take(status: str, accept: Callable[[Meaning, Meaning], bool]) -> None:
        for i in list(left):
            statement, origin = intended[i]
            match = next((j for j in right if accept(statement.meaning, live[j].meaning)), None)
            if match is not None:
                left.remove(i)
                right.remove(match)
                pairs.append(Pair(status, statement, live[match], origin))

    take(IN_SYNC, lambda a, b: a == b)
    take(UNVERIFIED, _meaning_fits)
    for i in list(left):
        statement, origin = intended[i]
        candidates = [j for j in right if _grant_fits(statement.meaning, live[j].meaning)]
        if not candidates:
            continue
        closest = min(candidates, key=lambda j: _distance(statement.meaning, live[j].meaning))
        left.remove(i)
        right.remove(closest)
        pairs.append(Pair(CHANGED, statement, live[closest], origin))
    pairs.extend(Pair(MISSING, intended[i][0], None, intended[i][1]) for i in left)
    pairs.extend(Pair(EXTRA, None, live[j]) for j in right)
    order = {IN_SYNC: 0, UNVERIFIED: 1, CHANGED: 2, MISSING: 3, EXTRA: 4}
    pairs.sort(key=lambda p: order[p.status])
    return Comparison(pairs=tuple(pairs))


def _distance(intended: Meaning, live: Meaning) -> tuple[int, int]:
    """How far apart two grants' conditions are: keys one side lacks, then tests that differ.

    Another value of the same key (a SourceArn widened) is closer than a key gone.
    """
    keys = {t.key for t in intended.conditions} ^ {t.key for t in live.conditions}
    return (len(keys), len(intended.conditions ^ live.conditions))


# --- live statements as the model ------------------------------------------------------------


@dataclass(frozen=True)
class LivePermission:
    """A live statement read back into the AddPermission request that would write it."""

    permission: Permission | None
    """The request; ``None`` when no AddPermission request writes the statement."""
    unexpressed: tuple[str, ...] = field(default=())
    """Why not, when ``permission`` is ``None``."""


def permission_of(statement: Statement, function: str, qualifier: str | None) -> LivePermission:
    """The AddPermission request that writes ``statement`` on ``function`` (and ``qualifier``).

    ``function`` is the function's unqualified ARN (or name), written into ``FunctionName``
    with the qualifier as its suffix. The principal is given as AddPermission takes it (an
    account's root ARN as its account ID).
    """
    if statement.unexpressed:
        return LivePermission(None, statement.unexpressed)
    meaning = statement.meaning
    (principal,) = meaning.principals
    (action,) = meaning.actions
    values: dict[str, str] = {}
    for test in meaning.conditions:
        (value,) = test.values
        values[_PARAMETERS[test.key][0]] = value
    via_url = values.pop("InvokedViaFunctionUrl", None)
    if via_url is not None and via_url != "true":
        return LivePermission(None, (f"lambda:InvokedViaFunctionUrl {via_url}",))
    if principal_kind(principal) is PrincipalKind.INVALID and principal != "*":
        return LivePermission(None, (f"the principal {principal!r}",))
    name = function if qualifier is None else f"{function}:{qualifier}"
    return LivePermission(
        Permission(
            function_name=name,
            principal=principal,
            action=action,
            qualifier=qualifier,
            source_arn=values.get("SourceArn"),
            source_account=values.get("SourceAccount"),
            principal_org_id=values.get("PrincipalOrgID"),
            event_source_token=values.get("EventSourceToken"),
            function_url_auth_type=values.get("FunctionUrlAuthType"),
            invoked_via_function_url=True if via_url is not None else None,
        )
    )
