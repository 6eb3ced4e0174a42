"""What every grant construct shares: checked permissions in, ``CfnPermission`` resources out.

No policy logic lives here: a construct turns its props into ``Permission`` objects and the
findings only it can make (its intent), hands them to ``Grant._emit``, which runs the rules,
raises on invalid values and emits the resources. Unsafe findings are the guard's to report at
synth, when every acknowledgement is known (``plugin``).

Two things every construct gets from here without a line of its own:

- its props' Python types are checked before anything else, from the ``__init__`` annotations,
  as the CDK's own jsii-generated checks do: a ``TypeError`` names the construct path, the
  parameter, the type expected and the type received (``None`` where a value is required,
  a topic where a bucket is expected, ``bytes`` for a string);
- a prop that is one opaque CDK token (``Fn.join``, ``Fn.sub``, ``Fn.select``...) is read as its
  CloudFormation JSON, with the template reader's ``value_text``, so the rules see the same text
  for ``Fn.join("", ["arn:", Aws.PARTITION, ":sqs:::x"])`` as for a template that holds it. The
  resources keep the token itself.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

import aws_cdk as cdk
from aws_cdk import aws_lambda
from constructs import Construct

from .. import _rules
from .._core import tokens
from .._core.errors import PermissionValidationError
from .._core.findings import Finding, Severity
from .._core.model import Permission
from .._readers.template import value_text
from .._rules import intent
from .acknowledge import record_acknowledgements
from .function_input import FunctionInput, FunctionTarget, depend_on_alias, function_target
from .plugin import register_grant
from .resource_policy import Emitted, in_document, into_document, track

COMMON_NAMES: Mapping[str, str] = {
    "FunctionName": "function",
    "Qualifier": "qualifier",
    "Action": "action",
    "Principal": "principal",
}


class Grant(Construct):
    """What every construct shares: emit checked permissions, keep the findings."""

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = COMMON_NAMES
    _PRINCIPAL_KEY: ClassVar[str | None] = None
    """How a policy document writes a principal known only at deploy time (``AWS`` or
    ``Service``): the kind the construct grants to. ``None``: such a principal is refused in a
    document (AddPermission decides its kind at deploy time; a document cannot)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        # Only this library's constructs: a user's subclass may annotate with any type.
        module = cls.__module__
        if init is not None and (module == _PACKAGE or module.startswith(_PACKAGE + ".")):
            cls.__init__ = _type_checked(cls, init)  # type: ignore[method-assign]

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Every permission of the app is checked once, at synth, by the guard (ours and others');
        # the grant is recorded as this library's. The scope, not self: scopes already seen
        # cost no call into the CDK.
        self._root, self._path = register_grant(scope, id, self._PARAMETER_NAMES)
        self._scope = scope
        self._function: FunctionInput | None = None
        self._emitted: list[Emitted] = []
        self.permissions: list[aws_lambda.CfnPermission] = []
        """The ``AWS::Lambda::Permission`` resources this construct made; empty when its
        statements are in an ``AWS::Lambda::ResourcePolicy`` (``use_resource_policy``)."""
        self.resource_policy: aws_lambda.CfnResourcePolicy | None = None
        """The ``AWS::Lambda::ResourcePolicy`` that holds this construct's statements, when it
        grants under a scope given to ``use_resource_policy`` (the document is shared by every
        such grant on the same function and qualifier). Default: - ``None``, the grant made
        ``AWS::Lambda::Permission`` resources (``permissions``)."""
        self.findings: list[Finding] = []
        """Every finding on this grant, including what could not be checked at synth; a
        finding repeated by the grant's permissions (a function URL's two) is listed once."""
        track(self)

    def _target(self, function: FunctionInput, qualifier: str | None) -> FunctionTarget:
        """The ``function`` and ``qualifier`` props, as FunctionName and its qualifier."""
        self._function = function
        return function_target(function, qualifier)

    def _emit(
        self,
        target: FunctionTarget,
        permissions: Sequence[tuple[str, Permission]],
        findings: Sequence[Finding | None] = (),
    ) -> list[aws_lambda.CfnPermission]:
        """Check ``permissions`` (with the construct's own ``findings``), raise, or emit them.

        ``target`` is the function they are on: its own findings come with them, and a grant
        in a stack of another account than the function's is refused (LP205).
        """
        facts = _scope_facts(self._scope)
        elsewhere = intent.function_in_stack_account(
            target.function_name, target.account, facts.account
        )
        readable = [(child_id, p, self._readable(p)) for child_id, p in permissions]
        checked = [(child_id, p, _rules.check(read)) for child_id, p, read in readable]
        own = [f for f in (*findings, *target.findings, elsewhere) if f is not None]
        self.findings = _once(own + [f for _, _, found in checked for f in found])
        self._raise_if_invalid(self.findings)
        batch = Emitted(target, tuple(readable))
        if in_document(self):
            into_document(self, batch)
            return []
        unsafe: list[tuple[aws_lambda.CfnPermission, list[Finding]]] = []
        emitted: list[aws_lambda.CfnPermission] = []
        for child_id, permission, found in checked:
            resource = _cfn_permission(self, child_id, permission)
            emitted.append(resource)
            unsafe.append((resource, [f for f in found if f.severity is Severity.UNSAFE]))
        self.permissions.extend(emitted)
        self._emitted.append(batch)
        record_acknowledgements(self, unsafe)
        if target.function is not None and target.qualifier is not None:
            depend_on_alias(emitted, target.function, target.qualifier)
        return emitted

    def _raise_if_invalid(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.blocking and f.severity is Severity.ERROR]
        if errors:
            raise PermissionValidationError(self.node.path, errors, self._PARAMETER_NAMES)

    def _refuse(self, *findings: Finding | None) -> None:
        """Raise now: for findings that leave nothing else to check."""
        self._raise_if_invalid([f for f in findings if f is not None])

    def _stack(self) -> cdk.Stack:
        """The stack the grant's resources go to (read once per scope)."""
        return _scope_facts(self._scope).stack

    def _read(self, value: str) -> str:
        """``value`` as the rules read it: a lone opaque token as its CloudFormation text."""
        if not tokens.is_unresolved(value):
            return value
        return _scope_facts(self._scope).read(value)

    def _readable(self, permission: Permission) -> Permission:
        changes: dict[str, Any] = {
            name: read
            for name in _STRING_FIELDS
            if isinstance(value := getattr(permission, name), str)
            and (read := self._read(value)) != value
        }
        return replace(permission, **changes) if changes else permission


_PACKAGE = __name__.split(".")[0]

_STRING_FIELDS = tuple(
    f.name for f in fields(Permission) if f.name not in ("qualifier", "invoked_via_function_url")
)


def _once(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None, str, bool]] = set()
    unique: list[Finding] = []
    for finding in findings:
        key = (finding.rule.id, finding.parameter, finding.message, finding.evaluated)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _cfn_permission(scope: Construct, id: str, permission: Permission) -> aws_lambda.CfnPermission:
    via_url = permission.invoked_via_function_url
    # The constructs set it to True or leave it out; a deploy-time value comes from templates.
    assert not isinstance(via_url, str), "a grant's InvokedViaFunctionUrl is True or absent"
    return aws_lambda.CfnPermission(
        scope,
        id,
        action=permission.action,
        function_name=permission.function_name,
        principal=permission.principal,
        event_source_token=permission.event_source_token,
        function_url_auth_type=permission.function_url_auth_type,
        invoked_via_function_url=via_url,
        principal_org_id=permission.principal_org_id,
        source_account=permission.source_account,
        source_arn=permission.source_arn,
    )


