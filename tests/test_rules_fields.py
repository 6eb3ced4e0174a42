"""LP101-LP113: every AddPermission constraint, at its boundaries, on both sides."""

from __future__ import annotations

from dataclasses import replace

import pytest

from constructs_lambdaperm import Permission, check
from constructs_lambdaperm._core.tokens import marker

BASE = Permission(function_name="my-function", principal="223456789012")
TOKEN = marker("TOKEN.1")


def blocking_ids(permission: Permission) -> set[str]:
    """The short IDs of the rules that refuse ``permission``."""
    return {f.rule.id for f in check(permission) if f.blocking}


def arn(name: str, qualifier: str | None = None) -> str:
    suffix = f":{qualifier}" if qualifier else ""
    return f"arn:aws:lambda:us-west-2:123456789012:function:{name}{suffix}"


@pytest.mark.parametrize(
    ("function_name", "qualifier", "expected"),
    [
        pytest.param("my-function", None, set(), id="name"),
        pytest.param("my-function:v1", "v1", set(), id="name with alias"),
        pytest.param(arn("my-function"), None, set(), id="arn"),
        pytest.param(arn("my-function", "7"), "7", set(), id="arn with version"),
        pytest.param("123456789012:function:my-function", None, set(), id="partial arn"),
        pytest.param("a" * 64, None, set(), id="name of 64"),
        pytest.param("a" * 65, None, {"LP110"}, id="name of 65"),
        pytest.param(arn("a" * 65), None, {"LP110"}, id="name of 65 inside an arn"),
        # A full ARN may reach 140 characters: 47 of prefix, 64 of name, ":" and 28 of qualifier.
        pytest.param(arn("a" * 64, "q" * 28), "q" * 28, set(), id="arn of 140"),
        pytest.param(arn("a" * 64, "q" * 29), "q" * 29, {"LP101"}, id="arn of 141"),
        pytest.param("my.function", None, {"LP101"}, id="dot refused by CloudFormation"),
        pytest.param("my function", None, {"LP101"}, id="space"),
        pytest.param("", None, {"LP101"}, id="empty"),
        pytest.param("my-function:$LATEST", "$LATEST", {"LP111"}, id="$LATEST suffix"),
    ],
)
def test_function_name_constraints(
    function_name: str, qualifier: str | None, expected: set[str]
) -> None:
    permission = replace(BASE, function_name=function_name, qualifier=qualifier)
    assert blocking_ids(permission) == expected


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("live", set()),
        ("12", set()),
        ("q" * 64, set()),  # the full FunctionName stays under 140
        ("$LATEST", {"LP111"}),
        ("v$1", {"LP102", "LP101"}),
        ("", {"LP102", "LP101"}),
    ],
)
def test_qualifier_constraints(qualifier: str, expected: set[str]) -> None:
    permission = replace(BASE, function_name=f"fn:{qualifier}", qualifier=qualifier)
    assert blocking_ids(permission) == expected


def test_arn_boundary_lengths_are_what_the_table_says() -> None:
    assert len(arn("a" * 64, "q" * 28)) == 140


def test_qualifier_of_129_characters_is_refused() -> None:
    qualifier = "q" * 129
    permission = replace(BASE, function_name="fn", qualifier=qualifier)
    assert "LP102" in blocking_ids(permission)


@pytest.mark.parametrize(
    ("source_account", "expected"),
    [
        ("123456789012", set()),
        ("12345678901", {"LP106"}),
        ("1234567890123", {"LP106"}),
        ("12345678901a", {"LP106"}),
        ("", {"LP106"}),
    ],
)
def test_source_account_is_twelve_digits(source_account: str, expected: set[str]) -> None:
    permission = replace(
        BASE,
        principal="sns.amazonaws.com",
        source_arn="arn:aws:sns:us-east-1:123456789012:topic",
        source_account=source_account,
    )
    assert blocking_ids(permission) == expected


