"""CloudFormation YAML: a template read into the dict a JSON template gives.

PyYAML's ``SafeLoader`` with CloudFormation's short-form tags: ``!Ref X`` is ``{"Ref": "X"}``,
``!Condition X`` is ``{"Condition": "X"}``, ``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}``
(split at the first dot, so ``!GetAtt Nested.Outputs.Arn`` keeps the output's dotted name) and
every other ``!Name value`` is ``{"Fn::Name": value}`` (``!Sub``, ``!If``, ``!Join``,
``!Select``, ``!Split``, ``!ImportValue``, ``!FindInMap``, ``!Base64``, ``!Cidr``, ``!GetAZs``,
``!Equals``, ``!And``, ``!Or``, ``!Not``, ``!Transform``...), whatever its node (scalar, list or
mapping).

Scalars keep the text CloudFormation sees where YAML 1.1 would reinterpret it: dates stay
strings (``AWSTemplateFormatVersion: 2010-09-09``), and so do numbers that are not written
plainly (``012345678901`` is an account ID, not an octal number; ``1:30`` is not 90). Mapping
keys are their text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_ALIASES = 1000
"""More aliases than this in one document is refused: each may copy a whole subtree, and a few
dozen nested ones are enough to exhaust memory ("billion laughs")."""


class YamlTemplateError(ValueError):
    """The text is not a YAML document this reader accepts (the message says where)."""


class _Cfn(yaml.SafeLoader):
    """CloudFormation's reading of mapping keys, on either of PyYAML's parsers."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[str, Any] = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                mark = key_node.start_mark
                raise YamlTemplateError(
                    f"a mapping key that is not a plain value (line {mark.line + 1})"
                )
            mapping[str(key_node.value)] = self.construct_object(value_node, deep=deep)
        return mapping


class _Loader(_Cfn):
    """The pure-Python parser, counting aliases: for documents that may hold some."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > _MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlTemplateError(
                    f"more than {_MAX_ALIASES} YAML aliases (line {mark.line + 1})"
                )
        return super().compose_node(parent, index)


_FastLoader: Any = _Loader
if getattr(yaml, "__with_libyaml__", False):
    # libyaml's parser, five times faster, for the documents that hold no anchor (so no alias
    # to count): most templates.
    class _CLoader(yaml.CSafeLoader):
        construct_mapping = _Cfn.construct_mapping

    _FastLoader = _CLoader


def _int(loader: yaml.SafeLoader, node: ScalarNode) -> int | str:
    text = str(node.value)
    return int(text) if _PLAIN_INT.fullmatch(text) else text


def _float(loader: yaml.SafeLoader, node: ScalarNode) -> float | str:
    text = str(node.value)
    return float(text) if _PLAIN_FLOAT.fullmatch(text) else text


def _text(loader: yaml.SafeLoader, node: ScalarNode) -> str:
    return str(node.value)


def _short_form(loader: yaml.SafeLoader, suffix: str, node: Node) -> dict[str, Any]:
    """``!Name value``: the intrinsic function, or ``Ref`` / ``Condition``, in long form."""
    value: Any
    if isinstance(node, ScalarNode):
        value = str(node.value)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - the composer makes only these three kinds
        value = None
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        logical_id, dot, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute] if dot else value}
    return {f"Fn::{suffix}": value}


for _loader in (_Loader, _FastLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_constructor("tag:yaml.org,2002:int", _int)
    _loader.add_constructor("tag:yaml.org,2002:float", _float)
    _loader.add_constructor(_TIMESTAMP, _text)
    _loader.add_multi_constructor("!", _short_form)


def load_yaml(text: str) -> Any:
    """The one YAML document in ``text``, short-form tags in long form.

    :raises YamlTemplateError: when ``text`` is not valid YAML, holds several documents, or is
        built to exhaust memory; the message gives the line and column.
    """
    loader = _Loader(text) if "&" in text else _FastLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise YamlTemplateError(f"not valid YAML: {problem}{where}") from None
    except yaml.YAMLError as error:
        raise YamlTemplateError(f"not valid YAML: {error}") from None
    finally:
        loader.dispose()
