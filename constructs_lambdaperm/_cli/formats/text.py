"""Text for people: one table of findings per file, a policy's size as a bar, who may invoke.

Tables and colours with ``rich``. When standard output is not a terminal (a CI log, a file, a
pipe) the output is plain: no colour or other escape codes, ASCII rules, and lines as wide as
``COLUMNS`` says (120 when it says nothing), not cut at 80. ``NO_COLOR`` turns colour off on a
terminal too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..._core import bounds
from ..._core.findings import Severity
from ..._policy import drift
from ..._policy.policies import PolicyStatement, ResourcePolicy
from ..inputs import ASSEMBLY, Inputs
from ..results import DRIFT_RULES, LintRun, Location, Result, VerifiedPolicy, VerifyRun

PLAIN_WIDTH = 120
"""The width of plain output when ``COLUMNS`` does not give one."""

BAR_WIDTH = 40

_STYLES = {
    Severity.ERROR: "bold red",
    Severity.UNSAFE: "bold magenta",
    Severity.WARNING: "yellow",
}


def console(stream: IO[str]) -> Console:
    """A console writing to ``stream``: coloured on a terminal, plain otherwise."""
    terminal = stream.isatty()
    width = None
    if not terminal:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else PLAIN_WIDTH
    return Console(
        file=stream,
        force_terminal=terminal,
        color_system="auto" if terminal else None,
        no_color=bool(os.environ.get("NO_COLOR")) or not terminal,
        highlight=False,
        emoji=False,
        width=width,
    )


def _box(out: Console) -> box.Box:
    return box.ROUNDED if out.is_terminal else box.ASCII


# --- lint ---------------------------------------------------------------------------------------


def lint(run: LintRun, out: Console) -> None:
    """Print the findings of ``run``, a table per file, then the verdict."""
    _findings(run.shown, out)
    out.print(_summary(run))


def _findings(shown: Sequence[Result], out: Console) -> None:
    """A table of findings per file."""
    by_file: dict[str, list[Result]] = {}
    for result in shown:
        first = result.locations[0] if result.locations else None
        by_file.setdefault((first.file if first else None) or "(the app)", []).append(result)
    for file, results in by_file.items():
        table = Table(
            title=Text(file, style="bold"),
            title_justify="left",
            box=_box(out),
            show_lines=True,
            expand=False,
        )
        table.add_column("Level", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Resource", overflow="fold", max_width=48)
        table.add_column("Finding", overflow="fold", ratio=1)
        for result in results:
            table.add_row(_level(result), result.rule.id, _resource(result), _finding(result))
        out.print(table)
        out.print()


def _level(result: Result) -> Text:
    if not result.evaluated:
        return Text("not evaluated", style="dim")
    text = Text(result.severity.value, style=_STYLES[result.severity])
    if result.acknowledgement is not None:
        text = Text(f"{result.severity.value}\nacknowledged", style="green")
    return text


def _resource(result: Result) -> Text:
    lines: list[str] = []
    for location in result.locations[:3]:
        lines.append(_where(location, first=not lines))
    if len(result.locations) > 3:
        lines.append(f"and {len(result.locations) - 3} more")
    return Text("\n".join(lines) or "-")


def _where(location: Location, *, first: bool) -> str:
    name = location.construct_path or location.logical_id or location.stack
    details = []
    if location.construct_path and location.logical_id:
        details.append(location.logical_id)
    if location.sam_resource and location.sam_resource != location.logical_id:
        details.append(f"from SAM {location.sam_resource}")
    if location.line is not None:
        details.append(f"line {location.line}")
    if not first and location.file:
        details.append(location.file)
    return name + (f" ({', '.join(details)})" if details else "")


def _finding(result: Result) -> Text:
    finding = result.reported.finding
    text = Text(bounds.readable(finding.message))
    if finding.fix:
        text.append(f"\nFix: {finding.fix}", style="dim")
    if result.acknowledgement is not None:
        text.append(f"\nAcknowledged: {result.acknowledgement.reason}", style="green")
    return text


def _summary(run: LintRun) -> Text:
    counted = [r for r in run.results if r.evaluated]
    by_level = {
        severity: sum(1 for r in counted if r.severity is severity and r.acknowledgement is None)
        for severity in Severity
    }
    acknowledged = sum(1 for r in counted if r.acknowledgement is not None)
    unread = len(run.errors)
    parts = [
        f"{run.permissions} permission(s) on {run.policies} function(s), versions or aliases "
        f"in {run.files} template(s)",
        f"{by_level[Severity.ERROR]} error(s), {by_level[Severity.UNSAFE]} unsafe, "
        f"{by_level[Severity.WARNING]} warning(s), {acknowledged} acknowledged",
    ]
    hidden = run.not_evaluated
    if hidden and not run.verbose:
        parts.append(f"{hidden} not evaluated (deploy-time values; --verbose shows them)")
    line = "; ".join(parts) + "."
    failing = len(run.failing)
    if unread:
        verdict = Text(f"\n{unread} file(s) could not be read (see the errors above).", "bold red")
    elif failing:
        verdict = Text(
            f"\nFailed: {failing} finding(s) at or above --fail-on {run.fail_on}.", "bold red"
        )
    else:
        verdict = Text(f"\nPassed (--fail-on {run.fail_on}).", "bold green")
    return Text(line) + verdict


# --- policy -------------------------------------------------------------------------------------


def policies(found: Sequence[ResourcePolicy], inputs: Inputs, out: Console) -> None:
    """Print each policy: its size against Lambda's limit, and who may invoke under what."""
    for policy in found:
        out.print(Text(bounds.readable(policy.resource), style="bold"))
        if policy.function_stack is not None:
            source = inputs.source(policy.function_stack)
            where = source.file if source else policy.function_stack
            out.print(Text(f"  defined as {policy.function_logical_id} in {where}", style="dim"))
        out.print(Text("  ") + size_bar(policy, plain=not out.is_terminal))
        out.print(_statements(policy.statements, inputs, out))
        out.print()
    total = sum(len(p.statements) for p in found)
    out.print(f"{len(found)} policy(ies), {total} statement(s), in {inputs.files} template(s).")


