"""Assertions for your own tests: who can invoke a function, according to its policy.

Built on :func:`constructs_lambdaperm.resource_policies` and its evaluator, so the answer is
what IAM would decide from the resource-based policy Lambda will hold::

    from constructs_lambdaperm.testing import assert_can_invoke, assert_cannot_invoke

    def test_only_our_bucket_invokes(app, fn):
        uploads = "arn:aws:s3:::uploads"
        assert_can_invoke(app, function=fn, principal="s3.amazonaws.com",
                          source_arn=uploads, source_account="111111111111")
        assert_cannot_invoke(app, function=fn, principal="s3.amazonaws.com",
                             source_arn=uploads, source_account="222222222222")

A failure lists every statement of the policy with the reason it does or does not apply. When
the answer depends on a value known only at deploy time both assertions fail and say so: they
never pass by default. Only the function's policy is considered; in the function's own account
an identity-based policy may allow a call too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._core import tokens
from ._core.bounds import clean_label, marker_bounds, readable
from ._core.model import INVOKE, INVOKE_URL
from ._policy.evaluate import Evaluation
from ._policy.policies import ResourcePolicy
from ._sources import collect

__all__ = ["assert_can_invoke", "assert_cannot_invoke", "find_policy"]

Source = Any
"""An App, Stage or Stack, a template dict, or policies from ``resource_policies``."""


def assert_can_invoke(
    source: Source,
    *,
    principal: str,
    function: Any = None,
    qualifier: str | None = None,
    action: str | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
    principal_org_id: str | None = None,
    via_function_url: bool = False,
    function_url_auth_type: str | None = None,
    event_source_token: str | None = None,
) -> None:
    """Fail unless the function's policy lets ``principal`` invoke it in this context.

    :param source: a CDK ``App``, ``Stage`` or ``Stack``, a template dict, or the list
        :func:`~constructs_lambdaperm.resource_policies` returned.
    :param principal: who calls: a 12-digit account ID, the ARN of an IAM role, user or role
        session, a service principal such as ``s3.amazonaws.com``, or ``"anonymous"``.
    :param function: the function: an ``IFunction``, ``IAlias`` or ``IVersion`` of the app, or
        a string (its name, ARN, or logical ID). Default: - the only function with a policy.
    :param qualifier: the version or alias called. Default: - the one ``function`` names, else
        the unqualified function.
    :param action: the action. Default: - ``lambda:InvokeFunction``, and also
        ``lambda:InvokeFunctionUrl`` when ``via_function_url`` (a function URL needs both).
    :param source_arn: ``aws:SourceArn``: the resource a service calls for. Default: - absent.
    :param source_account: ``aws:SourceAccount``: the account owning it. Default: - absent.
    :param principal_org_id: ``aws:PrincipalOrgID``: the caller's organization.
        Default: - absent.
    :param via_function_url: the call comes through the function URL. Default: - ``False``.
    :param function_url_auth_type: the URL's auth type, ``AWS_IAM`` or ``NONE``.
        Default: - absent.
    :param event_source_token: ``lambda:EventSourceToken`` presented. Default: - absent.
    """
    _assert(True, **locals())


def assert_cannot_invoke(
    source: Source,
    *,
    principal: str,
    function: Any = None,
    qualifier: str | None = None,
    action: str | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
    principal_org_id: str | None = None,
    via_function_url: bool = False,
    function_url_auth_type: str | None = None,
    event_source_token: str | None = None,
) -> None:
    """Fail if the function's policy lets ``principal`` invoke it in this context.

    Takes the same parameters as :func:`assert_can_invoke`. A function that has no policy
    cannot be invoked through one, so it passes; a function the source does not know fails.
    """
    _assert(False, **locals())


def find_policy(
    source: Source, function: Any = None, qualifier: str | None = None
) -> ResourcePolicy | None:
    """The policy of ``function`` (and ``qualifier``) in ``source``; ``None`` when it has none.

    ``function`` and ``qualifier`` are as for :func:`assert_can_invoke`.
    Default: - the only function with a policy.
    :raises AssertionError: when no function of ``source`` matches, or several do.
    """
    policies, functions = _policies(source)
    return _find(policies, functions, function, qualifier)


# --- finding the policy ----------------------------------------------------------------------


def _policies(source: Source) -> tuple[list[ResourcePolicy], Mapping[str, tuple[str, str]]]:
    if isinstance(source, Sequence) and all(isinstance(p, ResourcePolicy) for p in source):
        known = {
            p.function: (p.function_stack, p.function_logical_id)
            for p in source
            if p.function_stack is not None and p.function_logical_id is not None
        }
        return list(source), known
    return collect(source)


def _find(
    policies: Sequence[ResourcePolicy],
    functions: Mapping[str, tuple[str, str]],
    function: Any,
    qualifier: str | None,
) -> ResourcePolicy | None:
    if function is None:
        arns = sorted({p.function for p in policies})
        if len(arns) != 1:
            raise AssertionError(
                "pass function=...: the source has policies for "
                f"{len(arns)} functions: {_names(arns)}"
            )
        matches = [p for p in policies if p.function == arns[0]]
        return _pick(matches, qualifier)
    if isinstance(function, str):
        return _find_by_string(policies, functions, function, qualifier)
    return _find_by_construct(policies, functions, function, qualifier)


def _pick(matches: Sequence[ResourcePolicy], qualifier: str | None) -> ResourcePolicy | None:
    for policy in matches:
        if policy.qualifier == qualifier or (
            qualifier is not None
            and policy.qualifier is not None
            and _same_marker(policy.qualifier, qualifier)
        ):
            return policy
    return None


def _same_marker(value: str, wanted: str) -> bool:
    bounds = marker_bounds(value)
    return len(bounds) == 1 and bounds[0][0] == wanted


def _name_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _find_by_string(
    policies: Sequence[ResourcePolicy],
    functions: Mapping[str, tuple[str, str]],
    function: str,
    qualifier: str | None,
) -> ResourcePolicy | None:
    wanted, suffix = function, None
    parts = function.split(":")
    if function.startswith("arn:") and len(parts) == 8:
        wanted, suffix = ":".join(parts[:7]), parts[7]
    elif not function.startswith("arn:") and len(parts) == 2:
        wanted, suffix = parts
    if suffix is not None and qualifier is not None and suffix != qualifier:
        raise AssertionError(f"function {function!r} names qualifier {suffix!r}, not {qualifier!r}")
    qualifier = qualifier or suffix

    def matches(arn: str, defined_in: tuple[str | None, str | None] | None) -> bool:
        return wanted in (arn, _name_of(arn)) or (
            defined_in is not None and wanted == defined_in[1]
        )

    found = [p for p in policies if matches(p.function, (p.function_stack, p.function_logical_id))]
    if not found and not any(matches(arn, where) for arn, where in functions.items()):
        raise AssertionError(
            f"no function {function!r} in the source (by name, ARN or logical ID); the "
            f"functions with a policy are: {_names(sorted({p.function for p in policies}))}"
        )
    arns = {p.function for p in found}
    if len(arns) > 1:
        raise AssertionError(f"{function!r} matches several functions: {_names(sorted(arns))}")
    return _pick(found, qualifier)


def _find_by_construct(
    policies: Sequence[ResourcePolicy],
    functions: Mapping[str, tuple[str, str]],
    function: Any,
    qualifier: str | None,
) -> ResourcePolicy | None:
    import aws_cdk as cdk

    alias_name = getattr(function, "alias_name", None)
    if isinstance(alias_name, str):
        return _find_by_construct(policies, functions, function.version.lambda_, alias_name)
    version = getattr(function, "version", None)
    if isinstance(version, str) and hasattr(function, "lambda_"):
        if tokens.is_unresolved(version):
            child = function.node.default_child
            stack = cdk.Stack.of(child)
            logical_id = stack.resolve(child.logical_id)
            version = clean_label(f"{_key(stack)}.{logical_id}.Version")
        return _find_by_construct(policies, functions, function.lambda_, version)
    child = function.node.default_child
    if child is None:  # imported: known by its ARN
        return _find_by_string(policies, functions, function.function_arn, qualifier)
    stack = cdk.Stack.of(child)
    where = (_key(stack), stack.resolve(child.logical_id))
    found = [p for p in policies if (p.function_stack, p.function_logical_id) == where]
    return _pick(found, qualifier)


def _key(stack: Any) -> str:
    return str(stack.node.path or stack.stack_name)


def _names(arns: Sequence[str]) -> str:
    return ", ".join(readable(arn) for arn in arns) or "(none)"


# --- asserting -------------------------------------------------------------------------------


def _assert(expected: bool, **arguments: Any) -> None:
    source = arguments.pop("source")
    function = arguments.pop("function")
    qualifier = arguments.pop("qualifier")
    action = arguments.pop("action")
    policies, functions = _policies(source)
    policy = _find(policies, functions, function, qualifier)
    actions = (
        [action] if action else [INVOKE] + ([INVOKE_URL] if arguments["via_function_url"] else [])
    )
    request = _describe_request(actions, arguments)
    if policy is None:
        if expected:
            raise AssertionError(
                f"expected {request} to be allowed, but the function has no resource-based "
                "policy for that qualifier (no permission targets it)"
            )
        return
    evaluations = [(a, policy.evaluate(a, **arguments)) for a in actions]
    undecided = [a for a, e in evaluations if e.allowed is None]
    if undecided:
        raise AssertionError(
            f"cannot tell at synth whether {request} is allowed: it depends on values known "
            f"only at deploy time.\n{_explain(policy, evaluations)}"
        )
    allowed = all(e.allowed for _, e in evaluations)
    if allowed != expected:
        verdict = "allowed" if expected else "denied"
        raise AssertionError(
            f"expected {request} to be {verdict} by the policy of "
            f"{readable(policy.resource)}, but it is not.\n"
            f"{_explain(policy, evaluations)}"
        )


def _describe_request(actions: Sequence[str], arguments: Mapping[str, Any]) -> str:
    context = ", ".join(
        f"{key}={value!r}"
        for key, value in arguments.items()
        if key != "principal" and value not in (None, False)
    )
    return f"{' + '.join(actions)} by {arguments['principal']}" + (
        f" ({context})" if context else ""
    )


def _explain(policy: ResourcePolicy, evaluations: Sequence[tuple[str, Evaluation]]) -> str:
    lines = [f"Statements considered ({len(policy.statements)}):"]
    for index, statement in enumerate(policy.statements):
        lines.append(f"  [{index}] {statement.location}")
        lines.append("      " + json.dumps(statement.statement, separators=(",", ":")))
        for action, evaluation in evaluations:
            verdict = evaluation.verdicts[index]
            applies = {True: "applies", False: "does not apply", None: "undecided"}[verdict.applies]
            lines.append(f"      {action}: {applies}: {verdict.reason}")
    return "\n".join(lines)
