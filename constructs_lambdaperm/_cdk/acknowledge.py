"""Acknowledgements: the CDK's ``Validations.of(scope).acknowledge(...)``, read at synth.

A user may acknowledge a rule on the construct or on any scope above it (the stack, the app),
before or after creating the construct, so unsafe findings are settled when the app is
synthesized, in a validation on the construct's node. A construct with nothing unsafe gets no
validation at all (each costs calls into the CDK): whether its acknowledgements can be honoured
is checked over the whole app by the validation plugin (``_budget``, rule LP501).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Annotations, aws_lambda
from constructs import Construct, IConstruct, IValidation, MetadataEntry

from .._core.errors import parameter_label
from .._core.findings import ACKNOWLEDGED_RULES, MIN_REASON_LENGTH, Finding, Severity

_ANNOTATION_PREFIX = "Annotation::"


def acknowledgements(scope: IConstruct) -> dict[str, str]:
    """Rule IDs acknowledged on ``scope`` or above it, with their reasons (closest scope wins)."""
    found: dict[str, str] = {}
    for ancestor in scope.node.scopes:
        found.update(acknowledged_on(ancestor.node.metadata))
    return found


def settle_at_synth(
    construct: Construct,
    findings: Sequence[tuple[aws_lambda.CfnPermission, Sequence[Finding]]],
    parameter_names: Mapping[str, str],
) -> None:
    """Refuse, at synth, the unsafe ``findings`` of ``construct`` that nobody acknowledged.

    Adds a validation to the construct only when a finding needs an acknowledgement.
    """
    validation = UnsafeGrantValidation(construct, findings, parameter_names)
    if validation.needs_acknowledgements:
        construct.node.add_validation(validation)


def acknowledged_on(metadata: Sequence[MetadataEntry]) -> dict[str, str]:
    """The acknowledgements in one construct's metadata entries, the last one winning."""
    found: dict[str, str] = {}
    for entry in metadata:
        if entry.type == ACKNOWLEDGED_RULES:
            data = entry.data
            if isinstance(data, Mapping):
                found.update({str(key): str(value) for key, value in data.items()})
    return found


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

    @property
    def needs_acknowledgements(self) -> bool:
        """Whether a finding is refused unless acknowledged."""
        return bool(self._findings)

    def validate(self) -> list[str]:
        """Error messages for every unacknowledged unsafe finding; records the acknowledged."""
        acknowledged = acknowledgements(self.construct)
        errors: list[str] = []
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
