"""Front end: the ``AWS::Lambda::Permission`` resources of a CloudFormation template.

Intrinsic functions become deploy-time markers (``_tokens``), so the same rules check a template
as check the constructs: what is literal is checked, the rest is reported as not checked.
``Fn::Join`` and ``Fn::Sub`` keep their literal text, so a partly known ARN is checked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core import tokens
from .._core.findings import ACKNOWLEDGED_RULES
from .._core.model import Permission
from .._rules.documented import resolve_function
from .stacks import StackTemplate

PERMISSION_TYPE = "AWS::Lambda::Permission"

_SUB_VARIABLE = re.compile(r"\$\{([^}!]*)\}")


@dataclass(frozen=True, slots=True)
class TemplatePermission:
    """One ``AWS::Lambda::Permission`` of a template, read into the model."""

    template: str
    """The template's name (its file stem, or the stack name)."""
    logical_id: str
    """The resource's logical ID."""
    permission: Permission
    """The permission it grants."""
    acknowledged: Mapping[str, str]
    """Rules acknowledged on the resource (its ``aws:cdk:acknowledged-rules`` metadata)."""


def value_text(value: Any) -> str | None:
    """A property value as a string, intrinsics encoded as deploy-time markers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join" and _is_join(argument):
            separator, items = argument
            return str(separator).join(value_text(item) or "" for item in items)
        if function == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            return _SUB_VARIABLE.sub(lambda m: tokens.marker("Sub:" + m.group(1)), str(text))
        if function == "Ref":
            return tokens.marker(f"Ref:{argument}")
        if function == "Fn::GetAtt":
            target = ".".join(argument) if isinstance(argument, list) else str(argument)
            return tokens.marker(f"GetAtt:{target}")
        return tokens.marker(str(function))
    return tokens.marker("value")


def _is_join(argument: Any) -> bool:
    return (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], list)
    )


def permission_from_properties(properties: Mapping[str, Any]) -> Permission:
    """The model of one resource's properties."""
    # The qualifier a template carries is FunctionName's suffix, read as the constructs read it.
    function_name, qualifier, _ = resolve_function(
        value_text(properties.get("FunctionName")) or "", None
    )
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
        invoked_via_function_url=None if via_url is None else via_url in (True, "true", "True"),
    )


def permissions_in(
    template: Mapping[str, Any], name: str = "template"
) -> Iterator[TemplatePermission]:
    """Every ``AWS::Lambda::Permission`` of ``template``, in logical-ID order."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    for logical_id in sorted(resources):
        resource = resources[logical_id]
        if not isinstance(resource, Mapping) or resource.get("Type") != PERMISSION_TYPE:
            continue
        metadata = resource.get("Metadata") or {}
        acknowledged = metadata.get(ACKNOWLEDGED_RULES) or {}
        yield TemplatePermission(
            template=name,
            logical_id=logical_id,
            permission=permission_from_properties(resource.get("Properties") or {}),
            acknowledged={str(k): str(v) for k, v in acknowledged.items()},
        )


def resource_names(template: Mapping[str, Any]) -> dict[str, str]:
    """A short readable name for each resource, by logical ID.

    The construct path within the stack when the template carries ``aws:cdk:path`` metadata
    (the CDK CLI writes it), else the logical ID.
    """
    names: dict[str, str] = {}
    resources: Mapping[str, Any] = template.get("Resources") or {}
    for logical_id, resource in resources.items():
        path = ((resource or {}).get("Metadata") or {}).get("aws:cdk:path")
        if not isinstance(path, str) or "/" not in path:
            names[logical_id] = logical_id
            continue
        parts = path.split("/")[1:]  # drop the stack
        if len(parts) > 1 and parts[-1] in ("Resource", "Default"):
            parts = parts[:-1]
        names[logical_id] = "/".join(parts)
    return names


def template_files(path: Path) -> list[Path]:
    """The templates at ``path``: a file, or each ``*.template.json`` of a cloud assembly."""
    if path.is_dir():
        return sorted(path.glob("*.template.json"))
    return [path]


def load(path: Path) -> dict[str, Any]:
    """Read a JSON template."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


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
