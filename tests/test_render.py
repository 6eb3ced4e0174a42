"""Rendering: each permission as the exact statement Lambda writes, byte for byte.

The expected strings are AWS's own: the AddPermission and GetPolicy examples of the AWS SDK
model (read from the installed botocore), and the statements of the facts sheet §7 (function
URLs, one of them a real capture) and of the organization page.
"""

from __future__ import annotations

import json
import os
from typing import Any

import botocore
import pytest

from constructs_lambdaperm._core import bounds
from constructs_lambdaperm._core.model import Permission, partition_of
from constructs_lambdaperm._policy import render as _render

FUNCTION = "arn:aws:lambda:us-east-2:123456789012:function:my-function"


def _botocore_examples() -> dict[str, Any]:
    path = os.path.join(
        os.path.dirname(botocore.__file__), "data", "lambda", "2015-03-31", "examples-1.json"
    )
    with open(path, encoding="utf-8") as file:
        examples: dict[str, Any] = json.load(file)["examples"]
    return examples


EXAMPLES = _botocore_examples()


def _add_permission_example(statement_id: str) -> tuple[dict[str, str], str]:
    for example in EXAMPLES["AddPermission"]:
        if example["input"]["StatementId"] == statement_id:
            return example["input"], example["output"]["Statement"]
    raise LookupError(statement_id)


def _from_request(request: dict[str, str]) -> Permission:
    source_arn = request.get("SourceArn")
    if source_arn is not None:
        # The example's input ends in '/*' but its output does not: a documentation slip
        # (facts sheet §1); Lambda copies SourceArn verbatim.
        source_arn = source_arn.removesuffix("/*")
    return Permission(
        function_name=request["FunctionName"],
        principal=request["Principal"],
        action=request["Action"],
        source_account=request.get("SourceAccount"),
        source_arn=source_arn,
    )


def _render_json(permission: Permission, sid: str) -> str:
    rendered = _render.statement(
        permission, sid=sid, partition="aws", region="us-east-2", account="123456789012"
    )
    return bounds.to_json(rendered)


@pytest.mark.parametrize("statement_id", ["s3", "xaccount"])
def test_addpermission_examples_render_byte_for_byte(statement_id: str) -> None:
    request, expected = _add_permission_example(statement_id)
    assert _render_json(_from_request(request), statement_id) == expected


def test_s3_example_is_310_bytes_and_cross_account_193() -> None:
    s3, _ = _add_permission_example("s3")
    xaccount, _ = _add_permission_example("xaccount")
    assert len(_render_json(_from_request(s3), "s3").encode()) == 310
    assert len(_render_json(_from_request(xaccount), "xaccount").encode()) == 193


def test_getpolicy_example_for_qualifier_1_renders_byte_for_byte() -> None:
    (example,) = EXAMPLES["GetPolicy"]
    assert example["input"] == {"FunctionName": "my-function", "Qualifier": "1"}
    permission = Permission(function_name="my-function:1", qualifier="1", principal="123456789012")
    statement = _render.statement(
        permission, sid="xaccount", partition="aws", region="us-east-2", account="123456789012"
    )
    assert bounds.to_json(_render.document([statement])) == example["output"]["Policy"]


def test_the_two_sdk_statements_in_one_document_are_558_bytes() -> None:
    statements = [
        _render.statement(
            _from_request(_add_permission_example(sid)[0]),
            sid=sid,
            partition="aws",
            region="us-east-2",
            account="123456789012",
        )
        for sid in ("s3", "xaccount")
    ]
    document = _render.document(statements)
    assert bounds.size(document) == 558
    assert bounds.size(_render.document([])) == 54


URL = "arn:aws:lambda:us-east-1:444455556666:function:my-function"

