"""LP201-LP204: what a grant of a given kind promises (checked by the constructs).

These rules need to know what the grant is for (an S3 bucket, another account...), which a bare
AWS::Lambda::Permission does not say, so the constructs call them with that context; they do not
run on every permission.
"""

from __future__ import annotations

from collections.abc import Collection

from .. import _tokens
from .._findings import Finding, Severity
from .._model import PrincipalKind, principal_kind
from .._pattern import Pattern
from ._registry import ADDPERMISSION_URL, RESOURCE_POLICY_URL, define

PROPS = define(
    "LP201",
    Severity.ERROR,
    title="Exactly one way to name each input",
    explanation=(
        "Some inputs can be given as a CDK resource or as its ARN; one of the two is needed, "
        "and giving both leaves it unclear which one is meant."
    ),
    fix="give exactly one of the two properties",
    doc_url=ADDPERMISSION_URL,
)

S3_BUCKET_ARN = define(
    "LP202",
    Severity.ERROR,
    title="An S3 grant's source is an S3 bucket ARN",
    explanation=(
        "S3 sends event notifications with the bucket's ARN as the source: "
        "'arn:<partition>:s3:::<bucket>'. Any other ARN (an object ARN, another service) never "
        "matches, so the grant would never let the bucket invoke the function."
    ),
    fix="pass the bucket, or its ARN such as 'arn:aws:s3:::my-bucket'",
    doc_url=RESOURCE_POLICY_URL,
)

SOURCE_ACCOUNT_MISMATCH = define(
    "LP203",
    Severity.ERROR,
    title="SourceAccount is the source resource's account",
    explanation=(
        "SourceAccount must be the account that owns the source resource; another account "
        "never matches, so the grant would never let the resource invoke the function."
    ),
    fix="leave source_account out to use the resource's account, or pass that account",
    doc_url=ADDPERMISSION_URL,
)

PRINCIPAL_FOR_GRANT = define(
    "LP204",
    Severity.ERROR,
    title="The principal suits the grant",
    explanation=(
        "Each grant targets a kind of principal: a cross-account grant an account or IAM "
        "identity, a public function URL '*'. Another kind would grant something else than "
        "the construct promises."
    ),
    fix="pass a principal of the kind the construct takes, or use the construct for that kind",
    doc_url=RESOURCE_POLICY_URL,
)

_S3_BUCKET_ARN = Pattern(r"arn:aws[a-zA-Z-]*:s3:::[^/:\s]+")

_KIND_NAMES = {
    PrincipalKind.ANYONE: "everyone ('*')",
    PrincipalKind.ACCOUNT: "a 12-digit account ID",
    PrincipalKind.IAM: "the ARN of an account root, IAM role or IAM user",
    PrincipalKind.SERVICE: "a service principal",
}


def exactly_one(**props: object) -> Finding | None:
    """LP201: exactly one of ``props`` is given."""
    given = [name for name, value in props.items() if value is not None]
    if len(given) == 1:
        return None
    names = " or ".join(props)
    problem = "neither is given" if not given else "both are given"
    return PROPS.finding(
        f"give {names}: {problem}",
        parameter=" / ".join(props),
        fix=f"give exactly one of {names}",
    )


def s3_bucket_arn(arn: str) -> Finding | None:
    """LP202: ``arn`` can be an S3 bucket ARN."""
    if _S3_BUCKET_ARN.could_match(_tokens.split(arn)):
        return None
    return S3_BUCKET_ARN.finding(
        f"SourceArn {_tokens.describe(arn)!r} is not an S3 bucket ARN "
        "('arn:<partition>:s3:::<bucket>')",
        parameter="SourceArn",
        value=arn,
    )


def source_account_matches(source_account: str, owner: str | None, what: str) -> Finding | None:
    """LP203: ``source_account`` is ``owner`` whenever both are known."""
    if owner is None or _tokens.is_unresolved(owner) or _tokens.is_unresolved(source_account):
        return None
    if source_account == owner:
        return None
    return SOURCE_ACCOUNT_MISMATCH.finding(
        f"SourceAccount {source_account!r} is not the account of {what} ({owner})",
        parameter="SourceAccount",
        value=source_account,
    )


def principal_for_grant(principal: str, allowed: Collection[PrincipalKind]) -> Finding | None:
    """LP204: ``principal`` is of one of the ``allowed`` kinds (deploy-time values pass)."""
    kind = principal_kind(principal)
    if kind in allowed or kind in (PrincipalKind.UNKNOWN, PrincipalKind.INVALID):
        return None  # INVALID is LP113's to report
    expected = " or ".join(_KIND_NAMES[k] for k in PrincipalKind if k in allowed)
    return PRINCIPAL_FOR_GRANT.finding(
        f"Principal {principal!r} is {_KIND_NAMES[kind]}; this grant takes {expected}",
        parameter="Principal",
        value=principal,
    )
