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
from .._policy.drift import Pair
from .._rules.app import BLOCKED
from .inputs import ASSEMBLY, SAM, Inputs

SCHEMA_VERSION = 1
"""The version of the JSON schema of ``lint``, ``policy`` and ``verify`` (docs/CLI.md): a new
version only when a field changes meaning or goes away; fields may be added within one
version."""


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
    results = order_results(results)
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


def order_results(results: Sequence[Result]) -> list[Result]:
    """``results`` in the order every format shows them: by file, stack, line, resource, rule."""
    return sorted(results, key=_order)


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


def location_of(place: Place | None, inputs: Inputs) -> Location | None:
    """Where ``place`` is in the files read (``None`` for no place)."""
    return None if place is None else located(place, inputs)


def located(place: Place, inputs: Inputs) -> Location:
    """Where ``place`` is in the files read."""
    return _location(place, inputs)


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


# --- verify ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedRow:
    """One statement of a verified policy: intended, live, or both, and how they compare."""

    pair: Pair
    """The statements and their status (``in sync``, ``unverified``, ``changed``, ``missing``,
    ``extra``)."""
    location: Location | None
    """Where the intended statement is defined; ``None`` for an extra one."""


@dataclass(frozen=True)
class VerifiedPolicy:
    """One function's (version's, alias's) live policy against what the templates intend."""

    function: str
    """The function as the templates reference it (deploy-time parts as ``{label}``)."""
    qualifier: str | None
    """The version or alias, as deployed when it could be read."""
    resource: str
    """The ARN (or name) the statements grant on, as deployed when it could be read."""
    asked: str | None
    """What Lambda was asked for: the function's deployed name or ARN (``None``: not read)."""
    region: str | None
    """The region it was read in."""
    api: str
    """``GetPolicy``, or ``GetResourcePolicy`` for a function with an
    ``AWS::Lambda::ResourcePolicy``."""
    status: str
    """``in sync``, ``unverified`` (in sync as far as the deploy-time values that could be read
    tell), ``drift``, ``not found`` (no such function, version or alias), or ``error`` (the
    policy could not be read)."""
    rows: tuple[VerifiedRow, ...]
    """Every statement, intended and live."""
    location: Location | None
    """Where the function (or version, alias) is defined in the templates, if it is."""
    message: str | None = None
    """Why it is ``not found`` or an ``error``. Default: - none."""
    unresolved: tuple[str, ...] = ()
    """Deploy-time values of the intended statements that could not be read, with why."""


@dataclass(frozen=True)
class VerifyRun:
    """Everything one ``verify`` run found: each policy compared, the findings, the verdict."""

    run: LintRun
    """The findings (drift, LP701-LP705, and the catalogue's rules on the live statements)
    and the lines of what could not be read, as ``lint`` reports them."""
    policies: tuple[VerifiedPolicy, ...]
    """Each policy read, by function and qualifier."""
    verbose: bool = False
    """Whether the text shows the statements of the policies in sync too."""

    @property
    def drift(self) -> list[Result]:
        """The findings that are drift (LP701-LP704)."""
        return [r for r in self.run.results if r.rule.id in DRIFT_RULES]

    @property
    def exit_status(self) -> int:
        """2 when something could not be read, else 1 on drift or a failing finding, else 0."""
        return self.run.exit_status


DRIFT_RULES = frozenset({"LP701", "LP702", "LP703", "LP704"})
"""The rules that report drift: they always fail a ``verify`` run."""
