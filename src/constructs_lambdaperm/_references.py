"""What a CloudFormation value refers to, and how long it can be once deployed.

Pure Python. A property value (a string, or an intrinsic function such as ``Fn::GetAtt``) is
turned into text in which every part known only at deploy time is a bounded marker
(``_render.bounded_marker``): its label says what it stands for, its maximum the longest value
it can take. The bounds come from the kind of reference: a function's generated name has at most
64 characters, an account ID 12, an S3 bucket name 63, a ``CfnParameter`` its ``MaxLength``...,
and otherwise the AddPermission limit of the parameter that holds it (SourceArn: 1024).

Labels are scoped by stack and logical ID, so two references to the same resource give the same
text, and a function is identified by the text of its ARN: a ``Ref`` or ``Fn::GetAtt`` of an
``AWS::Lambda::Function``, an ``Fn::ImportValue`` of an export of its ARN and (when its
``FunctionName`` and its stack's environment are literal) its ARN written out all name one and
the same function.

Markers whose label starts with ``value.`` may hold anything, colons included; the others stand
for one name, ID or ARN component and hold no colon.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _render, _tokens
from ._api_model import field_constraints
from ._rules.fields import check_field

FUNCTION_TYPE = "AWS::Lambda::Function"
ALIAS_TYPE = "AWS::Lambda::Alias"
VERSION_TYPE = "AWS::Lambda::Version"

ACCOUNT_LENGTH = 12
REGION_MAX_LENGTH = 20
"""The longest region name today has 15 characters (``us-isof-south-1``)."""
PARTITION_MAX_LENGTH = 10
"""``aws-us-gov``, the longest partition name."""
STACK_NAME_MAX_LENGTH = 128
FUNCTION_NAME_MAX_LENGTH = 64
QUALIFIER_MAX_LENGTH = 128
VERSION_MAX_LENGTH = 10
"""Versions are numbered 1, 2, 3...; ten digits exceed any function's count of versions."""
FUNCTION_NAME_PARAMETER_MAX = 140

_OPAQUE = _render.OPAQUE_PREFIX
_MAX_DEPTH = 24


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


@dataclass(frozen=True, slots=True)
class Target:
    """The function and qualifier a FunctionName designates."""

    arn: str
    """The function's unqualified ARN, deploy-time parts as bounded markers."""
    qualifier: str | None
    """The version or alias, ``None`` for the unqualified function."""
    defined_in: tuple[str, str] | None
    """``(stack key, logical ID)`` of the ``AWS::Lambda::Function``, when it is in the app."""

    @property
    def resource(self) -> str:
        """The ARN in each statement's ``Resource``: the function's, with the qualifier."""
        return self.arn if self.qualifier is None else f"{self.arn}:{self.qualifier}"


def _concrete(value: str | None) -> bool:
    return value is not None and not _tokens.is_unresolved(value)


def _max(parameter: str) -> int:
    limit = field_constraints()[parameter].max_length
    return limit if limit is not None else _render.UNBOUNDED_LENGTH