@pytest.mark.parametrize(
    ("org_id", "expected"),
    [
        ("o-" + "a" * 9, {"LP107"}),
        ("o-" + "a" * 10, set()),
        ("o-" + "a1" * 16, set()),
        ("o-" + "a" * 33, {"LP107"}),
        ("o-A1B2C3D4E5", {"LP107"}),
        ("a1b2c3d4e5ab", {"LP107"}),
    ],
)
def test_principal_org_id_pattern(org_id: str, expected: set[str]) -> None:
    permission = replace(BASE, principal="*", principal_org_id=org_id)
    assert blocking_ids(permission) == expected


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("lambda:InvokeFunction", set()),
        ("lambda:GetFunction", set()),
        ("lambda:Invoke*", {"LP103"}),
        ("s3:GetObject", {"LP103"}),
        ("lambda:", {"LP103"}),
        ("lambda:" + "A" * 249, {"LP116"}),  # 256 characters: the length passes, the name not
        ("lambda:" + "A" * 250, {"LP103"}),  # 257: over CloudFormation's limit
        ("lambda:*", {"LP305"}),
        ("*", {"LP305"}),
    ],
)
def test_action_pattern_and_length(action: str, expected: set[str]) -> None:
    assert blocking_ids(replace(BASE, action=action)) == expected


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("223456789012", set()),
        ("arn:aws:iam::223456789012:root", set()),
        ("arn:aws:iam::223456789012:role/path/to/caller", set()),
        ("arn:aws-cn:iam::223456789012:user/alice", set()),
        ("22345678901", {"LP113"}),
        ("2234567890123", {"LP113"}),
        ("arn:aws:sts::223456789012:assumed-role/r/s", {"LP113"}),
        ("not a principal", {"LP104", "LP113"}),
        ("x" * 257, {"LP104", "LP113"}),
    ],
)
def test_principal_pattern_length_and_kind(principal: str, expected: set[str]) -> None:
    assert blocking_ids(replace(BASE, principal=principal)) == expected


def test_principal_of_256_characters_passes_the_length_limit() -> None:
    role = "arn:aws:iam::223456789012:role/" + "r" * (256 - 31)
    assert len(role) == 256
    assert blocking_ids(replace(BASE, principal=role)) == set()
    assert "LP104" in blocking_ids(replace(BASE, principal=role + "r"))


@pytest.mark.parametrize(
    ("source_arn", "expected"),
    [
        ("arn:aws:sns:us-east-1:123456789012:topic", set()),
        ("arn:aws:s3:::b", {"LP105"}),  # 14 characters, but S3 ARNs need SourceAccount too
        ("arn:a:s::1:", {"LP105"}),
        ("arn:aws:sns:us-east-1:12345:topic", {"LP105"}),
        ("not-an-arn-at-all", {"LP105"}),
        ("arn:aws:sns:us-east-1:123456789012:" + "t" * (1024 - 35), set()),
        ("arn:aws:sns:us-east-1:123456789012:" + "t" * (1025 - 35), {"LP105"}),
    ],
)
def test_source_arn_pattern_and_length(source_arn: str, expected: set[str]) -> None:
    permission = replace(
        BASE,
        principal="sns.amazonaws.com",
        source_arn=source_arn,
        source_account="123456789012",
    )
    found = blocking_ids(permission)
    if source_arn == "arn:aws:s3:::b":
        # 14 characters pass the minimum of 12; a bucket ARN is otherwise fine for SNS's rules.
        assert "LP105" not in found
    else:
        assert found == expected


def test_source_arn_minimum_length_is_twelve() -> None:
    short = replace(
        BASE, principal="sns.amazonaws.com", source_arn="arn:aws:s3:", source_account="123456789012"
    )
    assert "LP105" in blocking_ids(short)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("amzn1.ask.skill.12345678-1234-1234-1234-123456789012", set()),
        ("", {"LP108"}),
        ("a" * 256, set()),
        ("a" * 257, {"LP108"}),
        ("has space", {"LP108"}),
        ("has/slash", {"LP108"}),
    ],
)
def test_event_source_token(token: str, expected: set[str]) -> None:
    permission = replace(BASE, principal="alexa-appkit.amazon.com", event_source_token=token)
    assert blocking_ids(permission) == expected


@pytest.mark.parametrize(
    ("auth_type", "expected"),
    [("AWS_IAM", set()), ("NONE", {"LP306"}), ("aws_iam", {"LP109"}), ("IAM", {"LP109"})],
)
def test_function_url_auth_type_enum(auth_type: str, expected: set[str]) -> None:
    permission = replace(BASE, action="lambda:InvokeFunctionUrl", function_url_auth_type=auth_type)
    assert blocking_ids(permission) == expected
