"""The ``function`` property: a CDK function, version or alias, or a FunctionName string."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda
from constructs import IValidation

from .._core import tokens
from .._core.findings import Finding
from .._core.model import LATEST, arn_field, parse_function_name
from .._rules.documented import qualifier_conflict, resolve_function

FunctionInput: TypeAlias = aws_lambda.IFunction | aws_lambda.IVersion | aws_lambda.IAlias | str
"""A function to grant access to: ``IFunction``, ``IVersion``, ``IAlias`` or a FunctionName."""


@dataclass(frozen=True, slots=True)
class FunctionTarget:
    """What a grant needs of its ``function`` and ``qualifier`` props."""

    function_name: str
    """FunctionName for CloudFormation, ending in ``:<qualifier>`` when qualified."""
    qualifier: str | None
    """The version or alias it carries."""
    findings: Sequence[Finding]
    """A qualifier given twice, differently (LP112)."""
    account: str | None
    """The account the function is in, when it is known (literal or a token)."""
    function: aws_lambda.IFunction | None
    """The function object, when a literal alias name qualifies it (for the dependency)."""


def function_target(function: FunctionInput, qualifier: str | None) -> FunctionTarget:
    """FunctionName for CloudFormation, the qualifier it carries, and any conflict (LP112).

    A version or alias is referenced by its own ARN, as ``Function.add_permission`` does, so
    CloudFormation creates the permission after the version or alias exists.
    """
    if isinstance(function, str):
        name, carried, found = resolve_function(function, qualifier)
        return FunctionTarget(name, carried, found, _account_in(function), None)
    arn, carried, account = _facts(function)
    if carried is None:
        name, carried, found = resolve_function(arn, qualifier)
        by_name = carried if carried is not None and qualifier is not None else None
        return FunctionTarget(
            name, carried, found, account, function if _is_alias_name(by_name) else None
        )
    if qualifier is not None and qualifier != carried and not tokens.is_unresolved(carried):
        return FunctionTarget(
            arn, carried, [qualifier_conflict(arn, carried, qualifier)], account, None
        )
    return FunctionTarget(arn, carried, [], account, None)


def _account_in(function_name: str) -> str | None:
    """The account of a FunctionName that is an ARN or a partial ARN, when it is literal.

    Only of a valid FunctionName (one that does not match is LP101's to report).
    """
    parsed = parse_function_name(function_name)
    if parsed.name is None:
        return None
    function = parsed.function
    if function.startswith("arn:"):
        account = arn_field(function, 4)
    else:
        account = function.split(":", 1)[0] if function.count(":") >= 2 else None
    return account if account is not None and _ACCOUNT.fullmatch(account) else None


_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)

_NUMBER = re.compile(r"[0-9]+")


def _is_alias_name(qualifier: str | None) -> bool:
    # A version is a number; $LATEST is no alias; a deploy-time name cannot be looked up.
    return (
        qualifier is not None
        and qualifier != LATEST
        and not tokens.is_unresolved(qualifier)
        and _NUMBER.fullmatch(qualifier) is None
    )


def _facts(
    function: aws_lambda.IFunction | aws_lambda.IVersion | aws_lambda.IAlias,
) -> tuple[str, str | None, str | None]:
    # Each property read is a round trip to the jsii kernel, and an app grants on the same
    # function many times; what a function object answers never changes, so it is read once.
    try:
        known = _TARGETS.get(function)
    except TypeError:  # not weakly referenceable: read it every time
        return _read_facts(function)
    if known is None:
        known = _TARGETS[function] = _read_facts(function)
    return known


def _read_facts(
    function: aws_lambda.IFunction | aws_lambda.IVersion | aws_lambda.IAlias,
) -> tuple[str, str | None, str | None]:
    arn = function.function_arn
    account = _account_in(arn) if not tokens.is_unresolved(arn) else None
    if account is None:
        # A function of the app: its stack's account (a literal, or the stack's token).
        account = function.env.account
    return arn, _carried_qualifier(function), account


_TARGETS: weakref.WeakKeyDictionary[object, tuple[str, str | None, str | None]] = (
    weakref.WeakKeyDictionary()
)


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


# --- a literal alias name: depend on the alias ----------------------------------------------


def depend_on_alias(
    resources: Sequence[cdk.CfnResource], function: aws_lambda.IFunction, alias: str
) -> None:
    """Make ``resources`` depend on ``function``'s alias ``alias``, if the app defines it.

    The FunctionName ``<function ARN>:live`` references the function, not the alias, so
    CloudFormation may create the permission before the alias and fail. The alias may be
    defined after the grant, so it is looked up when the app synthesizes, in the function's
    stack, once per stack (a ``find_all``) for every grant there.
    """
    resources[0].node.add_validation(_AliasDependency(resources, function, alias))


@jsii.implements(IValidation)
class _AliasDependency:
    """Adds, at synth, the dependency of a grant's resources on the alias its name qualifies."""

    def __init__(
        self,
        resources: Sequence[cdk.CfnResource],
        function: aws_lambda.IFunction,
        alias: str,
    ) -> None:
        self._resources = list(resources)
        self._function = function
        self._alias = alias

    def validate(self) -> list[str]:
        """Add the dependency (after the tree is complete, before templates are written)."""
        cfn_alias = _alias_of(self._function, self._alias)
        if cfn_alias is not None:
            for resource in self._resources:
                resource.add_resource_dependency(cfn_alias, "the FunctionName names this alias")
        return []


class _AliasIndex:
    """A stack's aliases by the function they name, and the lookups that found none."""

    __slots__ = ("by_function", "missed")

    def __init__(self, by_function: dict[str, dict[str, aws_lambda.CfnAlias]]) -> None:
        self.by_function = by_function
        self.missed: set[tuple[str, str]] = set()

    def find(self, keys: tuple[str, str], alias: str) -> aws_lambda.CfnAlias | None:
        for key in keys:
            found = self.by_function.get(key, {}).get(alias)
            if found is not None:
                return found
        return None


_INDEXES: weakref.WeakKeyDictionary[cdk.Stack, _AliasIndex] = weakref.WeakKeyDictionary()


def _alias_of(function: aws_lambda.IFunction, alias: str) -> aws_lambda.CfnAlias | None:
    """The ``CfnAlias`` named ``alias`` of ``function``, in the function's stack."""
    stack = cdk.Stack.of(function)
    keys = (function.function_name, function.function_arn)
    index = _INDEXES.get(stack)
    found = None if index is None else index.find(keys, alias)
    if found is None and (index is None or (keys[0], alias) not in index.missed):
        # Built on first use, and once more when an alias is missing (it may be newer).
        index = _INDEXES[stack] = _index(stack)
        found = index.find(keys, alias)
        if found is None:
            index.missed.add((keys[0], alias))
    return found


def _index(stack: cdk.Stack) -> _AliasIndex:
    by_function: dict[str, dict[str, aws_lambda.CfnAlias]] = {}
    for construct in stack.node.find_all():
        if isinstance(construct, aws_lambda.CfnAlias):
            by_function.setdefault(construct.function_name, {})[construct.name] = construct
    return _AliasIndex(by_function)
