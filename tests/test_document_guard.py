"""The guard reads AWS::Lambda::ResourcePolicy documents as the permissions they stand for.

Pure Python: templates in, the guard's report and the policies out.
"""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lambdaperm import resource_policies
from constructs_lambdaperm._audit.engine import AuditReport, AuditStack, audit
from constructs_lambdaperm._readers.template import stack_from_template

ACCOUNT = "111111111111"
PARTNER = "223456789012"
FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "orders"}}
FN_ARN = {"Fn::GetAtt": ["Fn", "Arn"]}
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders"


def document(*statements: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::ResourcePolicy",
        "Properties": {
            "ResourceArn": FN_ARN,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            **properties,
        },
    }


def allow(principal: Any = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Sid": extra.pop("Sid", "S"),
        "Effect": "Allow",
        "Principal": principal,
        "Action": extra.pop("Action", "lambda:InvokeFunction"),
        "Resource": FN_ARN,
        **extra,
    }


TEMPLATE_DEFAULTS = {"name": "orders-prod", "account": ACCOUNT, "region": "us-east-1"}


def run(resources: dict[str, Any]) -> AuditReport:
    template = stack_from_template(
        {"Resources": {"Fn": FUNCTION, **resources}}, **TEMPLATE_DEFAULTS
    )
    return audit([AuditStack(template=template)])


def found(report: AuditReport, *, evaluated: bool = True) -> set[tuple[str, str | None]]:
    return {
        (r.rule.id, r.places[0].logical_id)
        for r in report.findings
        if r.finding.evaluated is evaluated and r.rule.id != "LP600"
    }


def test_a_public_statement_in_a_document_is_lp301() -> None:
    report = run({"Doc": document(allow("*"))})
    assert found(report) == {("LP301", "Doc")}
    assert [r.rule.id for r in report.blocking] == ["LP301", "LP600"]


def test_a_public_principal_in_a_list_of_principals_is_found_too() -> None:
    report = run({"Doc": document(allow({"AWS": [f"arn:aws:iam::{PARTNER}:root", "*"]}))})
    assert ("LP301", "Doc") in found(report)


def test_each_value_of_a_list_is_checked_as_its_own_permission() -> None:
    statement = allow(
        {"Service": "sns.amazonaws.com"},
        Condition={
            "ArnLike": {
                "AWS:SourceArn": [
                    f"arn:aws:sns:us-east-1:{ACCOUNT}:orders",
                    "arn:aws:s3:::not-a-topic",
                ]
            }
        },
    )
    report = run({"Doc": document(statement)})
    # The topic is fine; the bucket is of another service than the principal's (LP114), and a
    # bucket's ARN names no account (LP303).
    assert found(report) == {("LP114", "Doc"), ("LP303", "Doc")}


def test_a_deny_and_an_unknown_condition_key_leave_the_width_rules_undecided() -> None:
    report = run(
        {
            "Doc": document(
                allow("*", Sid="Anyone"),
                allow(
                    "*",
                    Sid="FromOffice",
                    Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                ),
                {
                    "Sid": "OrgOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "lambda:*",
                    "Resource": FN_ARN,
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                },
            )
        }
    )
    # Never refused for what the rules cannot read, never silently passed either.
    assert report.blocking == []
    undecided = [r for r in report.findings if not r.finding.evaluated and r.rule.id == "LP301"]
    assert len(undecided) == 2
    assert all("the Deny statement OrgOnly" in r.finding.message for r in undecided)
    assert any("condition IpAddress aws:SourceIp" in r.finding.message for r in undecided)
    (policy,) = [p for p in report.policies if p.from_document]
    # Who may invoke: the Deny narrows the public Allow to the organization.
    assert policy.allows(principal=PARTNER, principal_org_id="o-a1b2c3d4e5") is True
    assert policy.allows(principal=PARTNER, principal_org_id="o-zzzzzzzzzz") is False
    assert policy.allows(principal="anonymous") is False


