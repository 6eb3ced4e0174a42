"""LP301-LP307: unsafe grants are found, and safe neighbours are not."""

from __future__ import annotations

import pytest

from constructs_lambdaperm import Permission, Severity, check
from constructs_lambdaperm._core.tokens import marker

FN = "my-function"
BUCKET = "arn:aws:s3:::uploads"
TOPIC = "arn:aws:sns:us-east-1:123456789012:topic"


def unsafe_ids(permission: Permission) -> set[str]:
    return {f.rule.id for f in check(permission) if f.blocking and f.severity is Severity.UNSAFE}


def not_evaluated_ids(permission: Permission) -> set[str]:
    return {f.rule.id for f in check(permission) if not f.evaluated}


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        # LP301: principal * needs a condition
        (Permission(function_name=FN, principal="*"), {"LP301"}),
        (Permission(function_name=FN, principal="*", principal_org_id="o-a1b2c3d4e5"), set()),
        (Permission(function_name=FN, principal="*", source_account="123456789012"), set()),
        (Permission(function_name=FN, principal="223456789012"), set()),
        # LP302: service principal needs a source
        (Permission(function_name=FN, principal="sns.amazonaws.com"), {"LP302"}),
        (Permission(function_name=FN, principal="logs.us-east-1.amazonaws.com"), {"LP302"}),
        (Permission(function_name=FN, principal="alexa-appkit.amazon.com"), {"LP302"}),
        (Permission(function_name=FN, principal="sns.amazonaws.com", source_arn=TOPIC), set()),
        (
            Permission(
                function_name=FN, principal="sns.amazonaws.com", source_account="123456789012"
            ),
            set(),
        ),
        (
            Permission(
                function_name=FN,
                principal="alexa-appkit.amazon.com",
                event_source_token="amzn1.ask.skill.1",
            ),
            set(),
        ),
        # LP303: a bucket ARN names no account
        (Permission(function_name=FN, principal="s3.amazonaws.com", source_arn=BUCKET), {"LP303"}),
        (
            Permission(
                function_name=FN,
                principal="s3.amazonaws.com",
                source_arn=BUCKET,
                source_account="123456789012",
            ),
            set(),
        ),
        (
            Permission(
                function_name=FN,
                principal="cloudfront.amazonaws.com",
                source_arn="arn:aws:cloudfront::123456789012:distribution/E1",
            ),
            set(),
        ),
        (
            Permission(
                function_name=FN,
                principal="events.amazonaws.com",
                source_arn="arn:aws:events:us-east-1::rule/x",
            ),
            {"LP303"},
        ),
        # LP304: a wildcard bucket
        (
            Permission(
                function_name=FN,
                principal="s3.amazonaws.com",
                source_arn="arn:aws:s3:::uploads-*",
                source_account="123456789012",
            ),
            {"LP304"},
        ),
        (
            Permission(
                function_name=FN,
                principal="s3.amazonaws.com",
                source_arn="arn:aws:s3:::upload?",
                source_account="123456789012",
            ),
            {"LP304"},
        ),
        (
            Permission(
                function_name=FN,
                principal="sns.amazonaws.com",
                source_arn="arn:aws:sns:us-east-1:123456789012:*",
            ),
            set(),
        ),
        # LP305: wildcard actions
        (Permission(function_name=FN, principal="223456789012", action="lambda:*"), {"LP305"}),
        (Permission(function_name=FN, principal="223456789012", action="*"), {"LP305"}),
        (
            Permission(
                function_name=FN, principal="*", principal_org_id="o-a1b2c3d4e5", action="*"
            ),
            {"LP305"},
        ),
        # LP306 and LP307: function URLs
        (
            Permission(
                function_name=FN,
                principal="*",
                action="lambda:InvokeFunctionUrl",
                function_url_auth_type="NONE",
            ),
            {"LP306"},
        ),
        (
            Permission(function_name=FN, principal="*", invoked_via_function_url=True),
            set(),
        ),
        (
            Permission(
                function_name=FN,
                principal="*",
                action="lambda:InvokeFunctionUrl",
                function_url_auth_type="AWS_IAM",
            ),
            {"LP307"},
        ),
        (
            Permission(
                function_name=FN,
                principal="*",
                action="lambda:InvokeFunctionUrl",
                function_url_auth_type="AWS_IAM",
                principal_org_id="o-a1b2c3d4e5",
            ),
            set(),
        ),
        (
            Permission(
                function_name=FN,
                principal="223456789012",
                action="lambda:InvokeFunctionUrl",
                function_url_auth_type="AWS_IAM",
            ),
            set(),
        ),
    ],
)
def test_unsafe_grants(permission: Permission, expected: set[str]) -> None:
    assert unsafe_ids(permission) == expected


