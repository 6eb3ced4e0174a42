"""The guard at synth: a CDK validation plugin over every Lambda permission of the app.

One plugin per app. This library's constructs register the default one (``enforce_policy_budget``
does it for an app that has none of them); a platform team adds a configured
:class:`PermissionGuard` with ``Validations.of(app).add_plugins(...)``, and the default then
stands down, so the checks run once. The CDK calls the plugin after writing the cloud assembly:
it reads files (``_readers.assembly``), not the construct tree, and runs the guard
(``_audit.engine``) over every ``AWS::Lambda::Permission`` of the app, Stages and nested stacks
included, whichever construct made it.

A finding appears in the CDK's validation report (printed by ``cdk synth``, and in
``cdk.out/validation-report.json``) at the construct path of what it is about: a permission's
at the permission, a policy's at its function and at every stack that holds its statements.
The CDK CLI shows and fails on the findings of the stacks it was asked for, so a finding that
refuses deployment also makes LP600 fail the synth, reported on no construct: a plain ``cdk
synth`` of an app whose stacks are all in Stages, ``cdk synth ONE_STACK`` and ``app.synth()``
in a test all fail.
"""

from __future__ import annotations

import contextlib
import os
import sys
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct, IValidation

from .._audit.acknowledgements import Acknowledgement
from .._audit.config import GuardConfig
from .._audit.engine import AuditReport, Place, Reported, audit
from .._audit.stacks import from_assembly
from .._core.errors import parameter_label
from .._core.findings import NAMESPACE, Severity
from .._core.version import VERSION
from .._readers.assembly import Acknowledged, read_stack, write_outside_stacks
from .._rules import RULES
from .._rules.app import BLOCKED
from .acknowledge import acknowledged_on

_REGISTERED: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""The apps that get the default plugin."""
_GUARDED: weakref.WeakSet[IConstruct] = weakref.WeakSet()
"""The apps whose configured guard has run: their default plugin stands down."""
_SCOPES: weakref.WeakKeyDictionary[IConstruct, tuple[IConstruct, str]] = weakref.WeakKeyDictionary()
"""Each scope a grant was made in: its app and its construct path (calls into the CDK cost)."""
_LIBRARY: weakref.WeakKeyDictionary[IConstruct, dict[str, Mapping[str, str]]] = (
    weakref.WeakKeyDictionary()
)
"""The construct paths of this library's grants, by app, with their property names."""

_CLI_ENV = "CDK_CLI_VERSION"
"""Set by the CDK CLI for the app it runs."""


def enforce_policy_budget(scope: IConstruct) -> None:
    """Check every Lambda permission of the app that holds ``scope`` when it synthesizes.

    Adds this library's validation plugin to the ``App`` that holds ``scope``, once however
    many times it is called (calls with a scope already seen cost nothing). When the app
    synthesizes, the plugin applies every rule of the catalogue to every
    ``AWS::Lambda::Permission`` of the app, whoever made it: it fails synth for a policy over
    20,480 bytes (LP401), an invalid value, an unsafe grant nobody acknowledged (LP3xx) and an
    acknowledgement that cannot be honoured (LP501), and warns above 80% of the limit (LP402).
    An app with a configured :class:`PermissionGuard` runs the guard's checks instead. An app
    whose root is not an ``App`` (a bare ``Stage`` or construct) runs no validation plugin, so
    nothing is added.
    """
    _scope(scope)


def register_grant(scope: IConstruct, id: str, names: Mapping[str, str]) -> tuple[IConstruct, str]:
    """Record a grant of this library made as ``id`` in ``scope``, and check its app.

    ``names`` maps AddPermission parameters to the grant's properties, for messages. Returns
    the app's root and the grant's construct path.
    """
    root, path = _scope(scope)
    grant_path = f"{path}/{id}" if path else id
    _LIBRARY.setdefault(root, {})[grant_path] = names
    return root, grant_path


def _scope(scope: IConstruct) -> tuple[IConstruct, str]:
    try:
        known = _SCOPES.get(scope)
    except TypeError:  # not weakly referenceable
        known = None
    if known is not None:
        return known
    root = scope.node.root
    known = (root, scope.node.path)
    with contextlib.suppress(TypeError):
        _SCOPES[scope] = known
    if root not in _REGISTERED and isinstance(root, cdk.App):
        _REGISTERED.add(root)
        # Added when the app validates its tree, after every plugin the user added: a
        # configured guard then runs first and the default knows to stand down.
        root.node.add_validation(_AddDefaultPlugin(root))
    return known


