"""LP114, LP115, LP308: a service grant's source agrees with its principal and is not open.

``SERVICES`` is the one table of the service principals this library knows, with the ARN
service their resources carry (STATEMENT_FORMAT.md §10; the same pairs cfn-lint's W3664 pins).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .._core import tokens
from .._core.findings import Finding, Severity
from .._core.model import Permission, PrincipalKind, arn_field
from .._core.pattern import aws_regex
from .fields import check_field
from .registry import ADDPERMISSION_URL, applies_to_every_permission, define

SERVICES: Mapping[str, str | None] = {
    "apigateway.amazonaws.com": "execute-api",
    "cloudfront.amazonaws.com": "cloudfront",
    "codecommit.amazonaws.com": "codecommit",
    "cognito-idp.amazonaws.com": "cognito-idp",
    "config.amazonaws.com": "config",
    "connect.amazonaws.com": "connect",
    "elasticloadbalancing.amazonaws.com": "elasticloadbalancing",
    "events.amazonaws.com": "events",
    "iot.amazonaws.com": "iot",
    "iotevents.amazonaws.com": "iotevents",
    "lex.amazonaws.com": "lex",
    "lexv2.amazonaws.com": "lex",
    "logs.amazonaws.com": "logs",
    "s3.amazonaws.com": "s3",
    "ses.amazonaws.com": "ses",
    "sns.amazonaws.com": "sns",
    # Alexa invokes with a skill ID as EventSourceToken, never with a SourceArn.
    "alexa-appkit.amazon.com": None,
    "alexa-connectedhome.amazon.com": None,
}
"""Known service principals, and the ARN service of the resources that invoke through them."""

# CloudWatch Logs also signs as logs.<region>.amazonaws.com (older material, still accepted).
_REGIONAL_LOGS = aws_regex(r"logs\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d\.amazonaws\.com")


def arn_service(principal: str) -> str | None:
    """The ARN service of the resources behind ``principal``; ``None`` when unknown or Alexa."""
    if _REGIONAL_LOGS.fullmatch(principal):
        return "logs"
    return SERVICES.get(principal)


def uses_event_source_token(principal: str) -> bool:
    """Whether the service invokes with an EventSourceToken (Alexa), so a token limits it."""
    return principal in SERVICES and SERVICES[principal] is None


def is_known_service(principal: str) -> bool:
    """Whether ``principal`` is in the table (regional CloudWatch Logs principals included)."""
    return principal in SERVICES or _REGIONAL_LOGS.fullmatch(principal) is not None


SOURCE_SERVICE = define(
    "LP114",
    Severity.ERROR,
    title="SourceArn is a resource of the principal's service",
    explanation=(
        "A service invokes with its own resource as the source: SNS with a topic ARN, S3 with a "
        "bucket ARN, API Gateway with an execute-api ARN. A SourceArn of another service never "
        "matches, so the grant would never let anything invoke."
    ),
    fix="pass the ARN of the resource of that service that invokes the function",
    doc_url=ADDPERMISSION_URL,
)

SOURCE_ACCOUNT_OF_ARN = define(
    "LP115",
    Severity.ERROR,
    title="SourceArn's account is SourceAccount",
    explanation=(
        "When SourceArn names an account, Lambda requires both conditions; an ARN in one account "
        "and a SourceAccount of another can never both match."
    ),
    fix="leave source_account out, or pass the account that the source ARN names",
    doc_url=ADDPERMISSION_URL,
)

OPEN_API = define(
    "LP308",
    Severity.UNSAFE,
    title="An API Gateway source names one API in one account",
    explanation=(
        "An execute-api SourceArn with '*' as the API ID or the account lets any API, possibly "
        "in any account, invoke the function through API Gateway."
    ),
    fix="name the API (and its account): for example 'arn:aws:execute-api:us-east-1:"
    "123456789012:a1b2c3d4e5/*/*/*'",
    doc_url="https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html",
)

_ACCOUNT_IN_ARN = aws_regex(r"arn:[^:]*:[^:]*:[^:]*:(\d{12}):")
_ACCOUNT = aws_regex(r"\d{12}")


@applies_to_every_permission(SOURCE_SERVICE)
def source_service(permission: Permission) -> Iterator[Finding]:
    """For a known service principal, SourceArn's service is that service."""
    arn = permission.source_arn
    if arn is None or permission.principal_kind is not PrincipalKind.SERVICE:
        return
    if not is_known_service(permission.principal):
        return
    expected = arn_service(permission.principal)
    found = arn_field(arn, 2)
    malformed = check_field("SourceArn", arn)
    if found is None or (malformed is not None and malformed.blocking):
        return  # a malformed SourceArn is LP105's to report
    if expected is None:
        yield SOURCE_SERVICE.finding(
            f"{permission.principal} invokes with an EventSourceToken, not a SourceArn, "
            f"but SourceArn is {tokens.describe(arn)!r}",
            parameter="SourceArn",
            value=arn,
            fix="drop source_arn and pass the skill ID as event_source_token",
        )
    elif found != expected:
        yield SOURCE_SERVICE.finding(
            f"SourceArn {tokens.describe(arn)!r} is a {found!r} resource, but "
            f"{permission.principal} invokes with {expected!r} resources",
            parameter="SourceArn",
            value=arn,
        )


@applies_to_every_permission(SOURCE_ACCOUNT_OF_ARN)
def source_account_of_arn(permission: Permission) -> Iterator[Finding]:
    """When SourceArn names an account and SourceAccount is set, they are the same."""
    arn, account = permission.source_arn, permission.source_account
    if arn is None or account is None or not _ACCOUNT.fullmatch(account):
        return  # a malformed or deploy-time account is LP106's to report
    named = arn_field(arn, 4)
    if named and _ACCOUNT_IN_ARN.match(f"arn:x:x:x:{named}:") and named != account:
        yield SOURCE_ACCOUNT_OF_ARN.finding(
            f"SourceArn {tokens.describe(arn)!r} is in account {named} but SourceAccount is "
            f"{account}",
            parameter="SourceAccount",
            value=account,
        )


@applies_to_every_permission(OPEN_API)
def open_api(permission: Permission) -> Iterator[Finding]:
    """An execute-api SourceArn names its API ID and account."""
    arn = permission.source_arn
    if arn is None or arn_field(arn, 2) != "execute-api":
        return
    account = arn_field(arn, 4)
    # The resource part (API ID, stage, method, path) follows the last colon; region and
    # account before it may be deploy-time values.
    last = tokens.split(arn)[-1]
    api_id = last.rsplit(":", 1)[1].split("/", 1)[0] if last and ":" in last else None
    if account is not None and ("*" in account or account == ""):
        open_part = f"account {account!r}"
    elif api_id is not None and ("*" in api_id or "?" in api_id):
        open_part = f"API ID {api_id!r}"
    else:
        return
    yield OPEN_API.finding(
        f"SourceArn {tokens.describe(arn)!r} matches any {open_part.split()[0]} ({open_part})",
        parameter="SourceArn",
        value=arn,
    )
