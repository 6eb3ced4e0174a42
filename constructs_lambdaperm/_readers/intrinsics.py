"""CloudFormation values as bounded text: each intrinsic function evaluated as far as it is known.

A literal stays itself; ``Fn::Join``, ``Fn::Sub``, ``Fn::Select`` and ``Fn::If`` keep their
literal parts; pseudo-parameters become the stack's environment (``stacks``); ``Ref`` and
``Fn::GetAtt`` of a resource become what ``resources.References`` knows of its shape; an
``Fn::ImportValue`` the exported value of the one stack that may share this one's environment.
Whatever is left is a bounded marker (``_core.bounds``) labelled by stack and logical ID.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._core import bounds, tokens
from . import stacks
from .resources import References
from .stacks import StackTemplate, digest, label, opaque
from .template import DYNAMIC_REFERENCE, dynamic_reference_label

_MAX_DEPTH = 24
"""Nesting deeper than this is not followed (a template cannot be that deep and valid)."""

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Values:
    """Turns the values of the stacks of one app (or one template) into bounded text."""

    def __init__(self, stack_templates: Sequence[StackTemplate]) -> None:
        self.references = References(stack_templates, self)
        """What the stacks' resources and parameters stand for."""
        # Export names are unique per account and region only: an app with one Stage per
        # account may export the same name from each.
        self._exports: dict[str, list[tuple[StackTemplate, Any]]] = {}
        for stack in stack_templates:
            for name, value in stack.exports.items():
                self._exports.setdefault(name, []).append((stack, value))

    def text(self, value: Any, stack: StackTemplate, limit: int, depth: int = 0) -> str | None:
        """``value`` of ``stack`` as text of at most ``limit`` characters; ``None``: absent."""
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return _literal(value, stack, limit)
        if isinstance(value, int | float):
            return str(value)
        if depth > _MAX_DEPTH or not isinstance(value, Mapping) or len(value) != 1:
            return opaque(label(stack.key, digest(value)), limit)
        ((function, argument),) = value.items()
        handler = self._INTRINSICS.get(function)
        if handler is None:
            return _unevaluated(stack, str(function), argument, limit)
        return handler(self, argument, stack, limit, depth + 1)

    def _ref(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str | None:
        if not isinstance(argument, str):
            return _unevaluated(stack, "Ref", argument, limit)
        if argument.startswith("AWS::"):
            return _pseudo(argument, stack, limit)
        return self.references.attribute(argument, "Ref", stack, limit, depth)

    def _get_att(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, str) and "." in argument:
            logical_id, attribute = argument.split(".", 1)
        elif (
            isinstance(argument, list)
            and len(argument) == 2
            and all(isinstance(a, str) for a in argument)
        ):
            logical_id, attribute = argument
        else:
            return _unevaluated(stack, "Fn::GetAtt", argument, limit)
        return self.references.attribute(logical_id, attribute, stack, limit, depth) or ""

    def _join(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[0], str)
            and isinstance(argument[1], list)
        ):
            separator: str = argument[0]
            items: list[Any] = argument[1]
            return separator.join(self.text(item, stack, limit, depth) or "" for item in items)
        return _unevaluated(stack, "Fn::Join", argument, limit)

    def _sub(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return _unevaluated(stack, "Fn::Sub", argument, limit)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.text(variables[name], stack, limit, depth) or ""
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(name, stack, limit, depth)
            return self._ref(name, stack, limit, depth) or ""

        return _literal(_SUB_VARIABLE.sub(replace, argument), stack, limit)

    def _import(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        name = self.text(argument, stack, limit, depth)
        exporters = [
            (exporter, value)
            for exporter, value in self._exports.get(name or "", [])
            if stacks.may_share_environment(exporter, stack)
        ]
        if len(exporters) == 1:
            exporter, value = exporters[0]
            return self.text(value, exporter, limit, depth) or ""
        named = name if name is not None and not tokens.is_unresolved(name) else digest(argument)
        if exporters:  # several environments may export it: this stack's is its own
            named = label(stack.key, named)
        return opaque(label("ImportValue", named), limit)

    def _select(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, list) and len(argument) == 2:
            index, items = argument
            if isinstance(items, Mapping) and set(items) == {"Fn::Split"}:
                split = items["Fn::Split"]
                if isinstance(split, list) and len(split) == 2 and isinstance(split[0], str):
                    source = self.text(split[1], stack, limit, depth)
                    if source is not None and not tokens.is_unresolved(source):
                        items = source.split(split[0])
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return self.text(items[int(index)], stack, limit, depth) or ""
        return _unevaluated(stack, "Fn::Select", argument, limit)

    def _if(self, argument: Any, stack: StackTemplate, limit: int, depth: int) -> str:
        if isinstance(argument, list) and len(argument) == 3:
            branches = [self.text(branch, stack, limit, depth) or "" for branch in argument[1:]]
            if branches[0] == branches[1]:
                return branches[0]
            longest = max(bounds.max_length(branch) for branch in branches)
            return _unevaluated(stack, "Fn::If", argument, longest)
        return _unevaluated(stack, "Fn::If", argument, limit)

    _INTRINSICS: Mapping[str, Callable[[Values, Any, StackTemplate, int, int], str | None]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Join": _join,
        "Fn::Sub": _sub,
        "Fn::ImportValue": _import,
        "Fn::Select": _select,
        "Fn::If": _if,
    }


def _unevaluated(stack: StackTemplate, function: str, argument: Any, limit: int) -> str:
    """An intrinsic function not evaluated here: a marker for this very expression."""
    return opaque(label(stack.key, function.replace("::", "."), digest(argument)), limit)


def _literal(text: str, stack: StackTemplate, limit: int) -> str:
    """``text``, each dynamic reference (``{{resolve:ssm:...}}``) in it a deploy-time value.

    The parameter or secret may hold anything; the same reference in one stack is one value.
    """
    if "{{resolve:" not in text:
        return text
    return DYNAMIC_REFERENCE.sub(
        lambda m: opaque(label(stack.key, dynamic_reference_label(m)), limit), text
    )


def _pseudo(name: str, stack: StackTemplate, limit: int) -> str | None:
    """A pseudo-parameter of ``stack``: its environment, or a marker of the same shape."""
    known: Mapping[str, Callable[[StackTemplate], str]] = {
        "AWS::AccountId": stacks.account,
        "AWS::Region": stacks.region,
        "AWS::Partition": stacks.partition,
        "AWS::StackName": stacks.stack_name,
        "AWS::URLSuffix": stacks.url_suffix,
    }
    if name in known:
        return known[name](stack)
    if name == "AWS::NoValue":
        return None
    return opaque(label(stack.key, name.replace("::", ".")), limit)
