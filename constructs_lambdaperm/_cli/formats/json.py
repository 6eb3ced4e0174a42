"""JSON for programs: the schema docs/CLI.md documents, versioned by ``schema_version``.

Keys are written in a fixed order, lists in a fixed order (findings by file, line, logical ID
and rule; policies by function and qualifier), so two runs on the same files give the same
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..._core.version import VERSION
from ..._policy import drift
from ..._policy.policies import PolicyStatement, ResourcePolicy
from ..inputs import ASSEMBLY, Inputs
from ..results import (
    DRIFT_RULES,
    SCHEMA_VERSION,
    LintRun,
    Location,
    Result,
    VerifiedPolicy,
    VerifiedRow,
    VerifyRun,
)

TOOL = {"name": "lambdaperm", "version": VERSION}


def lint(run: LintRun) -> str:
    """The findings of ``run`` as a JSON document."""
    counted = [r for r in run.results if r.evaluated]
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "fail_on": run.fail_on.value,
        "exit_status": run.exit_status,
        "summary": {
            "templates": run.files,
            "unreadable": len(run.errors),
            "permissions": run.permissions,
            "policies": run.policies,
            **_finding_counts(run, counted),
        },
        "errors": [{"message": message} for message in run.errors],
        "findings": [_finding(result) for result in run.shown],
    }
    return _dumps(document)


def _finding_counts(run: LintRun, counted: Sequence[Result]) -> dict[str, int]:
    """The summary's counts of ``counted`` by severity, and of ``run``'s other findings."""
    return {
        "errors": _count(counted, "error"),
        "unsafe": _count(counted, "unsafe"),
        "warnings": _count(counted, "warning"),
        "acknowledged": sum(1 for r in counted if r.acknowledgement is not None),
        "not_evaluated": run.not_evaluated,
        "failing": len(run.failing),
    }


def _count(results: Sequence[Result], severity: str) -> int:
    return sum(1 for r in results if r.severity.value == severity and r.acknowledgement is None)


def _finding(result: Result) -> dict[str, Any]:
    finding = result.reported.finding
    acknowledgement = result.acknowledgement
    return {
        "rule": finding.rule_id,
        "rule_id": finding.rule.id,
        "title": finding.rule.title,
        "severity": result.severity.value,
        "evaluated": result.evaluated,
        "blocking": result.reported.blocking,
        "fails": result.fails,
        "acknowledged": None
        if acknowledgement is None
        else {
            "reason": acknowledgement.reason,
            "at": acknowledgement.path
            if acknowledgement.in_construct_metadata
            else f"{acknowledgement.stack}/{acknowledgement.logical_id}",
            "in": "construct" if acknowledgement.in_construct_metadata else "metadata",
        },
        "message": finding.message,
        "parameter": finding.parameter,
        "value": _value(finding.value),
        "fix": finding.fix,
        "doc_url": finding.rule.doc_url,
        "locations": [_location(location) for location in result.locations],
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {
        "file": location.file,
        "line": location.line,
        "stack": location.stack,
        "logical_id": location.logical_id,
        "construct_path": location.construct_path,
        "sam_resource": location.sam_resource,
    }


def _value(value: object) -> Any:
    """A finding's value as JSON: text, a number, a boolean, null, or a list of those."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_value(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def policies(found: Sequence[ResourcePolicy], inputs: Inputs, errors: Sequence[str]) -> str:
    """Every policy, with its document exactly as Lambda will hold it, as a JSON document."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "summary": {
            "templates": inputs.files,
            "unreadable": len(errors),
            "policies": len(found),
            "statements": sum(len(p.statements) for p in found),
        },
        "errors": [{"message": message} for message in errors],
        "policies": [_policy(policy, inputs) for policy in found],
    }
    return _dumps(document)


def _file(inputs: Inputs, stack: str) -> str | None:
    source = inputs.source(stack)
    return source.file if source else None


def _policy(policy: ResourcePolicy, inputs: Inputs) -> dict[str, Any]:
    return {
        "function": policy.function,
        "qualifier": policy.qualifier,
        "resource": policy.resource,
        "defined_in": None
        if policy.function_stack is None
        else {
            "stack": policy.function_stack,
            "file": _file(inputs, policy.function_stack),
            "logical_id": policy.function_logical_id,
        },
        "size": policy.size,
        "known_size": policy.known_size,
        "size_is_bound": policy.size_is_bound,
        "limit": policy.limit,
        "statements": [_statement(statement, inputs) for statement in policy.statements],
        "document": policy.document,
    }


def _statement(statement: PolicyStatement, inputs: Inputs) -> dict[str, Any]:
    source = inputs.source(statement.stack)
    kind = source.kind if source else None
    return {
        "sid": statement.sid,
        "stack": statement.stack,
        "file": source.file if source else None,
        "logical_id": statement.logical_id,
        "construct_path": statement.path if kind == ASSEMBLY else None,
        "sam_resource": source.sam_resources.get(statement.logical_id) if source else None,
        "size": statement.size,
        "statement": statement.statement,
    }


def _dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def verify(verified: VerifyRun) -> str:
    """Every policy compared, and the findings, as a JSON document."""
    run = verified.run
    counted = [r for r in run.results if r.evaluated and r.rule.id not in DRIFT_RULES]
    statuses = [p.status for p in verified.policies]
    rows = [row.pair.status for p in verified.policies for row in p.rows]
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "fail_on": run.fail_on.value,
        "exit_status": verified.exit_status,
        "summary": {
            "templates": run.files,
            "unreadable": len(run.errors),
            "policies": len(verified.policies),
            **{_key(status): statuses.count(status) for status in _POLICY_STATUSES},
            "statements": {_key(status): rows.count(status) for status in _ROW_STATUSES},
            "drift": len(verified.drift),
            **_finding_counts(run, counted),
        },
        "errors": [{"message": message} for message in run.errors],
        "policies": [_verified(policy) for policy in verified.policies],
        "findings": [
            {**_finding(result), "drift": result.rule.id in DRIFT_RULES} for result in run.shown
        ],
    }
    return _dumps(document)


_POLICY_STATUSES = ("in sync", "unverified", "drift", "not found", "error")
_ROW_STATUSES = (drift.IN_SYNC, drift.UNVERIFIED, drift.MISSING, drift.EXTRA, drift.CHANGED)


def _key(status: str) -> str:
    return status.replace(" ", "_")


def _verified(policy: VerifiedPolicy) -> dict[str, Any]:
    return {
        "function": policy.function,
        "qualifier": policy.qualifier,
        "resource": policy.resource,
        "asked": policy.asked,
        "region": policy.region,
        "api": policy.api,
        "status": policy.status,
        "message": policy.message,
        "unresolved": list(policy.unresolved),
        "defined_in": _location(policy.location),
        "statements": [_row(row) for row in policy.rows],
    }


def _row(row: VerifiedRow) -> dict[str, Any]:
    pair = row.pair
    return {
        "status": pair.status,
        "sid": pair.live.sid if pair.live is not None else None,
        "intended": dict(pair.intended.raw) if pair.intended is not None else None,
        "live": dict(pair.live.raw) if pair.live is not None else None,
        "differences": pair.differences,
        "location": _location(row.location),
    }
