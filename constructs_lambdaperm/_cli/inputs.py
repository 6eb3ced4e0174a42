"""What ``lint`` and ``policy`` read: template files, folders and cloud assemblies, as one app.

Every path given becomes stacks for the guard's engine (``_audit``), read as the validation
plugin reads a synthesized app:

- a cloud assembly (a folder with ``manifest.json``, such as ``cdk.out``): every stack, the
  Stages' nested assemblies and nested stacks included, keyed by construct path, with the
  construct paths of its resources and the acknowledgements the assembly records
  (``_audit.stacks.from_assembly``, the plugin's own helper);
- a template file (JSON, or YAML with short-form tags): one stack, keyed by the file as shown;
  a SAM template is transformed first (``_readers.sam``), and each resource SAM generated is
  placed under its SAM resource, as a construct under its scope: what the SAM resource's
  ``Metadata`` acknowledges applies to them;
- any other folder: its template files.

A file that cannot be read is one line in :attr:`Inputs.errors`, and the others are still read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .._audit.acknowledgements import Acknowledgement
from .._audit.config import GuardConfig
from .._audit.engine import AuditReport, AuditStack, audit
from .._audit.stacks import from_assembly, from_template
from .._readers.assembly import read_assembly, read_outside_stacks
from .._readers.files import MANIFEST, TemplateError, load_json, load_template, template_files
from .._readers.lines import resource_lines
from .._readers.sam import DEFAULT_REGION, SamTransformError, is_sam, transform
from .._readers.template import PERMISSION_TYPE

TEMPLATE = "template"
SAM = "sam"
ASSEMBLY = "assembly"


@dataclass(frozen=True)
class Source:
    """One stack read, and what says where its resources are written."""

    key: str
    """The stack's key for the engine: its construct path in a cloud assembly, else the file
    as shown."""
    file: str
    """The template file, relative to the current directory when it is below it."""
    kind: str
    """``template``, ``sam`` (transformed) or ``assembly`` (a stack of a cloud assembly)."""
    sam_resources: Mapping[str, str] = field(default_factory=dict)
    """For a SAM template: the SAM resource each generated resource came from."""
    path: Path | None = None
    """The file, to read its lines from."""

    @functools.cached_property
    def _lines(self) -> Mapping[str, int]:
        if self.path is None:
            return {}
        try:
            return resource_lines(self.path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            return {}

    def line(self, logical_id: str | None) -> int | None:
        """The line where ``logical_id`` (or, for SAM, the resource it came from) is written."""
        if logical_id is None:
            return None
        lines = self._lines
        return lines.get(logical_id) or lines.get(self.sam_resources.get(logical_id, ""))

    @functools.cached_property
    def uri(self) -> str:
        """The file as a URI reference: relative to the current directory when below it."""
        if Path(self.file).is_absolute():
            return Path(self.file).as_uri()
        return quote(self.file)


@dataclass
class Inputs:
    """The stacks read from the paths given, and the files that could not be read."""

    stacks: list[AuditStack] = field(default_factory=list)
    """The stacks, in the order read."""
    sources: dict[str, Source] = field(default_factory=dict)
    """Each stack's source, by stack key."""
    errors: list[str] = field(default_factory=list)
    """One line per file (or resource) that could not be read."""
    files: int = 0
    """How many template files were read."""
    acknowledged: list[Acknowledgement] = field(default_factory=list)
    """Acknowledgements outside any stack (on the App, a Stage) that assemblies record."""

    def source(self, key: str) -> Source | None:
        """The source of the stack ``key``, if it is one read here."""
        return self.sources.get(key)


def shown(path: Path | str) -> str:
    """``path`` relative to the current directory when below it, else as given (POSIX)."""
    given = Path(path)
    try:
        return given.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return given.as_posix()


def read(paths: Sequence[Path], *, sam_region: str = DEFAULT_REGION) -> Inputs:
    """Every stack of ``paths`` (template files, folders, cloud assemblies), as one app."""
    reader = _Reader(sam_region)
    for path in paths:
        reader.path(path)
    return reader.inputs


