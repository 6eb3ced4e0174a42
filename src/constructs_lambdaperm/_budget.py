"""The size budget at synth: every function's policy in the app fits Lambda's 20,480 bytes.

One validation per app, on its root, registered by :func:`enforce_policy_budget` (each of this
library's constructs calls it). When the app synthesizes it reads every ``CfnPermission`` of the
app (``_app_templates``, one walk of the tree), renders the policy of each function and
qualifier (``_policy``) and applies LP401 (over the limit: synth fails) and LP402 (over 80%, or
maybe over the limit because of deploy-time values: a warning).

LP402 is a CDK warning with a stable ID: ``Annotations.of(scope).acknowledge_warning(
"LambdaPerm::LP402")`` on the function, its stack or any scope above the function silences it,
and so does ``Validations.of(scope).acknowledge(...)`` with a reason.
"""

from __future__ import annotations

import weakref

import jsii
from aws_cdk import Annotations
from constructs import IConstruct, IValidation

from ._acknowledge import acknowledgements
from ._app_templates import logical_ids_of, read_stacks
from ._findings import MIN_REASON_LENGTH, Finding
from ._policy import ResourcePolicy, policies_of, with_logical_ids
from ._references import Resolver, StackTemplate
from ._rules.budget import POLICY_NEAR_LIMIT, WARNING_RATIO, check_policy

_REGISTERED: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""The roots that have the validation."""
_SEEN: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""Scopes already handled: their root is not asked for again (two calls into the CDK)."""


def enforce_policy_budget(scope: IConstruct) -> None:
    """Check, when the app synthesizes, that every function's policy fits Lambda's limit.

    Registers one validation on the root of ``scope``'s app however many times it is called
    (calls with a scope already seen cost nothing). The validation fails synth for a policy
    over 20,480 bytes (LP401) and warns above 80% of it (LP402).
    """
    try:
        if scope in _SEEN:
            return
        _SEEN.add(scope)
    except TypeError:  # not weakly referenceable: just look the root up
        pass
    root = scope.node.root
    if root in _REGISTERED:
        return
    _REGISTERED.add(root)
    root.node.add_validation(PolicyBudgetValidation(root))


@jsii.implements(IValidation)
class PolicyBudgetValidation:
    """Refuses a synth in which a function's resource-based policy exceeds 20,480 bytes."""

    def __init__(self, root: IConstruct) -> None:
        self._root = root

    def validate(self) -> list[str]:
        """An error for each policy over the limit; a warning for each one near it.

        The permissions' logical IDs (which only the Sids' lengths depend on) are read for the
        policies that may be near the limit only: each costs a call into the CDK.
        """
        stacks = read_stacks(self._root, logical_ids=False)
        resolver = Resolver(stacks)
        policies = policies_of(stacks, resolver)
        near = [p for p in policies if p.size > WARNING_RATIO * p.limit]
        if near:
            keys = [(s.stack, s.logical_id) for p in near for s in p.statements]
            logical_ids = logical_ids_of(stacks, keys)
            names = {stack.key: resolver.stack_name(stack) for stack in stacks}
            policies = [with_logical_ids(p, logical_ids, names) for p in near]
        errors: list[str] = []
        for policy in policies:
            for finding in check_policy(policy):
                if finding.blocking:
                    errors.append(finding.describe())
                else:
                    _warn(policy, finding, stacks)
        return errors


def _warn(policy: ResourcePolicy, finding: Finding, stacks: list[StackTemplate]) -> None:
    """Put the warning on the function when it is in the app, else on its first permission."""
    by_key = {stack.key: stack for stack in stacks}
    target: IConstruct | None = None
    if policy.function_stack is not None and policy.function_logical_id is not None:
        target = _construct(by_key[policy.function_stack], policy.function_logical_id)
    if target is None:
        first = policy.statements[0]
        target = _construct(by_key[first.stack], first._key or first.logical_id)
    if target is None:
        return
    reason = acknowledgements(target).get(POLICY_NEAR_LIMIT.qualified_id)
    if reason is not None and len(reason.strip()) >= MIN_REASON_LENGTH:
        return
    Annotations.of(target).add_warning_v2(finding.rule_id, finding.describe())


def _construct(stack: StackTemplate, logical_id: str) -> IConstruct | None:
    construct = getattr(stack.paths, "construct", None)
    return construct(logical_id) if construct is not None else None
