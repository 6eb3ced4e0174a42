"""Values known only at deploy time, seen from the pure model.

The CDK encodes a deploy-time value (a ``Ref``, an ``Fn::GetAtt``, a ``CfnParameter``...) in a
Python string as a marker such as ``${Token[TOKEN.42]}``; concatenating it with literal text keeps
the literal parts readable (``${Token[TOKEN.42]}:live``). The template front end encodes
CloudFormation intrinsics with the same marker, so the model and the rules deal with a single
convention and never import the CDK to recognise one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from .pattern import Part, Pattern

# The marker the CDK writes for string tokens; the inside never holds "]" or whitespace.
_TOKEN_MARKER = re.compile(r"\$\{Token\[[^\]\s]*\]\}")

Parts = tuple[str | None, ...]
"""A value split into literal text and ``None`` for each part known only at deploy time."""


def is_unresolved(value: str) -> bool:
    """Whether any part of ``value`` is known only at deploy time."""
    return "${Token[" in value and _TOKEN_MARKER.search(value) is not None


def split(value: str) -> Parts:
    """Split ``value`` into its literal parts and ``None`` for each deploy-time part."""
    if "${Token[" not in value:
        return (value,)
    parts: list[str | None] = []
    position = 0
    for match in _TOKEN_MARKER.finditer(value):
        if match.start() > position:
            parts.append(value[position : match.start()])
        parts.append(None)
        position = match.end()
    if position < len(value):
        parts.append(value[position:])
    return tuple(parts)


def literal_length(parts: Sequence[str | None]) -> int:
    """The number of characters that are known: a lower bound on the value's length."""
    return sum(len(part) for part in parts if part is not None)


def marker(label: str) -> str:
    """Encode a deploy-time value, described by ``label``, as a token marker string."""
    safe = re.sub(r"[\]\s]", "_", label)
    return "${Token[" + safe + "]}"


def describe(value: str) -> str:
    """A readable form of ``value`` for messages: each token shown as ``<deploy-time value>``."""
    if not is_unresolved(value):
        return value
    return "".join("<deploy-time value>" if part is None else part for part in split(value))


# Cached: the guard and the readers ask about the same few values (a function's ARN, a
# principal) once per permission, thousands of times in a large app.
@functools.lru_cache(maxsize=8192)
def labelled_parts(value: str) -> tuple[tuple[str, str], ...]:
    """``value`` as ``("text", literal)`` and ``("token", label)`` pieces, in order."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _TOKEN_MARKER.finditer(value):
        if match.start() > position:
            pieces.append(("text", value[position : match.start()]))
        pieces.append(("token", match.group(0)[len("${Token[") : -len("]}")]))
        position = match.end()
    if position < len(value):
        pieces.append(("text", value[position:]))
    return tuple(pieces)


# What each pseudo-parameter can be, as AWS's own patterns write these fields (the region as in
# FunctionName's and SourceArn's patterns). None of them holds a ':' or a '/', so a value built
# with them keeps its ARN fields: a partition never swallows the service, nor an account the
# resource.
PSEUDO_PARAMETER_SHAPES: Mapping[str, str] = {
    "AccountId": r"\d{12}",
    "Region": r"(eusc-)?[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d",
    "Partition": r"aws(-[a-z]+){0,2}",
    "URLSuffix": r"[a-z0-9-]+(\.[a-z0-9-]+)+",
    "StackName": r"[A-Za-z][A-Za-z0-9-]{0,127}",
}
"""The shape of each pseudo-parameter (``AWS::<name>``), as a pattern."""

_NAMES = "|".join(PSEUDO_PARAMETER_SHAPES)
# The three spellings of a pseudo-parameter: the CDK's own token (``AWS.Region.9``), the template
# reader's (``Ref:AWS::Region``, ``Sub:AWS::Region``) and the resolver's bounded marker, whose
# label ends with the name (``Stack.AWS.Region;max=20``).
_PSEUDO_LABEL = re.compile(
    rf"AWS\.(?P<cdk>{_NAMES})\.\d+"
    rf"|(?:Ref|Sub):AWS::(?P<template>{_NAMES})"
    rf"|(?:[^\]\s;]*\.)?AWS\.(?P<bounded>{_NAMES});max=\d+"
)


@functools.lru_cache(maxsize=8192)
def pseudo_parameter(label: str) -> str | None:
    """The pseudo-parameter (``Region``...) a marker's label stands for, if it is one."""
    if label.startswith(_OPAQUE_PREFIX):
        return None
    match = _PSEUDO_LABEL.fullmatch(label)
    if match is None:
        return None
    return match.group("cdk") or match.group("template") or match.group("bounded")


_OPAQUE_PREFIX = "value."
"""Labels of markers that may hold anything start with this (``bounds.OPAQUE_PREFIX``)."""


@functools.cache
def shape(name: str) -> Pattern:
    """The pattern every value of the pseudo-parameter ``name`` matches."""
    return Pattern(PSEUDO_PARAMETER_SHAPES[name])


def shaped_split(value: str) -> tuple[Part, ...]:
    """``value`` split as :func:`split` does, each pseudo-parameter given as its shape.

    For :meth:`Pattern.could_match`: a part known to be a region can only be a region.
    """
    if "${Token[" not in value:
        return (value,)
    parts: list[Part] = []
    for kind, text in labelled_parts(value):
        if kind == "text":
            parts.append(text)
        else:
            name = pseudo_parameter(text)
            parts.append(None if name is None else shape(name))
    return tuple(parts)


@functools.lru_cache(maxsize=8192)
def is_shaped(value: str) -> bool:
    """Whether every deploy-time part of ``value`` is a pseudo-parameter (or there is none)."""
    return all(
        kind == "text" or pseudo_parameter(text) is not None for kind, text in labelled_parts(value)
    )


def example(value: str) -> tuple[str, list[tuple[int, int]]]:
    """``value`` with each pseudo-parameter replaced by a valid value, and where each went.

    Only for values where :func:`is_shaped` holds; the spans are ``(start, end)`` offsets in
    the returned text. Every pseudo-parameter's values share the shape of the example (no ':'
    or '/'), so how the text splits into fields is the same for all of them.
    """
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for kind, text in labelled_parts(value):
        if kind == "token":
            name = pseudo_parameter(text) or "AccountId"
            text = _EXAMPLES[name]
            spans.append((position, position + len(text)))
        pieces.append(text)
        position += len(text)
    return "".join(pieces), spans


_EXAMPLES: Mapping[str, str] = {
    "AccountId": "123456789012",
    "Region": "us-east-1",
    "Partition": "aws",
    "URLSuffix": "amazonaws.com",
    "StackName": "Stack",
}
_UNKNOWN_FIELD = "\x00"


def fields(value: str, separator: str = ":") -> list[str | None]:
    """The ``separator``-separated fields of ``value``, as far as they are known.

    A field holding a pseudo-parameter (partition, region, account) is ``None``. Any other
    deploy-time value may hold separators itself, so the list stops before the field it starts.
    """
    pieces: list[str] = []
    for kind, text in labelled_parts(value):
        if kind == "text":
            pieces.append(text)
        elif pseudo_parameter(text) is not None:
            pieces.append(_UNKNOWN_FIELD)
        else:
            known = "".join(pieces).split(separator)[:-1]  # the field it starts is incomplete
            return [None if _UNKNOWN_FIELD in piece else piece for piece in known]
    known = "".join(pieces).split(separator)
    return [None if _UNKNOWN_FIELD in piece else piece for piece in known]
