"""AWS CDK constructs that grant access to AWS Lambda functions, checked when the app synthesizes.

Every grant becomes an ``AWS::Lambda::Permission``: one statement of the function's
resource-based policy. These constructs check each one at ``cdk synth``: invalid values raise
``PermissionValidationError`` at once, and unsafe grants (a public function, a service principal
with no source...) are refused unless the rule is acknowledged in code with a reason::

    Validations.of(scope).acknowledge(Acknowledgment(id="LambdaPerm::LP306", reason="..."))

The model and the rules are pure Python: importing them, or the ``lambdaperm`` command, needs
neither Node.js nor the CDK. The constructs load ``aws_cdk`` on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._core.errors import PermissionValidationError
from ._core.findings import NAMESPACE, Finding, Rule, Severity
from ._core.model import Permission, PrincipalKind
from ._core.version import VERSION
from ._policy.evaluate import Evaluation, StatementVerdict
from ._policy.policies import PolicyEvaluationError, PolicyStatement, ResourcePolicy
from ._rules import RULES, check
from ._sources import resource_policies

__version__ = VERSION
"""This distribution's version."""

if TYPE_CHECKING:
    from ._cdk.constructs import (
        CrossAccountPermission,
        FunctionUrlPermission,
        OrgPermission,
        S3InvokePermission,
    )
    from ._cdk.mirror import mirror_acknowledgements
    from ._cdk.plugin import PermissionGuard, enforce_policy_budget
    from ._cdk.resource_policy import use_resource_policy
    from ._cdk.service_constructs import (
        AlexaSkillPermission,
        ApiGatewayInvokePermission,
        EventBridgeInvokePermission,
        LogsSubscriptionPermission,
        ServiceInvokePermission,
        SnsInvokePermission,
    )

__all__ = [
    "NAMESPACE",
    "RULES",
    "AlexaSkillPermission",
    "ApiGatewayInvokePermission",
    "CrossAccountPermission",
    "Evaluation",
    "EventBridgeInvokePermission",
    "Finding",
    "FunctionUrlPermission",
    "LogsSubscriptionPermission",
    "OrgPermission",
    "Permission",
    "PermissionGuard",
    "PermissionValidationError",
    "PolicyEvaluationError",
    "PolicyStatement",
    "PrincipalKind",
    "ResourcePolicy",
    "Rule",
    "S3InvokePermission",
    "ServiceInvokePermission",
    "Severity",
    "SnsInvokePermission",
    "StatementVerdict",
    "check",
    "enforce_policy_budget",
    "mirror_acknowledgements",
    "resource_policies",
    "use_resource_policy",
]

_CDK_NAMES = {
    "CrossAccountPermission": "_cdk.constructs",
    "FunctionUrlPermission": "_cdk.constructs",
    "OrgPermission": "_cdk.constructs",
    "S3InvokePermission": "_cdk.constructs",
    "AlexaSkillPermission": "_cdk.service_constructs",
    "ApiGatewayInvokePermission": "_cdk.service_constructs",
    "EventBridgeInvokePermission": "_cdk.service_constructs",
    "LogsSubscriptionPermission": "_cdk.service_constructs",
    "ServiceInvokePermission": "_cdk.service_constructs",
    "SnsInvokePermission": "_cdk.service_constructs",
    "enforce_policy_budget": "_cdk.plugin",
    "PermissionGuard": "_cdk.plugin",
    "mirror_acknowledgements": "_cdk.mirror",
    "use_resource_policy": "_cdk.resource_policy",
}
"""The constructs, loaded with aws_cdk on first use, by the private module that holds each."""


def _publish(value: Any) -> Any:
    if isinstance(value, type):
        # Reprs, tracebacks and docs show the public path, not the private module.
        value.__module__ = __name__
    return value


def __getattr__(name: str) -> Any:
    if name in _CDK_NAMES:
        module = importlib.import_module(f".{_CDK_NAMES[name]}", __name__)
        value = _publish(getattr(module, name))
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


for _name in __all__:
    if _name not in _CDK_NAMES:
        _publish(globals()[_name])
