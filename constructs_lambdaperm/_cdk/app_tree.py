"""Front end: what the policies need of a CDK app's templates, read from its construct tree.

Nothing is synthesized. One walk of the tree (``find_all``) finds every stack, every
``AWS::Lambda::Permission`` (``CfnPermission`` or a plain ``CfnResource`` of that type), every
``AWS::Lambda::ResourcePolicy`` (with its ``Metadata``), every ``AWS::Lambda::Url``, the
resources a permission can refer to (functions, aliases, versions,
and sources such as buckets and topics), the exports and the parameters. Each stack's values
are then resolved to CloudFormation intrinsics in one ``Stack.resolve`` call, so the cost grows
with the number of resources, not with the number of calls into the CDK per permission.

Before the app is synthesized, a reference to another stack's resource is still a plain
``Fn::GetAtt``; once it has been synthesized, it is an ``Fn::ImportValue`` of an export.
``_readers.references`` follows both.

Properties changed with escape hatches (``add_property_override``) are not seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda
from constructs import IConstruct

from .._readers.documents import GRANTS_METADATA, RESOURCE_POLICY_TYPE
from .._readers.resources import KINDS
from .._readers.stacks import StackTemplate
from .._readers.template import PERMISSION_TYPE
from .._readers.urls import URL_TYPE

_PERMISSION_KEYS = {
    "action": "Action",
    "eventSourceToken": "EventSourceToken",
    "functionName": "FunctionName",
    "functionUrlAuthType": "FunctionUrlAuthType",
    "invokedViaFunctionUrl": "InvokedViaFunctionUrl",
    "principal": "Principal",
    "principalOrgId": "PrincipalOrgID",
    "sourceAccount": "SourceAccount",
    "sourceArn": "SourceArn",
}
"""``CfnPermission``'s property names in the CDK and in CloudFormation."""


_WANTED_TYPES = frozenset({PERMISSION_TYPE, *KINDS})

_TYPE_OF_CLASS: dict[type, str | None] = {}


def _resource_type(node: cdk.CfnResource) -> str:
    cls = type(node)
    if cls not in _TYPE_OF_CLASS:
        _TYPE_OF_CLASS[cls] = getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
    known = _TYPE_OF_CLASS[cls]
    return known if known is not None else node.cfn_resource_type


