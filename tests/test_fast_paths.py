"""Shortcuts taken for speed give the same answers as the long way round."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda
from constructs import Construct, Node

from conftest import plugin_violations
from constructs_lambdaperm import CrossAccountPermission, Permission, enforce_policy_budget
from constructs_lambdaperm._cdk.acknowledge import record_acknowledgements
from constructs_lambdaperm._cdk.function_input import function_target
from constructs_lambdaperm._core.api_model import _builtin_lambda_model
from constructs_lambdaperm._rules import fields, security


def test_lambda_model_read_directly_is_what_botocore_loads() -> None:
    import botocore.loaders

    direct = _builtin_lambda_model()
    if direct is None:
        pytest.skip("~/.aws/models exists here, so the loader is always used")
    assert direct == botocore.loaders.create_loader().load_service_model("lambda", "service-2")


def test_user_models_send_the_read_through_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".aws" / "models").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _builtin_lambda_model() is None


def test_field_checks_read_the_parameters_of_the_request() -> None:
    permission = Permission(
        function_name="fn:live",
        qualifier="live",
        principal="s3.amazonaws.com",
        action="lambda:InvokeFunction",
        source_arn="arn:aws:s3:::bucket",
        source_account="123456789012",
        principal_org_id="o-a1b2c3d4e5",
        event_source_token="token",
        function_url_auth_type="AWS_IAM",
    )
    read = {name: getattr(permission, attr) for name, attr in fields._ATTRIBUTES.items()}
    assert read == permission.request()


# --- acknowledgements: one validation per scope for the constructs with nothing unsafe --------


def _synth_errors(app: cdk.App) -> str:
    try:
        app.synth(force=True)
    except RuntimeError as error:
        return str(error)
    return ""


def _acknowledge(scope: Construct, rule_id: str, reason: str = "reviewed in ticket SEC-1") -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def test_a_grant_with_nothing_unsafe_adds_no_validation(
    app: cdk.App, stack: cdk.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    CrossAccountPermission(stack, "First", function="fn", principal="223456789012")  # app's
    added: list[object] = []
    monkeypatch.setattr(Node, "add_validation", lambda _node, validation: added.append(validation))
    CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    assert added == []
    CrossAccountPermission(stack, "Wide", function="fn", principal="223456789012", action="*")
    assert len(added) == 1  # the unsafe one (LP305) records its acknowledgements at synth


def test_a_bad_acknowledgement_on_a_safe_grant_is_refused_at_its_path(
    app: cdk.App, stack: cdk.Stack
) -> None:
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    assert _synth_errors(app) == ""
    _acknowledge(grant, "LambdaPerm::LP999")
    errors = _synth_errors(app)
    assert "LambdaPerm::LP999 is acknowledged but no such rule exists" in errors
    assert plugin_violations(app) == [("LP501", "fatal", ["Stack/Partner"])]
    errors = _synth_errors(app)  # a second synth reports it once, not twice
    assert errors.count("LambdaPerm::LP999 is acknowledged") == 1


def test_an_accepted_unsafe_finding_is_recorded_on_its_resource(
    app: cdk.App, stack: cdk.Stack
) -> None:
    enforce_policy_budget(stack)
    grant = Construct(stack, "Grant")
    resource = aws_lambda.CfnPermission(
        grant, "Resource", action="*", function_name="fn", principal="223456789012"
    )
    finding = security.WILDCARD_ACTION.finding("wildcard", parameter="Action", value="*")
    record_acknowledgements(grant, [(resource, [finding])])
    assert "LambdaPerm::LP305" in _synth_errors(app)  # the guard refuses it
    assert resource.cfn_options.metadata is None
    _acknowledge(stack, "LambdaPerm::LP305")
    assert _synth_errors(app) == ""
    assert resource.cfn_options.metadata == {
        "aws:cdk:acknowledged-rules": {"LambdaPerm::LP305": "reviewed in ticket SEC-1"}
    }


def test_an_acknowledgement_added_after_a_refused_synth_reaches_the_template(
    app: cdk.App, stack: cdk.Stack
) -> None:
    grant = CrossAccountPermission(
        stack, "Partner", function="fn", principal="223456789012", action="*"
    )
    assert "LambdaPerm::LP305" in _synth_errors(app)
    _acknowledge(stack, "LambdaPerm::LP305")
    for _ in range(2):  # the metadata is written once, whatever the number of synths
        assert _synth_errors(app) == ""
    (resource,) = grant.permissions
    assert resource.cfn_options.metadata == {
        "aws:cdk:acknowledged-rules": {"LambdaPerm::LP305": "reviewed in ticket SEC-1"}
    }
    # What was accepted is in the validation report, not in an info line that prints even
    # under `cdk synth --quiet`.
    assert [e for e in resource.node.metadata if e.type == "aws:cdk:info"] == []


# --- the function property: read once per function object -----------------------------------


class _CountingFunction:
    """Stands for a CDK function: counts the reads of its ARN (each a jsii round trip)."""

    def __init__(self) -> None:
        self.reads = 0

    @property
    def function_arn(self) -> str:
        self.reads += 1
        return "arn:aws:lambda:us-east-1:123456789012:function:counted"


def test_a_function_is_read_once_however_many_grants_name_it() -> None:
    function = _CountingFunction()
    first = function_target(function, None)  # type: ignore[arg-type]
    again = function_target(function, "live")  # type: ignore[arg-type]
    assert function.reads == 1
    arn = "arn:aws:lambda:us-east-1:123456789012:function:counted"
    assert (first.function_name, first.qualifier, first.findings) == (arn, None, [])
    assert (again.function_name, again.qualifier) == (arn + ":live", "live")
    assert first.account == again.account == "123456789012"


def test_an_alias_still_carries_its_qualifier(stack: cdk.Stack) -> None:
    function = aws_lambda.Function(
        stack,
        "Fn",
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(event, context): pass"),
    )
    alias = aws_lambda.Alias(stack, "Live", alias_name="live", version=function.current_version)
    for _ in range(2):
        target = function_target(alias, "other")
        assert (target.function_name, target.qualifier) == (alias.function_arn, "live")
        assert [f.rule.id for f in target.findings] == ["LP112"]
