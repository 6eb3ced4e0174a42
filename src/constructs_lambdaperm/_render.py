"""Back end: each permission as the statement Lambda writes into the function's policy.

Pure Python. The layout follows the statement facts sheet: keys ``Sid, Effect, Principal, Action,
Resource, Condition``; the principal mapped as Lambda maps it; the conditions in the blocks
``StringEquals``, ``ArnLike``, ``Bool``; compact JSON with ``/`` left alone. One document per
function and qualifier: ``{"Version":"2012-10-17","Id":"default","Statement":[...]}``.

Deploy-time values stay CDK-style markers (``${Token[...]}``) in the statement dictionaries. A
marker this module writes also carries the longest value it can stand for
(``${Token[Stack.Fn.FunctionName;max=64]}``); :func:`sized_json` writes each such marker as a
placeholder of exactly that length, so the byte length of the result is an upper bound on the
size of the policy Lambda will hold.

Non-ASCII characters are written as they are (``ensure_ascii=False``) and sizes are counted in
UTF-8 bytes. How Lambda writes them is not documented (facts sheet §6); Java JSON writers such
as Jackson leave non-ASCII characters unescaped by default, and AWS-generated ARNs are ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import _tokens
from ._model import Permission, PrincipalKind, parse_function_name, principal_kind

POLICY_SIZE_LIMIT = 20480
"""Lambda refuses a resource-based policy whose compact JSON is longer than this (bytes)."""

POLICY_VERSION = "2012-10-17"
POLICY_ID = "default"

SID_SUFFIX_LENGTH = 12
"""CloudFormation ends a generated Sid with 12 random characters (facts sheet §4)."""

SID_MAX_LENGTH = 100
"""StatementId has at most 100 characters."""

_SEPARATORS = (",", ":")

_BOUNDED = re.compile(r"\$\{Token\[([^\]\s;]*);max=(\d+)\]\}")
# The CDK's marker for a deploy-time string, bounded or not (as in ``_tokens``).
_ANY_MARKER = re.compile(r"\$\{Token\[[^\]\s]*\]\}")
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")

UNBOUNDED_LENGTH = 1024 + 12
"""Length assumed for a deploy-time value nobody bounded: the longest parameter (SourceArn)
plus the wrapping of a principal. Values this library renders are always bounded."""

ACCOUNT_LABEL = "AWS.AccountId"
"""Labels ending with this name an AWS account ID (rendered as the account's root ARN)."""

_PRINCIPAL_WRAPPING = len('{"Service":}')
"""Bytes a principal's object adds around its quoted value, at most (``Service`` form)."""


def clean_label(label: str) -> str:
    """``label`` as a marker holds it: letters, digits, ``.``, ``_``, ``@`` and ``-``."""
    return _LABEL_UNSAFE.sub("_", label) or "value"


def bounded_marker(label: str, max_length: int) -> str:
    """A deploy-time value described by ``label`` that has at most ``max_length`` characters."""
    return "${Token[" + clean_label(label) + f";max={max(0, max_length)}" + "]}"


def marker_bounds(value: str) -> list[tuple[str, int]]:
    """The label and maximum length of each bounded marker in ``value``."""
    return [(m.group(1), int(m.group(2))) for m in _BOUNDED.finditer(value)]


def max_length(value: str) -> int:
    """The most characters ``value`` can have once every deploy-time part is known."""
    total = 0
    for part in _tokens.split(value):
        total += len(part) if part is not None else 0
    for match in _ANY_MARKER.finditer(value):
        bounded = _BOUNDED.fullmatch(match.group(0))
        total += int(bounded.group(2)) if bounded else UNBOUNDED_LENGTH
    return total


def readable(value: str) -> str:
    """``value`` for a message: each deploy-time part as ``{label}``."""
    return _ANY_MARKER.sub(lambda m: "{" + m.group(0)[8:-2].split(";max=")[0] + "}", value)


def placeholder(label: str, length: int) -> str:
    """A placeholder of exactly ``length`` characters: ``{label}`` padded with ``#``.

    When the label does not fit, its last part does (``{Region}``), else as much of it as fits.
    """
    if length <= 0:
        return ""
    for candidate in (label, label.rsplit(".", 1)[-1]):
        text = "{" + candidate + "}"
        if len(text) <= length:
            return text + "#" * (length - len(text))
    if length == 1:
        return "#"
    return text[: length - 1] + "}"


def _fill(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        bounded = _BOUNDED.fullmatch(match.group(0))
        if bounded is None:
            return placeholder("value", UNBOUNDED_LENGTH)
        return placeholder(bounded.group(1), int(bounded.group(2)))

    return _ANY_MARKER.sub(replace, value)


def to_json(value: Any) -> str:
    """``value`` as compact JSON, as Lambda writes it: no spaces, ``/`` not escaped."""
    return json.dumps(value, separators=_SEPARATORS, ensure_ascii=False)


def sized_json(value: Any) -> str:
    """Compact JSON with each deploy-time value written as a placeholder of its maximum length.

    Its UTF-8 byte length is the size of ``value`` when nothing is deploy-time, and otherwise an
    upper bound on it (deploy-time values being plain ASCII, as AWS names and ARNs are).
    """
    text = to_json(value)
    if "${Token[" not in text:
        return text
    return _fill(text)


def size(value: Any) -> int:
    """The size Lambda counts: UTF-8 bytes of the compact JSON (an upper bound with tokens)."""
    return len(sized_json(value).encode("utf-8"))


def known_size(value: Any) -> int:
    """A lower bound on the size: every deploy-time value counted as empty."""
    text = to_json(value)
    return len(_ANY_MARKER.sub("", text).encode("utf-8"))


def partition_of(region: str) -> str | None:
    """The partition of a region (``aws``, ``aws-cn``...); ``None`` when it cannot be told."""
    if _tokens.is_unresolved(region):
        return None
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws" if re.fullmatch(r"[a-z]{2}-[a-z]+-\d", region) else None


_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)


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
    if function_name.startswith("arn:") or _tokens.is_unresolved(function_name):
        # An ARN, or a deploy-time value that stands for the whole ARN.
        arn = function_name
        suffix = None if _tokens.is_unresolved(arn) else parse_function_name(arn).qualifier
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
    if not _tokens.is_unresolved(prefix):
        return prefix[:room] + suffix
    literal = "".join(part or "" for part in _tokens.split(prefix))
    if len(literal) >= room:
        return literal[:room] + suffix
    return cap(prefix, room) + suffix


OPAQUE_PREFIX = "value."
"""Labels of markers that may hold anything, colons included, start with this."""


def cap(text: str, limit: int) -> str:
    """``text`` with its markers' maxima lowered so that it has at most ``limit`` characters.

    Lambda refuses a value longer than its parameter's limit, so no deployed value is longer.
    The most open markers are lowered first, then the longest.
    """
    bounds = marker_bounds(text)
    if not bounds:
        return text
    excess = max_length(text) - limit
    if excess <= 0:
        return text
    maxima = [bound for _, bound in bounds]
    order = sorted(
        range(len(bounds)),
        key=lambda i: (not bounds[i][0].startswith(OPAQUE_PREFIX), -maxima[i]),
    )
    for i in order:
        cut = min(excess, maxima[i])
        maxima[i] -= cut
        excess -= cut
        if excess <= 0:
            break
    counter = iter(range(len(bounds)))

    def replace(match: re.Match[str]) -> str:
        return bounded_marker(match.group(1), maxima[next(counter)])

    return _BOUNDED.sub(replace, text)


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
        tail = _tokens.split(principal)[-1] or ""
        if tail.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
            return {"Service": principal}
        labels = marker_bounds(principal)
        label = labels[0][0] if labels else "Principal"
        return bounded_marker(label, max_length(principal) + _PRINCIPAL_WRAPPING)
    # Lambda rejects such a principal (rule LP113); written the way it was given.
    return {"AWS": principal}


def _is_account_marker(principal: str) -> bool:
    bounds = marker_bounds(principal)
    return (
        len(bounds) == 1
        and _BOUNDED.fullmatch(principal) is not None
        and bounds[0][0].endswith(ACCOUNT_LABEL)
    )


def condition_element(
    *,
    source_arn: str | None = None,
    source_account: str | None = None,
    principal_org_id: str | None = None,
    event_source_token: str | None = None,
    function_url_auth_type: str | None = None,
    invoked_via_function_url: bool | None = None,
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
    condition = condition_element(
        source_arn=permission.source_arn,
        source_account=permission.source_account,
        principal_org_id=permission.principal_org_id,
        event_source_token=permission.event_source_token,
        function_url_auth_type=permission.function_url_auth_type,
        invoked_via_function_url=permission.invoked_via_function_url,
    )
    if condition:
        rendered["Condition"] = condition
    return rendered


def document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The policy document holding ``statements``, as GetPolicy returns it."""
    return {"Version": POLICY_VERSION, "Id": POLICY_ID, "Statement": list(statements)}
