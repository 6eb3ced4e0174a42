"""``use_resource_policy``: a scope's grants as one ``AWS::Lambda::ResourcePolicy`` per function.

The same constructs, the same model and the same checks: a grant under a chosen scope hands its
checked permissions to the document of its function and qualifier instead of making
``AWS::Lambda::Permission`` resources. The document (``aws_lambda.CfnResourcePolicy``) is
rendered when the app synthesizes, from every permission handed to it, consolidated
(``_policy.documents``): statements that differ only in one value become one statement listing
the values, which allows exactly what the permissions allowed.

``use_resource_policy`` may be called before or after the grants: a grant made later goes
straight into its document, and a grant made earlier has its ``CfnPermission`` children removed
from the tree at the call (nothing has been synthesized then; the tree may change freely until
the app synthesizes) and its permissions moved into the document. A grant made with no scope
chosen costs nothing more than before: one dictionary lookup per grant.

Where the document lives: in the stack of the grants. A document is one resource of one stack
and sets the whole policy of its function and qualifier, so every grant that goes into it must
be in that stack; a grant on the same function and qualifier from another stack is refused
(LP609), naming both stacks. In the grants' stack every value of the document is one the
``CfnPermission`` would have held there, so moving a grant into a document adds no reference
across stacks (and no dependency cycle between the function's stack and the grants' one).
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda
from constructs import IConstruct

from .._core import tokens
from .._core.errors import PermissionValidationError
from .._core.model import Permission
from .._policy import documents, render
from .._readers.documents import GRANTS_METADATA
from .._rules import intent
from .._rules.app import BOTH_POLICY_KINDS
from .function_input import FunctionTarget, depend_on_alias

if TYPE_CHECKING:
    from .grant import Grant


@dataclass(frozen=True)
class Emitted:
    """What a grant emitted for one target: each child's ID, permission and readable form."""

    target: FunctionTarget
    """The function and qualifier."""
    permissions: tuple[tuple[str, Permission, Permission], ...]
    """``(child ID, permission, the permission as the rules read it)``."""


def use_resource_policy(scope: IConstruct) -> None:
    """Make this library's grants under ``scope`` one ``AWS::Lambda::ResourcePolicy`` each.

    For every function, version or alias, the grants under ``scope`` become the statements of
    one ``AWS::Lambda::ResourcePolicy`` (the whole resource-based policy, set with
    ``PutResourcePolicy``) instead of one ``AWS::Lambda::Permission`` per grant. Statements
    that differ only in one value are merged into one that lists the values (60 API Gateway
    routes become one statement with 60 SourceArns): who may invoke the function is exactly
    the same, and the policy is smaller. Every rule checks the grants as before. A grant's
    ``permissions`` is then empty and its ``resource_policy`` is the document.

    Call it before or after making the grants; a grant made earlier has its
    ``AWS::Lambda::Permission`` resources removed (references to them made before are not
    followed). Calling it again, or on a scope inside one already chosen, changes nothing.

    The document is in the stack of the grants: every grant on one function and qualifier
    that goes into a document must be in one stack (a document sets the whole policy, and
    belongs to one stack); one in another stack is refused with a ``PermissionValidationError``
    (rule LP609) naming both. Permissions made by other constructs on the same function
    (``Function.add_permission``, API Gateway integrations...) stay ``AWS::Lambda::Permission``
    resources, which the document would overwrite: the guard refuses that at synth (LP609).
    See docs/RESOURCE_POLICY.md for moving a deployed function from permissions to a document
    without a moment in which invocations fail.

    :param scope: an ``App``, a ``Stage``, a ``Stack`` or any construct: the grants in it;
        or a function, version or alias (an ``IFunction``): the grants given it as their
        ``function``, wherever they are (for a function, also those given one of its versions
        or aliases; a grant that names it by a string is not recognised). Default: - none,
        it is required: without a call, every grant makes ``AWS::Lambda::Permission``
        resources.
    :raises PermissionValidationError: when a grant's document would be in another stack than
        an earlier grant's on the same function and qualifier, or a grant's principal or
        function cannot be written in a document.
    """
    state = _state(scope.node.root)
    if _is_function(scope):
        if not any(f is scope for f in state.functions):
            state.functions.append(scope)
    else:
        path = scope.node.path
        if path not in state.scopes:
            state.scopes.append(path)
    for grant in list(state.grants):
        if grant._emitted and state.covers(grant):
            _move(grant)


def track(grant: Grant) -> None:
    """Record a grant of the app, for a later ``use_resource_policy`` to find."""
    _state(grant._root).grants.append(grant)


def in_document(grant: Grant) -> bool:
    """Whether ``grant``'s permissions go into a document (a cheap test when none do)."""
    state = _STATES.get(grant._root)
    return state is not None and state.covers(grant)


