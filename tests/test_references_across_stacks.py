"""One function, one policy: references that cross stacks, nested stacks and Stages.

A function's statements are grouped by what their FunctionName designates. Before synthesis a
reference to another stack's function is a plain ``Fn::GetAtt``; after it, the CDK carries it
into a nested stack as a stack parameter, out of one as an output of the nested stack, and
across stacks of a Stage as an export. Each way must land in the function's one policy (or the
budget check sees two half-policies and passes), and a Stage built twice must keep its two
copies apart (or one copy's statements are checked against the other's function).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda, aws_s3
from constructs import Construct

from conftest import ACCOUNT, REGION
from conftest import make_function as _function
from constructs_lambdaperm import PermissionGuard, S3InvokePermission, resource_policies
from constructs_lambdaperm._core import bounds
from constructs_lambdaperm._policy.policies import ResourcePolicy, policies_of
from constructs_lambdaperm._readers.assembly import read_assembly
from constructs_lambdaperm._readers.references import Resolver
from constructs_lambdaperm._rules.budget import check_policy
from constructs_lambdaperm.testing import assert_can_invoke, assert_cannot_invoke

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abcde12345"


def _grants(scope: Construct, count: int, fn: aws_lambda.IFunction, prefix: str) -> None:
    for i in range(count):
        aws_lambda.CfnPermission(
            scope,
            f"{prefix}{i}",
            function_name=fn.function_arn,
            action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            source_arn=f"{API}/prod/GET/{prefix.lower()}{i}",
        )


def assembly_policies(outdir: str) -> list[ResourcePolicy]:
    """The policies of a synthesized app, read from its cloud assembly as the plugin reads it."""
    stacks = read_assembly(Path(outdir))
    templates = [stack.with_permissions() for stack in stacks]
    return policies_of(templates, Resolver(templates))


# Where the function is, and where its 40 + 40 grants are. Each layout puts 80 statements in
# one policy: over Lambda's 20,480 bytes, a fatal LP401.
Layout = Callable[[cdk.App], None]


def _function_in_parent_granted_from_a_nested_stack(app: cdk.App) -> None:
    parent = cdk.Stack(app, "Parent", env=ENV)
    fn = _function(parent)
    _grants(parent, 40, fn, "P")
    _grants(cdk.NestedStack(parent, "Nested"), 40, fn, "Q")


def _function_in_a_nested_stack_granted_from_its_parent(app: cdk.App) -> None:
    parent = cdk.Stack(app, "Parent", env=ENV)
    nested = cdk.NestedStack(parent, "Nested")
    fn = _function(nested)
    _grants(parent, 40, fn, "P")
    _grants(nested, 40, fn, "Q")


def _function_in_a_nested_stack_granted_from_a_sibling(app: cdk.App) -> None:
    # Environment-agnostic: the account and region are deploy-time, shared by the nested stacks.
    parent = cdk.Stack(app, "Parent")
    fn = _function(cdk.NestedStack(parent, "Functions"))
    _grants(cdk.NestedStack(parent, "Api"), 40, fn, "P")
    _grants(cdk.NestedStack(cdk.NestedStack(parent, "Outer"), "Inner"), 40, fn, "Q")


def _inside_a_stage_built_twice(app: cdk.App) -> None:
    for name, account in (("Dev", "111111111111"), ("Prod", "222222222222")):
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region=REGION))
        parent = cdk.Stack(stage, "Parent")
        fn = _function(parent)
        _grants(parent, 40, fn, "P")
        _grants(cdk.NestedStack(parent, "Nested"), 40, fn, "Q")


LAYOUTS = {
    "function in the parent, grants in a nested stack": (
        _function_in_parent_granted_from_a_nested_stack
    ),
    "function in a nested stack, grants in its parent": (
        _function_in_a_nested_stack_granted_from_its_parent
    ),
    "function and grants in sibling nested stacks": (
        _function_in_a_nested_stack_granted_from_a_sibling
    ),
    "nested stacks in a Stage built twice": _inside_a_stage_built_twice,
}


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_a_function_granted_across_nested_stacks_has_one_policy(
    layout: Layout, tmp_path: Path
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    layout(app)
    before = resource_policies(app)
    app.synth()
    after = assembly_policies(app.outdir)
    for policies in (before, after):
        # One policy per function (two in the Stage built twice), each defined in the app and
        # holding all 80 statements: over the limit.
        assert {len(p.statements) for p in policies} == {80}
        assert all(p.function_logical_id is not None for p in policies)
        assert all(
            [f.rule.id for f in check_policy(p) if f.blocking] == ["LP401"] for p in policies
        )
    assert len(before) == len(after) == (2 if layout is _inside_a_stage_built_twice else 1)


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_guard_refuses_synth_for_each_layout_with_lp401_at_the_function(
    layout: Layout, tmp_path: Path
) -> None:
    # End to end, as a user runs it: the guard's own synth fails on the one over-limit policy
    # (it once passed with an LP402 warning per half), and the report names the function.
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(PermissionGuard())
    layout(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [
        violation
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == "LambdaPerm"
        for violation in plugin["violations"]
    ]
    over = [v for v in violations if v["ruleName"] == "LP401"]
    assert len(over) == (2 if layout is _inside_a_stage_built_twice else 1)
    assert all(v["severity"] == "fatal" for v in over)
    assert "with 80 statements" in over[0]["description"]
    # The function's own construct is among the places named.
    assert all(
        any(c["constructPath"].endswith("Fn/Resource") for c in v["violatingConstructs"])
        for v in over
    )
    assert not [v for v in violations if v["ruleName"] == "LP402"]


def _stage_twice(app: cdk.App) -> dict[str, aws_lambda.Function]:
    """The same Stage in two accounts: a function in stack A, a bucket's grant in stack B."""
    functions = {}
    for name, account in (("Dev", "111111111111"), ("Prod", "222222222222")):
        stage = cdk.Stage(app, name, env=cdk.Environment(account=account, region=REGION))
        fn = _function(cdk.Stack(stage, "A"))
        uploads = cdk.Stack(stage, "B")
        bucket = aws_s3.Bucket(uploads, "Uploads", bucket_name=f"uploads-{name.lower()}")
        S3InvokePermission(uploads, "Grant", function=fn, bucket=bucket)
        functions[name] = fn
    return functions


