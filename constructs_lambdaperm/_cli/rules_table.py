"""The rules table, generated from the catalogue for docs/rules.md and the README."""

from __future__ import annotations

from .._core.api_model import PARAMETERS, botocore_version, field_constraints
from .._rules import RULES
from .._rules.fields import FIELD_RULES
from .._rules.other_tools import EQUIVALENTS, NOT_MIRRORED, TOOLS, Equivalent

BEGIN = "<!-- BEGIN GENERATED RULES: `lambdaperm rules` writes this table; do not edit -->"
END = "<!-- END GENERATED RULES -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table() -> str:
    """Every rule: ID to acknowledge, severity, what it guards and how to fix a violation."""
    lines = [
        "| ID | Severity | Rule | Fix |",
        "| --- | --- | --- | --- |",
    ]
    for rule_id in sorted(RULES):
        rule = RULES[rule_id]
        lines.append(
            f"| [`{rule.qualified_id}`]({rule.doc_url}) | {rule.severity.value} | "
            f"{_cell(rule.title)} | {_cell(rule.fix)} |"
        )
    return "\n".join(lines)


def constraints_table() -> str:
    """The field constraints LP101-LP109 apply, with the source of each."""
    lines = [
        f"Field constraints, read from botocore {botocore_version()}'s Lambda model and "
        "tightened where CloudFormation's schema is stricter:",
        "",
        "| Parameter | Rule | Constraints | Source |",
        "| --- | --- | --- | --- |",
    ]
    constraints = field_constraints()
    for parameter in PARAMETERS:
        constraint = constraints[parameter]
        lines.append(
            f"| {parameter} | {FIELD_RULES[parameter].id} | `{_cell(constraint.describe())}` | "
            f"{constraint.source} |"
        )
    return "\n".join(lines)


def other_tools_table() -> str:
    """Other tools' rules that flag the same risks, for ``mirror_acknowledgements``."""
    lines = [
        "Other tools' rules that flag the same risk, whose suppressions "
        "`mirror_acknowledgements(scope)` writes for each finding an acknowledgement accepts "
        "(the companion is the `lambda:InvokeFunction` permission with `InvokedViaFunctionUrl` "
        "that goes with a function URL grant):",
        "",
        "| Rule | Tool | Their rule | Checked on | What it flags |",
        "| --- | --- | --- | --- | --- |",
    ]
    groups: dict[tuple[str, str, str, str], list[Equivalent]] = {}
    for equivalent in EQUIVALENTS:
        on = ", ".join(target.value for target in equivalent.targets)
        key = (equivalent.rule, equivalent.tool, on, equivalent.checks)
        groups.setdefault(key, []).append(equivalent)
    for (rule, tool, on, checks), rows in groups.items():
        ids = ", ".join(f"`{row.other_id}`" for row in rows)
        lines.append(f"| {rule} | {tool} | {ids} | {_cell(on)} | {_cell(checks)} |")
    lines += [
        "",
        "| Tool | Suppression written | Verified with |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| [{tool.name}]({tool.doc_url}) | {_cell(tool.suppression)} | {_cell(tool.verified)} |"
        for tool in TOOLS.values()
    ]
    lines += ["", "Not mirrored:", ""]
    lines += [f"- {tool} `{rule}`: {_cell(why)}" for tool, rule, why in NOT_MIRRORED]
    return "\n".join(lines)


def generated_block() -> str:
    """The generated part of docs/rules.md and of the README, between its markers."""
    return "\n".join(
        [BEGIN, "", rules_table(), "", constraints_table(), "", other_tools_table(), "", END]
    )


def replace_block(document: str) -> str:
    """``document`` with its generated block brought up to date."""
    start = document.index(BEGIN)
    end = document.index(END) + len(END)
    return document[:start] + generated_block() + document[end:]