def into_document(grant: Grant, batch: Emitted) -> None:
    """Add ``batch`` to the document of its function and qualifier, in the grant's stack."""
    stack = grant._stack()
    state = _state(grant._root)
    resource_arn, key, readable = _resource(grant, batch.target, stack)
    document = state.documents.get(key)
    if document is not None and document.stack is not stack:
        raise PermissionValidationError(
            grant._path,
            [_other_stack(grant, document, stack, resource_arn)],
            grant._PARAMETER_NAMES,
        )
    if document is None:
        document = _Document(stack, key, resource_arn, readable)
        state.documents[key] = document
        target = batch.target
        if target.function is not None and target.qualifier is not None:
            depend_on_alias([document.resource], target.function, target.qualifier)
    document.add(grant, batch)
    grant.resource_policy = document.resource


def _move(grant: Grant) -> None:
    """Move what ``grant`` emitted as ``AWS::Lambda::Permission`` resources into documents."""
    batches = list(grant._emitted)
    for batch in batches:
        for child_id, _, _ in batch.permissions:
            grant.node.try_remove_child(child_id)
    grant._emitted.clear()
    grant.permissions.clear()
    for batch in batches:
        into_document(grant, batch)


# --- the app's state ------------------------------------------------------------------------


class _State:
    """What one app chose: the scopes and functions, its grants, and its documents."""

    __slots__ = ("__weakref__", "documents", "functions", "grants", "scopes")

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.functions: list[IConstruct] = []
        self.grants: list[Grant] = []
        self.documents: dict[tuple[str, ...], _Document] = {}

    def covers(self, grant: Grant) -> bool:
        if not self.scopes and not self.functions:
            return False
        path = grant._path
        for scope in self.scopes:
            if not scope or path == scope or path.startswith(scope + "/"):
                return True
        return bool(self.functions) and _on_function(grant._function, self.functions)


_STATES: weakref.WeakKeyDictionary[IConstruct, _State] = weakref.WeakKeyDictionary()


def _state(root: IConstruct) -> _State:
    state = _STATES.get(root)
    if state is None:
        state = _STATES[root] = _State()
    return state


def _is_function(scope: IConstruct) -> bool:
    # jsii interfaces are not runtime-checkable: a function, version or alias is what has an
    # ARN and can grant invoke.
    return isinstance(getattr(scope, "function_arn", None), str) and hasattr(scope, "grant_invoke")


def _on_function(given: object, functions: Sequence[IConstruct]) -> bool:
    """Whether the grant's ``function`` is one of ``functions``, or a version or alias of one."""
    if given is None or isinstance(given, str):
        return False
    candidates = [given]
    version = getattr(given, "version", None)
    for owner in (given, version):
        underlying = getattr(owner, "lambda_", None) if owner is not None else None
        if underlying is not None:
            candidates.append(underlying)
    return any(c is f for c in candidates for f in functions)


# --- a document ---------------------------------------------------------------------------------


@jsii.implements(cdk.IAnyProducer)
class _Produce:
    def __init__(self, document: _Document, part: str) -> None:
        self._document = document
        self._part = part

    def produce(self, context: cdk.IResolveContext) -> Any:
        rendered = self._document.rendered()
        return rendered[0] if self._part == "document" else rendered[1]


class _Document:
    """One ``AWS::Lambda::ResourcePolicy``: the statements of every grant on one target."""

    def __init__(
        self, stack: cdk.Stack, key: tuple[str, ...], resource_arn: str, readable: str
    ) -> None:
        self.stack = stack
        self.resource_arn = resource_arn
        digest = hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()[:8].upper()
        # The construct ID (hence the logical ID) is derived from the target, never from the
        # order of grants: a document whose logical ID changed would be replaced, and
        # CloudFormation's deletion of the old one would delete the policy.
        self.resource = aws_lambda.CfnResourcePolicy(
            stack,
            f"{readable}ResourcePolicy{digest}",
            resource_arn=resource_arn,
            policy_document=cdk.Lazy.uncached_any(_Produce(self, "document")),
        )
        self.resource.add_metadata(GRANTS_METADATA, cdk.Lazy.uncached_any(_Produce(self, "grants")))
        self._stack_path = stack.node.path
        self._partition = stack.partition
        self._region = stack.region
        self._account = stack.account
        self._entries: list[tuple[tuple[str, str], dict[str, Any], str]] = []
        self._rendered: tuple[int, tuple[dict[str, Any], list[list[list[str]]]]] | None = None

    def add(self, grant: Grant, batch: Emitted) -> None:
        """Render ``batch``'s permissions as statements of this document."""
        for child_id, permission, readable in batch.permissions:
            try:
                # The Resource is the document's ResourceArn, qualifier included.
                statement = documents.document_statement(
                    replace(permission, function_name=self.resource_arn, qualifier=None),
                    partition=self._partition,
                    region=self._region,
                    account=self._account,
                    kind_of=readable.principal,
                    hint=grant._PRINCIPAL_KEY,
                )
            except documents.UnknownPrincipalError as error:
                finding = intent.DOCUMENT_NEEDS.finding(
                    f"{error}; a grant whose principal is known only at deploy time cannot go "
                    "into an AWS::Lambda::ResourcePolicy from this construct",
                    parameter="Principal",
                    value=permission.principal,
                    fix=(
                        "give the principal at synth, or leave this grant out of "
                        "use_resource_policy's scope (and every other grant on the function)"
                    ),
                )
                raise PermissionValidationError(
                    grant._path, [finding], grant._PARAMETER_NAMES
                ) from None
            components = [*_relative(grant._path, self._stack_path), child_id]
            self._entries.append(((grant._path, child_id), statement, logical_id(components)))

    def rendered(self) -> tuple[dict[str, Any], list[list[list[str]]]]:
        """The document, and for each statement the grant behind each of its combinations."""
        if self._rendered is not None and self._rendered[0] == len(self._entries):
            return self._rendered[1]
        ids = {key: logical for key, _, logical in self._entries}
        merged = documents.consolidate(
            [(key, statement) for key, statement, _ in self._entries],
            lambda keys: documents.readable_sid([f"{path}/{child}" for path, child in keys]),
        )
        document = documents.document([m.statement for m in merged])
        grants = [[[path, ids[(path, child)]] for path, child in m.combinations] for m in merged]
        self._rendered = (len(self._entries), (document, grants))
        return document, grants


