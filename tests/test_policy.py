"""The policies Lambda will hold: permissions grouped per function and qualifier, sized.

Templates are read without the CDK; CDK apps are read from their construct tree. With
deploy-time values the size is an upper bound, and a property test deploys random values
within AWS's limits to check that it is one.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam, aws_lambda, aws_s3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lambdaperm import (
    CrossAccountPermission,
    FunctionUrlPermission,
    ResourcePolicy,
    S3InvokePermission,
    resource_policies,
)

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:my-function"


def _permission(function_name: Any, principal: Any = "223456789012", **more: Any) -> dict[str, Any]:
    properties = {
        "FunctionName": function_name,
        "Action": "lambda:InvokeFunction",
        "Principal": principal,
        **more,
    }
    return {"Type": "AWS::Lambda::Permission", "Properties": properties}


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


ENV = {"stack_name": "Stack", "account": ACCOUNT, "region": "us-east-2"}


# --- templates -------------------------------------------------------------------------------


def test_one_policy_per_function_and_qualifier() -> None:
    template = _template(
        ByName=_permission("my-function"),
        ByArn=_permission(
            FUNCTION,
            principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::b",
            SourceAccount=ACCOUNT,
        ),
        ByPartialArn=_permission(f"{ACCOUNT}:function:my-function", principal="323456789012"),
        OnAlias=_permission("my-function:live"),
        OnVersion=_permission(FUNCTION + ":1"),
        Other=_permission("other-function"),
    )
    policies = resource_policies(template, **ENV)
    shape = [
        (p.function.rsplit(":", 1)[-1], p.qualifier, [s.logical_id for s in p.statements])
        for p in policies
    ]
    assert shape == [
        ("my-function", None, ["ByArn", "ByName", "ByPartialArn"]),
        ("my-function", "1", ["OnVersion"]),
        ("my-function", "live", ["OnAlias"]),
        ("other-function", None, ["Other"]),
    ]
    assert all(not p.size_is_bound for p in policies)


def test_a_policy_is_the_document_getpolicy_returns() -> None:
    template = _template(
        S3=_permission(
            "my-function",
            principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::my-bucket-1xpuxmplzrlbh",
            SourceAccount=ACCOUNT,
        ),
        X=_permission("my-function"),
    )
    (policy,) = resource_policies(template, **ENV)
    assert policy.document["Version"] == "2012-10-17"
    assert policy.document["Id"] == "default"
    assert [s["Sid"] for s in policy.document["Statement"]] == [
        "Stack-S3-XXXXXXXXXXXX",
        "Stack-X-XXXXXXXXXXXX",
    ]
    # The §1 statements with their 2-character Sids are 558 bytes; these Sids are longer.
    sid_growth = (
        len("Stack-S3-XXXXXXXXXXXX") - len("s3") + len("Stack-X-XXXXXXXXXXXX") - len("xaccount")
    )
    assert policy.size == 558 + sid_growth == len(policy.to_json().encode())
    assert policy.limit == 20480
    assert policy.resource == FUNCTION


def test_the_document_is_a_copy() -> None:
    (policy,) = resource_policies(_template(X=_permission("my-function")), **ENV)
    policy.document["Statement"].clear()
    assert len(policy.document["Statement"]) == 1


def test_references_to_the_same_function_are_tied_together() -> None:
    template = _template(
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "named"}},
        Anonymous={"Type": "AWS::Lambda::Function", "Properties": {}},
        ByGetAtt=_permission({"Fn::GetAtt": ["Fn", "Arn"]}),
        ByRef=_permission({"Ref": "Fn"}),
        ByLiteralArn=_permission(f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:named"),
        BySub=_permission({"Fn::Sub": "${Fn.Arn}"}),
        OnAnonymous=_permission({"Fn::GetAtt": ["Anonymous", "Arn"]}),
        OnAnonymousByRef=_permission({"Ref": "Anonymous"}),
    )
    named, anonymous = sorted(resource_policies(template, **ENV), key=lambda p: p.size_is_bound)
    assert [s.logical_id for s in named.statements] == [
        "ByGetAtt",
        "ByLiteralArn",
        "ByRef",
        "BySub",
    ]
    assert (named.function_stack, named.function_logical_id) == ("Stack", "Fn")
    assert not named.size_is_bound
    assert [s.logical_id for s in anonymous.statements] == ["OnAnonymous", "OnAnonymousByRef"]
    assert anonymous.function_logical_id == "Anonymous"
    assert anonymous.size_is_bound
    assert "${Token[Stack.Anonymous.FunctionName;max=64]}" in anonymous.function


def test_aliases_and_versions_have_their_own_policies() -> None:
    template = _template(
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "fn"}},
        Live={
            "Type": "AWS::Lambda::Alias",
            "Properties": {"Name": "live", "FunctionName": {"Ref": "Fn"}},
        },
        V={"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        OnAlias=_permission({"Ref": "Live"}),
        OnAliasByJoin=_permission({"Fn::Join": [":", [{"Fn::GetAtt": ["Fn", "Arn"]}, "live"]]}),
        OnVersion=_permission({"Ref": "V"}),
    )
    policies = resource_policies(template, **ENV)
    by_qualifier = {p.qualifier: [s.logical_id for s in p.statements] for p in policies}
    assert by_qualifier["live"] == ["OnAlias", "OnAliasByJoin"]
    (version,) = [q for q in by_qualifier if q and q != "live"]
    assert version == "${Token[Stack.V.Version;max=10]}"
    assert {p.function for p in policies} == {f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:fn"}


def test_deploy_time_sources_are_bounded_by_what_they_refer_to() -> None:
    template = {
        "Parameters": {"Source": {"Type": "String", "MaxLength": 40}},
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Api": {"Type": "AWS::ApiGateway::RestApi"},
            "FromBucket": _permission(
                FUNCTION,
                principal="s3.amazonaws.com",
                SourceArn={"Fn::GetAtt": ["Bucket", "Arn"]},
                SourceAccount={"Ref": "AWS::AccountId"},
            ),
            "FromApi": _permission(
                FUNCTION,
                principal="apigateway.amazonaws.com",
                SourceArn={
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":execute-api:",
                            {"Ref": "AWS::Region"},
                            ":",
                            {"Ref": "AWS::AccountId"},
                            ":",
                            {"Ref": "Api"},
                            "/*/GET/items",
                        ],
                    ]
                },
            ),
            "FromParameter": _permission(
                FUNCTION, principal="sns.amazonaws.com", SourceArn={"Ref": "Source"}
            ),
            "FromImport": _permission(
                FUNCTION, principal="sns.amazonaws.com", SourceArn={"Fn::ImportValue": "elsewhere"}
            ),
        },
    }
    (policy,) = resource_policies(template, **ENV)
    arns = {
        s.logical_id: s.statement["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in policy.statements
    }
    assert arns["FromBucket"] == "arn:aws:s3:::${Token[Stack.Bucket.BucketName;max=63]}"
    assert arns["FromApi"] == (
        f"arn:aws:execute-api:us-east-2:{ACCOUNT}:${{Token[Stack.Api.Id;max=10]}}/*/GET/items"
    )
    assert arns["FromParameter"] == "${Token[value.Stack.Source;max=40]}"
    assert arns["FromImport"] == "${Token[value.ImportValue.elsewhere;max=1024]}"
    from_bucket = next(s for s in policy.statements if s.logical_id == "FromBucket")
    assert from_bucket.statement["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    assert policy.size_is_bound
    assert policy.known_size < policy.size == len(policy.to_json().encode())


def test_an_import_of_an_export_in_the_same_template_is_followed() -> None:
    template = {
        "Outputs": {
            "A": {"Value": "arn:aws:sns:us-east-2:123456789012:t", "Export": {"Name": "topic"}}
        },
        "Resources": {
            "P": _permission(
                FUNCTION, principal="sns.amazonaws.com", SourceArn={"Fn::ImportValue": "topic"}
            )
        },
    }
    (policy,) = resource_policies(template, **ENV)
    assert not policy.size_is_bound


def test_no_value_leaves_the_property_out() -> None:
    template = _template(
        P=_permission(FUNCTION, principal="s3.amazonaws.com", SourceAccount={"Ref": "AWS::NoValue"})
    )
    (policy,) = resource_policies(template, **ENV)
    assert "Condition" not in policy.statements[0].statement


def test_an_unknown_environment_and_stack_name_are_bounded() -> None:
    (policy,) = resource_policies(_template(P=_permission("my-function")))
    (statement,) = policy.statements
    assert statement.statement["Resource"] == (
        "arn:${Token[template.AWS.Partition;max=10]}:lambda:${Token[template.AWS.Region;max=20]}:"
        "${Token[template.AWS.AccountId;max=12]}:function:my-function"
    )
    assert len(statement.to_json()) == statement.size
    assert len(statement.statement["Sid"]) > 0


# --- the bound is a bound --------------------------------------------------------------------

REGIONS = {
    "us-east-1": "aws",
    "ap-southeast-5": "aws",
    "cn-northwest-1": "aws-cn",
    "us-gov-west-1": "aws-us-gov",
    "us-isob-east-1": "aws-iso-b",
    "us-isof-south-1": "aws-iso-f",
    "eusc-de-east-1": "aws-eusc",
}

FUNCTION_NAMES = [
    {"Fn::GetAtt": ["Fn", "Arn"]},
    {"Ref": "Fn"},
    {"Ref": "Live"},
    {"Fn::Join": ["", [{"Fn::GetAtt": ["Fn", "Arn"]}, ":live"]]},
    {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:literal"},
    "literal",
]
PRINCIPALS = [
    "s3.amazonaws.com",
    {"Ref": "AWS::AccountId"},
    "*",
    "arn:aws:iam::222222222222:role/r",
    "223456789012",
]
SOURCE_ARNS = [
    None,
    {"Fn::GetAtt": ["Bucket", "Arn"]},
    {"Ref": "Topic"},
    {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":execute-api:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":",
                {"Ref": "Api"},
                "/",
                {"Ref": "Stage"},
                "/GET/items",
            ],
        ]
    },
    {"Ref": "Source"},
    "arn:aws:s3:::literal-bucket",
]
SOURCE_ACCOUNTS = [None, {"Ref": "AWS::AccountId"}, "111111111111"]


def _names(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


DEPLOYMENTS = st.fixed_dictionaries(
    {
        "stack": _names(string.ascii_letters + string.digits + "-", 1, 128),
        "account": _names(string.digits, 12, 12),
        "region": st.sampled_from(sorted(REGIONS)),
        "function": _names(string.ascii_letters + string.digits + "-_", 1, 64).filter(
            lambda n: n != "literal"
        ),
        "bucket": _names(string.ascii_lowercase + string.digits + ".-", 3, 63),
        "topic": _names(string.ascii_letters + string.digits + "-_", 1, 256),
        "api": _names(string.ascii_lowercase + string.digits, 10, 10),
        "stage": _names(string.ascii_letters + string.digits + "-_", 1, 128),
        "source": _names(string.ascii_letters + string.digits + ":/*-", 12, 40),
    }
)
GRANTS = st.lists(
    st.tuples(
        st.sampled_from(range(len(FUNCTION_NAMES))),
        st.sampled_from(range(len(PRINCIPALS))),
        st.sampled_from(range(len(SOURCE_ARNS))),
        st.sampled_from(range(len(SOURCE_ACCOUNTS))),
    ),
    min_size=1,
    max_size=8,
)


def _symbolic(grants: list[tuple[int, int, int, int]]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Live": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {"Name": "live", "FunctionName": {"Ref": "Fn"}},
        },
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Api": {"Type": "AWS::ApiGateway::RestApi"},
        "Stage": {"Type": "AWS::ApiGateway::Stage"},
    }
    for i, (function, principal, source_arn, source_account) in enumerate(grants):
        more = {
            "SourceArn": SOURCE_ARNS[source_arn],
            "SourceAccount": SOURCE_ACCOUNTS[source_account],
        }
        resources[f"Grant{i}"] = _permission(
            FUNCTION_NAMES[function],
            PRINCIPALS[principal],
            **{k: v for k, v in more.items() if v is not None},
        )
    return {"Parameters": {"Source": {"Type": "String", "MaxLength": 40}}, "Resources": resources}


def _deploy(value: Any, d: dict[str, str]) -> Any:
    """The value CloudFormation would pass once the stack is deployed with ``d``."""
    partition = REGIONS[d["region"]]
    function_arn = f"arn:{partition}:lambda:{d['region']}:{d['account']}:function:{d['function']}"
    refs = {
        "AWS::Partition": partition,
        "AWS::Region": d["region"],
        "AWS::AccountId": d["account"],
        "Fn": d["function"],
        "Live": function_arn + ":live",
        "Api": d["api"],
        "Stage": d["stage"],
        "Source": d["source"],
        "Topic": f"arn:{partition}:sns:{d['region']}:{d['account']}:{d['topic']}",
    }
    attributes = {"Fn.Arn": function_arn, "Bucket.Arn": f"arn:{partition}:s3:::{d['bucket']}"}
    if isinstance(value, dict):
        ((function, argument),) = value.items()
        if function == "Ref":
            return refs[argument]
        if function == "Fn::GetAtt":
            return attributes[".".join(argument)]
        if function == "Fn::Join":
            return argument[0].join(_deploy(item, d) for item in argument[1])
        if function == "Fn::Sub":
            text = argument
            for name, replacement in {**refs, **attributes}.items():
                text = text.replace("${" + name + "}", replacement)
            return text
    return value


def _deployed(template: dict[str, Any], d: dict[str, str]) -> dict[str, Any]:
    resources = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Permission":
            continue
        properties = {k: _deploy(v, d) for k, v in resource["Properties"].items()}
        resources[logical_id] = {**resource, "Properties": properties}
    return {"Resources": resources}


def _by_statements(policies: list[ResourcePolicy]) -> dict[frozenset[str], ResourcePolicy]:
    return {frozenset(s.logical_id for s in p.statements): p for p in policies}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grants=GRANTS, deployment=DEPLOYMENTS)
def test_the_size_with_deploy_time_values_is_an_upper_bound(
    grants: list[tuple[int, int, int, int]], deployment: dict[str, str]
) -> None:
    template = _symbolic(grants)
    bounded = _by_statements(resource_policies(template))
    deployed = _by_statements(
        resource_policies(
            _deployed(template, deployment),
            stack_name=deployment["stack"],
            account=deployment["account"],
            region=deployment["region"],
        )
    )
    assert set(bounded) == set(deployed)
    for statements, policy in deployed.items():
        assert not policy.size_is_bound
        assert bounded[statements].known_size <= policy.size <= bounded[statements].size


# --- CDK apps --------------------------------------------------------------------------------

ENV_A = cdk.Environment(account="111111111111", region="us-east-1")


def _function(stack: cdk.Stack, name: str | None = None) -> aws_lambda.Function:
    return aws_lambda.Function(
        stack,
        "Fn",
        function_name=name,
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
    )


@pytest.fixture(scope="module")
def two_stacks() -> tuple[cdk.App, cdk.Stack, cdk.Stack, aws_lambda.Function]:
    app = cdk.App()
    producer = cdk.Stack(app, "Producer", env=ENV_A)
    consumer = cdk.Stack(app, "Consumer", env=ENV_A)
    fn = _function(producer)
    live = aws_lambda.Alias(producer, "Live", alias_name="live", version=fn.current_version)
    uploads = aws_s3.Bucket(producer, "Uploads", bucket_name="uploads")
    S3InvokePermission(producer, "FromUploads", function=fn, bucket=uploads)
    CrossAccountPermission(consumer, "Partner", function=fn, principal="223456789012")
    FunctionUrlPermission(
        consumer,
        "Url",
        function=live,
        auth_type="AWS_IAM",
        principal="arn:aws:iam::223456789012:role/caller",
    )
    fn.add_permission(
        "Sns",
        principal=aws_iam.ServicePrincipal("sns.amazonaws.com"),
        source_arn="arn:aws:sns:us-east-1:111111111111:t",
    )
    cdk.CfnResource(
        consumer,
        "Raw",
        type="AWS::Lambda::Permission",
        properties={
            "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:imported",
            "Action": "lambda:InvokeFunction",
            "Principal": "223456789012",
        },
    )
    return app, producer, consumer, fn


def test_an_app_has_one_policy_per_function_and_qualifier_across_stacks(
    two_stacks: tuple[cdk.App, cdk.Stack, cdk.Stack, aws_lambda.Function],
) -> None:
    app, _, _, _ = two_stacks
    shape = [
        (p.qualifier, p.function_stack, p.function_logical_id, [s.location for s in p.statements])
        for p in resource_policies(app)
    ]
    assert shape == [
        (
            None,
            "Producer",
            "Fn9270CBC0",
            ["Consumer/Partner/Resource", "Producer/Fn/Sns", "Producer/FromUploads/Resource"],
        ),
        (
            "live",
            "Producer",
            "Fn9270CBC0",
            ["Consumer/Url/InvokeFunction", "Consumer/Url/InvokeFunctionUrl"],
        ),
        (None, None, None, ["Consumer/Raw"]),
    ]


def test_a_stack_source_gives_the_whole_policies_it_contributes_to(
    two_stacks: tuple[cdk.App, cdk.Stack, cdk.Stack, aws_lambda.Function],
) -> None:
    _, producer, consumer, _ = two_stacks
    assert len(resource_policies(consumer)) == 3
    (unqualified, alias) = resource_policies(producer)
    assert len(unqualified.statements) == 3
    assert alias.qualifier == "live"


def test_cdk_statements_render_as_lambda_writes_them(
    two_stacks: tuple[cdk.App, cdk.Stack, cdk.Stack, aws_lambda.Function],
) -> None:
    app, _, _, _ = two_stacks
    policy = resource_policies(app)[0]
    s3 = next(s for s in policy.statements if s.logical_id.startswith("FromUploads"))
    name = "${Token[Producer.Fn9270CBC0.FunctionName;max=64]}"
    assert s3.statement == {
        "Sid": f"Producer-{s3.logical_id}-XXXXXXXXXXXX",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:us-east-1:111111111111:function:{name}",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "111111111111"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
        },
    }


def test_a_named_function_is_the_same_as_its_literal_arn() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV_A)
    fn = _function(stack, name="thumbnailer")
    CrossAccountPermission(stack, "ByConstruct", function=fn, principal="223456789012")
    CrossAccountPermission(
        stack,
        "ByArn",
        principal="323456789012",
        function="arn:aws:lambda:us-east-1:111111111111:function:thumbnailer",
    )
    imported = aws_lambda.Function.from_function_name(stack, "Imported", "thumbnailer")
    CrossAccountPermission(stack, "ByImport", function=imported, principal="423456789012")
    (policy,) = resource_policies(app)
    assert policy.function == "arn:aws:lambda:us-east-1:111111111111:function:thumbnailer"
    assert len(policy.statements) == 3
    assert not policy.size_is_bound


def test_stages_are_read_and_anything_else_is_refused() -> None:
    app = cdk.App()
    stage = cdk.Stage(app, "Prod")
    stack = cdk.Stack(stage, "S", env=ENV_A)
    CrossAccountPermission(stack, "P", function="fn", principal="223456789012")
    (policy,) = resource_policies(stage)
    assert policy.function == "arn:aws:lambda:us-east-1:111111111111:function:fn"
    assert policy.statements[0].stack == "Prod/S"
    assert resource_policies(app) == [policy] or len(resource_policies(app)) == 1
    with pytest.raises(TypeError, match="App, a Stage, a Stack or a template dict"):
        resource_policies(policy.statements[0].permission)  # type: ignore[arg-type]


SourceFactory = Callable[[], Any]