def _label(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def _opaque(label: str, limit: int) -> str:
    return _render.bounded_marker(_OPAQUE + label, limit)


class Resolver:
    """Turns the values of the stacks of one app (or one template) into bounded text."""

    def __init__(self, stacks: Sequence[StackTemplate]) -> None:
        self._stacks = {stack.key: stack for stack in stacks}
        self._by_logical_id: dict[str, list[StackTemplate]] = {}
        for stack in stacks:
            for logical_id in stack.resources:
                self._by_logical_id.setdefault(logical_id, []).append(stack)
        # Export names are unique per account and region only: an app with one Stage per
        # account may export the same name from each.
        self._exports: dict[str, list[tuple[StackTemplate, Any]]] = {}
        for stack in stacks:
            for name, value in stack.exports.items():
                self._exports.setdefault(name, []).append((stack, value))
        self._targets: dict[tuple[str, str], Target] = {}
        self._definitions: dict[str, tuple[str, str]] | None = None

    # --- the stack's environment -------------------------------------------------------------

    def account(self, stack: StackTemplate) -> str:
        """The stack's account, or a marker for it."""
        if stack.account is not None and not _tokens.is_unresolved(stack.account):
            return stack.account
        return _render.bounded_marker(_label(stack.key, _render.ACCOUNT_LABEL), ACCOUNT_LENGTH)

    def region(self, stack: StackTemplate) -> str:
        """The stack's region, or a marker for it."""
        if stack.region is not None and not _tokens.is_unresolved(stack.region):
            return stack.region
        return _render.bounded_marker(_label(stack.key, "AWS.Region"), REGION_MAX_LENGTH)

    def partition(self, stack: StackTemplate) -> str:
        """The stack's partition, or a marker for it."""
        if stack.partition is not None and not _tokens.is_unresolved(stack.partition):
            return stack.partition
        if stack.region is not None:
            known = _render.partition_of(stack.region)
            if known is not None:
                return known
        return _render.bounded_marker(_label(stack.key, "AWS.Partition"), PARTITION_MAX_LENGTH)

    def stack_name(self, stack: StackTemplate) -> str:
        """The stack's name, or a marker for it."""
        if stack.name is not None and not _tokens.is_unresolved(stack.name):
            return stack.name
        return _render.bounded_marker(_label(stack.key, "AWS.StackName"), STACK_NAME_MAX_LENGTH)

    def _arn(
        self,
        stack: StackTemplate,
        service: str,
        resource: str,
        *,
        regional: bool = True,
        in_account: bool = True,
    ) -> str:
        region = self.region(stack) if regional else ""
        account = self.account(stack) if in_account else ""
        return f"arn:{self.partition(stack)}:{service}:{region}:{account}:{resource}"

    # --- values ------------------------------------------------------------------------------

    def text(self, value: Any, stack: StackTemplate, parameter: str) -> str | None:
        """``value`` of the AddPermission ``parameter`` as text; ``None`` when it is absent."""
        limit = _max(parameter)
        text = self._text(value, stack, limit, 0)
        return None if text is None else _render.cap(text, limit)

    def _text(self, value: Any, stack: StackTemplate, limit: int, depth: int) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if depth > _MAX_DEPTH or not isinstance(value, Mapping) or len(value) != 1:
            return _opaque(stack.key, limit)
        ((function, argument),) = value.items()
        handler = self._INTRINSICS.get(function)
        if handler is None:
            return _opaque(_label(stack.key, function.replace("::", ".")), limit)
        return handler(self, argument, stack, limit, depth + 1)

    def _ref(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str | None:
        if not isinstance(argument, str):
            return _opaque(stack.key, limit)
        if argument.startswith("AWS::"):
            return self._pseudo(argument, stack, limit)
        return self._attribute(argument, "Ref", stack, limit, depth)

    def _get_att(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, str) and "." in argument:
            logical_id, attribute = argument.split(".", 1)
        elif (
            isinstance(argument, list)
            and len(argument) == 2
            and all(isinstance(a, str) for a in argument)
        ):
            logical_id, attribute = argument
        else:
            return _opaque(_label(stack.key, "GetAtt"), limit)
        return self._attribute(logical_id, attribute, stack, limit, depth) or ""

    def _join(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[0], str)
            and isinstance(argument[1], list)
        ):
            separator: str = argument[0]
            items: list[Any] = argument[1]
            return separator.join(self._text(item, stack, limit, depth) or "" for item in items)
        return _opaque(_label(stack.key, "Join"), limit)

    def _sub(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return _opaque(_label(stack.key, "Sub"), limit)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self._text(variables[name], stack, limit, depth) or ""
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(name, stack, limit, depth)
            return self._ref(name, stack, limit, depth) or ""

        return re.sub(r"\$\{([^}]*)\}", replace, argument)

    def _import(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        name = self._text(argument, stack, limit, depth)
        exporters = [
            (exporter, value)
            for exporter, value in self._exports.get(name or "", [])
            if self._may_share_environment(exporter, stack)
        ]
        if len(exporters) == 1:
            exporter, value = exporters[0]
            return self._text(value, exporter, limit, depth) or ""
        label = name if name is not None and not _tokens.is_unresolved(name) else "ImportValue"
        if exporters:  # several environments may export it: this stack's is its own
            label = _label(stack.key, label)
        return _opaque(_label("ImportValue", label), limit)

    @staticmethod
    def _may_share_environment(one: StackTemplate, other: StackTemplate) -> bool:
        """Whether the two stacks may deploy to the same account and region."""
        return not any(
            _concrete(mine) and _concrete(theirs) and mine != theirs
            for mine, theirs in ((one.account, other.account), (one.region, other.region))
        )

    def _select(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, list) and len(argument) == 2:
            index, items = argument
            if isinstance(items, Mapping) and set(items) == {"Fn::Split"}:
                split = items["Fn::Split"]
                if isinstance(split, list) and len(split) == 2 and isinstance(split[0], str):
                    source = self._text(split[1], stack, limit, depth)
                    if source is not None and not _tokens.is_unresolved(source):
                        items = source.split(split[0])
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return self._text(items[int(index)], stack, limit, depth) or ""
        return _opaque(_label(stack.key, "Select"), limit)

    def _if(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, list) and len(argument) == 3:
            branches = [self._text(branch, stack, limit, depth) or "" for branch in argument[1:]]
            if branches[0] == branches[1]:
                return branches[0]
            longest = max(_render.max_length(branch) for branch in branches)
            return _opaque(_label(stack.key, "If"), longest)
        return _opaque(_label(stack.key, "If"), limit)

    _INTRINSICS: Mapping[str, Callable[[Resolver, Any, StackTemplate, int, int], str | None]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Join": _join,
        "Fn::Sub": _sub,
        "Fn::ImportValue": _import,
        "Fn::Select": _select,
        "Fn::If": _if,
    }

    def _pseudo(self, name: str, stack: StackTemplate, limit: int) -> str | None:
        if name == "AWS::AccountId":
            return self.account(stack)
        if name == "AWS::Region":
            return self.region(stack)
        if name == "AWS::Partition":
            return self.partition(stack)
        if name == "AWS::StackName":
            return self.stack_name(stack)
        if name == "AWS::URLSuffix":
            known = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}.get(
                self.partition(stack)
            )
            return known or _render.bounded_marker(_label(stack.key, "AWS.URLSuffix"), 20)
        if name == "AWS::NoValue":
            return None
        return _opaque(_label(stack.key, name.replace("::", ".")), limit)

    # --- resources ---------------------------------------------------------------------------

    def _resource(self, logical_id: str, stack: StackTemplate) -> tuple[StackTemplate, Any]:
        """The resource ``logical_id`` names from ``stack``, and the stack that holds it.

        Before a CDK app is synthesized, a reference to another stack's resource is still a
        plain ``Ref``/``Fn::GetAtt``; it is found in the one other stack that has that logical
        ID (when several do, it stays unknown).
        """
        resource = stack.resources.get(logical_id)
        if resource is not None:
            return stack, resource
        holders = self._by_logical_id.get(logical_id, [])
        if len(holders) == 1:
            return holders[0], holders[0].resources[logical_id]
        return stack, None

    def _attribute(
        self, logical_id: str, attribute: str, stack: StackTemplate, limit: int, depth: int
    ) -> str | None:
        if attribute == "Ref" and logical_id in stack.parameters:
            return self._parameter(logical_id, stack, limit)
        holder, resource = self._resource(logical_id, stack)
        label = _label(holder.key, logical_id)
        if not isinstance(resource, Mapping):
            return _opaque(_label(label, attribute), limit)
        kind = _KINDS.get(str(resource.get("Type")))
        if kind is not None:
            properties = resource.get("Properties") or {}
            built = kind(self, holder, logical_id, properties, attribute, depth)
            if built is not None:
                return built
        return _opaque(_label(label, attribute), limit)

    def _parameter(self, logical_id: str, stack: StackTemplate, limit: int) -> str:
        definition = stack.parameters[logical_id]
        bound = limit
        max_length = definition.get("MaxLength")
        allowed = definition.get("AllowedValues")
        if isinstance(max_length, int | str) and str(max_length).isdigit():
            bound = min(bound, int(max_length))
        if isinstance(allowed, list) and allowed:
            bound = min(bound, max(len(str(value)) for value in allowed))
        return _opaque(_label(stack.key, logical_id), bound)

    def name(
        self,
        stack: StackTemplate,
        logical_id: str,
        properties: Mapping[str, Any],
        key: str,
        max_length: int,
        depth: int,
    ) -> str:
        """A resource's name: its literal (or partly literal) property, else a marker."""
        value = properties.get(key)
        if value is not None:
            text = self._text(value, stack, max_length, depth + 1)
            if text is not None:
                return _render.cap(text, max_length)
        return _render.bounded_marker(_label(stack.key, logical_id, key), max_length)

    def function_arn_of(self, stack: StackTemplate, logical_id: str, depth: int = 0) -> str:
        """The ARN of the ``AWS::Lambda::Function`` ``logical_id`` of ``stack``."""
        resource = stack.resources.get(logical_id) or {}
        properties = resource.get("Properties") or {}
        name = self.name(
            stack, logical_id, properties, "FunctionName", FUNCTION_NAME_MAX_LENGTH, depth
        )
        return self._arn(stack, "lambda", f"function:{name}", regional=True)

    # --- functions ---------------------------------------------------------------------------

    def function_target(self, value: Any, stack: StackTemplate) -> Target:
        """The function and qualifier a FunctionName value designates."""
        key = (stack.key, json.dumps(value, sort_keys=True, default=str))
        found = self._targets.get(key)
        if found is None:
            found = self._function_target(value, stack)
            self._targets[key] = found
        return found

    def _function_target(self, value: Any, stack: StackTemplate) -> Target:
        text = self._text(value, stack, FUNCTION_NAME_PARAMETER_MAX, 0) or ""
        if not _tokens.is_unresolved(text) and check_field("FunctionName", text) is not None:
            return self._opaque_target(text, stack)  # invalid: Lambda refuses it (LP101)
        parts = text.split(":")
        if any(_OPAQUE in part for part in parts):
            return self._opaque_target(text, stack)
        partition, region, account = None, None, None
        if parts[0] == "arn" and len(parts) in (7, 8) and parts[5] == "function":
            partition, region, account, name, rest = (
                parts[1],
                parts[3],
                parts[4],
                parts[6],
                parts[7:],
            )
        elif len(parts) in (3, 4) and parts[1] == "function":
            account, name, rest = parts[0], parts[2], parts[3:]
        elif len(parts) in (4, 5) and parts[2] == "function":
            region, account, name, rest = parts[0], parts[1], parts[3], parts[4:]
        elif len(parts) in (1, 2):
            name, rest = parts[0], parts[1:]
        else:
            return self._opaque_target(text, stack)
        if region is None:
            region = self.region(stack)
        if partition is None:
            partition = _render.partition_of(region) or self.partition(stack)
        if account is None:
            account = self.account(stack)
        arn = f"arn:{partition}:lambda:{region}:{account}:function:{name}"
        qualifier = rest[0] if rest else None
        return Target(arn=arn, qualifier=qualifier, defined_in=self.definitions().get(arn))

    def _opaque_target(self, text: str, stack: StackTemplate) -> Target:
        if not _tokens.is_unresolved(text):
            return Target(arn=text, qualifier=None, defined_in=None)
        # A name, partial ARN or ARN, maybe qualified: the Resource is at most the longest ARN.
        prefix = len("arn::lambda::") + PARTITION_MAX_LENGTH + REGION_MAX_LENGTH + ACCOUNT_LENGTH
        bound = prefix + len(":function:") + FUNCTION_NAME_PARAMETER_MAX
        labels = _render.marker_bounds(text)
        label = labels[0][0] if labels else _label(stack.key, "FunctionName")
        return Target(arn=_render.bounded_marker(label, bound), qualifier=None, defined_in=None)

    def definitions(self) -> Mapping[str, tuple[str, str]]:
        """The ARN of every ``AWS::Lambda::Function`` of the stacks, with where it is defined."""
        if self._definitions is None:
            self._definitions = {}
            for stack in self._stacks.values():
                for logical_id, resource in stack.resources.items():
                    if isinstance(resource, Mapping) and resource.get("Type") == FUNCTION_TYPE:
                        arn = self.function_arn_of(stack, logical_id)
                        self._definitions.setdefault(arn, (stack.key, logical_id))
        return self._definitions


# --- what each kind of resource returns ------------------------------------------------------

Kind = Callable[[Resolver, StackTemplate, str, Mapping[str, Any], str, int], str | None]


def _function(
    r: Resolver, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute == "Ref":
        return r.name(s, lid, props, "FunctionName", FUNCTION_NAME_MAX_LENGTH, depth)
    if attribute == "Arn":
        return r.function_arn_of(s, lid, depth)
    return None


def _qualified_function(r: Resolver, s: StackTemplate, props: Mapping[str, Any], depth: int) -> str:
    target = r._text(props.get("FunctionName"), s, FUNCTION_NAME_PARAMETER_MAX, depth + 1) or ""
    parts = target.split(":")
    if target.startswith("arn:") and len(parts) == 7 and _OPAQUE not in target:
        return target
    if len(parts) == 1 and _OPAQUE not in target:
        return r._arn(s, "lambda", f"function:{target}", regional=True)
    return _render.bounded_marker(_OPAQUE + _label(s.key, "FunctionArn"), 140)


def _alias(
    r: Resolver, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute in ("Ref", "AliasArn"):
        name = r.name(s, lid, props, "Name", QUALIFIER_MAX_LENGTH, depth)
        return f"{_qualified_function(r, s, props, depth)}:{name}"
    return None


def _version(
    r: Resolver, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    number = _render.bounded_marker(_label(s.key, lid, "Version"), VERSION_MAX_LENGTH)
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
        r: Resolver,
        s: StackTemplate,
        lid: str,
        props: Mapping[str, Any],
        attribute: str,
        depth: int,
    ) -> str | None:
        name = r.name(s, lid, props, key, max_length, depth)
        arn = r._arn(
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
        r: Resolver,
        s: StackTemplate,
        lid: str,
        props: Mapping[str, Any],
        attribute: str,
        depth: int,
    ) -> str | None:
        generated = _render.bounded_marker(_label(s.key, lid, "Id"), max_length)
        if attribute == "Ref":
            return generated
        if arn is not None and attribute == "Arn":
            return r._arn(s, arn[0], arn[1].format(id=generated), regional=True)
        if attribute_values and attribute in attribute_values:
            return _render.bounded_marker(
                _label(s.key, lid, attribute), attribute_values[attribute]
            )
        return None

    return kind


def _stage(
    r: Resolver, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    if attribute == "Ref":
        return r.name(s, lid, props, "StageName", 128, depth)
    return None


def _events_rule(
    r: Resolver, s: StackTemplate, lid: str, props: Mapping[str, Any], attribute: str, depth: int
) -> str | None:
    name = r.name(s, lid, props, "Name", 64, depth)
    bus = props.get("EventBusName")
    path = f"rule/{name}"
    if bus is not None:
        bus_text = _render.cap(r._text(bus, s, 256, depth + 1) or "default", 256)
        if bus_text != "default":
            path = f"rule/{bus_text}/{name}"
    if attribute == "Arn":
        return r._arn(s, "events", path, regional=True)
    if attribute == "Ref":
        return name if bus is None else None
    return None


_KINDS: Mapping[str, Kind] = {
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
