"""Who can invoke: whether a function's resource-based policy allows a request.

Pure Python, over statements as Lambda writes them (``render``). It follows IAM's rules for the
parts Lambda policies use:

- principals: ``"*"`` (and ``{"AWS": "*"}``) match every caller, anonymous ones included; an
  account's root ARN ``{"AWS": "arn:aws:iam::A:root"}`` matches every identity of account A; a
  role or user ARN matches that identity (and the sessions of that role); ``{"Service": S}``
  matches the service S;
- actions: matched without regard to case, with the wildcards ``*`` and ``?`` (``lambda:*``,
  ``*``);
- conditions: every key of every operator must hold. A key given several values holds when
  any of them matches (the values of one key are ORed, as IAM evaluates a list), and for a
  negated operator when none does. ``StringEquals`` compares exactly, with case;
  ``StringEqualsIgnoreCase`` without; ``StringLike`` with ``*`` and ``?``; ``ArnLike`` and
  ``ArnEquals`` compare the six parts of an ARN one by one, and a wildcard does not cross the
  colons between the first five; ``Bool`` compares ``true``/``false``; ``Null`` tests whether
  the key is absent. The negated operators (``StringNotEquals``, ``StringNotEqualsIgnoreCase``,
  ``StringNotLike``, ``ArnNotLike``, ``ArnNotEquals``) hold when no value matches. A key missing
  from the request fails a condition, but holds a negated one and any ``...IfExists`` one, as
  in IAM. Condition keys are compared without regard to case, as IAM does. An operator this
  module does not know (``NumericLessThan``, ``IpAddress``, ``ForAnyValue:...``) leaves the
  statement undecided, never passed or failed.

A statement that holds deploy-time values (markers) may or may not apply: when the literal parts
already rule it out it does not apply, otherwise the answer is undecided.

Deny statements (an ``AWS::Lambda::ResourcePolicy`` document may hold them; AddPermission writes
only Allow) only narrow: a request is allowed when an Allow statement applies and no Deny
statement does. A Deny that applies wins; a Deny that may apply (undecided) makes an allowed
request undecided; a Deny never allows anything.

Only the function's policy is considered: a caller in the function's own account may also be
allowed by its identity-based policy, and a caller in another account needs its own account's
permission as well.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._core import tokens
from .._core.pattern import aws_regex

ANONYMOUS = "anonymous"
"""The principal of an unsigned request (a function URL with auth type ``NONE``)."""

# As AWS matches them: ASCII digits and white space only (a fullwidth account ID is no account).
_ACCOUNT = aws_regex(r"\d{12}")
_IAM = aws_regex(r"arn:(aws[a-zA-Z-]*):iam::(\d{12}):(root|role/\S+|user/\S+)")
_SESSION = aws_regex(r"arn:(aws[a-zA-Z-]*):sts::(\d{12}):assumed-role/([^/]+)/\S+")
_SERVICE = aws_regex(r"[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)")


class CallerKind(enum.Enum):
    """What made the request."""

    ANONYMOUS = "anonymous"
    """An unsigned request."""
    ACCOUNT = "account"
    """The root identity of an account (given as a 12-digit ID or its root ARN)."""
    ROLE = "role"
    """An IAM role, or a session of it."""
    USER = "user"
    """An IAM user."""
    SERVICE = "service"
    """An AWS service principal."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal of a request, parsed."""

    kind: CallerKind
    """What made the request."""
    principal: str
    """The principal as given."""
    account: str | None = None
    """The caller's account, for IAM identities."""
    partition: str | None = None
    """The caller's partition, when given as an ARN."""
    arn: str | None = None
    """The identity's IAM ARN (a session's role ARN without its path is not known)."""
    role_name: str | None = None
    """For a role session, the role's name."""


