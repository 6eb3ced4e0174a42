"""One stack's template as the readers hold it, and what its environment makes of ARNs.

A stack's account, region, partition and name are literal when the stack (or the caller) knows
them, and otherwise bounded deploy-time markers labelled by the stack's key: two references to
the same stack's account give the same text, and two stacks' unknown accounts never do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core import bounds, tokens
from .._core.model import partition_of

ACCOUNT_LENGTH = 12
REGION_MAX_LENGTH = 20
"""The longest region name today has 15 characters (``us-isof-south-1``)."""
PARTITION_MAX_LENGTH = 10
"""``aws-us-gov``, the longest partition name."""
URL_SUFFIX_MAX_LENGTH = 20
"""``amazonaws.com.cn`` and the ISO partitions' suffixes are shorter."""
STACK_NAME_MAX_LENGTH = 128

_URL_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}


@dataclass(frozen=True)
class StackTemplate:
    """What the policy needs of one stack's template, intrinsics as CloudFormation has them."""

    key: str
    """Unique in the app: the stack's construct path, or the template's name."""
    name: str | None
    """The stack name CloudFormation knows it by (the Sid starts with it); ``None``: unknown."""
    resources: Mapping[str, Mapping[str, Any]]
    """Resources by logical ID: ``{"Type": ..., "Properties": {...}}``."""
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Parameters by logical ID."""
    exports: Mapping[str, Any] = field(default_factory=dict)
    """Values of the stack's outputs, by export name."""
    account: str | None = None
    """The stack's account when it is known before deploy."""
    region: str | None = None
    """The stack's region when it is known before deploy."""
    partition: str | None = None
    """The stack's partition. Default: - the partition of ``region``."""
    paths: Mapping[str, str] = field(default_factory=dict)
    """Construct paths by logical ID, for CDK apps."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """The ``Value`` of each of the stack's outputs, by logical ID: what an
    ``Fn::GetAtt [<nested stack>, Outputs.<logical ID>]`` of a parent stack stands for."""
    parent: tuple[str, str] | None = None
    """For a nested stack: ``(key of its parent stack, logical ID of its
    AWS::CloudFormation::Stack resource there)``, whose ``Parameters`` give the values of this
    stack's parameters. Default: - a top-level stack."""
    assembly: str = ""
    """The cloud assembly (a CDK ``Stage``) the stack belongs to. The CDK refers across stacks
    only within one Stage, so a ``Ref`` or ``Fn::GetAtt`` of a logical ID this stack lacks is
    looked up in the stacks of the same assembly only. Default: - the app's (or template's)."""
    environment: str | None = None
    """The key of the stack whose account, region and partition this one deploys to (a nested
    stack deploys to its top-level stack's). Default: - its own."""


def label(*parts: str) -> str:
    """A marker label made of ``parts`` (empty ones left out), dot-separated."""
    return ".".join(part for part in parts if part)


def digest(value: Any) -> str:
    """A short digest of a CloudFormation value, for the label of a marker that stands for it.

    An expression that is not evaluated (``Fn::FindInMap``, an ``Fn::If`` whose branches
    differ...) is labelled by what it is: the same expression in one stack is one value, and
    two different ones never share a marker (nor, as FunctionNames, a policy).
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def opaque(name: str, limit: int) -> str:
    """A deploy-time value that may hold anything, colons included, of at most ``limit``."""
    return bounds.bounded_marker(bounds.OPAQUE_PREFIX + name, limit)


def concrete(value: str | None) -> bool:
    """Whether ``value`` is given and known before deploy."""
    return value is not None and not tokens.is_unresolved(value)


def _environment_key(stack: StackTemplate) -> str:
    return stack.environment or stack.key


def account(stack: StackTemplate) -> str:
    """The stack's account, or a marker for it (shared with the stacks of its environment)."""
    if stack.account is not None and concrete(stack.account):
        return stack.account
    return bounds.bounded_marker(
        label(_environment_key(stack), bounds.ACCOUNT_LABEL), ACCOUNT_LENGTH
    )


def region(stack: StackTemplate) -> str:
    """The stack's region, or a marker for it (shared with the stacks of its environment)."""
    if stack.region is not None and concrete(stack.region):
        return stack.region
    return bounds.bounded_marker(label(_environment_key(stack), "AWS.Region"), REGION_MAX_LENGTH)


def partition(stack: StackTemplate) -> str:
    """The stack's partition, or a marker for it."""
    if stack.partition is not None and concrete(stack.partition):
        return stack.partition
    if stack.region is not None:
        known = partition_of(stack.region)
        if known is not None:
            return known
    return bounds.bounded_marker(
        label(_environment_key(stack), "AWS.Partition"), PARTITION_MAX_LENGTH
    )


def stack_name(stack: StackTemplate) -> str:
    """The stack's name, or a marker for it."""
    if stack.name is not None and concrete(stack.name):
        return stack.name
    return bounds.bounded_marker(label(stack.key, "AWS.StackName"), STACK_NAME_MAX_LENGTH)


def url_suffix(stack: StackTemplate) -> str:
    """The stack's ``AWS::URLSuffix``, or a marker for it."""
    known = _URL_SUFFIXES.get(partition(stack))
    return known or bounds.bounded_marker(
        label(_environment_key(stack), "AWS.URLSuffix"), URL_SUFFIX_MAX_LENGTH
    )


def arn(
    stack: StackTemplate,
    service: str,
    resource: str,
    *,
    regional: bool = True,
    in_account: bool = True,
) -> str:
    """The ARN of a ``service`` resource of ``stack``: its partition, region and account."""
    where = region(stack) if regional else ""
    owner = account(stack) if in_account else ""
    return f"arn:{partition(stack)}:{service}:{where}:{owner}:{resource}"


def may_share_environment(one: StackTemplate, other: StackTemplate) -> bool:
    """Whether the two stacks may deploy to the same account and region."""
    if _environment_key(one) == _environment_key(other):
        return True
    return not any(
        concrete(mine) and concrete(theirs) and mine != theirs
        for mine, theirs in ((one.account, other.account), (one.region, other.region))
    )
