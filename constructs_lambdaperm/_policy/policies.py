"""The policies Lambda will hold: every permission of some stacks, grouped per function.

Each ``AWS::Lambda::Permission`` of the stacks is read into the model
(``_readers.template.permission_from_properties``), its values bounded by the references they
hold (``_readers.references``), rendered as Lambda's statement (``render``), and put in the
document of its function and qualifier. Pure Python: the stacks come from a template, a cloud
assembly or a CDK app's tree, read by the layers around this one.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .._core import bounds, tokens
from .._core.model import INVOKE, Permission
from .._readers.references import Resolver
from .._readers.stacks import StackTemplate
from .._readers.targets import Target
from .._readers.template import PERMISSION_TYPE, permission_from_properties
from . import render
from .evaluate import Evaluation, Request, evaluate

_STRING_PROPERTIES = (
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "PrincipalOrgID",
    "EventSourceToken",
    "FunctionUrlAuthType",
)


class PolicyEvaluationError(ValueError):
    """Whether the policy allows the request depends on a value known only at deploy time.

    The message lists the statements that could not be decided and why.
    """


@dataclass(frozen=True)
class PolicyStatement:
    """One statement of a function's resource-based policy, and the permission behind it."""

    sid: str
    """The Sid. CloudFormation generates ``<stack>-<logical ID>-<12 random characters>``; the
    random part is written as ``XXXXXXXXXXXX``."""
    statement: Mapping[str, Any]
    """The statement as Lambda writes it; deploy-time parts are ``${Token[...]}`` markers."""
    permission: Permission
    """The AddPermission request it comes from."""
    stack: str
    """The stack that holds the permission: its construct path, or the template's name."""
    logical_id: str
    """The ``AWS::Lambda::Permission`` resource's logical ID."""
    _paths: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def path(self) -> str | None:
        """The construct path of the ``CfnPermission`` in a CDK app; ``None`` for templates."""
        return self._paths.get(self.logical_id)

    @property
    def location(self) -> str:
        """Where the permission is defined: its construct path, else stack and logical ID."""
        return self.path or f"{self.stack}/{self.logical_id}"

    def to_json(self) -> str:
        """The statement as compact JSON; deploy-time parts padded to their longest value."""
        return bounds.sized_json(self.statement)

    @functools.cached_property
    def size(self) -> int:
        """Its length in bytes (an upper bound when ``size_is_bound``)."""
        return bounds.size(self.statement)

    @property
    def size_is_bound(self) -> bool:
        """Whether a deploy-time value makes ``size`` an upper bound rather than exact."""
        return tokens.is_unresolved(bounds.to_json(self.statement))


@dataclass(frozen=True)
class ResourcePolicy:
    """The resource-based policy Lambda will hold for one function, version or alias.

    Built from every ``AWS::Lambda::Permission`` that targets the function and qualifier, so it
    is the document ``GetPolicy`` would return after deployment (with placeholder Sids), as far
    as the app or template can tell: statements added outside it are not seen.
    """

    function: str
    """The function's unqualified ARN as referenced; deploy-time parts are ``${Token[...]}``
    markers (``;max=N`` gives the longest value each can take)."""
    qualifier: str | None
    """The version or alias whose policy this is; ``None`` for the unqualified function."""
    statements: tuple[PolicyStatement, ...]
    """The statements, ordered by stack and logical ID."""
    function_stack: str | None = None
    """The stack that defines the ``AWS::Lambda::Function``, when it is in the app or template.
    Default: - the function is defined elsewhere."""
    function_logical_id: str | None = None
    """The function's logical ID in ``function_stack``. Default: - defined elsewhere."""
    limit: int = render.POLICY_SIZE_LIMIT
    """The most bytes Lambda accepts: 20,480. Default: 20480."""

    @property
    def resource(self) -> str:
        """The ARN every statement grants on: the function's, with the qualifier."""
        return self.function if self.qualifier is None else f"{self.function}:{self.qualifier}"

    def _document(self) -> dict[str, Any]:
        return render.document([s.statement for s in self.statements])

    @property
    def document(self) -> dict[str, Any]:
        """The policy as ``GetPolicy`` returns it, parsed: ``Version``, ``Id``, ``Statement``."""
        return copy.deepcopy(self._document())

    def to_json(self) -> str:
        """The policy as compact JSON, exactly as Lambda writes it (Sids aside).

        Each deploy-time value is written as a placeholder ``{label}###...`` of the longest
        value it can take, so the length of this text is :attr:`size`.
        """
        return bounds.sized_json(self._document())

    @functools.cached_property
    def size(self) -> int:
        """The policy's size in bytes as Lambda counts it (UTF-8 of the compact JSON).

        An upper bound when :attr:`size_is_bound`: every deploy-time value counted at its
        longest.
        """
        return bounds.size(self._document())

    @functools.cached_property
    def known_size(self) -> int:
        """A lower bound on the size: every deploy-time value counted as empty."""
        return bounds.known_size(self._document())

    @property
    def size_is_bound(self) -> bool:
        """Whether deploy-time values make :attr:`size` an upper bound rather than exact."""
        return self.known_size != self.size or any(s.size_is_bound for s in self.statements)

    def evaluate(
        self,
        action: str = INVOKE,
        *,
        principal: str,
        source_arn: str | None = None,
        source_account: str | None = None,
        principal_org_id: str | None = None,
        via_function_url: bool = False,
        function_url_auth_type: str | None = None,
        event_source_token: str | None = None,
    ) -> Evaluation:
        """The verdict of every statement on a request (see :meth:`allows`)."""
        request = Request(
            action=action,
            principal=principal,
            source_arn=source_arn,
            source_account=source_account,
            principal_org_id=principal_org_id,
            via_function_url=via_function_url,
            function_url_auth_type=function_url_auth_type,
            event_source_token=event_source_token,
        )
        return evaluate([s.statement for s in self.statements], request)

    def allows(
        self,
        action: str = INVOKE,
        *,
        principal: str,
        source_arn: str | None = None,
        source_account: str | None = None,
        principal_org_id: str | None = None,
        via_function_url: bool = False,
        function_url_auth_type: str | None = None,
        event_source_token: str | None = None,
    ) -> bool:
        """Whether this policy allows ``principal`` to perform ``action``, as IAM decides it.

        :param action: the action asked for. Default: ``lambda:InvokeFunction``.
        :param principal: who asks: a 12-digit account ID (the account's root), the ARN of an
            IAM role, user or role session, a service principal such as ``s3.amazonaws.com``,
            or ``"anonymous"`` for an unsigned request.
        :param source_arn: ``aws:SourceArn``, the resource a service calls for (a bucket's
            ARN...). Default: - absent, so statements that require it do not apply.
        :param source_account: ``aws:SourceAccount``, the account owning that resource.
            Default: - absent.
        :param principal_org_id: ``aws:PrincipalOrgID``, the caller's organization.
            Default: - absent.
        :param via_function_url: whether the call comes through a function URL.
            Default: - ``False``.
        :param function_url_auth_type: ``lambda:FunctionUrlAuthType`` of that URL (``AWS_IAM``
            or ``NONE``). Default: - absent.
        :param event_source_token: ``lambda:EventSourceToken`` the caller presents.
            Default: - absent.
        :raises PolicyEvaluationError: when the answer depends on a value known only at deploy
            time.

        Only this policy counts: callers in the function's account may also be allowed by
        their identity-based policies.
        """
        evaluation = self.evaluate(
            action,
            principal=principal,
            source_arn=source_arn,
            source_account=source_account,
            principal_org_id=principal_org_id,
            via_function_url=via_function_url,
            function_url_auth_type=function_url_auth_type,
            event_source_token=event_source_token,
        )
        if evaluation.allowed is None:
            undecided = [
                f"  - {self.statements[v.index].location} (Sid {v.sid}): {v.reason}"
                for v in evaluation.verdicts
                if v.applies is None
            ]
            raise PolicyEvaluationError(
                f"whether the policy of {bounds.readable(self.resource)} allows {action} by "
                f"{principal} depends on values known only at deploy time:\n" + "\n".join(undecided)
            )
        return evaluation.allowed


