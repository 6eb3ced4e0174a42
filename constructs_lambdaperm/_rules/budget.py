"""LP401-LP402: a function's resource-based policy fits Lambda's 20,480-byte limit.

These rules look at a whole policy (every statement on one function, version or alias), not at
one permission, so they do not run in ``check``: the app's validation plugin
(``_audit.engine``) runs :func:`check_policy` on each policy of the synthesized templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from .._core import bounds
from .._core.findings import Finding, Severity
from .registry import define

QUOTAS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"

WARNING_RATIO = 0.8
"""A policy above this share of the limit gets a warning (LP402)."""

MAX_LISTED = 40
"""A message lists at most this many statements (the largest first)."""

POLICY_TOO_LARGE = define(
    "LP401",
    Severity.ERROR,
    title="A function's resource-based policy fits in 20,480 bytes",
    explanation=(
        "Lambda refuses to add a statement when the function's policy (one per function, "
        "version and alias) would then be longer than 20,480 bytes of compact JSON: "
        "PolicyLengthExceededException, 'The final policy size (N) is bigger than the limit "
        "(20480)'. An AWS::Lambda::ResourcePolicy document (PutResourcePolicy) has the same "
        "limit. The quota cannot be raised, and the deployment fails part way."
    ),
    fix=(
        "replace per-resource statements with one wildcard statement (for API Gateway one "
        "SourceArn such as 'arn:aws:execute-api:REGION:ACCOUNT:API_ID/*/*/*' instead of one per "
        "method), grant to an account or organization once, or spread grants over aliases; "
        "for this library's grants, use_resource_policy(scope) writes one "
        "AWS::Lambda::ResourcePolicy that lists in one statement the values of statements that "
        "differ in one (every route's SourceArn), allowing exactly the same"
    ),
    doc_url=QUOTAS_URL,
)

POLICY_NEAR_LIMIT = define(
    "LP402",
    Severity.WARNING,
    title="A function's resource-based policy stays under 80% of 20,480 bytes",
    explanation=(
        "A policy above 80% of Lambda's 20,480-byte limit leaves little room: a few more "
        "grants (a new API method, another bucket) and the deployment fails with "
        "PolicyLengthExceededException. A policy whose size depends on deploy-time values is "
        "reported here when its upper bound is over the limit."
    ),
    fix=(
        "merge statements that differ only by SourceArn into one wildcard statement, or "
        "acknowledge it on the function or a scope above: Validations.of(scope).acknowledge("
        "Acknowledgment(id='LambdaPerm::LP402', reason='...'))"
    ),
    doc_url=QUOTAS_URL,
)


class SizedStatement(Protocol):
    """What the messages need of a statement (``PolicyStatement``)."""

    @property
    def statement(self) -> Mapping[str, Any]:
        """The statement as Lambda writes it."""

    @property
    def location(self) -> str:
        """Where the permission is defined."""

    @property
    def size(self) -> int:
        """Its size in bytes."""

    @property
    def size_is_bound(self) -> bool:
        """Whether ``size`` is an upper bound."""


class SizedPolicy(Protocol):
    """What the rules need of a policy (``ResourcePolicy``)."""

    @property
    def resource(self) -> str:
        """The function ARN, with its qualifier."""

    @property
    def statements(self) -> Sequence[SizedStatement]:
        """The statements."""

    @property
    def size(self) -> int:
        """Size in bytes (an upper bound with deploy-time values)."""

    @property
    def known_size(self) -> int:
        """A lower bound on the size."""

    @property
    def size_is_bound(self) -> bool:
        """Whether ``size`` is an upper bound."""

    @property
    def limit(self) -> int:
        """The limit in bytes."""


def check_policy(policy: SizedPolicy) -> list[Finding]:
    """LP401 when the policy is over the limit, LP402 when it is over 80% or may be over."""
    limit = policy.limit
    what = f"The resource-based policy of {bounds.readable(policy.resource)}"
    if policy.known_size > limit or (not policy.size_is_bound and policy.size > limit):
        # With deploy-time values the size shown is the lower bound (each counted as empty),
        # and so is the saving suggested: both on one basis.
        size = policy.known_size if policy.size_is_bound else policy.size
        measure = bounds.known_size if policy.size_is_bound else bounds.size
        qualifier = "at least " if policy.size_is_bound else ""
        message = (
            f"{what} would be {qualifier}{size:,} bytes, over Lambda's limit of {limit:,} bytes "
            f"(PolicyLengthExceededException), with {len(policy.statements)} statements:\n"
            f"{_listing(policy)}"
        )
        fix = _fix(policy, measure, size)
        return [POLICY_TOO_LARGE.finding(message, value=size, fix=fix)]
    if policy.size > limit:
        message = (
            f"{what} may exceed Lambda's limit of {limit:,} bytes: it is at most "
            f"{policy.size:,} bytes with every deploy-time value at its longest, and at least "
            f"{policy.known_size:,}; {len(policy.statements)} statements:\n{_listing(policy)}"
        )
        fix = _fix(policy, bounds.size, policy.size)
        return [POLICY_NEAR_LIMIT.finding(message, value=policy.size, fix=fix)]
    if policy.size > WARNING_RATIO * limit:
        bound = "at most " if policy.size_is_bound else ""
        message = (
            f"{what} is {bound}{policy.size:,} bytes, {policy.size / limit:.0%} of Lambda's "
            f"limit of {limit:,} bytes, with {len(policy.statements)} statements:\n"
            f"{_listing(policy)}"
        )
        fix = _fix(policy, bounds.size, policy.size)
        return [POLICY_NEAR_LIMIT.finding(message, value=policy.size, fix=fix)]
    return []


def _listing(policy: SizedPolicy) -> str:
    ranked = sorted(policy.statements, key=lambda s: -s.size)
    lines = [
        f"  - {s.location}: {'at most ' if s.size_is_bound else ''}{s.size:,} bytes"
        for s in ranked[:MAX_LISTED]
    ]
    rest = ranked[MAX_LISTED:]
    if rest:
        lines.append(
            f"  - ... and {len(rest)} more statements ({sum(s.size for s in rest):,} bytes)"
        )
    return "\n".join(lines)


# --- how to shrink it ------------------------------------------------------------------------

_EXECUTE_API = re.compile(r"(arn:[^:]+:execute-api:[^:]*:[^:]*:[^/]+)/.+")


Measure = Callable[[Any], int]
"""How a statement is counted: ``bounds.size`` (exact, or an upper bound) or
``bounds.known_size`` (deploy-time values as empty: a lower bound)."""

_API_HINT = (
    " (API Gateway's own integrations make that one statement per API when told to: "
    "aws_apigateway.LambdaIntegration(fn, scope_permission_to_method=False) for a REST API, "
    "aws_apigatewayv2_integrations.HttpLambdaIntegration(id, fn, "
    "scope_permission_to_route=False) for an HTTP API; leave allow_test_invoke unset, as "
    "the CDK ignores it then and warns once per method. For an integration that adds no "
    "permission, ApiGatewayInvokePermission(function=fn, api=api) makes it)"
)


def _fix(policy: SizedPolicy, measure: Measure, total: int) -> str:
    suggestion = _merge_suggestion(policy, measure, total)
    general = POLICY_TOO_LARGE.fix
    if suggestion is None:
        return general
    return f"{suggestion}; or {general}"


def _merge_suggestion(policy: SizedPolicy, measure: Measure, total: int) -> str | None:
    """The statements that differ only by SourceArn and share an API (or an ARN prefix).

    The saving is counted with ``measure``, the way ``total`` (the size the message shows) was.
    """
    best: tuple[int, str] | None = None
    for group in _groups(policy.statements):
        api = _EXECUTE_API.fullmatch(_source_arn(group[0]))
        if api is not None:
            wildcard, hint = f"{api.group(1)}/*/*/*", _API_HINT
        else:
            prefix = _common_prefix([_source_arn(s) for s in group])
            if prefix.count(":") < 5:
                continue
            wildcard, hint = prefix + "*", " (if every resource it matches may invoke)"
        merged = json.loads(json.dumps(group[0].statement))
        merged["Condition"]["ArnLike"]["AWS:SourceArn"] = wildcard
        # Each statement but the last is followed by a comma in the document.
        saved = sum(measure(s.statement) + 1 for s in group) - (measure(merged) + 1)
        if saved > 0 and (best is None or saved > best[0]):
            sources = ", ".join(s.location for s in group[:3])
            more = f" and {len(group) - 3} more" if len(group) > 3 else ""
            best = (
                saved,
                f"grant once with SourceArn '{bounds.readable(wildcard)}'{hint} instead of the "
                f"{len(group)} statements of {sources}{more}: saves about {saved:,} of the "
                f"{total:,} bytes",
            )
    return None if best is None else best[1]


def _groups(statements: Sequence[SizedStatement]) -> Iterator[list[SizedStatement]]:
    groups: dict[str, list[SizedStatement]] = {}
    for statement in statements:
        condition = statement.statement.get("Condition") or {}
        arn_like = condition.get("ArnLike") or {}
        if set(arn_like) != {"AWS:SourceArn"} or not isinstance(arn_like["AWS:SourceArn"], str):
            continue  # a document's list of SourceArns is merged already
        rest = {k: v for k, v in condition.items() if k != "ArnLike"}
        key = json.dumps(
            [statement.statement.get("Principal"), statement.statement.get("Action"), rest],
            sort_keys=True,
        )
        groups.setdefault(key, []).append(statement)
    for group in groups.values():
        # Split each group by API, so that one wildcard per API is suggested.
        by_api: dict[str, list[SizedStatement]] = {}
        for statement in group:
            api = _EXECUTE_API.fullmatch(_source_arn(statement))
            by_api.setdefault(api.group(1) if api else "", []).append(statement)
        for members in by_api.values():
            if len(members) > 1:
                yield members


def _source_arn(statement: SizedStatement) -> str:
    return str(statement.statement["Condition"]["ArnLike"]["AWS:SourceArn"])


def _common_prefix(values: Sequence[str]) -> str:
    first, last = min(values), max(values)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]
