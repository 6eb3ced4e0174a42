"""Acknowledgements: the CDK's ``Validations.of(scope).acknowledge(...)``, read at synth.

A user may acknowledge a rule on the construct or on any scope above it (the stack, the app),
before or after creating the construct, so unsafe findings are settled when the app is
synthesized, in a validation the construct adds to its node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import jsii
from aws_cdk import Annotations, aws_lambda
from constructs import Construct, IConstruct, IValidation, MetadataEntry

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
        self._construct = construct
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

    def validate(self) -> list[str]:
        """Error messages for every unacknowledged unsafe finding; records the acknowledged."""
        # Every jsii call here is a round trip to the kernel, once per construct per synth: the
        # construct's own metadata is read once, and the scopes above only when a finding needs
        # an acknowledgement.
        node = self._construct.node
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