def test_every_unsafe_rule_is_unsafe_not_error() -> None:
    from constructs_lambdaperm import RULES

    assert {rule_id for rule_id, rule in RULES.items() if rule.severity is Severity.UNSAFE} == {
        "LP301",
        "LP302",
        "LP303",
        "LP304",
        "LP305",
        "LP306",
        "LP307",
        "LP308",
        # verify's drift that may widen access: a statement added or changed outside the stacks.
        "LP702",
        "LP703",
    }


def test_deploy_time_principal_is_reported_as_not_checked_rather_than_passed() -> None:
    permission = Permission(function_name=FN, principal=marker("Ref:Caller"))
    assert unsafe_ids(permission) == set()
    assert "LP301" in not_evaluated_ids(permission)


def test_s3_principal_with_deploy_time_bucket_still_needs_source_account() -> None:
    permission = Permission(
        function_name=FN, principal="s3.amazonaws.com", source_arn=marker("GetAtt:Bucket.Arn")
    )
    assert unsafe_ids(permission) == {"LP303"}


def test_deploy_time_arn_of_unknown_service_leaves_the_account_question_open() -> None:
    permission = Permission(
        function_name=FN, principal="events.amazonaws.com", source_arn=marker("GetAtt:Rule.Arn")
    )
    assert unsafe_ids(permission) == set()
    assert "LP303" in not_evaluated_ids(permission)


def test_wildcard_in_the_literal_part_of_a_joined_bucket_arn_is_found() -> None:
    arn = "arn:" + marker("Ref:AWS::Partition") + ":s3:::logs-*"
    permission = Permission(
        function_name=FN,
        principal="s3.amazonaws.com",
        source_arn=arn,
        source_account="123456789012",
    )
    assert unsafe_ids(permission) == {"LP304"}


PARTITION = marker("AWS.Partition.8")


@pytest.mark.parametrize(
    ("source_arn", "expected"),
    [
        ("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/*/*", set()),
        ("arn:aws:execute-api:us-east-1:123456789012:*/*/*/*", {"LP308"}),
        ("arn:aws:execute-api:us-east-1:*:a1b2c3d4e5/*/*/*", {"LP308"}),
        ("arn:" + PARTITION + ":execute-api:us-east-1:123456789012:*/prod/GET/", {"LP308"}),
        (
            "arn:"
            + PARTITION
            + ":execute-api:us-east-1:123456789012:"
            + marker("Ref:Api")
            + "/*/*/*",
            set(),
        ),
    ],
)
def test_open_api_gateway_sources(source_arn: str, expected: set[str]) -> None:
    permission = Permission(
        function_name=FN, principal="apigateway.amazonaws.com", source_arn=source_arn
    )
    assert unsafe_ids(permission) == expected


@pytest.mark.parametrize(
    ("principal", "source_arn", "mismatch"),
    [
        ("sns.amazonaws.com", TOPIC, False),
        ("sns.amazonaws.com", BUCKET, True),
        (
            "logs.eu-west-1.amazonaws.com",
            "arn:aws:logs:eu-west-1:123456789012:log-group:g:*",
            False,
        ),
        ("events.amazonaws.com", "arn:" + PARTITION + ":sns:us-east-1:123456789012:t", True),
        ("events.amazonaws.com", marker("GetAtt:Rule.Arn"), False),
        ("unknown-service.amazonaws.com", TOPIC, False),
        ("alexa-appkit.amazon.com", TOPIC, True),
    ],
)
def test_source_arn_of_another_service_is_an_error(
    principal: str, source_arn: str, mismatch: bool
) -> None:
    permission = Permission(
        function_name=FN, principal=principal, source_arn=source_arn, source_account="123456789012"
    )
    assert ("LP114" in {f.rule.id for f in check(permission) if f.blocking}) is mismatch
