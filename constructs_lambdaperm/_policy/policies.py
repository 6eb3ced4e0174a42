"""The policies Lambda will hold: every permission of some stacks, grouped per function.

Each ``AWS::Lambda::Permission`` of the stacks is read into the model
(``_readers.template.permission_from_properties``), its values bounded by the references they
hold (``_readers.references``), rendered as Lambda's statement (``render``), and put in the
document of its function and qualifier. Each ``AWS::Lambda::ResourcePolicy`` is a document of
its own (``_readers.documents``): its statements as written, each read as the permissions it
stands for (``documents.read_statement``). Pure Python: the stacks come from a template, a
cloud assembly or a CDK app's tree, read by the layers around this one.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .._core import bounds, tokens
from .._core.model import INVOKE, Permission
from .._readers.documents import Grant, TemplateDocument, is_document, read_document
from .._readers.references import Resolver
from .._readers.stacks import StackTemplate
from .._readers.targets import Target
from .._readers.template import PERMISSION_TYPE, permission_from_properties
from . import documents, render
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
    permission: Permission | None
    """The AddPermission request it comes from; for a statement of an
    ``AWS::Lambda::ResourcePolicy`` document, the one request it stands for, or ``None`` when it
    stands for several (a list of values) or none (a Deny...): see ``permissions``."""
    stack: str
    """The stack that holds the resource: its construct path, or the template's name."""
    logical_id: str
    """The logical ID of the ``AWS::Lambda::Permission`` (or ``AWS::Lambda::ResourcePolicy``)."""
    _paths: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    permissions: tuple[Permission, ...] = ()
    """The AddPermission requests it stands for: its ``permission``, or for a document
    statement one per combination of its values (its principals, actions and the values of
    each condition AddPermission has a parameter for). Empty for a Deny statement and one no
    AddPermission request can express (``NotPrincipal``...). Default: - ``(permission,)``."""
    from_document: bool = False
    """Whether it is a statement of an ``AWS::Lambda::ResourcePolicy`` document.
    Default: - ``False``, an ``AWS::Lambda::Permission``'s."""
    _reading: documents.StatementReading | None = field(default=None, repr=False, compare=False)
    _grants: tuple[Grant, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.permissions and self.permission is not None and not self.from_document:
            object.__setattr__(self, "permissions", (self.permission,))

    @property
    def path(self) -> str | None:
        """The construct path of its resource in a CDK app; ``None`` for templates."""
        return self._paths.get(self.logical_id)

    @property
    def grants(self) -> tuple[str, ...]:
        """The construct paths of the grants behind a document statement, when known.

        For a statement that ``use_resource_policy`` wrote, one per each of its
        ``permissions``; empty otherwise.
        """
        return tuple(path for path, _ in self._grants)

    @property
    def location(self) -> str:
        """Where it is defined: its construct path, else stack and logical ID.

        A document statement's location ends with its Sid.
        """
        where = self.path or f"{self.stack}/{self.logical_id}"
        return f"{where} (Sid {self.sid})" if self.from_document else where

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
    from_document: bool = False
    """Whether the policy is an ``AWS::Lambda::ResourcePolicy`` document (the whole policy, as
    written) rather than the statements ``AWS::Lambda::Permission`` resources add.
    Default: - ``False``: made of permissions."""
    document_stack: str | None = None
    """For a document, the stack that holds the ``AWS::Lambda::ResourcePolicy``.
    Default: - none, the policy is made of permissions."""
    document_logical_id: str | None = None
    """For a document, the logical ID of the ``AWS::Lambda::ResourcePolicy``.
    Default: - none, the policy is made of permissions."""
    problems: tuple[str, ...] = ()
    """For a document, what could not be read of it (a ``PolicyDocument`` known only at deploy
    time...): its statements are then not known. Default: - none."""
    permissions_size: int | None = None
    """For a document ``use_resource_policy`` wrote, the size in bytes the same grants take as
    ``AWS::Lambda::Permission`` resources (one statement per permission, Sids generated by
    CloudFormation; an upper bound like :attr:`size`): ``permissions_size - size`` is what
    consolidating saved. Default: - ``None``, not known."""
    _head: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def resource(self) -> str:
        """The ARN every statement grants on: the function's, with the qualifier."""
        return self.function if self.qualifier is None else f"{self.function}:{self.qualifier}"

    def _document(self) -> dict[str, Any]:
        if self._head is None:
            return render.document([s.statement for s in self.statements])
        # A document as written: its own keys in its order, its statements as read.
        return {
            key: [s.statement for s in self.statements] if key == "Statement" else value
            for key, value in self._head.items()
        }

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
        other_keys: Mapping[str, str] | None = None,
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
            other_keys=other_keys,
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
        other_keys: Mapping[str, str] | None = None,
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
        :param other_keys: any other condition key of the request and its value, for a
            document's conditions (``{"aws:SourceIp": "203.0.113.7"}``). Default: - none.
        :raises PolicyEvaluationError: when the answer depends on a value known only at deploy
            time.

        Only this policy counts: callers in the function's account may also be allowed by
        their identity-based policies. A document's Deny statements only narrow: a request is
        allowed when an Allow statement applies and no Deny statement does.
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
            other_keys=other_keys,
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
    """Every permission of ``stacks`` grouped into one policy per target; every document too.

    Each ``AWS::Lambda::ResourcePolicy`` is a policy of its own. ``load``, when given, returns
    a stack with its permissions, for stacks given without them: one stack's permissions at a
    time are then held, besides the rendered statements. Policies come sorted by function and
    qualifier (a function's permissions before a document on it).
    """
    resolver = resolver or Resolver(stacks)
    groups: dict[tuple[str, str | None], list[PolicyStatement]] = {}
    targets: dict[tuple[str, str | None], Target] = {}
    policies: list[ResourcePolicy] = []
    for given in stacks:
        stack = load(given) if load is not None else given
        for logical_id in sorted(stack.resources):
            resource = stack.resources[logical_id]
            if is_document(resource):
                read = read_document(resolver, stack, logical_id, resource)
                policies.append(_document_policy(resolver, stack, read))
                continue
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
    for key in groups:
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
    return sorted(
        policies,
        key=lambda p: (
            p.function,
            p.qualifier or "",
            p.from_document,
            p.document_stack or "",
            p.document_logical_id or "",
        ),
    )


def _document_policy(
    resolver: Resolver, stack: StackTemplate, read: TemplateDocument
) -> ResourcePolicy:
    """The policy an ``AWS::Lambda::ResourcePolicy`` sets, statement by statement.

    Each statement is read as the permissions it stands for.
    """
    target = read.target
    defined_in = target.defined_in
    statements: list[PolicyStatement] = []
    permissions_size: int | None = None
    if read.document is not None:
        written = read.document["Statement"]
        denies = documents.deny_narrowing(written)
        as_permissions: list[dict[str, Any]] = []
        for index, statement in enumerate(written):
            reading = documents.read_statement(statement, target.arn, target.qualifier)
            narrowing = [
                documents.Unexpressed(f"the Deny statement {sid}", documents.WIDTH_RULES)
                for sid in _deny_sids(reading.permissions, denies, statement)
            ]
            if narrowing:
                reading = replace(reading, unexpressed=(*reading.unexpressed, *narrowing))
            grants = read.grants[index] if read.grants is not None else ()
            if len(grants) != len(reading.permissions):
                grants = ()
            sid = statement.get("Sid")
            statements.append(
                PolicyStatement(
                    sid=sid if isinstance(sid, str) else "",
                    statement=statement,
                    permission=reading.permissions[0] if len(reading.permissions) == 1 else None,
                    stack=stack.key,
                    logical_id=read.logical_id,
                    _paths=stack.paths,
                    permissions=reading.permissions,
                    from_document=True,
                    _reading=reading,
                    _grants=grants,
                )
            )
            for permission, (_, logical_id) in zip(reading.permissions, grants, strict=False):
                sid_text = render.sid_placeholder(resolver.stack_name(stack), logical_id)
                as_permissions.append(
                    render.statement(permission, sid=sid_text, partition=resolver.partition(stack))
                )
        if read.grants is not None and all(s._grants or not s.permissions for s in statements):
            permissions_size = bounds.size(render.document(as_permissions))
    return ResourcePolicy(
        function=target.arn,
        qualifier=target.qualifier,
        statements=tuple(statements),
        function_stack=defined_in[0] if defined_in else None,
        function_logical_id=defined_in[1] if defined_in else None,
        from_document=True,
        document_stack=stack.key,
        document_logical_id=read.logical_id,
        problems=() if read.problem is None else (read.problem,),
        permissions_size=permissions_size,
        _head=read.document or {"Statement": []},
    )


def _deny_sids(
    permissions: Sequence[Permission],
    denies: Sequence[tuple[str, list[str]]],
    statement: Mapping[str, Any],
) -> list[str]:
    if statement.get("Effect") == "Deny":
        return []
    found: list[str] = []
    for permission in permissions:
        for sid in documents.narrowed_by(permission, denies):
            if sid not in found:
                found.append(sid)
    return found


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
        value = properties.get(name)
        if value is None:
            continue
        text = resolver.text(value, stack, name)
        if text is not None:
            expanded[name] = text
    via_url = properties.get("InvokedViaFunctionUrl")
    if isinstance(via_url, Mapping):
        # Deploy-time: a marker, which the statement counts with its condition (the longer
        # statement) and the rules read as either value.
        via_url = resolver.text(via_url, stack, "Action")
    if via_url is not None:
        expanded["InvokedViaFunctionUrl"] = via_url
    return permission_from_properties(expanded, qualifier=target.qualifier)


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