class _Paths(Mapping[str, str]):
    """Construct paths by logical ID, asked of the CDK only for the ones a message shows."""

    def __init__(self, nodes: Mapping[str, IConstruct]) -> None:
        self._nodes = nodes
        self._paths: dict[str, str] = {}

    def __getitem__(self, logical_id: str) -> str:
        if logical_id not in self._paths:
            self._paths[logical_id] = self._nodes[logical_id].node.path
        return self._paths[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


class _StackNodes:
    def __init__(self, stack: cdk.Stack) -> None:
        self.stack = stack
        self.permissions: list[cdk.CfnResource] = []
        self.urls: list[cdk.CfnResource] = []
        self.documents: list[cdk.CfnResource] = []
        self.resources: list[tuple[cdk.CfnResource, str]] = []
        self.outputs: list[cdk.CfnOutput] = []
        self.parameters: list[cdk.CfnParameter] = []


def app_stacks(source: IConstruct) -> tuple[list[StackTemplate], set[str] | None]:
    """The stacks to read for ``source``, and the keys of those it asks about.

    For an App or a Stage every stack is asked about (``None``); for a Stack, the whole app is
    read (its functions may have permissions elsewhere) and that stack and its nested stacks
    are asked about.
    """
    if isinstance(source, cdk.Stack):
        root = source.node.root
        nested = [node for node in source.node.find_all() if isinstance(node, cdk.Stack)]
        stacks = read_stacks(root)
        return stacks, {_stack_key(stack) for stack in nested}
    if isinstance(source, cdk.Stage):
        return read_stacks(source), None
    raise TypeError(
        f"resource_policies() takes an App, a Stage, a Stack or a template dict, not "
        f"{type(source).__name__}"
    )


def _stack_key(stack: cdk.Stack) -> str:
    return stack.node.path or stack.stack_name


def read_stacks(root: IConstruct) -> list[StackTemplate]:
    """Every stack under ``root`` (``root`` included), with what the policies need of it."""
    return [template for template, _ in read_stack_nodes(root)]


def read_stack_nodes(root: IConstruct) -> list[tuple[StackTemplate, Mapping[str, IConstruct]]]:
    """Every stack under ``root``, and the construct of each resource read, by logical ID."""
    nodes = root.node.find_all()
    return [_read(entry) for entry in _assign(nodes)]


def _assign(nodes: list[IConstruct]) -> list[_StackNodes]:
    """Sort the relevant nodes by the innermost stack holding them (``nodes`` is pre-order)."""
    found: list[_StackNodes] = []
    open_stacks: list[tuple[int, _StackNodes]] = []  # (end index, stack)
    for index, node in enumerate(nodes):
        while open_stacks and open_stacks[-1][0] <= index:
            open_stacks.pop()
        if isinstance(node, cdk.Stack):
            entry = _StackNodes(node)
            found.append(entry)
            open_stacks.append((index + len(node.node.find_all()), entry))
            continue
        if not open_stacks:
            continue
        current = open_stacks[-1][1]
        if isinstance(node, cdk.CfnResource):
            if isinstance(node, aws_lambda.CfnPermission):
                current.permissions.append(node)
                continue
            resource_type = _resource_type(node)
            if resource_type == PERMISSION_TYPE:
                current.permissions.append(node)
            elif resource_type == URL_TYPE:
                current.urls.append(node)
            elif resource_type == RESOURCE_POLICY_TYPE:
                current.documents.append(node)
            elif resource_type in _WANTED_TYPES:
                current.resources.append((node, resource_type))
        elif isinstance(node, cdk.CfnOutput):
            current.outputs.append(node)
        elif isinstance(node, cdk.CfnParameter):
            current.parameters.append(node)
    return found


def _literal(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _read(entry: _StackNodes) -> tuple[StackTemplate, Mapping[str, IConstruct]]:
    stack = entry.stack
    payload = {
        "env": [stack.account, stack.region, stack.stack_name],
        "permissions": [[p.logical_id, p._cfn_properties] for p in entry.permissions],
        "urls": [[u.logical_id, u._cfn_properties] for u in entry.urls],
        "documents": [
            [d.logical_id, d._cfn_properties, d.get_metadata(GRANTS_METADATA)]
            for d in entry.documents
        ],
        "resources": [
            [
                r.logical_id,
                {k: v for k, v in r._cfn_properties.items() if _literal(v)},
            ]
            for r, _ in entry.resources
        ],
        "outputs": [[name, o.value] for o in entry.outputs if (name := o.export_name)],
        "parameters": [
            [p.logical_id, {"MaxLength": p.max_length, "AllowedValues": p.allowed_values}]
            for p in entry.parameters
        ],
    }
    resolved = {key: value or [] for key, value in stack.resolve(payload).items()}
    account, region, name = resolved["env"]
    resources: dict[str, Mapping[str, Any]] = {}
    nodes: dict[str, IConstruct] = {}
    for (logical_id, properties), node in zip(
        resolved["permissions"], entry.permissions, strict=True
    ):
        renamed = {_PERMISSION_KEYS.get(k, _pascal(k)): v for k, v in (properties or {}).items()}
        resources[logical_id] = {"Type": PERMISSION_TYPE, "Properties": renamed}
        nodes[logical_id] = node
    for (logical_id, properties), node in zip(resolved["urls"], entry.urls, strict=True):
        renamed = {_pascal(k): v for k, v in (properties or {}).items()}
        resources[logical_id] = {"Type": URL_TYPE, "Properties": renamed}
        nodes[logical_id] = node
    for (logical_id, properties, grants), node in zip(
        resolved["documents"], entry.documents, strict=True
    ):
        renamed = {_pascal(k): v for k, v in (properties or {}).items()}
        document: dict[str, Any] = {"Type": RESOURCE_POLICY_TYPE, "Properties": renamed}
        if grants is not None:
            document["Metadata"] = {GRANTS_METADATA: grants}
        resources[logical_id] = document
        nodes[logical_id] = node
    for (logical_id, properties), (node, resource_type) in zip(
        resolved["resources"], entry.resources, strict=True
    ):
        renamed = {_pascal(k): v for k, v in (properties or {}).items()}
        resources[logical_id] = {"Type": resource_type, "Properties": renamed}
        nodes[logical_id] = node
    exports = {name: value for name, value in resolved["outputs"] if isinstance(name, str) and name}
    parameters = {
        logical_id: {k: v for k, v in definition.items() if v is not None}
        for logical_id, definition in resolved["parameters"]
    }
    top, nested = stack, False
    while (nested_parent := top.nested_stack_parent) is not None:
        top, nested = nested_parent, True
    stage = cdk.Stage.of(stack)
    template = StackTemplate(
        key=_stack_key(stack),
        name=name if isinstance(name, str) else None,
        resources=resources,
        parameters=parameters,
        exports=exports,
        account=account if isinstance(account, str) else None,
        region=region if isinstance(region, str) else None,
        paths=_Paths(nodes),
        # The CDK refers across stacks only within a Stage; a nested stack deploys to its
        # top-level stack's environment.
        assembly=stage.node.path if stage is not None else "",
        environment=_stack_key(top) if nested else None,
    )
    return template, nodes


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]
