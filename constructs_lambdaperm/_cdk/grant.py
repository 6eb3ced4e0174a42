"""What every grant construct shares: checked permissions in, ``CfnPermission`` resources out.

No policy logic lives here: a construct turns its props into ``Permission`` objects and the
findings only it can make (its intent), hands them to ``Grant._emit``, which runs the rules,
raises on invalid values and emits the resources. Unsafe findings are the guard's to report at
synth, when every acknowledgement is known (``plugin``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from aws_cdk import aws_lambda
from constructs import Construct

from .. import _rules
from .._core.errors import PermissionValidationError
from .._core.findings import Finding, Severity
from .._core.model import Permission
from .acknowledge import record_acknowledgements
from .plugin import register_grant

COMMON_NAMES: Mapping[str, str] = {
    "FunctionName": "function",
    "Qualifier": "qualifier",
    "Action": "action",
    "Principal": "principal",
}


class Grant(Construct):
    """What every construct shares: emit checked permissions, keep the findings."""

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = COMMON_NAMES

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Every permission of the app is checked once, at synth, by the guard (ours and others');
        # the grant is recorded as this library's. The scope, not self: scopes already seen
        # cost no call into the CDK.
        register_grant(scope, id, self._PARAMETER_NAMES)
        self.permissions: list[aws_lambda.CfnPermission] = []
        """The ``AWS::Lambda::Permission`` resources this construct made."""
        self.findings: list[Finding] = []
        """Every finding on this grant, including what could not be checked at synth."""

    def _emit(
        self,
        permissions: Sequence[tuple[str, Permission]],
        findings: Sequence[Finding | None] = (),
    ) -> None:
        """Check ``permissions`` (with the construct's own ``findings``), raise, or emit them."""
        checked = [(child_id, p, _rules.check(p)) for child_id, p in permissions]
        own = [f for f in findings if f is not None]
        self.findings = own + [f for _, _, found in checked for f in found]
        self._raise_if_invalid(self.findings)
        unsafe: list[tuple[aws_lambda.CfnPermission, list[Finding]]] = []
        for child_id, permission, found in checked:
            resource = _cfn_permission(self, child_id, permission)
            self.permissions.append(resource)
            unsafe.append((resource, [f for f in found if f.severity is Severity.UNSAFE]))
        record_acknowledgements(self, unsafe)

    def _raise_if_invalid(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.blocking and f.severity is Severity.ERROR]
        if errors:
            raise PermissionValidationError(self.node.path, errors, self._PARAMETER_NAMES)

    def _refuse(self, finding: Finding | None) -> None:
        """Raise now: for a finding that leaves nothing else to check."""
        if finding is not None:
            self._raise_if_invalid([finding])


def _cfn_permission(scope: Construct, id: str, permission: Permission) -> aws_lambda.CfnPermission:
    return aws_lambda.CfnPermission(
        scope,
        id,
        action=permission.action,
        function_name=permission.function_name,
        principal=permission.principal,
        event_source_token=permission.event_source_token,
        function_url_auth_type=permission.function_url_auth_type,
        invoked_via_function_url=permission.invoked_via_function_url,
        principal_org_id=permission.principal_org_id,
        source_account=permission.source_account,
        source_arn=permission.source_arn,
    )