def _resource(
    grant: Grant, target: FunctionTarget, stack: cdk.Stack
) -> tuple[str, tuple[str, ...], str]:
    """The document's ``ResourceArn``, the key of its target in the app, and a readable name.

    A function, version or alias of the app is known by its construct path; any other target
    by its ARN as CloudFormation will see it in the grant's stack (two stacks that may deploy
    to the same account and region see the same text, and so share the target).
    """
    given = grant._function
    qualifier = target.qualifier or ""
    if given is not None and not isinstance(given, str):
        arn = target.function_name
        if cdk.Resource.is_owned_resource(given):
            node = given.node
            return arn, ("construct", node.path, qualifier), _alphanumeric(node.id)
        text = json.dumps(stack.resolve(arn), sort_keys=True)
        return arn, ("arn", text, qualifier), _alphanumeric(given.node.id)
    name = target.function_name
    readable_name = grant._read(name)
    if tokens.is_unresolved(readable_name) and not _is_arn_shaped(readable_name):
        raise PermissionValidationError(
            grant._path,
            [
                intent.DOCUMENT_NEEDS.finding(
                    f"the function {tokens.describe(readable_name)} is known only at deploy "
                    "time, and whether it is a name or an ARN cannot be told: an "
                    "AWS::Lambda::ResourcePolicy needs the function's complete ARN",
                    parameter="FunctionName",
                    value=readable_name,
                    fix=(
                        "pass the function construct, or its ARN (for example "
                        "Fn.sub('arn:${AWS::Partition}:lambda:${AWS::Region}:"
                        "${AWS::AccountId}:function:${Name}', {'Name': name}))"
                    ),
                )
            ],
            grant._PARAMETER_NAMES,
        )
    arn = render.function_arn(
        name, None, partition=stack.partition, region=stack.region, account=stack.account
    )
    text = json.dumps(stack.resolve(arn), sort_keys=True)
    parsed = name.split(":")
    readable = _alphanumeric(parsed[-2] if target.qualifier and len(parsed) > 1 else parsed[-1])
    return arn, ("arn", text, qualifier), readable


def _is_arn_shaped(text: str) -> bool:
    return text.startswith("arn:") or ":function:" in text


def _other_stack(grant: Grant, document: _Document, stack: cdk.Stack, resource_arn: str) -> Any:
    held = document.stack.node.path or document.stack.stack_name
    here = stack.node.path or stack.stack_name
    return BOTH_POLICY_KINDS.finding(
        f"the grant is in stack {here!r}, but the AWS::Lambda::ResourcePolicy of its function "
        f"and qualifier is in stack {held!r} (it holds the grants made there first): a "
        "document is one resource of one stack and sets the whole policy, so it cannot take "
        "statements from another stack, and a second document would overwrite the first",
        parameter="FunctionName",
        value=resource_arn,
        fix=(
            f"make every grant on this function and qualifier in one stack ({held!r}), or leave "
            "them all out of use_resource_policy's scope to keep AWS::Lambda::Permission "
            "resources, which may be in any stack"
        ),
    )


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)[:64] or "Function"


def _relative(path: str, stack_path: str) -> list[str]:
    if stack_path and path.startswith(stack_path + "/"):
        path = path[len(stack_path) + 1 :]
    return [part for part in path.split("/") if part]


def logical_id(components: Sequence[str]) -> str:
    """The logical ID the CDK gives a resource at ``components`` (its path below its stack).

    The CDK's own algorithm (``makeUniqueId``): the path's IDs without ``Default``; one ID is
    itself (alphanumeric); several are their alphanumeric parts (``Resource`` left out,
    repeats removed) and an MD5 digest of the path.
    """
    parts = [c for c in components if c != "Default"]
    if len(parts) == 1:
        candidate = re.sub(r"[^A-Za-z0-9]", "", parts[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(parts).encode("utf-8"), usedforsecurity=False)
    human: list[str] = []
    for part in parts:
        if not human or not human[-1].endswith(part):
            human.append(part)
    readable = "".join(re.sub(r"[^A-Za-z0-9]", "", p) for p in human if p != "Resource")
    return readable[:240] + digest.hexdigest()[:8].upper()
