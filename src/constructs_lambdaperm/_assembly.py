"""Front end: a synthesized cloud assembly (``cdk.out``), read as the policies need it.

Pure Python: the files the CDK wrote, no call into the CDK. A stack's template gives its
permissions and the resources they refer to; the assembly's ``manifest.json`` gives the stack's
name and its metadata (inline, or in the ``additionalMetadataFile`` it names), and the metadata
gives each resource's construct path (``aws:cdk:logicalId`` entries) and every acknowledgement
made with ``Validations.of(scope).acknowledge(...)`` (``aws:cdk:acknowledged-rules`` entries),
which the CDK records there for validation plugins to read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ._findings import ACKNOWLEDGED_RULES
from ._policy import stack_from_template
from ._references import StackTemplate
from ._template import PERMISSION_TYPE

_LOGICAL_ID = "aws:cdk:logicalId"


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """One rule acknowledged on one construct."""

    path: str
    """The construct's path (``Stack/Grant``)."""
    rule_id: str
    """The ID as written, for example ``LambdaPerm::LP306``."""
    reason: str
    """The reason given."""


@dataclass(frozen=True)
class AssemblyStack:
    """One synthesized stack: its template as the policies read it, and its acknowledgements.

    ``template`` leaves the ``AWS::Lambda::Permission`` resources out, which are most of a large
    app's templates: what other stacks' permissions may refer to is all a reader needs of every
    stack at once. :meth:`with_permissions` reads them when their stack's turn comes.
    """

    template: StackTemplate
    """The template without its permissions, keyed by the stack's construct path, with the
    resources' construct paths."""
    template_path: str
    """The template file."""
    acknowledged: tuple[Acknowledged, ...]
    """Every acknowledgement on a construct of the stack, in the order the CDK recorded them."""

    def with_permissions(self) -> StackTemplate:
        """``template`` with every resource of the file, permissions included (read again)."""
        resources = _load(Path(self.template_path)).get("Resources") or {}
        return replace(self.template, resources=resources)


def read_stack(
    template_path: str,
    construct_path: str,
    *,
    account: str | None = None,
    region: str | None = None,
    manifests: dict[Path, Mapping[str, Any]] | None = None,
) -> AssemblyStack:
    """The stack whose template is ``template_path``, in the assembly directory holding it.

    ``manifests`` caches each directory's ``manifest.json`` across calls.
    """
    path = Path(template_path)
    template = _load(path)
    artifact_id, artifact = _artifact(path, manifests if manifests is not None else {})
    properties = artifact.get("properties") or {}
    name = properties.get("stackName") or artifact_id
    metadata = artifact.get("metadata")
    if metadata is None and artifact.get("additionalMetadataFile"):
        metadata = _load(path.parent / artifact["additionalMetadataFile"])
    paths: dict[str, str] = {}
    acknowledged: list[Acknowledged] = []
    for construct, entries in (metadata or {}).items():
        where = str(construct).lstrip("/")
        for entry in entries or ():
            kind, data = entry.get("type"), entry.get("data")
            if kind == _LOGICAL_ID and isinstance(data, str):
                paths[data] = where
            elif kind == ACKNOWLEDGED_RULES and isinstance(data, Mapping):
                acknowledged.extend(Acknowledged(where, str(k), str(v)) for k, v in data.items())
    template["Resources"] = {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if not (isinstance(resource, Mapping) and resource.get("Type") == PERMISSION_TYPE)
    }
    stack = stack_from_template(template, name=name, account=account, region=region)
    return AssemblyStack(
        template=replace(stack, key=construct_path, paths=paths),
        template_path=template_path,
        acknowledged=tuple(acknowledged),
    )


def _artifact(
    template: Path, manifests: dict[Path, Mapping[str, Any]]
) -> tuple[str, Mapping[str, Any]]:
    """The manifest's artifact for the stack whose template is ``template``."""
    directory = template.parent
    if directory not in manifests:
        manifest = directory / "manifest.json"
        manifests[directory] = _load(manifest) if manifest.is_file() else {}
    for artifact_id, artifact in (manifests[directory].get("artifacts") or {}).items():
        properties = artifact.get("properties") or {}
        if properties.get("templateFile") == template.name:
            return artifact_id, artifact
    # A template outside an assembly: named after its file, with no metadata.
    return template.name.removesuffix(".template.json"), {}


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return json.load(file)
