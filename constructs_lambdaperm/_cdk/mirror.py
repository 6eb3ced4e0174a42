"""The opt-in: other tools' suppressions for the findings this library's acknowledgements accept.

``mirror_acknowledgements(scope)`` adds a construct validation to ``scope`` (and to each Stage
below it: a Stage writes its templates in its own synthesis, before the app's validations
run). When it runs, after every construct and acknowledgement exists and before any template
of its Stage is written, it reads the Stage's permissions and function URLs from the construct
tree (``app_tree``), lets the guard's rules and acknowledgement lookup decide what is accepted
(``_audit.mirror``), and writes each other tool's suppression onto its resource:

- cdk-nag: ``Validations.of(resource).acknowledge(...)`` with the pack's ID, which the CDK
  matches against the pack's findings when it builds its validation report;
- checkov and cfn_nag: their keys of the resource's template ``Metadata``, merged with what is
  there.

Nothing is read or written for an app that never calls it.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct, IValidation

from .._audit.mirror import Suppression, suppressions
from .._rules.app import Site
from .._rules.other_tools import CDK_NAG, CFN_NAG, CHECKOV, TOOLS
from .acknowledge import acknowledged_on, acknowledgements
from .app_tree import read_stack_nodes

_METADATA = {
    CHECKOV: ("checkov", "skip", "comment"),
    CFN_NAG: ("cfn_nag", "rules_to_suppress", "reason"),
}
"""For each tool that reads template Metadata: its key, the list in it, and the reason's key."""

_MIRRORS: weakref.WeakKeyDictionary[IConstruct, _Mirror] = weakref.WeakKeyDictionary()
"""The validation added to each construct, so that a second call adds tools, not a copy."""

_WARNING_ID = "LambdaPerm:mirrorMetadata"


def mirror_acknowledgements(
    scope: IConstruct,
    *,
    tools: Sequence[str] = (CDK_NAG, CHECKOV, CFN_NAG),
) -> None:
    """Write other tools' suppressions for every finding a ``LambdaPerm::`` acknowledgement accepts.

    One risk, one acknowledgement: a public function URL acknowledged as ``LambdaPerm::LP306``
    is also flagged by cdk-nag's HIPAA, NIST 800-53 and PCI DSS packs, by checkov's
    CKV_AWS_258 and by cfn_nag's F13. With this call, when the app synthesizes, every
    ``AWS::Lambda::Permission`` under ``scope`` whose finding an acknowledgement accepts (made
    with ``Validations.of(s).acknowledge(...)`` on it or a scope above, with a reason of at
    least 10 characters) also gets the matching suppression of each tool in ``tools``, with
    the same reason, on the resource that tool checks: the permission, the ``InvokeFunction``
    permission that goes with a function URL grant, or the ``AWS::Lambda::Url``. The rules
    and tools are listed in the rules table (``lambdaperm rules``); it works for every
    permission, whoever made it (this library's constructs, ``add_function_url``,
    ``grant_invoke``, ``add_permission``, a plain ``CfnPermission``).

    Call it once the app is built, before it synthesizes (for example just before
    ``app.synth()``): a Stage created after the call would have written its templates before
    the suppressions, so synth then fails and names it.

    :param scope: the construct whose resources get the suppressions: the app, a Stage, a
        stack or any construct.
    :param tools: which tools' suppressions to write: ``cdk-nag`` (an acknowledgement in the
        pack's namespace, which the CDK lists with the reason among the report's suppressed
        violations), ``checkov`` (``Metadata.checkov.skip``) and ``cfn_nag``
        (``Metadata.cfn_nag.rules_to_suppress``); what the template ``Metadata`` already
        holds is kept. Default: - all three.
    :raises ValueError: when ``tools`` names no tool or another tool than these three.
    """
    chosen = _chosen(scope, tools)
    stages = [node for node in scope.node.find_all() if isinstance(node, cdk.Stage)]
    for target in [scope, *(stage for stage in stages if stage is not scope)]:
        mirror = _MIRRORS.get(target)
        if mirror is None:
            mirror = _Mirror(target)
            target.node.add_validation(mirror)
            _MIRRORS[target] = mirror
        mirror.tools.update(chosen)


