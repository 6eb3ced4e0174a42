"""Front end: the ``AWS::Lambda::Permission`` resources of a CloudFormation template.

Intrinsic functions become deploy-time markers (``_core.tokens``), so the same rules check a
template as check the constructs: what is literal is checked, the rest is reported as not checked.
``Fn::Join`` and ``Fn::Sub`` keep their literal text, so a partly known ARN is checked too; a
dynamic reference (``{{resolve:ssm:...}}``) is a deploy-time value. A resource whose properties
hold ``Fn::If`` is read once per way its conditions can go, so each branch is checked.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._core import tokens
from .._core.findings import ACKNOWLEDGED_RULES
from .._core.model import Permission
from .._rules.documented import resolve_function
from .stacks import StackTemplate

PERMISSION_TYPE = "AWS::Lambda::Permission"

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(?:[^{}]|\$\{[^{}]*\})*\}\}")
"""A dynamic reference (``{{resolve:ssm:name}}``, ``{{resolve:secretsmanager:...}}``,
``{{resolve:ssm-secure:...}}``): CloudFormation puts the parameter's or secret's value in its
place at deploy time. It may hold a ``Fn::Sub`` variable."""

MAX_CONDITIONS = 6
"""Conditions of one resource read branch by branch (64 variants); ``Fn::If`` on any further
condition is read as a deploy-time value."""


@dataclass(frozen=True, slots=True)
class TemplatePermission:
    """One ``AWS::Lambda::Permission`` of a template, read into the model.

    A resource whose properties hold ``Fn::If`` is read once per branch, so each branch's grant
    is checked as CloudFormation would create it: ``conditions`` says which branch this one is.
    """

    template: str
    """The template's name (its file stem, or the stack name)."""
    logical_id: str
    """The resource's logical ID."""
    permission: Permission
    """The permission it grants."""
    acknowledged: Mapping[str, str]
    """Rules acknowledged on the resource (its ``aws:cdk:acknowledged-rules`` metadata)."""
    conditions: tuple[tuple[str, bool], ...] = ()
    """The CloudFormation conditions this reading assumes, with the value assumed: the
    resource's own ``Condition`` (``True``: it exists only then) and each condition an
    ``Fn::If`` of its properties tests (``True``: the first branch). Default: - none, the
    permission is the same whichever way its conditions go."""


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """A permission resource that cannot be read as CloudFormation would read it."""

    logical_id: str
    """The resource's logical ID."""
    message: str
    """What is wrong, in one line."""


def value_text(value: Any) -> str | None:
    """A property value as a string, intrinsics encoded as deploy-time markers.

    ``None`` for an absent value (``None`` or ``Ref AWS::NoValue``). Literal text stays as it
    is, but for dynamic references (``{{resolve:...}}``), which are deploy-time values;
    ``Fn::Join`` and ``Fn::Sub`` keep their literal parts (``Fn::Sub``'s variables map
    included), ``Fn::Select`` of a literal list is its item, ``Fn::If`` whose branches read
    alike is that text; anything else is one marker.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _literal(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        return _intrinsic(str(function), argument)
    return tokens.marker("value")


def _literal(text: str) -> str:
    """``text``, with each dynamic reference as a deploy-time marker."""
    if "{{resolve:" not in text:
        return text
    return DYNAMIC_REFERENCE.sub(lambda m: tokens.marker(dynamic_reference_label(m)), text)


def dynamic_reference_label(match: re.Match[str]) -> str:
    """A marker label for the dynamic reference ``match`` found: its text inside the braces."""
    return re.sub(r"[${}\[\]\s]", "_", match.group(0)[2:-2])


def _intrinsic(function: str, argument: Any) -> str | None:
    if function == "Ref":
        if argument == "AWS::NoValue":
            return None
        return tokens.marker(f"Ref:{argument}")
    if function == "Fn::Join" and _is_join(argument):
        separator, items = argument
        return str(separator).join(value_text(item) or "" for item in items)
    if function == "Fn::Sub":
        return _sub(argument)
    if function == "Fn::GetAtt":
        if isinstance(argument, list):
            return tokens.marker("GetAtt:" + ".".join(str(part) for part in argument))
        return tokens.marker(f"GetAtt:{argument}")
    if function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
        index, items = argument
        position = str(index)
        if isinstance(items, list) and position.isdigit() and int(position) < len(items):
            return value_text(items[int(position)])
    if function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
        branches = {value_text(branch) for branch in argument[1:]}
        if len(branches) == 1:
            return branches.pop()
        return tokens.marker(f"If:{argument[0]}")
    if function == "Fn::ImportValue" and isinstance(argument, str):
        return tokens.marker(f"ImportValue:{argument}")
    return tokens.marker(function)


def _sub(argument: Any) -> str:
    variables: Mapping[str, Any] = {}
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        argument, variables = argument
    if not isinstance(argument, str):
        return tokens.marker("Fn::Sub")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is the text ${Literal}
        if name in variables:
            return value_text(variables[name]) or ""
        return tokens.marker("Sub:" + name)

    # Then the dynamic references, which may hold a variable (``{{resolve:ssm:/${Env}/x}}``).
    return _literal(_SUB_VARIABLE.sub(replace, argument))


def _is_join(argument: Any) -> bool:
    return (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], list)
    )


class _Qualifier(enum.Enum):
    FROM_NAME = "FunctionName's suffix"
    """``permission_from_properties``'s default: the qualifier FunctionName ends with."""


