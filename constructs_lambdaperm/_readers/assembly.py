"""Front end: a synthesized cloud assembly (``cdk.out``), read as the policies need it.

Pure Python: the files the CDK wrote, no call into the CDK. A stack's template gives its
permissions and the resources they refer to; the assembly's ``manifest.json`` gives the stack's
name and its metadata (inline, or in the ``additionalMetadataFile`` it names), and the metadata
gives each resource's construct path (``aws:cdk:logicalId`` entries) and every acknowledgement
made with ``Validations.of(scope).acknowledge(...)`` on a construct of the stack
(``aws:cdk:acknowledged-rules`` entries), which the CDK records there for validation plugins.

A nested stack has no artifact of its own: its template is a file asset of its top-level stack
(the asset manifest names the file, the ``TemplateURL`` of its ``AWS::CloudFormation::Stack``
resource the asset's hash), and its constructs' metadata is in the top-level stack's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._core.findings import ACKNOWLEDGED_RULES
from .stacks import StackTemplate
from .template import PERMISSION_TYPE, stack_from_template

_LOGICAL_ID = "aws:cdk:logicalId"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
_NESTED_SCOPE = ".NestedStack"
_NESTED_RESOURCE = ".NestedStackResource"
_STACK_ARTIFACT = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"


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
    """Every acknowledgement on a construct of the stack or its nested stacks, the last one per
    construct and rule (a nested stack's own are on its top-level stack)."""

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
) -> list[AssemblyStack]:
    """The stack whose template is ``template_path``, then its nested stacks, depth first.

    The stack is keyed by ``construct_path``; a nested stack by its own construct path, with
    its parent's account and region and no name (CloudFormation generates it). The
    acknowledgements of the whole tree are on the first. ``manifests`` caches each assembly
    directory's manifests across calls.
    """
    path = Path(template_path)
    cache = manifests if manifests is not None else {}
    artifact_id, artifact = _artifact(path, cache)
    name = (artifact.get("properties") or {}).get("stackName") or artifact_id
    metadata = artifact.get("metadata")
    if metadata is None and artifact.get("additionalMetadataFile"):
        metadata = _load(path.parent / artifact["additionalMetadataFile"])
    logical_ids: list[tuple[str, str]] = []  # (construct path, logical ID)
    acknowledged: dict[tuple[str, str], str] = {}
    for construct, entries in (metadata or {}).items():
        where = str(construct).lstrip("/")
        for entry in entries or ():
            kind, data = entry.get("type"), entry.get("data")
            if kind == _LOGICAL_ID and isinstance(data, str):
                logical_ids.append((where, data))
            elif kind == ACKNOWLEDGED_RULES and isinstance(data, Mapping):
                # As the CDK reads them: a later acknowledgement of a rule on the same
                # construct replaces the earlier one.
                acknowledged.update({(where, str(k)): str(v) for k, v in data.items()})
    nested_paths = {
        nested for where, _ in logical_ids if (nested := _nested_stack_path(where)) is not None
    }
    paths = _paths_by_stack(logical_ids, {construct_path, *nested_paths})
    files: dict[str, Path] | None = None  # read when a nested stack is found
    found: list[AssemblyStack] = []

    def read(file: Path, key: str, stack_name: str | None, parent: tuple[str, str] | None) -> None:
        template = _load(file)
        resources = template.get("Resources") or {}
        stack = stack_from_template(
            {**template, "Resources": _without_permissions(resources)},
            name=stack_name,
            account=account,
            region=region,
        )
        own = paths.get(key, {})
        found.append(
            AssemblyStack(
                template=replace(
                    stack,
                    key=key,
                    paths=own,
                    parent=parent,
                    # A Stage's stacks are the templates of one assembly directory.
                    assembly=str(path.parent),
                    environment=None if parent is None else construct_path,
                ),
                template_path=str(file),
                acknowledged=(),
            )
        )
        nonlocal files
        for logical_id, resource in resources.items():
            if not (isinstance(resource, Mapping) and resource.get("Type") == NESTED_STACK_TYPE):
                continue
            if files is None:
                files = _nested_templates(path.parent, cache)
            nested_key = _nested_stack_path(own.get(logical_id, ""))
            nested_file = _template_file(resource, files)
            if nested_key is not None and nested_file is not None:
                read(nested_file, nested_key, None, (key, logical_id))

    read(path, construct_path, name, None)
    found[0] = replace(
        found[0],
        acknowledged=tuple(Acknowledged(p, rule, why) for (p, rule), why in acknowledged.items()),
    )
    return found


