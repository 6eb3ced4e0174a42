"""The guard: every rule over every Lambda permission of an app or of some templates, at once.

Pure Python. The same function checks a synthesized cloud assembly (the CDK validation plugin)
and template files (``lambdaperm lint``), so both apply the same rules with the same
acknowledgements:

- every rule that applies to one permission (LP1xx, LP3xx), on its values resolved as far as
  the app tells (``_readers.references``), and on each permission an
  ``AWS::Lambda::ResourcePolicy`` statement stands for (``_policy.documents``): a rule whose
  verdict a part of the statement no AddPermission parameter expresses may change (a
  condition such as ``aws:SourceIp``, a Deny statement of the document) reports it as not
  evaluated, never passed and never refused for that;
- the policy rules (LP401, LP402) on each function's and qualifier's whole policy;
- the app-level rules (LP601-LP611) on every grant at once;
- the acknowledgements themselves: LP501 for one that cannot be honoured, LP502 for one that
  accepted nothing;
- LP600, the verdict, when a finding that refuses deployment remains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import _rules
from .._core import tokens
from .._core.findings import ACKNOWLEDGED_RULES, Finding, Rule, Severity
from .._core.model import Permission
from .._policy import documents as _documents
from .._policy import render
from .._policy.policies import PolicyStatement, ResourcePolicy, permission_of, policies_of
from .._readers.documents import RESOURCE_POLICY_TYPE
from .._readers.references import Resolver
from .._readers.stacks import StackTemplate, concrete
from .._readers.template import PERMISSION_TYPE, branches
from .._readers.urls import function_urls
from .._rules.acknowledgements import STALE_ACKNOWLEDGEMENT, check_acknowledgement
from .._rules.app import BLOCKED, AppDocument, AppGrant, AppUrl, AppView, Site, check_app
from .._rules.budget import check_policy
from .._rules.security import PUBLIC
from .acknowledgements import Acknowledgement, Acknowledgements, from_metadata, honoured
from .config import GuardConfig

_REFERENCE_KEYS = ("Ref", "Fn::GetAtt")


@dataclass(frozen=True)
class AuditStack:
    """One stack (or template) to check, with what its assembly says about it."""

    template: StackTemplate
    """The template; its ``AWS::Lambda::Permission`` resources may be left out (see ``load``)."""
    template_path: str | None = None
    """The template file, when there is one."""
    acknowledged: Sequence[Acknowledgement] = ()
    """Acknowledgements made on constructs of the stack (``Validations.of(scope)``)."""
    library_paths: frozenset[str] | None = None
    """Construct paths of this library's grants in the stack; ``None``: cannot be told."""
    load: Callable[[], StackTemplate] | None = None
    """Returns the template with every resource, when ``template`` leaves permissions out."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a finding is shown: a stack, and a resource or a construct of it."""

    stack: str
    """The stack's key (its construct path, or the template's name)."""
    logical_id: str | None = None
    """The resource's logical ID, when the finding is on a resource."""
    construct_path: str | None = None
    """The construct path, in a CDK app."""
    template_path: str | None = None
    """The template file."""


@dataclass(frozen=True)
class Reported:
    """A finding of the guard, where it is, how severe, and what accepted it."""

    finding: Finding
    """The finding."""
    severity: Severity
    """Its severity, after the guard's ``severities``."""
    places: tuple[Place, ...]
    """Where it is: the first is where it is best fixed; a policy's are its function and
    each stack holding its statements."""
    acknowledgement: Acknowledgement | None = None
    """The acknowledgement that accepted it. Default: - none."""

    @property
    def rule(self) -> Rule:
        """The rule that reported it."""
        return self.finding.rule

    @property
    def blocking(self) -> bool:
        """Whether it refuses deployment: an error, or an unsafe finding nobody accepted."""
        return (
            self.finding.evaluated
            and self.severity in (Severity.ERROR, Severity.UNSAFE)
            and self.acknowledgement is None
        )


