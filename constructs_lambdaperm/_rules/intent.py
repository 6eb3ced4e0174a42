"""LP201-LP206: what a grant of a given kind promises (checked by the constructs).

These rules need to know what the grant is for (an S3 bucket, another account...), which a bare
AWS::Lambda::Permission does not say, so the constructs call them with that context; they do not
run on every permission.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping

from .._core import tokens
from .._core.findings import Finding, Severity
from .._core.model import PrincipalKind, principal_kind
from .._core.pattern import Pattern
from .registry import ADDPERMISSION_URL, RESOURCE_POLICY_URL, define

PROPS = define(
    "LP201",
    Severity.ERROR,
    title="Exactly one way to name each input",
    explanation=(
        "Some inputs can be given as a CDK resource or as its ARN; one of the two is needed, "
        "and giving both leaves it unclear which one is meant."
    ),
    fix="give exactly one of the two properties",
    doc_url=ADDPERMISSION_URL,
)

SOURCE_KIND = define(
    "LP202",
    Severity.ERROR,
    title="The source is the kind of resource the grant names",
    explanation=(
        "A typed grant names its source: S3 invokes with the bucket's ARN "
        "('arn:<partition>:s3:::<bucket>'), SNS with a topic ARN, EventBridge with a rule ARN, "
        "CloudWatch Logs with a log group ARN, Alexa with a skill ID. Any other value never "
        "matches, so the grant would never let the source invoke the function."
    ),
    fix="pass the resource itself, or its ARN (or ID) in the documented form",
    doc_url=RESOURCE_POLICY_URL,
)

SOURCE_ACCOUNT_MISMATCH = define(
    "LP203",
    Severity.ERROR,
    title="SourceAccount is the source resource's account",
    explanation=(
        "SourceAccount must be the account that owns the source resource; another account "
        "never matches, so the grant would never let the resource invoke the function."
    ),
    fix="leave source_account out to use the resource's account, or pass that account",
    doc_url=ADDPERMISSION_URL,
)

PRINCIPAL_FOR_GRANT = define(
    "LP204",
    Severity.ERROR,
    title="The principal suits the grant",
    explanation=(
        "Each grant targets a kind of principal: a cross-account grant an account or IAM "
        "identity, a public function URL '*'. Another kind would grant something else than "
        "the construct promises."
    ),
    fix="pass a principal of the kind the construct takes, or use the construct for that kind",
    doc_url=RESOURCE_POLICY_URL,
)

_PARTITION = r"arn:aws[a-zA-Z-]*"
_REGION_ACCOUNT = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}"


class SourceKind:
    """The form a typed grant's source must have, for LP202."""

    def __init__(self, parameter: str, what: str, pattern: str, example: str) -> None:
        self.parameter = parameter
        self.what = what
        self.pattern = Pattern(pattern)
        self.example = example

    def check(self, value: str) -> Finding | None:
        """LP202: ``value`` can be a source of this kind (deploy-time parts pass).

        A pseudo-parameter passes only where a value of its shape fits (a partition as the
        partition, never as ``aws:s3``).
        """
        if self.pattern.could_match(tokens.shaped_split(value)):
            return None
        return SOURCE_KIND.finding(
            f"{self.parameter} {tokens.describe(value)!r} is not {self.what}",
            parameter=self.parameter,
            value=value,
            fix=f"pass {self.what}, such as {self.example!r}",
        )


S3_BUCKET = SourceKind(
    "SourceArn", "an S3 bucket ARN", _PARTITION + r":s3:::[^/:\s]+", "arn:aws:s3:::my-bucket"
)
SNS_TOPIC = SourceKind(
    "SourceArn",
    "an SNS topic ARN",
    _PARTITION + r":sns:" + _REGION_ACCOUNT + r":[A-Za-z0-9_.-]+",
    "arn:aws:sns:us-east-1:123456789012:my-topic",
)
EVENTS_RULE = SourceKind(
    "SourceArn",
    "an EventBridge rule ARN (rule/NAME, or rule/BUS/NAME on a custom bus)",
    # rule/NAME, or rule/BUS/NAME: no segment is empty (a partner bus name holds '/' itself).
    _PARTITION + r":events:" + _REGION_ACCOUNT + r":rule/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*",
    "arn:aws:events:us-east-1:123456789012:rule/my-rule",
)
LOG_GROUP = SourceKind(
    "SourceArn",
    "a CloudWatch Logs log group ARN",
    _PARTITION + r":logs:" + _REGION_ACCOUNT + r":log-group:[^:\s]+(:\*)?",
    "arn:aws:logs:us-east-1:123456789012:log-group:my-group:*",
)
EXECUTE_API = SourceKind(
    "SourceArn",
    "an API Gateway execute-api ARN (API_ID/STAGE/METHOD/PATH)",
    _PARTITION + r":execute-api:[a-z0-9-]+:(\d{12}|\*):[A-Za-z0-9*?]+/[^/\s]+/[^/\s]*(/\S*)?",
    "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/*/*",
)
ALEXA_SKILL = SourceKind(
    "EventSourceToken",
    "an Alexa skill ID",
    r"amzn1\.ask\.skill\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "amzn1.ask.skill.12345678-1234-1234-1234-123456789012",
)

