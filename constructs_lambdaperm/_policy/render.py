"""Back end: each permission as the statement Lambda writes into the function's policy.

Pure Python. The layout follows the statement facts sheet: keys ``Sid, Effect, Principal, Action,
Resource, Condition``; the principal mapped as Lambda maps it; the conditions in the blocks
``StringEquals``, ``ArnLike``, ``Bool``; compact JSON with ``/`` left alone. One document per
function and qualifier: ``{"Version":"2012-10-17","Id":"default","Statement":[...]}``.

Deploy-time values stay CDK-style markers (``${Token[...]}``) in the statement dictionaries,
bounded by their longest value (``_core.bounds``), so a policy's size is a true upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._core import tokens
from .._core.bounds import (
    ACCOUNT_LABEL,
    bounded_marker,
    cap,
    marker_bounds,
    max_length,
    whole_marker,
)
from .._core.model import (
    Permission,
    PrincipalKind,
    parse_function_name,
    partition_of,
    principal_kind,
)

POLICY_SIZE_LIMIT = 20480
"""Lambda refuses a resource-based policy whose compact JSON is longer than this (bytes)."""


POLICY_VERSION = "2012-10-17"


POLICY_ID = "default"


SID_SUFFIX_LENGTH = 12
"""CloudFormation ends a generated Sid with 12 random characters (facts sheet §4)."""


SID_MAX_LENGTH = 100
"""StatementId has at most 100 characters."""


_PRINCIPAL_WRAPPING = len('{"Service":}')
"""Bytes a principal's object adds around its quoted value, at most (``Service`` form)."""


def function_arn(
    function_name: str,
    qualifier: str | None = None,
    *,
    partition: str | None = None,
    region: str | None = None,
    account: str | None = None,
) -> str:
    """The ARN Lambda puts in ``Resource`` for a FunctionName, with its qualifier.

    A full ARN is used as it is; a name or partial ARN is completed with the function's
    ``partition``, ``region`` and ``account``, which must then be given.
    Default: - the partition of ``region`` when ``partition`` is not given.
    """
    if function_name.startswith("arn:") or tokens.is_unresolved(function_name):
        # An ARN, or a deploy-time value that stands for the whole ARN.
        arn = function_name
        suffix = None if tokens.is_unresolved(arn) else parse_function_name(arn).qualifier
    else:
        parsed = parse_function_name(function_name)
        suffix = parsed.qualifier
        head = parsed.function.split(":")
        name = head[-1]
        if len(head) >= 3:  # account:function:name or region:account:function:name
            account = head[-3]
            if len(head) == 4:
                region = head[0]
        if partition is None and region is not None:
            partition = partition_of(region)
        if partition is None or region is None or account is None:
            raise ValueError(
                f"FunctionName {function_name!r} is not an ARN: give the partition, region and "
                "account of its stack to complete it"
            )
        arn = f"arn:{partition}:lambda:{region}:{account}:function:{name}"
        if suffix is not None:
            arn += f":{suffix}"
    if qualifier is not None and suffix is None and not arn.endswith(f":{qualifier}"):
        arn += f":{qualifier}"
    return arn


def sid_placeholder(stack_name: str, logical_id: str) -> str:
    """The Sid CloudFormation generates, ``<stack>-<logicalId>-<12 random>``, as ``X``s.

    A Sid has at most 100 characters; a longer one is cut before the suffix (how CloudFormation
    shortens it is not documented; the length, which is what the size counts, is the same).
    Either part may be a bounded marker (a stack name known only at deploy time).
    """
    suffix = "-" + "X" * SID_SUFFIX_LENGTH
    room = SID_MAX_LENGTH - len(suffix)
    prefix = f"{stack_name}-{logical_id}"
    if max_length(prefix) <= room:
        return prefix + suffix
    if not tokens.is_unresolved(prefix):
        return prefix[:room] + suffix
    literal = "".join(part or "" for part in tokens.split(prefix))
    if len(literal) >= room:
        return literal[:room] + suffix
    return cap(prefix, room) + suffix