@dataclass(frozen=True)
class AuditReport:
    """Everything the guard found, and the policies it read."""

    findings: tuple[Reported, ...]
    """Every finding, evaluated or not, accepted or not."""
    policies: tuple[ResourcePolicy, ...] = field(default=(), repr=False)
    """The policy of every function and qualifier."""

    @property
    def blocking(self) -> list[Reported]:
        """The findings that refuse deployment."""
        return [r for r in self.findings if r.blocking]


def audit(
    stacks: Sequence[AuditStack],
    config: GuardConfig | None = None,
    *,
    acknowledged: Sequence[Acknowledgement] = (),
) -> AuditReport:
    """Check every Lambda permission of ``stacks`` with every rule of the catalogue.

    ``acknowledged`` adds acknowledgements made outside any stack (on the app, a Stage).
    """
    config = config or GuardConfig()
    by_key = {stack.template.key: stack for stack in stacks}
    templates = [stack.template for stack in stacks]
    resolver = Resolver(templates)
    loaded: dict[str, _StackFacts] = {}

    def load(template: StackTemplate) -> StackTemplate:
        stack = by_key[template.key]
        full = stack.load() if stack.load is not None else template
        loaded[template.key] = _StackFacts.of(full)
        return full

    policies = policies_of(templates, resolver, load=load)
    places = _Places(by_key)
    entries = [
        entry
        for policy in policies
        for index, statement in enumerate(policy.statements)
        for entry in _entries(statement, index, policy, by_key[statement.stack], loaded, places)
    ]
    grants = [entry.grant for entry in entries]
    view = AppView(
        grants=grants,
        urls=[
            AppUrl(
                site=Site(t.key, url.logical_id, t.paths.get(url.logical_id)),
                function=url.function,
                qualifier=url.qualifier,
                auth_type=url.auth_type,
            )
            for t in templates
            for url in function_urls(t, resolver)
        ],
        documents=[
            AppDocument(
                site=Site(p.document_stack, p.document_logical_id, _document_path(p, by_key)),
                function=p.function,
                qualifier=p.qualifier,
            )
            for p in policies
            if p.document_stack is not None and p.document_logical_id is not None
        ],
        allowed_accounts=config.allowed_accounts,
        allowed_org_ids=config.allowed_org_ids,
        require_constructs=config.require_constructs,
    )
    acknowledgements = Acknowledgements(
        [*acknowledged]
        + [a for stack in stacks for a in stack.acknowledged]
        + [a for facts in loaded.values() for a in facts.acknowledged]
    )
    found: list[tuple[Finding, tuple[Place, ...], list[str | None]]] = []
    by_part: dict[tuple[str, ...], _Entry] = {}
    for entry in entries:
        by_part[entry.key] = entry
        place = entry.place
        worlds = (
            loaded[entry.grant.site.stack].branches.get(entry.grant.site.logical_id)
            if not entry.grant.document
            else None
        )
        checked = (
            _rules.check(entry.grant.permission)
            if worlds is None
            else _branch_findings(worlds, resolver, by_key[entry.grant.site.stack].template)
        )
        found.extend((entry.decided(f), (place,), [place.construct_path]) for f in checked)
    for policy in policies:
        found.extend(_unread(policy, places))
    for finding in check_app(view):
        known = by_part.get(finding.location)
        if known is not None:
            found.append((known.decided(finding), (known.place,), [known.place.construct_path]))
            continue
        stack, logical_id = finding.location[:2]
        place = places.resource(stack, logical_id)
        found.append((finding, (place,), [place.construct_path]))
    for policy in policies:
        policy_places, scope = places.policy(policy)
        found.extend((f, policy_places, [scope]) for f in check_policy(policy))

    reported: list[Reported] = []
    for finding, where, paths in found:
        severity = config.severity_of(finding.rule.id, finding.rule.severity)
        # Looked up for a finding a deploy-time value kept undecided too: an acknowledgement of
        # what may be there once deployed is not stale.
        candidate = acknowledgements.find(
            finding.rule,
            paths=paths,
            resources=[(p.stack, p.logical_id) for p in where if p.logical_id],
        )
        if severity is None:
            continue  # the rule is turned off
        accepted = (
            finding.evaluated
            and candidate is not None
            and honoured(candidate, finding.rule, severity)
        )
        reported.append(Reported(finding, severity, where, candidate if accepted else None))
    reported.extend(_acknowledgement_findings(acknowledgements, places, config))
    if any(r.blocking for r in reported):
        reported.append(_verdict([r for r in reported if r.blocking]))
    return AuditReport(findings=tuple(reported), policies=tuple(policies))


