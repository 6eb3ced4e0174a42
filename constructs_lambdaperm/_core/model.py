"""The permission model: one AddPermission request, whatever front end described it."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from . import tokens
from .pattern import Pattern, aws_regex

INVOKE = "lambda:InvokeFunction"
INVOKE_URL = "lambda:InvokeFunctionUrl"
WILDCARD_ACTIONS = frozenset({"*", "lambda:*"})
LATEST = "$LATEST"


class PrincipalKind(enum.Enum):
    """What kind of identity a Principal value names."""

    ANYONE = "anyone"
    """``*``: every identity, in every account, and anonymous callers where the API allows it."""
    ACCOUNT = "account"
    """A 12-digit AWS account ID (Lambda renders it as the account's root ARN)."""
    IAM = "iam"
    """The ARN of an account root, an IAM role or an IAM user."""
    SERVICE = "service"
    """An AWS service principal such as ``s3.amazonaws.com``."""
    UNKNOWN = "unknown"
    """Known only at deploy time."""
    INVALID = "invalid"
    """None of the above: Lambda rejects it."""


# AWS's patterns, with AWS's semantics (ASCII digits: a fullwidth or Arabic-Indic digit is no
# digit to Lambda).
_ACCOUNT_REGEX = r"\d{12}"
_IAM_ARN_REGEX = r"arn:aws[a-zA-Z-]*:iam::\d{12}:(root|role/\S+|user/\S+)"
# Service principals end in .amazonaws.com (.cn in China); Alexa's end in .amazon.com.
_SERVICE_REGEX = r"[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)"
_ACCOUNT = aws_regex(_ACCOUNT_REGEX)
_IAM_ARN = aws_regex(_IAM_ARN_REGEX)
_SERVICE = aws_regex(_SERVICE_REGEX)


@functools.cache
def _kind_patterns() -> tuple[tuple[PrincipalKind, Pattern], ...]:
    return (
        (PrincipalKind.ANYONE, Pattern(r"\*")),
        (PrincipalKind.ACCOUNT, Pattern(_ACCOUNT_REGEX)),
        (PrincipalKind.IAM, Pattern(_IAM_ARN_REGEX)),
        (PrincipalKind.SERVICE, Pattern(_SERVICE_REGEX)),
    )


@functools.lru_cache(maxsize=8192)
def principal_kind(principal: str) -> PrincipalKind:
    """Classify a Principal value the way Lambda maps it into a policy statement.

    A value whose only deploy-time parts are pseudo-parameters (``arn:${AWS::Partition}:iam::
    123456789012:root``, ``sns.${AWS::URLSuffix}``) has the one kind its shape allows, or is
    invalid when it allows none; any other deploy-time part makes it unknown.
    """
    if tokens.is_unresolved(principal):
        if not tokens.is_shaped(principal):
            return PrincipalKind.UNKNOWN
        parts = tokens.shaped_split(principal)
        kinds = [kind for kind, pattern in _kind_patterns() if pattern.could_match(parts)]
        if not kinds:
            return PrincipalKind.INVALID
        return kinds[0] if len(kinds) == 1 else PrincipalKind.UNKNOWN
    if principal == "*":
        return PrincipalKind.ANYONE
    if _ACCOUNT.fullmatch(principal):
        return PrincipalKind.ACCOUNT
    if _IAM_ARN.fullmatch(principal):
        return PrincipalKind.IAM
    if _SERVICE.fullmatch(principal):
        return PrincipalKind.SERVICE
    return PrincipalKind.INVALID


def arn_field(arn: str, index: int) -> str | None:
    """Field ``index`` of an ARN (2: service, 3: region, 4: account), when known at synth."""
    known = tokens.fields(arn)
    return known[index] if index < len(known) else None


@dataclass(frozen=True, slots=True)
class FunctionName:
    """A FunctionName split into the function and its qualifier.

    Lambda accepts four formats (``my-function``, ``my-function:v1``,
    ``arn:aws:lambda:us-west-2:123456789012:function:my-function[:v1]``,
    ``123456789012:function:my-function[:v1]``); a version or alias may end any of them.
    """

    function: str
    """The name, partial ARN or ARN, without a qualifier."""
    qualifier: str | None
    """The version or alias given as a suffix, if any."""
    name: str | None
    """The bare function name, when it is known."""


# CloudFormation's FunctionName pattern (``api_model``), its groups named: the ARN prefix, the
# region, the account, "function:", the name and the qualifier.
_FUNCTION_NAME = aws_regex(
    r"(?P<prefix>arn:(aws[a-zA-Z-]*)?:lambda:)?"
    r"(?P<region>(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(?P<account>\d{12}:)?(?P<function>function:)?(?P<name>[a-zA-Z0-9-_]+)"
    r"(:(?P<qualifier>\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)


@functools.lru_cache(maxsize=8192)
def parse_function_name(value: str) -> FunctionName:
    """Split ``value`` in one of Lambda's four name formats; never raises.

    The split is the one FunctionName's pattern makes (``arn:aws`` is the function ``arn`` with
    the qualifier ``aws``). Pseudo-parameters (partition, region, account) never hold a colon,
    so a value built with them splits the same whatever they turn out to be; a part of the
    name or the qualifier that is one keeps its marker. A value with any other deploy-time
    part, or that does not match the pattern (rule LP101's to report), is kept whole, with no
    name and no qualifier.
    """
    whole = FunctionName(function=value, qualifier=None, name=None)
    if tokens.is_unresolved(value):
        if not tokens.is_shaped(value):
            return whole
        text, spans = tokens.example(value)
    else:
        text, spans = value, []
    match = _FUNCTION_NAME.fullmatch(text)
    if match is None:
        return whole
    qualifier_start = match.start("qualifier")
    name_start, name_end = match.span("name")
    function = _restore(value, text, spans, 0, name_end)
    name = _restore(value, text, spans, name_start, name_end)
    qualifier = None
    if qualifier_start >= 0:
        qualifier = _restore(value, text, spans, qualifier_start, len(text))
    return FunctionName(
        function=function,
        qualifier=qualifier,
        name=None if tokens.is_unresolved(name) else name,
    )


def _restore(value: str, text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """The part of ``value`` that ``text[start:end]`` stands for (``text`` from ``example``)."""
    if not spans:
        return value[start:end]
    out: list[str] = []
    position = 0
    for kind, piece in tokens.labelled_parts(value):
        original = piece if kind == "text" else "${Token[" + piece + "]}"
        length = len(piece) if kind == "text" else spans[0][1] - spans[0][0]
        if kind == "token":
            spans = spans[1:]
        lo, hi = max(start, position), min(end, position + length)
        if lo < hi or (length == 0 and start <= position < end):
            # A pseudo-parameter holds no colon, so it lies wholly inside a field.
            out.append(original[lo - position : hi - position] if kind == "text" else original)
        position += length
    return "".join(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Permission:
    """One statement of a function's resource-based policy, as the AddPermission parameters.

    Strings may hold deploy-time parts (CDK tokens); the rules check what is known.
    """

    function_name: str
    """FunctionName as CloudFormation takes it: a name, partial ARN or ARN, ending in
    ``:<qualifier>`` when the permission is on a version or alias."""
    principal: str
    """Who is granted: ``*``, an account ID, an IAM ARN or a service principal."""
    action: str = INVOKE
    """The action granted, for example ``lambda:GetFunction``.
    Default: ``lambda:InvokeFunction``."""
    qualifier: str | None = None
    """The version or alias that FunctionName carries (its policy holds the statement);
    ``None`` for the unqualified function. Default: - the unqualified function."""
    source_arn: str | None = None
    """For a service principal, the ARN of the resource allowed to invoke. Default: - any."""
    source_account: str | None = None
    """For a service principal, the account that must own the source resource.
    Default: - any account."""
    principal_org_id: str | None = None
    """The AWS Organizations ID every caller's account must belong to.
    Default: - no organization condition."""
    event_source_token: str | None = None
    """A token the invoker must supply (Alexa). Default: - none."""
    function_url_auth_type: str | None = None
    """``AWS_IAM`` or ``NONE``: restricts the statement to a function URL of that auth type.
    Default: - no such restriction."""
    invoked_via_function_url: bool | str | None = None
    """``True`` restricts the statement to invocations through a function URL; a string is a
    deploy-time value (a token marker), which may be either. Default: - no such restriction."""

    @property
    def principal_kind(self) -> PrincipalKind:
        """What kind of identity the principal is."""
        return principal_kind(self.principal)

    def request(self) -> dict[str, str]:
        """The string AddPermission parameters that are set, by their API names.

        FunctionName keeps its qualifier suffix; ``Qualifier`` is reported on its own too.
        """
        values = {
            "FunctionName": self.function_name,
            "Qualifier": self.qualifier,
            "Action": self.action,
            "Principal": self.principal,
            "SourceArn": self.source_arn,
            "SourceAccount": self.source_account,
            "PrincipalOrgID": self.principal_org_id,
            "EventSourceToken": self.event_source_token,
            "FunctionUrlAuthType": self.function_url_auth_type,
        }
        return {name: value for name, value in values.items() if value is not None}


def partition_of(region: str) -> str | None:
    """The partition of a region (``aws``, ``aws-cn``...); ``None`` when it cannot be told."""
    if tokens.is_unresolved(region):
        return None
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws" if _COMMERCIAL_REGION.fullmatch(region) else None


_COMMERCIAL_REGION = aws_regex(r"[a-z]{2}-[a-z]+-\d")


_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)