def parse_caller(principal: str) -> Caller:
    """Read a request's principal: an account ID, an IAM ARN, a service, or ``anonymous``."""
    if principal == ANONYMOUS:
        return Caller(CallerKind.ANONYMOUS, principal)
    if _ACCOUNT.fullmatch(principal):
        return Caller(CallerKind.ACCOUNT, principal, account=principal)
    iam = _IAM.fullmatch(principal)
    if iam:
        partition, account, resource = iam.groups()
        if resource == "root":
            return Caller(CallerKind.ACCOUNT, principal, account, partition)
        kind = CallerKind.ROLE if resource.startswith("role/") else CallerKind.USER
        return Caller(kind, principal, account, partition, arn=principal)
    session = _SESSION.fullmatch(principal)
    if session:
        partition, account, role = session.groups()
        return Caller(CallerKind.ROLE, principal, account, partition, role_name=role)
    if _SERVICE.fullmatch(principal):
        return Caller(CallerKind.SERVICE, principal)
    raise ValueError(
        f"principal {principal!r} is not one this evaluator knows: give a 12-digit account ID, "
        "the ARN of an account root, IAM role, IAM user or role session, a service principal "
        f"such as 's3.amazonaws.com', or {ANONYMOUS!r}"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """A request to the function, as IAM sees it: the action, the caller and the context."""

    action: str = "lambda:InvokeFunction"
    """The action asked for."""
    principal: str
    """Who asks: an account ID, an IAM ARN, a service principal or ``anonymous``."""
    source_arn: str | None = None
    """``aws:SourceArn``: the resource on whose behalf a service calls. Default: - absent."""
    source_account: str | None = None
    """``aws:SourceAccount``: the account that owns that resource. Default: - absent."""
    principal_org_id: str | None = None
    """``aws:PrincipalOrgID``: the caller's organization. Default: - absent."""
    via_function_url: bool = False
    """Whether the call comes through a function URL (``lambda:InvokedViaFunctionUrl``).
    Default: - not through a function URL."""
    function_url_auth_type: str | None = None
    """``lambda:FunctionUrlAuthType`` of the URL called. Default: - absent."""
    event_source_token: str | None = None
    """``lambda:EventSourceToken`` the caller presents. Default: - absent."""
    other_keys: Mapping[str, str] | None = None
    """Any other condition key of the request and its value (``aws:SourceIp``,
    ``aws:PrincipalAccount``...), as a policy document may test them. Default: - none: such a
    key is absent from the request."""

    def context(self) -> dict[str, str]:
        """The request's condition keys (lower case) and their values."""
        keys: dict[str, str | None] = {
            str(k).lower(): v for k, v in (self.other_keys or {}).items()
        }
        keys |= {
            "aws:sourcearn": self.source_arn,
            "aws:sourceaccount": self.source_account,
            "aws:principalorgid": self.principal_org_id,
            "lambda:functionurlauthtype": self.function_url_auth_type,
            "lambda:eventsourcetoken": self.event_source_token,
            "lambda:invokedviafunctionurl": "true" if self.via_function_url else None,
        }
        return {key: value for key, value in keys.items() if value is not None}


Truth = bool | None
"""``True``, ``False``, or ``None`` when a deploy-time value decides."""


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    """Whether one statement applies to the request, and why."""

    index: int
    """The statement's position in the policy."""
    sid: str
    """The statement's Sid."""
    applies: Truth
    """Whether it matches the request; ``None`` when a deploy-time value decides."""
    reason: str
    """Why (the first part that fails or is undecided), or ``matches``."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The answer for one request and the verdict on every statement."""

    allowed: Truth
    """Whether the policy allows the request; ``None`` when a deploy-time value decides."""
    verdicts: tuple[StatementVerdict, ...]
    """One per statement, in the policy's order."""


def evaluate(statements: Sequence[Mapping[str, Any]], request: Request) -> Evaluation:
    """Evaluate ``request`` against ``statements`` as IAM evaluates a resource-based policy."""
    caller = parse_caller(request.principal)
    context = request.context()
    verdicts = tuple(
        _verdict(i, statement, request, caller, context) for i, statement in enumerate(statements)
    )
    allows = [v.applies for v, s in zip(verdicts, statements, strict=True) if _allow(s)]
    denies = [v.applies for v, s in zip(verdicts, statements, strict=True) if not _allow(s)]
    allowed: Truth
    if any(d is True for d in denies):
        allowed = False
    elif any(a is True for a in allows):
        allowed = None if any(d is None for d in denies) else True
    elif any(a is None for a in allows):
        allowed = None
    else:
        allowed = False
    return Evaluation(allowed=allowed, verdicts=verdicts)


def _allow(statement: Mapping[str, Any]) -> bool:
    return bool(statement.get("Effect", "Allow") != "Deny")


def _verdict(
    index: int,
    statement: Mapping[str, Any],
    request: Request,
    caller: Caller,
    context: Mapping[str, str],
) -> StatementVerdict:
    sid = str(statement.get("Sid", ""))
    checks: list[tuple[Truth, str]] = [
        _principal(statement.get("Principal"), caller),
        _action(statement.get("Action"), request.action),
    ]
    checks.extend(_conditions(statement.get("Condition") or {}, context))
    undecided = [reason for truth, reason in checks if truth is None]
    for truth, reason in checks:
        if truth is False:
            return StatementVerdict(index, sid, False, reason)
    if undecided:
        return StatementVerdict(index, sid, None, undecided[0])
    return StatementVerdict(index, sid, True, "matches")


# --- matching with deploy-time values ------------------------------------------------------


def _loose(value: str, wildcards: bool) -> re.Pattern[str]:
    """A regex every value ``value`` can stand for matches: markers become ``.*``."""
    pieces: list[str] = []
    for part in tokens.split(value):
        if part is None:
            pieces.append(".*")
        elif wildcards:
            pieces.append(_glob_regex(part))
        else:
            pieces.append(re.escape(part))
    return re.compile("".join(pieces), re.DOTALL)


def _glob_regex(pattern: str) -> str:
    return "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(_glob_regex(pattern), value, flags) is not None


Comparison = Callable[[str, str], bool]


def _match(
    expected: str,
    actual: str,
    exact: Comparison,
    *,
    wildcards: bool = False,
    ignore_case: bool = False,
) -> Truth:
    """Compare with ``exact(expected, actual)``, or loosely when ``expected`` has markers."""
    if not tokens.is_unresolved(expected):
        return bool(exact(expected, actual))
    flags = re.IGNORECASE if ignore_case else 0
    loose = _loose(expected, wildcards)
    if re.fullmatch(loose.pattern, actual, re.DOTALL | flags) is None:
        return False
    return None


def _values(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _any(results: Iterable[Truth]) -> Truth:
    found: Truth = False
    for result in results:
        if result is True:
            return True
        if result is None:
            found = None
    return found


# --- principal, action ---------------------------------------------------------------------


def _principal(element: Any, caller: Caller) -> tuple[Truth, str]:
    if element is None:
        return False, "the statement has no Principal"
    if isinstance(element, str):
        if element == "*":
            return True, "Principal '*' matches every caller"
        if tokens.is_unresolved(element):
            return None, f"the principal {tokens.describe(element)} is known only at deploy time"
        return False, f"Principal {element!r} is not a form Lambda writes"
    if not isinstance(element, Mapping):
        return False, "the statement's Principal is not a string or an object"
    results: list[Truth] = []
    for kind, values in element.items():
        for value in _values(values):
            if kind == "AWS":
                results.append(_aws_principal(value, caller))
            elif kind == "Service":
                results.append(
                    _match(value, caller.principal, str.__eq__)
                    if caller.kind is CallerKind.SERVICE
                    else False
                )
            else:
                results.append(False)
    truth = _any(results)
    shown = ", ".join(f"{k}: {tokens.describe(str(v))}" for k, v in element.items())
    if truth is True:
        return True, f"the principal {{{shown}}} matches {caller.principal}"
    if truth is None:
        return None, f"whether the principal {{{shown}}} matches depends on a deploy-time value"
    return False, f"the principal {{{shown}}} does not match {caller.principal}"


def _aws_principal(value: str, caller: Caller) -> Truth:
    if value == "*":
        return True
    if caller.kind in (CallerKind.ANONYMOUS, CallerKind.SERVICE):
        if tokens.is_unresolved(value) and _loose(value, False).fullmatch("*"):
            return None
        return False
    identities = [f"arn:{caller.partition or 'aws'}:iam::{caller.account}:root"]
    if caller.arn is not None:
        identities.append(caller.arn)
    if tokens.is_unresolved(value):
        loose = _loose(value, False)
        candidates = [*identities, caller.account or ""]
        return None if any(loose.fullmatch(c) for c in candidates) else False
    if _ACCOUNT.fullmatch(value):
        return value == caller.account
    iam = _IAM.fullmatch(value)
    if iam is None:
        return False
    partition, account, resource = iam.groups()
    if account != caller.account or (caller.partition not in (None, partition)):
        return False
    if resource == "root":
        return True  # every identity of the account
    if caller.arn is not None:
        return value == caller.arn
    if caller.role_name is not None and resource.startswith("role/"):
        return resource.rsplit("/", 1)[-1] == caller.role_name
    return False


def _action(element: Any, action: str) -> tuple[Truth, str]:
    if element is None:
        return False, "the statement has no Action"
    patterns = _values(element)
    truth = _any(_match(p, action, _action_matches, ignore_case=True) for p in patterns)
    shown = ", ".join(tokens.describe(p) for p in patterns)
    if truth is True:
        return True, f"Action {shown} covers {action}"
    if truth is None:
        return None, f"whether Action {shown} covers {action} depends on a deploy-time value"
    return False, f"Action {shown} does not cover {action}"


def _action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


# --- conditions ----------------------------------------------------------------------------


def arn_like(pattern: str, value: str) -> bool:
    """IAM's ``ArnLike``: the six parts of the ARNs compared one by one, with ``*`` and ``?``.

    A wildcard in one of the first five parts stays within that part; in the sixth (the
    resource) it matches anything, colons and slashes included.
    """
    expected = pattern.split(":", 5)
    actual = value.split(":", 5)
    if len(expected) != 6 or len(actual) != 6:
        return False
    return all(_glob(e, a) for e, a in zip(expected, actual, strict=True))


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _string_like(expected: str, actual: str) -> bool:
    return _glob(expected, actual)


def _bool(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


_OPERATORS: Mapping[str, tuple[Comparison, bool, bool]] = {
    # operator: (comparison, wildcards, negated)
    "StringEquals": (_string_equals, False, False),
    "StringNotEquals": (_string_equals, False, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, False, True),
    "StringLike": (_string_like, True, False),
    "StringNotLike": (_string_like, True, True),
    "ArnLike": (arn_like, True, False),
    "ArnEquals": (arn_like, True, False),
    "ArnNotLike": (arn_like, True, True),
    "ArnNotEquals": (arn_like, True, True),
    "Bool": (_bool, False, False),
}


def _conditions(
    condition: Mapping[str, Any], context: Mapping[str, str]
) -> list[tuple[Truth, str]]:
    results: list[tuple[Truth, str]] = []
    for operator, block in condition.items():
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        if not isinstance(block, Mapping) or (base not in _OPERATORS and base != "Null"):
            results.append((None, f"the condition operator {operator} is not evaluated here"))
            continue
        for key, expected in block.items():
            shown = ", ".join(tokens.describe(v) for v in _values(expected))
            actual = context.get(str(key).lower())
            if base == "Null":
                results.append(_null(operator, str(key), expected, actual))
                continue
            exact, wildcards, negated = _OPERATORS[base]
            if actual is None:
                # IAM: an absent key fails a condition, but holds a negated or ...IfExists one.
                truth: Truth = if_exists or negated
                results.append((truth, f"{operator} {key}: the request has no {key}"))
                continue
            matched = _any(_match(v, actual, exact, wildcards=wildcards) for v in _values(expected))
            truth = _not(matched) if negated else matched
            if matched is None:
                reason = f"{operator} {key}: {shown!r} is known only at deploy time"
            elif matched:
                reason = f"{operator} {key}: {actual!r} matches {shown!r}"
            else:
                reason = f"{operator} {key}: {actual!r} does not match {shown!r}"
            results.append((truth, reason))
    return results


def _not(truth: Truth) -> Truth:
    return None if truth is None else not truth


def _null(operator: str, key: str, expected: Any, actual: str | None) -> tuple[Truth, str]:
    """``Null``: ``true`` holds when the key is absent, ``false`` when it is present."""
    wanted = [_bool("true", v) for v in _values(expected) if not tokens.is_unresolved(v)]
    if len(wanted) != len(_values(expected)):
        return None, f"{operator} {key}: its value is known only at deploy time"
    holds = any(w == (actual is None) for w in wanted)
    state = "absent" if actual is None else "present"
    return holds, f"{operator} {key}: the key is {state}"
