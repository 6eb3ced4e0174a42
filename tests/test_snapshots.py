"""Snapshots of the AWS::Lambda::Permission resources each construct synthesizes, per shape.

Each snapshot was read against the AddPermission reference and the statement facts sheet before
it was accepted; regenerate with ``pytest --snapshot-update`` and read the diff the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda, aws_s3
from syrupy.assertion import SnapshotAssertion

from constructs_lambdaperm import (
    CrossAccountPermission,
    FunctionUrlPermission,
    OrgPermission,
    S3InvokePermission,
)

ENV = cdk.Environment(account="111111111111", region="us-east-1")
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:thumbnailer"
Shape = Callable[[cdk.Stack], object]


def _function(stack: cdk.Stack) -> aws_lambda.Function:
    return aws_lambda.Function(
        stack,
        "Fn",
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(event, context): pass"),
    )


def _alias(stack: cdk.Stack) -> aws_lambda.Alias:
    return aws_lambda.Alias(
        stack, "Live", alias_name="live", version=_function(stack).current_version
    )


def _acknowledged(grant: Any, rule_id: str) -> Any:
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id=rule_id, reason="reviewed: see the security design doc")
    )
    return grant


SHAPES: dict[str, Shape] = {
    "s3_bucket_in_stack": lambda s: S3InvokePermission(
        s, "FromUploads", function=_function(s), bucket=aws_s3.Bucket(s, "Uploads")
    ),
    "s3_bucket_arn_and_account": lambda s: S3InvokePermission(
        s,
        "FromUploads",
        function=FUNCTION_ARN,
        bucket_arn="arn:aws:s3:::uploads-bucket",
        source_account="222222222222",
    ),
    "s3_imported_bucket_on_alias": lambda s: S3InvokePermission(
        s,
        "FromUploads",
        function=_alias(s),
        bucket=aws_s3.Bucket.from_bucket_name(s, "Imported", "uploads-bucket"),
        # An imported bucket may be in any account: its owner is given (LP303 otherwise).
        source_account="111111111111",
    ),
    "s3_name_with_qualifier": lambda s: S3InvokePermission(
        s,
        "FromUploads",
        function="thumbnailer",
        qualifier="7",
        bucket_arn="arn:aws-cn:s3:::uploads-bucket",
        source_account="222222222222",
    ),
    "cross_account_id": lambda s: CrossAccountPermission(
        s, "Partner", function=FUNCTION_ARN, principal="223456789012"
    ),
    "cross_account_role_get_function": lambda s: CrossAccountPermission(
        s,
        "Partner",
        function=_function(s),
        principal="arn:aws:iam::223456789012:role/deployer",
        action="lambda:GetFunction",
    ),
    "cross_account_user_on_version": lambda s: CrossAccountPermission(
        s,
        "Partner",
        function=_function(s).current_version,
        principal="arn:aws:iam::223456789012:user/alice",
    ),
    "cross_account_root_partial_arn": lambda s: CrossAccountPermission(
        s,
        "Partner",
        function="111111111111:function:thumbnailer:live",
        principal="arn:aws:iam::223456789012:root",
    ),
    "cross_account_wildcard_acknowledged": lambda s: _acknowledged(
        CrossAccountPermission(
            s, "Partner", function=FUNCTION_ARN, principal="223456789012", action="lambda:*"
        ),
        "LambdaPerm::LP305",
    ),
    "org_on_alias": lambda s: OrgPermission(
        s, "WholeOrg", function=_alias(s), org_id="o-a1b2c3d4e5"
    ),
    "org_on_function_with_qualifier": lambda s: OrgPermission(
        s, "WholeOrg", function=_function(s), org_id="o-a1b2c3d4e5", qualifier="live"
    ),
    "url_iam_role": lambda s: FunctionUrlPermission(
        s,
        "Url",
        function=_function(s),
        auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM,
        principal="arn:aws:iam::223456789012:role/caller",
    ),
    "url_iam_account_on_alias_arn": lambda s: FunctionUrlPermission(
        s, "Url", function=FUNCTION_ARN + ":live", auth_type="AWS_IAM", principal="223456789012"
    ),
    "url_public_acknowledged": lambda s: _acknowledged(
        FunctionUrlPermission(s, "Url", function=_function(s), auth_type="NONE", principal="*"),
        "LambdaPerm::LP306",
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_synthesized_permissions(
    shape: str,
    stack: cdk.Stack,
    permissions_of: Callable[[cdk.Stack], dict[str, Any]],
    snapshot_json: SnapshotAssertion,
) -> None:
    SHAPES[shape](stack)
    assert permissions_of(stack) == snapshot_json


def test_synthesizing_twice_gives_byte_identical_templates(tmp_path: Path) -> None:
    def synth(outdir: Path) -> dict[str, bytes]:
        app = cdk.App(outdir=str(outdir))
        for name, build in sorted(SHAPES.items()):
            build(cdk.Stack(app, name.replace("_", "-"), env=ENV))
        assembly = app.synth()
        return {s.stack_name: Path(s.template_full_path).read_bytes() for s in assembly.stacks}

    first = synth(tmp_path / "first")
    assert first == synth(tmp_path / "second")
    assert len(first) == len(SHAPES)
