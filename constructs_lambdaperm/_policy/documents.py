"""The document back end, and its reading: one ``AWS::Lambda::ResourcePolicy`` per function.

Pure Python. Three things, each the inverse of another:

- **Rendering** (:func:`document_statement`): a permission as a statement of a policy document
  (``PutResourcePolicy``), in the layout Lambda gives the statements AddPermission adds
  (``render``), but with the real values: no Sid placeholder, no bounded markers.
- **Consolidation** (:func:`consolidate`): statements that differ only in the values of one
  element (a condition key, the principals of one kind, the actions) become one statement
  listing every value. IAM ORs the values of one key (and the principals, and the actions), so
  ``(X and k in S1) or (X and k in S2)`` is ``X and k in S1 | S2``: who may invoke is exactly
  the same, never wider. Statements whose other elements differ in any way (another condition,
  the same key under another operator, a key one has and the other lacks) are never merged.
- **Reading** (:func:`combinations`, :func:`read_statement`): a document statement as the
  AddPermission requests it stands for, one per combination of its values, and what of it no
  AddPermission parameter expresses (a condition key such as ``aws:SourceIp``, a Deny, a
  ``NotPrincipal``...), with the rules whose verdict that may change.

Consolidation only ever merges values of the elements :func:`combinations` expands, so reading
a consolidated statement gives back exactly the permissions it was made of: the guard checks
the document's statements as the permissions they replace.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .._core import tokens
from .._core.model import Permission, PrincipalKind, principal_kind
from . import render

DOCUMENT_VERSION = render.POLICY_VERSION
"""The policy language version documents are written in."""

SID_PATTERN = re.compile(r"[A-Za-z0-9]+")
"""The characters a Sid of a document this library writes is made of (IAM allows these)."""

SID_READABLE_LENGTH = 24
"""At most this many characters of a construct's ID start a Sid; an 8-character digest ends it."""

WIDTH_RULES = frozenset(
    {"LP301", "LP302", "LP303", "LP304", "LP305", "LP306", "LP307", "LP308", "LP610"}
)
"""The rules that judge how far a grant reaches (who, from which source): a condition or a Deny
statement that no AddPermission parameter expresses can only narrow a grant, so it may settle
what these rules report, and they do not decide such a statement."""

ACTION_RULES = frozenset({"LP103", "LP116", "LP305", "LP602", "LP603", "LP606"})
"""The rules that read the action: they cannot decide an action pattern such as
``lambda:Invoke*``, which AddPermission does not take but a policy document may hold."""

PrincipalKey = str
"""``"AWS"`` or ``"Service"``: the key a principal is written under in a statement."""


class UnknownPrincipalError(ValueError):
    """A principal known only at deploy time whose kind (account or service) is not known.

    AddPermission decides at deploy time how to write such a principal; a document must say it
    at synth.
    """


# --- rendering -------------------------------------------------------------------------------


def document_principal(
    principal: str, partition: str, kind_of: str, hint: PrincipalKey | None = None
) -> str | dict[str, str]:
    """``Principal`` as Lambda writes it for AddPermission, with the real value.

    ``kind_of`` is the principal as the rules read it (a lone token as its CloudFormation
    text), which decides the kind; ``principal`` is what is written. A principal whose kind is
    known only at deploy time is written under ``hint`` (``AWS`` for an account or an IAM
    identity: IAM takes an account ID there too; ``Service`` for a service).
    :raises UnknownPrincipalError: when the kind cannot be told and there is no hint.
    """
    kind = principal_kind(kind_of)
    if kind is PrincipalKind.ANYONE:
        return "*"
    if kind is PrincipalKind.ACCOUNT:
        return {"AWS": f"arn:{partition}:iam::{principal}:root"}
    if kind is PrincipalKind.IAM:
        return {"AWS": principal}
    if kind is PrincipalKind.SERVICE:
        return {"Service": principal}
    tail = tokens.split(kind_of)[-1] or ""
    if tail.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
        return {"Service": principal}
    if kind is PrincipalKind.UNKNOWN and hint is None:
        raise UnknownPrincipalError(
            f"the principal {tokens.describe(kind_of)} is known only at deploy time, and whether "
            "it is an account, an IAM identity or a service cannot be told: a policy document "
            "must write it as one of them"
        )
    return {hint or "AWS": principal}


