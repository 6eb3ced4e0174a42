"""Acknowledgements: the CDK's ``Validations.of(scope).acknowledge(...)``, seen by a grant.

A user may acknowledge a rule on the construct or on any scope above it (the stack, the app),
before or after creating the construct. Whether an unsafe finding is accepted is the guard's
to decide at synth (``plugin``), over the whole app. What a grant does here is for reviewers:
when it synthesizes, each acknowledgement that accepts one of its unsafe findings is written
into the resource's template ``Metadata`` (``aws:cdk:acknowledged-rules``), so a template diff
shows what was accepted and why, and ``lambdaperm lint`` of the template sees it too.

A grant with nothing unsafe gets no validation at all (each costs calls into the CDK).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import aws_lambda
from constructs import Construct, IConstruct, IValidation, MetadataEntry

from .._audit.acknowledgements import Acknowledgement, honoured
from .._core.findings import ACKNOWLEDGED_RULES, Finding


def acknowledgements(scope: IConstruct) -> dict[str, str]:
    """Rule IDs acknowledged on ``scope`` or above it, with their reasons (closest scope wins)."""
    found: dict[str, str] = {}
    for ancestor in scope.node.scopes:
        found.update(acknowledged_on(ancestor.node.metadata))
    return found


def acknowledged_on(metadata: Sequence[MetadataEntry]) -> dict[str, str]:
    """The acknowledgements in one construct's metadata entries, the last one winning."""
    found: dict[str, str] = {}
    for entry in metadata:
        if entry.type == ACKNOWLEDGED_RULES:
            data = entry.data
            if isinstance(data, Mapping):
                found.update({str(key): str(value) for key, value in data.items()})
    return found


def record_acknowledgements(
    construct: Construct,
    findings: Sequence[tuple[aws_lambda.CfnPermission, Sequence[Finding]]],
) -> None:
    """At synth, write into each resource's Metadata what accepts its unsafe ``findings``.

    Adds a validation to the construct only when it has an unsafe finding.
    """
    unsafe = [
        (resource, blocking)
        for resource, found in findings
        if (blocking := [f for f in found if f.blocking])
    ]
    if unsafe:
        construct.node.add_validation(_RecordAcknowledgements(construct, unsafe))


@jsii.implements(IValidation)
class _RecordAcknowledgements:
    """Writes the acknowledgements that accept a grant's unsafe findings into its resources."""

    def __init__(
        self,
        construct: Construct,
        findings: Sequence[tuple[aws_lambda.CfnPermission, Sequence[Finding]]],
    ) -> None:
        self._construct = construct
        self._findings = findings
        # What each resource's Metadata already records, so that another synth of the same
        # app writes it again only when an acknowledgement was added since.
        self._recorded: list[dict[str, str]] = [{} for _ in findings]

    def validate(self) -> list[str]:
        """Record what is accepted; refusing is the guard's job, so nothing is ever returned."""
        acknowledged = acknowledgements(self._construct)
        for (resource, findings), recorded in zip(self._findings, self._recorded, strict=True):
            accepted = {
                finding.rule_id: reason
                for finding in findings
                if (reason := acknowledged.get(finding.rule_id)) is not None
                and honoured(Acknowledgement(finding.rule_id, reason, ""), finding.rule)
            }
            if accepted and accepted != recorded:
                resource.add_metadata(ACKNOWLEDGED_RULES, dict(sorted(accepted.items())))
                recorded.clear()
                recorded.update(accepted)
        return []
