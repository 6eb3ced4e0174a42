"""Every input to the constructs gets a clear answer (issue 14, the constructs).

Wrong Python types, missing or empty required values, intrinsics built with ``Fn.join``,
pseudo-parameters, API Gateway routes, another account's function, imported buckets and a
literal alias name: each example was accepted silently, or crashed, before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import (
    aws_apigateway,
    aws_apigatewayv2,
    aws_events,
    aws_lambda,
    aws_logs,
    aws_s3,
    aws_sns,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ACCOUNT, REGION, plugin_violations
from conftest import make_function as function
from constructs_lambdaperm import (
    AlexaSkillPermission,
    ApiGatewayInvokePermission,
    CrossAccountPermission,
    EventBridgeInvokePermission,
    FunctionUrlPermission,
    LogsSubscriptionPermission,
    OrgPermission,
    PermissionValidationError,
    S3InvokePermission,
    ServiceInvokePermission,
    SnsInvokePermission,
)
from constructs_lambdaperm.testing import assert_can_invoke, assert_cannot_invoke

PermissionsOf = Callable[[cdk.Stack], dict[str, Any]]
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:worker"
OTHER = "222222222222"


def refused(build: Callable[[], object]) -> PermissionValidationError:
    with pytest.raises(PermissionValidationError) as raised:
        build()
    return raised.value


def synth_errors(stack: cdk.Stack) -> str:
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        cdk.assertions.Template.from_stack(stack)
    return str(raised.value)


# --- 1: wrong Python types: a TypeError with the construct path and the parameter ----------

WRONG_TYPES: dict[str, tuple[Callable[[cdk.Stack], object], str, str]] = {
    "org_id None": (
        lambda s: OrgPermission(s, "X", function=FN, org_id=None),  # type: ignore[arg-type]
        "org_id",
        "must be str; got NoneType",
    ),
    "a topic as bucket": (
        lambda s: S3InvokePermission(s, "X", function=FN, bucket=aws_sns.Topic(s, "T")),  # type: ignore[arg-type]
        "bucket",
        "must be aws_s3.IBucket or None; got Topic",
    ),
    "an int as principal": (
        lambda s: CrossAccountPermission(s, "X", function=FN, principal=223456789012),  # type: ignore[arg-type]
        "principal",
        "must be str; got int",
    ),
    "bytes as principal": (
        lambda s: CrossAccountPermission(s, "X", function=FN, principal=b"223456789012"),  # type: ignore[arg-type]
        "principal",
        "must be str; got bytes",
    ),
    "function None": (
        lambda s: CrossAccountPermission(s, "X", function=None, principal="223456789012"),  # type: ignore[arg-type]
        "function",
        "must be aws_lambda.IFunction or aws_lambda.IVersion or aws_lambda.IAlias or str",
    ),
    "a bucket as topic": (
        lambda s: SnsInvokePermission(s, "X", function=FN, topic=aws_s3.Bucket(s, "B")),  # type: ignore[arg-type]
        "topic",
        "must be aws_sns.ITopic or None; got Bucket",
    ),
    "a topic as rule": (
        lambda s: EventBridgeInvokePermission(s, "X", function=FN, rule=aws_sns.Topic(s, "T")),  # type: ignore[arg-type]
        "rule",
        "must be aws_events.IRule or None",
    ),
    "a topic as log group": (
        lambda s: LogsSubscriptionPermission(
            s,
            "X",
            function=FN,
            log_group=aws_sns.Topic(s, "T"),  # type: ignore[arg-type]
        ),
        "log_group",
        "must be aws_logs.ILogGroup or None",
    ),
    "a bucket as api": (
        lambda s: ApiGatewayInvokePermission(s, "X", function=FN, api=aws_s3.Bucket(s, "B")),  # type: ignore[arg-type]
        "api",
        "aws_apigateway.IRestApi or aws_apigatewayv2.IHttpApi or aws_apigatewayv2.IWebSocketApi",
    ),
    "a string as smart_home": (
        lambda s: AlexaSkillPermission(s, "X", function=FN, skill_id="s", smart_home="yes"),  # type: ignore[arg-type]
        "smart_home",
        "must be bool; got str",
    ),
    "an int as auth_type": (
        lambda s: FunctionUrlPermission(s, "X", function=FN, auth_type=1, principal="*"),  # type: ignore[arg-type]
        "auth_type",
        "must be aws_lambda.FunctionUrlAuthType or str; got int",
    ),
    "None as principal": (
        lambda s: ServiceInvokePermission(s, "X", function=FN, principal=None),  # type: ignore[arg-type]
        "principal",
        "must be str; got NoneType",
    ),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_a_wrong_type_names_the_construct_path_and_the_parameter(
    stack: cdk.Stack, case: str
) -> None:
    build, parameter, words = WRONG_TYPES[case]
    with pytest.raises(TypeError) as raised:
        build(stack)
    message = str(raised.value)
    assert "at 'Stack/X'" in message
    assert f"type of argument {parameter} " in message
    assert words in message
    assert stack.node.try_find_child("X") is None  # refused before anything was added


def test_a_wrong_scope_is_named_too() -> None:
    with pytest.raises(TypeError, match="type of argument scope must be Construct; got str"):
        CrossAccountPermission("Stack", "X", function=FN, principal="223456789012")  # type: ignore[arg-type]


def test_every_kind_of_cdk_object_is_accepted_where_its_interface_is(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    fn = function(stack)
    version = aws_lambda.Version.from_version_arn(stack, "V", FN + ":3")  # a dynamic proxy
    CrossAccountPermission(stack, "OnVersion", function=version, principal="223456789012")
    imported = aws_lambda.Function.from_function_arn(stack, "I", FN)
    CrossAccountPermission(stack, "OnImported", function=imported, principal="223456789012")
    FunctionUrlPermission(
        stack,
        "Url",
        function=fn,
        auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM,
        principal="223456789012",
    )
    bucket = aws_s3.Bucket.from_bucket_attributes(
        stack, "B", bucket_arn="arn:aws:s3:::uploads", account=ACCOUNT
    )
    S3InvokePermission(stack, "S3", function=fn, bucket=bucket, source_account=ACCOUNT)
    api = aws_apigatewayv2.HttpApi(stack, "Http")
    ApiGatewayInvokePermission(stack, "Api", function=fn, api=api)
    assert len(permissions_of(stack)) == 6


# --- 1: a missing or empty required value is an error, never a fallback -------------------


@pytest.mark.parametrize(
    ("build", "rule", "prop"),
    [
        (lambda s: OrgPermission(s, "X", function=FN, org_id=""), "LP107", "org_id"),
        (
            lambda s: ServiceInvokePermission(
                s, "X", function=FN, principal="sns.amazonaws.com", source_account=""
            ),
            "LP106",
            "source_account",
        ),
        (
            lambda s: ServiceInvokePermission(
                s,
                "X",
                function=FN,
                principal="sns.amazonaws.com",
                source_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:t",
                source_account="",
            ),
            "LP106",
            "source_account",
        ),
        (
            lambda s: S3InvokePermission(
                s, "X", function=FN, bucket_arn="arn:aws:s3:::b", source_account=""
            ),
            "LP106",
            "source_account",
        ),
        (lambda s: CrossAccountPermission(s, "X", function=FN, principal=""), "LP104", "principal"),
        (lambda s: AlexaSkillPermission(s, "X", function=FN, skill_id=""), "LP108", "skill_id"),
        (
            lambda s: CrossAccountPermission(s, "X", function="", principal=OTHER),
            "LP101",
            "function",
        ),
    ],
)
def test_an_empty_required_value_is_refused_by_name(
    stack: cdk.Stack, build: Callable[[cdk.Stack], object], rule: str, prop: str
) -> None:
    error = refused(lambda: build(stack))
    assert rule in {f.rule.id for f in error.findings}
    assert f"{prop} (" in str(error)


# --- 3c: explicit Fn.join / Fn.sub are read as the template reader reads them --------------


@pytest.mark.parametrize(
    "arn",
    [
        lambda: cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":sqs:::x"]),
        lambda: cdk.Fn.sub("arn:${AWS::Partition}:sqs:::x"),
        lambda: cdk.Fn.join(":", ["arn", "aws", "s3", "", "", "b/c"]),
    ],
)
def test_an_intrinsic_that_is_no_bucket_arn_is_refused(
    stack: cdk.Stack, arn: Callable[[], str]
) -> None:
    error = refused(
        lambda: S3InvokePermission(
            stack, "X", function=FN, bucket_arn=arn(), source_account=ACCOUNT
        )
    )
    assert "LP202" in {f.rule.id for f in error.findings}
    assert "is not an S3 bucket ARN" in str(error)


def test_an_intrinsic_that_fits_is_emitted_as_it_was_given(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    arn = cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":s3:::uploads"])
    S3InvokePermission(stack, "X", function=FN, bucket_arn=arn, source_account=ACCOUNT)
    (resource,) = permissions_of(stack).values()
    assert resource["Properties"]["SourceArn"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::uploads"]]
    }


def test_a_principal_of_an_intrinsic_is_read_too(stack: cdk.Stack) -> None:
    principal = cdk.Fn.join(".", ["sns", cdk.Aws.URL_SUFFIX])
    error = refused(lambda: CrossAccountPermission(stack, "X", function=FN, principal=principal))
    assert "LP204" in {f.rule.id for f in error.findings}


# --- 3d: $LATEST and long names inside partly known values ---------------------------------


@pytest.mark.parametrize("env", [True, False], ids=["stack-with-env", "agnostic"])
def test_latest_inside_an_imported_functions_arn_is_refused(app: cdk.App, env: bool) -> None:
    where = cdk.Environment(account=ACCOUNT, region=REGION) if env else None
    stack = cdk.Stack(app, "S", env=where)
    fn = aws_lambda.Function.from_function_name(stack, "F", "f:$LATEST")
    error = refused(lambda: CrossAccountPermission(stack, "X", function=fn, principal=OTHER))
    assert "LP111" in {f.rule.id for f in error.findings}


def test_a_long_name_in_an_arn_built_with_the_region_is_refused(stack: cdk.Stack) -> None:
    name = f"arn:aws:lambda:{cdk.Aws.REGION}:{ACCOUNT}:function:{'x' * 65}"
    error = refused(lambda: CrossAccountPermission(stack, "X", function=name, principal=OTHER))
    assert "LP110" in {f.rule.id for f in error.findings}


# --- 3e: API Gateway routes ----------------------------------------------------------------

API_ID = "a1b2c3d4e5"


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"method": "FETCH"}, "method 'FETCH' is not an HTTP method"),
        ({"method": "get"}, "write it as API Gateway does: 'GET'"),
        ({"api_id": ""}, "api_id '' is not an API ID"),
        ({"api_id": "abc/def"}, "api_id 'abc/def' is not an API ID"),
        ({"api_id": "abc:def"}, "api_id 'abc:def' is not an API ID"),
        (
            {"api_id": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}"},
            "not its ARN or URL",
        ),
        ({"stage": ""}, "stage '' is not a stage name"),
    ],
)
def test_a_route_api_gateway_never_writes_is_refused(
    stack: cdk.Stack, props: dict[str, str], words: str
) -> None:
    arguments: dict[str, Any] = {"api_id": API_ID, **props}
    error = refused(lambda: ApiGatewayInvokePermission(stack, "X", function=FN, **arguments))
    assert {f.rule.id for f in error.findings} == {"LP202"}
    assert words in str(error)
    assert "api / api_id, stage, method, path (SourceArn)" in str(error)


@pytest.mark.parametrize(
    ("method", "path", "source"),
    [
        ("ANY", "/orders/{id}", f"{API_ID}/prod/*/orders/*"),
        ("GET", "/orders/{id}", f"{API_ID}/prod/GET/orders/*"),
        ("GET", "/{proxy+}", f"{API_ID}/prod/GET/*"),
    ],
)
def test_a_route_is_written_as_api_gateway_writes_it(
    stack: cdk.Stack, permissions_of: PermissionsOf, method: str, path: str, source: str
) -> None:
    ApiGatewayInvokePermission(
        stack, "X", function=FN, api_id=API_ID, stage="prod", method=method, path=path
    )
    (resource,) = permissions_of(stack).values()
    assert resource["Properties"]["SourceArn"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, f":execute-api:{REGION}:{ACCOUNT}:{source}"],
        ]
    }


def test_the_real_request_is_allowed_by_a_route_with_a_path_parameter(app: cdk.App) -> None:
    stack = cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    fn = function(stack)
    ApiGatewayInvokePermission(
        stack, "Orders", function=fn, api_id=API_ID, stage="prod", method="GET", path="/orders/{id}"
    )
    request = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/GET/orders/123"
    invoker: dict[str, Any] = {"principal": "apigateway.amazonaws.com", "source_account": ACCOUNT}
    assert_can_invoke(app, function=fn, source_arn=request, **invoker)
    assert_cannot_invoke(app, function=fn, source_arn=request.replace("GET", "POST"), **invoker)


def test_a_websocket_api_takes_a_custom_route_key(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    api = aws_apigatewayv2.WebSocketApi(stack, "Ws")
    ApiGatewayInvokePermission(
        stack, "X", function=FN, api=api, stage="prod", method="sendMessage", path=""
    )
    assert len(permissions_of(stack)) == 1
    error = refused(
        lambda: ApiGatewayInvokePermission(
            stack, "Y", function=FN, api_id=API_ID, method="sendMessage", path=""
        )
    )
    assert "a custom route key needs api=" in str(error)


def test_a_rest_api_is_still_taken_by_its_id(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    api = aws_apigateway.RestApi(stack, "Api")
    api.root.add_method("GET", aws_apigateway.MockIntegration())
    ApiGatewayInvokePermission(stack, "X", function=FN, api=api, method="GET", path="/")
    (resource,) = permissions_of(stack).values()
    assert "ApiF70053CD" in json.dumps(resource["Properties"]["SourceArn"])


# --- 3f: EventBridge rule names --------------------------------------------------------------


@pytest.mark.parametrize("resource", ["rule/orders-bus/", "rule//on-order", "rule/"])
def test_an_eventbridge_rule_arn_with_an_empty_name_segment_is_refused(
    stack: cdk.Stack, resource: str
) -> None:
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:{resource}"
    error = refused(lambda: EventBridgeInvokePermission(stack, "X", function=FN, rule_arn=arn))
    assert "LP202" in {f.rule.id for f in error.findings}


# --- 3g: a token that limits nothing, a service as an account, a URL unsafe either way -----


def test_a_token_does_not_tie_sns_to_a_source(stack: cdk.Stack) -> None:
    ServiceInvokePermission(
        stack, "X", function=FN, principal="sns.amazonaws.com", event_source_token="abc"
    )
    errors = synth_errors(stack)
    assert "LambdaPerm::LP302" in errors
    assert "only Alexa presents one" in errors


def test_a_service_principal_built_with_the_url_suffix_is_no_account(stack: cdk.Stack) -> None:
    error = refused(
        lambda: CrossAccountPermission(
            stack, "X", function=FN, principal=f"sns.{cdk.Aws.URL_SUFFIX}"
        )
    )
    assert {f.rule.id for f in error.findings} == {"LP204"}
    assert "'sns.<deploy-time value>' is a service principal" in str(error)


def test_a_public_principal_on_a_url_of_deploy_time_auth_type_is_refused(
    stack: cdk.Stack,
) -> None:
    auth = cdk.CfnParameter(stack, "Auth", allowed_values=["NONE", "AWS_IAM"])
    FunctionUrlPermission(stack, "X", function=FN, auth_type=auth.value_as_string, principal="*")
    errors = synth_errors(stack)
    assert "LambdaPerm::LP306" in errors
    assert "LambdaPerm::LP307" in errors


# --- 3i: a grant on another account's function ------------------------------------------------


def test_a_grant_on_another_accounts_function_is_refused(stack: cdk.Stack) -> None:
    fn = aws_lambda.Function.from_function_arn(
        stack, "F", f"arn:aws:lambda:{REGION}:{OTHER}:function:theirs"
    )
    error = refused(lambda: CrossAccountPermission(stack, "X", function=fn, principal=OTHER))
    assert {f.rule.id for f in error.findings} == {"LP205"}
    assert f"is in account {OTHER}" in str(error)
    as_text = f"arn:aws:lambda:{REGION}:{OTHER}:function:theirs:live"
    error = refused(lambda: OrgPermission(stack, "Y", function=as_text, org_id="o-abcdefghij"))
    assert {f.rule.id for f in error.findings} == {"LP205"}
    partial = f"{OTHER}:function:theirs"
    error = refused(lambda: CrossAccountPermission(stack, "Z", function=partial, principal=OTHER))
    assert {f.rule.id for f in error.findings} == {"LP205"}


def test_a_function_of_another_stack_in_another_account_is_refused(app: cdk.App) -> None:
    theirs = cdk.Stack(app, "Theirs", env=cdk.Environment(account=OTHER, region=REGION))
    ours = cdk.Stack(app, "Ours", env=cdk.Environment(account=ACCOUNT, region=REGION))
    fn = function(theirs)
    error = refused(lambda: CrossAccountPermission(ours, "X", function=fn, principal=OTHER))
    assert {f.rule.id for f in error.findings} == {"LP205"}


_ACCOUNTS = st.sampled_from([ACCOUNT, OTHER, "333333333333", None])
"""An account ID, or None for one known only at deploy time."""


@settings(max_examples=30, deadline=None)
@given(
    function_account=_ACCOUNTS, stack_account=_ACCOUNTS, form=st.sampled_from(["arn", "partial"])
)
def test_lp205_refuses_exactly_when_both_accounts_are_known_and_differ(
    function_account: str | None, stack_account: str | None, form: str
) -> None:
    app = cdk.App()
    env = cdk.Environment(account=stack_account, region=REGION) if stack_account else None
    stack = cdk.Stack(app, "S", env=env)
    account = function_account or cdk.Aws.ACCOUNT_ID
    name = (
        f"arn:aws:lambda:{REGION}:{account}:function:fn"
        if form == "arn"
        else f"{account}:function:fn"
    )

    def build() -> object:
        return CrossAccountPermission(stack, "X", function=name, principal=OTHER)

    if function_account and stack_account and function_account != stack_account:
        assert {f.rule.id for f in refused(build).findings} == {"LP205"}
    else:
        build()  # no refusal: the same account, or one side known only at deploy time


@pytest.mark.parametrize("agnostic", ["stack", "function"])
def test_a_deploy_time_account_on_either_side_is_not_refused(
    app: cdk.App, agnostic: str, permissions_of: PermissionsOf
) -> None:
    env = None if agnostic == "stack" else cdk.Environment(account=ACCOUNT, region=REGION)
    stack = cdk.Stack(app, "S", env=env)
    arn = f"arn:aws:lambda:{REGION}:{OTHER}:function:theirs"
    if agnostic == "function":
        arn = f"arn:aws:lambda:{REGION}:{cdk.Aws.ACCOUNT_ID}:function:theirs"
    fn = aws_lambda.Function.from_function_arn(stack, "F", arn)
    CrossAccountPermission(stack, "X", function=fn, principal=OTHER)
    assert len(permissions_of(stack)) == 1


# --- 3j: an imported bucket and a bucket ARN get one answer ----------------------------------


@pytest.mark.parametrize("given_as", ["bucket", "bucket_arn"])
def test_an_imported_bucket_needs_its_owner_as_a_bucket_arn_does(
    stack: cdk.Stack, given_as: str
) -> None:
    arn = "arn:aws:s3:::partner-uploads"
    source: dict[str, Any] = {"bucket_arn": arn}
    if given_as == "bucket":
        source = {"bucket": aws_s3.Bucket.from_bucket_arn(stack, "B", arn)}
    S3InvokePermission(stack, "X", function=FN, **source)
    errors = synth_errors(stack)
    assert "LambdaPerm::LP303" in errors
    assert "'arn:aws:s3:::partner-uploads' names no account" in errors


def test_an_imported_bucket_with_its_own_account_is_pinned_to_it(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    bucket = aws_s3.Bucket.from_bucket_attributes(
        stack, "B", bucket_arn="arn:aws:s3:::partner-uploads", account=OTHER
    )
    S3InvokePermission(stack, "X", function=FN, bucket=bucket)
    (resource,) = permissions_of(stack).values()
    assert resource["Properties"]["SourceAccount"] == OTHER


def test_a_bucket_of_another_stack_of_the_app_is_pinned_to_that_stacks_account(
    app: cdk.App, permissions_of: PermissionsOf
) -> None:
    producer = cdk.Stack(app, "Producer", env=cdk.Environment(account=OTHER, region=REGION))
    consumer = cdk.Stack(app, "Consumer", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bucket = aws_s3.Bucket(producer, "Uploads", bucket_name="uploads-of-the-producer")
    S3InvokePermission(consumer, "X", function=FN, bucket=bucket)
    (resource,) = permissions_of(consumer).values()
    assert resource["Properties"]["SourceAccount"] == OTHER


# --- 3k: a literal alias name: the permission waits for the alias -----------------------------


def test_a_permission_on_a_literal_alias_depends_on_the_alias(
    stack: cdk.Stack, permissions_of: PermissionsOf
) -> None:
    fn = function(stack)
    CrossAccountPermission(stack, "Early", function=fn, qualifier="live", principal=OTHER)
    alias = aws_lambda.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    CrossAccountPermission(stack, "Late", function=fn, qualifier="live", principal=OTHER)
    fn.add_alias("beta")
    OrgPermission(stack, "Beta", function=fn, qualifier="beta", org_id="o-abcdefghij")
    CrossAccountPermission(stack, "Version", function=fn, qualifier="7", principal=OTHER)
    CrossAccountPermission(stack, "Nowhere", function=fn, qualifier="gone", principal=OTHER)
    resources = permissions_of(stack)
    live = stack.get_logical_id(alias.node.default_child)  # type: ignore[arg-type]
    depends = {k: v.get("DependsOn") for k, v in resources.items()}
    assert depends == {
        next(k for k in depends if k.startswith("Early")): [live],
        next(k for k in depends if k.startswith("Late")): [live],
        next(k for k in depends if k.startswith("Beta")): [
            next(k for k in _aliases(stack) if k != live)
        ],
        next(k for k in depends if k.startswith("Version")): None,
        next(k for k in depends if k.startswith("Nowhere")): None,
    }


def test_a_grant_in_another_stack_waits_for_the_alias_by_its_stack(tmp_path: Path) -> None:
    # A DependsOn cannot cross stacks (CloudFormation refuses one naming a resource it does not
    # hold): the grant's stack depends on the function's stack instead, which holds the alias.
    app = cdk.App(outdir=str(tmp_path))
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    functions = cdk.Stack(app, "Functions", env=env)
    fn = function(functions)
    aws_lambda.Alias(functions, "Live", alias_name="live", version=fn.current_version)
    grants = cdk.Stack(app, "Grants", env=env)
    CrossAccountPermission(grants, "Partner", function=fn, qualifier="live", principal=OTHER)
    assembly = app.synth()
    template = assembly.get_stack_by_name("Grants").template
    (permission,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"
    ]
    assert "DependsOn" not in permission
    assert "Functions" in [d.id for d in assembly.get_stack_by_name("Grants").dependencies]


def _aliases(stack: cdk.Stack) -> list[str]:
    found = cdk.assertions.Template.from_stack(stack).find_resources("AWS::Lambda::Alias")
    return sorted(found)


# --- 4: what .findings says ---------------------------------------------------------------


def test_a_finding_the_grants_permissions_share_is_reported_once(stack: cdk.Stack) -> None:
    fn = function(stack)
    grant = FunctionUrlPermission(stack, "X", function=fn, auth_type="AWS_IAM", principal=OTHER)
    assert len(grant.permissions) == 2
    messages = [(f.rule.id, f.message) for f in grant.findings]
    assert len(messages) == len(set(messages))
    assert [rule for rule, _ in messages].count("LP101") == 1


# --- 3l: an acknowledgement in the wrong case, at synth -------------------------------------


def test_an_acknowledgement_in_the_wrong_case_fails_synth_with_lp501(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    grant = FunctionUrlPermission(stack, "Url", function=FN, auth_type="NONE", principal="*")
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id="lambdaperm::LP306", reason="a public webhook, see SEC-9")
    )
    with pytest.raises(RuntimeError, match="LP306"):
        app.synth()
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP306", reason="a public webhook, see SEC-9")
    )
    with pytest.raises(RuntimeError, match="LP501"):
        app.synth()
    assert plugin_violations(app) == [("LP501", "fatal", ["S/Url"])]


# Keep the imports the tables use in one place for mypy's sake.
__all__ = ["aws_events", "aws_logs"]


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("arn:aws:s3:::bucket", {"LP101"}),  # no function, so no account to compare
        (f"arn:aws:lambda:{REGION}:{OTHER}:function", {"LP205"}),  # the function "function"
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", set()),
        ("arn", set()),
        ("arn:aws", set()),
    ],
)
def test_the_account_of_a_function_name_is_read_only_from_a_valid_one(
    stack: cdk.Stack, name: str, rules: set[str]
) -> None:
    def build() -> None:
        CrossAccountPermission(stack, "X", function=name, principal=OTHER)

    if rules:
        assert {f.rule.id for f in refused(build).findings} == rules
    else:
        build()