def _chosen(scope: IConstruct, tools: Any) -> frozenset[str]:
    where = f"mirror_acknowledgements({scope.node.path or 'the app'!r})"
    allowed = ", ".join(repr(name) for name in TOOLS)
    if isinstance(tools, str):
        raise ValueError(
            f"{where}: tools takes a list of tool names, not the string {tools!r}: write "
            f"tools=[{tools!r}] (allowed: {allowed})"
        )
    try:
        names = list(tools)
    except TypeError:
        raise ValueError(
            f"{where}: tools must be a list of tool names, not {tools!r} (allowed: {allowed})"
        ) from None
    unknown = [name for name in names if name not in TOOLS]
    if unknown:
        raise ValueError(
            f"{where}: tools={names!r} names {', '.join(repr(u) for u in unknown)}, which it "
            f"does not write for: use {allowed}"
        )
    if not names:
        raise ValueError(f"{where}: tools is empty: name at least one of {allowed}")
    return frozenset(names)


@jsii.implements(IValidation)
class _Mirror:
    """At synth, writes the suppressions for the resources under one construct of one Stage."""

    def __init__(self, construct: IConstruct) -> None:
        self._construct = construct
        self.tools: set[str] = set()

    def validate(self) -> list[str]:
        """Write the suppressions; report a Stage created too late to get them."""
        construct = self._construct
        stage = construct if isinstance(construct, cdk.Stage) else cdk.Stage.of(construct)
        root = stage if stage is not None else construct.node.root
        base = construct.node.path
        # A Stage below synthesizes before this one validates: one that has its own mirror is
        # left to it; one created after the call is read only to tell whether it lost anything.
        inner = {
            node.node.path: node
            for node in root.node.find_all()
            if isinstance(node, cdk.Stage) and node is not root
        }
        mirrored = [f"{path}/" for path, node in inner.items() if node in _MIRRORS]
        read = [
            (template, found)
            for template, found in read_stack_nodes(root)
            if not any(template.key.startswith(prefix) for prefix in mirrored)
        ]
        nodes = {template.key: found for template, found in read}

        def acknowledged(site: Site) -> Mapping[str, str]:
            if not _related(site.stack, base):
                return {}
            node = nodes.get(site.stack, {}).get(site.logical_id)
            return acknowledgements(node) if node is not None else {}

        planned = suppressions(
            [template for template, _ in read], acknowledged, frozenset(self.tools)
        )
        late: set[str] = set()
        for site, items in planned.items():
            node = nodes.get(site.stack, {}).get(site.logical_id)
            if not isinstance(node, cdk.CfnResource):
                continue
            path = node.node.path
            if base and path != base and not path.startswith(f"{base}/"):
                continue
            enclosing = [p for p in inner if path.startswith(f"{p}/")]
            if enclosing:
                late.add(max(enclosing, key=len))
                continue
            _write(node, items)
        return [
            f"mirror_acknowledgements({base or 'the app'!r}) was called before Stage {owner!r} "
            "was created, and that Stage wrote its templates before the suppressions: call it "
            "once the app is built (just before app.synth()), or on the Stage"
            for owner in sorted(late)
        ]


def _related(stack: str, base: str) -> bool:
    """Whether a stack may hold resources under the construct path ``base``."""
    return not base or stack == base or stack.startswith(f"{base}/") or base.startswith(f"{stack}/")


def _write(resource: cdk.CfnResource, items: Sequence[Suppression]) -> None:
    """Write each suppression once, keeping what the resource already has."""
    nag = [item for item in items if item.tool == CDK_NAG]
    if nag:
        present = acknowledged_on(resource.node.metadata)
        for item in nag:
            if item.id not in present:
                cdk.Validations.of(resource).acknowledge(
                    cdk.Acknowledgment(id=item.id, reason=item.reason)
                )
    for tool, (key, list_key, reason_key) in _METADATA.items():
        entries = [{"id": item.id, reason_key: item.reason} for item in items if item.tool == tool]
        if entries:
            _merge(resource, key, list_key, entries)


def _merge(
    resource: cdk.CfnResource, key: str, list_key: str, entries: Collection[Mapping[str, str]]
) -> None:
    existing = resource.get_metadata(key)
    block = dict(existing) if isinstance(existing, Mapping) else {}
    current = block.get(list_key) or []
    if (existing is not None and not isinstance(existing, Mapping)) or not isinstance(
        current, list
    ):
        cdk.Annotations.of(resource).add_warning_v2(
            _WARNING_ID,
            f"Metadata.{key} is not in the form {key} reads ({{{list_key}: [...]}}): "
            "mirror_acknowledgements left it as it is and wrote nothing into it",
        )
        return
    ids = {entry.get("id") for entry in current if isinstance(entry, Mapping)}
    added = [dict(entry) for entry in entries if entry["id"] not in ids]
    if added:
        block[list_key] = [*current, *added]
        resource.add_metadata(key, block)
