"""Where each resource is written in a template file: the line of its logical ID.

The readers turn a file into the dict a JSON template gives, without line marks (PyYAML's
constructor and the ``json`` module drop them). Findings point at a line anyway: this module
scans the text once for the keys of its ``Resources`` section. JSON is tokenized (strings and
brackets, so nesting is exact); YAML in block style is read by indentation: the keys indented
as the first one under a top-level ``Resources:``. A resource written in YAML flow style
(``Resources: {A: ...}``) gets no line.
"""

from __future__ import annotations

import re

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_JSON_COLON = re.compile(r"\s*:")
_YAML_RESOURCES = re.compile(r"""^(?:Resources|"Resources"|'Resources')[ \t]*:[ \t]*(?:#.*)?$""")
_YAML_KEY = re.compile(
    r"""(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^']|'')*)'|(?P<plain>[^\s:#'"{\[][^:#]*?))"""
    r"""[ \t]*:(?:[ \t]|$)"""
)


def resource_lines(text: str) -> dict[str, int]:
    """The line (from 1) where each resource's logical ID is written, by logical ID."""
    if text.lstrip().startswith("{"):
        return _json_lines(text)
    return _yaml_lines(text)


def _json_lines(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    depth = 0
    resources_depth: int | None = None
    expecting_resources = False
    line, counted = 1, 0  # lines counted up to the offset ``counted``: one pass over the text
    for match in _JSON_TOKEN.finditer(text):
        token = match.group(0)
        if token in "{[":
            depth += 1
            if expecting_resources and token == "{":
                resources_depth = depth
            expecting_resources = False
            continue
        if token in "}]":
            if depth == resources_depth:
                break
            depth -= 1
            continue
        if not _JSON_COLON.match(text, match.end()):
            continue  # a value, not a key
        key = token[1:-1]
        if depth == 1 and key == "Resources":
            expecting_resources = True
        elif resources_depth is not None and depth == resources_depth and key not in found:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            found[key] = line
    return found


def _yaml_lines(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _YAML_RESOURCES.match(line)), None)
    if start is None:
        return found
    indent: int | None = None
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        width = len(line) - len(stripped)
        if indent is None:
            if width == 0:
                return found
            indent = width
        if width < indent:
            break
        if width > indent:
            continue
        match = _YAML_KEY.match(stripped)
        if match is None:
            continue
        if match.group("dq") is not None:
            key = match.group("dq")
        elif match.group("sq") is not None:
            key = match.group("sq").replace("''", "'")
        else:
            key = match.group("plain")
        found.setdefault(key, number)
    return found
