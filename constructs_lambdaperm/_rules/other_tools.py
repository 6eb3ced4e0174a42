"""Other tools' rules that flag the same risk as a rule of this catalogue, and their suppressions.

One risk, one acknowledgement: a public function URL acknowledged as ``LambdaPerm::LP306`` is
also flagged by cdk-nag's compliance packs, by checkov and by cfn_nag, each on its own resource
and silenced in its own way. ``mirror_acknowledgements`` writes, opt-in, the suppression of each
tool listed here onto the resource that tool checks, for every finding this library's
acknowledgement accepted. Pure data: one row per rule of another tool.

Only what was verified is listed: cdk-nag 3 and checkov by running them on synthesized apps
(``tests/test_other_tools.py``, which also checks that no other rule of theirs flags a Lambda
permission or function URL); cfn_nag, a Ruby gem, from its rules' source and its README.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

CDK_NAG = "cdk-nag"
CHECKOV = "checkov"
CFN_NAG = "cfn_nag"


@dataclass(frozen=True, slots=True)
class Tool:
    """Another tool that checks Lambda permissions, and how a finding of it is suppressed."""

    name: str
    """Its name, as ``mirror_acknowledgements(tools=...)`` takes it."""
    verified: str
    """The version the rows were verified against, and how."""
    suppression: str
    """Where and in what form its suppression is written."""
    doc_url: str
    """Its documentation of suppressions."""


TOOLS: dict[str, Tool] = {
    CDK_NAG: Tool(
        name=CDK_NAG,
        verified="cdk-nag 3.0.2 from PyPI, run as validation plugins in tests",
        suppression=(
            "`Validations.of(resource).acknowledge(Acknowledgment(id='<pack>::<rule>', "
            "reason=...))` on the resource's construct: the CDK then lists the pack's "
            "finding among the report's suppressed violations, with the reason"
        ),
        doc_url="https://github.com/cdklabs/cdk-nag#acknowledging-a-rule",
    ),
    CHECKOV: Tool(
        name=CHECKOV,
        verified="checkov 3.3.30 from PyPI, run on the synthesized templates in tests",
        suppression=(
            "the resource's template `Metadata`: `checkov: {skip: [{id: <check>, "
            "comment: <reason>}]}`, merged with what is there"
        ),
        doc_url="https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html",
    ),
    CFN_NAG: Tool(
        name=CFN_NAG,
        verified=(
            "cfn_nag (a Ruby gem, not run here): its rules' source and its README "
            "(stelligent/cfn_nag, 0.8.x)"
        ),
        suppression=(
            "the resource's template `Metadata`: `cfn_nag: {rules_to_suppress: [{id: <rule>, "
            "reason: <reason>}]}`, merged with what is there"
        ),
        doc_url="https://github.com/stelligent/cfn_nag#per-resource-rule-suppression",
    ),
}
"""The tools, by name."""


class Target(Enum):
    """The resource another tool flags, relative to the permission this library flags."""

    PERMISSION = "AWS::Lambda::Permission"
    """The ``AWS::Lambda::Permission`` that has the finding."""
    COMPANION = "AWS::Lambda::Permission (companion)"
    """The ``lambda:InvokeFunction`` permission with ``InvokedViaFunctionUrl`` for the same
    function, qualifier and principal, which a function URL needs beside its
    ``lambda:InvokeFunctionUrl`` permission."""
    URL = "AWS::Lambda::Url"
    """The ``AWS::Lambda::Url`` of the same function and qualifier whose ``AuthType`` is the
    permission's ``FunctionUrlAuthType``."""

    @property
    def resource_type(self) -> str:
        """The CloudFormation type of the resource."""
        return self.value.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Equivalent:
    """A rule of another tool that flags the risk a rule of this catalogue flags."""

    rule: str
    """This catalogue's rule, for example ``LP306``."""
    tool: str
    """The other tool's name (a key of ``TOOLS``)."""
    other_id: str
    """The other tool's rule ID, as it reports it."""
    targets: tuple[Target, ...]
    """The resources it flags."""
    checks: str
    """What the other rule checks, in its own terms."""
    pack: str | None = None
    """For cdk-nag, the rule pack (the validation plugin) that reports it."""

    @property
    def suppression_id(self) -> str:
        """The ID to suppress it with: cdk-nag's in the pack's namespace, as the CDK asks."""
        return f"{self.pack}::{self.other_id}" if self.pack else self.other_id