def read_assembly(
    directory: Path, *, on_error: Callable[[str, Exception], None] | None = None
) -> list[AssemblyStack]:
    """Every stack of the cloud assembly in ``directory`` (a ``cdk.out``), nested ones included.

    As the CDK lists them to its validation plugins: each ``aws:cloudformation:stack`` artifact
    of ``manifest.json`` (keyed by its construct path, with the account and region of its
    environment when they are known), then the stacks of each nested assembly (a ``Stage``'s,
    a ``cdk:cloud-assembly`` artifact), depth first.

    :param on_error: called with a stack's template file and the error when the stack cannot be
        read; that stack is then left out and the others are read. Default: - the error is
        raised.
    """
    manifests: dict[Path, Mapping[str, Any]] = {}
    found: list[AssemblyStack] = []
    seen: set[Path] = set()

    def read(assembly: Path) -> None:
        resolved = assembly.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        artifacts = _manifest(assembly, manifests).get("artifacts") or {}
        for artifact_id, artifact in artifacts.items():
            properties = artifact.get("properties") or {}
            if artifact.get("type") == _STACK_ARTIFACT and properties.get("templateFile"):
                account, region = _environment(artifact.get("environment"))
                template = str(assembly / str(properties["templateFile"]))
                try:
                    stacks = read_stack(
                        template,
                        str(artifact.get("displayName") or artifact_id),
                        account=account,
                        region=region,
                        manifests=manifests,
                    )
                except Exception as error:
                    if on_error is None:
                        raise
                    on_error(template, error)
                    continue
                found.extend(stacks)
            elif artifact.get("type") == _NESTED_ASSEMBLY and properties.get("directoryName"):
                read(assembly / str(properties["directoryName"]))

    read(directory)
    return found


OUTSIDE_STACKS_FILE = "lambdaperm.acknowledgements.json"
"""The file in which the guard records, in a cloud assembly, the acknowledgements made outside
any stack (on the App, a Stage): the CDK records a stack's constructs' only, so without it a
``cdk.out`` read back would not know them."""


def write_outside_stacks(directory: Path, acknowledged: Sequence[Acknowledged]) -> None:
    """Record ``acknowledged`` (acknowledgements outside any stack) in the assembly."""
    entries = sorted({(a.path, a.rule_id, a.reason) for a in acknowledged})
    document = {
        "version": 1,
        "acknowledged": [{"path": p, "rule_id": r, "reason": why} for p, r, why in entries],
    }
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    target = directory / OUTSIDE_STACKS_FILE
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def read_outside_stacks(directory: Path) -> list[Acknowledged]:
    """The acknowledgements outside any stack the guard recorded in the assembly, if any.

    A Stage's own assembly is inside the app's (its parent holds ``manifest.json`` too): the
    app's record counts for it. A record that cannot be read is ignored, as if absent.
    """
    folders = [directory]
    if (directory.parent / "manifest.json").is_file():
        folders.append(directory.parent)
    for folder in folders:
        file = folder / OUTSIDE_STACKS_FILE
        if not file.is_file():
            continue
        try:
            data = _load(file)
        except (OSError, ValueError):  # truncated or not JSON: the record is lost, not the run
            return []
        entries = data.get("acknowledged") if isinstance(data, Mapping) else None
        if not isinstance(entries, list):
            return []
        return [
            Acknowledged(str(e["path"]), str(e["rule_id"]), str(e["reason"]))
            for e in entries
            if isinstance(e, Mapping) and {"path", "rule_id", "reason"} <= set(e)
        ]
    return []


