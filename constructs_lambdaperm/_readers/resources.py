"""What a ``Ref`` or ``Fn::GetAtt`` of a resource or parameter stands for, and how long it is.

The resource types whose references have a known shape (a function's ARN, a bucket's name, an
API's generated ID...) are in ``KINDS``; a reference to any other is a marker bounded by the
limit of the parameter that holds it. A parameter is bounded by its ``MaxLength`` or its
``AllowedValues``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._core import bounds
from . import stacks
from .stacks import StackTemplate, digest, label, opaque

if TYPE_CHECKING:
    from .intrinsics import Values

FUNCTION_TYPE = "AWS::Lambda::Function"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
ALIAS_TYPE = "AWS::Lambda::Alias"
VERSION_TYPE = "AWS::Lambda::Version"

FUNCTION_NAME_MAX_LENGTH = 64
QUALIFIER_MAX_LENGTH = 128
VERSION_MAX_LENGTH = 10
"""Versions are numbered 1, 2, 3...; ten digits exceed any function's count of versions."""
FUNCTION_NAME_PARAMETER_MAX = 140


class References:
    """The resources and parameters of the stacks of one app, as references see them."""

    def __init__(self, stack_templates: Sequence[StackTemplate], values: Values) -> None:
        self.values = values
        """How the resources' own properties are read."""
        self._by_logical_id: dict[tuple[str, str], list[StackTemplate]] = {}
        self._by_key: dict[str, StackTemplate] = {}
        self._nested: dict[tuple[str, str], StackTemplate] = {}
        for stack in stack_templates:
            self._by_key.setdefault(stack.key, stack)
            if stack.parent is not None:
                self._nested.setdefault(stack.parent, stack)
            for logical_id in stack.resources:
                self._by_logical_id.setdefault((stack.assembly, logical_id), []).append(stack)

    def resource(self, logical_id: str, stack: StackTemplate) -> tuple[StackTemplate, Any]:
        """The resource ``logical_id`` names from ``stack``, and the stack that holds it.

        Before a CDK app is synthesized, a reference to another stack's resource is still a
        plain ``Ref``/``Fn::GetAtt``; it is found in the one other stack of the same assembly
        (Stage) that has that logical ID. When several do, it stays unknown: a Stage built
        twice has the same logical IDs in each copy, and only its own copy is looked in.
        """
        resource = stack.resources.get(logical_id)
        if resource is not None:
            return stack, resource
        holders = self._by_logical_id.get((stack.assembly, logical_id), [])
        if len(holders) == 1:
            return holders[0], holders[0].resources[logical_id]
        return stack, None

    def passed_parameter(self, logical_id: str, stack: StackTemplate) -> tuple[StackTemplate, Any]:
        """The value a nested stack's parent passes for its parameter, read in the parent.

        ``(stack, None)`` when ``stack`` is not nested or its parent passes no such value.
        """
        if stack.parent is None:
            return stack, None
        parent_key, resource_id = stack.parent
        parent = self._by_key.get(parent_key)
        if parent is None:
            return stack, None
        resource = parent.resources.get(resource_id)
        properties = resource.get("Properties") if isinstance(resource, Mapping) else None
        passed = properties.get("Parameters") if isinstance(properties, Mapping) else None
        if not isinstance(passed, Mapping) or logical_id not in passed:
            return stack, None
        return parent, passed[logical_id]

    def nested_output(
        self, holder: StackTemplate, logical_id: str, output: str
    ) -> tuple[StackTemplate, Any]:
        """The value of the output ``output`` of the nested stack ``logical_id`` of ``holder``.

        ``(holder, None)`` when that nested stack or its output is not among the stacks read.
        """
        nested = self._nested.get((holder.key, logical_id))
        if nested is None or output not in nested.outputs:
            return holder, None
        return nested, nested.outputs[output]

    def attribute(
        self, logical_id: str, attribute: str, stack: StackTemplate, limit: int, depth: int
    ) -> str | None:
        """What ``Fn::GetAtt`` of ``attribute`` (or ``Ref``) of ``logical_id`` stands for."""
        if attribute == "Ref" and logical_id in stack.parameters:
            # A nested stack's parameter holds what its parent passes: a reference the CDK
            # carried across into the nested stack is read where it was made.
            parent, passed = self.passed_parameter(logical_id, stack)
            if passed is not None:
                return self.values.text(passed, parent, limit, depth + 1)
            return self.parameter(logical_id, stack, limit)
        holder, resource = self.resource(logical_id, stack)
        where = label(holder.key, logical_id)
        if not isinstance(resource, Mapping):
            return opaque(label(where, attribute), limit)
        if resource.get("Type") == NESTED_STACK_TYPE and attribute.startswith("Outputs."):
            nested, value = self.nested_output(holder, logical_id, attribute[len("Outputs.") :])
            if value is not None:
                return self.values.text(value, nested, limit, depth + 1)
        kind = KINDS.get(str(resource.get("Type")))
        if kind is not None:
            properties = resource.get("Properties") or {}
            built = kind(self, holder, logical_id, properties, attribute, depth)
            if built is not None:
                return built
        return opaque(label(where, attribute), limit)

    def parameter(self, logical_id: str, stack: StackTemplate, limit: int) -> str:
        """A ``Ref`` of a parameter: bounded by its ``MaxLength`` and ``AllowedValues``."""
        definition = stack.parameters[logical_id]
        if not isinstance(definition, Mapping):
            definition = {}
        bound = limit
        max_length = definition.get("MaxLength")
        allowed = definition.get("AllowedValues")
        if isinstance(max_length, int | str) and str(max_length).isdigit():
            bound = min(bound, int(max_length))
        if isinstance(allowed, list) and allowed:
            bound = min(bound, max(len(str(value)) for value in allowed))
        return opaque(label(stack.key, logical_id), bound)

    def name(
        self,
        stack: StackTemplate,
        logical_id: str,
        properties: Mapping[str, Any],
        key: str,
        max_length: int,
        depth: int,
    ) -> str:
        """A resource's name: its literal (or partly literal) property, else a marker.

        A name holds no colon, so a deploy-time part of it (a parameter, say) stands for one
        ARN field: the function named ``${Prefix}-fn-1`` has an ARN of known shape, the same
        whichever way it is referenced, and another than ``${Prefix}-fn-2``'s.
        """
        value = properties.get(key)
        if value is not None:
            text = self.values.text(value, stack, max_length, depth + 1)
            if text is not None:
                return _one_field(bounds.cap(text, max_length))
        return bounds.bounded_marker(label(stack.key, logical_id, key), max_length)

    def function_arn_of(self, stack: StackTemplate, logical_id: str, depth: int = 0) -> str:
        """The ARN of the ``AWS::Lambda::Function`` ``logical_id`` of ``stack``."""
        resource = stack.resources.get(logical_id) or {}
        properties = resource.get("Properties") or {}
        name = self.name(
            stack, logical_id, properties, "FunctionName", FUNCTION_NAME_MAX_LENGTH, depth
        )
        return stacks.arn(stack, "lambda", f"function:{name}")


