"""LP301-LP307: grants that are valid but dangerous.

Each is refused unless acknowledged in code, with a reason, through
``Validations.of(scope).acknowledge(Acknowledgment(id="LambdaPerm::LP3xx", reason=...))``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .._core import tokens
from .._core.findings import Finding, Severity
from .._core.model import WILDCARD_ACTIONS, Permission, PrincipalKind, arn_field
from .._core.pattern import Pattern
from .registry import (
    ADDPERMISSION_URL,
    ORG_URL,
    RESOURCE_POLICY_URL,
    URL_AUTH_URL,
    applies_to_every_permission,
    define,
)
from .services import uses_event_source_token

S3_PRINCIPAL = "s3.amazonaws.com"

PUBLIC = define(
    "LP301",
    Severity.UNSAFE,
    title="The function is not public",
    explanation=(
        "Principal '*' with no SourceArn, SourceAccount, PrincipalOrgID or EventSourceToken lets "
        "every AWS account, and anyone the action allows, use the function."
    ),
    fix=(
        "grant to an account or organization instead (CrossAccountPermission, OrgPermission), "
        "or add a source condition"
    ),
    doc_url=RESOURCE_POLICY_URL,
)

SERVICE_WITHOUT_SOURCE = define(
    "LP302",
    Severity.UNSAFE,
    title="A service principal is limited to a source (confused deputy)",
    explanation=(
        "A service principal with neither SourceArn nor SourceAccount lets a resource of that "
        "service in any account invoke the function: the confused-deputy problem the "
        "AddPermission reference warns about."
    ),
    fix="pass the ARN of the source resource (source_arn) and the account that owns it",
    doc_url=ADDPERMISSION_URL,
)

NO_SOURCE_ACCOUNT = define(
    "LP303",
    Severity.UNSAFE,
    title="A source ARN without an account is paired with SourceAccount",
    explanation=(
        "An S3 bucket ARN names no account, and bucket names are global: if the bucket is "
        "deleted, another account can create one of the same name and invoke the function. "
        "SourceAccount pins the owner."
    ),
    fix="pass source_account: the 12-digit ID of the account that owns the bucket",
    doc_url=ADDPERMISSION_URL,
)

WILDCARD_BUCKET = define(
    "LP304",
    Severity.UNSAFE,
    title="An S3 source names one bucket",
    explanation=(
        "A '*' or '?' in the bucket name of SourceArn lets every matching bucket, possibly "
        "created later by anyone, invoke the function."
    ),
    fix="name the one bucket that sends the notifications",
    doc_url=RESOURCE_POLICY_URL,
)

WILDCARD_ACTION = define(
    "LP305",
    Severity.UNSAFE,
    title="Grant one action, not all",
    explanation=(
        "Action '*' or 'lambda:*' lets the principal do everything the function's policy can "
        "allow: read its configuration and code location, and change its settings, not only "
        "invoke it."
    ),
    fix="grant 'lambda:InvokeFunction' (the default), or the one action needed",
    doc_url=ORG_URL,
)

PUBLIC_URL = define(
    "LP306",
    Severity.UNSAFE,
    title="The function URL is not public",
    explanation=(
        "FunctionUrlAuthType NONE makes the function URL a public endpoint: anyone on the "
        "internet can invoke the function without signing the request."
    ),
    fix="use auth_type 'AWS_IAM' and grant to the accounts or roles that call the URL",
    doc_url=URL_AUTH_URL,
)

URL_ANY_IDENTITY = define(
    "LP307",
    Severity.UNSAFE,
    title="An AWS_IAM function URL is not open to every AWS identity",
    explanation=(
        "Principal '*' on an AWS_IAM function URL lets any signed request from any AWS account "
        "invoke the function."
    ),
    fix="grant to the account, role or user that calls the URL, or add an organization ID",
    doc_url=URL_AUTH_URL,
)

_ACCOUNT_FIELD_EMPTY = Pattern(r"arn:[^:]*:[^:]*:[^:]*::.*")
_ACCOUNT_FIELD_SET = Pattern(r"arn:[^:]*:[^:]*:[^:]*:[^:]+:.*")


def _has_source_condition(permission: Permission) -> bool:
    return any(
        value is not None
        for value in (
            permission.source_arn,
            permission.source_account,
            permission.principal_org_id,
            permission.event_source_token,
        )
    )


def _limits_the_source(permission: Permission) -> bool:
    # A service is tied to a source by SourceArn or SourceAccount; an EventSourceToken only
    # limits a service that presents one (Alexa). Others never send it: it limits nothing.
    if permission.source_arn is not None or permission.source_account is not None:
        return True
    if permission.principal_org_id is not None:
        return True
    return permission.event_source_token is not None and uses_event_source_token(
        permission.principal
    )


@applies_to_every_permission(PUBLIC)
def public(permission: Permission) -> Iterator[Finding]:
    """Principal '*' comes with a condition.

    Statements tied to a function URL are left to LP306 and LP307: since October 2025 a URL
    needs both its InvokeFunctionUrl statement (which carries the auth type) and an
    InvokeFunction statement with InvokedViaFunctionUrl, so the first decides who can call it.
    """
    if permission.function_url_auth_type is not None or permission.invoked_via_function_url is True:
        return
    if _has_source_condition(permission):
        return
    kind = permission.principal_kind
    if isinstance(permission.invoked_via_function_url, str) and kind is PrincipalKind.ANYONE:
        # Public if false, a function URL's companion if true: not decided before deploy.
        yield PUBLIC.not_evaluated(
            "InvokedViaFunctionUrl",
            permission.invoked_via_function_url,
            "InvokedViaFunctionUrl, which decides whether Principal '*' is public,",
        )
        return
    if kind is PrincipalKind.ANYONE:
        yield PUBLIC.finding(
            f"Principal '*' with no condition makes {permission.action} open to everyone",
            parameter="Principal",
            value=permission.principal,
        )
    elif kind is PrincipalKind.UNKNOWN:
        yield PUBLIC.not_evaluated("Principal", permission.principal, "Principal")


@applies_to_every_permission(SERVICE_WITHOUT_SOURCE)
def service_without_source(permission: Permission) -> Iterator[Finding]:
    """A service principal comes with SourceArn or SourceAccount (or an Alexa token)."""
    if permission.principal_kind is not PrincipalKind.SERVICE:
        return
    if _limits_the_source(permission):
        return
    token = ""
    if permission.event_source_token is not None:
        token = " (its EventSourceToken limits nothing: only Alexa presents one)"
    yield SERVICE_WITHOUT_SOURCE.finding(
        f"the service principal {tokens.describe(permission.principal)!r} has neither "
        f"SourceArn nor SourceAccount{token}, so that service in any account may invoke the "
        "function",
        parameter="Principal",
        value=permission.principal,
    )


@applies_to_every_permission(NO_SOURCE_ACCOUNT)
def source_arn_without_account(permission: Permission) -> Iterator[Finding]:
    """A SourceArn with an empty account field (an S3 bucket) comes with SourceAccount."""
    arn = permission.source_arn
    if arn is None or permission.source_account is not None:
        return
    if permission.principal_kind is not PrincipalKind.SERVICE:
        return
    parts = tokens.shaped_split(arn)
    no_account = permission.principal == S3_PRINCIPAL or not _ACCOUNT_FIELD_SET.could_match(parts)
    if no_account:
        yield NO_SOURCE_ACCOUNT.finding(
            f"SourceArn {tokens.describe(arn)!r} names no account and SourceAccount is not set",
            parameter="SourceAccount",
            value=None,
        )
    elif _ACCOUNT_FIELD_EMPTY.could_match(parts):
        yield NO_SOURCE_ACCOUNT.not_evaluated("SourceArn", arn, "the account field of SourceArn")


@applies_to_every_permission(WILDCARD_BUCKET)
def wildcard_bucket(permission: Permission) -> Iterator[Finding]:
    """An S3 SourceArn has no wildcard in its bucket name."""
    arn = permission.source_arn
    if arn is None:
        return
    if arn_field(arn, 2) != "s3":
        return
    parts = tokens.split(arn)
    bucket = "".join(part for part in parts if part is not None).split(":::", 1)[-1]
    bucket = bucket.split("/", 1)[0]
    if "*" in bucket or "?" in bucket:
        yield WILDCARD_BUCKET.finding(
            f"SourceArn {tokens.describe(arn)!r} matches any bucket named like {bucket!r}",
            parameter="SourceArn",
            value=arn,
        )


@applies_to_every_permission(WILDCARD_ACTION)
def wildcard_action(permission: Permission) -> Iterator[Finding]:
    """The action is one action, not '*' or 'lambda:*'."""
    if permission.action in WILDCARD_ACTIONS:
        yield WILDCARD_ACTION.finding(
            f"Action {permission.action!r} grants every Lambda action on the function to "
            f"{permission.principal!r}",
            parameter="Action",
            value=permission.action,
        )


@applies_to_every_permission(PUBLIC_URL)
def public_url(permission: Permission) -> Iterator[Finding]:
    """The function URL's auth type is not NONE."""
    if permission.function_url_auth_type == "NONE":
        yield PUBLIC_URL.finding(
            "FunctionUrlAuthType NONE makes the function URL public: anyone can invoke it",
            parameter="FunctionUrlAuthType",
            value=permission.function_url_auth_type,
        )
    elif _unsafe_whatever_auth_type(permission):
        yield PUBLIC_URL.finding(
            f"FunctionUrlAuthType {tokens.describe(permission.function_url_auth_type or '')!r} "
            "is known only at deploy time, and Principal '*' is unsafe with either value: NONE "
            "makes the URL public (this rule), AWS_IAM opens it to every AWS identity (LP307)",
            parameter="FunctionUrlAuthType",
            value=permission.function_url_auth_type,
        )


