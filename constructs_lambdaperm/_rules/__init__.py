"""The rule catalogue, and the check that runs every rule that applies to any permission."""

from __future__ import annotations

from .._core.findings import Finding
from .._core.model import Permission
from . import acknowledgements, app, budget, documented, drift, fields, intent, security, services
from .registry import CHECKS, RULES

# Modules register their checks as they are imported; findings come in rule-ID order.
CHECKS.sort(key=lambda entry: entry[0].id)

__all__ = [
    "RULES",
    "acknowledgements",
    "app",
    "budget",
    "check",
    "documented",
    "drift",
    "fields",
    "intent",
    "security",
    "services",
]


def check(permission: Permission) -> list[Finding]:
    """Every finding of every general rule on ``permission``, in rule-ID order."""
    findings: list[Finding] = []
    for _rule, rule_check in CHECKS:
        findings.extend(rule_check(permission))
    return findings