def test_a_condition_addpermission_cannot_write_still_gets_its_field_rules() -> None:
    statement = allow(
        {"Service": "sns.amazonaws.com"},
        Condition={
            "ArnLike": {"AWS:SourceArn": "not-an-arn"},
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
        },
    )
    report = run({"Doc": document(statement)})
    assert ("LP105", "Doc") in found(report)  # SourceArn is malformed whatever else holds


def test_an_action_pattern_is_not_refused_as_an_addpermission_action() -> None:
    report = run({"Doc": document(allow({"AWS": PARTNER}, Action="lambda:Invoke*"))})
    assert report.blocking == []
    assert ("LP103", "Doc") in found(report, evaluated=False)


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        (
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": PARTNER},
                "Action": "lambda:*",
                "Resource": ARN,
            },
            "NotPrincipal",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": {"Federated": "x"},
                "Action": "lambda:*",
                "Resource": ARN,
            },
            "Federated",
        ),
    ],
)
def test_a_statement_no_permission_expresses_is_reported_not_evaluated(
    statement: dict[str, Any], what: str
) -> None:
    report = run({"Doc": document(statement)})
    assert report.blocking == []
    (undecided,) = [r for r in report.findings if not r.finding.evaluated]
    assert undecided.rule.id == "LP301"
    assert what in undecided.finding.message


def test_a_document_that_cannot_be_read_is_said_so() -> None:
    report = run({"Doc": document(PolicyDocument={"Fn::If": ["C", {}, {}]})})
    (undecided,) = [r for r in report.findings if not r.finding.evaluated]
    assert "known only at deploy time" in undecided.finding.message


def test_a_document_beside_permissions_and_two_documents_are_lp609() -> None:
    permission = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": FN_ARN,
            "Action": "lambda:InvokeFunction",
            "Principal": PARTNER,
        },
    }
    assert found(run({"Doc": document(allow({"AWS": PARTNER})), "P": permission})) == {
        ("LP609", "Doc")
    }
    two = run(
        {"A": document(allow({"AWS": PARTNER})), "B": document(allow({"AWS": "323456789012"}))}
    )
    assert found(two) == {("LP609", "B")}


def test_the_budget_counts_the_document_as_written() -> None:
    routes = [
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcde12345/prod/GET/r{i:04d}" for i in range(400)
    ]
    statement = allow(
        {"Service": "apigateway.amazonaws.com"}, Condition={"ArnLike": {"AWS:SourceArn": routes}}
    )
    report = run({"Doc": document(statement)})
    (policy,) = [p for p in report.policies if p.from_document]
    assert policy.size > 20480
    assert ("LP401", "Fn") in found(report)


def test_resource_policies_of_a_template_include_its_documents() -> None:
    template = {
        "Resources": {
            "Fn": FUNCTION,
            "Doc": document(
                allow(
                    {"Service": "apigateway.amazonaws.com"},
                    Sid="Routes",
                    Condition={
                        "ArnLike": {
                            "AWS:SourceArn": [
                                f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcde12345/prod/GET/a",
                                f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcde12345/prod/GET/b",
                            ]
                        }
                    },
                )
            ),
        }
    }
    (policy,) = resource_policies(
        template, **{k: v for k, v in TEMPLATE_DEFAULTS.items() if k != "name"}
    )
    assert policy.from_document
    assert policy.document_logical_id == "Doc"
    (statement,) = policy.statements
    assert statement.from_document
    assert statement.permission is None
    assert len(statement.permissions) == 2
    assert statement.location == "template/Doc (Sid Routes)"
    assert len(policy.to_json().encode()) == policy.size
    assert policy.allows(
        principal="apigateway.amazonaws.com",
        source_arn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcde12345/prod/GET/b",
    )


def test_a_deny_of_one_account_leaves_a_public_allow_public() -> None:
    one_account = {
        "Sid": "NotThem",
        "Effect": "Deny",
        "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
        "Action": "lambda:*",
        "Resource": FN_ARN,
    }
    report = run({"Doc": document(allow("*", Sid="Anyone"), one_account)})
    # Everyone but the one account may still invoke: decided, and refused.
    assert ("LP301", "Doc") in found(report)
    assert "LP301" in {r.rule.id for r in report.blocking}