def document_statement(
    permission: Permission,
    *,
    partition: str,
    region: str | None = None,
    account: str | None = None,
    kind_of: str | None = None,
    hint: PrincipalKey | None = None,
) -> dict[str, Any]:
    """The statement of a policy document that grants what ``permission`` grants, without Sid.

    Keys in Lambda's order (``Effect, Principal, Action, Resource, Condition``), the conditions
    as AddPermission writes them (``render.condition_element``). ``partition``, ``region`` and
    ``account`` complete a FunctionName that is not an ARN (they may be deploy-time values);
    ``kind_of`` is the principal as the rules read it. Default: - the principal itself.
    """
    resource = render.function_arn(
        permission.function_name,
        permission.qualifier,
        partition=partition,
        region=region,
        account=account,
    )
    rendered: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": document_principal(
            permission.principal, partition, kind_of or permission.principal, hint
        ),
        "Action": permission.action,
        "Resource": resource,
    }
    condition = render.permission_condition(permission)
    if condition:
        rendered["Condition"] = condition
    return rendered


def document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The policy document holding ``statements``: ``Version`` and ``Statement``.

    No ``Id``: PutResourcePolicy's documentation shows none, and Lambda's ``"default"`` is the
    name of the policy AddPermission builds.
    """
    return {"Version": DOCUMENT_VERSION, "Statement": list(statements)}


# --- the elements a statement is made of ----------------------------------------------------

# (condition operator, key) -> the AddPermission parameter, for the conditions AddPermission
# writes (keys compared without regard to case, as IAM compares them).
_CONDITION_FIELDS: Mapping[tuple[str, str], str] = {
    ("ArnLike", "aws:sourcearn"): "source_arn",
    ("ArnEquals", "aws:sourcearn"): "source_arn",
    ("StringLike", "aws:sourcearn"): "source_arn",
    ("StringEquals", "aws:sourceaccount"): "source_account",
    ("StringEquals", "aws:principalorgid"): "principal_org_id",
    ("StringEquals", "lambda:eventsourcetoken"): "event_source_token",
    ("StringEquals", "lambda:functionurlauthtype"): "function_url_auth_type",
    ("Bool", "lambda:invokedviafunctionurl"): "invoked_via_function_url",
}

_FIELD_ORDER = (
    "source_arn",
    "source_account",
    "principal_org_id",
    "event_source_token",
    "function_url_auth_type",
    "invoked_via_function_url",
)
"""The order in which condition keys are expanded (and tried for merging)."""

_GLOB = re.compile(r"[*?]")


def _condition_field(operator: str, key: str, values: Sequence[Any]) -> str | None:
    """The AddPermission parameter a condition stands for, or ``None``."""
    name = _CONDITION_FIELDS.get((operator, key.lower()))
    if name is None:
        return None
    if name == "invoked_via_function_url":
        # What InvokedViaFunctionUrl=false would write is not known.
        ok = all(isinstance(v, str | bool) and str(v).lower() == "true" for v in values)
        return name if ok else None
    if not all(isinstance(v, str) for v in values):
        return None
    if operator == "StringLike" and any(_GLOB.search(v) for v in values):
        return None  # StringLike with a wildcard is not ArnLike
    if name == "source_account" and any(_GLOB.search(v) for v in values):
        return None
    return name


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _one_or_list(values: Sequence[Any]) -> Any:
    return values[0] if len(values) == 1 else list(values)


# --- consolidation -------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Merged(Generic[K]):
    """A statement of the consolidated document, and the statements it replaces."""

    statement: dict[str, Any]
    """The statement, its Sid first."""
    origins: tuple[K, ...]
    """The keys of the statements merged into it, each once, in the order given."""
    combinations: tuple[K, ...]
    """For each combination of its values, in :func:`combinations` order, the key of the
    first statement that had it."""


def consolidate(
    entries: Sequence[tuple[K, Mapping[str, Any]]],
    sid: Callable[[Sequence[K]], str],
) -> list[Merged[K]]:
    """Merge statements that differ only in the values of one element, then name each.

    ``entries`` are ``(key, statement without Sid)``, each statement granting what one
    permission grants (:func:`document_statement`: single values). ``sid`` names a merged
    statement from the keys of the statements it replaces; names that repeat get a counter.

    A statement is merged with another only when every other element is equal, so the merged
    document allows exactly what the statements did (see the module's docstring); values are
    listed sorted, each once. Deploy-time values (tokens) are values like any other: equal
    text is the same value, and a token merged into a list stays its own value, so an unknown
    value never widens a statement.
    """
    items: dict[str, tuple[dict[str, Any], list[K]]] = {}
    for key, statement in entries:
        canonical = _canonical(statement)
        if canonical in items:
            items[canonical][1].append(key)
        else:
            items[canonical] = (_listed(statement), [key])
    groups = [(statement, keys) for statement, keys in items.values()]
    changed = True
    while changed:
        changed = False
        for element in _merge_order(s for s, _ in groups):
            merged = _merge_on(groups, element)
            if len(merged) < len(groups):
                groups, changed = merged, True
    by_single: dict[str, K] = {}
    for key, statement in entries:
        by_single.setdefault(_canonical(statement), key)
    result: list[Merged[K]] = []
    names: dict[str, int] = {}
    for statement, keys in sorted(groups, key=lambda g: _canonical(g[0])):
        shaped = _shaped(statement)
        combos = tuple(by_single[_canonical(single)] for single in combinations(shaped))
        name = sid(keys)
        count = names.get(name, 0)
        names[name] = count + 1
        named = {"Sid": name if count == 0 else f"{name}{count}", **shaped}
        result.append(Merged(statement=named, origins=tuple(keys), combinations=combos))
    return result


def readable_sid(paths: Sequence[str]) -> str:
    """A Sid for the statement of the resources at ``paths``: readable, stable, alphanumeric.

    Each path is a grant's construct path and the ID of the child it would have made
    (``Stack/Grant/Resource``). The Sid is the first path's grant ID, with the child's ID when
    it is not ``Resource`` (a function URL grant's ``InvokeFunction``), at most 24 letters and
    digits, then a digest of every path: the same grants give the same Sid in every synth,
    whatever order they were made in, and different ones a different Sid.
    """
    parts = [part for part in min(paths).split("/") if part]
    named = parts[-2:] if len(parts) >= 2 else parts
    if named and named[-1] in ("Resource", "Default"):
        named = named[:-1]
    readable = "".join(re.sub(r"[^A-Za-z0-9]", "", part) for part in named)
    digest = hashlib.sha256("\n".join(sorted(paths)).encode("utf-8")).hexdigest()[:8].upper()
    return f"{readable[:SID_READABLE_LENGTH]}{digest}"


def _canonical(statement: Mapping[str, Any]) -> str:
    """Equal for statements that mean the same (Sid left out; lists as sorted sets)."""
    return json.dumps(_listed({k: v for k, v in statement.items() if k != "Sid"}), sort_keys=True)


def _listed(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement with every mergeable element as a sorted list of distinct values."""
    out: dict[str, Any] = {}
    for name, value in statement.items():
        if name == "Principal" and isinstance(value, Mapping):
            out[name] = {k: _sorted(_as_list(v)) for k, v in value.items()}
        elif name == "Action":
            out[name] = _sorted(_as_list(value))
        elif name == "Condition" and isinstance(value, Mapping):
            out[name] = {
                op: {k: _sorted(_as_list(v)) for k, v in block.items()}
                for op, block in value.items()
            }
        else:
            out[name] = value
    return out


def _sorted(values: Iterable[Any]) -> list[Any]:
    return sorted(set(values), key=lambda v: json.dumps(v, sort_keys=True))


def _shaped(listed: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as written: one value as a string, several as a list."""
    out: dict[str, Any] = {}
    for name, value in listed.items():
        if name == "Principal" and isinstance(value, Mapping):
            out[name] = {k: _one_or_list(v) for k, v in value.items()}
        elif name == "Action":
            out[name] = _one_or_list(value)
        elif name == "Condition" and isinstance(value, Mapping):
            out[name] = {
                op: {k: _one_or_list(v) for k, v in block.items()} for op, block in value.items()
            }
        else:
            out[name] = value
    return out


Element = tuple[str, ...]
"""An element whose values merge: ``("Condition", op, key)``, ``("Principal", kind)``,
``("Action",)``."""


def _merge_order(statements: Iterable[Mapping[str, Any]]) -> list[Element]:
    """The elements to try merging on: the expressible conditions, the principals, the action."""
    conditions: set[Element] = set()
    principals: set[Element] = set()
    for statement in statements:
        for op, block in (statement.get("Condition") or {}).items():
            for key, values in block.items():
                if _condition_field(op, key, values) is not None:
                    conditions.add(("Condition", op, key))
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            principals.update(("Principal", kind) for kind in principal)

    def rank(element: Element) -> tuple[int, str]:
        field_name = _CONDITION_FIELDS[(element[1], element[2].lower())]
        return _FIELD_ORDER.index(field_name), element[1]

    return [
        *sorted(conditions, key=rank),
        *sorted(principals),
        ("Action",),
    ]


def _values_of(statement: Mapping[str, Any], element: Element) -> list[Any] | None:
    if element[0] == "Condition":
        block = (statement.get("Condition") or {}).get(element[1])
        return None if block is None or element[2] not in block else list(block[element[2]])
    if element[0] == "Principal":
        principal = statement.get("Principal")
        if not isinstance(principal, Mapping) or len(principal) != 1 or element[1] not in principal:
            return None  # principals of two kinds are one element each: never merged
        return list(principal[element[1]])
    return list(statement["Action"]) if "Action" in statement else None


def _with_values(
    statement: Mapping[str, Any], element: Element, values: list[Any]
) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(statement))
    if element[0] == "Condition":
        out["Condition"][element[1]][element[2]] = values
    elif element[0] == "Principal":
        out["Principal"][element[1]] = values
    else:
        out["Action"] = values
    return out


def _merge_on(
    groups: list[tuple[dict[str, Any], list[K]]], element: Element
) -> list[tuple[dict[str, Any], list[K]]]:
    """Merge the statements equal in everything but ``element``'s values."""
    merged: dict[str, tuple[dict[str, Any], list[K]]] = {}
    for statement, keys in groups:
        values = _values_of(statement, element)
        if values is None:
            rest = "\x00" + _canonical(statement)  # not merged on this element
        else:
            rest = _canonical(_with_values(statement, element, []))
        if rest not in merged:
            merged[rest] = (statement, list(keys))
            continue
        other, other_keys = merged[rest]
        union = _sorted([*(_values_of(other, element) or []), *(values or [])])
        merged[rest] = (_with_values(other, element, union), [*other_keys, *keys])
    return list(merged.values())


# --- reading a statement back ---------------------------------------------------------------


def combinations(statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statement once per combination of the values AddPermission takes one at a time.

    Expanded: the principals (every value under ``AWS`` and ``Service``), the actions, and the
    values of each condition an AddPermission parameter expresses (:data:`_CONDITION_FIELDS`).
    Everything else (another condition, ``NotPrincipal``...) is kept as it is in each. The
    order is fixed (principals, actions, then conditions in AddPermission's order) so that the
    same statement always gives the same sequence.
    """
    principal = statement.get("Principal")
    principals: list[Any]
    if isinstance(principal, Mapping):
        principals = [
            {kind: value} for kind in sorted(principal) for value in _as_list(principal[kind])
        ]
    else:
        principals = [principal]
    actions = _as_list(statement["Action"]) if "Action" in statement else [None]
    expanded: list[tuple[str, str, list[Any]]] = []
    for op, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = _as_list(value)
            name = _condition_field(op, key, values)
            if name is not None:
                expanded.append((op, key, values))
    expanded.sort(key=lambda e: _FIELD_ORDER.index(_CONDITION_FIELDS[(e[0], e[1].lower())]))
    result: list[dict[str, Any]] = []
    for combo in itertools.product(principals, actions, *(values for _, _, values in expanded)):
        single: dict[str, Any] = json.loads(json.dumps(statement))
        if "Principal" in statement:
            single["Principal"] = combo[0]
        if combo[1] is not None:
            single["Action"] = combo[1]
        for (op, key, _), value in zip(expanded, combo[2:], strict=True):
            single["Condition"][op][key] = value
        result.append(single)
    return result


@dataclass(frozen=True, slots=True)
class Unexpressed:
    """A part of a document statement that no AddPermission parameter expresses."""

    element: str
    """What it is, for messages: ``condition IpAddress aws:SourceIp``, ``NotPrincipal``..."""
    rules: frozenset[str] | None
    """The rules whose verdict it may change (they do not decide the statement); ``None``:
    every rule, the statement cannot be read as permissions at all."""


@dataclass(frozen=True)
class StatementReading:
    """A document statement read as the AddPermission requests it stands for."""

    effect: str
    """``Allow`` or ``Deny`` (or what the document says)."""
    permissions: tuple[Permission, ...]
    """One per combination of its values (:func:`combinations`), for an Allow statement whose
    principal and action AddPermission can take; empty otherwise."""
    unexpressed: tuple[Unexpressed, ...] = field(default=())
    """What of the statement the permissions leave out."""


def read_statement(
    statement: Mapping[str, Any], function_name: str, qualifier: str | None
) -> StatementReading:
    """The permissions a document statement stands for, and what they leave out.

    ``function_name`` is the function's ARN the document is attached to, ``qualifier`` its
    version or alias. An Allow statement becomes one permission per combination of its values;
    a condition, a Resource or an action pattern AddPermission has no parameter for is listed
    with the rules it affects (:data:`WIDTH_RULES`, :data:`ACTION_RULES`). A Deny statement,
    ``NotPrincipal``, ``NotAction``, ``NotResource`` and principals AddPermission does not take
    (``Federated``, ``CanonicalUser``) give no permission.
    """
    effect = str(statement.get("Effect", ""))
    unexpressed: list[Unexpressed] = []
    for negative in ("NotPrincipal", "NotAction", "NotResource"):
        if negative in statement:
            unexpressed.append(Unexpressed(negative, None))
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        for kind in principal:
            if kind not in ("AWS", "Service"):
                unexpressed.append(Unexpressed(f"a {kind} principal", None))
    elif principal != "*" and "NotPrincipal" not in statement:
        unexpressed.append(Unexpressed("Principal", None))
    if effect not in ("Allow", "Deny"):
        unexpressed.append(Unexpressed(f"Effect {effect!r}", None))
    for action in _as_list(statement.get("Action", [])):
        if not isinstance(action, str):
            unexpressed.append(Unexpressed("Action", None))
        elif action not in ("*", "lambda:*") and _GLOB.search(action):
            unexpressed.append(Unexpressed(f"the action pattern {action!r}", ACTION_RULES))
    condition = statement.get("Condition") or {}
    if not isinstance(condition, Mapping):
        unexpressed.append(Unexpressed("Condition", WIDTH_RULES))
        condition = {}
    seen: set[str] = set()
    for op, block in condition.items():
        if not isinstance(block, Mapping):
            unexpressed.append(Unexpressed(f"condition {op}", WIDTH_RULES))
            continue
        for key, value in block.items():
            name = _condition_field(op, key, _as_list(value))
            if name is None or name in seen:
                # A second condition on the same parameter narrows what the first allows.
                unexpressed.append(Unexpressed(f"condition {op} {key}", WIDTH_RULES))
            else:
                seen.add(name)
    resource = statement.get("Resource")
    wanted = function_name if qualifier is None else f"{function_name}:{qualifier}"
    for value in _as_list(resource):
        if not isinstance(value, str) or (
            value != wanted and not (tokens.is_unresolved(value) or tokens.is_unresolved(wanted))
        ):
            unexpressed.append(Unexpressed(f"Resource {value!r}", WIDTH_RULES))
    if effect != "Allow" or any(u.rules is None for u in unexpressed):
        return StatementReading(effect, (), tuple(unexpressed))
    permissions = tuple(
        _permission(single, function_name, qualifier) for single in combinations(statement)
    )
    return StatementReading(effect, permissions, tuple(unexpressed))


def _permission(single: Mapping[str, Any], function_name: str, qualifier: str | None) -> Permission:
    principal = single.get("Principal")
    if isinstance(principal, Mapping):
        ((_, value),) = principal.items()
        text = str(value)
    else:
        text = str(principal)
    values: dict[str, Any] = {}
    for op, block in (single.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            name = _condition_field(op, key, [value])
            if name is not None and name not in values:
                values[name] = True if name == "invoked_via_function_url" else str(value)
    return Permission(
        function_name=function_name if qualifier is None else f"{function_name}:{qualifier}",
        qualifier=qualifier,
        principal=text,
        action=str(single.get("Action")),
        **values,
    )


def deny_narrowing(statements: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """The Sid and actions of each Deny statement that may apply to any caller.

    Only those may settle how far an Allow reaches (a Deny of everyone outside an
    organization makes a public Allow the organization's); a Deny of one account leaves
    everyone else allowed. For :func:`narrowed_by`.
    """
    return [
        (str(s.get("Sid", f"#{index}")), [str(a) for a in _as_list(s.get("Action", "*"))])
        for index, s in enumerate(statements)
        if s.get("Effect") == "Deny" and _may_apply_to_anyone(s)
    ]


def _may_apply_to_anyone(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        values = [v for vs in principal.values() for v in _as_list(vs)]
        return any(v == "*" or tokens.is_unresolved(str(v)) for v in values)
    return isinstance(principal, str) and tokens.is_unresolved(principal)


def narrowed_by(permission: Permission, denies: Sequence[tuple[str, list[str]]]) -> list[str]:
    """The Sids of the Deny statements that may cover ``permission``'s action.

    A Deny only narrows what the Allow statements grant; one that may apply to the same action
    may settle what the width rules report, so they do not decide the permission.
    """
    found: list[str] = []
    for sid, actions in denies:
        for action in actions:
            if tokens.is_unresolved(action) or tokens.is_unresolved(permission.action):
                found.append(sid)
                break
            if _glob_match(action, permission.action) or _glob_match(permission.action, action):
                found.append(sid)
                break
    return found


def _glob_match(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None