def test_a_stage_built_twice_keeps_each_copys_references_in_its_copy(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    functions = _stage_twice(app)
    policies = resource_policies(app)
    # Each copy's function has its own copy's grant, in one policy.
    assert sorted((p.function_stack, len(p.statements)) for p in policies) == [
        ("Dev/A", 1),
        ("Prod/A", 1),
    ]
    for name, account in (("Dev", "111111111111"), ("Prod", "222222222222")):
        bucket = f"arn:aws:s3:::uploads-{name.lower()}"
        s3 = "s3.amazonaws.com"
        fn = functions[name]
        assert_can_invoke(app, function=fn, principal=s3, source_arn=bucket, source_account=account)
        with pytest.raises(AssertionError, match="to be denied"):
            assert_cannot_invoke(
                app, function=fn, principal=s3, source_arn=bucket, source_account=account
            )
        # The other copy's bucket cannot invoke this copy's function.
        other = "prod" if name == "Dev" else "dev"
        assert_cannot_invoke(
            app,
            function=functions[name],
            principal="s3.amazonaws.com",
            source_arn=f"arn:aws:s3:::uploads-{other}",
            source_account=account,
        )
    app.synth()  # after synthesis the references are exports of each copy's stack A
    after = assembly_policies(app.outdir)
    assert sorted((p.function_stack, len(p.statements)) for p in after) == [
        ("Dev/A", 1),
        ("Prod/A", 1),
    ]


# --- functions named after a parameter ----------------------------------------------------


def _parameter_named(count: int, grants: int) -> dict[str, Any]:
    """``count`` functions named ``${Prefix}-fn-N``, each with ``grants`` permissions that
    reference it in turn by Ref, Fn::GetAtt, Fn::Sub and Fn::Join."""
    references: list[Callable[[str], Any]] = [
        lambda fn: {"Ref": fn},
        lambda fn: {"Fn::GetAtt": [fn, "Arn"]},
        lambda fn: {"Fn::Sub": "${" + fn + ".Arn}"},
        lambda fn: {"Fn::Join": ["", [{"Fn::GetAtt": [fn, "Arn"]}]]},
    ]
    resources: dict[str, Any] = {}
    for n in range(count):
        resources[f"Fn{n}"] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {"FunctionName": {"Fn::Sub": f"${{Prefix}}-fn-{n}"}},
        }
        for i in range(grants):
            resources[f"Fn{n}Grant{i}"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": references[i % len(references)](f"Fn{n}"),
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": f"{API}/prod/GET/fn{n}/r{i}",
                },
            }
    return {
        "Parameters": {"Prefix": {"Type": "String", "MaxLength": 20}},
        "Resources": resources,
    }


def test_functions_named_after_one_parameter_are_distinct_functions() -> None:
    policies = resource_policies(_parameter_named(3, 30), account=ACCOUNT, region=REGION)
    # Three functions, 30 statements each (about 13 KB: under the limit), whichever way each
    # statement references its function.
    assert sorted((p.function_logical_id, len(p.statements)) for p in policies) == [
        ("Fn0", 30),
        ("Fn1", 30),
        ("Fn2", 30),
    ]
    assert [f for p in policies for f in check_policy(p) if f.blocking] == []
    assert {bounds.readable(p.function) for p in policies} == {
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{{template.Prefix}}-fn-{n}" for n in range(3)
    }


def test_function_names_given_as_a_parameter_are_distinct_functions() -> None:
    # No function in the template: FunctionName itself is built from a parameter.
    template = _parameter_named(2, 1)
    for n in range(2):
        del template["Resources"][f"Fn{n}"]
        for i in range(3):
            template["Resources"][f"Fn{n}Grant{i}"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::Sub": f"${{Prefix}}-fn-{n}"},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": f"{API}/prod/GET/fn{n}/r{i}",
                },
            }
    policies = resource_policies(template)
    assert sorted(len(p.statements) for p in policies) == [3, 3]
    assert len({p.function for p in policies}) == 2


def test_parameter_named_functions_of_a_cdk_app_are_distinct(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Stack", env=ENV)
    prefix = cdk.CfnParameter(stack, "Prefix", max_length=20)
    api = cdk.Stack(app, "Api", env=ENV)
    for n in range(2):
        fn = _function(stack, f"Fn{n}")
        cast(aws_lambda.CfnFunction, fn.node.default_child).function_name = cdk.Fn.sub(
            f"${{{prefix.logical_id}}}-fn-{n}"
        )
        _grants(stack, 25, fn, f"F{n}P")
        _grants(api, 25, fn, f"F{n}Q")  # through an export of the function's ARN
    for policies in (resource_policies(app), (app.synth(), assembly_policies(app.outdir))[1]):
        assert sorted(len(p.statements) for p in policies) == [50, 50]
        assert {p.function_logical_id for p in policies} == {
            stack.get_logical_id(
                cast(cdk.CfnElement, stack.node.find_child(f"Fn{n}").node.default_child)
            )
            for n in range(2)
        }
