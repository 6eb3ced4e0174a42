"""Template files: which files a path holds, and each read as a template dict (JSON or YAML).

A path is a template file, a folder of templates, or a cloud assembly (a ``cdk.out``: its
``manifest.json`` lists its stacks and, for each ``Stage``, a nested assembly in a folder of its
own). Whatever cannot be read (a missing, empty or truncated file, text that is neither JSON nor
YAML, a document that is not a template) raises :class:`TemplateError`, whose message names the
file and says what is wrong in one line, so a caller can report it and go on with the others.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cfn_yaml import YamlTemplateError, load_yaml

MANIFEST = "manifest.json"
_STACK_ARTIFACT = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"
_TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_ASSEMBLY_FILES = (".assets.json", ".metadata.json")
"""The files of a cloud assembly that are not templates."""
_NOT_TEMPLATES = frozenset({MANIFEST, "tree.json", "cdk.out", "validation-report.json"})


class TemplateError(ValueError):
    """A file that cannot be read as a CloudFormation template; the message names it."""


@dataclass(frozen=True, slots=True)
class TemplateFile:
    """One template to read, and the name to show it by."""

    path: Path
    """The file."""
    name: str
    """The stack's construct path in a cloud assembly (``Prod/Api``), else the file's stem."""


def template_files(path: Path) -> list[TemplateFile]:
    """The templates at ``path``.

    A file is itself; a cloud assembly (a folder with ``manifest.json``) gives every template in
    it and in its nested assemblies, stacks named by their construct path; any other folder its
    ``.json``, ``.yaml``, ``.yml`` and ``.template`` files.
    """
    if not path.is_dir():
        return [TemplateFile(path, _stem(path))]
    if (path / MANIFEST).is_file():
        return _assembly_files(path)
    return [
        TemplateFile(file, _stem(file))
        for file in sorted(path.iterdir())
        if file.is_file() and _may_be_template(file)
    ]


def _may_be_template(file: Path) -> bool:
    name = file.name
    return (
        name.endswith(_TEMPLATE_SUFFIXES)
        and name not in _NOT_TEMPLATES
        and not name.endswith(_ASSEMBLY_FILES)
    )


def _stem(file: Path) -> str:
    name = file.name
    for suffix in (".template.json", ".template.yaml", ".template.yml", *_TEMPLATE_SUFFIXES):
        if name.endswith(suffix) and name != suffix:
            return name.removesuffix(suffix)
    return name


def _assembly_files(directory: Path) -> list[TemplateFile]:
    """Every template of a cloud assembly and of its nested assemblies, depth first.

    The stacks' templates by their construct path (the manifest's ``displayName``); the files
    left (nested stacks' templates, file assets of their stack) by their file name.
    """
    found: list[TemplateFile] = []
    seen: set[Path] = set()

    def read(assembly: Path) -> None:
        if assembly.resolve() in seen:
            return
        seen.add(assembly.resolve())
        try:
            manifest = load_json(assembly / MANIFEST)
        except TemplateError:
            manifest = {}
        artifacts = manifest.get("artifacts") if isinstance(manifest, Mapping) else None
        named: dict[str, str] = {}
        nested: list[Path] = []
        for artifact_id, artifact in (artifacts if isinstance(artifacts, Mapping) else {}).items():
            if not isinstance(artifact, Mapping):
                continue
            properties = artifact.get("properties")
            properties = properties if isinstance(properties, Mapping) else {}
            if artifact.get("type") == _STACK_ARTIFACT and properties.get("templateFile"):
                named[str(properties["templateFile"])] = str(
                    artifact.get("displayName") or artifact_id
                )
            elif artifact.get("type") == _NESTED_ASSEMBLY and properties.get("directoryName"):
                nested.append(assembly / str(properties["directoryName"]))
        for file in sorted(assembly.glob("*.template.json")):
            found.append(TemplateFile(file, named.pop(file.name, "") or _stem(file)))
        for file_name, name in sorted(named.items()):  # listed, but not where it should be
            found.append(TemplateFile(assembly / file_name, name))
        for directory in nested:
            read(directory)

    read(directory)
    return found


def load_json(path: Path) -> Any:
    """The JSON document in ``path``.

    :raises TemplateError: naming the file, when it is missing, empty or not valid JSON.
    """
    text = _read(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateError(
            f"{path}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise TemplateError(f"{path}: not valid JSON: nested too deeply") from None


def load_template(path: Path) -> dict[str, Any]:
    """The template in ``path``, JSON or YAML (short-form tags in long form), as a dict.

    JSON when the text starts with ``{``, else YAML (of which JSON is a subset).

    :raises TemplateError: naming the file, when it is missing, empty, truncated, not JSON or
        YAML, or not a template (a mapping with a ``Resources`` mapping).
    """
    text = _read(path)
    if text.lstrip().startswith("{"):
        template = load_json(path)
    else:
        try:
            template = load_yaml(text)
        except YamlTemplateError as error:
            raise TemplateError(f"{path}: {error}") from None
        except RecursionError:
            raise TemplateError(f"{path}: not valid YAML: nested too deeply") from None
    if not isinstance(template, dict):
        kind = "empty" if template is None else f"a {_kind(template)}, not a mapping"
        raise TemplateError(f"{path}: not a CloudFormation template: the document is {kind}")
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        problem = "no Resources section" if resources is None else "Resources is not a mapping"
        raise TemplateError(f"{path}: not a CloudFormation template: {problem}")
    return template


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TemplateError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TemplateError(f"{path}: a folder, not a template file") from None
    except UnicodeDecodeError as error:
        raise TemplateError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise TemplateError(f"{path}: cannot be read: {error.strerror or error}") from None
    if not text.strip():
        raise TemplateError(f"{path}: the file is empty")
    return text


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__
