"""An app that grants access to one function in the four ways this library offers.

Run it with ``make synth`` (or ``npx cdk synth`` in the project root, which reads cdk.json).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda, aws_s3
from constructs import Construct

from constructs_lambdaperm import (
    CrossAccountPermission,
    FunctionUrlPermission,
    OrgPermission,
    S3InvokePermission,
)

PARTNER_ACCOUNT = "223456789012"
ORGANIZATION = "o-a1b2c3d4e5"


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
        live = aws_lambda.Alias(
            self, "Live", alias_name="live", version=handler.current_version
        )
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


def build(app: cdk.App) -> cdk.App:
    """Add the example's stacks to ``app``."""
    ThumbnailStack(
        app,
        "ThumbnailService",
        env=cdk.Environment(account="111111111111", region="us-east-1"),
    )
    return app


if __name__ == "__main__":
    build(cdk.App()).synth()