def _graded(
    finding: Finding,
    where: tuple[Place, ...],
    acknowledgement: Acknowledgement | None,
    config: GuardConfig,
) -> list[Reported]:
    severity = config.severity_of(finding.rule.id, finding.rule.severity)
    if severity is None:
        return []
    return [Reported(finding, severity, where, acknowledgement)]


def _acknowledgement_findings(
    acknowledgements: Acknowledgements, places: _Places, config: GuardConfig
) -> list[Reported]:
    """LP501 for each acknowledgement that cannot be honoured, LP502 for each that is unused."""

    def severity_of(rule: Rule) -> Severity | None:
        return config.severity_of(rule.id, rule.severity)

    found: list[tuple[Acknowledgement, Finding]] = []
    refused: set[int] = set()
    for acknowledgement in acknowledgements.all:
        finding = check_acknowledgement(
            _describe(acknowledgement), acknowledgement.rule_id, acknowledgement.reason, severity_of
        )
        if finding is not None:
            found.append((acknowledgement, finding))
            refused.add(id(acknowledgement))
    found += [
        (
            acknowledgement,
            replace(
                STALE_ACKNOWLEDGEMENT.finding(
                    f"{acknowledgement.rule_id} is acknowledged at {_describe(acknowledgement)} "
                    f"({acknowledgement.reason!r}) but no finding of that rule is there or below "
                    "it",
                    value=acknowledgement.rule_id,
                ),
                location=(_describe(acknowledgement),),
            ),
        )
        for acknowledgement in acknowledgements.unused()
        if id(acknowledgement) not in refused
    ]
    return [
        reported
        for acknowledgement, finding in found
        for reported in _graded(finding, (places.acknowledgement(acknowledgement),), None, config)
    ]


def _describe(acknowledgement: Acknowledgement) -> str:
    if acknowledgement.in_construct_metadata:
        return acknowledgement.path or "the app"
    return f"{acknowledgement.stack}/{acknowledgement.logical_id} (its Metadata)"


def _verdict(blocking: Sequence[Reported]) -> Reported:
    listed = [f"  - {r.finding.rule_id} at {_show(r.places[0])}" for r in blocking[:20] if r.places]
    if len(blocking) > 20:
        listed.append(f"  - ... and {len(blocking) - 20} more")
    finding = BLOCKED.finding(
        f"{len(blocking)} finding(s) on the app's Lambda permissions refuse deployment:\n"
        + "\n".join(listed),
        value=len(blocking),
    )
    return Reported(finding, Severity.ERROR, ())


def _show(place: Place) -> str:
    if place.construct_path:
        return place.construct_path
    if place.logical_id:
        return f"{place.stack}/{place.logical_id}"
    return place.stack


# --- what each stack says about its permissions --------------------------------------------------


