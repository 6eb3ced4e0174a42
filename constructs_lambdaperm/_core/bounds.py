"""Deploy-time values with a known longest value, and sizes counted with them.

A bounded marker is a CDK-style token marker that also carries the longest value it can stand
for (``${Token[Stack.Fn.FunctionName;max=64]}``). :func:`sized_json` writes each such marker as
a placeholder of exactly that length, so the UTF-8 byte length of the result is an upper bound
on the size of the text once deployed; :func:`known_size` counts each as empty, a lower bound.

Non-ASCII characters are written as they are (``ensure_ascii=False``) and sizes are counted in
UTF-8 bytes. How Lambda writes them is not documented (facts sheet §6); Java JSON writers such
as Jackson leave non-ASCII characters unescaped by default, and AWS-generated ARNs are ASCII.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import tokens

_SEPARATORS = (",", ":")


_BOUNDED = re.compile(r"\$\{Token\[([^\]\s;]*);max=(\d+)\]\}")


# The CDK's marker for a deploy-time string, bounded or not (as in ``tokens``).
_ANY_MARKER = re.compile(r"\$\{Token\[[^\]\s]*\]\}")


_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")


UNBOUNDED_LENGTH = 1024 + 12
"""Length assumed for a deploy-time value nobody bounded: the longest parameter (SourceArn)
plus the wrapping of a principal. Values this library renders are always bounded."""


ACCOUNT_LABEL = "AWS.AccountId"
"""Labels ending with this name an AWS account ID (rendered as the account's root ARN)."""


def clean_label(label: str) -> str:
    """``label`` as a marker holds it: letters, digits, ``.``, ``_``, ``@`` and ``-``."""
    return _LABEL_UNSAFE.sub("_", label) or "value"


def bounded_marker(label: str, max_length: int) -> str:
    """A deploy-time value described by ``label`` that has at most ``max_length`` characters."""
    return "${Token[" + clean_label(label) + f";max={max(0, max_length)}" + "]}"


def marker_bounds(value: str) -> list[tuple[str, int]]:
    """The label and maximum length of each bounded marker in ``value``."""
    return [(m.group(1), int(m.group(2))) for m in _BOUNDED.finditer(value)]


def whole_marker(value: str) -> tuple[str, int] | None:
    """``(label, maximum)`` when ``value`` is one bounded marker and nothing else."""
    match = _BOUNDED.fullmatch(value)
    return None if match is None else (match.group(1), int(match.group(2)))


def max_length(value: str) -> int:
    """The most characters ``value`` can have once every deploy-time part is known."""
    total = 0
    for part in tokens.split(value):
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
