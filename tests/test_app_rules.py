"""The app-level rules (LP601-LP611) and the guard's engine, on templates: pure Python.

Each case is a template and the findings the guard must report on it, as (rule, logical ID).
"""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lambdaperm._audit.config import GuardConfig, GuardConfigError
from constructs_lambdaperm._audit.engine import AuditReport, AuditStack, audit
from constructs_lambdaperm._readers.template import stack_from_template

ACCOUNT = "111111111111"
PARTNER = "223456789012"
FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "orders"}}
FN_ARN = {"Fn::GetAtt": ["Fn", "Arn"]}


def permission(**properties: Any) -> dict[str, Any]:
    defaults = {"FunctionName": FN_ARN, "Action": "lambda:InvokeFunction"}
    return {"Type": "AWS::Lambda::Permission", "Properties": {**defaults, **properties}}


def url(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Url",
        "Properties": {"TargetFunctionArn": FN_ARN, "AuthType": "AWS_IAM", **properties},
    }


URL_GRANT = permission(
    Action="lambda:InvokeFunctionUrl", Principal=PARTNER, FunctionUrlAuthType="AWS_IAM"
)
COMPANION = permission(Principal=PARTNER, InvokedViaFunctionUrl=True)
TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "orders"}}
QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {}}


def run(
    resources: dict[str, Any], config: GuardConfig | None = None, account: str = ACCOUNT
) -> AuditReport:
    template = stack_from_template(
        {"Resources": {"Fn": FUNCTION, **resources}},
        name="orders-prod",
        account=account,
        region="us-east-1",
    )
    return audit([AuditStack(template=template)], config)


def findings(report: AuditReport, prefix: str = "LP6") -> set[tuple[str, str]]:
    return {
        (r.rule.id, r.places[0].logical_id or "")
        for r in report.findings
        if (r.rule.id.startswith(prefix) or r.rule.id == "LP205")
        and r.rule.id != "LP600"
        and r.finding.evaluated
    }


CASES: list[tuple[str, dict[str, Any], set[tuple[str, str]]]] = [
    (
        "the same statement twice",
        {
            "A": permission(Principal="sns.amazonaws.com", SourceArn={"Ref": "Topic"}),
            "B": permission(Principal="sns.amazonaws.com", SourceArn={"Ref": "Topic"}),
            "Topic": TOPIC,
        },
        {("LP601", "B")},
    ),
    (
        "an account ID and its root ARN are the same principal",
        {
            "A": permission(Principal=PARTNER),
            "B": permission(Principal=f"arn:aws:iam::{PARTNER}:root"),
        },
        {("LP601", "B")},
    ),
    (
        "two sources are two grants",
        {
            "A": permission(Principal="sns.amazonaws.com", SourceArn={"Ref": "Topic"}),
            "B": permission(Principal="sns.amazonaws.com", SourceArn={"Ref": "Other"}),
            "Topic": TOPIC,
            "Other": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "other"}},
        },
        set(),
    ),
    (
        "two parameters are never the same value",
        {
            "A": permission(Principal={"Ref": "One"}),
            "B": permission(Principal={"Ref": "Two"}),
        },
        set(),
    ),
    (
        "a function URL grant with its companion",
        {"U": url(), "G": URL_GRANT, "C": COMPANION},
        set(),
    ),
    ("a function URL grant alone", {"U": url(), "G": URL_GRANT}, {("LP602", "G")}),
    ("a companion alone", {"U": url(), "C": COMPANION}, {("LP603", "C")}),
    (
        "a grant for the other auth type",
        {"U": url(AuthType="NONE"), "G": URL_GRANT, "C": COMPANION},
        {("LP604", "G")},
    ),
    (
        "a URL grant where the function has no URL",
        {"G": URL_GRANT, "C": COMPANION},
        {("LP605", "G")},
    ),
    (
        "a URL grant on an alias whose URL is on the function",
        {
            "U": url(),
            "G": permission(
                FunctionName={"Fn::Join": [":", [FN_ARN, "live"]]},
                Action="lambda:InvokeFunctionUrl",
                Principal=PARTNER,
                FunctionUrlAuthType="AWS_IAM",
            ),
            "C": permission(
                FunctionName={"Fn::Join": [":", [FN_ARN, "live"]]},
                Principal=PARTNER,
                InvokedViaFunctionUrl=True,
            ),
        },
        {("LP605", "G")},
    ),
    (
        "FunctionUrlAuthType on another action",
        {"P": permission(Principal=PARTNER, FunctionUrlAuthType="AWS_IAM")},
        {("LP606", "P")},
    ),
    (
        "SourceArn for an account principal",
        {"P": permission(Principal=PARTNER, SourceArn={"Ref": "Topic"}), "Topic": TOPIC},
        {("LP607", "P")},
    ),
    (
        "a function in another account",
        {
            "P": permission(
                FunctionName=f"arn:aws:lambda:us-east-1:{PARTNER}:function:f", Principal=PARTNER
            )
        },
        {("LP205", "P")},
    ),
    (
        "a function in another region",
        {
            "P": permission(
                FunctionName=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f", Principal=PARTNER
            )
        },
        {("LP205", "P")},
    ),
    (
        "a ResourcePolicy beside permissions",
        {
            "P": permission(Principal=PARTNER),
            "Doc": {
                "Type": "AWS::Lambda::ResourcePolicy",
                "Properties": {"ResourceArn": FN_ARN, "PolicyDocument": {}},
            },
        },
        {("LP609", "Doc")},
    ),
]


