"""Which function, version or alias a FunctionName designates, wherever the function is defined.

A function is identified by the text of its unqualified ARN: a ``Ref`` or ``Fn::GetAtt`` of an
``AWS::Lambda::Function``, an ``Fn::ImportValue`` of an export of its ARN and (when its
``FunctionName`` and its stack's environment are literal) its ARN written out all give the same
text, so their statements land in one policy. A FunctionName whose function cannot be told
before deploy is one opaque marker of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._core import bounds, tokens
from .._core.model import partition_of
from .._rules.fields import check_field
from . import stacks
from .intrinsics import Values
from .resources import FUNCTION_NAME_PARAMETER_MAX, FUNCTION_TYPE
from .stacks import StackTemplate, label


@dataclass(frozen=True, slots=True)
class Target:
    """The function and qualifier a FunctionName designates."""

    arn: str
    """The function's unqualified ARN, deploy-time parts as bounded markers."""
    qualifier: str | None
    """The version or alias, ``None`` for the unqualified function."""
    defined_in: tuple[str, str] | None
    """``(stack key, logical ID)`` of the ``AWS::Lambda::Function``, when it is in the app."""

    @property
    def resource(self) -> str:
        """The ARN in each statement's ``Resource``: the function's, with the qualifier."""
        return self.arn if self.qualifier is None else f"{self.arn}:{self.qualifier}"


class Functions:
    """The functions of the stacks of one app, and the target of each FunctionName."""

    def __init__(self, stack_templates: Sequence[StackTemplate], values: Values) -> None:
        self._stacks = stack_templates
        self._values = values
        self._targets: dict[tuple[str, str], Target] = {}
        self._definitions: dict[str, tuple[str, str]] | None = None

    def target(self, value: Any, stack: StackTemplate) -> Target:
        """The function and qualifier a FunctionName value of ``stack`` designates."""
        key = (stack.key, json.dumps(value, sort_keys=True, default=str))
        found = self._targets.get(key)
        if found is None:
            found = self._target(value, stack)
            self._targets[key] = found
        return found

    def _target(self, value: Any, stack: StackTemplate) -> Target:
        text = self._values.text(value, stack, FUNCTION_NAME_PARAMETER_MAX) or ""
        if not tokens.is_unresolved(text) and check_field("FunctionName", text) is not None:
            return _opaque_target(text, stack)  # invalid: Lambda refuses it (LP101)
        parts = text.split(":")
        if any(bounds.OPAQUE_PREFIX in part for part in parts):
            return _opaque_target(text, stack)
        partition, region, account = None, None, None
        if parts[0] == "arn" and len(parts) in (7, 8) and parts[5] == "function":
            partition, region, account, name, rest = (
                parts[1],
                parts[3],
                parts[4],
                parts[6],
                parts[7:],
            )
        elif len(parts) in (3, 4) and parts[1] == "function":
            account, name, rest = parts[0], parts[2], parts[3:]
        elif len(parts) in (4, 5) and parts[2] == "function":
            region, account, name, rest = parts[0], parts[1], parts[3], parts[4:]
        elif len(parts) in (1, 2):
            name, rest = parts[0], parts[1:]
        else:
            return _opaque_target(text, stack)
        if region is None:
            region = stacks.region(stack)
        if partition is None:
            partition = partition_of(region) or stacks.partition(stack)
        if account is None:
            account = stacks.account(stack)
        arn = f"arn:{partition}:lambda:{region}:{account}:function:{name}"
        qualifier = rest[0] if rest else None
        return Target(arn=arn, qualifier=qualifier, defined_in=self.definitions().get(arn))

    def definitions(self) -> Mapping[str, tuple[str, str]]:
        """The ARN of every ``AWS::Lambda::Function`` of the stacks, with where it is defined."""
        if self._definitions is None:
            self._definitions = {}
            references = self._values.references
            for stack in self._stacks:
                for logical_id, resource in stack.resources.items():
                    if isinstance(resource, Mapping) and resource.get("Type") == FUNCTION_TYPE:
                        arn = references.function_arn_of(stack, logical_id)
                        self._definitions.setdefault(arn, (stack.key, logical_id))
        return self._definitions


def _opaque_target(text: str, stack: StackTemplate) -> Target:
    if not tokens.is_unresolved(text):
        return Target(arn=text, qualifier=None, defined_in=None)
    # A name, partial ARN or ARN, maybe qualified: the Resource is at most the longest ARN.
    prefix = (
        len("arn::lambda::")
        + stacks.PARTITION_MAX_LENGTH
        + stacks.REGION_MAX_LENGTH
        + stacks.ACCOUNT_LENGTH
    )
    bound = prefix + len(":function:") + FUNCTION_NAME_PARAMETER_MAX
    whole = bounds.whole_marker(text)
    if whole is not None:
        name = whole[0]
    else:
        # Identified by the whole text, not by its first deploy-time part: ``${Prefix}-fn-1``
        # and ``${Prefix}-fn-2`` are two functions. The readable part is for messages; the
        # digest keeps texts that read alike apart.
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        readable = bounds.readable(text).replace("{", "").replace("}", "")
        scope = "" if bounds.marker_bounds(text) else stack.key  # bounded labels hold theirs
        name = bounds.clean_label(label(scope, f"{readable}@{digest}"))
    return Target(arn=bounds.bounded_marker(name, bound), qualifier=None, defined_in=None)
