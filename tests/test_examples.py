"""Every example synthesizes with the real CDK CLI, the CDK's built-in CloudFormation validation
on (its findings made errors), and passes cfn-lint with no finding on a Lambda permission or
resource policy.

This is the one test that pays for the built-in validation (about 2.5 s) and for the CLI. The
migration example runs in its final state (its default) and in the state of its first step;
its states are compared request by request in tests/test_migration.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
CDK = ROOT / "node_modules" / ".bin" / "cdk"
CONTEXTS: dict[str, list[dict[str, str]]] = {
    "migrate_to_resource_policy": [{}, {"migration": "retain"}]
}
"""The context values each example is synthesized with (default: once, with none)."""
POLICY_TYPES = ("AWS::Lambda::Permission", "AWS::Lambda::ResourcePolicy")


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    assert CDK.exists(), "the CDK CLI is missing: run `make test`, which installs it"
    env = {k: v for k, v in os.environ.items() if k != "CDK_VALIDATION"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    built: dict[str, Path] = {}
    for example in EXAMPLES:
        for context in CONTEXTS.get(example.stem, [{}]):
            name = "-".join([example.stem, *context.values()])
            outdir = tmp_path_factory.mktemp(name)
            values = [
                arg for key, value in context.items() for arg in ("--context", f"{key}={value}")
            ]
            result = subprocess.run(
                [
                    str(CDK),
                    "synth",
                    "--quiet",
                    "--app",
                    f"{sys.executable} {example}",
                    "--output",
                    str(outdir),
                    # Built-in validation findings become errors instead of warnings.
                    "--context",
                    "@aws-cdk/core:validateAgainstDefaultRules=true",
                    *values,
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr
            assert "Node 20 is end-of-life" not in result.stderr
            assert "Template validation found issues" not in result.stderr, result.stderr
            built[name] = outdir
    return built


def test_there_is_an_example() -> None:
    assert [e.name for e in EXAMPLES] == ["app.py", "migrate_to_resource_policy.py"]


def test_the_migration_runs_in_both_states(assemblies: dict[str, Path]) -> None:
    kinds = {}
    for name in ("migrate_to_resource_policy", "migrate_to_resource_policy-retain"):
        template = json.loads((assemblies[name] / "Orders.template.json").read_text())
        kinds[name] = {
            (r["Type"], r.get("DeletionPolicy"))
            for r in template["Resources"].values()
            if r["Type"] in POLICY_TYPES
        }
    assert kinds == {
        "migrate_to_resource_policy": {("AWS::Lambda::ResourcePolicy", None)},
        "migrate_to_resource_policy-retain": {("AWS::Lambda::Permission", "Retain")},
    }


def test_builtin_validation_ran_and_found_nothing(assemblies: dict[str, Path]) -> None:
    for outdir in assemblies.values():
        report = outdir / "validation-report.json"
        if report.exists():
            data = json.loads(report.read_text())
            violations = [
                v for plugin in data.get("pluginReports", []) for v in plugin.get("violations", [])
            ]
            assert violations == []
        assert list(outdir.glob("*.template.json"))


def test_cfn_lint_finds_nothing_on_lambda_permissions_and_policies(
    assemblies: dict[str, Path],
) -> None:
    from cfnlint.api import ManualArgs, lint_file

    for outdir in assemblies.values():
        for template_file in sorted(outdir.glob("*.template.json")):
            template = json.loads(template_file.read_text())
            permissions = {
                logical_id
                for logical_id, resource in template["Resources"].items()
                if resource["Type"] in POLICY_TYPES
            }
            assert permissions, template_file
            matches = lint_file(
                template_file,
                config=ManualArgs(regions=["us-east-1"], include_checks=["I"]),
            )
            on_permissions = [
                str(m)
                for m in matches
                if len(m.path) > 1 and m.path[0] == "Resources" and m.path[1] in permissions
            ]
            assert on_permissions == []


OVER_THE_LIMIT = """
import aws_cdk as cdk
from aws_cdk import aws_lambda

from constructs_lambdaperm import CrossAccountPermission

app = cdk.App()
stack = cdk.Stack(app, "Api", env=cdk.Environment(account="111111111111", region="us-east-1"))
for i in range(70):
    aws_lambda.CfnPermission(
        stack, f"P{i}", function_name="api", action="lambda:InvokeFunction",
        principal="apigateway.amazonaws.com",
        source_arn=f"arn:aws:execute-api:us-east-1:111111111111:abcde12345/prod/GET/r{i}",
    )
CrossAccountPermission(stack, "Partner", function="api", principal="223456789012")
app.synth()
"""


def test_cdk_synth_fails_on_a_policy_over_the_limit(tmp_path: Path) -> None:
    app = tmp_path / "over.py"
    app.write_text(OVER_THE_LIMIT)
    env = {**os.environ, "CDK_VALIDATION": "false"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [
            str(CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "--app",
            f"{sys.executable} {app}",
            "--output",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Rule LambdaPerm::LP401" in result.stderr
    assert "over Lambda's limit of 20,480 bytes" in result.stderr