def principal_element(principal: str, partition: str) -> str | dict[str, str]:
    """``Principal`` as Lambda writes it: ``"*"``, ``{"AWS": ...}`` or ``{"Service": ...}``.

    A 12-digit account becomes its root ARN in ``partition``. A deploy-time principal whose kind
    cannot be told is kept as one marker long enough for any of the forms.
    """
    kind = principal_kind(principal)
    if kind is PrincipalKind.ANYONE:
        return "*"
    if kind is PrincipalKind.ACCOUNT or _is_account_marker(principal):
        return {"AWS": f"arn:{partition}:iam::{principal}:root"}
    if kind is PrincipalKind.IAM or principal.startswith("arn:"):
        return {"AWS": principal}
    if kind is PrincipalKind.SERVICE:
        return {"Service": principal}
    if kind is PrincipalKind.UNKNOWN:
        tail = tokens.split(principal)[-1] or ""
        if tail.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
            return {"Service": principal}
        labels = marker_bounds(principal)
        label = labels[0][0] if labels else "Principal"
        return bounded_marker(label, max_length(principal) + _PRINCIPAL_WRAPPING)
    # Lambda rejects such a principal (rule LP113); written the way it was given.
    return {"AWS": principal}


def _is_account_marker(principal: str) -> bool:
    whole = whole_marker(principal)
    return whole is not None and whole[0].endswith(ACCOUNT_LABEL)


def condition_element(
    *,
    source_arn: str | None = None,
    source_account: str | None = None,
    principal_org_id: str | None = None,
    event_source_token: str | None = None,
    function_url_auth_type: str | None = None,
    invoked_via_function_url: bool | str | None = None,
) -> dict[str, dict[str, str]]:
    """``Condition``: ``StringEquals``, then ``ArnLike``, then ``Bool``; empty when none.

    The order of the keys inside ``StringEquals`` and the place of ``Bool`` are not documented
    (facts sheet §3); neither changes the size.
    """
    string_equals: dict[str, str] = {}
    if source_account is not None:
        string_equals["AWS:SourceAccount"] = source_account
    if principal_org_id is not None:
        string_equals["aws:PrincipalOrgID"] = principal_org_id
    if function_url_auth_type is not None:
        string_equals["lambda:FunctionUrlAuthType"] = function_url_auth_type
    if event_source_token is not None:
        string_equals["lambda:EventSourceToken"] = event_source_token
    condition: dict[str, dict[str, str]] = {}
    if string_equals:
        condition["StringEquals"] = string_equals
    if source_arn is not None:
        condition["ArnLike"] = {"AWS:SourceArn": source_arn}
    if invoked_via_function_url:
        # What Lambda writes for InvokedViaFunctionUrl=false is not known (facts sheet §3).
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    return condition


def permission_condition(permission: Permission) -> dict[str, dict[str, str]]:
    """The ``Condition`` of ``permission``'s statement; empty when it has none."""
    return condition_element(
        source_arn=permission.source_arn,
        source_account=permission.source_account,
        principal_org_id=permission.principal_org_id,
        event_source_token=permission.event_source_token,
        function_url_auth_type=permission.function_url_auth_type,
        invoked_via_function_url=permission.invoked_via_function_url,
    )


def statement(
    permission: Permission,
    *,
    sid: str,
    partition: str | None = None,
    region: str | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """The statement Lambda adds for ``permission``, keys in Lambda's order.

    ``partition``, ``region`` and ``account`` are the function's, needed when FunctionName is a
    name or partial ARN. Default: - taken from the function's ARN (partition ``aws`` when
    FunctionName is one deploy-time value).
    """
    resource = function_arn(
        permission.function_name,
        permission.qualifier,
        partition=partition,
        region=region,
        account=account,
    )
    if resource.startswith("arn:"):
        partition = resource.split(":")[1]
    rendered: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal_element(permission.principal, partition or "aws"),
        "Action": permission.action,
        "Resource": resource,
    }
    condition = permission_condition(permission)
    if condition:
        rendered["Condition"] = condition
    return rendered


def document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The policy document holding ``statements``, as GetPolicy returns it."""
    return {"Version": POLICY_VERSION, "Id": POLICY_ID, "Statement": list(statements)}