_KIND_NAMES = {
    PrincipalKind.ANYONE: "everyone ('*')",
    PrincipalKind.ACCOUNT: "a 12-digit account ID",
    PrincipalKind.IAM: "the ARN of an account root, IAM role or IAM user",
    PrincipalKind.SERVICE: "a service principal",
}


def exactly_one(**props: object) -> Finding | None:
    """LP201: exactly one of ``props`` is given."""
    given = [name for name, value in props.items() if value is not None]
    if len(given) == 1:
        return None
    names = " or ".join(props)
    problem = "neither is given" if not given else "both are given"
    return PROPS.finding(
        f"give {names}: {problem}",
        parameter=" / ".join(props),
        fix=f"give exactly one of {names}",
    )


def source_account_matches(source_account: str, owner: str | None, what: str) -> Finding | None:
    """LP203: ``source_account`` is ``owner`` whenever both are known."""
    if owner is None or tokens.is_unresolved(owner) or tokens.is_unresolved(source_account):
        return None
    if source_account == owner:
        return None
    return SOURCE_ACCOUNT_MISMATCH.finding(
        f"SourceAccount {source_account!r} is not the account of {what} ({owner})",
        parameter="SourceAccount",
        value=source_account,
    )


def principal_for_grant(principal: str, allowed: Collection[PrincipalKind]) -> Finding | None:
    """LP204: ``principal`` is of one of the ``allowed`` kinds (deploy-time values pass)."""
    kind = principal_kind(principal)
    if kind in allowed or kind in (PrincipalKind.UNKNOWN, PrincipalKind.INVALID):
        return None  # INVALID is LP113's to report
    expected = " or ".join(_KIND_NAMES[k] for k in PrincipalKind if k in allowed)
    return PRINCIPAL_FOR_GRANT.finding(
        f"Principal {tokens.describe(principal)!r} is {_KIND_NAMES[kind]}; this grant takes "
        f"{expected}",
        parameter="Principal",
        value=principal,
    )


FUNCTION_ACCOUNT = define(
    "LP205",
    Severity.ERROR,
    title="The function is in the account and region of the stack that grants on it",
    explanation=(
        "CloudFormation adds an AWS::Lambda::Permission with the credentials of the account "
        "the stack deploys to, in its region, and only the function's own account can change "
        "its resource-based policy: a grant in a stack of one account (or region) on a function "
        "of another fails to deploy. (aws-cdk's Function.addPermission skips such a grant with "
        "a warning, so the access it was meant to give silently never exists.) The constructs "
        "check the account; the guard checks account and region of every permission."
    ),
    fix=(
        "make the grant in a stack of the function's account (the function's owner grants "
        "the access); the other account then calls the function with its own IAM policy"
    ),
    doc_url=RESOURCE_POLICY_URL,
)


DOCUMENT_NEEDS = define(
    "LP206",
    Severity.ERROR,
    title="A grant into a ResourcePolicy document names its principal and function at synth",
    explanation=(
        "use_resource_policy(scope) writes the grants of a function into one "
        "AWS::Lambda::ResourcePolicy document, whose statements name the principal in its "
        'kind ({"AWS": ...} or {"Service": ...}) and the function by its complete ARN. '
        "AddPermission works that out when the grant is deployed; a document must say it when "
        "it is written, so a principal whose kind, or a function whose ARN, is known only at "
        "deploy time cannot go into one."
    ),
    fix=(
        "give the principal at synth, or pass the function construct or its ARN; or leave "
        "the function's grants out of use_resource_policy's scope"
    ),
    doc_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-resource-lambda-resourcepolicy.html",
)


