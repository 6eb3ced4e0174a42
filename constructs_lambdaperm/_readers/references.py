"""What a CloudFormation value refers to, and how long it can be once deployed.

Pure Python. A property value (a string, or an intrinsic function such as ``Fn::GetAtt``) is
turned into text in which every part known only at deploy time is a bounded marker
(``_core.bounds``): its label says what it stands for, its maximum the longest value it can
take. The bounds come from the kind of reference: a function's generated name has at most 64
characters, an account ID 12, an S3 bucket name 63, a ``CfnParameter`` its ``MaxLength``...,
and otherwise the AddPermission limit of the parameter that holds it (SourceArn: 1024).

Labels are scoped by stack and logical ID, so two references to the same resource give the same
text. Markers whose label starts with ``value.`` may hold anything, colons included; the others
stand for one name, ID or ARN component and hold no colon.

``Resolver`` is the one entry point, over four parts that each do one thing:
``stacks`` (a stack's environment), ``intrinsics`` (intrinsic functions), ``resources`` (what a
reference to a resource or parameter stands for) and ``targets`` (which function a FunctionName
designates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._core import bounds
from .._core.api_model import field_constraints
from . import stacks
from .intrinsics import Values
from .resources import KINDS
from .stacks import StackTemplate
from .targets import Functions, Target

__all__ = ["KINDS", "Resolver", "StackTemplate", "Target"]


class Resolver:
    """Turns the values of the stacks of one app (or one template) into bounded text."""

    def __init__(self, stack_templates: Sequence[StackTemplate]) -> None:
        self._values = Values(stack_templates)
        self._functions = Functions(stack_templates, self._values)

    def text(self, value: Any, stack: StackTemplate, parameter: str) -> str | None:
        """``value`` of the AddPermission ``parameter`` as text; ``None`` when it is absent."""
        limit = field_constraints()[parameter].max_length or bounds.UNBOUNDED_LENGTH
        text = self._values.text(value, stack, limit)
        return None if text is None else bounds.cap(text, limit)

    def bounded_text(self, value: Any, stack: StackTemplate, limit: int) -> str | None:
        """``value`` as text of at most ``limit`` characters; ``None`` when it is absent."""
        text = self._values.text(value, stack, limit)
        return None if text is None else bounds.cap(text, limit)

    def function_target(self, value: Any, stack: StackTemplate) -> Target:
        """The function and qualifier a FunctionName value designates."""
        return self._functions.target(value, stack)

    def definitions(self) -> Mapping[str, tuple[str, str]]:
        """The ARN of every ``AWS::Lambda::Function`` of the stacks, with where it is defined."""
        return self._functions.definitions()

    @staticmethod
    def stack_name(stack: StackTemplate) -> str:
        """The stack's name, or a marker for it."""
        return stacks.stack_name(stack)

    @staticmethod
    def partition(stack: StackTemplate) -> str:
        """The stack's partition, or a marker for it."""
        return stacks.partition(stack)