# --- what a scope's stack knows -------------------------------------------------------------


class _ScopeFacts:
    """A scope's stack, and the text each token read in it resolves to (asked once each)."""

    __slots__ = ("_account", "_read", "_stack", "scope")

    def __init__(self, scope: Construct) -> None:
        self.scope = scope
        self._stack: cdk.Stack | None = None
        self._account: str | None = None
        self._read: dict[str, str] = {}

    @property
    def stack(self) -> cdk.Stack:
        if self._stack is None:
            self._stack = cdk.Stack.of(self.scope)
        return self._stack

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.stack.account
        return self._account

    def read(self, value: str) -> str:
        known = self._read.get(value)
        if known is None:
            known = self._read[value] = _resolved_text(self.stack, value)
        return known


def _resolved_text(stack: cdk.Stack, value: str) -> str:
    # One call into the CDK per distinct token and scope; only a value that is a single opaque
    # token is resolved (a pseudo-parameter already has its shape; a concatenation's literal
    # parts are known, and its tokens are references more often than not).
    parts = tokens.labelled_parts(value)
    if len(parts) != 1 or tokens.pseudo_parameter(parts[0][1]) is not None:
        return value
    try:
        resolved = stack.resolve(value)
    except Exception:  # a token that cannot resolve before synth (a Lazy): keep it opaque
        return value
    text = value_text(resolved)
    return value if text is None else text


