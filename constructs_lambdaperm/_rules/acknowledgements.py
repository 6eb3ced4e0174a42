"""LP501, LP502: an acknowledgement of this library's rules can be honoured, and is in use.

An acknowledgement is code that accepts a risk, so a typo in it must not pass unseen: it names
a rule of this catalogue that may be acknowledged (unsafe, or a warning), and says why. The
guard (``_audit.engine``) runs :func:`check_acknowledgement` over every acknowledgement of the
app or templates it checks, and reports those that accepted nothing (LP502).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import replace

from .._core.findings import MIN_REASON_LENGTH, NAMESPACE, Finding, Rule, Severity
from .registry import RULES, define

_ANNOTATION = "Annotation"
"""The namespace the CDK gives an acknowledged ID written without one."""

VALIDATIONS_URL = "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Validations.html"

BAD_ACKNOWLEDGEMENT = define(
    "LP501",
    Severity.ERROR,
    title="An acknowledgement names a rule that can be acknowledged, and says why",
    explanation=(
        "Validations.of(scope).acknowledge(...) accepts a risk in code. An ID that names no "
        "rule (a typo, a rule number from another tool) or lacks the LambdaPerm:: namespace "
        "(the CDK then files it under Annotation::) accepts nothing while looking as if it "
        "did; an invalid value (an error rule) cannot be accepted at all, because Lambda or "
        "CloudFormation would reject it; and a reviewer needs the reason."
    ),
    fix=(
        "acknowledge an unsafe rule (LP3xx) or a warning (LP402, LP502, the LP6xx warnings) by "
        "its ID (`lambdaperm rules` lists them and their severities), "
        f"with a reason of at least {MIN_REASON_LENGTH} characters; fix invalid values instead"
    ),
    doc_url=VALIDATIONS_URL,
)


def check_acknowledgements(
    acknowledged: Iterable[tuple[str, str, str]],
    severity_of: Callable[[Rule], Severity | None] = operator.attrgetter("severity"),
) -> list[Finding]:
    """Findings for each ``(construct path, rule ID, reason)`` that cannot be honoured.

    IDs outside this library's namespace belong to other tools and are left alone, except one
    of this catalogue's IDs written without it, which the CDK files under ``Annotation::``.
    ``severity_of`` gives a rule's severity as configured (a guard may make a warning an
    error, which then cannot be acknowledged). Default: - the catalogue's.
    """
    findings: list[Finding] = []
    for path, rule_id, reason in acknowledged:
        finding = check_acknowledgement(path, rule_id, reason, severity_of)
        if finding is not None:
            findings.append(finding)
    return findings


def check_acknowledgement(
    path: str,
    rule_id: str,
    reason: str,
    severity_of: Callable[[Rule], Severity | None] = operator.attrgetter("severity"),
) -> Finding | None:
    """LP501 for one acknowledgement that cannot be honoured; ``None`` when it can."""
    namespace, _, short = rule_id.partition("::")
    meant = _meant(namespace, short)
    if namespace == _ANNOTATION and short in RULES:
        message = (
            f"{short} is acknowledged without its namespace, so the CDK files it as "
            f"{rule_id} and it silences nothing: write '{NAMESPACE}::{short}'"
        )
    elif meant is not None and rule_id != meant:
        # The CDK compares IDs exactly: 'lambdaperm::LP306' or ' LambdaPerm::lp306 '
        # silence nothing, while reading as if they did.
        message = (
            f"{rule_id!r} is acknowledged but IDs are compared exactly, so it silences "
            f"nothing: write '{meant}'"
        )
    elif namespace != NAMESPACE:
        return None
    elif (rule := RULES.get(short)) is None:
        message = (
            f"{rule_id} is acknowledged but no such rule exists (`lambdaperm rules` lists them)"
        )
    elif rule.severity is Severity.ERROR:
        message = (
            f"{rule_id} is acknowledged but cannot be: it reports what Lambda or "
            "CloudFormation would refuse, so fix what it reports instead"
        )
    elif severity_of(rule) is Severity.ERROR:
        message = (
            f"{rule_id} is acknowledged but cannot be: the app's guard makes it an error "
            "(PermissionGuard(severities=...)), so fix what it reports instead"
        )
    elif len(reason.strip()) < MIN_REASON_LENGTH:
        message = (
            f"{rule_id} is acknowledged with the reason {reason!r}: say why in at least "
            f"{MIN_REASON_LENGTH} characters"
        )
    else:
        return None
    return replace(BAD_ACKNOWLEDGEMENT.finding(message, value=rule_id), location=(path,))


def _meant(namespace: str, short: str) -> str | None:
    """The ID of this catalogue an acknowledgement spells loosely (case, spaces), if any."""
    folded = namespace.strip().casefold()
    if folded not in (NAMESPACE.casefold(), _ANNOTATION.casefold()):
        return None
    rule = short.strip().upper()
    return f"{NAMESPACE}::{rule}" if rule in RULES else None


STALE_ACKNOWLEDGEMENT = define(
    "LP502",
    Severity.WARNING,
    title="An acknowledgement accepts a finding that is still there",
    explanation=(
        "An acknowledgement of a LambdaPerm:: rule that matches no finding at its construct "
        "or below accepts nothing: the risk was fixed, or the acknowledgement sits on another "
        "scope than the grant. Left in place, it would silently accept the same risk if it "
        "came back."
    ),
    fix=(
        "remove the acknowledgement, or move it onto the construct (or a scope above it) "
        "whose finding it accepts"
    ),
    doc_url=VALIDATIONS_URL,
)
