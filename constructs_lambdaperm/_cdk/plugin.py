"""The app-wide check at synth: a CDK validation plugin over the synthesized templates.

Registered once per app by :func:`enforce_policy_budget` (each of this library's constructs calls
it). The CDK runs it after writing the cloud assembly, so it reads files, not the construct tree:
no call into the CDK per resource, whatever the size of the app. It reports

- LP401: a function's policy over Lambda's 20,480 bytes (fatal: synth fails);
- LP402: a policy over 80% of it, or maybe over it because of deploy-time values (a warning);
- LP501: an acknowledgement of a ``LambdaPerm::`` rule that cannot be honoured (fatal).

Its findings appear in the CDK's validation report (``cdk.out/validation-report.json``): a
policy's at the construct path of its function (at the deepest scope holding all its
statements when the function is defined outside the app), an acknowledgement's at the construct
that holds it. The CDK itself honours acknowledgements of LP402
(``Validations.of(scope).acknowledge(...)`` on the function or any scope above it); fatal
violations cannot be acknowledged. The CDK runs plugins when an ``App`` synthesizes only.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from .._core.findings import NAMESPACE, Finding, Severity
from .._core.version import VERSION
from .._policy.policies import ResourcePolicy, policies_of
from .._readers.assembly import Acknowledged, AssemblyStack, read_stack
from .._readers.references import Resolver
from .._rules.acknowledgements import check_acknowledgements
from .._rules.budget import check_policy
from .acknowledge import acknowledged_on

_REGISTERED: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""The apps that have the plugin."""
_SEEN: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""Scopes already handled: their root is not asked for again (two calls into the CDK)."""

_SEVERITY = {Severity.ERROR: "fatal", Severity.WARNING: "warning"}
"""How the CDK's report shows the plugin's severities. "fatal" is the one the CDK never lets an
acknowledgement suppress, as invalid values are never acknowledgeable here."""
_FAILING = frozenset({"error", "fatal"})
"""The report severities that fail the synth."""


def enforce_policy_budget(scope: IConstruct) -> None:
    """Check, when the app synthesizes, that every function's policy fits Lambda's limit.

    Adds this library's validation plugin to the ``App`` that holds ``scope``, once however
    many times it is called (calls with a scope already seen cost nothing). When the app
    synthesizes, the plugin fails synth for a policy over 20,480 bytes (LP401), warns above 80%
    of it (LP402) and refuses acknowledgements of ``LambdaPerm::`` rules that cannot be
    honoured (LP501). An app whose root is not an ``App`` (a bare ``Stage`` or construct)
    runs no validation plugin, so nothing is added.
    """
    try:
        if scope in _SEEN:
            return
        _SEEN.add(scope)
    except TypeError:  # not weakly referenceable: just look the root up
        pass
    root = scope.node.root
    if root in _REGISTERED or not isinstance(root, cdk.App):
        return
    _REGISTERED.add(root)
    cdk.Validations.of(root).add_plugins(LambdaPermPlugin())


@jsii.implements(cdk.IPolicyValidationPlugin)
class LambdaPermPlugin:
    """The CDK validation plugin that checks every function's policy and every acknowledgement.

    It checks every ``AWS::Lambda::Permission`` in the synthesized templates, whichever
    construct made it (``Function.add_permission``, a raw ``CfnPermission``, another library).
    """

    @property
    def name(self) -> str:
        """The plugin's name: the namespace of its rule IDs."""
        return NAMESPACE

    @property
    def version(self) -> str:
        """The version of constructs-lambdaperm."""
        return VERSION

    @property
    def rule_ids(self) -> list[str]:
        """The rules it reports."""
        return ["LP401", "LP402", "LP501"]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """Read the synthesized stacks and report what is wrong with them."""
        manifests: dict[Path, Any] = {}
        stacks = [
            found
            for stack in context.stack_templates
            for found in read_stack(
                stack.template_path,
                stack.stack_construct_path,
                account=stack.account_id,
                region=stack.region,
                manifests=manifests,
            )
        ]
        acknowledged = [a for stack in stacks for a in stack.acknowledged]
        acknowledged += _outside_stacks(context.app_construct)
        violations = _budget_violations(stacks) + _acknowledgement_violations(acknowledged)
        return cdk.PolicyValidationPluginReport(
            success=not any(v.severity in _FAILING for v in violations),
            violations=violations,
        )


def _outside_stacks(root: IConstruct) -> list[Acknowledged]:
    """Acknowledgements on the app and on the constructs between it and its stacks (Stages...).

    The assembly records a stack's own constructs only; these few are read from the tree, a
    few calls into the CDK each.
    """
    found: list[Acknowledged] = []
    pending = [root]
    while pending:
        node = pending.pop().node
        found.extend(
            Acknowledged(node.path, rule_id, reason)
            for rule_id, reason in acknowledged_on(node.metadata).items()
        )
        pending.extend(child for child in node.children if not isinstance(child, cdk.Stack))
    return found


def _budget_violations(stacks: Sequence[AssemblyStack]) -> list[cdk.PolicyViolation]:
    templates = [stack.template for stack in stacks]
    by_key = {stack.template.key: stack for stack in stacks}
    policies = policies_of(
        templates, Resolver(templates), load=lambda t: by_key[t.key].with_permissions()
    )
    return [
        _violation(finding, [_policy_location(policy, by_key)])
        for policy in policies
        for finding in check_policy(policy)
    ]


def _policy_location(
    policy: ResourcePolicy, stacks: Mapping[str, AssemblyStack]
) -> cdk.PolicyViolatingResource:
    """Where the report shows a policy's finding: its function, else its statements' scope.

    One place, because the CDK's report repeats the whole finding for each resource named (the
    message lists the statements). For a function defined outside the app, the deepest scope
    holding every statement (often their stack) stays put as grants come and go. The CDK
    silences an acknowledged warning on that place or a scope above it.
    """
    function_stack = stacks.get(policy.function_stack or "")
    if function_stack is not None and policy.function_logical_id is not None:
        logical_id = policy.function_logical_id
        return cdk.PolicyViolatingResource(
            resource_logical_id=logical_id,
            template_path=function_stack.template_path,
            construct_path=function_stack.template.paths.get(logical_id),
            locations=[],
        )
    paths = [(s.path or f"{s.stack}/{s.logical_id}").split("/") for s in policy.statements]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return cdk.PolicyViolatingResource(construct_path="/".join(common or paths[0]), locations=[])


def _acknowledgement_violations(acknowledged: Sequence[Acknowledged]) -> list[cdk.PolicyViolation]:
    violations: list[cdk.PolicyViolation] = []
    for finding in check_acknowledgements((a.path, a.rule_id, a.reason) for a in acknowledged):
        resource = cdk.PolicyViolatingResource(construct_path=finding.location[0], locations=[])
        violations.append(_violation(finding, [resource]))
    return violations


def _violation(
    finding: Finding, resources: list[cdk.PolicyViolatingResource]
) -> cdk.PolicyViolation:
    return cdk.PolicyViolation(
        rule_name=finding.rule.id,
        description=finding.message,
        fix=finding.fix,
        severity=_SEVERITY[finding.severity],
        violating_resources=resources,
        rule_metadata={"title": finding.rule.title, "documentation": finding.rule.doc_url},
    )