@jsii.implements(IValidation)
class _AddDefaultPlugin:
    def __init__(self, root: IConstruct) -> None:
        self._root = root
        self._added = False

    def validate(self) -> list[str]:
        if not self._added:
            self._added = True
            cdk.Validations.of(self._root).add_plugins(PermissionGuard._default())
        return []


@jsii.implements(cdk.IPolicyValidationPlugin)
class PermissionGuard:
    """Checks every Lambda permission of an app when it synthesizes, whoever made it.

    Add it once, to the app::

        Validations.of(app).add_plugins(PermissionGuard(allowed_org_ids=["o-a1b2c3d4e5"]))

    It applies every rule of the catalogue (``lambdaperm rules``) to each
    ``AWS::Lambda::Permission`` of the synthesized app, Stages and nested stacks included, the
    policy rules to each function's whole policy, and the app-level rules (repeated grants,
    function URLs without their companion, a ResourcePolicy beside permissions...) to all of
    them. An app made with this library's constructs has the guard with its defaults already;
    adding a configured one replaces it, so nothing is checked twice.
    """

    def __init__(
        self,
        *,
        allowed_accounts: Sequence[str] | None = None,
        allowed_org_ids: Sequence[str] | None = None,
        require_constructs: bool = False,
        severities: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the guard.

        :param allowed_accounts: the 12-digit account IDs a grant may name as its principal or
            SourceAccount (LP610). Default: - any account.
        :param allowed_org_ids: the organization IDs a grant may name as PrincipalOrgID, and
            the only way a grant to everyone (``*``) is allowed (LP610).
            Default: - any organization.
        :param require_constructs: refuse every permission not made by this library's
            constructs (LP611). Default: - ``False``, any construct may grant.
        :param severities: a severity (``error``, ``unsafe``, ``warning``) or ``off`` by rule
            ID (``LambdaPerm::LP402``), for example to make a warning fail synth. An error
            cannot be lowered. Default: - each rule's own severity.
        :raises ValueError: for a setting it cannot use, naming it.
        """
        self._config = GuardConfig.of(
            allowed_accounts=allowed_accounts,
            allowed_org_ids=allowed_org_ids,
            require_constructs=require_constructs,
            severities=severities,
        )
        self._is_default = False

    @classmethod
    def _default(cls) -> PermissionGuard:
        guard = cls()
        guard._is_default = True
        return guard

    @property
    def name(self) -> str:
        """The plugin's name: the namespace of its rule IDs."""
        return NAMESPACE

    @property
    def version(self) -> str:
        """The version of constructs-lambdaperm."""
        return VERSION

    @property
    def rule_ids(self) -> list[str]:
        """The rules it reports."""
        return sorted(RULES)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """Read the synthesized stacks and report what is wrong with their permissions."""
        root = context.app_construct
        if self._is_default and root in _GUARDED:
            return cdk.PolicyValidationPluginReport(success=True, violations=[])
        if not self._is_default:
            _GUARDED.add(root)
        manifests: dict[Path, Any] = {}
        library = _LIBRARY.get(root)
        library_paths = frozenset(library or ())
        stacks = [
            from_assembly(found, library_paths)
            for stack in context.stack_templates
            for found in read_stack(
                stack.template_path,
                stack.stack_construct_path,
                account=stack.account_id,
                region=stack.region,
                manifests=manifests,
            )
        ]
        # The assembly records the acknowledgements on a stack's constructs; those on the app
        # and on the constructs between it and its stacks (Stages...) are read from the tree,
        # and recorded in the assembly for `lambdaperm lint cdk.out`.
        outside = _outside_stacks(root)
        if isinstance(root, cdk.App):
            write_outside_stacks(
                Path(root.outdir), [Acknowledged(a.path, a.rule_id, a.reason) for a in outside]
            )
        report = audit(stacks, self._config, acknowledged=outside)
        blocking = report.blocking
        if blocking and os.environ.get(_CLI_ENV):
            _tell_the_cli_user(report)
        return cdk.PolicyValidationPluginReport(
            success=not blocking, violations=_violations(report, library or {})
        )


def _outside_stacks(root: IConstruct) -> list[Acknowledgement]:
    """Acknowledgements on the app and on the constructs between it and its stacks (Stages...).

    The assembly records a stack's own constructs only; these few are read from the tree, a
    few calls into the CDK each.
    """
    found: list[Acknowledgement] = []
    pending = [root]
    while pending:
        node = pending.pop().node
        found.extend(
            Acknowledgement(rule_id, reason, node.path)
            for rule_id, reason in acknowledged_on(node.metadata).items()
        )
        pending.extend(child for child in node.children if not isinstance(child, cdk.Stack))
    return found


# --- the CDK's report -----------------------------------------------------------------------------


def _violations(
    report: AuditReport, library: Mapping[str, Mapping[str, str]]
) -> list[cdk.PolicyViolation]:
    # What a rule could not check at synth is for `.findings` and `lambdaperm lint --verbose`.
    return [_violation(r, library) for r in report.findings if r.finding.evaluated]


def _violation(reported: Reported, library: Mapping[str, Mapping[str, str]]) -> cdk.PolicyViolation:
    finding = reported.finding
    places = reported.places
    if reported.acknowledgement is not None and reported.acknowledgement.in_construct_metadata:
        # Shown where the acknowledgement applies, so that the CDK's own suppression (the same
        # path-based rule) lists it among the report's acknowledged violations with its reason.
        places = places[:1]
    return cdk.PolicyViolation(
        rule_name=finding.rule.id,
        description=_description(reported, library),
        fix=finding.fix,
        severity=_severity(reported),
        violating_resources=[_resource(place) for place in places],
        rule_metadata={"title": finding.rule.title, "documentation": finding.rule.doc_url},
    )


def _description(reported: Reported, library: Mapping[str, Mapping[str, str]]) -> str:
    message = reported.finding.message
    names = _grant_names(reported, library)
    label = parameter_label(reported.finding, names) if names is not None else None
    if label is not None and label != reported.finding.parameter:
        message = f"{label}: {message}"  # the property of this library's construct
    acknowledgement = reported.acknowledgement
    if acknowledgement is not None and not acknowledgement.in_construct_metadata:
        message += f" (acknowledged in the resource's Metadata: {acknowledgement.reason})"
    return message


def _grant_names(
    reported: Reported, library: Mapping[str, Mapping[str, str]]
) -> Mapping[str, str] | None:
    """The property names of this library's grant that made the finding's resource, if one."""
    path = reported.places[0].construct_path if reported.places else None
    while path:
        if path in library:
            return library[path]
        path = path.rpartition("/")[0]
    return None


def _severity(reported: Reported) -> str:
    """How the CDK's report shows a finding.

    Errors are "fatal", which the CDK never lets an acknowledgement suppress. An unsafe finding
    is an "error": the CDK names how to acknowledge it, and suppresses it itself once it is
    acknowledged on its construct or above. An acknowledgement found only in a template's
    Metadata is not one the CDK knows, so its finding is shown as "info".
    """
    if reported.severity is Severity.ERROR:
        return "fatal"
    acknowledgement = reported.acknowledgement
    if acknowledgement is not None and not acknowledgement.in_construct_metadata:
        return "info"
    return "error" if reported.severity is Severity.UNSAFE else "warning"


def _resource(place: Place) -> cdk.PolicyViolatingResource:
    if place.construct_path:
        return cdk.PolicyViolatingResource(
            construct_path=place.construct_path,
            resource_logical_id=place.logical_id,
            template_path=place.template_path,
            locations=[],
        )
    return cdk.PolicyViolatingResource(
        resource_logical_id=place.logical_id,
        template_path=place.template_path,
        locations=[],
    )


def _tell_the_cli_user(report: AuditReport) -> None:
    """One line on stderr: the CLI shows only the findings of the stacks it was asked for."""
    blocking = [r for r in report.blocking if r.rule is not BLOCKED]
    rules = ", ".join(sorted({r.rule.id for r in blocking}))
    print(
        f"[{NAMESPACE}] synth refused: {len(blocking)} finding(s) on Lambda permissions "
        f"refuse deployment ({rules}). `cdk synth '**'` shows every stack's findings; "
        "cdk.out/validation-report.json lists them all.",
        file=sys.stderr,
    )