FUNCTION_URL_STATEMENTS = {
    # §7 (a) AWS_IAM: the urls-auth documentation's statement.
    "iam_invoke_function_url": (
        Permission(
            function_name=URL,
            principal="arn:aws:iam::444455556666:role/example",
            action="lambda:InvokeFunctionUrl",
            function_url_auth_type="AWS_IAM",
        ),
        "Sid",
        '{"Sid":"Sid","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/example"}'
        ',"Action":"lambda:InvokeFunctionUrl","Resource":"' + URL + '","Condition":'
        '{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}}',
    ),
    # §7 (b) AWS_IAM: InvokeFunction through a function URL.
    "iam_invoke_function": (
        Permission(
            function_name=URL,
            principal="arn:aws:iam::444455556666:role/example",
            invoked_via_function_url=True,
        ),
        "Sid",
        '{"Sid":"Sid","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/example"}'
        ',"Action":"lambda:InvokeFunction","Resource":"' + URL + '","Condition":'
        '{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}',
    ),
    # §7 (a) NONE.
    "public_invoke_function_url": (
        Permission(
            function_name=URL,
            principal="*",
            action="lambda:InvokeFunctionUrl",
            function_url_auth_type="NONE",
        ),
        "FunctionURLAllowPublicAccess",
        '{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":'
        '"lambda:InvokeFunctionUrl","Resource":"' + URL + '","Condition":{"StringEquals":'
        '{"lambda:FunctionUrlAuthType":"NONE"}}}',
    ),
    # §7 (b) NONE: a real CLI capture, Sid UrlPolicyInvokeFunctionPublic.
    "public_invoke_function": (
        Permission(function_name=URL, principal="*", invoked_via_function_url=True),
        "UrlPolicyInvokeFunctionPublic",
        '{"Sid":"UrlPolicyInvokeFunctionPublic","Effect":"Allow","Principal":"*","Action":'
        '"lambda:InvokeFunction","Resource":"' + URL + '","Condition":{"Bool":'
        '{"lambda:InvokedViaFunctionUrl":"true"}}}',
    ),
    # permissions-function-organization: principal "*" limited by aws:PrincipalOrgID.
    "organization": (
        Permission(function_name=FUNCTION, principal="*", principal_org_id="o-a1b2c3d4e5f"),
        "org",
        '{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction",'
        '"Resource":"' + FUNCTION + '","Condition":{"StringEquals":'
        '{"aws:PrincipalOrgID":"o-a1b2c3d4e5f"}}}',
    ),
}


@pytest.mark.parametrize("case", sorted(FUNCTION_URL_STATEMENTS))
def test_documented_statements_render_byte_for_byte(case: str) -> None:
    permission, sid, expected = FUNCTION_URL_STATEMENTS[case]
    assert bounds.to_json(_render.statement(permission, sid=sid)) == expected


@pytest.mark.parametrize(
    ("principal", "partition", "expected"),
    [
        ("*", "aws", "*"),
        ("223456789012", "aws", {"AWS": "arn:aws:iam::223456789012:root"}),
        ("223456789012", "aws-cn", {"AWS": "arn:aws-cn:iam::223456789012:root"}),
        ("arn:aws:iam::223456789012:root", "aws", {"AWS": "arn:aws:iam::223456789012:root"}),
        (
            "arn:aws:iam::223456789012:user/ops",
            "aws",
            {"AWS": "arn:aws:iam::223456789012:user/ops"},
        ),
        ("s3.amazonaws.com", "aws", {"Service": "s3.amazonaws.com"}),
        ("logs.us-east-1.amazonaws.com", "aws", {"Service": "logs.us-east-1.amazonaws.com"}),
        ("alexa-appkit.amazon.com", "aws", {"Service": "alexa-appkit.amazon.com"}),
        ("alexa-connectedhome.amazon.com", "aws", {"Service": "alexa-connectedhome.amazon.com"}),
    ],
)
def test_principal_is_mapped_as_lambda_maps_it(
    principal: str, partition: str, expected: object
) -> None:
    assert _render.principal_element(principal, partition) == expected


def test_keys_come_in_lambdas_order_and_condition_blocks_too() -> None:
    permission = Permission(
        function_name=FUNCTION,
        principal="alexa-appkit.amazon.com",
        source_arn="arn:aws:execute-api:us-east-2:123456789012:api/*/GET/hello",
        source_account="123456789012",
        principal_org_id="o-a1b2c3d4e5",
        event_source_token="amzn1.ask.skill.1234",
        function_url_auth_type="AWS_IAM",
        invoked_via_function_url=True,
    )
    rendered = _render.statement(permission, sid="x")
    assert list(rendered) == ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
    assert list(rendered["Condition"]) == ["StringEquals", "ArnLike", "Bool"]
    assert list(rendered["Condition"]["StringEquals"]) == [
        "AWS:SourceAccount",
        "aws:PrincipalOrgID",
        "lambda:FunctionUrlAuthType",
        "lambda:EventSourceToken",
    ]
    text = bounds.to_json(rendered)
    assert "\\/" not in text
    assert "api/*/GET/hello" in text
    assert " " not in text


