"""Which other tools' suppressions follow from this library's acknowledgements, and where.

Pure Python. For each ``AWS::Lambda::Permission`` of some stacks, the same rules the guard
applies (``_rules.check`` on the permission, its references resolved as the guard resolves
them) decide its findings; an acknowledgement that the guard would honour accepts a finding;
and each rule of another tool that flags the same risk (``_rules.other_tools``) gets its
suppression on the resource that tool checks: the permission itself, its function-URL
companion, or the ``AWS::Lambda::Url``. The CDK layer (``_cdk.mirror``) writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .. import _rules
from .._core.findings import NAMESPACE, Rule
from .._core.model import INVOKE, Permission
from .._policy.policies import PolicyStatement, ResourcePolicy, policies_of
from .._readers.references import Resolver
from .._readers.stacks import StackTemplate
from .._readers.urls import function_urls
from .._rules.app import Site
from .._rules.other_tools import MIRRORED_RULES, Equivalent, Target, equivalents_of
from .acknowledgements import Acknowledgement, honoured


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression of another tool's rule, to be written on one resource."""

    equivalent: Equivalent
    """The other tool's rule, and how it relates to this catalogue's."""
    reason: str
    """Why: the reason of the acknowledgement it mirrors, which it names."""

    @property
    def tool(self) -> str:
        """The other tool."""
        return self.equivalent.tool

    @property
    def id(self) -> str:
        """The ID the other tool suppresses it by."""
        return self.equivalent.suppression_id


Acknowledged = Callable[[Site], Mapping[str, str]]
"""The acknowledgements that apply to a resource: reason by rule ID, the closest scope's."""


def suppressions(
    stacks: Sequence[StackTemplate],
    acknowledged: Acknowledged,
    tools: Collection[str],
) -> dict[Site, list[Suppression]]:
    """The suppressions of ``tools`` that this library's accepted findings in ``stacks`` call for.

    ``acknowledged`` is asked only about the permissions that have a finding another tool also
    flags. A resource gets each other tool's rule once, for the first of this catalogue's
    rules (in ID order) that calls for it.
    """
    resolver = Resolver(stacks)
    policies = policies_of(stacks, resolver)
    urls = _urls(stacks, resolver)
    found: dict[Site, dict[tuple[str, str], Suppression]] = {}
    for policy in policies:
        if policy.from_document:
            continue  # the other tools check AWS::Lambda::Permission resources only
        for statement in policy.statements:
            for rule, reason in _accepted(statement, acknowledged):
                for equivalent in equivalents_of(rule.id, tools):
                    for site in _sites(equivalent, statement, policy, urls):
                        mirrored = Suppression(equivalent, _reason(rule, reason))
                        found.setdefault(site, {}).setdefault(
                            (equivalent.tool, equivalent.suppression_id), mirrored
                        )
    return {site: list(by_id.values()) for site, by_id in sorted(found.items(), key=_site_key)}


def _site_key(item: tuple[Site, object]) -> tuple[str, str]:
    return item[0].stack, item[0].logical_id


def _reason(rule: Rule, reason: str) -> str:
    return f"{reason.strip()} (acknowledged as {NAMESPACE}::{rule.id})"


def _accepted(statement: PolicyStatement, acknowledged: Acknowledged) -> Iterable[tuple[Rule, str]]:
    """The statement's findings that another tool also flags and an acknowledgement accepts."""
    if statement.permission is None:
        return
    findings = sorted(
        (f for f in _rules.check(statement.permission) if f.evaluated),
        key=lambda f: f.rule.id,
    )
    relevant = [f for f in findings if f.rule.id in MIRRORED_RULES]
    if not relevant:
        return
    given = acknowledged(Site(statement.stack, statement.logical_id))
    seen: set[str] = set()
    for finding in relevant:
        rule = finding.rule
        reason = given.get(f"{NAMESPACE}::{rule.id}")
        if rule.id in seen or reason is None:
            continue
        seen.add(rule.id)
        if honoured(Acknowledgement(rule.qualified_id, reason, statement.location), rule):
            yield rule, reason


def _sites(
    equivalent: Equivalent,
    statement: PolicyStatement,
    policy: ResourcePolicy,
    urls: Mapping[tuple[str, str | None], Sequence[tuple[Site, str | None]]],
) -> Iterable[Site]:
    permission = statement.permission
    if permission is None:
        return
    for target in equivalent.targets:
        if target is Target.PERMISSION:
            yield Site(statement.stack, statement.logical_id)
        elif target is Target.COMPANION:
            yield from (
                Site(other.stack, other.logical_id)
                for other in policy.statements
                if other is not statement
                and other.permission is not None
                and _is_companion_of(other.permission, permission)
            )
        elif target is Target.URL:
            wanted = permission.function_url_auth_type
            yield from (
                site
                for site, auth_type in urls.get((policy.function, policy.qualifier), ())
                if auth_type == wanted
            )


def _is_companion_of(candidate: Permission, url_grant: Permission) -> bool:
    """Whether ``candidate`` is the InvokeFunction permission a function URL grant needs."""
    return (
        candidate.action == INVOKE
        and candidate.invoked_via_function_url is True
        and candidate.principal == url_grant.principal
        and candidate.principal_org_id == url_grant.principal_org_id
    )


def _urls(
    stacks: Sequence[StackTemplate], resolver: Resolver
) -> dict[tuple[str, str | None], list[tuple[Site, str | None]]]:
    """Each ``AWS::Lambda::Url`` by function and qualifier, with its AuthType when literal."""
    found: dict[tuple[str, str | None], list[tuple[Site, str | None]]] = {}
    for stack in stacks:
        for url in function_urls(stack, resolver):
            found.setdefault((url.function, url.qualifier), []).append(
                (Site(stack.key, url.logical_id), url.auth_type)
            )
    return found
