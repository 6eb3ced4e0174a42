"""The guard at synth, on apps built only from aws-cdk-lib's own helpers.

Most permissions of a real app come from aws-cdk's helpers (add_permission, grant_invoke,
add_function_url, LambdaIntegration, LambdaDestination), raw CfnPermission and other
libraries: the guard checks all of them with the same rules as this library's constructs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway, aws_iam, aws_lambda, aws_s3, aws_s3_notifications
from syrupy.assertion import SnapshotAssertion

from conftest import make_function as _function
from conftest import plugin_violations
from constructs_lambdaperm import CrossAccountPermission, PermissionGuard

ENV = cdk.Environment(account="111111111111", region="us-east-1")
PARTNER = "223456789012"


def public_anything(stack: cdk.Stack) -> None:
    fn = _function(stack, "Public")
    fn.add_permission("Anyone", principal=aws_iam.AnyPrincipal(), action="lambda:*")


def service_without_source(stack: cdk.Stack) -> None:
    _function(stack, "FromSns").grant_invoke(aws_iam.ServicePrincipal("sns.amazonaws.com"))


def public_url(stack: cdk.Stack) -> None:
    _function(stack, "Webhook").add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)


def duplicate_grant(stack: cdk.Stack) -> None:
    fn = _function(stack, "Thumbs")
    bucket = aws_s3.Bucket(stack, "Uploads")
    bucket.add_event_notification(
        aws_s3.EventType.OBJECT_CREATED, aws_s3_notifications.LambdaDestination(fn)
    )
    fn.add_permission(
        "FromUploads",
        principal=aws_iam.ServicePrincipal("s3.amazonaws.com"),
        source_arn=bucket.bucket_arn,
        source_account=stack.account,
    )


def l1_url_without_companion(stack: cdk.Stack) -> None:
    fn = _function(stack, "Reports")
    aws_lambda.CfnUrl(stack, "ReportsUrl", target_function_arn=fn.function_arn, auth_type="AWS_IAM")
    aws_lambda.CfnPermission(
        stack,
        "ReportsUrlInvoke",
        action="lambda:InvokeFunctionUrl",
        function_name=fn.function_name,
        principal=PARTNER,
        function_url_auth_type="AWS_IAM",
    )


def api_with_a_permission_per_method(stack: cdk.Stack) -> None:
    fn = _function(stack, "Api")
    api = aws_apigateway.RestApi(stack, "Rest")
    for i in range(60):
        api.root.add_resource(f"r{i}").add_method("GET", aws_apigateway.LambdaIntegration(fn))


Part = Callable[[cdk.Stack], None]

UNSAFE: dict[str, tuple[Part, list[str]]] = {
    "public_anything": (public_anything, ["LambdaPerm::LP301", "LambdaPerm::LP305"]),
    "service_without_source": (service_without_source, ["LambdaPerm::LP302"]),
    "public_url": (public_url, ["LambdaPerm::LP306"]),
}
"""The unsafe helper calls, and the acknowledgements that accept what each grants."""


def service_stack(app: cdk.App) -> cdk.Stack:
    stack = app.node.find_child("Prod").node.find_child("Service")
    assert isinstance(stack, cdk.Stack)
    return stack


def helper_app(*parts: Part, guard: PermissionGuard | None = None) -> cdk.App:
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(guard or PermissionGuard())
    stack = cdk.Stack(cdk.Stage(app, "Prod", env=ENV), "Service")
    for part in parts:
        part(stack)
    return app


def synth(app: cdk.App) -> bool:
    """Whether ``app`` synthesizes; a refusal must be the validation report's."""
    try:
        app.synth(force=True)  # force: a second synth of the same app validates again
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        return False
    return True


def report(app: cdk.App) -> list[dict[str, Any]]:
    data = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    return [
        {
            "rule": violation["ruleName"],
            "severity": violation["severity"],
            "at": [c["constructPath"] for c in violation["violatingConstructs"]],
            "description": violation["description"].splitlines()[0],
        }
        for plugin in data["pluginReports"]
        if plugin["pluginName"] == "LambdaPerm"
        for violation in plugin["violations"]
    ]


@pytest.fixture(scope="module")
def everything() -> cdk.App:
    app = helper_app(
        *(part for part, _ in UNSAFE.values()),
        duplicate_grant,
        l1_url_without_companion,
        api_with_a_permission_per_method,
    )
    assert not synth(app)
    return app


def test_the_report_on_an_app_of_aws_cdk_helpers(
    everything: cdk.App, snapshot_json: SnapshotAssertion
) -> None:
    assert report(everything) == snapshot_json


def test_every_helper_made_problem_is_found(everything: cdk.App) -> None:
    found = {(rule, severity) for rule, severity, _ in plugin_violations(everything, verdict=True)}
    assert found == {
        ("LP301", "error"),  # add_permission(AnyPrincipal())
        ("LP305", "error"),  # ... with lambda:*
        ("LP302", "error"),  # grant_invoke(ServicePrincipal) with no source
        ("LP306", "error"),  # add_function_url(auth_type=NONE)
        ("LP601", "warning"),  # LambdaDestination beside add_permission for the same bucket
        ("LP602", "fatal"),  # CfnUrl with an InvokeFunctionUrl permission and no companion
        ("LP401", "fatal"),  # 60 methods with a LambdaIntegration each: 120 statements
        ("LP600", "fatal"),  # the verdict
    }