def function_in_stack_account(
    function: str, function_account: str | None, stack_account: str | None
) -> Finding | None:
    """LP205: the function's account is the stack's, whenever both are known at synth."""
    if function_account is None or stack_account is None:
        return None
    if tokens.is_unresolved(function_account) or tokens.is_unresolved(stack_account):
        return None
    if function_account == stack_account:
        return None
    return FUNCTION_ACCOUNT.finding(
        f"the function {tokens.describe(function)!r} is in account {function_account}, but "
        f"the stack that grants on it deploys to account {stack_account}",
        parameter="FunctionName",
        value=function,
    )


# --- API Gateway routes -----------------------------------------------------------------------

HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
"""The methods API Gateway writes in an execute-api ARN (aws-cdk's ALL_METHODS)."""

_PATH_PARAMETER = re.compile(r"\{[^}]*\}")

# The parts of an execute-api ARN, ``API_ID/STAGE/METHOD/PATH``. A WebSocket API's route key
# ($connect, $default, or a custom key) takes the method's place, a REST authorizer's
# "authorizers" with the authorizer ID as the stage.
_ROUTE_PARTS: Mapping[str, tuple[str, str, str]] = {
    "api_id": (
        r"[A-Za-z0-9*?]+",
        "an API ID",
        "pass the API's ID, such as 'a1b2c3d4e5' (not its ARN or URL), or the API itself",
    ),
    "stage": (
        r"\$default|[A-Za-z0-9_*?-]+",
        "a stage name",
        "pass the stage's name (letters, digits, '-' and '_'), or '*' for every stage",
    ),
    "method": (
        r"\*|" + "|".join(HTTP_METHODS) + r"|authorizers|\$connect|\$disconnect|\$default",
        "an HTTP method as API Gateway writes it (" + ", ".join(HTTP_METHODS) + "), '*' or "
        "'ANY', 'authorizers', or a WebSocket route key ($connect, $disconnect, $default; a "
        "custom route key needs api= with the WebSocket API)",
        "pass an upper-case HTTP method, or '*' for every method",
    ),
    "path": (
        r"(/[^\s]*)?",
        "a resource path: empty, or starting with '/'",
        "start the path with '/' (for example '/orders/*'), or leave it empty",
    ),
}
_WEBSOCKET_ROUTE_KEY = (
    r"[^/\s]+",
    "a WebSocket route key",
    "pass the route key, such as 'sendMessage'",
)


@functools.cache
def _route_pattern(regex: str) -> Pattern:
    return Pattern(regex)


def execute_api_route(method: str, path: str) -> tuple[str, str]:
    """The method and path of an execute-api ARN as API Gateway writes them.

    Normalises what aws-cdk normalises: ``ANY`` (in any case) is ``*``, and each path parameter
    (``{id}``, ``{proxy+}``) is ``*``, since the ARN holds the request's own path
    (``/orders/123``).
    """
    if not tokens.is_unresolved(method) and method.upper() == "ANY":
        method = "*"
    return method, _PATH_PARAMETER.sub("*", path)


def route_findings(
    *, api_id: str, stage: str, method: str, path: str, websocket: bool = False
) -> list[Finding]:
    """LP202 for each part of an execute-api route that API Gateway never writes.

    Such a grant would never match a request (``get`` for ``GET``, ``FETCH``, an API ARN as
    the API ID, an empty stage). Deploy-time parts pass where a value could fit.
    """
    findings: list[Finding] = []
    for name, value in (("api_id", api_id), ("stage", stage), ("method", method), ("path", path)):
        regex, what, fix = _ROUTE_PARTS[name]
        if name == "method" and websocket:
            regex, what, fix = _WEBSOCKET_ROUTE_KEY
        if _route_pattern(regex).could_match(tokens.shaped_split(value)):
            continue
        if name == "method" and value.upper() in HTTP_METHODS:
            fix = f"write it as API Gateway does: '{value.upper()}'"
        findings.append(
            SOURCE_KIND.finding(
                f"{name} {tokens.describe(value)!r} is not {what}",
                parameter="SourceArn",
                value=value,
                fix=fix,
            )
        )
    return findings
