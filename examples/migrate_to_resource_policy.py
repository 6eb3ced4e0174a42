"""Moving a deployed function from AWS::Lambda::Permission resources to one ResourcePolicy.

The same app, in the three states of a migration without a moment in which invocations fail
(docs/RESOURCE_POLICY.md explains each step and what CloudFormation documents of it). The
context value ``migration`` picks the state; deploy them in this order:

    cdk deploy -c migration=before   # what is deployed today: one permission per grant
    cdk deploy -c migration=retain   # step 1: the same permissions, kept if removed
    cdk deploy -c migration=after    # step 2: one AWS::Lambda::ResourcePolicy per function

``before`` and ``retain`` have the same permissions (``retain`` adds ``DeletionPolicy:
Retain`` to each, which changes nothing in Lambda). In ``after`` the permissions leave the
template: retained, CloudFormation does not delete them, so their statements stay in the
function's policy until the document, created in the same deployment, replaces the whole
policy with statements that allow exactly the same (``resource_policies`` of both states, and
the test of this example, say so request by request). Default: ``after``.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda, aws_s3
from constructs import Construct

from constructs_lambdaperm import (
    ApiGatewayInvokePermission,
    CrossAccountPermission,
    S3InvokePermission,
    use_resource_policy,
)

ACCOUNT = "111111111111"
PARTNER_ACCOUNT = "223456789012"
API_ID = "a1b2c3d4e5"
STEPS = ("before", "retain", "after")
ROUTES = (
    ("GET", "/orders"),
    ("POST", "/orders"),
    ("GET", "/orders/*"),
    ("DELETE", "/orders/*"),
    ("GET", "/reports"),
    ("GET", "/reports/*"),
)


class OrdersStack(cdk.Stack):
    """A function behind an API's routes, fed by a bucket, called by a partner."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        orders = aws_lambda.Function(
            self,
            "Orders",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(event, context):\n    return {}\n"),
        )
        imports = aws_s3.Bucket(
            self,
            "Imports",
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
        )
        # One permission per route, as per-method integrations make them.
        for method, path in ROUTES:
            ApiGatewayInvokePermission(
                self,
                f"{method}{path.replace('/', '-').replace('*', 'Any')}",
                function=orders,
                api_id=API_ID,
                stage="prod",
                method=method,
                path=path,
            )
        S3InvokePermission(self, "FromImports", function=orders, bucket=imports)
        CrossAccountPermission(self, "Partner", function=orders, principal=PARTNER_ACCOUNT)


def build(app: cdk.App, step: str | None = None) -> cdk.App:
    """Add the example's stack to ``app`` in the state ``step`` of the migration.

    Default: - the ``migration`` context value, else ``after``.
    """
    step = step or app.node.try_get_context("migration") or "after"
    if step not in STEPS:
        raise ValueError(f"-c migration={step!r}: give one of {', '.join(STEPS)}")
    stack = OrdersStack(app, "Orders", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    if step == "retain":
        # Step 1: CloudFormation keeps a removed permission (and its statement) instead of
        # deleting it, once this is deployed.
        cdk.RemovalPolicies.of(stack).retain(apply_to_resource_types=["AWS::Lambda::Permission"])
    elif step == "after":
        # Step 2: the grants become one document; their permissions leave the template.
        use_resource_policy(stack)
    return app


if __name__ == "__main__":
    build(cdk.App()).synth()
