"""Acknowledgements: the CDK's ``Validations.of(scope).acknowledge(...)``, read at synth.

A user may acknowledge a rule on the construct or on any scope above it (the stack, the app),
before or after creating the construct, so unsafe findings are settled when the app is
synthesized, in a validation on the construct's node.

Each validation costs jsii round trips (creating it, adding it, the kernel calling it back), so
a construct with nothing unsafe gets none of its own: one validation on its scope, which the CDK
runs before the scope's children, reads the own acknowledgements of every such construct and
adds the construct's validation only to those that acknowledge something that cannot be
honoured. The messages, and the construct path they are reported at, are the same.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence

import jsii
from aws_cdk import Annotations, aws_lambda
from constructs import Construct, IConstruct, IValidation, MetadataEntry, Node

from ._errors import parameter_label
from ._findings import MIN_REASON_LENGTH, NAMESPACE, Finding, Severity
from ._rules import RULES

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
"""Metadata key the CDK stores acknowledgements under; also written on the template resource."""

_ANNOTATION_PREFIX = "Annotation::"


def acknowledgements(scope: IConstruct) -> dict[str, str]:
    """Rule IDs acknowledged on ``scope`` or above it, with their reasons (closest scope wins)."""
    found: dict[str, str] = {}
    for ancestor in scope.node.scopes:
        found.update(_acknowledged_on(ancestor.node.metadata))
    return found


def settle_at_synth(
    scope: IConstruct,
    construct: Construct,
    findings: Sequence[tuple[aws_lambda.CfnPermission, Sequence[Finding]]],
    parameter_names: Mapping[str, str],
) -> None:
    """Check, at synth, the unsafe ``findings`` of ``construct`` and its own acknowledgements.

    ``scope`` is the construct's parent: the CDK validates it before the construct. A construct
    with a blocking unsafe finding gets its validation now; the others share one on ``scope``.
    """
    validation = UnsafeGrantValidation(construct, findings, parameter_names)
    if validation.needs_acknowledgements:
        node = construct.node
        validation.node = node
        node.add_validation(validation)
        return
    check = _SCOPE_CHECKS.get(scope)
    if check is None:
        check = _SCOPE_CHECKS[scope] = _OwnAcknowledgementsCheck()
        scope.node.add_validation(check)
    check.pending.append(validation)


def _acknowledged_on(metadata: Sequence[MetadataEntry]) -> dict[str, str]:
    """The acknowledgements in one construct's metadata entries, the last one winning."""
    found: dict[str, str] = {}
    for entry in metadata:
        if entry.type == ACKNOWLEDGED_RULES:
            data = entry.data
            if isinstance(data, Mapping):
                found.update({str(key): str(value) for key, value in data.items()})
    return found


def _own_acknowledgement_errors(own: Iterable[str]) -> list[str]:
    """Acknowledgements of this library's rules that cannot be honoured, as error messages."""
    errors: list[str] = []
    for rule_id in sorted(own):
        namespace, _, short = str(rule_id).partition("::")
        if namespace != NAMESPACE:
            continue
        rule = RULES.get(short)
        if rule is None:
            errors.append(f"{rule_id} is acknowledged but no such rule exists (see docs/rules.md)")
        elif rule.severity is Severity.ERROR:
            errors.append(f"{rule_id} is acknowledged but reports invalid values: fix the value")
    return errors


