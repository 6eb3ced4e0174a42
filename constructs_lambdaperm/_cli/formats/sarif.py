"""SARIF 2.1.0, as GitHub code scanning reads it, built with the SARIF object model (sarif-om).

One run of the tool ``lambdaperm``: the catalogue's rules as the driver's rules (ID, a name,
the title, the explanation, help with the fix, the AWS page as ``helpUri``, the default
level), and one result per finding, located in its template file (``artifactLocation`` relative
to the current directory, the resource's line as its region) and at its resource
(``logicalLocation``: the logical ID, fully qualified by construct path or stack). An
acknowledged finding carries an ``inSource`` suppression whose justification is the reason;
a file that could not be read is a tool execution notification, and the invocation did not
succeed. Levels: errors and unsafe findings ``error``, warnings ``warning``, what a rule could
not evaluate ``note`` (only with ``--verbose``).
"""

from __future__ import annotations

import re

import sarif_om as sarif
from jschema_to_python.to_json import to_json

from ..._core import bounds
from ..._core.findings import Rule, Severity
from ..._core.version import VERSION
from ..._rules import RULES
from ..results import LintRun, Location, Result

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/constructs-lambdaperm/"

_LEVELS = {Severity.ERROR: "error", Severity.UNSAFE: "error", Severity.WARNING: "warning"}


def lint(run: LintRun) -> str:
    """The findings of ``run`` as a SARIF 2.1.0 log."""
    rules = sorted(RULES.values(), key=lambda rule: rule.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    log = sarif.SarifLog(
        version="2.1.0",
        schema_uri=SCHEMA_URI,
        runs=[
            sarif.Run(
                tool=sarif.Tool(
                    driver=sarif.ToolComponent(
                        name="lambdaperm",
                        full_name="constructs-lambdaperm",
                        version=VERSION,
                        semantic_version=VERSION,
                        information_uri=INFORMATION_URI,
                        rules=[_rule(rule) for rule in rules],
                    )
                ),
                invocations=[
                    sarif.Invocation(
                        execution_successful=not run.errors,
                        exit_code=run.exit_status,
                        tool_execution_notifications=[
                            sarif.Notification(message=sarif.Message(text=error), level="error")
                            for error in run.errors
                        ]
                        or None,
                    )
                ],
                results=[_result(result, index[result.rule.id]) for result in run.shown],
            )
        ],
    )
    return str(to_json(log)) + "\n"


def rule_name(rule: Rule) -> str:
    """A SARIF rule name from the rule's title: ``TheFunctionIsNotPublic``."""
    words = re.findall(r"[A-Za-z0-9$]+", rule.title.replace("'", ""))
    return "".join(word[:1].upper() + word[1:] for word in words).replace("$", "")


def _rule(rule: Rule) -> sarif.ReportingDescriptor:
    return sarif.ReportingDescriptor(
        id=rule.qualified_id,
        name=rule_name(rule),
        short_description=sarif.MultiformatMessageString(text=rule.title),
        full_description=sarif.MultiformatMessageString(text=rule.explanation),
        help=sarif.MultiformatMessageString(
            text=f"{rule.explanation} Fix: {rule.fix}. See {rule.doc_url}",
            markdown=(
                f"{rule.explanation}\n\n**Fix:** {rule.fix}.\n\n[{rule.doc_url}]({rule.doc_url})"
            ),
        ),
        help_uri=rule.doc_url,
        default_configuration=sarif.ReportingConfiguration(level=_LEVELS[rule.severity]),
        properties=sarif.PropertyBag(tags=["aws-lambda", f"severity:{rule.severity.value}"]),
    )


def _result(result: Result, rule_index: int) -> sarif.Result:
    finding = result.reported.finding
    message = bounds.readable(finding.message).rstrip(".") + "."
    if finding.fix:
        message += f" Fix: {finding.fix.rstrip('.')}."
    suppressions = None
    if result.acknowledgement is not None:
        suppressions = [
            sarif.Suppression(kind="inSource", justification=result.acknowledgement.reason)
        ]
    return sarif.Result(
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=_LEVELS[result.severity] if result.evaluated else "note",
        message=sarif.Message(text=message),
        locations=[_location(location) for location in result.locations] or None,
        suppressions=suppressions,
    )


def _location(location: Location) -> sarif.Location:
    physical = None
    if location.uri is not None:
        physical = sarif.PhysicalLocation(
            artifact_location=sarif.ArtifactLocation(uri=location.uri),
            region=None if location.line is None else sarif.Region(start_line=location.line),
        )
    name = location.logical_id or location.construct_path or location.stack
    qualified = location.construct_path or "/".join(
        part for part in (location.stack, location.logical_id) if part
    )
    return sarif.Location(
        physical_location=physical,
        logical_locations=[
            sarif.LogicalLocation(
                name=name,
                fully_qualified_name=qualified,
                kind="resource" if location.logical_id else "module",
            )
        ],
    )