_OPAQUE_MARKER = re.compile(
    r"\$\{Token\[" + re.escape(bounds.OPAQUE_PREFIX) + r"([^\]\s;]*);max=(\d+)\]\}"
)


def _one_field(text: str) -> str:
    """``text``, a value known to hold no colon, with its open markers made single-field."""
    return _OPAQUE_MARKER.sub(lambda m: bounds.bounded_marker(m.group(1), int(m.group(2))), text)


# --- what each kind of resource returns ------------------------------------------------------

Kind = Callable[[References, StackTemplate, str, Mapping[str, Any], str, int], str | None]
"""What a reference to one kind of resource stands for: ``None`` for an attribute it lacks."""


def _function(
    r: References, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute == "Ref":
        return r.name(s, lid, props, "FunctionName", FUNCTION_NAME_MAX_LENGTH, depth)
    if attribute == "Arn":
        return r.function_arn_of(s, lid, depth)
    return None


def _qualified_function(
    r: References, s: StackTemplate, props: Mapping[str, Any], depth: int
) -> str:
    target = r.values.text(props.get("FunctionName"), s, FUNCTION_NAME_PARAMETER_MAX, depth + 1)
    target = target or ""
    parts = target.split(":")
    if target.startswith("arn:") and len(parts) == 7 and bounds.OPAQUE_PREFIX not in target:
        return target
    if len(parts) == 1 and bounds.OPAQUE_PREFIX not in target:
        return stacks.arn(s, "lambda", f"function:{target}")
    # Labelled by the FunctionName it reads: two aliases named alike of two functions whose
    # names are unknown are two policies.
    return opaque(label(s.key, "FunctionArn", digest(props.get("FunctionName"))), 140)


def _alias(
    r: References, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute in ("Ref", "AliasArn"):
        name = r.name(s, lid, props, "Name", QUALIFIER_MAX_LENGTH, depth)
        return f"{_qualified_function(r, s, props, depth)}:{name}"
    return None


def _version(
    r: References, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    number = bounds.bounded_marker(label(s.key, lid, "Version"), VERSION_MAX_LENGTH)
    if attribute in ("Ref", "FunctionArn"):
        return f"{_qualified_function(r, s, props, depth)}:{number}"
    if attribute == "Version":
        return number
    return None


def _named_arn(
    service: str,
    key: str,
    max_length: int,
    resource: str,
    *,
    regional: bool = True,
    in_account: bool = True,
    ref: str = "name",
    attributes: Sequence[str] = ("Arn",),
) -> Kind:
    """A resource whose ARN is ``arn:P:service:R:A:<resource with {name}>``.

    ``ref`` says what ``Ref`` returns: ``name`` or ``arn``.
    """

    def kind(
        r: References,
        s: StackTemplate,
        lid: str,
        props: Mapping[str, Any],
        attribute: str,
        depth: int,
    ) -> str | None:
        name = r.name(s, lid, props, key, max_length, depth)
        arn = stacks.arn(
            s, service, resource.format(name=name), regional=regional, in_account=in_account
        )
        if attribute == "Ref":
            return name if ref == "name" else arn
        if attribute in attributes:
            return arn
        return None

    return kind


def _generated_id(
    max_length: int,
    attribute_values: Mapping[str, int] | None = None,
    arn: tuple[str, str] | None = None,
) -> Kind:
    """A resource whose ``Ref`` is an ID AWS generates, of at most ``max_length`` characters.

    ``arn`` is ``(service, resource)`` when its ``Arn`` attribute is ``arn:P:service:R:A:`` and
    ``resource`` with ``{id}``.
    """

    def kind(
        r: References,
        s: StackTemplate,
        lid: str,
        props: Mapping[str, Any],
        attribute: str,
        depth: int,
    ) -> str | None:
        generated = bounds.bounded_marker(label(s.key, lid, "Id"), max_length)
        if attribute == "Ref":
            return generated
        if arn is not None and attribute == "Arn":
            return stacks.arn(s, arn[0], arn[1].format(id=generated))
        if attribute_values and attribute in attribute_values:
            return bounds.bounded_marker(label(s.key, lid, attribute), attribute_values[attribute])
        return None

    return kind


def _stage(
    r: References, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute == "Ref":
        return r.name(s, lid, props, "StageName", 128, depth)
    return None


def _events_rule(
    r: References, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    name = r.name(s, lid, props, "Name", 64, depth)
    bus = props.get("EventBusName")
    path = f"rule/{name}"
    if bus is not None:
        bus_text = bounds.cap(r.values.text(bus, s, 256, depth + 1) or "default", 256)
        if bus_text != "default":
            path = f"rule/{bus_text}/{name}"
    if attribute == "Arn":
        return stacks.arn(s, "events", path)
    if attribute == "Ref":
        return name if bus is None else None
    return None


KINDS: Mapping[str, Kind] = {
    FUNCTION_TYPE: _function,
    ALIAS_TYPE: _alias,
    VERSION_TYPE: _version,
    "AWS::S3::Bucket": _named_arn(
        "s3", "BucketName", 63, "{name}", regional=False, in_account=False
    ),
    "AWS::SNS::Topic": _named_arn(
        "sns", "TopicName", 256, "{name}", ref="arn", attributes=("TopicArn",)
    ),
    "AWS::Logs::LogGroup": _named_arn("logs", "LogGroupName", 512, "log-group:{name}:*"),
    "AWS::IoT::TopicRule": _named_arn("iot", "RuleName", 128, "rule/{name}"),
    "AWS::Events::Rule": _events_rule,
    "AWS::ApiGateway::RestApi": _generated_id(10, {"RootResourceId": 10}),
    "AWS::ApiGatewayV2::Api": _generated_id(10, {"ApiId": 10}),
    "AWS::ApiGateway::Stage": _stage,
    "AWS::ApiGatewayV2::Stage": _stage,
    "AWS::ApiGateway::Deployment": _generated_id(10),
    "AWS::Cognito::UserPool": _generated_id(55, arn=("cognito-idp", "userpool/{id}")),
}
"""The resource types whose references have known shapes and lengths."""