_SCOPES: weakref.WeakKeyDictionary[Construct, _ScopeFacts] = weakref.WeakKeyDictionary()


def owner_account(resource: cdk.IResource) -> str | None:
    """The account that owns a source resource, as far as it can be told at synth.

    A resource the app creates is in its stack's account: the literal, or in an
    environment-agnostic stack that stack's ``AWS::AccountId`` (as aws-cdk's own
    ``LambdaDestination`` takes ``Stack.of(bucket).account``). An imported resource is assumed
    by the CDK to be in the importing stack's account (``env.account``) whether it is or not,
    so only an account it was imported with that differs from the stack's (from an ARN that
    names one, or ``from_*_attributes(account=...)``) is taken; otherwise ``None``: unknown.
    Read once per resource object.
    """
    try:
        known = _OWNERS.get(resource, _UNREAD)
    except TypeError:  # not weakly referenceable
        return _read_owner(resource)
    if known is _UNREAD:
        known = _OWNERS[resource] = _read_owner(resource)
    return known if isinstance(known, str) else None


def _read_owner(resource: cdk.IResource) -> str | None:
    stack = cdk.Stack.of(resource)
    if cdk.Resource.is_owned_resource(resource):
        return stack.account
    account = resource.env.account
    if tokens.is_unresolved(account) or account == stack.account:
        return None
    return account


_UNREAD = object()
_OWNERS: weakref.WeakKeyDictionary[object, object] = weakref.WeakKeyDictionary()


def _scope_facts(scope: Construct) -> _ScopeFacts:
    try:
        facts = _SCOPES.get(scope)
    except TypeError:  # not weakly referenceable: nothing is kept
        return _ScopeFacts(scope)
    if facts is None:
        facts = _SCOPES[scope] = _ScopeFacts(scope)
    return facts


# --- the props' Python types ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Accepted:
    """One type a prop accepts: a Python type, or a jsii type by its fully qualified name."""

    shown: str
    """As the annotation writes it, for messages."""
    python: type | None = None
    """A Python type (``str``, ``bool``, ``NoneType``)."""
    jsii: str | None = None
    """A jsii type (``aws-cdk-lib.aws_s3.IBucket``): a class, an interface or an enum."""

    def accepts(self, value: object) -> bool:
        if self.python is not None:
            if self.python is int and isinstance(value, bool):
                return False
            return isinstance(value, self.python)
        return self.jsii in jsii_types(value)


_BUILTINS: Mapping[str, type] = {
    "str": str,
    "bool": bool,
    "int": int,
    "float": float,
    "None": type(None),
}