def test_no_condition_key_when_there_are_no_conditions() -> None:
    rendered = _render.statement(Permission(function_name=FUNCTION, principal="*"), sid="x")
    assert "Condition" not in rendered


def test_non_ascii_is_written_as_is_and_counted_in_utf8_bytes() -> None:
    permission = Permission(
        function_name=FUNCTION, principal="s3.amazonaws.com", source_arn="arn:aws:s3:::b/é"
    )
    rendered = _render.statement(permission, sid="x")
    text = bounds.to_json(rendered)
    assert "é" in text
    assert bounds.size(rendered) == len(text) + 1


@pytest.mark.parametrize(
    ("function_name", "qualifier", "expected"),
    [
        ("my-function", None, FUNCTION),
        ("my-function:live", "live", FUNCTION + ":live"),
        ("my-function", "7", FUNCTION + ":7"),
        ("123456789012:function:my-function", None, FUNCTION),
        ("us-east-2:123456789012:function:my-function:1", "1", FUNCTION + ":1"),
        (FUNCTION + ":1", "1", FUNCTION + ":1"),
        (FUNCTION, "1", FUNCTION + ":1"),
    ],
)
def test_resource_is_the_function_arn_with_its_qualifier(
    function_name: str, qualifier: str | None, expected: str
) -> None:
    arn = _render.function_arn(function_name, qualifier, region="us-east-2", account="123456789012")
    assert arn == expected


def test_a_bare_name_needs_the_stacks_environment() -> None:
    with pytest.raises(ValueError, match="partition, region and account"):
        _render.function_arn("my-function")


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eusc-de-east-1", "aws-eusc"),
        ("${Token[AWS.Region.1]}", None),
    ],
)
def test_partition_of_region(region: str, partition: str | None) -> None:
    assert partition_of(region) == partition


def test_sid_placeholder_is_stack_logical_id_and_12_x() -> None:
    assert _render.sid_placeholder("Stack", "FnS3Invoke434FFAED") == (
        "Stack-FnS3Invoke434FFAED-XXXXXXXXXXXX"
    )


def test_sid_placeholder_is_cut_to_100_characters() -> None:
    sid = _render.sid_placeholder("S" * 80, "L" * 40)
    assert len(sid) == 100
    assert sid.endswith("-" + "X" * 12)


def test_a_deploy_time_value_is_sized_at_its_bound_and_shown_as_a_placeholder() -> None:
    name = bounds.bounded_marker("Stack.Fn.FunctionName", 64)
    rendered = _render.statement(
        Permission(
            function_name=f"arn:aws:lambda:us-east-1:111111111111:function:{name}", principal="*"
        ),
        sid="x",
    )
    text = bounds.sized_json(rendered)
    assert "{Stack.Fn.FunctionName}" + "#" * (64 - 23) in text
    assert bounds.size(rendered) == bounds.known_size(rendered) + 64


def test_a_principal_of_unknown_kind_is_bounded_for_its_longest_form() -> None:
    principal = bounds.bounded_marker("value.Stack.Who", 256)
    element = _render.principal_element(principal, "aws")
    assert isinstance(element, str)
    service = bounds.to_json({"Principal": {"Service": "s" * 256}})
    assert len(bounds.sized_json({"Principal": element})) >= len(service)


def test_an_account_marker_becomes_the_accounts_root() -> None:
    account = bounds.bounded_marker("Stack.AWS.AccountId", 12)
    assert _render.principal_element(account, "aws") == {"AWS": f"arn:aws:iam::{account}:root"}


def test_a_sid_with_a_logical_id_not_yet_read_is_bounded_at_100() -> None:
    sid = _render.sid_placeholder("Stack", bounds.bounded_marker("LogicalId", 255))
    assert bounds.max_length(sid) == 100
    assert bounds.readable(sid) == "Stack-{LogicalId}-XXXXXXXXXXXX"