@pytest.mark.parametrize(
    ("resources", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_app_rules(resources: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert findings(run(resources)) == expected


def test_a_source_of_another_service_is_told_by_the_resource_type() -> None:
    # The queue's ARN has no shape the resolver knows, but its type says it is SQS.
    report = run(
        {
            "P": permission(Principal="sns.amazonaws.com", SourceArn={"Fn::GetAtt": ["Q", "Arn"]}),
            "Q": QUEUE,
        }
    )
    assert ("LP114", "P") in findings(report, "LP114")


def test_allowed_accounts_and_organizations() -> None:
    config = GuardConfig.of(allowed_accounts=[ACCOUNT], allowed_org_ids=["o-a1b2c3d4e5"])
    report = run(
        {
            "Partner": permission(Principal=PARTNER),
            "Ours": permission(Principal=ACCOUNT),
            "Role": permission(Principal=f"arn:aws:iam::{PARTNER}:role/caller"),
            "Org": permission(Principal="*", PrincipalOrgID="o-a1b2c3d4e5"),
            "OtherOrg": permission(Principal="*", PrincipalOrgID="o-zzzzzzzzzz"),
            "Source": permission(
                Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::b", SourceAccount=PARTNER
            ),
        },
        config,
    )
    assert findings(report) == {
        ("LP610", "Partner"),
        ("LP610", "Role"),
        ("LP610", "OtherOrg"),
        ("LP610", "Source"),
    }


def test_deploy_time_principals_are_not_refused_by_the_allow_lists() -> None:
    config = GuardConfig.of(allowed_accounts=[ACCOUNT])
    assert findings(run({"P": permission(Principal={"Ref": "Caller"})}, config)) == set()


def test_require_constructs_cannot_be_decided_from_a_bare_template() -> None:
    report = run({"P": permission(Principal=PARTNER)}, GuardConfig.of(require_constructs=True))
    (lp611,) = [r for r in report.findings if r.rule.id == "LP611"]
    assert not lp611.finding.evaluated
    assert not lp611.blocking


def test_severities_raise_a_warning_and_turn_a_rule_off() -> None:
    twice = {
        "A": permission(Principal=PARTNER),
        "B": permission(Principal=PARTNER),
    }
    assert not run(twice).blocking
    raised = run(twice, GuardConfig.of(severities={"LambdaPerm::LP601": "error"}))
    assert [r.rule.id for r in raised.blocking] == ["LP601", "LP600"]
    off = run(twice, GuardConfig.of(severities={"LP601": "off"}))
    assert findings(off) == set()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"allowed_accounts": "111111111111"}, "takes a list"),
        ({"allowed_accounts": ["1234"]}, "12-digit account IDs"),
        ({"allowed_org_ids": ["org-1"]}, "organization IDs"),
        ({"severities": {"LambdaPerm::LP999": "error"}}, "names no rule"),
        ({"severities": {"LP402": "fatal"}}, "use one of error, unsafe, warning, off"),
        ({"severities": {"LP401": "warning"}}, "cannot be lowered"),
        ({"require_constructs": "yes"}, "True or False"),
    ],
)
def test_a_setting_the_guard_cannot_use_is_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(GuardConfigError, match=message):
        GuardConfig.of(**settings)


def test_the_verdict_lists_what_refuses_deployment() -> None:
    report = run({"P": permission(Principal="*", Action="lambda:*")})
    verdict = report.findings[-1]
    assert verdict.rule.id == "LP600"
    assert verdict.places == ()
    assert "2 finding(s)" in verdict.finding.message
    assert "LambdaPerm::LP301 at orders-prod/P" in verdict.finding.message


def test_an_acknowledgement_in_the_resource_metadata_accepts_the_finding() -> None:
    grant = permission(Principal="*", Action="lambda:InvokeFunction")
    grant["Metadata"] = {
        "aws:cdk:acknowledged-rules": {"LambdaPerm::LP301": "a public demo, reviewed in SEC-9"}
    }
    report = run({"P": grant})
    (public,) = [r for r in report.findings if r.rule.id == "LP301"]
    assert public.acknowledgement is not None
    assert not public.blocking
    assert report.blocking == []


