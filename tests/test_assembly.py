"""The cloud-assembly front end, and the validation plugin reading it after synthesis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda
from constructs import Construct

from conftest import ACCOUNT, REGION, plugin_violations
from constructs_lambdaperm import CrossAccountPermission, enforce_policy_budget
from constructs_lambdaperm._readers.assembly import (
    OUTSIDE_STACKS_FILE,
    Acknowledged,
    read_outside_stacks,
    read_stack,
    write_outside_stacks,
)

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abcde12345"
PERMISSION = "AWS::Lambda::Permission"


def _synthesized(tmp_path: Path) -> Path:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Stack", env=ENV, stack_name="thumbnails-prod")
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP402", reason="reviewed in SEC-7")
    )
    app.synth()
    return tmp_path / "Stack.template.json"


def test_a_stack_is_read_with_its_name_paths_and_acknowledgements(tmp_path: Path) -> None:
    (stack,) = read_stack(str(_synthesized(tmp_path)), "Stack", account=ACCOUNT, region=REGION)
    assert (stack.template.key, stack.template.name) == ("Stack", "thumbnails-prod")
    # Permissions are left out until their stack is read again.
    assert all(r["Type"] != PERMISSION for r in stack.template.resources.values())
    template = stack.with_permissions()
    (logical_id,) = [lid for lid, r in template.resources.items() if r["Type"] == PERMISSION]
    assert template.paths[logical_id] == "Stack/Partner/Resource"
    assert stack.acknowledged == (
        Acknowledged("Stack/Partner", "LambdaPerm::LP402", "reviewed in SEC-7"),
    )


def test_metadata_written_inline_in_the_manifest_is_read_too(tmp_path: Path) -> None:
    template = _synthesized(tmp_path)
    manifest_file = tmp_path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    artifact = manifest["artifacts"]["Stack"]
    metadata_file = tmp_path / artifact.pop("additionalMetadataFile")
    artifact["metadata"] = json.loads(metadata_file.read_text())
    metadata_file.unlink()
    manifest_file.write_text(json.dumps(manifest))
    (stack,) = read_stack(str(template), "Stack")
    assert [a.rule_id for a in stack.acknowledged] == ["LambdaPerm::LP402"]
    assert "Stack/Partner/Resource" in stack.template.paths.values()


def test_a_template_outside_an_assembly_is_named_after_its_file(tmp_path: Path) -> None:
    template = _synthesized(tmp_path / "out")
    alone = tmp_path / "Orders.template.json"
    shutil.copy(template, alone)
    (stack,) = read_stack(str(alone), "Orders")
    assert (stack.template.name, stack.template.paths, stack.acknowledged) == ("Orders", {}, ())


def _permissions(scope: Construct, count: int, function_name: str = "shared") -> None:
    for i in range(count):
        aws_lambda.CfnPermission(
            scope,
            f"P{i}",
            function_name=function_name,
            action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            source_arn=f"{API}/prod/GET/r{i}",
        )


def test_the_plugin_checks_the_stacks_of_a_stage_too() -> None:
    app = cdk.App()
    stage = cdk.Stage(app, "Prod", env=ENV)
    stack = cdk.Stack(stage, "Api")
    _permissions(stack, 70)
    enforce_policy_budget(stack)
    with pytest.raises(RuntimeError, match="LambdaPerm::LP401"):
        app.synth()
    assert plugin_violations(app) == [("LP401", "fatal", ["Prod/Api"])]
    # The stage's stacks are in an assembly of their own, under the name CloudFormation uses.
    (template,) = Path(app.outdir).glob("assembly-Prod/*.template.json")
    (read,) = read_stack(str(template), "Prod/Api")
    assert read.template.name == "Prod-Api"


def test_acknowledgements_of_other_tools_are_left_alone(app: cdk.App, stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions::IAM5", reason="x"),
        cdk.Acknowledgment(id="LambdaPerm::LP306", reason="ok"),
    )
    with pytest.raises(RuntimeError, match="LP501"):
        app.synth()
    assert plugin_violations(app) == [("LP501", "fatal", ["Stack/Partner"])]


def test_nested_stacks_are_read_with_their_own_paths(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    parent = cdk.Stack(app, "Parent", env=ENV)
    nested = cdk.NestedStack(parent, "Nested")
    inner = cdk.NestedStack(nested, "Inner")
    for scope in (parent, nested, inner):
        _permissions(scope, 1)  # the same logical ID, P0, in each template
    cdk.Validations.of(inner).acknowledge(
        cdk.Acknowledgment(id="LambdaPerm::LP402", reason="reviewed in SEC-7")
    )
    app.synth()
    stacks = read_stack(str(tmp_path / "Parent.template.json"), "Parent")
    assert [s.template.key for s in stacks] == ["Parent", "Parent/Nested", "Parent/Nested/Inner"]
    assert [s.template.paths["P0"] for s in stacks] == [
        "Parent/P0",
        "Parent/Nested/P0",
        "Parent/Nested/Inner/P0",
    ]
    assert [s.template.name for s in stacks] == ["Parent", None, None]
    assert [len(s.acknowledged) for s in stacks] == [1, 0, 0]


def test_a_policy_over_the_limit_in_a_nested_stack_fails_synth() -> None:
    app = cdk.App()
    nested = cdk.NestedStack(cdk.Stack(app, "Parent", env=ENV), "Api")
    _permissions(nested, 70)
    enforce_policy_budget(nested)
    with pytest.raises(RuntimeError, match="LambdaPerm::LP401"):
        app.synth()
    assert plugin_violations(app) == [("LP401", "fatal", ["Parent/Api"])]


def test_acknowledgements_outside_any_stack_are_checked_too() -> None:
    app = cdk.App()
    stage = cdk.Stage(app, "Prod", env=ENV)
    group = Construct(app, "Group")
    grant = CrossAccountPermission(
        cdk.Stack(stage, "Api"), "Partner", function="fn", principal="223456789012"
    )
    for scope, rule_id in ((app, "LambdaPerm::LP40"), (stage, "LambdaPerm::LP106")):
        cdk.Validations.of(scope).acknowledge(
            cdk.Acknowledgment(id=rule_id, reason="reviewed in SEC-7")
        )
    cdk.Validations.of(group).acknowledge(cdk.Acknowledgment(id="LambdaPerm::LP402", reason="ok"))
    assert grant.permissions
    with pytest.raises(RuntimeError, match="LP501"):
        app.synth()
    assert sorted(plugin_violations(app)) == [
        ("LP501", "fatal", [""]),
        ("LP501", "fatal", ["Group"]),
        ("LP501", "fatal", ["Prod"]),
    ]


def test_the_last_acknowledgement_of_a_rule_on_a_construct_counts(
    app: cdk.App, stack: cdk.Stack
) -> None:
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    for reason in ("ok", "the partner is audited in SEC-7"):
        cdk.Validations.of(grant).acknowledge(
            cdk.Acknowledgment(id="LambdaPerm::LP402", reason=reason)
        )
    app.synth()
    # Not refused for its first, short reason (LP501); stale, as no policy is near the limit.
    assert plugin_violations(app) == [("LP502", "warning", ["Stack/Partner"])]


def test_an_id_without_the_namespace_is_refused(app: cdk.App, stack: cdk.Stack) -> None:
    grant = CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
    cdk.Validations.of(grant).acknowledge(
        cdk.Acknowledgment(id="LP402", reason="reviewed in SEC-7"),
        cdk.Acknowledgment(id="MyWarning", reason="another tool's annotation"),
    )
    with pytest.raises(RuntimeError, match="write 'LambdaPerm::LP402'"):
        app.synth()
    assert plugin_violations(app) == [("LP501", "fatal", ["Stack/Partner"])]


def test_one_export_name_in_two_accounts_names_two_functions() -> None:
    # A Stage per account, each exporting its function's ARN under the same name.
    app = cdk.App()
    for stage_name, account in (("Dev", "111111111111"), ("Prod", "222222222222")):
        stage = cdk.Stage(app, stage_name, env=cdk.Environment(account=account, region=REGION))
        producer = cdk.Stack(stage, "Producer")
        fn = aws_lambda.Function(
            producer,
            "Fn",
            runtime=aws_lambda.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(e, c): pass"),
        )
        cdk.CfnOutput(producer, "Arn", value=fn.function_arn, export_name="shared-fn-arn")
        consumer = cdk.Stack(stage, "Consumer")
        consumer.add_dependency(producer)
        _permissions(consumer, 35, cdk.Fn.import_value("shared-fn-arn"))
        enforce_policy_budget(consumer)
    app.synth()  # 35 statements per function: no policy near the limit
    assert plugin_violations(app) == []


@pytest.mark.parametrize("text", ["{not json", '{"acknowledged": 7}', "[]"])
def test_a_damaged_record_of_outside_acknowledgements_is_ignored(tmp_path: Path, text: str) -> None:
    (tmp_path / OUTSIDE_STACKS_FILE).write_text(text)
    assert read_outside_stacks(tmp_path) == []


def test_a_record_beside_a_folder_that_is_no_assembly_is_not_read(tmp_path: Path) -> None:
    # An assembly's parent folder is read only when it is an assembly too (a Stage's parent).
    write_outside_stacks(tmp_path, [Acknowledged("", "LambdaPerm::LP301", "reviewed in SEC-7")])
    inner = tmp_path / "cdk.out"
    inner.mkdir()
    assert read_outside_stacks(inner) == []
    (tmp_path / "manifest.json").write_text("{}")
    assert [a.rule_id for a in read_outside_stacks(inner)] == ["LambdaPerm::LP301"]
