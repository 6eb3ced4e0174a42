"""What a user may hand to ``resource_policies`` and the test helpers: an app, or a template.

Above every layer: a template dict is read by the pure readers; a CDK ``App``, ``Stage`` or
``Stack`` by the CDK layer's tree reader, imported only then, so that reading templates never
loads the CDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._policy.policies import ResourcePolicy, policies_of
from ._readers.references import Resolver
from ._readers.template import stack_from_template

if TYPE_CHECKING:
    from constructs import IConstruct


def resource_policies(
    source: IConstruct | Mapping[str, Any],
    *,
    stack_name: str | None = None,
    account: str | None = None,
    region: str | None = None,
    partition: str | None = None,
) -> list[ResourcePolicy]:
    """The resource-based policies Lambda will hold, one per function and qualifier.

    :param source: a CDK ``App`` or ``Stage`` (every permission in it), a ``Stack`` (the
        policies it adds statements to or whose function it defines, with every statement of
        the app), or a CloudFormation template as a dict (read without the CDK).
    :param stack_name: for a template, the name of its stack, which starts each generated Sid.
        Default: - unknown: the Sids are counted at their longest.
    :param account: for a template, the account it deploys to. Default: - unknown.
    :param region: for a template, the region it deploys to. Default: - unknown.
    :param partition: for a template, the partition. Default: - the region's partition.

    Policies come sorted by function and qualifier; statements by stack and logical ID.
    """
    policies, _ = collect(
        source, stack_name=stack_name, account=account, region=region, partition=partition
    )
    return policies


def collect(
    source: IConstruct | Mapping[str, Any],
    *,
    stack_name: str | None = None,
    account: str | None = None,
    region: str | None = None,
    partition: str | None = None,
) -> tuple[list[ResourcePolicy], Mapping[str, tuple[str, str]]]:
    """The policies of ``source`` (see :func:`resource_policies`), and its functions.

    The functions are every ``AWS::Lambda::Function`` read, by ARN (deploy-time parts as
    markers), with their stack key and logical ID.
    """
    if isinstance(source, Mapping):
        stack = stack_from_template(
            source, name=stack_name, account=account, region=region, partition=partition
        )
        stacks, selected = [stack], None
    else:
        from ._cdk.app_tree import app_stacks  # loads aws_cdk: only for a CDK source

        stacks, selected = app_stacks(source)
    resolver = Resolver(stacks)
    policies = policies_of(stacks, resolver)
    if selected is not None:
        policies = [
            policy
            for policy in policies
            if policy.function_stack in selected
            or any(s.stack in selected for s in policy.statements)
        ]
    return policies, resolver.definitions()