def test_a_short_reason_accepts_nothing_and_is_refused() -> None:
    grant = permission(Principal="*")
    grant["Metadata"] = {"aws:cdk:acknowledged-rules": {"LambdaPerm::LP301": "ok"}}
    assert {r.rule.id for r in run({"P": grant}).blocking} == {"LP301", "LP501", "LP600"}


def test_each_branch_of_an_fn_if_is_checked_and_named() -> None:
    report = run(
        {
            "P": permission(
                Principal={"Fn::If": ["IsPublic", "*", PARTNER]},
                Action={"Fn::If": ["IsAdmin", "lambda:*", "lambda:InvokeFunction"]},
            )
        }
    )
    messages = sorted(r.finding.message for r in report.blocking if r.rule.id in ("LP301", "LP305"))
    assert len(messages) == 4, messages  # of the 4 ways, 2 are public and 2 grant every action
    public = [m for m in messages if "open to everyone" in m]
    assert all("IsPublic is true" in m for m in public)
    assert all("IsPublic is false" not in m for m in public)


def test_a_finding_on_every_branch_is_reported_once() -> None:
    report = run(
        {
            "P": permission(
                Principal="*",
                SourceAccount={"Fn::If": ["InProd", "111111111111", "222222222222"]},
                Action="lambda:*",
            )
        }
    )
    assert [r.finding.message for r in report.findings if r.rule.id == "LP305"] == [
        "Action 'lambda:*' grants every Lambda action on the function to '*'"
    ]


def test_an_acknowledgement_stops_counting_when_the_rule_is_raised_to_error() -> None:
    twice = {"A": permission(Principal=PARTNER), "B": permission(Principal=PARTNER)}
    twice["B"]["Metadata"] = {
        "aws:cdk:acknowledged-rules": {"LambdaPerm::LP601": "kept while SEC-12 migrates"}
    }
    assert run(twice).blocking == []
    raised = run(twice, GuardConfig.of(severities={"LP601": "error"}))
    # An error cannot be accepted: the finding blocks, and the acknowledgement is refused.
    assert [(r.rule.id, r.acknowledgement) for r in raised.blocking if r.rule.id == "LP601"] == [
        ("LP601", None)
    ]
    assert "LP501" in {r.rule.id for r in raised.blocking}


def test_an_account_known_only_at_deploy_is_not_refused_by_the_allow_list() -> None:
    config = GuardConfig.of(allowed_accounts=[ACCOUNT])
    role = {"Fn::Sub": "arn:aws:iam::${Caller}:role/reader"}
    report = run({"P": permission(Principal=role)}, config)
    (lp610,) = [r for r in report.findings if r.rule.id == "LP610"]
    assert not lp610.finding.evaluated
    assert report.blocking == []


@pytest.mark.parametrize(
    "companion_principal",
    [f"arn:aws:iam::{PARTNER}:root", "*"],
    ids=["the same account as a root ARN", "everyone"],
)
def test_a_companion_to_the_same_caller_spelled_another_way_counts(
    companion_principal: str,
) -> None:
    companion = permission(Principal=companion_principal, InvokedViaFunctionUrl=True)
    assert findings(run({"U": url(), "G": URL_GRANT, "C": companion})) == set()


def test_a_companion_for_another_caller_does_not_count() -> None:
    companion = permission(Principal="333333333333", InvokedViaFunctionUrl=True)
    assert findings(run({"U": url(), "G": URL_GRANT, "C": companion})) == {
        ("LP602", "G"),
        ("LP603", "C"),
    }


def test_a_public_grant_of_another_service_is_not_a_url_companion() -> None:
    # An S3 grant beside a URL grant is no companion: the URL grant still lacks one.
    s3 = permission(Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::b", SourceAccount=ACCOUNT)
    assert ("LP602", "G") in findings(run({"U": url(), "G": URL_GRANT, "S3": s3}))


def test_invoked_via_function_url_known_only_at_deploy_leaves_public_undecided() -> None:
    report = run(
        {"U": url(), "P": permission(Principal="*", InvokedViaFunctionUrl={"Ref": "ViaUrl"})}
    )
    (lp301,) = [r for r in report.findings if r.rule.id == "LP301"]
    assert not lp301.finding.evaluated
    assert "InvokedViaFunctionUrl" in lp301.finding.message
    assert report.blocking == []


def test_a_url_grant_to_a_principal_known_only_at_deploy_says_what_it_could_not_check() -> None:
    report = run(
        {
            "U": url(AuthType="NONE"),
            "G": permission(
                Action="lambda:InvokeFunctionUrl",
                Principal={"Ref": "Caller"},
                FunctionUrlAuthType="NONE",
            ),
        }
    )
    (lp307,) = [r for r in report.findings if r.rule.id == "LP307"]
    assert not lp307.finding.evaluated
