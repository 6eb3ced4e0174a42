"""verify's parts: live statements read by meaning, the read-only reader, deploy-time names.

The statements below are AWS's own, as the facts sheet quotes them (§1: botocore's examples
for AddPermission and GetPolicy; §7: function URL statements), so these tests pin AWS's format
and not an emulator's; moto's layout (§8) is read too, and must mean the same. The reader's
tests run on real botocore clients: moto in-process (``mock_aws``), botocore's ``Stubber``
for ``GetResourcePolicy`` (moto 5.2.5 does not implement it), and ``before-send`` handlers
that answer as Lambda does when it throttles or refuses, so that botocore's own retry logic
runs.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any, cast

import boto3
import botocore.awsrequest
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from constructs_lambdaperm._cli import verify
from constructs_lambdaperm._core.model import Permission
from constructs_lambdaperm._policy import drift, render
from constructs_lambdaperm._readers import live, physical
from constructs_lambdaperm._readers.references import Resolver
from constructs_lambdaperm._readers.template import stack_from_template

FUNCTION = "arn:aws:lambda:us-east-2:123456789012:function:my-function"

# §1, botocore's examples-1.json: AddPermission's Statement and GetPolicy's Policy.
AWS_S3 = (
    '{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},'
    '"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:'
    'my-function","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":'
    '{"AWS:SourceArn":"arn:aws:s3:::my-bucket-1xpuxmplzrlbh"}}}'
)
AWS_CROSS_ACCOUNT = (
    '{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::223456789012:root"},'
    '"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:'
    'my-function"}'
)
AWS_QUALIFIED_POLICY = (
    '{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"xaccount","Effect":"Allow",'
    '"Principal":{"AWS":"arn:aws:iam::223456789012:root"},"Action":"lambda:InvokeFunction",'
    '"Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function:1"}]}'
)
# §7: a function URL's two statements (NONE), as a real get-policy prints them.
AWS_URL_POLICY = (
    '{"Version":"2012-10-17","Id":"default","Statement":['
    '{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":'
    '"lambda:InvokeFunctionUrl","Resource":"' + FUNCTION + '","Condition":{"StringEquals":'
    '{"lambda:FunctionUrlAuthType":"NONE"}}},'
    '{"Sid":"UrlPolicyInvokeFunctionPublic","Effect":"Allow","Principal":"*","Action":'
    '"lambda:InvokeFunction","Resource":"' + FUNCTION + '","Condition":{"Bool":'
    '{"lambda:InvokedViaFunctionUrl":"true"}}}]}'
)
# §8: moto 5.2.5's rendering of the same S3 request.
MOTO_S3 = (
    '{"Action": "lambda:InvokeFunction", "Principal": {"Service": "s3.amazonaws.com"}, "Effect": '
    '"Allow", "Resource": "arn:aws:lambda:us-east-2:123456789012:function:my-function", "Sid": '
    '"s3", "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket-1xpuxmplzrlbh"}, '
    '"StringEquals": {"AWS:SourceAccount": "123456789012"}}}'
)

S3_REQUEST = Permission(
    function_name=FUNCTION,
    principal="s3.amazonaws.com",
    source_account="123456789012",
    source_arn="arn:aws:s3:::my-bucket-1xpuxmplzrlbh",
)


def intended(permission: Permission, sid: str = "Stack-Grant-XXXXXXXXXXXX") -> drift.Statement:
    return drift.normalise(render.statement(permission, sid=sid))


def read(text: str) -> drift.Statement:
    return drift.normalise(json.loads(text))


# --- AWS's format ---------------------------------------------------------------------------------


def test_aws_s3_statement_means_what_the_library_renders() -> None:
    live_statement = read(AWS_S3)
    assert live_statement.meaning == intended(S3_REQUEST).meaning
    assert live_statement.unexpressed == ()
    assert drift.permission_of(live_statement, FUNCTION, None).permission == S3_REQUEST


def test_aws_cross_account_statement_is_the_account_id_as_given_to_addpermission() -> None:
    live_statement = read(AWS_CROSS_ACCOUNT)
    assert live_statement.meaning.principals == {"223456789012"}
    request = Permission(function_name=FUNCTION, principal="223456789012")
    assert live_statement.meaning == intended(request).meaning
    assert drift.permission_of(live_statement, FUNCTION, None).permission == request


def test_a_qualifiers_policy_holds_statements_on_the_qualified_arn() -> None:
    statements = drift.parse_policy(AWS_QUALIFIED_POLICY)
    assert drift.on_resource(statements, FUNCTION, "1") == statements
    assert drift.on_resource(statements, "my-function", "1") == statements
    assert drift.on_resource(statements, FUNCTION, None) == []
    assert drift.on_resource(statements, FUNCTION, "live") == []


def test_aws_function_url_statements_mean_what_the_library_renders() -> None:
    live_statements = drift.parse_policy(AWS_URL_POLICY)
    requests = [
        Permission(
            function_name=FUNCTION,
            principal="*",
            action="lambda:InvokeFunctionUrl",
            function_url_auth_type="NONE",
        ),
        Permission(function_name=FUNCTION, principal="*", invoked_via_function_url=True),
    ]
    comparison = drift.compare([(intended(r), None) for r in requests], live_statements)
    assert [p.status for p in comparison.pairs] == [drift.IN_SYNC, drift.IN_SYNC]
    assert [drift.permission_of(s, FUNCTION, None).permission for s in live_statements] == requests


def test_moto_layout_means_the_same_as_aws() -> None:
    assert read(MOTO_S3).meaning == read(AWS_S3).meaning
    # moto leaves an account principal bare (§8.4) and writes URL parameters as keys (§8.8).
    bare = read(
        '{"Action": "lambda:InvokeFunction", "Principal": "223456789012", "Effect": "Allow"}'
    )
    assert bare.meaning == read(AWS_CROSS_ACCOUNT).meaning
    url = read(
        '{"Action": "lambda:InvokeFunctionUrl", "FunctionName": "arn:aws:lambda:us-east-2:'
        '123456789012:function:my-function", "FunctionUrlAuthType": "NONE", "Principal": "*", '
        '"Effect": "Allow", "Resource": "' + FUNCTION + '", "Sid": "u"}'
    )
    assert url.meaning == drift.parse_policy(AWS_URL_POLICY)[0].meaning
    assert url.unexpressed == ()
    via = read(
        '{"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": true, "Principal": "*", '
        '"Effect": "Allow", "Resource": "' + FUNCTION + '"}'
    )
    assert via.meaning == drift.parse_policy(AWS_URL_POLICY)[1].meaning


# --- what counts as the same ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # ArnLike, ArnEquals, StringLike and StringEquals decide an exact ARN alike.
        (
            {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}},
            {"StringEquals": {"aws:sourcearn": "arn:aws:s3:::b"}},
        ),
        (
            {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b-*"}},
            {"StringLike": {"AWS:SourceArn": "arn:aws:s3:::b-*"}},
        ),
        (
            {"ArnEquals": {"AWS:SourceArn": "arn:aws:s3:::b-*"}},
            {"ArnLike": {"AWS:SourceArn": ["arn:aws:s3:::b-*"]}},
        ),
        # Condition keys are case-insensitive; values are sets; Bool values read as text.
        (
            {"StringEquals": {"AWS:SourceAccount": ["1", "2"]}},
            {"StringEquals": {"aws:sourceaccount": ["2", "1"]}},
        ),
        (
            {"Bool": {"lambda:InvokedViaFunctionUrl": True}},
            {"Bool": {"lambda:InvokedViaFunctionUrl": "TRUE"}},
        ),
    ],
)
def test_conditions_that_iam_decides_alike_are_alike(
    one: dict[str, Any], other: dict[str, Any]
) -> None:
    base = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}
    assert (
        drift.normalise({**base, "Condition": one}).meaning
        == drift.normalise({**base, "Condition": other}).meaning
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b-*"}},
            {"StringEquals": {"AWS:SourceArn": "arn:aws:s3:::b-*"}},
        ),
        (
            {"StringEquals": {"AWS:SourceAccount": "1"}},
            {"StringEquals": {"AWS:SourceAccount": ["1", "2"]}},
        ),
        (
            {"StringEquals": {"AWS:SourceAccount": "1"}},
            {"StringNotEquals": {"AWS:SourceAccount": "1"}},
        ),
    ],
)
def test_conditions_that_iam_decides_otherwise_differ(
    one: dict[str, Any], other: dict[str, Any]
) -> None:
    base = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}
    assert (
        drift.normalise({**base, "Condition": one}).meaning
        != drift.normalise({**base, "Condition": other}).meaning
    )


def test_principals_in_canonical_form() -> None:
    def principals(element: Any) -> frozenset[str]:
        return drift.normalise(
            {"Principal": element, "Action": "lambda:InvokeFunction"}
        ).meaning.principals

    assert principals("*") == principals({"AWS": "*"}) == {"*"}
    assert principals({"AWS": "arn:aws-cn:iam::123456789012:root"}) == {"123456789012"}
    assert principals({"AWS": "123456789012"}) == {"123456789012"}
    role = "arn:aws:iam::123456789012:role/caller"
    assert principals(role) == principals({"AWS": [role]}) == {role}
    assert principals("alexa-appkit.amazon.com") == principals(
        {"Service": "alexa-appkit.amazon.com"}
    )


# --- pairing ------------------------------------------------------------------------------------


def test_statements_pair_by_meaning_never_by_sid() -> None:
    partner = Permission(function_name=FUNCTION, principal="223456789012")
    same_meaning_other_sid = read(AWS_CROSS_ACCOUNT.replace('"xaccount"', '"console"'))
    same_sid_other_meaning = drift.normalise(
        {**json.loads(AWS_CROSS_ACCOUNT), "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}
    )
    comparison = drift.compare(
        [(intended(partner, sid="xaccount"), "partner")],
        [same_sid_other_meaning, same_meaning_other_sid],
    )
    assert [(p.status, p.origin, p.live and p.live.sid) for p in comparison.pairs] == [
        (drift.IN_SYNC, "partner", "console"),
        (drift.EXTRA, None, "xaccount"),
    ]


def test_the_same_grant_with_other_conditions_is_changed_closest_first() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:orders"
    wanted = Permission(function_name=FUNCTION, principal="sns.amazonaws.com", source_arn=topic)
    widened = drift.normalise(
        render.statement(
            Permission(
                function_name=FUNCTION, principal="sns.amazonaws.com", source_arn=topic + "*"
            ),
            sid="a",
        )
    )
    other = drift.normalise(
        render.statement(Permission(function_name=FUNCTION, principal="sns.amazonaws.com"), sid="b")
    )
    comparison = drift.compare([(intended(wanted), "topic")], [other, widened])
    changed = [p for p in comparison.pairs if p.status == drift.CHANGED]
    assert [p.live.sid for p in changed if p.live] == ["a"]
    assert changed[0].differences == [
        f"intended aws:sourcearn Equals {topic}",
        f"live aws:sourcearn Like {topic}*",
    ]
    assert [p.status for p in comparison.pairs] == [drift.CHANGED, drift.EXTRA]


def test_a_repeated_grant_pairs_once_per_copy() -> None:
    partner = Permission(function_name=FUNCTION, principal="223456789012")
    comparison = drift.compare(
        [(intended(partner), 1), (intended(partner), 2)], [read(AWS_CROSS_ACCOUNT)]
    )
    assert [(p.status, p.origin) for p in comparison.pairs] == [
        (drift.IN_SYNC, 1),
        (drift.MISSING, 2),
    ]


def test_a_value_that_could_not_be_read_is_unverified_not_in_sync() -> None:
    bucket = "arn:aws:s3:::${Token[Stack.Uploads.BucketName;max=63]}"
    wanted = Permission(function_name=FUNCTION, principal="s3.amazonaws.com", source_arn=bucket)
    deployed = drift.normalise(
        render.statement(
            Permission(
                function_name=FUNCTION, principal="s3.amazonaws.com", source_arn="arn:aws:s3:::x-1"
            ),
            sid="s",
        )
    )
    elsewhere = drift.normalise(
        render.statement(
            Permission(
                function_name=FUNCTION, principal="s3.amazonaws.com", source_arn="arn:aws:sns:x:1:y"
            ),
            sid="t",
        )
    )
    assert [p.status for p in drift.compare([(intended(wanted), None)], [deployed]).pairs] == [
        drift.UNVERIFIED
    ]
    # A live value the known parts rule out is changed, unknown parts or not.
    assert [p.status for p in drift.compare([(intended(wanted), None)], [elsewhere]).pairs] == [
        drift.CHANGED
    ]
    # Once read, the value is substituted and the statement is in sync.
    known = {"Stack.Uploads.BucketName": "x-1"}
    resolved = drift.normalise(drift.substitute(render.statement(wanted, sid="z"), known))
    assert resolved.meaning == deployed.meaning


# --- statements the catalogue cannot read -------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ({"Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction"}, "Effect Deny"),
        (
            {
                "Principal": {"AWS": ["111111111111", "222222222222"]},
                "Action": "lambda:InvokeFunction",
            },
            "2 principals",
        ),
        (
            {"NotPrincipal": {"AWS": "111111111111"}, "Action": "lambda:InvokeFunction"},
            "NotPrincipal",
        ),
        (
            {"Principal": "*", "Action": ["lambda:InvokeFunction", "lambda:GetFunction"]},
            "2 actions",
        ),
        (
            {
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
            "the condition key aws:sourceip",
        ),
        (
            {
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-a", "o-b"]}},
            },
            "2 values of aws:principalorgid",
        ),
        (
            {"Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "x"},
            "a Federated principal",
        ),
    ],
)
def test_a_statement_no_addpermission_writes_is_not_evaluated(
    statement: dict[str, Any], reason: str
) -> None:
    read_back = drift.permission_of(
        drift.normalise({"Resource": FUNCTION, **statement}), FUNCTION, None
    )
    assert read_back.permission is None
    assert reason in read_back.unexpressed


def test_unreadable_policies_raise_one_error() -> None:
    for text in ("not json", "[1]", '{"Statement": "x"}'):
        with pytest.raises(drift.PolicyFormatError):
            drift.parse_policy(text)


# --- properties: any AddPermission request reads back as itself ---------------------------------

_ACCOUNTS = st.sampled_from(["111111111111", "222222222222"])
_PRINCIPALS = st.one_of(
    st.just("*"),
    _ACCOUNTS,
    st.sampled_from(
        [
            "s3.amazonaws.com",
            "sns.amazonaws.com",
            "alexa-appkit.amazon.com",
            "arn:aws:iam::111111111111:role/caller",
        ]
    ),
)
_ARNS = st.sampled_from(
    [
        "arn:aws:s3:::bucket",
        "arn:aws:sns:us-east-1:111111111111:t",
        "arn:aws:execute-api:us-east-1:111111111111:a/*/GET/x",
    ]
)
_REQUESTS = st.builds(
    Permission,
    function_name=st.sampled_from([FUNCTION, FUNCTION + ":live"]),
    principal=_PRINCIPALS,
    action=st.sampled_from(["lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*"]),
    source_arn=st.none() | _ARNS,
    source_account=st.none() | _ACCOUNTS,
    principal_org_id=st.none() | st.just("o-a1b2c3d4e5"),
    event_source_token=st.none() | st.just("amzn1.ask.skill.1234"),
    function_url_auth_type=st.none() | st.sampled_from(["NONE", "AWS_IAM"]),
    invoked_via_function_url=st.none() | st.just(True),
)


def _moto_statement(request: Permission) -> dict[str, Any]:
    """What moto 5.2.5 writes for ``request`` (facts sheet §8), where it loses nothing."""
    principal: Any = request.principal
    if principal.endswith(".amazonaws.com"):
        principal = {"Service": principal}
    statement: dict[str, Any] = {"Action": request.action, "Principal": principal}
    if request.function_url_auth_type is not None:
        statement["FunctionUrlAuthType"] = request.function_url_auth_type
    if request.invoked_via_function_url:
        statement["InvokedViaFunctionUrl"] = True
    statement.update({"Effect": "Allow", "Resource": request.function_name, "Sid": "moto"})
    condition: dict[str, Any] = {}
    if request.source_arn is not None:
        condition["ArnLike"] = {"AWS:SourceArn": request.source_arn}
    if request.source_account is not None:
        condition["StringEquals"] = {"AWS:SourceAccount": request.source_account}
    if request.principal_org_id is not None:
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = request.principal_org_id
    if request.event_source_token is not None:
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = (
            request.event_source_token
        )
    if condition:
        statement["Condition"] = condition
    return statement


@settings(max_examples=200, deadline=None)
@given(request=_REQUESTS)
def test_every_request_reads_back_as_itself_from_aws_and_moto_layouts(request: Permission) -> None:
    qualifier = "live" if request.function_name.endswith(":live") else None
    request = Permission(**{**_fields(request), "qualifier": qualifier})
    aws = drift.normalise(json.loads(json.dumps(render.statement(request, sid="s"))))
    moto = drift.normalise(json.loads(json.dumps(_moto_statement(request))))
    assert aws.meaning == moto.meaning
    assert drift.compare([(aws, None)], [moto]).pairs[0].status == drift.IN_SYNC
    assert drift.permission_of(aws, FUNCTION, qualifier).permission == request


def _fields(request: Permission) -> dict[str, Any]:
    return {name: getattr(request, name) for name in Permission.__dataclass_fields__}


@settings(max_examples=100, deadline=None)
@given(one=_REQUESTS, other=_REQUESTS)
def test_two_requests_mean_the_same_only_when_they_grant_the_same(
    one: Permission, other: Permission
) -> None:
    same = _fields(one) | {"function_name": ""} == _fields(other) | {"function_name": ""}
    assert (intended(one).meaning == intended(other).meaning) == same


# --- deploy-time names ----------------------------------------------------------------------------

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String"}},
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        "Custom": {"Type": "Custom::Thing", "Properties": {}},
    },
}


def test_markers_read_back_as_what_they_refer_to() -> None:
    stack = stack_from_template(
        TEMPLATE, name="Prod/Api", account="123456789012", region="eu-west-1"
    )
    resolver = Resolver([stack])
    markers = physical.Markers([stack])

    def reference(value: Any) -> physical.Reference | None:
        text = resolver.text(value, stack, "SourceArn") or ""
        (label,) = drift.labels_in(text)
        return markers.reference(label)

    function = reference({"Fn::GetAtt": ["Fn", "Arn"]})
    assert function is not None
    assert (function.kind, function.logical_id, function.attribute) == (
        physical.RESOURCE,
        "Fn",
        "FunctionName",
    ) or function.kind == physical.ACCOUNT
    topic = reference({"Ref": "Topic"})
    assert topic is not None
    assert (topic.kind, topic.logical_id, topic.attribute, topic.resource_type) == (
        physical.RESOURCE,
        "Topic",
        "TopicName",
        "AWS::SNS::Topic",
    ) or topic.kind in (physical.ACCOUNT, physical.REGION, physical.PARTITION)
    custom = reference({"Ref": "Custom"})
    assert custom is not None
    assert (custom.kind, custom.logical_id, custom.attribute) == (
        physical.RESOURCE,
        "Custom",
        "Ref",
    )
    env = reference({"Ref": "Env"})
    assert env is not None
    assert (env.kind, env.logical_id) == (physical.PARAMETER, "Env")
    agnostic = stack_from_template(TEMPLATE, name="Agnostic")
    text = Resolver([agnostic]).text({"Ref": "AWS::AccountId"}, agnostic, "SourceAccount") or ""
    (label,) = drift.labels_in(text)
    account = physical.Markers([agnostic]).reference(label)
    assert account is not None
    assert (account.kind, account.stack.key) == (physical.ACCOUNT, "Agnostic")
    assert markers.reference("Other.Stack.Fn.FunctionName") is None


@pytest.mark.parametrize(
    ("kind", "attribute", "physical_id", "value"),
    [
        ("AWS::Lambda::Function", "FunctionName", "Api-Fn-ABC", "Api-Fn-ABC"),
        ("AWS::Lambda::Version", "Version", "arn:aws:lambda:r:1:function:f:7", "7"),
        ("AWS::Lambda::Alias", "Name", "arn:aws:lambda:r:1:function:f:live", "live"),
        ("AWS::SNS::Topic", "TopicName", "arn:aws:sns:r:1:Api-Topic-X", "Api-Topic-X"),
        ("AWS::S3::Bucket", "BucketName", "api-uploads-x", "api-uploads-x"),
        ("AWS::Events::Rule", "Name", "bus|Api-Rule-X", "Api-Rule-X"),
        ("Custom::Thing", "Ref", "anything", "anything"),
        ("AWS::ApiGateway::RestApi", "RootResourceId", "abc123", None),
    ],
)
def test_values_from_physical_ids(
    kind: str, attribute: str, physical_id: str, value: str | None
) -> None:
    assert physical.from_physical_id(kind, attribute, physical_id) == value


class _FakeAccount:
    """What ``_Values`` asks of an account, answered from a table."""

    region = "eu-west-1"

    def __init__(self, physical_ids: dict[tuple[str, str], str]) -> None:
        self.physical_ids = physical_ids
        self.asked: list[tuple[str, str]] = []

    def physical_id(self, stack: str, logical_id: str, region: str | None) -> str:
        self.asked.append((stack, logical_id))
        try:
            return self.physical_ids[(stack, logical_id)]
        except KeyError:
            raise live.LiveError(
                "not-found",
                "cloudformation:DescribeStackResource",
                logical_id,
                f"Stack with id {stack} does not exist",
            ) from None

    def account(self) -> str:
        return "123456789012"


def test_a_nested_stacks_names_are_read_through_its_parent() -> None:
    parent = stack_from_template(
        {"Resources": {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {}}}},
        name="Prod-Api",
    )
    nested = stack_from_template(TEMPLATE)
    from dataclasses import replace

    nested = replace(
        nested, key="Prod/Api/Nested", parent=(parent.key, "Nested"), environment=parent.key
    )
    stack_arn = "arn:aws:cloudformation:eu-west-1:123456789012:stack/Prod-Api-Nested-1AB/uuid"
    fake = _FakeAccount(
        {
            ("Prod-Api", "Nested"): stack_arn,
            (stack_arn, "Fn"): "Prod-Api-Nested-Fn-XYZ",
            (stack_arn, "Version"): "arn:aws:lambda:eu-west-1:123456789012:function:f:3",
        }
    )
    values = verify._Values([parent, nested], cast(live.Account, fake), {})
    resolver = Resolver([parent, nested])
    target = resolver.function_target({"Ref": "Version"}, nested)
    known = {
        label: values.value(label) for label in drift.labels_in([target.arn, target.qualifier])
    }
    assert drift.substitute(target.arn, known) == (
        "arn:aws:lambda:eu-west-1:123456789012:function:Prod-Api-Nested-Fn-XYZ"
    )
    assert drift.substitute(target.qualifier, known) == "3"
    # Each physical ID is asked once, however many markers need it.
    assert sorted(set(fake.asked)) == sorted(fake.asked)


def test_a_template_file_without_a_stack_name_says_how_to_give_one() -> None:
    stack = stack_from_template(TEMPLATE)
    values = verify._Values([stack], cast(live.Account, _FakeAccount({})), {})
    resolver = Resolver([stack])
    target = resolver.function_target({"Ref": "Fn"}, stack)
    (label,) = [m for m in drift.labels_in(target.arn) if m.endswith("FunctionName")]
    with pytest.raises(verify.UnresolvedError, match="give --stack-name template=NAME"):
        values.value(label)
    fake = _FakeAccount({("deployed", "Fn"): "deployed-Fn-1"})
    named = verify._Values([stack], cast(live.Account, fake), {"template": "deployed"})
    assert named.value(label) == "deployed-Fn-1"


def test_concurrent_askers_share_one_read() -> None:
    memo = verify._Memo()
    calls: list[int] = []
    gate = threading.Event()

    def slow() -> int:
        gate.wait(5)
        calls.append(1)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert (results, calls) == ([42] * 8, [1])


# --- the reader: real clients, read-only ---------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.fixture
def moto_function(aws_env: None) -> Iterator[str]:
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        zipped = io.BytesIO()
        import zipfile

        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("index.py", "def handler(event, context):\n    return event\n")
        boto3.client("lambda").create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": zipped.getvalue()},
        )
        yield "f"


def test_every_client_refuses_operations_that_are_not_reads(moto_function: str) -> None:
    account = live.Account()
    lam = account.client("lambda")
    with pytest.raises(live.ReadOnlyError, match="AddPermission is not one of the read operations"):
        lam.add_permission(
            FunctionName=moto_function,
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
    with pytest.raises(live.ReadOnlyError, match="DeleteStack"):
        account.client("cloudformation").delete_stack(StackName="Api")
    # Refused before it was sent: the function still has no policy.
    assert account.policy(moto_function, None, None) == live.LivePolicy(None)


def test_a_function_without_policy_and_one_that_does_not_exist(moto_function: str) -> None:
    account = live.Account()
    assert account.policy(moto_function, None, None).text is None
    with pytest.raises(live.FunctionNotFoundError):
        account.policy("nope", None, None)
    boto3.client("lambda").add_permission(
        FunctionName=moto_function, StatementId="s", Action="lambda:InvokeFunction", Principal="*"
    )
    text = account.policy(moto_function, None, None).text
    assert text is not None
    assert [s.sid for s in drift.parse_policy(text)] == ["s"]


def _answer(status: int, code: str, body: dict[str, Any]) -> botocore.awsrequest.AWSResponse:
    raw = botocore.awsrequest.AWSResponse(
        "https://lambda.us-east-1.amazonaws.com/",
        status,
        {"x-amzn-ErrorType": code, "Content-Type": "application/json"} if code else {},
        None,
    )
    raw._content = json.dumps(body).encode()
    return raw


class _Lambda:
    """Answers ``before-send`` as Lambda does: throttled ``n`` times, then a policy."""

    def __init__(self, throttled: int, denied: bool = False) -> None:
        self.throttled = throttled
        self.denied = denied
        self.sent = 0

    def __call__(self, request: Any, **_: Any) -> botocore.awsrequest.AWSResponse:
        self.sent += 1
        if self.denied:
            return _answer(
                403,
                "AccessDeniedException",
                {"message": "User is not authorized to perform: lambda:GetPolicy"},
            )
        if self.sent <= self.throttled:
            return _answer(429, "TooManyRequestsException", {"message": "Rate exceeded"})
        return _answer(200, "", {"Policy": AWS_QUALIFIED_POLICY, "RevisionId": "r"})


def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    import time

    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_throttling_is_retried_by_botocores_standard_mode(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept = _no_sleep(monkeypatch)
    account = live.Account(max_attempts=4)
    lam = account.client("lambda")
    answering = _Lambda(throttled=3)
    lam.meta.events.register_first("before-send.lambda.GetPolicy", answering)
    assert account.policy("my-function", "1", None).text == AWS_QUALIFIED_POLICY
    assert answering.sent == 4
    assert len(slept) == 3  # a backoff before each retry


def test_throttling_past_the_attempts_is_one_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sleep(monkeypatch)
    account = live.Account(max_attempts=3)
    account.client("lambda").meta.events.register_first(
        "before-send.lambda.GetPolicy", _Lambda(throttled=99)
    )
    with pytest.raises(live.LiveError) as raised:
        account.policy("my-function", None, None)
    assert raised.value.kind == "throttled"
    assert str(raised.value) == (
        "lambda:GetPolicy on my-function: throttled (TooManyRequestsException) on each of 3 "
        "attempt(s), with backoff; try again later, or with --max-attempts higher"
    )


def test_access_denied_names_the_action_and_the_function(aws_env: None) -> None:
    account = live.Account()
    account.client("lambda").meta.events.register_first(
        "before-send.lambda.GetPolicy", _Lambda(0, denied=True)
    )
    with pytest.raises(live.LiveError) as raised:
        account.policy("my-function", "live", None)
    assert raised.value.kind == "denied"
    assert str(raised.value) == (
        "lambda:GetPolicy on my-function:live: access denied (AccessDeniedException): allow "
        "lambda:GetPolicy to run verify"
    )


def test_get_resource_policy_with_botocores_stubber(aws_env: None) -> None:
    # moto 5.2.5 does not implement GetResourcePolicy: the request and answer are botocore's.
    account = live.Account()
    lam = account.client("lambda")
    arn = FUNCTION + ":live"
    with Stubber(lam) as stub:
        stub.add_response(
            "get_resource_policy",
            {"Policy": AWS_QUALIFIED_POLICY, "RevisionId": "6a1b4b3e-0b53-4bd7-9c8a-6b2d7f1f9e01"},
            {"ResourceArn": arn},
        )
        stub.add_client_error(
            "get_resource_policy", "ResourceNotFoundException", expected_params={"ResourceArn": arn}
        )
        stub.add_response(
            "get_function_configuration",
            {"FunctionName": "my-function"},
            {"FunctionName": FUNCTION, "Qualifier": "live"},
        )
        stub.add_client_error(
            "get_resource_policy", "ResourceNotFoundException", expected_params={"ResourceArn": arn}
        )
        stub.add_client_error(
            "get_function_configuration",
            "ResourceNotFoundException",
            expected_params={"FunctionName": FUNCTION, "Qualifier": "live"},
        )
        assert account.resource_policy(arn, None).text == AWS_QUALIFIED_POLICY
        assert account.resource_policy(arn, None).text is None  # no policy yet
        with pytest.raises(live.FunctionNotFoundError):
            account.resource_policy(arn, None)
        stub.assert_no_pending_responses()


def test_no_credentials_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    with pytest.raises(live.LiveError, match="no AWS credentials found") as raised:
        live.Account(region="us-east-1").check_credentials()
    assert raised.value.kind == "credentials"


def test_clients_share_a_bounded_pool_and_standard_retries(aws_env: None) -> None:
    account = live.Account(max_attempts=3, concurrency=4)
    config = account.client("lambda").meta.config
    assert config.max_pool_connections == 4
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert account.client("lambda") is account.client("lambda")


def test_the_progress_bar_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    monkeypatch.setattr("sys.stderr", shown)
    monkeypatch.setattr("sys.stdout", Terminal())
    assert verify._progress_wanted()
    from concurrent.futures import Future

    done: list[Future[Any]] = []
    for _ in range(3):
        future: Future[Any] = Future()
        future.set_result(None)
        done.append(future)
    verify._show_progress(done)
    assert "Reading live policies" in shown.getvalue()
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert not verify._progress_wanted()


# --- the command on template files, in-process ------------------------------------------------


def _template(path: Any, resources: dict[str, Any]) -> Any:
    path.write_text(json.dumps({"Resources": resources}))
    return path


def test_a_resource_policy_document_is_read_with_get_resource_policy(
    aws_env: None,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = "arn:aws:lambda:us-east-1:111111111111:function:reports"
    allow = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:111111111111:t"}},
    }
    template = _template(
        tmp_path / "document.json",
        {
            "Policy": {
                "Type": "AWS::Lambda::ResourcePolicy",
                "Properties": {
                    "ResourceArn": arn,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [allow]},
                },
            }
        },
    )
    deny = {
        "Sid": "NoOneElse",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {"StringNotEquals": {"aws:SourceAccount": "111111111111"}},
    }
    live_document = {"Version": "2012-10-17", "Statement": [{**allow, "Sid": "a"}, deny]}
    account = live.Account()
    stub = Stubber(account.client("lambda"))
    stub.add_response(
        "get_resource_policy",
        {"Policy": json.dumps(live_document), "RevisionId": "6a1b4b3e-0b53-4bd7-9c8a-6b2d7f1f9e01"},
        {"ResourceArn": arn},
    )
    from constructs_lambdaperm._cli import inputs

    found = inputs.read([template])
    report, _ = inputs.check(found)
    with stub:
        verified = verify.verify(report, found, account)
    stub.assert_no_pending_responses()
    (policy,) = verified.policies
    assert (policy.api, policy.status) == ("GetResourcePolicy", "drift")
    assert [row.pair.status for row in policy.rows] == [drift.IN_SYNC, drift.EXTRA]
    rules = sorted(r.rule.id for r in verified.run.results)
    assert rules == ["LP702", "LP705"]
    not_evaluated = [r for r in verified.run.results if r.rule.id == "LP705"]
    assert all(not r.evaluated and not r.fails for r in not_evaluated)
    assert any("Effect Deny" in r.reported.finding.message for r in not_evaluated)
    assert verified.exit_status == 1


def test_what_moto_loses_shows_as_changed_there(
    moto_function: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto drops EventSourceToken and overwrites PrincipalOrgID with SourceAccount (§8.7, §8.9).

    On AWS both statements would be in sync (the tests of AWS's format above read those
    conditions); against moto, verify can only report what moto kept: the same grants with
    fewer conditions, as changed. This test pins that, so nobody mistakes it for AWS's answer.
    """
    lam = boto3.client("lambda")
    lam.add_permission(
        FunctionName=moto_function,
        StatementId="alexa",
        Action="lambda:InvokeFunction",
        Principal="alexa-appkit.amazon.com",
        EventSourceToken="amzn1.ask.skill.1234",
    )
    lam.add_permission(
        FunctionName=moto_function,
        StatementId="org",
        Action="lambda:InvokeFunction",
        Principal="*",
        PrincipalOrgID="o-a1b2c3d4e5",
        SourceAccount="111111111111",
    )
    function = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": moto_function}}
    template = _template(
        tmp_path / "template.json",
        {
            "Fn": function,
            "Alexa": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "alexa-appkit.amazon.com",
                    "EventSourceToken": "amzn1.ask.skill.1234",
                },
            },
            "Org": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "*",
                    "PrincipalOrgID": "o-a1b2c3d4e5",
                    "SourceAccount": "111111111111",
                },
            },
        },
    )
    from constructs_lambdaperm._cli import main as cli

    assert cli.main(["verify", str(template), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    (policy,) = document["policies"]
    assert policy["resource"] == f"arn:aws:lambda:us-east-1:123456789012:function:{moto_function}"
    differences = sorted(d for row in policy["statements"] for d in row["differences"])
    assert [row["status"] for row in policy["statements"]] == ["changed", "changed"]
    assert differences == [
        "intended aws:principalorgid Equals o-a1b2c3d4e5",
        "intended lambda:eventsourcetoken Equals amzn1.ask.skill.1234",
    ]


def test_a_template_file_with_generated_names_needs_its_stack_name(
    moto_function: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Statement": []}},
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                },
            },
            "Public": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "sns.amazonaws.com",
                    "SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t"
                    },
                },
            },
        }
    }
    path = tmp_path / "handwritten.json"
    path.write_text(json.dumps(template))
    boto3.client("cloudformation").create_stack(
        StackName="handwritten", TemplateBody=json.dumps(template)
    )
    from constructs_lambdaperm._cli import main as cli

    assert cli.main(["verify", str(path)]) == 2
    captured = capsys.readouterr()
    assert "give --stack-name" in captured.err
    assert len(captured.err.splitlines()) == 1
    assert cli.main(["verify", str(path), "--stack-name", "handwritten", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [p["status"] for p in document["policies"]] == ["in sync"]
    assert document["policies"][0]["asked"].split(":function:")[1].startswith("handwritten-Fn-")
