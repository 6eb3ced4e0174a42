"""Rules and findings: what every check reports, whatever front end fed it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

NAMESPACE = "LambdaPerm"
"""Prefix of every rule ID as acknowledged with ``Validations.of(scope).acknowledge(...)``."""

MIN_REASON_LENGTH = 10
"""An acknowledgement must say why in at least this many characters."""

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
"""The metadata key the CDK records ``Validations.of(scope).acknowledge(...)`` under (on the
construct, and in the assembly's metadata); grants write it on the template resource too."""


class Severity(enum.StrEnum):
    """How a finding is treated."""

    ERROR = "error"
    """The value is invalid: Lambda or CloudFormation would reject it. Never acknowledgeable."""

    UNSAFE = "unsafe"
    """Valid but dangerous: refused unless the rule is acknowledged in code with a reason."""

    WARNING = "warning"
    """Worth a look; reported and never refused."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One check of the catalogue: a stable ID and what a reader needs to act on it.

    IDs are permanent and never reused; they do not encode the severity, so changing a severity
    never invalidates an acknowledgement.
    """

    id: str
    """Stable short ID, for example ``LP106``."""
    title: str
    """One line: what the rule guards."""
    severity: Severity
    """How a violation is treated."""
    explanation: str
    """Why the rule exists, in AWS's terms."""
    fix: str
    """How to fix a violation."""
    doc_url: str
    """The AWS page the rule enforces."""

    @property
    def qualified_id(self) -> str:
        """The ID to acknowledge, for example ``LambdaPerm::LP106``."""
        return f"{NAMESPACE}::{self.id}"

    def finding(
        self,
        message: str,
        *,
        parameter: str | None = None,
        value: object = None,
        fix: str | None = None,
        evaluated: bool = True,
    ) -> Finding:
        """A finding of this rule."""
        return Finding(
            rule=self,
            message=message,
            parameter=parameter,
            value=value,
            fix=fix or self.fix,
            evaluated=evaluated,
        )

    def not_evaluated(self, parameter: str, value: object, what: str) -> Finding:
        """A finding saying this rule could not check a deploy-time value."""
        return self.finding(
            f"{what} is known only at deploy time; this rule could not check it at synth",
            parameter=parameter,
            value=value,
            fix="nothing to do at synth: CloudFormation and Lambda check the value at deploy",
            evaluated=False,
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one permission.

    ``evaluated`` is ``False`` when the rule could not decide because a value is known only at
    deploy time: such findings are informative and never refuse anything.
    """

    rule: Rule
    """The rule that reported it."""
    message: str
    """What is wrong, with the value found."""
    parameter: str | None = None
    """The AddPermission parameter concerned (``SourceAccount``...).
    Default: - none (the finding is on the whole permission)."""
    value: object = None
    """The value found. Default: - none."""
    fix: str = ""
    """How to fix it. Default: - none (``Rule.finding`` gives the rule's own fix)."""
    evaluated: bool = True
    """``False`` when the rule could not check a deploy-time value. Default: ``True``."""
    location: tuple[str, ...] = field(default=())
    """Where the permission was found (construct path, template and logical ID...).
    Default: - not given."""

    @property
    def rule_id(self) -> str:
        """The rule's qualified ID, for example ``LambdaPerm::LP106``."""
        return self.rule.qualified_id

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return self.rule.severity

    @property
    def blocking(self) -> bool:
        """Whether this finding refuses the permission unless acknowledged (or at all)."""
        return self.evaluated and self.rule.severity in (Severity.ERROR, Severity.UNSAFE)

    def describe(self, parameter_name: str | None = None) -> str:
        """One line for a person: rule, parameter, message and fix."""
        name = parameter_name or self.parameter
        where = f" {name}:" if name else ""
        return f"[{self.rule_id}]{where} {self.message}. Fix: {self.fix}."
