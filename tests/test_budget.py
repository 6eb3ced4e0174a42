"""The size budget: a function's policy over 20,480 bytes fails synth; over 80% warns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway, aws_lambda

from conftest import plugin_violations
from constructs_lambdaperm import ResourcePolicy, resource_policies
from constructs_lambdaperm._cdk.plugin import enforce_policy_budget
from constructs_lambdaperm._rules.budget import check_policy

ACCOUNT = "111111111111"
REGION = "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shared"
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abcde12345"
LIMIT = 20480


def _properties(source_arn: str) -> dict[str, Any]:
    return {
        "FunctionName": FUNCTION,
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": source_arn,
    }


def _grants_of_size(target: int, stack: str = "S") -> dict[str, dict[str, Any]]:
    """API Gateway grants (logical IDs P00, P01...) whose policy is exactly ``target`` bytes."""
    grants = {f"P{i:02d}": _properties(f"{API}/prod/GET/r{i:02d}") for i in range(64)}
    while _size(grants, stack) > target:
        grants.pop(sorted(grants)[-1])
    missing = target - _size(grants, stack)
    for logical_id in sorted(grants):
        room = min(missing, 1024 - len(grants[logical_id]["SourceArn"]))
        grants[logical_id]["SourceArn"] += "x" * room
        missing -= room
    assert missing == 0
    return grants


def _template(grants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "Resources": {
            k: {"Type": "AWS::Lambda::Permission", "Properties": v} for k, v in grants.items()
        }
    }


def _policy(grants: dict[str, dict[str, Any]], stack: str = "S") -> ResourcePolicy:
    (policy,) = resource_policies(
        _template(grants), stack_name=stack, account=ACCOUNT, region=REGION
    )
    return policy


def _size(grants: dict[str, dict[str, Any]], stack: str = "S") -> int:
    return _policy(grants, stack).size


def _rules(policy: ResourcePolicy) -> list[tuple[str, bool]]:
    return [(f.rule.id, f.blocking) for f in check_policy(policy)]


AT_LIMIT = _grants_of_size(LIMIT)
OVER_LIMIT = _grants_of_size(LIMIT + 1)


def test_exactly_20480_bytes_passes_and_one_more_fails() -> None:
    at_limit, over = _policy(AT_LIMIT), _policy(OVER_LIMIT)
    assert (at_limit.size, over.size) == (LIMIT, LIMIT + 1)
    assert len(at_limit.to_json().encode()) == LIMIT
    assert _rules(at_limit) == [("LP402", False)]
    assert _rules(over) == [("LP401", True)]


def test_the_warning_starts_above_80_percent() -> None:
    assert _rules(_policy(_grants_of_size(16384))) == []
    assert _rules(_policy(_grants_of_size(16385))) == [("LP402", False)]


def test_the_refusal_lists_the_statements_and_a_concrete_fix() -> None:
    (finding,) = check_policy(_policy(OVER_LIMIT))
    text = finding.describe()
    assert "20,481 bytes, over Lambda's limit of 20,480 bytes" in text
    assert "PolicyLengthExceededException" in text
    assert "S/P00: " in text
    assert f"SourceArn '{API}/*/*/*'" in text
    assert "scope_permission_to_method=False" in text


def test_a_bound_over_the_limit_warns_but_does_not_refuse() -> None:
    grants = {f"P{i:02d}": _properties(f"{API}/prod/GET/r{i:02d}") for i in range(63)}
    grants["Unknown"] = _properties({"Ref": "SomeArn"})  # type: ignore[arg-type]
    template = _template(grants)
    template["Parameters"] = {"SomeArn": {"Type": "String"}}
    (policy,) = resource_policies(template, stack_name="S", account=ACCOUNT, region=REGION)
    assert policy.size_is_bound
    assert policy.known_size <= LIMIT < policy.size
    (finding,) = check_policy(policy)
    assert (finding.rule.id, finding.blocking) == ("LP402", False)
    assert "may exceed" in finding.message
    assert "at most" in finding.message


def test_a_known_part_over_the_limit_refuses_even_with_deploy_time_values() -> None:
    grants = dict(OVER_LIMIT)
    grants["Unknown"] = _properties({"Ref": "SomeArn"})  # type: ignore[arg-type]
    template = _template(grants)
    template["Parameters"] = {"SomeArn": {"Type": "String"}}
    (policy,) = resource_policies(template, stack_name="S", account=ACCOUNT, region=REGION)
    (finding,) = check_policy(policy)
    assert (finding.rule.id, finding.blocking) == ("LP401", True)
    assert "at least" in finding.message


# --- at synth --------------------------------------------------------------------------------

ENV = cdk.Environment(account=ACCOUNT, region=REGION)


def _app(grants: dict[str, dict[str, Any]]) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    for logical_id, properties in grants.items():
        aws_lambda.CfnPermission(
            stack,
            logical_id,
            function_name=properties["FunctionName"],
            action=properties["Action"],
            principal=properties["Principal"],
            source_arn=properties["SourceArn"],
        )
    enforce_policy_budget(stack)
    return app, stack


def test_synth_passes_at_exactly_20480_bytes() -> None:
    app, _ = _app(AT_LIMIT)
    (policy,) = resource_policies(app)
    assert policy.size == LIMIT
    app.synth()
    # The function is named, not in the app: the warning sits on the scope of its statements.
    assert plugin_violations(app) == [("LP402", "warning", ["S"])]


def test_synth_fails_one_byte_over_with_the_policys_statements() -> None:
    app, _ = _app(OVER_LIMIT)
    with pytest.raises(RuntimeError, match=r"(?s)20,481 bytes.*LambdaPerm::LP401") as raised:
        app.synth()
    assert "S/P00: " in str(raised.value)


def _api_permissions(stack: cdk.Stack, count: int, function_name: str) -> None:
    """``count`` API Gateway permissions on one function, ``P0``, ``P1``..."""
    for i in range(count):
        aws_lambda.CfnPermission(
            stack,
            f"P{i}",
            function_name=function_name,
            action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            source_arn=f"{API}/prod/GET/r{i}",
        )


def _function(stack: cdk.Stack) -> aws_lambda.Function:
    return aws_lambda.Function(
        stack,
        "Fn",
        function_name="shared",
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
    )


def test_permissions_in_several_stacks_share_the_functions_budget() -> None:
    app = cdk.App()
    producer = cdk.Stack(app, "Producer", env=ENV)
    consumer = cdk.Stack(app, "Consumer", env=ENV)
    fn = _function(producer)
    for stack in (producer, consumer):
        _api_permissions(stack, 35, fn.function_arn)
    (policy,) = resource_policies(consumer)
    assert len(policy.statements) == 70
    assert sum(s.size for s in policy.statements if s.stack == "Consumer") < LIMIT * 0.8
    enforce_policy_budget(consumer)
    enforce_policy_budget(producer)  # once per app, however often it is called
    with pytest.raises(RuntimeError, match="LP401") as raised:
        app.synth()
    message = str(raised.value)
    # One finding, shown at the function and at the other stack holding its statements.
    budget = [v for v in plugin_violations(app) if v[0] == "LP401"]
    assert budget == [("LP401", "fatal", ["Producer/Fn/Resource", "Consumer"])]
    assert message.count("Rule LambdaPerm::LP401") == 2
    assert "Consumer/P10: " in message
    assert "Producer/P10: " in message
    assert FUNCTION in message


def test_the_warning_can_be_acknowledged() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    fn = _function(stack)
    _api_permissions(stack, 60, fn.function_arn)
    enforce_policy_budget(stack)
    app.synth()
    assert [rule for rule, _, _ in plugin_violations(app)] == ["LP402"]
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP402", reason="reviewed in SEC-7")
    )
    app.synth(force=True)
    assert plugin_violations(app) == []


def test_the_warning_sits_on_the_function() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    fn = _function(stack)
    _api_permissions(stack, 60, fn.function_arn)
    enforce_policy_budget(fn)
    app.synth()
    assert plugin_violations(app) == [("LP402", "warning", ["S/Fn/Resource"])]
    report = (Path(app.outdir) / "validation-report.json").read_text()
    assert "18,513 bytes, 90% of Lambda's limit" in report


def test_an_api_with_a_permission_per_method_is_refused_with_the_wildcard_fix() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    fn = _function(stack)
    api = aws_apigateway.RestApi(stack, "Api")
    integration = aws_apigateway.LambdaIntegration(fn)
    for i in range(30):
        api.root.add_resource(f"items{i}").add_method("GET", integration)
    (policy,) = resource_policies(app)
    assert len(policy.statements) == 60
    enforce_policy_budget(stack)
    with pytest.raises(RuntimeError, match="LP401") as raised:
        app.synth()
    message = str(raised.value)
    assert "/GET/ApiPermission.Test." in message
    assert (
        f"SourceArn 'arn:aws:execute-api:{REGION}:{ACCOUNT}:{{S.ApiF70053CD.Id}}/*/*/*'" in message
    )
    assert "scope_permission_to_method=False" in message


def test_the_warning_can_be_acknowledged_with_a_reason_too() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    fn = _function(stack)
    _api_permissions(stack, 60, fn.function_arn)
    enforce_policy_budget(stack)
    cdk.Validations.of(fn).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP402", reason="the API is split in SEC-7")
    )
    app.synth()
    assert plugin_violations(app) == []


def test_a_warning_acknowledged_without_a_reason_fails_synth() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    fn = _function(stack)
    enforce_policy_budget(stack)
    cdk.Validations.of(fn).acknowledge(cdk.Acknowledgment(id="LambdaPerm::LP402", reason="ok"))
    with pytest.raises(RuntimeError, match="LP501"):
        app.synth()
    assert plugin_violations(app) == [("LP501", "fatal", ["S/Fn"])]


def test_an_error_over_the_limit_cannot_be_acknowledged() -> None:
    app, stack = _app(OVER_LIMIT)
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP401", reason="we will split it later")
    )
    with pytest.raises(RuntimeError, match="LP401"):
        app.synth()
    rules = sorted((rule, severity) for rule, severity, _ in plugin_violations(app))
    assert rules == [("LP401", "fatal"), ("LP501", "fatal")]