@jsii.implements(IValidation)
class UnsafeGrantValidation:
    """Refuses, at synth, each unsafe finding of a construct that nobody acknowledged."""

    def __init__(
        self,
        construct: Construct,
        findings: Sequence[tuple[aws_lambda.CfnPermission, Sequence[Finding]]],
        parameter_names: Mapping[str, str],
    ) -> None:
        self.construct = construct
        """The construct whose findings and acknowledgements this validation checks."""
        # Only blocking unsafe findings need the acknowledgements; the rest never change.
        self._findings = [
            (resource, blocking)
            for resource, found in findings
            if (blocking := [f for f in found if f.blocking and f.severity is Severity.UNSAFE])
        ]
        self._names = parameter_names
        # What each resource's template metadata already records, so that another synth of the
        # same app writes it again only when an acknowledgement was added since.
        self._recorded: list[dict[str, str]] = [{} for _ in self._findings]
        self.node: Node | None = None
        """The construct's node, when it is already known (saves a round trip at synth)."""

    @property
    def needs_acknowledgements(self) -> bool:
        """Whether a finding is refused unless acknowledged."""
        return bool(self._findings)

    def validate(self) -> list[str]:
        """Error messages for every unacknowledged unsafe finding; records the acknowledged."""
        # Every jsii call here is a round trip to the kernel, once per construct per synth: the
        # construct's own metadata is read once, and the scopes above only when a finding needs
        # an acknowledgement.
        node = self.node or self.construct.node
        own = _acknowledged_on(node.metadata)
        errors = _own_acknowledgement_errors(own)
        if not self._findings:
            return errors
        acknowledged: dict[str, str] = {}
        for ancestor in node.scopes[:-1]:
            acknowledged.update(_acknowledged_on(ancestor.node.metadata))
        acknowledged.update(own)
        for (resource, findings), recorded in zip(self._findings, self._recorded, strict=True):
            honoured: dict[str, str] = {}
            for finding in findings:
                reason = acknowledged.get(finding.rule_id)
                if reason is None:
                    errors.append(_refusal(finding, acknowledged, self._names))
                elif len(reason.strip()) < MIN_REASON_LENGTH:
                    errors.append(
                        f"{finding.rule_id} is acknowledged with the reason {reason!r}: say why "
                        f"in at least {MIN_REASON_LENGTH} characters"
                    )
                else:
                    honoured[finding.rule_id] = reason
            if honoured and honoured != recorded:
                # In the template, so reviewers see in a diff what was accepted and why.
                resource.add_metadata(ACKNOWLEDGED_RULES, dict(sorted(honoured.items())))
                for rule_id, reason in sorted(honoured.items()):
                    if recorded.get(rule_id) != reason:
                        Annotations.of(resource).add_info(f"{rule_id} acknowledged: {reason}")
                recorded.update(honoured)
        return errors


def _refusal(finding: Finding, acknowledged: Mapping[str, str], names: Mapping[str, str]) -> str:
    hint = ""
    if _ANNOTATION_PREFIX + finding.rule.id in acknowledged:
        hint = f" (an acknowledgement of '{finding.rule.id}' was found: write '{finding.rule_id}')"
    return (
        f"{finding.describe(parameter_label(finding, names))} "
        "To accept this risk, acknowledge it in code: "
        f"Validations.of(scope).acknowledge(Acknowledgment(id='{finding.rule_id}', "
        f"reason='...')){hint}"
    )


@jsii.implements(IValidation)
class _OwnAcknowledgementsCheck:
    """On a scope: gives each construct in it with a bad own acknowledgement its validation."""

    def __init__(self) -> None:
        self.pending: list[UnsafeGrantValidation] = []

    def validate(self) -> list[str]:
        """Add their validation to the constructs that need one; report nothing itself."""
        # The CDK validates a scope before its children, so the validations added here run in
        # the same synth, at the construct's own path.
        pending: list[UnsafeGrantValidation] = []
        for validation in self.pending:
            node = validation.node
            if node is None:
                node = validation.node = validation.construct.node
            if _own_acknowledgement_errors(_acknowledged_on(node.metadata)):
                node.add_validation(validation)
            else:
                pending.append(validation)
        self.pending = pending
        return []


_SCOPE_CHECKS: weakref.WeakKeyDictionary[IConstruct, _OwnAcknowledgementsCheck] = (
    weakref.WeakKeyDictionary()
)
