"""An app that grants access to its functions in every way this library offers.

Run it with ``make synth`` (or ``npx cdk synth`` in the project root, which reads cdk.json).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2, aws_events, aws_lambda, aws_logs, aws_s3, aws_sns
from constructs import Construct

from constructs_lambdaperm import (
    AlexaSkillPermission,
    ApiGatewayInvokePermission,
    CrossAccountPermission,
    EventBridgeInvokePermission,
    FunctionUrlPermission,
    LogsSubscriptionPermission,
    OrgPermission,
    PermissionGuard,
    S3InvokePermission,
    ServiceInvokePermission,
    SnsInvokePermission,
)

ACCOUNT = "111111111111"
PARTNER_ACCOUNT = "223456789012"
ORGANIZATION = "o-a1b2c3d4e5"
SKILL_ID = "amzn1.ask.skill.0f7c8a2e-3b1d-4c5e-9a6f-2d4b6c8e0a1f"


class ThumbnailStack(cdk.Stack):
    """A function that makes thumbnails, and who may invoke it."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        handler = aws_lambda.Function(
            self,
            "Thumbnailer",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(event, context):\n    return event\n"),
        )
        live = aws_lambda.Alias(self, "Live", alias_name="live", version=handler.current_version)
        uploads = aws_s3.Bucket(
            self,
            "Uploads",
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
        )
        handler.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM)

        # S3 notifications from the uploads bucket; SourceAccount comes from the stack's account.
        S3InvokePermission(self, "FromUploads", function=handler, bucket=uploads)
        # A partner account may call the function directly.
        CrossAccountPermission(self, "Partner", function=handler, principal=PARTNER_ACCOUNT)
        # Every account of the organization may invoke the live alias.
        OrgPermission(self, "WholeOrg", function=live, org_id=ORGANIZATION)
        # One role of the partner may call the function URL (both permissions, signed requests).
        FunctionUrlPermission(
            self,
            "Url",
            function=handler,
            auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM,
            principal=f"arn:aws:iam::{PARTNER_ACCOUNT}:role/thumbnail-caller",
        )


class EventsStack(cdk.Stack):
    """A function that handles events from AWS services, each grant tied to its source."""

    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        handler = aws_lambda.Function(
            self,
            "EventHandler",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(event, context):\n    return {}\n"),
        )
        alerts = aws_sns.Topic(self, "Alerts")
        nightly = aws_events.Rule(
            self, "Nightly", schedule=aws_events.Schedule.cron(hour="3", minute="0")
        )
        api = aws_apigatewayv2.HttpApi(self, "Api")
        app_logs = aws_logs.LogGroup(self, "AppLogs", retention=aws_logs.RetentionDays.ONE_MONTH)

        SnsInvokePermission(self, "FromAlerts", function=handler, topic=alerts)
        EventBridgeInvokePermission(self, "FromNightly", function=handler, rule=nightly)
        # One wildcard route for the whole API: one statement instead of one per route.
        ApiGatewayInvokePermission(self, "FromApi", function=handler, api=api)
        LogsSubscriptionPermission(self, "FromAppLogs", function=handler, log_group=app_logs)
        AlexaSkillPermission(self, "FromSkill", function=handler, skill_id=SKILL_ID)
        # Any other service: the general form, with the source resource's ARN.
        ServiceInvokePermission(
            self,
            "FromIotRule",
            function=handler,
            principal="iot.amazonaws.com",
            source_arn=f"arn:aws:iot:us-east-1:{self.account}:rule/telemetry",
        )


def build(app: cdk.App) -> cdk.App:
    """Add the example's stacks to ``app``, with the platform team's guard."""
    # Every Lambda permission of the app, whoever makes it, is checked at synth; these grants
    # may name only the app's account, the partner and the organization.
    cdk.Validations.of(app).add_plugins(
        PermissionGuard(allowed_accounts=[ACCOUNT, PARTNER_ACCOUNT], allowed_org_ids=[ORGANIZATION])
    )
    env = cdk.Environment(account=ACCOUNT, region="us-east-1")
    ThumbnailStack(app, "ThumbnailService", env=env)
    EventsStack(app, "EventHandlers", env=env)
    return app


if __name__ == "__main__":
    build(cdk.App()).synth()
