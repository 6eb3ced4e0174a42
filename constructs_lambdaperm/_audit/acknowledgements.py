"""Which acknowledgement, if any, accepts a finding, and which acknowledgements accepted nothing.

Two sources, read the same way for a synthesized app and for template files:

- ``Validations.of(scope).acknowledge(...)`` on a construct, which the CDK records as
  ``aws:cdk:acknowledged-rules`` metadata at the construct's path; it covers the construct and
  everything below it, the closest scope winning, as the CDK's own suppression does;
- ``aws:cdk:acknowledged-rules`` in a resource's template ``Metadata`` (this library's
  constructs write it beside each acknowledged grant; a template outside the CDK can carry it).

A reason must have at least ten characters; an acknowledgement that fails that, or names a rule
that cannot be acknowledged, accepts nothing (LP501 reports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .._core.findings import MIN_REASON_LENGTH, NAMESPACE, Rule, Severity

_RESOURCE_DEPTH = -2
"""A resource's own Metadata counts below any construct scope (the app's is depth 0)."""

RESOURCE_METADATA = "resource Metadata"
"""Where an acknowledgement read from a template resource's ``Metadata`` is said to be."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """One rule acknowledged somewhere, and why."""

    rule_id: str
    """The ID as written, for example ``LambdaPerm::LP306``."""
    reason: str
    """The reason given."""
    path: str
    """The construct path it was made on, or ``resource Metadata`` with ``stack``."""
    stack: str | None = None
    """The stack whose resource's Metadata holds it, for those read from a template."""
    logical_id: str | None = None
    """That resource's logical ID."""

    @property
    def in_construct_metadata(self) -> bool:
        """Whether it was made with ``Validations.of(scope).acknowledge(...)``."""
        return self.stack is None


def acknowledgeable(rule: Rule, severity: Severity | None = None) -> bool:
    """Whether findings of ``rule`` may be accepted: unsafe ones and warnings, never errors.

    ``severity`` is the rule's as configured (a guard that makes a warning an error makes it
    unacceptable too). Default: - the catalogue's.
    """
    return (severity or rule.severity) in (Severity.UNSAFE, Severity.WARNING)


def honoured(
    acknowledgement: Acknowledgement, rule: Rule, severity: Severity | None = None
) -> bool:
    """Whether ``acknowledgement`` accepts findings of ``rule`` (of ``severity``, see above)."""
    return (
        acknowledgeable(rule, severity) and len(acknowledgement.reason.strip()) >= MIN_REASON_LENGTH
    )


class Acknowledgements:
    """Every acknowledgement of an app (or of some templates), by where it applies."""

    def __init__(self, found: Iterable[Acknowledgement]) -> None:
        self._by_path: dict[str, dict[str, Acknowledgement]] = {}
        self._by_resource: dict[tuple[str, str], dict[str, Acknowledgement]] = {}
        self._used: set[int] = set()
        self.all: list[Acknowledgement] = []
        """Every acknowledgement, in the order found (the last one per place and rule)."""
        for acknowledgement in found:
            self.add(acknowledgement)

    def add(self, acknowledgement: Acknowledgement) -> None:
        """Record one more acknowledgement; a later one of the same rule and place wins."""
        if acknowledgement.stack is not None and acknowledgement.logical_id is not None:
            place = self._by_resource.setdefault(
                (acknowledgement.stack, acknowledgement.logical_id), {}
            )
        else:
            place = self._by_path.setdefault(acknowledgement.path, {})
        previous = place.get(acknowledgement.rule_id)
        if previous is not None:
            self.all.remove(previous)
        place[acknowledgement.rule_id] = acknowledgement
        self.all.append(acknowledgement)

    def find(
        self,
        rule: Rule,
        *,
        paths: Iterable[str | None] = (),
        resources: Iterable[tuple[str, str]] = (),
    ) -> Acknowledgement | None:
        """The acknowledgement of ``rule`` closest to any of the places given, if one.

        ``paths`` are construct paths (an acknowledgement on the path or any scope above it
        applies), ``resources`` ``(stack, logical ID)`` pairs whose template Metadata counts.
        The closest scope counts, whether or not it can be honoured: an acknowledgement with a
        short reason right on the construct is not made good by one further up. A resource's
        Metadata counts when no scope acknowledges the rule: this library's grants copy the
        acknowledgements of their scopes there, for a template read without its assembly.
        """
        rule_id = f"{NAMESPACE}::{rule.id}"
        best: tuple[int, Acknowledgement] | None = None
        for resource in resources:
            found = self._by_resource.get(resource, {}).get(rule_id)
            if found is not None:
                self._used.add(id(found))
                best = (_RESOURCE_DEPTH, found)  # the fallback: any scope's is preferred
        for path in paths:
            if not path:
                continue
            parts = path.split("/")
            for depth in range(len(parts), -1, -1):  # down to the app itself, whose path is ""
                found = self._by_path.get("/".join(parts[:depth]), {}).get(rule_id)
                if found is None:
                    continue
                # Every scope that acknowledges the rule above the finding is in use, not
                # only the closest (the grants copy theirs into the resource's Metadata).
                self._used.add(id(found))
                if best is None or depth > best[0]:
                    best = (depth, found)
        return None if best is None else best[1]

    def unused(self) -> list[Acknowledgement]:
        """The acknowledgements of this library's rules that no finding was matched against."""
        return [
            a
            for a in self.all
            if id(a) not in self._used and a.rule_id.startswith(f"{NAMESPACE}::")
        ]


def from_metadata(
    acknowledged: Mapping[str, object], stack: str, logical_id: str
) -> list[Acknowledgement]:
    """The acknowledgements in one resource's ``aws:cdk:acknowledged-rules`` Metadata."""
    return [
        Acknowledgement(
            rule_id=str(rule_id),
            reason=str(reason),
            path=RESOURCE_METADATA,
            stack=stack,
            logical_id=logical_id,
        )
        for rule_id, reason in acknowledged.items()
    ]