def _accepted(annotation: Any, namespace: Mapping[str, Any]) -> list[_Accepted]:
    """The types an annotation allows; ``TypeError`` for one that cannot be checked.

    Annotations are strings (``from __future__ import annotations``) or type aliases.
    """
    if isinstance(annotation, types.UnionType):
        return [a for arg in annotation.__args__ for a in _accepted(arg, namespace)]
    if isinstance(annotation, type):
        jsii_type = getattr(annotation, "__jsii_type__", None)
        if annotation in _BUILTINS.values():
            return [_Accepted(annotation.__name__, python=annotation)]
        if isinstance(jsii_type, str):
            return [_Accepted(_shown(jsii_type), jsii=jsii_type)]
    if not isinstance(annotation, str) or "[" in annotation:
        raise TypeError(f"cannot check props annotated {annotation!r}")
    accepted: list[_Accepted] = []
    for name in (piece.strip() for piece in annotation.split("|")):
        if name in _BUILTINS:
            accepted.append(_Accepted(name, python=_BUILTINS[name]))
        elif "." in name:
            module, _, member = name.partition(".")
            # Modules imported only for type checking are not loaded: the jsii name is derived
            # from the alias, and checked against the real type by tests/test_prop_types.py.
            prefix = "aws-cdk-lib." if module == "cdk" else f"aws-cdk-lib.{module}."
            accepted.append(_Accepted(name, jsii=prefix + member))
        elif name in namespace:
            accepted.extend(_accepted(namespace[name], namespace))
        else:
            raise TypeError(f"cannot check props annotated {name!r}")
    return accepted


def _shown(jsii_type: str) -> str:
    return jsii_type.removeprefix("aws-cdk-lib.").removeprefix("constructs.")


def _type_checked(cls: type, init: Callable[..., None]) -> Callable[..., None]:
    """``init`` preceded by a check of each argument against its annotation."""

    @functools.cache
    def expected() -> Mapping[str, list[_Accepted]]:
        namespace = vars(inspect.getmodule(init))
        parameters = list(inspect.signature(init).parameters.values())[1:]
        return {p.name: _accepted(p.annotation, namespace) for p in parameters}

    @functools.wraps(init)
    def checked(self: Grant, scope: Any, id: Any, **props: Any) -> None:
        accepted = expected()
        for name, value in (("scope", scope), ("id", id), *props.items()):
            allowed = accepted.get(name)
            if allowed is not None and not any(a.accepts(value) for a in allowed):
                raise TypeError(_type_error(cls, scope, id, name, value, allowed))
        init(self, scope, id, **props)

    return checked


def _type_error(
    cls: type, scope: Any, id: Any, name: str, value: object, allowed: list[_Accepted]
) -> str:
    try:
        path = f"{scope.node.path}/{id}" if scope.node.path else str(id)
    except Exception:  # the scope is the wrong type itself
        path = str(id)
    shown = " or ".join(dict.fromkeys(a.shown for a in allowed))
    got = type(value).__name__
    names = sorted(n for n in jsii_types(value) if "." in n)
    if names and got.startswith("_"):  # a jsii proxy: name what it stands for
        got = _shown(names[0])
    return (
        f"{cls.__name__} at '{path}': type of argument {name} must be {shown}; got {got} "
        f"instead ({value!r:.80})"
    )


_JSII_TYPES: dict[type, frozenset[str]] = {}


def jsii_types(value: object) -> frozenset[str]:
    """The jsii types ``value`` is or implements (classes, interfaces, enums), by name.

    jsii interfaces are not runtime-checkable protocols; a jsii class lists the interfaces it
    implements in ``__jsii_ifaces__``, and an object jsii returns as several interfaces at
    once is an ``InterfaceDynamicProxy`` over one proxy per interface.
    """
    delegates = vars(value).get("_delegates") if hasattr(value, "__dict__") else None
    if isinstance(delegates, list):
        return frozenset().union(*(jsii_types(d) for d in delegates))
    cls = type(value)
    known = _JSII_TYPES.get(cls)
    if known is None:
        names: set[str] = set()
        for klass in cls.__mro__:
            name = getattr(klass, "__jsii_type__", None)
            if isinstance(name, str):
                names.add(name)
            for interface in getattr(klass, "__jsii_ifaces__", None) or ():
                for base in interface.__mro__:
                    name = getattr(base, "__jsii_type__", None)
                    if isinstance(name, str):
                        names.add(name)
        known = _JSII_TYPES[cls] = frozenset(names)
    return known
