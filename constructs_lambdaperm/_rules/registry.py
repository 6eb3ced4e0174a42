"""The rule catalogue: every rule registers here once, with its metadata and its check."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .._core.findings import Finding, Rule, Severity
from .._core.model import Permission

Check = Callable[[Permission], Iterable[Finding]]
"""A pure function over one permission, yielding its findings (none when it complies)."""

RULES: dict[str, Rule] = {}
"""Every rule, by short ID."""

CHECKS: list[tuple[Rule, Check]] = []
"""The rules that apply to every permission, whatever made it, with their checks."""

ADDPERMISSION_URL = "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html"
RESOURCE_POLICY_URL = (
    "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
)
URL_AUTH_URL = "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
ORG_URL = "https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-organization.html"
CFN_URL = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
    "aws-resource-lambda-permission.html"
)


def define(
    rule_id: str,
    severity: Severity,
    *,
    title: str,
    explanation: str,
    fix: str,
    doc_url: str,
) -> Rule:
    """Create a rule and add it to the catalogue; an ID can be defined only once."""
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} is defined twice")
    rule = Rule(
        id=rule_id,
        title=title,
        severity=severity,
        explanation=explanation,
        fix=fix,
        doc_url=doc_url,
    )
    RULES[rule_id] = rule
    return rule


def applies_to_every_permission(rule: Rule) -> Callable[[Check], Check]:
    """Register ``check`` as the check of ``rule``, run on every permission."""

    def register(check: Check) -> Check:
        CHECKS.append((rule, check))
        return check

    return register