def size_bar(policy: ResourcePolicy, *, plain: bool = False) -> Text:
    """``[#####-----] 1,234 of 20,480 bytes (6%)``: how full the policy is."""
    ratio = policy.size / policy.limit
    filled = min(BAR_WIDTH, round(ratio * BAR_WIDTH))
    full, empty = ("#", "-") if plain else ("█", "░")
    style = "green" if ratio < 0.8 else "yellow" if ratio <= 1 else "bold red"
    bar = Text("[") + Text(full * filled, style=style) + Text(empty * (BAR_WIDTH - filled) + "] ")
    bound = "at most " if policy.size_is_bound else ""
    bar.append(f"{bound}{policy.size:,} of {policy.limit:,} bytes ({ratio:.0%})")
    if policy.size_is_bound:
        bar.append(
            f"; at least {policy.known_size:,}: deploy-time values counted at their longest",
            style="dim",
        )
    return bar


def _statements(statements: Iterable[PolicyStatement], inputs: Inputs, out: Console) -> Table:
    table = Table(box=_box(out), show_lines=False, expand=False, padding=(0, 1))
    table.add_column("Effect", no_wrap=True)
    table.add_column("Principal", overflow="fold")
    table.add_column("Action", no_wrap=True)
    table.add_column("Conditions", overflow="fold", ratio=1)
    table.add_column("Granted by", overflow="fold", max_width=50)
    for statement in statements:
        body = statement.statement
        where = _granted_by(statement, inputs)
        # A document statement may name everyone but some (NotPrincipal), or every action but
        # some (NotAction): shown as such, never as the principal or action itself.
        who = (
            principal(body.get("Principal"))
            if "Principal" in body
            else ("all but " + principal(body.get("NotPrincipal")))
        )
        what = (
            _actions(body.get("Action"))
            if "Action" in body
            else ("all but " + _actions(body.get("NotAction")))
        )
        table.add_row(
            str(body.get("Effect", "Allow")), who, what, conditions(body.get("Condition")), where
        )
    return table


def _actions(value: Any) -> str:
    return ", ".join(bounds.readable(str(action)) for action in _listed(value))


def _granted_by(statement: PolicyStatement, inputs: Inputs) -> str:
    if statement.from_document and statement.grants:
        return "\n".join(statement.grants)  # the grants whose statements the document merged
    source = inputs.source(statement.stack)
    if source is None:
        return statement.location
    if source.kind == ASSEMBLY and statement.path:
        return statement.path
    sam = source.sam_resources.get(statement.logical_id)
    suffix = f" (from SAM {sam})" if sam and sam != statement.logical_id else ""
    return f"{source.file}: {statement.logical_id}{suffix}"


def principal(value: Any) -> str:
    """A statement's ``Principal`` for a person: ``*``, an account, a role, a service."""
    if isinstance(value, Mapping):
        return ", ".join(
            bounds.readable(str(v)) for values in value.values() for v in _listed(values)
        )
    return bounds.readable(str(value))


def conditions(value: Any) -> str:
    """A statement's ``Condition`` block, one test a line: ``AWS:SourceArn ArnLike arn:...``."""
    if not isinstance(value, Mapping) or not value:
        return "-"
    lines = []
    for operator, tests in value.items():
        if not isinstance(tests, Mapping):
            continue
        for key, expected in tests.items():
            shown = " or ".join(bounds.readable(str(v)) for v in _listed(expected))
            lines.append(f"{key} {operator} {shown}")
    return "\n".join(lines) or "-"


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# --- verify -------------------------------------------------------------------------------------

_STATUS_STYLES = {
    "in sync": "green",
    "unverified": "yellow",
    "drift": "bold red",
    "not found": "bold red",
    "error": "bold red",
    drift.CHANGED: "bold magenta",
    drift.MISSING: "bold red",
    drift.EXTRA: "bold red",
}