def policies_of(
    stacks: Sequence[StackTemplate],
    resolver: Resolver | None = None,
    *,
    load: Callable[[StackTemplate], StackTemplate] | None = None,
) -> list[ResourcePolicy]:
    """Every permission of ``stacks``, rendered and grouped into one policy per target.

    ``load``, when given, returns a stack with its permissions, for stacks given without them:
    one stack's permissions at a time are then held, besides the rendered statements.
    """
    resolver = resolver or Resolver(stacks)
    groups: dict[tuple[str, str | None], list[PolicyStatement]] = {}
    targets: dict[tuple[str, str | None], Target] = {}
    for given in stacks:
        stack = load(given) if load is not None else given
        for logical_id in sorted(stack.resources):
            resource = stack.resources[logical_id]
            if not isinstance(resource, Mapping) or resource.get("Type") != PERMISSION_TYPE:
                continue
            properties = resource.get("Properties") or {}
            if not isinstance(properties, Mapping):
                continue  # CloudFormation refuses the template; the reader reports it
            target = resolver.function_target(properties.get("FunctionName"), stack)
            statement = _statement(resolver, stack, logical_id, properties, target)
            key = (target.arn, target.qualifier)
            groups.setdefault(key, []).append(statement)
            targets[key] = target
    policies: list[ResourcePolicy] = []
    for key in sorted(groups, key=lambda k: (k[0], k[1] or "")):
        target = targets[key]
        defined_in = target.defined_in
        policies.append(
            ResourcePolicy(
                function=target.arn,
                qualifier=target.qualifier,
                statements=tuple(sorted(groups[key], key=lambda s: (s.stack, s.logical_id))),
                function_stack=defined_in[0] if defined_in else None,
                function_logical_id=defined_in[1] if defined_in else None,
            )
        )
    return policies


def permission_of(
    resolver: Resolver,
    stack: StackTemplate,
    properties: Mapping[str, Any],
    target: Target,
) -> Permission:
    """The permission an ``AWS::Lambda::Permission``'s ``properties`` grant on ``target``.

    Every value is read with ``resolver``: references resolved as far as the stacks tell,
    deploy-time parts as bounded markers.
    """
    expanded: dict[str, Any] = {"FunctionName": target.resource}
    for name in _STRING_PROPERTIES:
        text = resolver.text(properties.get(name), stack, name)
        if text is not None:
            expanded[name] = text
    via_url = properties.get("InvokedViaFunctionUrl")
    if isinstance(via_url, Mapping):
        via_url = True  # deploy-time: counted with its condition, the longer statement
    if via_url is not None:
        expanded["InvokedViaFunctionUrl"] = via_url
    return replace(permission_from_properties(expanded), qualifier=target.qualifier)


def _statement(
    resolver: Resolver,
    stack: StackTemplate,
    logical_id: str,
    properties: Mapping[str, Any],
    target: Target,
) -> PolicyStatement:
    permission = permission_of(resolver, stack, properties, target)
    sid = render.sid_placeholder(resolver.stack_name(stack), logical_id)
    rendered = render.statement(permission, sid=sid, partition=resolver.partition(stack))
    return PolicyStatement(
        sid=sid,
        statement=rendered,
        permission=permission,
        stack=stack.key,
        logical_id=logical_id,
        _paths=stack.paths,
    )
