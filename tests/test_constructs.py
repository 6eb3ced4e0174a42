"""The constructs: what they refuse, how, and what an acknowledgement changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda, aws_s3

from conftest import make_function as function
from constructs_lambdaperm import (
    CrossAccountPermission,
    FunctionUrlPermission,
    OrgPermission,
    PermissionValidationError,
    S3InvokePermission,
)

PermissionsOf = Callable[[cdk.Stack], dict[str, Any]]
IMPORTED_ARN = "arn:aws:lambda:us-east-1:111111111111:function:thumbnailer"


def acknowledge(scope: Any, rule_id: str, reason: str = "reviewed by the platform team") -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def synth_errors(stack: cdk.Stack) -> str:
    # ValidationFailedWithErrors from a construct's validation, ValidationFailed from the plugin.
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        cdk.assertions.Template.from_stack(stack)
    return str(raised.value)


# --- invalid values: refused at once, with path, parameter, value, rule and fix -------------


def test_error_names_path_parameter_value_rule_and_fix(stack: cdk.Stack) -> None:
    with pytest.raises(PermissionValidationError) as raised:
        S3InvokePermission(
            stack, "FromUploads", function="fn", bucket_arn="arn:aws:s3:::b", source_account="12345"
        )
    message = str(raised.value)
    assert "'Stack/FromUploads'" in message
    assert "source_account (SourceAccount)" in message
    assert "'12345'" in message
    assert "[LambdaPerm::LP106]" in message
    assert "Fix: pass the 12-digit ID" in message
    assert isinstance(raised.value, ValueError)
    assert [f.rule.id for f in raised.value.findings] == ["LP106"]


def test_every_invalid_value_is_reported_at_once(stack: cdk.Stack) -> None:
    with pytest.raises(PermissionValidationError) as raised:
        CrossAccountPermission(
            stack, "Partner", function="f" * 65, principal="2234567890", qualifier="$LATEST"
        )
    assert {f.rule.id for f in raised.value.findings} == {"LP110", "LP111", "LP113"}


@pytest.mark.parametrize(
    "props",
    [
        pytest.param({}, id="neither"),
        pytest.param({"bucket_arn": "arn:aws:s3:::b", "bucket": "both"}, id="both"),
    ],
)
def test_s3_takes_exactly_one_of_bucket_and_bucket_arn(
    stack: cdk.Stack, props: dict[str, Any]
) -> None:
    if props.get("bucket") == "both":
        props["bucket"] = aws_s3.Bucket(stack, "B")
    with pytest.raises(PermissionValidationError, match="LP201"):
        S3InvokePermission(stack, "P", function="fn", source_account="111111111111", **props)


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:s3:::bucket/*", "arn:aws:sns:us-east-1:111111111111:topic", "arn:aws:s3:::"],
)
def test_s3_source_must_be_a_bucket_arn(stack: cdk.Stack, arn: str) -> None:
    with pytest.raises(PermissionValidationError, match="LP202"):
        S3InvokePermission(stack, "P", function="fn", bucket_arn=arn, source_account="111111111111")


def test_s3_source_account_must_be_the_buckets(stack: cdk.Stack) -> None:
    bucket = aws_s3.Bucket(stack, "Uploads")
    with pytest.raises(PermissionValidationError, match="LP203"):
        S3InvokePermission(stack, "P", function="fn", bucket=bucket, source_account="999999999999")


@pytest.mark.parametrize("principal", ["*", "s3.amazonaws.com", "alexa-appkit.amazon.com"])
def test_cross_account_refuses_everyone_and_services(stack: cdk.Stack, principal: str) -> None:
    with pytest.raises(PermissionValidationError, match="LP204"):
        CrossAccountPermission(stack, "P", function="fn", principal=principal)


@pytest.mark.parametrize("principal", ["22345678901", "2234567890123", "partner"])
def test_cross_account_refuses_malformed_ids(stack: cdk.Stack, principal: str) -> None:
    with pytest.raises(PermissionValidationError, match="LP113"):
        CrossAccountPermission(stack, "P", function="fn", principal=principal)


def test_public_url_principal_must_be_everyone(stack: cdk.Stack) -> None:
    with pytest.raises(PermissionValidationError, match="LP204"):
        FunctionUrlPermission(
            stack, "Url", function="fn", auth_type="NONE", principal="223456789012"
        )


def test_url_auth_type_is_checked(stack: cdk.Stack) -> None:
    with pytest.raises(PermissionValidationError, match="LP109"):
        FunctionUrlPermission(
            stack, "Url", function="fn", auth_type="IAM", principal="223456789012"
        )


@pytest.mark.parametrize(
    ("function_input", "qualifier"),
    [("fn:live", "prod"), (IMPORTED_ARN + ":live", "prod")],
)
def test_conflicting_qualifiers_are_refused(
    stack: cdk.Stack, function_input: str, qualifier: str
) -> None:
    with pytest.raises(PermissionValidationError, match="LP112"):
        OrgPermission(
            stack, "Org", function=function_input, org_id="o-a1b2c3d4e5", qualifier=qualifier
        )


def test_alias_and_a_different_qualifier_are_refused(stack: cdk.Stack) -> None:
    alias = aws_lambda.Alias(
        stack, "Live", alias_name="live", version=function(stack).current_version
    )
    with pytest.raises(PermissionValidationError, match="LP112"):
        OrgPermission(stack, "Org", function=alias, org_id="o-a1b2c3d4e5", qualifier="prod")


def test_latest_is_refused_as_suffix_and_as_qualifier(stack: cdk.Stack) -> None:
    with pytest.raises(PermissionValidationError, match="LP111"):
        OrgPermission(stack, "A", function="fn:$LATEST", org_id="o-a1b2c3d4e5")
    with pytest.raises(PermissionValidationError, match="LP111"):
        OrgPermission(
            stack, "B", function=function(stack), org_id="o-a1b2c3d4e5", qualifier="$LATEST"
        )


# --- unsafe grants: refused at synth unless acknowledged --------------------------------------


def test_unsafe_grant_is_refused_at_synth(stack: cdk.Stack) -> None:
    CrossAccountPermission(
        stack, "Partner", function="fn", principal="223456789012", action="lambda:*"
    )
    errors = synth_errors(stack)
    assert "Stack/Partner/Resource" in errors
    assert "action (Action): Action 'lambda:*' grants every Lambda action" in errors
    assert "Acknowledge with 'LambdaPerm::LP305'" in errors


@pytest.mark.parametrize("where", ["construct before", "construct after", "stack", "app"])
def test_acknowledged_unsafe_grant_is_emitted_with_the_reason_in_its_metadata(
    app: cdk.App, stack: cdk.Stack, permissions_of: PermissionsOf, where: str
) -> None:
    reason = "partner manages its own aliases, agreed in ticket SEC-42"
    if where == "stack":
        acknowledge(stack, "LambdaPerm::LP305", reason)
    if where == "app":
        acknowledge(app, "LambdaPerm::LP305", reason)
    grant = CrossAccountPermission(
        stack, "Partner", function="fn", principal="223456789012", action="lambda:*"
    )
    if where.startswith("construct"):
        acknowledge(grant, "LambdaPerm::LP305", reason)
    (resource,) = permissions_of(stack).values()
    assert resource["Metadata"] == {"aws:cdk:acknowledged-rules": {"LambdaPerm::LP305": reason}}
    assert resource["Properties"]["Action"] == "lambda:*"


def test_acknowledging_one_rule_does_not_acknowledge_another(stack: cdk.Stack) -> None:
    grant = FunctionUrlPermission(stack, "Url", function="fn", auth_type="AWS_IAM", principal="*")
    acknowledge(grant, "LambdaPerm::LP306")
    assert "LambdaPerm::LP307" in synth_errors(stack)


def test_a_short_reason_is_refused(stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "P", function="fn", principal="223456789012", action="*")
    acknowledge(grant, "LambdaPerm::LP305", "ok")
    assert "at least 10 characters" in synth_errors(stack)


def test_an_unknown_rule_id_is_refused(stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "P", function="fn", principal="223456789012")
    acknowledge(grant, "LambdaPerm::LP999")
    assert "no such rule" in synth_errors(stack)


def test_acknowledging_an_error_rule_is_refused(stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "P", function="fn", principal="223456789012")
    acknowledge(grant, "LambdaPerm::LP106")
    assert "LambdaPerm::LP106 is acknowledged but cannot be" in synth_errors(stack)


def test_an_id_without_the_namespace_gets_a_hint(stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "P", function="fn", principal="223456789012", action="*")
    acknowledge(grant, "LP305")
    assert "write 'LambdaPerm::LP305'" in synth_errors(stack)


def test_public_function_url_needs_one_acknowledgement(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    grant = FunctionUrlPermission(stack, "Url", function="fn", auth_type="NONE", principal="*")
    acknowledge(grant, "LambdaPerm::LP306", "a public webhook, reviewed in SEC-7")
    resources = permissions_of(stack)
    assert len(resources) == 2
    assert [r.get("Metadata") for r in resources.values()].count(None) == 1


# --- deploy-time values: never refused for being deploy-time ---------------------------------


def test_cross_stack_references_and_imports_are_not_refused(
    app: cdk.App, permissions_of: PermissionsOf
) -> None:
    producer = cdk.Stack(
        app, "Producer", env=cdk.Environment(account="111111111111", region="us-east-1")
    )
    consumer = cdk.Stack(
        app, "Consumer", env=cdk.Environment(account="111111111111", region="us-east-1")
    )
    fn = function(producer)
    bucket = aws_s3.Bucket(producer, "Uploads")
    S3InvokePermission(consumer, "FromUploads", function=fn, bucket=bucket)
    imported = aws_lambda.Function.from_function_arn(consumer, "Imported", IMPORTED_ARN)
    CrossAccountPermission(consumer, "Partner", function=imported, principal="223456789012")
    resources = permissions_of(consumer)
    assert len(resources) == 2
    assert all("Fn::ImportValue" in str(r) or IMPORTED_ARN in str(r) for r in resources.values())


def test_parameters_are_checked_at_deploy_and_reported(stack: cdk.Stack) -> None:
    account = cdk.CfnParameter(stack, "PartnerAccount").value_as_string
    org = cdk.CfnParameter(stack, "OrgId").value_as_string
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal=account)
    OrgPermission(stack, "Org", function="fn", org_id=org)
    cdk.assertions.Template.from_stack(stack)
    assert {f.rule.id for f in grant.findings if not f.evaluated} >= {"LP104"}


def test_env_agnostic_bucket_of_the_app_is_pinned_to_its_stacks_account(
    agnostic_stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    # As aws-cdk's LambdaDestination does: the bucket is created in that stack's account.
    bucket = aws_s3.Bucket(agnostic_stack, "Uploads")
    S3InvokePermission(agnostic_stack, "FromUploads", function="fn", bucket=bucket)
    (resource,) = permissions_of(agnostic_stack).values()
    assert resource["Properties"]["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_env_agnostic_bucket_with_deploy_time_account_is_accepted(
    agnostic_stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    bucket = aws_s3.Bucket(agnostic_stack, "Uploads")
    S3InvokePermission(
        agnostic_stack,
        "FromUploads",
        function="fn",
        bucket=bucket,
        source_account=cdk.Aws.ACCOUNT_ID,
    )
    (resource,) = permissions_of(agnostic_stack).values()
    assert resource["Properties"]["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_permissions_attribute_lists_the_resources(stack: cdk.Stack) -> None:
    grant = FunctionUrlPermission(
        stack, "Url", function="fn", auth_type="AWS_IAM", principal="223456789012"
    )
    assert [p.node.id for p in grant.permissions] == ["InvokeFunctionUrl", "InvokeFunction"]
    assert all(isinstance(p, aws_lambda.CfnPermission) for p in grant.permissions)


def test_wildcard_bucket_is_unsafe(stack: cdk.Stack) -> None:
    S3InvokePermission(
        stack,
        "AnyUploads",
        function="fn",
        bucket_arn="arn:aws:s3:::uploads-*",
        source_account="111111111111",
    )
    assert "LambdaPerm::LP304" in synth_errors(stack)