def permission_from_properties(
    properties: Mapping[str, Any], *, qualifier: str | _Qualifier | None = _Qualifier.FROM_NAME
) -> Permission:
    """The model of one resource's properties.

    ``qualifier``, when given, is the one the permission is on, as the caller resolved it from
    FunctionName (a reference to an alias, say); by default it is FunctionName's suffix, read
    as the constructs read it.
    """
    function_name, suffix, _ = resolve_function(
        value_text(properties.get("FunctionName")) or "", None
    )
    if isinstance(qualifier, _Qualifier):
        qualifier = suffix
    via_url = properties.get("InvokedViaFunctionUrl")
    return Permission(
        function_name=function_name,
        qualifier=qualifier,
        action=value_text(properties.get("Action")) or "",
        principal=value_text(properties.get("Principal")) or "",
        source_arn=value_text(properties.get("SourceArn")),
        source_account=value_text(properties.get("SourceAccount")),
        principal_org_id=value_text(properties.get("PrincipalOrgID")),
        event_source_token=value_text(properties.get("EventSourceToken")),
        function_url_auth_type=value_text(properties.get("FunctionUrlAuthType")),
        invoked_via_function_url=_boolean(via_url),
    )


def _boolean(value: Any) -> bool | str | None:
    """A boolean property: ``True``/``False``, a deploy-time marker, or ``None`` when absent."""
    if value is None or isinstance(value, bool):
        return value
    text = value_text(value)
    if text is not None and tokens.is_unresolved(text):
        return text
    return text in ("true", "True")


