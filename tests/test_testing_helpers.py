"""The test helpers users call in their own suites: who can invoke, with helpful failures."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda, aws_s3

from constructs_lambdaperm import (
    CrossAccountPermission,
    FunctionUrlPermission,
    OrgPermission,
    S3InvokePermission,
    resource_policies,
)
from constructs_lambdaperm.testing import assert_can_invoke, assert_cannot_invoke, find_policy

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
UPLOADS = "arn:aws:s3:::uploads"
S3 = "s3.amazonaws.com"


class Fixture:
    """One app shared by the tests of this module (synth-free, so it is never mutated)."""

    def __init__(self) -> None:
        self.app = cdk.App()
        stack = cdk.Stack(
            self.app, "Stack", env=cdk.Environment(account=ACCOUNT_A, region="us-east-1")
        )
        self.stack = stack
        self.fn = aws_lambda.Function(
            stack,
            "Thumbnailer",
            function_name="thumbnailer",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
        )
        self.live = aws_lambda.Alias(
            stack, "Live", alias_name="live", version=self.fn.current_version
        )
        self.quiet = aws_lambda.Function(
            stack,
            "Quiet",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
        )
        bucket = aws_s3.Bucket(stack, "Uploads", bucket_name="uploads")
        S3InvokePermission(stack, "FromUploads", function=self.fn, bucket=bucket)
        CrossAccountPermission(
            stack, "Partner", function=self.fn, principal=f"arn:aws:iam::{ACCOUNT_B}:role/partner"
        )
        OrgPermission(stack, "Org", function=self.live, org_id="o-a1b2c3d4e5")
        FunctionUrlPermission(
            stack, "Url", function=self.live, auth_type="AWS_IAM", principal=ACCOUNT_B
        )


@pytest.fixture(scope="module")
def given() -> Fixture:
    return Fixture()


# The example from the docs: the bucket is in account A. A bucket of the same name in account B
# (after the first is deleted, say) must not invoke the function.


def test_the_bucket_in_account_a_may_invoke(given: Fixture) -> None:
    assert_can_invoke(
        given.app, function=given.fn, principal=S3, source_arn=UPLOADS, source_account=ACCOUNT_A
    )


def test_the_same_bucket_name_in_account_b_may_not(given: Fixture) -> None:
    assert_cannot_invoke(
        given.app, function=given.fn, principal=S3, source_arn=UPLOADS, source_account=ACCOUNT_B
    )


def test_a_failure_lists_the_statements_considered(given: Fixture) -> None:
    with pytest.raises(AssertionError) as raised:
        assert_can_invoke(
            given.app, function=given.fn, principal=S3, source_arn=UPLOADS, source_account=ACCOUNT_B
        )
    message = str(raised.value)
    assert "expected lambda:InvokeFunction by s3.amazonaws.com" in message
    assert (
        "to be allowed by the policy of arn:aws:lambda:us-east-1:111111111111:function:thumb"
        in message
    )
    assert "Statements considered (2):" in message
    assert "Stack/FromUploads/Resource" in message
    assert f"StringEquals AWS:SourceAccount: '{ACCOUNT_B}' does not match '{ACCOUNT_A}'" in message
    assert "Stack/Partner/Resource" in message
    assert "does not match s3.amazonaws.com" in message


def test_a_wrong_expectation_of_denial_fails_too(given: Fixture) -> None:
    with pytest.raises(AssertionError, match="to be denied"):
        assert_cannot_invoke(
            given.app, function=given.fn, principal=S3, source_arn=UPLOADS, source_account=ACCOUNT_A
        )


@pytest.mark.parametrize(
    "function",
    [
        "thumbnailer",
        "arn:aws:lambda:us-east-1:111111111111:function:thumbnailer",
        "Thumbnailer4D0E1F33",
    ],
)
def test_a_function_can_be_named_by_name_arn_or_logical_id(given: Fixture, function: str) -> None:
    logical_id = given.stack.resolve(given.fn.node.default_child.logical_id)  # type: ignore[union-attr]
    function = function.replace("Thumbnailer4D0E1F33", logical_id)
    assert_can_invoke(
        given.app, function=function, principal=f"arn:aws:iam::{ACCOUNT_B}:role/partner"
    )
    assert_cannot_invoke(
        given.app, function=function, principal=f"arn:aws:iam::{ACCOUNT_B}:role/other"
    )


def test_an_alias_has_its_own_policy(given: Fixture) -> None:
    org: dict[str, Any] = {
        "principal": f"arn:aws:iam::{ACCOUNT_B}:role/any",
        "principal_org_id": "o-a1b2c3d4e5",
    }
    assert_can_invoke(given.app, function=given.live, **org)
    assert_can_invoke(given.app, function="thumbnailer:live", **org)
    assert_can_invoke(given.app, function=given.fn, qualifier="live", **org)
    assert_cannot_invoke(given.app, function=given.fn, **org)


def test_a_function_url_call_needs_both_actions(given: Fixture) -> None:
    url: dict[str, Any] = {
        "principal": f"arn:aws:iam::{ACCOUNT_B}:user/caller",
        "via_function_url": True,
        "function_url_auth_type": "AWS_IAM",
    }
    assert_can_invoke(given.app, function=given.live, **url)
    assert_cannot_invoke(
        given.app,
        function=given.live,
        **{**url, "via_function_url": False},
        action="lambda:InvokeFunction",
    )
    with pytest.raises(AssertionError, match=r"lambda:InvokeFunction \+ lambda:InvokeFunctionUrl"):
        assert_can_invoke(
            given.app, function=given.live, **{**url, "function_url_auth_type": "NONE"}
        )


def test_a_function_without_a_policy_cannot_be_invoked_through_one(given: Fixture) -> None:
    assert find_policy(given.app, given.quiet) is None
    assert_cannot_invoke(given.app, function=given.quiet, principal=ACCOUNT_B)
    with pytest.raises(AssertionError, match="has no resource-based policy"):
        assert_can_invoke(given.app, function=given.quiet, principal=ACCOUNT_B)


def test_a_function_the_source_does_not_know_fails(given: Fixture) -> None:
    with pytest.raises(AssertionError, match="no function 'thumbnailr' in the source"):
        assert_cannot_invoke(given.app, function="thumbnailr", principal=ACCOUNT_B)


def test_several_functions_need_a_choice(given: Fixture) -> None:
    other = cdk.App()
    stack = cdk.Stack(other, "S", env=cdk.Environment(account=ACCOUNT_A, region="us-east-1"))
    CrossAccountPermission(stack, "A", function="fn-a", principal=ACCOUNT_B)
    CrossAccountPermission(stack, "B", function="fn-b", principal=ACCOUNT_B)
    with pytest.raises(
        AssertionError, match=r"pass function=\.\.\.: the source has policies for 2"
    ):
        assert_can_invoke(other, principal=ACCOUNT_B)
    assert_can_invoke(other, function="fn-a", principal=ACCOUNT_B)


def test_policies_and_templates_are_sources_too(given: Fixture) -> None:
    policies = resource_policies(given.app)
    assert_can_invoke(
        policies, function="thumbnailer", principal=S3, source_arn=UPLOADS, source_account=ACCOUNT_A
    )
    template = {
        "Resources": {
            "P": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:fn",
                    "Action": "lambda:InvokeFunction",
                    "Principal": ACCOUNT_B,
                },
            }
        }
    }
    assert_can_invoke(template, principal=f"arn:aws:iam::{ACCOUNT_B}:role/r")
    assert_cannot_invoke(template, principal=ACCOUNT_A)


def test_a_deploy_time_value_never_passes_silently() -> None:
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "P": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:fn",
                    "Action": "lambda:InvokeFunction",
                    "Principal": "sns.amazonaws.com",
                    "SourceArn": {"Ref": "Topic"},
                },
            },
        }
    }
    sns: dict[str, Any] = {
        "principal": "sns.amazonaws.com",
        "source_arn": "arn:aws:sns:us-east-1:111111111111:topic",
    }
    for check in (assert_can_invoke, assert_cannot_invoke):
        with pytest.raises(AssertionError, match="cannot tell at synth"):
            check(template, **sns)
    # The known parts (an SNS topic) already rule out an S3 bucket.
    assert_cannot_invoke(template, principal="sns.amazonaws.com", source_arn=UPLOADS)


def test_a_version_has_its_own_policy() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT_A, region="us-east-1"))
    fn = aws_lambda.Function(
        stack,
        "Fn",
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
    )
    CrossAccountPermission(stack, "OnVersion", function=fn.current_version, principal=ACCOUNT_B)
    assert_can_invoke(app, function=fn.current_version, principal=ACCOUNT_B)
    assert_cannot_invoke(app, function=fn, principal=ACCOUNT_B)