def _environment(environment: Any) -> tuple[str | None, str | None]:
    """Account and region of an artifact's ``aws://account/region``; unknown ones ``None``."""
    if not isinstance(environment, str) or not environment.startswith("aws://"):
        return None, None
    account, _, region = environment.removeprefix("aws://").partition("/")
    return (
        None if account.startswith("unknown-") or not account else account,
        None if region.startswith("unknown-") or not region else region,
    )


def _without_permissions(resources: Mapping[str, Any]) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if not (isinstance(resource, Mapping) and resource.get("Type") == PERMISSION_TYPE)
    }


def _nested_stack_path(resource_path: str) -> str | None:
    """A nested stack's construct path (``Parent/Nested``) from its resource's path.

    The CDK puts the resource at ``Parent/Nested.NestedStack/Nested.NestedStackResource``.
    """
    parent, _, rest = resource_path.rpartition("/")
    scope, _, resource = parent.rpartition("/")
    if not (rest.endswith(_NESTED_RESOURCE) and resource.endswith(_NESTED_SCOPE)):
        return None
    name = rest.removesuffix(_NESTED_RESOURCE)
    if resource.removesuffix(_NESTED_SCOPE) != name or not scope:
        return None
    return f"{scope}/{name}"


def _paths_by_stack(
    logical_ids: list[tuple[str, str]], stacks: set[str]
) -> dict[str, dict[str, str]]:
    """Each stack's construct paths by logical ID: a construct belongs to its innermost stack."""
    by_stack: dict[str, dict[str, str]] = {}
    for where, logical_id in logical_ids:
        owner = where
        while owner and owner not in stacks:
            owner = owner.rpartition("/")[0]
        if owner:
            by_stack.setdefault(owner, {})[logical_id] = where
    return by_stack


def _nested_templates(directory: Path, cache: dict[Path, Mapping[str, Any]]) -> dict[str, Path]:
    """The nested stacks' template files of an assembly directory, by asset hash."""
    manifest = _manifest(directory, cache)
    files: dict[str, Path] = {}
    for artifact in (manifest.get("artifacts") or {}).values():
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        asset_file = directory / str((artifact.get("properties") or {}).get("file", ""))
        if not asset_file.is_file():
            continue
        for asset_hash, asset in (_load(asset_file).get("files") or {}).items():
            source = str((asset.get("source") or {}).get("path", ""))
            if source.endswith(".template.json"):
                files[str(asset_hash)] = directory / source
    return files


def _template_file(resource: Mapping[str, Any], files: Mapping[str, Path]) -> Path | None:
    """The template file a nested stack's ``TemplateURL`` points at, if it is in the assembly."""
    url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
    for asset_hash, file in files.items():
        if asset_hash in url and file.is_file():
            return file
    return None


def _manifest(directory: Path, cache: dict[Path, Mapping[str, Any]]) -> Mapping[str, Any]:
    if directory not in cache:
        manifest = directory / "manifest.json"
        cache[directory] = _load(manifest) if manifest.is_file() else {}
    return cache[directory]


def _artifact(
    template: Path, manifests: dict[Path, Mapping[str, Any]]
) -> tuple[str, Mapping[str, Any]]:
    """The manifest's artifact for the stack whose template is ``template``."""
    artifacts = _manifest(template.parent, manifests).get("artifacts") or {}
    for artifact_id, artifact in artifacts.items():
        properties = artifact.get("properties") or {}
        if properties.get("templateFile") == template.name:
            return artifact_id, artifact
    # A template outside an assembly: named after its file, with no metadata.
    return template.name.removesuffix(".template.json"), {}


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return json.load(file)
