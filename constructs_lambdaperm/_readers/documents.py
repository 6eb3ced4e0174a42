"""Front end: the ``AWS::Lambda::ResourcePolicy`` resources of a template, read as documents.

An ``AWS::Lambda::ResourcePolicy`` is a whole policy document (``PolicyDocument``, a JSON object
in the template, or a JSON string) for the function, version or alias its ``ResourceArn``
names. Every value of the document is read as bounded text (``references``), so that the
policy layer sizes and evaluates it as it does the statements of ``AWS::Lambda::Permission``
resources: a ``Ref`` or an ``Fn::GetAtt`` in a condition is a marker no longer than the value
can be.

A document this library wrote (``use_resource_policy``) says in its ``Metadata`` which grant made
each statement (``lambdaperm:grants``: for each statement, for each combination of its values,
the grant's construct path and the logical ID its ``AWS::Lambda::Permission`` would have had),
so findings are shown on the grants and the size the permissions would have taken is known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._core.api_model import field_constraints
from .._core.bounds import UNBOUNDED_LENGTH
from .references import Resolver
from .stacks import StackTemplate
from .targets import Target

RESOURCE_POLICY_TYPE = "AWS::Lambda::ResourcePolicy"

GRANTS_METADATA = "lambdaperm:grants"
"""The ``Metadata`` key of a document this library wrote: the grants behind each statement."""

SID_MAX_LENGTH = 100

# Condition keys whose values are an AddPermission parameter's, and so bounded by its limit.
_KEY_PARAMETERS: Mapping[str, str] = {
    "aws:sourcearn": "SourceArn",
    "aws:sourceaccount": "SourceAccount",
    "aws:principalorgid": "PrincipalOrgID",
    "lambda:eventsourcetoken": "EventSourceToken",
    "lambda:functionurlauthtype": "FunctionUrlAuthType",
}

Grant = tuple[str, str]
"""A grant behind a statement: its construct path, and the logical ID its
``AWS::Lambda::Permission`` would have had."""


@dataclass(frozen=True)
class TemplateDocument:
    """One ``AWS::Lambda::ResourcePolicy`` of a template, its values as bounded text."""

    logical_id: str
    """The resource's logical ID."""
    target: Target
    """The function and qualifier its ``ResourceArn`` names."""
    document: Mapping[str, Any] | None
    """The document, every value as text (deploy-time parts as bounded markers); ``None`` when
    it cannot be read (see ``problem``)."""
    problem: str | None = None
    """Why the document cannot be read. Default: - it can."""
    grants: tuple[tuple[Grant, ...], ...] | None = None
    """For each statement, the grant behind each combination of its values, when this library
    wrote the document. Default: - not known."""


def is_document(resource: Any) -> bool:
    """Whether a template resource is an ``AWS::Lambda::ResourcePolicy``."""
    return isinstance(resource, Mapping) and resource.get("Type") == RESOURCE_POLICY_TYPE


def read_document(
    resolver: Resolver, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any]
) -> TemplateDocument:
    """The document of the ``AWS::Lambda::ResourcePolicy`` ``logical_id`` of ``stack``."""
    properties = resource.get("Properties") or {}
    if not isinstance(properties, Mapping):
        properties = {}
    target = resolver.function_target(properties.get("ResourceArn"), stack)
    raw = properties.get("PolicyDocument")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return TemplateDocument(
                logical_id, target, None, "its PolicyDocument is a string that is not JSON"
            )
    if isinstance(raw, Mapping) and len(raw) == 1 and _is_intrinsic(next(iter(raw))):
        return TemplateDocument(
            logical_id, target, None, "its PolicyDocument is known only at deploy time"
        )
    if not isinstance(raw, Mapping):
        return TemplateDocument(logical_id, target, None, "it has no PolicyDocument object")
    statements = raw.get("Statement")
    if isinstance(statements, Mapping) and not _is_intrinsic_value(statements):
        statements = [statements]  # IAM takes one statement as an object
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        return TemplateDocument(
            logical_id, target, None, "its PolicyDocument has no list of statements"
        )
    document = {
        key: (
            [_statement(resolver, stack, s) for s in statements]
            if key == "Statement"
            else _value(resolver, stack, value, UNBOUNDED_LENGTH)
        )
        for key, value in raw.items()
    }
    return TemplateDocument(
        logical_id, target, document, None, _grants(resource.get("Metadata"), len(statements))
    )


def _statement(resolver: Resolver, stack: StackTemplate, statement: Mapping[str, Any]) -> Any:
    out: dict[str, Any] = {}
    for name, value in statement.items():
        if name == "Sid":
            out[name] = _value(resolver, stack, value, SID_MAX_LENGTH)
        elif name in ("Principal", "NotPrincipal"):
            out[name] = _value(resolver, stack, value, _limit("Principal"))
        elif name in ("Action", "NotAction"):
            out[name] = _value(resolver, stack, value, _limit("Action"))
        elif name == "Condition" and isinstance(value, Mapping) and not _is_intrinsic_value(value):
            out[name] = {
                operator: (
                    {
                        key: _value(resolver, stack, v, _key_limit(str(key)))
                        for key, v in block.items()
                    }
                    if isinstance(block, Mapping) and not _is_intrinsic_value(block)
                    else _value(resolver, stack, block, UNBOUNDED_LENGTH)
                )
                for operator, block in value.items()
            }
        else:
            out[name] = _value(resolver, stack, value, UNBOUNDED_LENGTH)
    return out


def _value(resolver: Resolver, stack: StackTemplate, value: Any, limit: int) -> Any:
    """``value`` with every string (and every intrinsic) as bounded text."""
    if isinstance(value, list):
        return [_value(resolver, stack, item, limit) for item in value]
    if isinstance(value, Mapping) and not _is_intrinsic_value(value):
        return {str(k): _value(resolver, stack, v, limit) for k, v in value.items()}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return resolver.bounded_text(value, stack, limit)


def _is_intrinsic(key: Any) -> bool:
    return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::"))


def _is_intrinsic_value(value: Mapping[str, Any]) -> bool:
    return len(value) == 1 and _is_intrinsic(next(iter(value)))


def _limit(parameter: str) -> int:
    return field_constraints()[parameter].max_length or UNBOUNDED_LENGTH


def _key_limit(key: str) -> int:
    parameter = _KEY_PARAMETERS.get(key.lower())
    return UNBOUNDED_LENGTH if parameter is None else _limit(parameter)


def _grants(metadata: Any, statements: int) -> tuple[tuple[Grant, ...], ...] | None:
    """The grants of ``lambdaperm:grants``, when the metadata has that shape."""
    if not isinstance(metadata, Mapping):
        return None
    listed = metadata.get(GRANTS_METADATA)
    if not isinstance(listed, Sequence) or isinstance(listed, str) or len(listed) != statements:
        return None
    result: list[tuple[Grant, ...]] = []
    for entries in listed:
        if not isinstance(entries, list):
            return None
        grants: list[Grant] = []
        for entry in entries:
            if not (
                isinstance(entry, list)
                and len(entry) == 2
                and all(isinstance(e, str) for e in entry)
            ):
                return None
            grants.append((entry[0], entry[1]))
        result.append(tuple(grants))
    return tuple(result)
