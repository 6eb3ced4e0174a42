"""What a platform team configures about the guard: allow-lists, required constructs, severities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .._core.findings import NAMESPACE, Severity
from .._rules import RULES

OFF = "off"
"""A severity that turns a rule off."""

SEVERITY_CHOICES = (*[s.value for s in Severity], OFF)
"""What ``severities`` may map a rule to."""


class GuardConfigError(ValueError):
    """The guard was configured with a value it cannot use; the message says which and why."""


@dataclass(frozen=True)
class GuardConfig:
    """The guard's settings, checked once when the guard is made."""

    allowed_accounts: frozenset[str] | None = None
    """The accounts grants may name. Default: - any account."""
    allowed_org_ids: frozenset[str] | None = None
    """The organizations grants may name. Default: - any organization."""
    require_constructs: bool = False
    """Whether every grant must come from this library's constructs. Default: - no."""
    severities: Mapping[str, str] = field(default_factory=dict)
    """A severity, or ``off``, by short rule ID (``LP402``). Default: - each rule's own."""

    @classmethod
    def of(
        cls,
        *,
        allowed_accounts: Iterable[str] | None = None,
        allowed_org_ids: Iterable[str] | None = None,
        require_constructs: bool = False,
        severities: Mapping[str, str] | None = None,
    ) -> GuardConfig:
        """Check the settings and make the configuration."""
        accounts = _ids(allowed_accounts, "allowed_accounts", _is_account, "12-digit account IDs")
        orgs = _ids(allowed_org_ids, "allowed_org_ids", _is_org, "organization IDs ('o-...')")
        if not isinstance(require_constructs, bool):
            raise GuardConfigError(
                f"require_constructs must be True or False, not {require_constructs!r}"
            )
        return cls(
            allowed_accounts=accounts,
            allowed_org_ids=orgs,
            require_constructs=require_constructs,
            severities=_severities(severities or {}),
        )

    def severity_of(self, rule_id: str, default: Severity) -> Severity | None:
        """The severity a rule's findings get; ``None`` when the rule is turned off."""
        chosen = self.severities.get(rule_id)
        if chosen is None:
            return default
        return None if chosen == OFF else Severity(chosen)


def _is_account(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit()


def _is_org(value: str) -> bool:
    body = value[2:]
    return (
        value.startswith("o-")
        and 10 <= len(body) <= 32
        and body.isascii()
        and all(c.isdigit() or c.islower() for c in body)
    )


def _ids(
    values: Iterable[str] | None, name: str, valid: object, what: str
) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise GuardConfigError(f"{name} takes a list of {what}, not the string {values!r}")
    found = list(values)
    bad = [v for v in found if not isinstance(v, str) or not valid(v)]  # type: ignore[operator]
    if bad:
        raise GuardConfigError(f"{name} takes {what}; these are not: {bad!r}")
    return frozenset(found)


def _severities(given: Mapping[str, str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for key, value in given.items():
        namespace, _, short = str(key).rpartition("::")
        if namespace not in ("", NAMESPACE) or short not in RULES:
            raise GuardConfigError(
                f"severities: {key!r} names no rule of this library (write "
                f"'{NAMESPACE}::LP402'; `lambdaperm rules` lists them)"
            )
        if value not in SEVERITY_CHOICES:
            raise GuardConfigError(
                f"severities: {key!r} maps to {value!r}; use one of {', '.join(SEVERITY_CHOICES)}"
            )
        rule = RULES[short]
        if rule.severity is Severity.ERROR and value != Severity.ERROR.value:
            raise GuardConfigError(
                f"severities: {key!r} reports what Lambda or CloudFormation refuses (or a grant "
                "that can never work): its severity cannot be lowered"
            )
        chosen[short] = value
    return chosen
