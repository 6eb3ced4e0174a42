"""What the readers' deploy-time markers stand for once the stacks are deployed.

Pure Python. The readers label every deploy-time value by what it refers to
(``references.py``): a generated name by its stack and logical ID
(``${Token[Prod_Api.Handler886CB40B.FunctionName;max=64]}``), a parameter by its stack and
name, a pseudo-parameter by the stack whose environment it is. :class:`Markers` reads a label
back into that :class:`Reference`; :func:`from_physical_id` turns the physical ID
CloudFormation reports for a resource (``DescribeStackResource``) into the value of the
marker, for the resource types whose physical ID gives it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .._core import bounds
from .resources import ALIAS_TYPE, FUNCTION_TYPE, VERSION_TYPE
from .stacks import StackTemplate, label

RESOURCE = "resource"
PARAMETER = "parameter"
ACCOUNT = "AWS.AccountId"
REGION = "AWS.Region"
PARTITION = "AWS.Partition"
URL_SUFFIX = "AWS.URLSuffix"
STACK_NAME = "AWS.StackName"
_PSEUDO = (ACCOUNT, REGION, PARTITION, URL_SUFFIX, STACK_NAME)


@dataclass(frozen=True)
class Reference:
    """What one marker stands for."""

    kind: str
    """``resource``, ``parameter``, or a pseudo-parameter (``AWS.AccountId``, ``AWS.Region``,
    ``AWS.Partition``, ``AWS.URLSuffix``, ``AWS.StackName``)."""
    stack: StackTemplate
    """The stack that holds the resource or parameter, or whose environment or name it is."""
    logical_id: str | None = None
    """The resource's or parameter's logical ID. Default: - a pseudo-parameter."""
    attribute: str | None = None
    """What of the resource (``FunctionName``, ``Version``, ``Ref``...). Default: - none."""

    @property
    def resource_type(self) -> str | None:
        """The resource's type, for a resource."""
        if self.kind != RESOURCE or self.logical_id is None:
            return None
        resource = self.stack.resources.get(self.logical_id)
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        return kind if isinstance(kind, str) else None


class Markers:
    """Reads the labels of the markers the readers made for some stacks."""

    def __init__(self, stack_templates: Sequence[StackTemplate]) -> None:
        self._named: dict[str, tuple[StackTemplate, str, str]] = {}
        self._environments: dict[str, StackTemplate] = {}
        self._stacks: dict[str, StackTemplate] = {}
        for stack in stack_templates:
            key = bounds.clean_label(stack.key)
            self._stacks.setdefault(key, stack)
            self._environments.setdefault(bounds.clean_label(stack.environment or stack.key), stack)
            for logical_id in stack.parameters:
                self._named.setdefault(
                    bounds.clean_label(label(stack.key, logical_id)), (stack, logical_id, PARAMETER)
                )
            for logical_id in stack.resources:
                self._named.setdefault(
                    bounds.clean_label(label(stack.key, logical_id)), (stack, logical_id, RESOURCE)
                )

    def reference(self, marker_label: str) -> Reference | None:
        """What the marker labelled ``marker_label`` stands for; ``None`` when it cannot be told."""
        name = marker_label.removeprefix(bounds.OPAQUE_PREFIX)
        for pseudo in _PSEUDO:
            if name.endswith("." + pseudo):
                owner = name[: -len(pseudo) - 1]
                table = self._stacks if pseudo == STACK_NAME else self._environments
                stack = table.get(owner)
                return None if stack is None else Reference(pseudo, stack)
        best: tuple[StackTemplate, str, str] | None = None
        rest = ""
        for position in range(len(name), 0, -1):
            if position < len(name) and name[position] != ".":
                continue
            found = self._named.get(name[:position])
            if found is not None:
                best, rest = found, name[position + 1 :]
                break
        if best is None:
            return None
        stack, logical_id, kind = best
        if kind == PARAMETER:
            return Reference(PARAMETER, stack, logical_id) if not rest else None
        return Reference(RESOURCE, stack, logical_id, rest or "Ref")


# Resource types whose named marker is the last ``:`` field of the physical ID (an ARN).
_ARN_TAIL = {
    (VERSION_TYPE, "Version"),
    (ALIAS_TYPE, "Name"),
    ("AWS::SNS::Topic", "TopicName"),
}
# Resource types whose named marker is the physical ID itself.
_WHOLE = {
    (FUNCTION_TYPE, "FunctionName"),
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
    ("AWS::IoT::TopicRule", "RuleName"),
    ("AWS::ApiGateway::RestApi", "Id"),
    ("AWS::ApiGatewayV2::Api", "Id"),
    ("AWS::ApiGatewayV2::Api", "ApiId"),
    ("AWS::ApiGateway::Deployment", "Id"),
    ("AWS::ApiGateway::Stage", "StageName"),
    ("AWS::ApiGatewayV2::Stage", "StageName"),
    ("AWS::Cognito::UserPool", "Id"),
}


def from_physical_id(resource_type: str | None, attribute: str, physical_id: str) -> str | None:
    """The value of a resource's marker from the resource's physical ID, when it gives it.

    ``Ref`` of a resource is its physical ID. A function, bucket or log group is named by its
    physical ID; a version's, alias's or topic's physical ID is its ARN, whose last field is
    the version, the alias's name or the topic's name; an EventBridge rule on a custom bus is
    ``bus|rule``. Other attributes (an API's root resource ID...) are not in the physical ID:
    ``None``.
    """
    if attribute == "Ref":
        return physical_id
    if (resource_type, attribute) in _ARN_TAIL:
        return physical_id.rsplit(":", 1)[-1]
    if (resource_type, attribute) == ("AWS::Events::Rule", "Name"):
        return physical_id.rsplit("|", 1)[-1]
    if (resource_type, attribute) in _WHOLE:
        return physical_id
    return None
