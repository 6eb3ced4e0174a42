"""The ``function`` property: a CDK function, version or alias, or a FunctionName string."""

from __future__ import annotations

import weakref
from typing import TypeAlias

from aws_cdk import aws_lambda

from .._core import tokens
from .._core.findings import Finding
from .._rules.documented import qualifier_conflict, resolve_function

FunctionInput: TypeAlias = aws_lambda.IFunction | aws_lambda.IVersion | aws_lambda.IAlias | str
"""A function to grant access to: ``IFunction``, ``IVersion``, ``IAlias`` or a FunctionName."""


def function_target(
    function: FunctionInput, qualifier: str | None
) -> tuple[str, str | None, list[Finding]]:
    """FunctionName for CloudFormation, the qualifier it carries, and any conflict (LP112).

    A version or alias is referenced by its own ARN, as ``Function.add_permission`` does, so
    CloudFormation creates the permission after the version or alias exists.
    """
    if isinstance(function, str):
        return resolve_function(function, qualifier)
    arn, carried = _arn_and_qualifier(function)
    if carried is None:
        return resolve_function(arn, qualifier)
    if qualifier is not None and qualifier != carried and not tokens.is_unresolved(carried):
        return arn, carried, [qualifier_conflict(arn, carried, qualifier)]
    return arn, carried, []


def _arn_and_qualifier(
    function: aws_lambda.IFunction | aws_lambda.IVersion | aws_lambda.IAlias,
) -> tuple[str, str | None]:
    # Each property read is a round trip to the jsii kernel, and an app grants on the same
    # function many times; what a function object answers never changes, so it is read once.
    try:
        known = _TARGETS.get(function)
    except TypeError:  # not weakly referenceable: read it every time
        return function.function_arn, _carried_qualifier(function)
    if known is None:
        known = _TARGETS[function] = (function.function_arn, _carried_qualifier(function))
    return known


_TARGETS: weakref.WeakKeyDictionary[object, tuple[str, str | None]] = weakref.WeakKeyDictionary()


def _carried_qualifier(function: FunctionInput) -> str | None:
    # jsii interfaces are not runtime-checkable protocols, so aliases and versions (constructed
    # or imported) are told apart by the attributes only they have.
    alias_name = getattr(function, "alias_name", None)
    if isinstance(alias_name, str):
        return alias_name
    version = getattr(function, "version", None)
    if isinstance(version, str) and hasattr(function, "lambda_"):
        return version
    return None
