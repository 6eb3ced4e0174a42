"""What the guard checks, made from what the readers give: one :class:`AuditStack` per stack.

Shared by the validation plugin (a synthesized app) and the command line (a ``cdk.out`` read
back, template files), so that both hand the engine the same stacks, with the same construct
paths and acknowledgements, for the same assembly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .._readers.assembly import AssemblyStack
from .._readers.template import stack_from_template
from .acknowledgements import Acknowledgement
from .engine import AuditStack


def from_assembly(stack: AssemblyStack, library_paths: frozenset[str] | None = None) -> AuditStack:
    """One stack of a cloud assembly, with the acknowledgements its assembly records.

    The acknowledgements are those the CDK writes into the assembly's metadata for every
    ``Validations.of(scope).acknowledge(...)`` on a construct of the stack (the
    ``aws:cdk:acknowledged-rules`` entries); the stack's permissions are read when the engine
    comes to them. ``library_paths`` are the construct paths of this library's grants.
    Default: - ``None``, which grants this library made cannot be told.
    """
    return AuditStack(
        template=stack.template,
        template_path=stack.template_path,
        acknowledged=[Acknowledgement(a.rule_id, a.reason, a.path) for a in stack.acknowledged],
        library_paths=library_paths,
        load=stack.with_permissions,
    )


def from_template(
    template: Mapping[str, Any],
    key: str,
    *,
    template_path: str | None = None,
    paths: Mapping[str, str] | None = None,
    acknowledged: Sequence[Acknowledgement] = (),
) -> AuditStack:
    """One template file, keyed by ``key`` (unique among the stacks checked together).

    The stack's name, account and region are unknown (deploy-time values): a template does
    not say where it is deployed. The acknowledgements in its resources' ``Metadata`` are
    read by the engine; ``paths`` and ``acknowledged`` add scopes above the resources (a SAM
    resource and what it acknowledges, for the resources generated from it).
    Default: - no scopes.
    """
    # Its own assembly: a Ref in one template never names another template's resource.
    stack = replace(stack_from_template(template), key=key, paths=dict(paths or {}), assembly=key)
    return AuditStack(template=stack, template_path=template_path, acknowledged=list(acknowledged))