def verify(verified: VerifyRun, out: Console) -> None:
    """Print each policy compared (a table of its statements), the findings, the verdict."""
    for policy in verified.policies:
        if policy.status == "in sync" and not verified.verbose:
            line = Text(bounds.readable(policy.resource), style="bold")
            line.append("  in sync", style=_STATUS_STYLES["in sync"])
            line.append(f" ({len(policy.rows)} statement(s))", style="dim")
            out.print(line)
            continue
        _verified_policy(policy, out)
    if any(p.status == "in sync" for p in verified.policies) and not verified.verbose:
        out.print(Text("(--verbose shows the statements of the policies in sync)", style="dim"))
        out.print()
    _findings(verified.run.shown, out)
    out.print(_verify_summary(verified))


def _verified_policy(policy: VerifiedPolicy, out: Console) -> None:
    title = Text(bounds.readable(policy.resource), style="bold")
    title.append("  ")
    title.append(policy.status, style=_STATUS_STYLES.get(policy.status, ""))
    out.print(title)
    details = []
    if policy.location is not None:
        where = policy.location.construct_path or policy.location.logical_id or ""
        details.append(f"defined as {where} in {policy.location.file or policy.location.stack}")
    if policy.asked is not None:
        details.append(f"{policy.api} in {policy.region or 'the default region'}")
    if details:
        out.print(Text("  " + "; ".join(details), style="dim"))
    if policy.message:
        out.print(Text("  " + policy.message, style=_STATUS_STYLES.get(policy.status, "")))
    for line in policy.unresolved:
        out.print(Text(f"  not read: {line}", style="yellow"))
    if policy.rows:
        table = Table(box=_box(out), show_lines=False, expand=False, padding=(0, 1))
        table.add_column("Status", no_wrap=True)
        table.add_column("Live Sid", overflow="fold", max_width=40)
        table.add_column("Principal", overflow="fold")
        table.add_column("Action", no_wrap=True)
        table.add_column("Conditions", overflow="fold", ratio=1)
        table.add_column("Granted by", overflow="fold", max_width=50)
        for row in policy.rows:
            pair = row.pair
            shown = pair.live or pair.intended
            assert shown is not None
            meaning = shown.meaning
            table.add_row(
                Text(pair.status, style=_STATUS_STYLES.get(pair.status, "")),
                (pair.live.sid or "-") if pair.live is not None else "-",
                meaning.show_principals(),
                meaning.show_actions(),
                _tests(pair),
                _short(row.location) if row.location else "(not in the templates)",
            )
        out.print(table)
    elif policy.status not in ("error",):
        out.print(Text("  no statement, intended or live", style="dim"))
    out.print()


def _short(location: Location) -> str:
    """A resource in a table's narrow column: its construct path, else its logical ID."""
    return location.construct_path or location.logical_id or location.stack


def _tests(pair: drift.Pair) -> str:
    if pair.status == drift.CHANGED:
        return "\n".join(pair.differences)
    shown = pair.live or pair.intended
    assert shown is not None
    return "\n".join(t.show() for t in sorted(shown.meaning.conditions)) or "-"


def _verify_summary(verified: VerifyRun) -> Text:
    run = verified.run
    by_status: dict[str, int] = {}
    for policy in verified.policies:
        by_status[policy.status] = by_status.get(policy.status, 0) + 1
    rows: dict[str, int] = {}
    for policy in verified.policies:
        for row in policy.rows:
            rows[row.pair.status] = rows.get(row.pair.status, 0) + 1
    counted = [r for r in run.results if r.evaluated and r.rule.id not in DRIFT_RULES]
    unaccepted = [r for r in counted if r.acknowledgement is None]
    parts = [
        f"{len(verified.policies)} policy(ies) in {run.files} template(s): "
        + ", ".join(
            f"{by_status.get(status, 0)} {status}"
            for status in ("in sync", "unverified", "drift", "not found", "error")
            if by_status.get(status) or status in ("in sync", "drift")
        ),
        "statements: "
        + ", ".join(
            f"{rows.get(status, 0)} {status}"
            for status in (
                drift.IN_SYNC,
                drift.UNVERIFIED,
                drift.MISSING,
                drift.EXTRA,
                drift.CHANGED,
            )
        ),
        f"{len(unaccepted)} finding(s) on live statements, "
        f"{len(counted) - len(unaccepted)} acknowledged, {run.not_evaluated} not evaluated",
    ]
    line = "; ".join(parts) + "."
    drifted = verified.drift
    failing = [r for r in run.failing if r.rule.id not in DRIFT_RULES]
    if run.errors:
        verdict = Text(
            f"\n{len(run.errors)} thing(s) could not be read (see the errors above).", "bold red"
        )
    elif drifted or failing:
        said = []
        if drifted:
            said.append(f"{len(drifted)} drift finding(s)")
        if failing:
            said.append(f"{len(failing)} finding(s) at or above --fail-on {run.fail_on}")
        verdict = Text(
            ("\nDrift: " if drifted else "\nFailed: ") + " and ".join(said) + ".", "bold red"
        )
    else:
        verdict = Text(f"\nIn sync (--fail-on {run.fail_on}).", "bold green")
    return Text(line) + verdict
