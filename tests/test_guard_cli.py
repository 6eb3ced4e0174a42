"""A finding that refuses deployment fails `cdk synth` however it is run, with the real CLI.

The CDK CLI shows, and fails on, the validation findings of the stacks it selects; a plain
`cdk synth` of an app whose stacks are all in Stages selects none, and CDK Pipelines' synth step
runs a plain `cdk synth`. The app here has its function in one stack of a Stage, the 70
statements that push its policy over the limit in another, and a third stack with nothing
wrong: every way of running synth must fail.

The app runs once per way of starting it; the ways of selecting stacks are then tried on the
assembly it wrote (`cdk synth --app cdk.out ...`), which is how the CLI reads it anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CDK = ROOT / "node_modules" / ".bin" / "cdk"

STAGE_APP = """
import aws_cdk as cdk
from aws_cdk import aws_lambda

from constructs_lambdaperm import enforce_policy_budget

ENV = cdk.Environment(account="111111111111", region="us-east-1")


class Service(cdk.Stage):
    def __init__(self, scope, id, **kwargs):
        super().__init__(scope, id, **kwargs)
        functions = cdk.Stack(self, "Functions")
        fn = aws_lambda.Function(
            functions, "Fn", runtime=aws_lambda.Runtime.PYTHON_3_12, handler="index.handler",
            code=aws_lambda.Code.from_inline("def handler(event, context): pass"),
        )
        api = cdk.Stack(self, "Api")
        for i in range(70):
            aws_lambda.CfnPermission(
                api, f"P{i}", function_name=fn.function_arn, action="lambda:InvokeFunction",
                principal="apigateway.amazonaws.com",
                source_arn=f"arn:aws:execute-api:us-east-1:111111111111:abcde12345/prod/GET/r{i}",
            )
        cdk.Stack(self, "Other")
"""

PLAIN = (
    STAGE_APP
    + """
app = cdk.App()
Service(app, "Prod", env=ENV)
enforce_policy_budget(app)
app.synth()
"""
)

PIPELINE = (
    STAGE_APP
    + """
from aws_cdk import pipelines

app = cdk.App()
stack = cdk.Stack(app, "Pipeline", env=ENV)
pipeline = pipelines.CodePipeline(
    stack, "Pipeline",
    synth=pipelines.ShellStep(
        "Synth",
        input=pipelines.CodePipelineSource.git_hub("example/service", "main"),
        commands=["npm ci", "npx cdk synth"],
    ),
)
pipeline.add_stage(Service(app, "Prod", env=ENV))
enforce_policy_budget(app)
app.synth()
"""
)


def cdk_synth(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDK_VALIDATION": "false"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [str(CDK), "synth", "--no-notices", "--quiet", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def app_dir(tmp_path: Path, source: str) -> Path:
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "cdk.json").write_text(f'{{"app": "{sys.executable} app.py"}}')
    return tmp_path


@pytest.fixture(scope="module")
def plain(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    assert CDK.exists(), "the CDK CLI is missing: run `make test`, which installs it"
    cwd = app_dir(tmp_path_factory.mktemp("stage-app"), PLAIN)
    return cwd, cdk_synth(cwd)


def test_plain_cdk_synth_of_a_stage_app_fails(
    plain: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = plain
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Successfully synthesized" not in result.stdout + result.stderr
    # The CLI shows the findings of the stacks it selected (none here): one line says why.
    assert "[LambdaPerm] synth refused: 1 finding(s)" in result.stderr
    assert "cdk synth '**'" in result.stderr


@pytest.mark.parametrize(
    ("selection", "shown_at"),
    [
        ("**", ["Prod/Functions/Fn/Resource", "Prod/Api"]),
        ("Prod/Api", ["Prod/Api"]),  # the statements are here, the function elsewhere
        ("Prod/Functions", ["Prod/Functions/Fn/Resource"]),
        ("Prod/Other", []),  # nothing of its own: LP600 still fails the synth
    ],
)
def test_every_selection_of_stacks_fails(
    plain: tuple[Path, subprocess.CompletedProcess[str]], selection: str, shown_at: list[str]
) -> None:
    cwd, _ = plain
    result = cdk_synth(cwd, "--app", "cdk.out", selection)
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Synthesis finished with errors" in output
    for path in shown_at:
        assert f"   {path} (" in output or f"   {path} " in output, output
    assert ("Rule LambdaPerm::LP401" in output) == bool(shown_at)


def test_cdk_synth_of_one_stack_fails_when_the_app_runs(tmp_path: Path) -> None:
    cwd = app_dir(tmp_path, PLAIN)
    result = cdk_synth(cwd, "Prod/Api")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Rule LambdaPerm::LP401" in result.stderr


def test_a_cdk_pipelines_synth_step_fails(tmp_path: Path) -> None:
    cwd = app_dir(tmp_path, PIPELINE)
    result = cdk_synth(cwd)  # what the pipeline's ShellStep runs
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[LambdaPerm] synth refused" in result.stderr