class _Reader:
    def __init__(self, sam_region: str) -> None:
        self.inputs = Inputs()
        self._region = sam_region
        self._seen: set[Path] = set()

    def path(self, path: Path) -> None:
        if path.is_dir():
            if (path / MANIFEST).is_file():
                self.assembly(path)
                return
            files = template_files(path)
            if not files:
                self.inputs.errors.append(f"{path}: no template file in the folder")
            for file in files:
                self.template(file.path)
        elif path.name == MANIFEST and path.is_file():
            self.assembly(path.parent)
        else:
            self.template(path)

    def _first_time(self, file: Path) -> bool:
        resolved = file.resolve()
        if resolved in self._seen:
            return False
        self._seen.add(resolved)
        return True

    def _add(self, stack: AuditStack, source: Source) -> None:
        if source.key in self.inputs.sources:
            other = self.inputs.sources[source.key].file
            self.inputs.errors.append(
                f"{source.file}: its stack {source.key!r} is also in {other}: two apps in one "
                "run; lint them one at a time"
            )
            return
        self.inputs.stacks.append(stack)
        self.inputs.sources[source.key] = source
        self.inputs.files += 1

    def assembly(self, directory: Path) -> None:
        failed: list[str] = []

        def unreadable(template: str, error: Exception) -> None:
            failed.append(_stack_error(Path(template), error))

        try:
            stacks = read_assembly(directory, on_error=unreadable)
        except Exception as error:
            self.inputs.errors.append(_assembly_error(directory, error))
            return
        self.inputs.errors.extend(failed)
        self.inputs.acknowledged.extend(
            Acknowledgement(a.rule_id, a.reason, a.path) for a in read_outside_stacks(directory)
        )
        for stack in stacks:
            file = Path(stack.template_path)
            if not self._first_time(file):
                continue
            self._add(
                from_assembly(stack),
                Source(stack.template.key, shown(file), ASSEMBLY, path=file),
            )

    def template(self, path: Path) -> None:
        if path.exists() and not self._first_time(path):
            return
        try:
            template = load_template(path)
        except TemplateError as error:
            self.inputs.errors.append(str(error))
            return
        key = shown(path)
        for logical_id, resource in sorted(template["Resources"].items()):
            if (
                isinstance(resource, Mapping)
                and resource.get("Type") == PERMISSION_TYPE
                and not isinstance(resource.get("Properties") or {}, Mapping)
            ):
                self.inputs.errors.append(f"{key}: {logical_id}: Properties is not a mapping")
        if not is_sam(template):
            stack = from_template(template, key, template_path=str(path))
            self._add(stack, Source(key, key, TEMPLATE, path=path))
            return
        try:
            sam = transform(template, region=self._region)
        except SamTransformError as error:
            self.inputs.errors.append(f"{key}: the SAM transform refused it: {error}")
            return
        # Each generated resource sits under its SAM resource, as a construct under its scope.
        paths = {
            generated: f"{key}/{sam_id}/{generated}" for generated, sam_id in sam.sources.items()
        }
        acknowledged = [
            Acknowledgement(rule_id, reason, f"{key}/{sam_id}")
            for sam_id, rules in sorted(sam.acknowledged.items())
            for rule_id, reason in rules.items()
        ]
        stack = from_template(
            sam.template, key, template_path=str(path), paths=paths, acknowledged=acknowledged
        )
        self._add(stack, Source(key, key, SAM, dict(sam.sources), path=path))


def _stack_error(template: Path, error: Exception) -> str:
    """One line for a stack of an assembly that could not be read: the file's own problem."""
    try:
        load_template(template)
    except TemplateError as problem:
        return str(problem)
    return f"{template}: cannot be read as a stack of its cloud assembly ({_describe(error)})"


def _assembly_error(directory: Path, error: Exception) -> str:
    try:
        load_json(directory / MANIFEST)
    except TemplateError as problem:
        return str(problem)
    return f"{directory}: cannot be read as a cloud assembly ({_describe(error)})"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def check(inputs: Inputs, config: GuardConfig | None = None) -> tuple[AuditReport, list[str]]:
    """The guard's report on every stack read, and one line per file it could not check.

    All stacks are checked together, as one app. Should the engine fail (a bug), each stack is
    checked alone to find those it fails on; they are reported, and the others checked
    together without them.
    """
    outside = inputs.acknowledged
    try:
        return audit(inputs.stacks, config, acknowledged=outside), []
    except Exception:  # a bug in the engine: find the stacks it fails on
        pass
    good: list[AuditStack] = []
    errors: list[str] = []
    for stack in inputs.stacks:
        try:
            audit([stack], config)
        except Exception as error:
            source = inputs.source(stack.template.key)
            errors.append(
                f"{source.file if source else stack.template.key}: could not be checked "
                f"({_describe(error)}): a bug in constructs-lambdaperm, please report it"
            )
            continue
        good.append(stack)
    try:
        return audit(good, config, acknowledged=outside), errors
    except Exception as error:
        return AuditReport(findings=()), [
            *errors,
            f"the templates could not be checked together ({_describe(error)}): a bug in "
            "constructs-lambdaperm, please report it",
        ]