def read_permissions(
    template: Mapping[str, Any], name: str = "template"
) -> tuple[list[TemplatePermission], list[TemplateProblem]]:
    """Every ``AWS::Lambda::Permission`` of ``template``, and those that cannot be read.

    Permissions come in logical-ID order, one per branch of their conditions (see
    :attr:`TemplatePermission.conditions`); a resource whose properties are not a mapping is a
    problem, and so is one whose reading fails, so that the others are still read.
    """
    found: list[TemplatePermission] = []
    problems: list[TemplateProblem] = []
    resources = template.get("Resources")
    resources = resources if isinstance(resources, Mapping) else {}
    for logical_id in sorted(resources, key=str):
        resource = resources[logical_id]
        if not isinstance(resource, Mapping) or resource.get("Type") != PERMISSION_TYPE:
            continue
        properties = resource.get("Properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping):
            problems.append(TemplateProblem(str(logical_id), "Properties is not a mapping"))
            continue
        metadata = resource.get("Metadata")
        acknowledged = metadata.get(ACKNOWLEDGED_RULES) if isinstance(metadata, Mapping) else None
        acknowledged = acknowledged if isinstance(acknowledged, Mapping) else {}
        condition = resource.get("Condition")
        assumed = {condition: True} if isinstance(condition, str) else {}
        try:
            variants = [
                (chosen, permission_from_properties(concrete))
                for chosen, concrete in branches(properties, assumed)
            ]
        except Exception as error:  # one resource never stops the others
            problems.append(
                TemplateProblem(
                    str(logical_id),
                    f"could not be read ({type(error).__name__}: {error}): a bug in "
                    "constructs-lambdaperm, please report it",
                )
            )
            continue
        if len({permission for _, permission in variants}) == 1:
            variants = [(assumed, variants[0][1])]  # the same whichever way they go
        for chosen, permission in variants:
            found.append(
                TemplatePermission(
                    template=name,
                    logical_id=str(logical_id),
                    permission=permission,
                    acknowledged={str(k): str(v) for k, v in acknowledged.items()},
                    conditions=tuple(chosen.items()),
                )
            )
    return found, problems


def permissions_in(
    template: Mapping[str, Any], name: str = "template"
) -> Iterator[TemplatePermission]:
    """Every ``AWS::Lambda::Permission`` of ``template``, in logical-ID order.

    A resource whose properties hold ``Fn::If`` comes once per branch (see
    :attr:`TemplatePermission.conditions`); one that cannot be read is left out (see
    :func:`read_permissions`).
    """
    yield from read_permissions(template, name)[0]


def branches(
    properties: Mapping[str, Any], assumed: Mapping[str, bool] | None = None
) -> Iterator[tuple[dict[str, bool], Mapping[str, Any]]]:
    """The properties once per way their ``Fn::If`` conditions can go, with the way taken.

    One condition takes the same branch wherever it is tested; a condition found only inside a
    branch is tested only where that branch is taken. ``assumed`` are conditions already
    settled (the resource's own ``Condition`` is true wherever it exists).
    Default: - none settled.
    """
    assumed = assumed or {}
    concrete, pending = _choose(properties, assumed)
    if pending is None or len(assumed) >= MAX_CONDITIONS:
        yield dict(assumed), concrete
        return
    for branch in (True, False):
        yield from branches(properties, {**assumed, pending: branch})


def _choose(value: Any, chosen: Mapping[str, bool]) -> tuple[Any, str | None]:
    """``value`` with the branch ``chosen`` of each ``Fn::If`` on its conditions.

    Also returns the first condition tested that ``chosen`` does not settle.
    """
    if isinstance(value, list):
        pending: str | None = None
        items = []
        for item in value:
            replaced, first = _choose(item, chosen)
            items.append(replaced)
            pending = pending or first
        return items, pending
    if not isinstance(value, Mapping):
        return value, None
    if len(value) == 1 and "Fn::If" in value:
        argument = value["Fn::If"]
        if isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str):
            condition = argument[0]
            if condition in chosen:
                return _choose(argument[1] if chosen[condition] else argument[2], chosen)
            return value, condition
    result: dict[str, Any] = {}
    pending = None
    for key, item in value.items():
        replaced, first = _choose(item, chosen)
        result[key] = replaced
        pending = pending or first
    # A property whose branch is AWS::NoValue is absent on that branch.
    return {k: v for k, v in result.items() if v != {"Ref": "AWS::NoValue"}}, pending


def resource_names(template: Mapping[str, Any]) -> dict[str, str]:
    """A short readable name for each resource, by logical ID.

    The construct path within the stack when the template carries ``aws:cdk:path`` metadata
    (the CDK CLI writes it), else the logical ID.
    """
    names: dict[str, str] = {}
    for logical_id, resource in _mapping(template.get("Resources")).items():
        metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
        path = metadata.get("aws:cdk:path") if isinstance(metadata, Mapping) else None
        if not isinstance(path, str) or "/" not in path:
            names[logical_id] = logical_id
            continue
        parts = path.split("/")[1:]  # drop the stack
        if len(parts) > 1 and parts[-1] in ("Resource", "Default"):
            parts = parts[:-1]
        names[logical_id] = "/".join(parts)
    return names


def stack_from_template(
    template: Mapping[str, Any],
    *,
    name: str | None = None,
    account: str | None = None,
    region: str | None = None,
    partition: str | None = None,
) -> StackTemplate:
    """What the policies need of a template: resources, parameters and exports."""
    exports: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for logical_id, output in _mapping(template.get("Outputs")).items():
        if not isinstance(output, Mapping):
            continue
        values[str(logical_id)] = output.get("Value")
        export = output.get("Export")
        if isinstance(export, Mapping) and isinstance(export.get("Name"), str):
            exports[export["Name"]] = output.get("Value")
    return StackTemplate(
        key=name or "template",
        name=name,
        resources=_mapping(template.get("Resources")),
        parameters=_mapping(template.get("Parameters")),
        exports=exports,
        account=account,
        region=region,
        partition=partition,
        outputs=values,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    """A template section that is a mapping; anything else (absent, malformed) as empty."""
    return value if isinstance(value, Mapping) else {}
