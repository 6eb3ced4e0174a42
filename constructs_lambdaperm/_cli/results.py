"""What ``lint`` found, as the output formats show it: findings located in files, and a verdict.

Built from the guard's report (``_audit.engine.audit``) over :class:`~.inputs.Inputs`; every
format (``formats/``) renders this one view, so text, JSON and SARIF always agree.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .._audit.acknowledgements import Acknowledgement
from .._audit.engine import AuditReport, Place, Reported
from .._core.findings import Rule, Severity
from .._rules.app import BLOCKED
from .inputs import ASSEMBLY, SAM, Inputs

SCHEMA_VERSION = 1
"""The version of ``lint --format json``'s schema (docs/CLI.md): a new version only when a
field changes meaning or goes away; fields may be added within one version."""


class FailOn(enum.StrEnum):
    """What makes ``lint`` exit 1."""

    ERROR = "error"
    """Errors only: what Lambda or CloudFormation would refuse."""
    UNSAFE = "unsafe"
    """What synth would refuse: errors, and unsafe findings nobody acknowledged."""
    WARNING = "warning"
    """That, and warnings nobody acknowledged."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is, in a file."""

    stack: str
    """The stack's key: its construct path in a cloud assembly, else the template file."""
    file: str | None = None
    """The template file (for SAM, the SAM template), relative to the current directory."""
    uri: str | None = None
    """The file as a URI reference (SARIF's artifactLocation)."""
    logical_id: str | None = None
    """The resource's logical ID, when the finding is on one resource."""
    construct_path: str | None = None
    """The construct path, for a stack of a cloud assembly."""
    sam_resource: str | None = None
    """The SAM resource the resource was generated from, when it can be told."""
    line: int | None = None
    """The line of the resource in the file, when it can be told."""


@dataclass(frozen=True)
class Result:
    """One finding of the guard, as ``lint`` reports it."""

    reported: Reported
    """The guard's finding."""
    locations: tuple[Location, ...]
    """Where it is: the first is where it is best fixed."""
    fails: bool
    """Whether it counts towards exit status 1 (see ``--fail-on``)."""

    @property
    def rule(self) -> Rule:
        """The rule."""
        return self.reported.rule

    @property
    def severity(self) -> Severity:
        """The severity, after ``--severity``."""
        return self.reported.severity

    @property
    def evaluated(self) -> bool:
        """``False`` when a deploy-time value kept the rule from deciding."""
        return self.reported.finding.evaluated

    @property
    def acknowledgement(self) -> Acknowledgement | None:
        """The acknowledgement that accepted it, if one."""
        return self.reported.acknowledgement

    @property
    def level(self) -> str:
        """``error``, ``unsafe``, ``warning``, or ``not evaluated``."""
        return self.severity.value if self.evaluated else "not evaluated"


@dataclass(frozen=True)
class LintRun:
    """Everything one ``lint`` run found, and its exit status."""

    results: tuple[Result, ...]
    """The findings, sorted by file, line, logical ID and rule."""
    errors: tuple[str, ...]
    """One line per file that could not be read."""
    files: int
    """Template files (and stacks of cloud assemblies) read."""
    permissions: int
    """``AWS::Lambda::Permission`` statements read."""
    policies: int
    """Functions, versions and aliases whose policy they make."""
    fail_on: FailOn
    """What makes the run fail."""
    verbose: bool = False
    """Whether findings a rule could not evaluate are shown."""
    not_evaluated: int = 0
    """How many findings a rule could not evaluate (deploy-time values)."""

    @property
    def shown(self) -> tuple[Result, ...]:
        """The results the formats show: every one, less those not evaluated unless verbose."""
        return tuple(r for r in self.results if self.verbose or r.evaluated)

    @property
    def failing(self) -> list[Result]:
        """The results that make the run exit 1."""
        return [r for r in self.results if r.fails]

    @property
    def exit_status(self) -> int:
        """2 when a file could not be read, else 1 when something failed, else 0.

        The findings of the files read are shown whatever the status.
        """
        if self.errors:
            return 2
        return 1 if self.failing else 0


def fails(reported: Reported, fail_on: FailOn) -> bool:
    """Whether ``reported`` is at or above ``fail_on``."""
    if not reported.finding.evaluated or reported.acknowledgement is not None:
        return False
    if reported.severity is Severity.ERROR:
        return True
    if reported.severity is Severity.UNSAFE:
        return fail_on is not FailOn.ERROR
    return fail_on is FailOn.WARNING


def lint_run(
    report: AuditReport,
    inputs: Inputs,
    *,
    fail_on: FailOn = FailOn.UNSAFE,
    verbose: bool = False,
    errors: Sequence[str] = (),
) -> LintRun:
    """The view of ``report`` the formats render.

    What a rule could not evaluate is counted, and kept only when ``verbose``: most values of
    a large cloud assembly are deploy-time values, and their findings never fail a run.
    """
    # LP600 is the guard's verdict on the whole app: here the exit status says it.
    findings = [r for r in report.findings if r.rule is not BLOCKED]
    results = [
        Result(
            reported, tuple(_location(p, inputs) for p in reported.places), fails(reported, fail_on)
        )
        for reported in findings
        if verbose or reported.finding.evaluated
    ]
    results.sort(key=_order)
    return LintRun(
        results=tuple(results),
        errors=tuple([*inputs.errors, *errors]),
        files=inputs.files,
        permissions=sum(len(p.statements) for p in report.policies),
        policies=len(report.policies),
        fail_on=fail_on,
        verbose=verbose,
        not_evaluated=sum(1 for r in findings if not r.finding.evaluated),
    )


def _order(result: Result) -> tuple[object, ...]:
    first = result.locations[0] if result.locations else Location(stack="")
    return (
        first.file or "",
        first.stack,
        first.line or 0,
        first.logical_id or "",
        first.construct_path or "",
        result.rule.id,
        result.reported.finding.message,
    )


def _location(place: Place, inputs: Inputs) -> Location:
    source = inputs.source(place.stack)
    if source is None:
        return Location(stack=place.stack, logical_id=place.logical_id)
    construct_path = place.construct_path if source.kind == ASSEMBLY else None
    sam_resource = None
    if source.kind == SAM:
        if place.logical_id is not None:
            sam_resource = source.sam_resources.get(place.logical_id)
        elif place.construct_path:
            # A scope under the template: the SAM resource is its first part.
            rest = place.construct_path.removeprefix(source.key + "/")
            sam_resource = rest.split("/", 1)[0] or None
    return Location(
        stack=place.stack,
        file=source.file,
        uri=source.uri,
        logical_id=place.logical_id,
        construct_path=construct_path,
        sam_resource=sam_resource,
        line=source.line(place.logical_id or sam_resource),
    )