@applies_to_every_permission(URL_ANY_IDENTITY)
def url_any_identity(permission: Permission) -> Iterator[Finding]:
    """An AWS_IAM function URL is granted to named identities, not '*'."""
    if permission.function_url_auth_type == "AWS_IAM" and _any_identity(permission):
        yield URL_ANY_IDENTITY.finding(
            "Principal '*' on an AWS_IAM function URL lets every AWS identity invoke it",
            parameter="Principal",
            value=permission.principal,
        )
    elif _unsafe_whatever_auth_type(permission):
        yield URL_ANY_IDENTITY.finding(
            "Principal '*' on a function URL whose auth type is known only at deploy time is "
            "unsafe with either value: AWS_IAM lets every AWS identity invoke it (this rule), "
            "NONE makes it public (LP306)",
            parameter="Principal",
            value=permission.principal,
        )
    elif (
        permission.function_url_auth_type is not None
        and permission.principal_org_id is None
        and permission.principal_kind is PrincipalKind.UNKNOWN
    ):
        # The principal may be '*' once deployed: said, never passed in silence (LP301 leaves
        # function URL statements to this rule and LP306).
        yield URL_ANY_IDENTITY.not_evaluated("Principal", permission.principal, "Principal")


def _any_identity(permission: Permission) -> bool:
    return permission.principal_org_id is None and (
        permission.principal_kind is PrincipalKind.ANYONE
    )


def _unsafe_whatever_auth_type(permission: Permission) -> bool:
    # A deploy-time auth type is one of the two values; with Principal '*' and no organization
    # each of them is refused (NONE by LP306, AWS_IAM by LP307), so waiting is pointless.
    auth = permission.function_url_auth_type
    return auth is not None and tokens.is_unresolved(auth) and _any_identity(permission)
