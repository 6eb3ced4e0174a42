"""The permission model: one AddPermission request, whatever front end described it."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from . import tokens

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


_ACCOUNT = re.compile(r"\d{12}")
_IAM_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::\d{12}:(root|role/\S+|user/\S+)")
# Service principals end in .amazonaws.com (.cn in China); Alexa's end in .amazon.com.
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)")


def principal_kind(principal: str) -> PrincipalKind:
    """Classify a Principal value the way Lambda maps it into a policy statement."""
    if tokens.is_unresolved(principal):
        return PrincipalKind.UNKNOWN
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


def parse_function_name(value: str) -> FunctionName:
    """Split ``value`` in one of Lambda's four name formats.

    A value with deploy-time parts is kept whole: which of its colons ends the function cannot be
    told before deploy. Call this only on values that passed the FunctionName pattern.
    """
    if tokens.is_unresolved(value):
        return FunctionName(function=value, qualifier=None, name=None)
    parts = value.split(":")
    if parts[0] == "arn":
        head, rest = parts[:6], parts[6:]  # arn:partition:lambda:region:account:function
    elif len(parts) >= 3 and parts[1] == "function":
        head, rest = parts[:2], parts[2:]  # account:function
    elif len(parts) >= 4 and parts[2] == "function":
        head, rest = parts[:3], parts[3:]  # region:account:function
    else:
        head, rest = [], parts
    name = rest[0]
    qualifier = rest[1] if len(rest) > 1 else None
    return FunctionName(function=":".join([*head, name]), qualifier=qualifier, name=name)


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
    """The action granted, for example ``lambda:InvokeFunction``."""
    qualifier: str | None = None
    """The version or alias that FunctionName carries (its policy holds the statement);
    ``None`` for the unqualified function."""
    source_arn: str | None = None
    """For a service principal, the ARN of the resource allowed to invoke."""
    source_account: str | None = None
    """For a service principal, the account that must own the source resource."""
    principal_org_id: str | None = None
    """The AWS Organizations ID every caller's account must belong to."""
    event_source_token: str | None = None
    """A token the invoker must supply (Alexa)."""
    function_url_auth_type: str | None = None
    """``AWS_IAM`` or ``NONE``: restricts the statement to a function URL of that auth type."""
    invoked_via_function_url: bool | None = None
    """``True`` restricts the statement to invocations through a function URL."""

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

    def cfn_properties(self) -> dict[str, str | bool]:
        """The ``AWS::Lambda::Permission`` properties, in the schema's order."""
        properties: dict[str, str | bool] = {
            "Action": self.action,
            "FunctionName": self.function_name,
            "Principal": self.principal,
        }
        optional: dict[str, str | bool | None] = {
            "EventSourceToken": self.event_source_token,
            "FunctionUrlAuthType": self.function_url_auth_type,
            "InvokedViaFunctionUrl": self.invoked_via_function_url,
            "PrincipalOrgID": self.principal_org_id,
            "SourceAccount": self.source_account,
            "SourceArn": self.source_arn,
        }
        properties.update({key: value for key, value in optional.items() if value is not None})
        return properties


def partition_of(region: str) -> str | None:
    """The partition of a region (``aws``, ``aws-cn``...); ``None`` when it cannot be told."""
    if tokens.is_unresolved(region):
        return None
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws" if re.fullmatch(r"[a-z]{2}-[a-z]+-\d", region) else None


_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)
