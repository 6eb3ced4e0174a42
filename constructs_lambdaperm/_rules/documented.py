"""LP110-LP113, LP116: constraints the API reference states in words rather than in its model."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator

from .._core import tokens
from .._core.api_model import function_actions
from .._core.findings import Finding, Severity
from .._core.model import LATEST, WILDCARD_ACTIONS, Permission, PrincipalKind, parse_function_name
from .fields import check_field
from .registry import ADDPERMISSION_URL, RESOURCE_POLICY_URL, applies_to_every_permission, define

MAX_NAME_LENGTH = 64

FUNCTION_NAME_LENGTH = define(
    "LP110",
    Severity.ERROR,
    title="A function name has at most 64 characters",
    explanation=(
        "The 140-character limit of FunctionName applies to a full ARN; a function's own name is "
        "limited to 64 characters, so a longer one names no function."
    ),
    fix="use the function's real name (at most 64 characters), or pass the function construct",
    doc_url=ADDPERMISSION_URL,
)

LATEST_QUALIFIER = define(
    "LP111",
    Severity.ERROR,
    title="No permission on $LATEST",
    explanation=(
        "Lambda does not support adding policies to version $LATEST: grant on the unqualified "
        "function (which covers $LATEST invocations), a published version or an alias."
    ),
    fix="leave the qualifier out to grant on the unqualified function, or name a version or alias",
    doc_url=ADDPERMISSION_URL,
)

QUALIFIER_CONFLICT = define(
    "LP112",
    Severity.ERROR,
    title="One qualifier, not two that disagree",
    explanation=(
        "A version or alias can be given as a suffix of the function name or ARN, or as the "
        "qualifier; when both are given they must name the same one."
    ),
    fix="give the version or alias once: either in the function name or as the qualifier",
    doc_url=ADDPERMISSION_URL,
)

PRINCIPAL_KIND = define(
    "LP113",
    Severity.ERROR,
    title="The principal is an account, an IAM identity, a service or '*'",
    explanation=(
        "Lambda accepts as Principal a 12-digit account ID, the ARN of an account root, IAM role "
        "or IAM user, a service principal (such as s3.amazonaws.com) or '*'; it rejects anything "
        "else as an invalid principal."
    ),
    fix=(
        "pass a 12-digit account ID, an IAM ARN such as 'arn:aws:iam::123456789012:role/name', "
        "or a service principal such as 'sns.amazonaws.com'"
    ),
    doc_url=RESOURCE_POLICY_URL,
)


ACTIONS_URL = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html"
)

ACTION_NAME = define(
    "LP116",
    Severity.ERROR,
    title="The action is one of Lambda's actions on a function",
    explanation=(
        "Action's pattern (lambda:[a-zA-Z]+) admits any word, but a function's policy can "
        "only grant Lambda's own actions on a function: lambda:InvokeFunction, "
        "lambda:InvokeFunctionUrl and one per API operation on a function (lambda:GetFunction"
        "...), as botocore's Lambda model lists them. A misspelt action grants nothing, and "
        "every request it was meant to allow is denied."
    ),
    fix="pass one of Lambda's actions on a function, such as 'lambda:InvokeFunction'",
    doc_url=ACTIONS_URL,
)


@applies_to_every_permission(FUNCTION_NAME_LENGTH)
def function_name_length(permission: Permission) -> Iterator[Finding]:
    """The function's own name, in whichever of the four formats, is at most 64 characters."""
    name = parse_function_name(permission.function_name).name
    if name is not None and len(name) > MAX_NAME_LENGTH:
        yield FUNCTION_NAME_LENGTH.finding(
            f"the function name {name!r} is {len(name)} characters long, over the limit of "
            f"{MAX_NAME_LENGTH}",
            parameter="FunctionName",
            value=permission.function_name,
        )


@applies_to_every_permission(LATEST_QUALIFIER)
def latest_qualifier(permission: Permission) -> Iterator[Finding]:
    """The qualifier is not $LATEST."""
    if permission.qualifier == LATEST:
        yield LATEST_QUALIFIER.finding(
            "the qualifier is $LATEST, and Lambda does not support policies on $LATEST",
            parameter="Qualifier",
            value=permission.qualifier,
        )


@applies_to_every_permission(PRINCIPAL_KIND)
def principal_kind(permission: Permission) -> Iterator[Finding]:
    """The principal is of a kind Lambda accepts."""
    if permission.principal_kind is PrincipalKind.INVALID:
        yield PRINCIPAL_KIND.finding(
            f"Principal {permission.principal!r} is not an account ID, an IAM ARN, a service "
            "principal or '*'",
            parameter="Principal",
            value=permission.principal,
        )


@applies_to_every_permission(ACTION_NAME)
def action_name(permission: Permission) -> Iterator[Finding]:
    """The action is one Lambda knows (IAM compares action names case-insensitively)."""
    action = permission.action
    if action in WILDCARD_ACTIONS or tokens.is_unresolved(action):
        return  # wildcards are LP305's; a deploy-time action is LP103's to report
    known = _actions_by_folded_name()
    if action.lower() in known:
        return
    finding = check_field("Action", action)
    if finding is not None and finding.blocking:
        return  # LP103 reports a value that does not even match the pattern
    close = difflib.get_close_matches(action.lower(), known, n=1, cutoff=0.75)
    hint = f" (did you mean '{known[close[0]]}'?)" if close else ""
    yield ACTION_NAME.finding(
        f"Action {action!r} is not one of Lambda's actions on a function{hint}",
        parameter="Action",
        value=action,
        fix=f"pass '{known[close[0]]}'" if close else None,
    )


@functools.cache
def _actions_by_folded_name() -> dict[str, str]:
    return {name.lower(): name for name in function_actions()}


def resolve_function(
    function_name: str, qualifier: str | None
) -> tuple[str, str | None, list[Finding]]:
    """Combine a FunctionName, maybe ending in a qualifier, with an optional ``qualifier``.

    Returns FunctionName as CloudFormation takes it (``:<qualifier>`` appended when the qualifier
    is given apart), the one qualifier it carries, and the findings: a suffix and a qualifier
    that disagree (LP112). A name that does not match the FunctionName pattern is kept as it is,
    for LP101 to report.
    """
    # Only a value that matches FunctionName's pattern has a qualifier suffix; deploy-time
    # values do when every deploy-time part is a pseudo-parameter (no colon in any).
    suffix = parse_function_name(function_name).qualifier
    if suffix is None:
        if qualifier is None:
            return function_name, None, []
        return f"{function_name}:{qualifier}", qualifier, []
    if qualifier is not None and qualifier != suffix:
        return function_name, suffix, [qualifier_conflict(function_name, suffix, qualifier)]
    return function_name, suffix, []


def qualifier_conflict(function: str, carried: str, given: str) -> Finding:
    """LP112: ``function`` already carries the qualifier ``carried``, and ``given`` differs."""
    return QUALIFIER_CONFLICT.finding(
        f"the function {tokens.describe(function)!r} is qualified by {carried!r} but the "
        f"qualifier given is {given!r}",
        parameter="Qualifier",
        value=given,
    )