@dataclass(frozen=True)
class _StackFacts:
    """What the guard reads of a stack's permission resources besides their properties."""

    source_types: Mapping[str, str]
    """The type of the resource each permission's SourceArn references, by logical ID."""
    acknowledged: Sequence[Acknowledgement]
    """The acknowledgements in the permissions' template Metadata."""
    branches: Mapping[str, Sequence[Branch]]
    """For a permission whose properties hold ``Fn::If``, its properties on each branch."""

    @classmethod
    def of(cls, template: StackTemplate) -> _StackFacts:
        source_types: dict[str, str] = {}
        acknowledged: list[Acknowledgement] = []
        found_branches: dict[str, Sequence[Branch]] = {}
        for logical_id, resource in template.resources.items():
            if not isinstance(resource, Mapping):
                continue
            if resource.get("Type") == RESOURCE_POLICY_TYPE:
                # Acknowledgements in a document's Metadata accept findings on all of it.
                metadata = resource.get("Metadata")
                acks = metadata.get(ACKNOWLEDGED_RULES) if isinstance(metadata, Mapping) else None
                if isinstance(acks, Mapping):
                    acknowledged.extend(from_metadata(acks, template.key, logical_id))
                continue
            if resource.get("Type") != PERMISSION_TYPE:
                continue
            properties = resource.get("Properties")
            referenced = _referenced(
                properties.get("SourceArn") if isinstance(properties, Mapping) else None
            )
            target = template.resources.get(referenced or "")
            if isinstance(target, Mapping) and isinstance(target.get("Type"), str):
                source_types[logical_id] = str(target["Type"])
            metadata = resource.get("Metadata")
            acks = metadata.get(ACKNOWLEDGED_RULES) if isinstance(metadata, Mapping) else None
            if isinstance(acks, Mapping):
                acknowledged.extend(from_metadata(acks, template.key, logical_id))
            if isinstance(properties, Mapping) and _holds_if(properties):
                condition = resource.get("Condition")
                assumed = {condition: True} if isinstance(condition, str) else {}
                ways = list(branches(properties, assumed))
                if len(ways) > 1:
                    found_branches[logical_id] = ways
        return cls(source_types=source_types, acknowledged=acknowledged, branches=found_branches)


