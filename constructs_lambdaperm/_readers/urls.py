"""The ``AWS::Lambda::Url`` resources of some stacks: which function and qualifier each is for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._core import tokens
from .references import Resolver
from .stacks import StackTemplate

URL_TYPE = "AWS::Lambda::Url"


@dataclass(frozen=True, slots=True)
class FunctionUrl:
    """One function URL, read into what the rules need of it."""

    logical_id: str
    """The resource's logical ID."""
    function: str
    """The function's unqualified ARN, as the policies name it (deploy-time parts as markers)."""
    qualifier: str | None
    """The alias the URL is on; ``None`` for the unqualified function."""
    auth_type: str | None
    """``AWS_IAM`` or ``NONE``; ``None`` when known only at deploy time."""


def function_urls(stack: StackTemplate, resolver: Resolver) -> Iterator[FunctionUrl]:
    """Every ``AWS::Lambda::Url`` of ``stack``, in logical-ID order."""
    for logical_id, resource in sorted(stack.resources.items()):
        if not isinstance(resource, Mapping) or resource.get("Type") != URL_TYPE:
            continue
        properties = resource.get("Properties")
        properties = properties if isinstance(properties, Mapping) else {}
        target = resolver.function_target(properties.get("TargetFunctionArn"), stack)
        yield FunctionUrl(
            logical_id=logical_id,
            function=target.arn,
            qualifier=_literal(properties.get("Qualifier")) or target.qualifier,
            auth_type=_literal(properties.get("AuthType")),
        )


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and not tokens.is_unresolved(value) else None
