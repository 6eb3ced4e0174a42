"""Values known only at deploy time, seen from the pure model.

The CDK encodes a deploy-time value (a ``Ref``, an ``Fn::GetAtt``, a ``CfnParameter``...) in a
Python string as a marker such as ``${Token[TOKEN.42]}``; concatenating it with literal text keeps
the literal parts readable (``${Token[TOKEN.42]}:live``). The template front end encodes
CloudFormation intrinsics with the same marker, so the model and the rules deal with a single
convention and never import the CDK to recognise one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def labelled_parts(value: str) -> list[tuple[str, str]]:
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
    return pieces


# Pseudo parameters hold a single ARN field (no colon): the CDK's own markers for them
# (``${Token[AWS.Region.9]}``) and the template front end's (``${Token[Ref:AWS::Region]}``).
_PSEUDO_MARKER = re.compile(
    r"\$\{Token\[(AWS\.(Partition|Region|AccountId|URLSuffix)\.\d+"
    r"|(Ref|Sub):AWS::(Partition|Region|AccountId|URLSuffix))\]\}"
)
_UNKNOWN_FIELD = "\x00"


def fields(value: str, separator: str = ":") -> list[str | None]:
    """The ``separator``-separated fields of ``value``, as far as they are known.

    A field holding a pseudo parameter (partition, region, account) is ``None``. Any other
    deploy-time value may hold separators itself, so the list stops before the field it starts.
    """
    text = _PSEUDO_MARKER.sub(_UNKNOWN_FIELD, value)
    opaque = _TOKEN_MARKER.search(text)
    cut = opaque is not None
    if opaque is not None:
        text = text[: opaque.start()]
    pieces = text.split(separator)
    if cut:
        pieces = pieces[:-1]  # the field the opaque value starts is incomplete
    return [None if _UNKNOWN_FIELD in piece else piece for piece in pieces]