def _holds_if(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "Fn::If" in value or any(_holds_if(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_if(v) for v in value)
    return False


Branch = tuple[Mapping[str, bool], Mapping[str, Any]]
"""The conditions assumed, and the properties with the branches they choose."""


def branch_label(chosen: Iterable[tuple[str, bool]] | Mapping[str, bool]) -> str:
    """How a finding on some branches of a permission's ``Fn::If`` names them."""
    pairs = chosen.items() if isinstance(chosen, Mapping) else chosen
    when = " and ".join(f"{name} is {'true' if value else 'false'}" for name, value in pairs)
    return f" (when {when})"


def _branch_findings(
    worlds: Sequence[Branch], resolver: Resolver, stack: StackTemplate
) -> list[Finding]:
    """The rules of one permission on each branch of its ``Fn::If`` conditions.

    A finding on every branch is reported once; one on some branches only says on which, so a
    grant public only when ``IsPublic`` holds is refused with that condition named, not
    passed as a deploy-time value.
    """
    per_world: list[tuple[Mapping[str, bool], list[Finding]]] = []
    for chosen, properties in worlds:
        target = resolver.function_target(properties.get("FunctionName"), stack)
        per_world.append((chosen, _rules.check(permission_of(resolver, stack, properties, target))))
    everywhere = set.intersection(
        *({(f.rule.id, f.message) for f in found} for _, found in per_world)
    )
    reported: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for chosen, found in per_world:
        for finding in found:
            key = (finding.rule.id, finding.message)
            if key in everywhere:
                if key not in seen:
                    seen.add(key)
                    reported.append(finding)
                continue
            reported.append(replace(finding, message=f"{finding.message}{branch_label(chosen)}"))
    return reported


def _referenced(value: Any) -> str | None:
    """The logical ID a ``Ref`` or ``Fn::GetAtt`` value names."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref" and isinstance(argument, str):
        return argument
    if function == "Fn::GetAtt":
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            return argument[0]
        if isinstance(argument, str):
            return argument.split(".", 1)[0]
    return None


@dataclass(frozen=True)
class _Entry:
    """One permission the guard checks, where its findings are shown and what decides them.

    An AWS::Lambda::Permission's, or one of those a document statement stands for.
    """

    grant: AppGrant
    place: Place
    key: tuple[str, ...]
    unexpressed: tuple[_documents.Unexpressed, ...] = ()

    def decided(self, finding: Finding) -> Finding:
        """``finding``, not evaluated when a part of the statement it cannot read may change it."""
        if not finding.evaluated:
            return finding
        reasons = [
            u.element for u in self.unexpressed if u.rules is None or finding.rule.id in u.rules
        ]
        if not reasons:
            return finding
        return replace(
            finding,
            evaluated=False,
            message=(
                f"{finding.message}; not decided: the document statement also has "
                f"{', '.join(reasons)}, which no AddPermission parameter expresses and which "
                "may narrow it"
            ),
            fix="nothing to do at synth: check what the statement allows with its conditions",
        )


def _entries(
    statement: PolicyStatement,
    index: int,
    policy: ResourcePolicy,
    stack: AuditStack,
    loaded: Mapping[str, _StackFacts],
    places: _Places,
) -> list[_Entry]:
    """The permissions of one statement, each as a grant of the app with its place."""
    facts = loaded[statement.stack]
    template = stack.template
    base = places.resource(statement.stack, statement.logical_id)
    reading = statement._reading
    unexpressed = reading.unexpressed if reading is not None else ()
    entries: list[_Entry] = []
    for number, permission in enumerate(statement.permissions):
        path = statement.path
        part: str | None = None
        place = base
        if statement.from_document:
            part = f"{index}.{number}"
            grants = statement.grants
            if grants:
                path = grants[number]
                place = replace(base, construct_path=path)
        meaning = _meaning(statement, permission, unexpressed)
        grant = AppGrant(
            site=Site(statement.stack, statement.logical_id, path, part),
            permission=permission,
            meaning=meaning,
            function=policy.function,
            qualifier=policy.qualifier,
            function_defined=policy.function_stack is not None,
            stack_account=template.account if concrete(template.account) else None,
            stack_region=template.region if concrete(template.region) else None,
            source_type=None
            if statement.from_document
            else facts.source_types.get(statement.logical_id),
            by_library=_by_library(stack, path),
            document=statement.from_document,
        )
        key = (statement.stack, statement.logical_id) + ((part,) if part is not None else ())
        entries.append(_Entry(grant, place, key, unexpressed))
    return entries


def _meaning(
    statement: PolicyStatement,
    permission: Permission,
    unexpressed: Sequence[_documents.Unexpressed],
) -> str:
    """The statement without its Sid, as JSON: equal for grants that allow the same."""
    if not statement.from_document:
        meaning = {k: v for k, v in statement.statement.items() if k != "Sid"}
        return json.dumps(meaning, sort_keys=True)
    # A document's permission names the function by its ARN: no partition is needed.
    rendered = {k: v for k, v in render.statement(permission, sid="").items() if k != "Sid"}
    if unexpressed:
        return json.dumps([rendered, sorted(u.element for u in unexpressed)], sort_keys=True)
    return json.dumps(rendered, sort_keys=True)


def _unread(
    policy: ResourcePolicy, places: _Places
) -> list[tuple[Finding, tuple[Place, ...], list[str | None]]]:
    """A not-evaluated finding for each document or statement that cannot be read as permissions.

    Who it lets invoke is not checked, and that is said.
    """
    if not policy.from_document or policy.document_stack is None:
        return []
    assert policy.document_logical_id is not None
    place = places.resource(policy.document_stack, policy.document_logical_id)
    found: list[tuple[Finding, tuple[Place, ...], list[str | None]]] = []
    for problem in policy.problems:
        finding = PUBLIC.finding(
            f"{_show(place)} cannot be read: {problem}; who its policy lets invoke the "
            "function is not checked",
            parameter="PolicyDocument",
            fix="write the PolicyDocument as a JSON object in the template",
            evaluated=False,
        )
        found.append((finding, (place,), [place.construct_path]))
    for statement in policy.statements:
        reading = statement._reading
        if reading is None or reading.permissions or reading.effect == "Deny":
            continue
        what = ", ".join(u.element for u in reading.unexpressed) or "its elements"
        finding = PUBLIC.finding(
            f"statement {statement.sid or '(no Sid)'} of {_show(place)} has {what}, which no "
            "AddPermission parameter expresses: who it lets invoke the function is not checked",
            parameter="Principal",
            fix="nothing to do at synth: check what the statement allows",
            evaluated=False,
        )
        found.append((finding, (place,), [place.construct_path]))
    return found


def _document_path(policy: ResourcePolicy, stacks: Mapping[str, AuditStack]) -> str | None:
    stack = stacks.get(policy.document_stack or "")
    if stack is None or policy.document_logical_id is None:
        return None
    return stack.template.paths.get(policy.document_logical_id)


def _by_library(stack: AuditStack, path: str | None) -> bool | None:
    if stack.library_paths is None or path is None:
        return None
    # A permission's path is below its grant's; a document statement's is the grant's own.
    parts = path.split("/")
    return any("/".join(parts[:depth]) in stack.library_paths for depth in range(1, len(parts) + 1))


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and not tokens.is_unresolved(value) else None


# --- where findings are shown -----------------------------------------------------------------


class _Places:
    def __init__(self, stacks: Mapping[str, AuditStack]) -> None:
        self._stacks = stacks

    def resource(self, stack: str, logical_id: str) -> Place:
        audited = self._stacks.get(stack)
        if audited is None:
            return Place(stack=stack, logical_id=logical_id)
        return Place(
            stack=stack,
            logical_id=logical_id,
            construct_path=audited.template.paths.get(logical_id),
            template_path=audited.template_path,
        )

    def policy(self, policy: ResourcePolicy) -> tuple[tuple[Place, ...], str | None]:
        """A policy's places (its function, then each stack of its statements) and its scope.

        The scope, where an acknowledgement of a policy finding counts, is the function's
        construct when the function is in the app, else the deepest scope holding every
        statement.
        """
        places: list[Place] = []
        scope: str | None = None
        if policy.function_stack is not None and policy.function_logical_id is not None:
            function = self.resource(policy.function_stack, policy.function_logical_id)
            places.append(function)
            scope = function.construct_path
        if policy.document_stack is not None and policy.document_logical_id is not None:
            document = self.resource(policy.document_stack, policy.document_logical_id)
            if document.stack != policy.function_stack or scope is None:
                places.append(document)
            return tuple(places), scope or document.construct_path
        by_stack: dict[str, list[PolicyStatement]] = {}
        for statement in policy.statements:
            by_stack.setdefault(statement.stack, []).append(statement)
        common_all = _common_scope([s.location for s in policy.statements])
        for stack, statements in by_stack.items():
            if stack == policy.function_stack:
                continue
            audited = self._stacks.get(stack)
            common = _common_scope([s.location for s in statements])
            places.append(
                Place(
                    stack=stack,
                    construct_path=common if audited is not None and statements[0].path else None,
                    template_path=audited.template_path if audited is not None else None,
                    logical_id=statements[0].logical_id if len(statements) == 1 else None,
                )
            )
        if scope is None:
            scope = common_all
        return tuple(places), scope

    def acknowledgement(self, acknowledgement: Acknowledgement) -> Place:
        if acknowledgement.stack is not None and acknowledgement.logical_id is not None:
            return self.resource(acknowledgement.stack, acknowledgement.logical_id)
        path = acknowledgement.path
        owner = next(
            (key for key in sorted(self._stacks, key=len, reverse=True) if path.startswith(key)),
            path.split("/")[0] if path else "",
        )
        return Place(stack=owner, construct_path=path)


def _common_scope(locations: Sequence[str]) -> str | None:
    if not locations:
        return None
    split = [location.split("/") for location in locations]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return "/".join(common or split[0])
