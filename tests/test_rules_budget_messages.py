"""LP401's advice works when followed as written, and its numbers agree (issue 14).

The API Gateway advice used to be ``scope_permission_to_method=False, allow_test_invoke=False``
on ``LambdaIntegration``: with both, the CDK ignores the second and prints a warning per method
(60 for the app below), which fails ``cdk synth --strict``. The message also gave the size as
a lower bound ("at least 45,564 bytes") and the saving as an upper bound ("about 53,034 bytes"),
more than the whole. Both apps are built and synthesized here with the real aws-cdk-lib.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway, aws_lambda

from conftest import ACCOUNT, REGION, plugin_violations
from constructs_lambdaperm import resource_policies
from constructs_lambdaperm._cdk.plugin import enforce_policy_budget
from constructs_lambdaperm._core import bounds
from constructs_lambdaperm._rules.budget import check_policy

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
METHODS = 30


def _api_app(outdir: Path, **integration_options: Any) -> tuple[cdk.App, cdk.Stack]:
    """An API whose 30 GET methods all call one function, as the issue's user wrote it."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "S", env=ENV)
    fn = aws_lambda.Function(
        stack,
        "Fn",
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
    )
    api = aws_apigateway.RestApi(stack, "Api")
    integration = aws_apigateway.LambdaIntegration(fn, **integration_options)
    for i in range(METHODS):
        api.root.add_resource(f"items{i}").add_method("GET", integration)
    enforce_policy_budget(stack)
    return app, stack


def _warnings(stack: cdk.Stack) -> list[str]:
    found = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.any_value()
    )
    return [str(entry.entry.data) for entry in found]


@pytest.fixture(scope="module")
def refusal(tmp_path_factory: pytest.TempPathFactory) -> str:
    """LP401's fix for the API with one permission per method (and per test invoke)."""
    app, _ = _api_app(tmp_path_factory.mktemp("per-method"))
    (policy,) = resource_policies(app)
    (finding,) = check_policy(policy)
    assert finding.rule.id == "LP401"
    return finding.fix


def test_the_advice_names_the_options_that_work(refusal: str) -> None:
    assert "LambdaIntegration(fn, scope_permission_to_method=False)" in refusal
    assert "leave allow_test_invoke unset" in refusal
    assert "HttpLambdaIntegration(id, fn, scope_permission_to_route=False)" in refusal
    assert "/*/*/*'" in refusal


def test_the_advised_app_synthesizes_with_no_warning_and_one_statement(tmp_path: Path) -> None:
    app, stack = _api_app(tmp_path, scope_permission_to_method=False)
    (policy,) = resource_policies(app)
    (statement,) = policy.statements
    assert statement.statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith("/*/*/*")
    app.synth()
    assert _warnings(stack) == []
    assert plugin_violations(app) == []


def test_the_old_advice_warns_once_per_method(tmp_path: Path) -> None:
    app, stack = _api_app(tmp_path, scope_permission_to_method=False, allow_test_invoke=False)
    app.synth()
    warnings = _warnings(stack)
    assert len(warnings) == METHODS
    assert all("allowTestInvoke" in w for w in warnings)


def test_the_saving_is_counted_as_the_size_is(refusal: str, tmp_path: Path) -> None:
    app, _ = _api_app(tmp_path)
    (policy,) = resource_policies(app)
    assert policy.size_is_bound  # the API ID is known only at deploy time
    (finding,) = check_policy(policy)
    shown = re.search(r"would be at least ([\d,]+) bytes", finding.message)
    saving = re.search(r"saves about ([\d,]+) of the ([\d,]+) bytes", finding.fix)
    assert shown is not None
    assert saving is not None
    size, saved, of = (int(m.replace(",", "")) for m in (*shown.groups(), *saving.groups()))
    assert of == size == policy.known_size
    assert 0 < saved < size
    # The same basis: the statements counted with each deploy-time value as empty.
    merged = json.loads(json.dumps(policy.statements[0].statement))
    arn = merged["Condition"]["ArnLike"]["AWS:SourceArn"]
    merged["Condition"]["ArnLike"]["AWS:SourceArn"] = arn.split("/")[0] + "/*/*/*"
    expected = sum(bounds.known_size(s.statement) + 1 for s in policy.statements)
    assert saved == expected - (bounds.known_size(merged) + 1)
    # and what is left after the saving fits, as the advised app shows.
    assert size - saved < policy.limit