_PUBLIC_ACCESS = (
    "a CfnPermission whose Principal resolves to '*' with none of SourceArn, SourceAccount, "
    "PrincipalOrgID (EventSourceToken is not considered)"
)
_WILDCARD_PRINCIPAL = (
    "any AWS::Lambda::Permission whose Principal contains '*', whatever its conditions"
)
_CDK_NAG_PACKS = ("HIPAA.Security", "NIST.800.53.R4", "NIST.800.53.R5", "PCI.DSS.321")
"""The packs of cdk-nag 3 that apply LambdaFunctionPublicAccessProhibited (AwsSolutions and
Serverless check no Lambda permission)."""


def _cdk_nag(rule: str, *targets: Target) -> list[Equivalent]:
    return [
        Equivalent(
            rule=rule,
            tool=CDK_NAG,
            other_id=f"{pack}-LambdaFunctionPublicAccessProhibited",
            targets=targets,
            checks=_PUBLIC_ACCESS,
            pack=pack,
        )
        for pack in _CDK_NAG_PACKS
    ]


EQUIVALENTS: tuple[Equivalent, ...] = (
    *_cdk_nag("LP301", Target.PERMISSION),
    Equivalent("LP301", CFN_NAG, "F13", (Target.PERMISSION,), _WILDCARD_PRINCIPAL),
    Equivalent(
        "LP302",
        CHECKOV,
        "CKV_AWS_364",
        (Target.PERMISSION,),
        "a Principal of the form 'NAME.amazonaws.com...' with neither SourceArn nor "
        "SourceAccount (PrincipalOrgID and EventSourceToken are not considered; a regional "
        "principal such as 'logs.us-east-1.amazonaws.com' is not checked)",
    ),
    Equivalent(
        "LP305",
        CFN_NAG,
        "W24",
        (Target.PERMISSION,),
        "any AWS::Lambda::Permission whose Action is not 'lambda:InvokeFunction' (a warning; "
        "it also flags every lambda:InvokeFunctionUrl grant)",
    ),
    *_cdk_nag("LP306", Target.PERMISSION, Target.COMPANION),
    Equivalent(
        "LP306",
        CHECKOV,
        "CKV_AWS_258",
        (Target.URL,),
        "an AWS::Lambda::Url whose AuthType is NONE",
    ),
    Equivalent("LP306", CFN_NAG, "F13", (Target.PERMISSION, Target.COMPANION), _WILDCARD_PRINCIPAL),
    *_cdk_nag("LP307", Target.PERMISSION, Target.COMPANION),
    Equivalent("LP307", CFN_NAG, "F13", (Target.PERMISSION, Target.COMPANION), _WILDCARD_PRINCIPAL),
)
"""Every equivalence, by this catalogue's rule, then tool."""

NOT_MIRRORED: tuple[tuple[str, str, str], ...] = (
    (
        CDK_NAG,
        "LambdaFunctionUrlAuth",
        "an AWS::Lambda::Url with AuthType NONE; in none of the packs cdk-nag ships, so its ID "
        "is that of the custom pack that applies it",
    ),
    (
        CHECKOV,
        "CKV_AWS_301",
        "a public aws_lambda_permission: Terraform only, no CloudFormation check",
    ),
    (
        CFN_NAG,
        "F45",
        "an EventSourceToken given as plain text: no rule of this catalogue checks it",
    ),
)
"""Other tools' rules on Lambda permissions that have no equivalent here, and why."""


def equivalents_of(rule: str, tools: Collection[str]) -> list[Equivalent]:
    """The rows for this catalogue's ``rule`` (``LP306``) of the tools in ``tools``."""
    return [e for e in EQUIVALENTS if e.rule == rule and e.tool in tools]


MIRRORED_RULES = frozenset(e.rule for e in EQUIVALENTS)
"""The rules of this catalogue that another tool also flags."""