def test_a_clean_app_reports_nothing() -> None:
    def clean(stack: cdk.Stack) -> None:
        fn = _function(stack, "Fn")
        fn.grant_invoke(aws_iam.AccountPrincipal(PARTNER))
        fn.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM)
        CrossAccountPermission(stack, "Partner", function=fn, principal="323456789012")

    app = helper_app(clean)
    assert synth(app)
    assert report(app) == []


def test_each_unsafe_finding_acknowledged_in_turn_makes_synth_pass() -> None:
    rule_ids = [rule_id for _, ids in UNSAFE.values() for rule_id in ids]
    # A fresh app each time, as each `cdk synth` is: the CDK does not synthesize a Stage again
    # when its app is synthesized a second time.
    for count in range(len(rule_ids) + 1):
        app = helper_app(*(part for part, _ in UNSAFE.values()), duplicate_grant)
        stack = service_stack(app)
        for rule_id in rule_ids[:count]:
            cdk.Validations.of(stack).acknowledge(
                cdk.Acknowledgment(id=rule_id, reason="reviewed with the platform team in SEC-12")
            )
        passed = synth(app)
        assert passed == (count == len(rule_ids)), f"acknowledged: {rule_ids[:count]}"
    # What was accepted stays in the report, listed by the CDK with its reason.
    data = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    (ours,) = [p for p in data["pluginReports"] if p["pluginName"] == "LambdaPerm"]
    accepted = sorted((v["acknowledgedId"], v["reason"]) for v in ours["suppressedViolations"])
    assert accepted == sorted(
        (rule_id, "reviewed with the platform team in SEC-12") for rule_id in rule_ids
    )
    # The duplicate is a warning: reported, never refused.
    assert [v["ruleName"] for v in ours["violations"]] == ["LP601"]


@pytest.mark.parametrize("guard_first", [True, False])
def test_the_checks_run_once_wherever_the_guard_is_added(guard_first: bool) -> None:
    app = cdk.App()
    if guard_first:
        cdk.Validations.of(app).add_plugins(PermissionGuard(allowed_accounts=["111111111111"]))
    stack = cdk.Stack(app, "S", env=ENV)
    CrossAccountPermission(stack, "Partner", function="fn", principal=PARTNER, action="*")
    if not guard_first:
        cdk.Validations.of(app).add_plugins(PermissionGuard(allowed_accounts=["111111111111"]))
    assert not synth(app)
    assert sorted(plugin_violations(app)) == [
        ("LP305", "error", ["S/Partner/Resource"]),
        ("LP610", "fatal", ["S/Partner/Resource"]),
    ]


def test_require_constructs_refuses_what_this_library_did_not_make() -> None:
    app = helper_app(service_without_source, guard=PermissionGuard(require_constructs=True))
    stack = service_stack(app)
    CrossAccountPermission(stack, "Partner", function="fn", principal=PARTNER)
    assert not synth(app)
    lp611 = [v for v in plugin_violations(app) if v[0] == "LP611"]
    assert lp611 == [
        (
            "LP611",
            "fatal",
            ["Prod/Service/FromSns/InvokePAhlyjIG3CP8l8Cgnn54SqfC1My75Em--l5oYjNQSJnA="],
        )
    ]


def test_a_warning_made_an_error_fails_synth() -> None:
    app = helper_app(
        duplicate_grant, guard=PermissionGuard(severities={"LambdaPerm::LP601": "error"})
    )
    assert not synth(app)
    assert [v[:2] for v in plugin_violations(app)] == [("LP601", "fatal")]


def test_a_guard_setting_it_cannot_use_is_refused_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="12-digit account IDs"):
        PermissionGuard(allowed_accounts=["11111111111"])


def test_an_acknowledgement_that_accepts_nothing_is_reported_as_stale() -> None:
    app = helper_app()
    stack = service_stack(app)
    CrossAccountPermission(stack, "Partner", function="fn", principal=PARTNER)
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP305", reason="the partner needed every action")
    )
    assert synth(app)  # a warning
    assert plugin_violations(app) == [("LP502", "warning", ["Prod/Service"])]


def test_a_stage_built_twice_is_checked_in_both() -> None:
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(PermissionGuard())
    for name, account in (("Dev", "111111111111"), ("Prod", "222222222222")):
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region="us-east-1"))
        service_without_source(cdk.Stack(stage, "Service"))
    assert not synth(app)
    assert sorted(v[2][0].split("/")[0] for v in plugin_violations(app)) == ["Dev", "Prod"]


def test_lint_of_the_assembly_keeps_acknowledgements_made_on_the_app_and_a_stage() -> None:
    from constructs_lambdaperm._cli.main import main
    from constructs_lambdaperm._readers.assembly import OUTSIDE_STACKS_FILE

    app = helper_app(service_without_source, public_url)
    reason = "reviewed with the platform team in SEC-12"
    cdk.Validations.of(app).acknowledge(cdk.Acknowledgment(id="LambdaPerm::LP302", reason=reason))
    stage = app.node.find_child("Prod")
    cdk.Validations.of(stage).acknowledge(cdk.Acknowledgment(id="LambdaPerm::LP306", reason=reason))
    assert synth(app)
    assert main(["lint", app.outdir]) == 0  # what synth accepted, lint of cdk.out accepts
    (Path(app.outdir) / OUTSIDE_STACKS_FILE).unlink()
    assert main(["lint", app.outdir]) == 1  # the record is what told it
