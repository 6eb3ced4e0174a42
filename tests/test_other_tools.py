"""One risk, one acknowledgement: other tools' suppressions written by mirror_acknowledgements.

The real cdk-nag 3 (its six packs, added as validation plugins the way its README does) and the
real checkov (its command line, from the virtualenv ``make setup`` gives it) read what is
written; cfn_nag, a Ruby gem, is checked against the Metadata form its README documents. Four
apps are built from the same grants and synthesized once each: without acknowledgements, with
them and the mirror, with them but no mirror, and with acknowledgements that accept nothing.
checkov runs once, over all their templates.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_iam, aws_lambda
from hypothesis import given
from hypothesis import strategies as st

from conftest import ACCOUNT, REGION
from conftest import make_function as _function
from constructs_lambdaperm import (
    RULES,
    FunctionUrlPermission,
    ServiceInvokePermission,
    mirror_acknowledgements,
)
from constructs_lambdaperm._audit.acknowledgements import acknowledgeable
from constructs_lambdaperm._audit.mirror import suppressions
from constructs_lambdaperm._readers.template import permission_from_properties, stack_from_template
from constructs_lambdaperm._rules import check
from constructs_lambdaperm._rules.other_tools import (
    CDK_NAG,
    CFN_NAG,
    CHECKOV,
    EQUIVALENTS,
    TOOLS,
    Target,
)

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
CHECKOV_BIN = Path(sys.prefix) / "checkov" / "bin" / "checkov"
"""checkov's own virtualenv, inside this one (``make setup``): it pins an older boto3."""

PACKS = (
    cdk_nag.AwsSolutionsChecks,
    cdk_nag.HIPAASecurityChecks,
    cdk_nag.NIST80053R4Checks,
    cdk_nag.NIST80053R5Checks,
    cdk_nag.PCIDSS321Checks,
    cdk_nag.ServerlessChecks,
)
PUBLIC_ACCESS = {
    f"{pack}-LambdaFunctionPublicAccessProhibited"
    for pack in ("HIPAA.Security", "NIST.800.53.R4", "NIST.800.53.R5", "PCI.DSS.321")
}

REASONS = {
    "LP301": "the status page is public by design",
    "LP302": "every topic of the partner may notify it",
    "LP305": "the operators manage the function fully",
    "LP306": "a public webhook, signed in the payload",
    "LP307": "any signed caller, reviewed in SEC-42",
}

# The permissions and URLs the apps make, by construct path, with the rule each is flagged for
# here and what each other tool flags on it (as run in the tests below).
WEBHOOK_URL = "Helpers/Webhook/invoke-function-url"
WEBHOOK_COMPANION = "Helpers/Webhook/invoke-function"
WEBHOOK_FUNCTION_URL = "Helpers/Webhook/FunctionUrl/Resource"
ALIAS_URL = "Helpers/Aliased/Aliaslive/invoke-function-url"
ALIAS_COMPANION = "Helpers/Aliased/Aliaslive/invoke-function"
ALIAS_FUNCTION_URL = "Helpers/Aliased/Aliaslive/FunctionUrl/Resource"
NOTIFIED = "Helpers/Notified/Invoke"  # grant_invoke's child ID ends in a hash
OPERATORS = "Helpers/Managed/Operators"
RAW = "Helpers/Raw"
SIGNED_URL = "Prod/Library/AnySigned/InvokeFunctionUrl"
SIGNED_COMPANION = "Prod/Library/AnySigned/InvokeFunction"
FROM_TOPIC = "Prod/Library/FromTopic/Resource"

CDK_NAG_EXPECTED = {
    WEBHOOK_URL: "LP306",
    WEBHOOK_COMPANION: "LP306",
    ALIAS_URL: "LP306",
    ALIAS_COMPANION: "LP306",
    OPERATORS: "LP301",
    SIGNED_URL: "LP307",
    SIGNED_COMPANION: "LP307",
}
"""What cdk-nag's four compliance packs flag, and the rule whose acknowledgement mirrors it."""

CHECKOV_EXPECTED = {
    (WEBHOOK_FUNCTION_URL, "CKV_AWS_258"): "LP306",
    (ALIAS_FUNCTION_URL, "CKV_AWS_258"): "LP306",
    (NOTIFIED, "CKV_AWS_364"): "LP302",
    (RAW, "CKV_AWS_364"): "LP302",
    (FROM_TOPIC, "CKV_AWS_364"): "LP302",
}
"""What checkov fails, and the rule whose acknowledgement mirrors it."""

CFN_NAG_EXPECTED = {
    WEBHOOK_URL: {"F13": "LP306"},
    WEBHOOK_COMPANION: {"F13": "LP306"},
    ALIAS_URL: {"F13": "LP306"},
    ALIAS_COMPANION: {"F13": "LP306"},
    OPERATORS: {"F13": "LP301", "W24": "LP305"},
    SIGNED_URL: {"F13": "LP307"},
    SIGNED_COMPANION: {"F13": "LP307"},
}
"""The cfn_nag suppressions expected in Metadata (F13: Principal '*'; W24: not InvokeFunction)."""


def _acknowledge(scope: Any, rule: str, reason: str | None = None) -> None:
    cdk.Validations.of(scope).acknowledge(
        cdk.Acknowledgment(id=f"LambdaPerm::{rule}", reason=reason or REASONS[rule])
    )


def _build(outdir: Path, *, acknowledge: str | None, mirror: bool) -> cdk.App:
    """The same grants each time; ``acknowledge``: ``"all"``, ``"nothing accepted"`` or None."""
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-path-metadata": True})
    helpers = cdk.Stack(app, "Helpers", env=ENV)
    # aws-cdk's own helpers and a plain CfnPermission.
    webhook = _function(helpers, "Webhook")
    webhook.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
    aliased = _function(helpers, "Aliased")
    aliased.add_alias("live").add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
    notified = _function(helpers, "Notified")
    notified.grant_invoke(aws_iam.ServicePrincipal("sns.amazonaws.com"))
    managed = _function(helpers, "Managed")
    managed.add_permission("Operators", principal=aws_iam.AnyPrincipal(), action="lambda:*")
    raw = aws_lambda.CfnPermission(
        helpers,
        "Raw",
        function_name=managed.function_name,
        principal="events.amazonaws.com",
        action="lambda:InvokeFunction",
    )
    # What the template already says is kept.
    raw.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_999", "comment": "kept as it is"}]})
    raw.add_metadata("cfn_nag", {"rules_to_suppress": [{"id": "W99", "reason": "kept too"}]})
    # This library's constructs, in a Stage.
    library = cdk.Stack(cdk.Stage(app, "Prod", env=ENV), "Library")
    signed = _function(library, "Signed")
    aws_lambda.FunctionUrl(
        library, "SignedUrl", function=signed, auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM
    )
    FunctionUrlPermission(library, "AnySigned", function=signed, auth_type="AWS_IAM", principal="*")
    ServiceInvokePermission(library, "FromTopic", function=signed, principal="sns.amazonaws.com")

    if acknowledge == "all":
        _acknowledge(webhook, "LP306")
        _acknowledge(aliased, "LP306")
        _acknowledge(notified, "LP302")
        _acknowledge(managed, "LP301")
        _acknowledge(managed, "LP305")
        _acknowledge(raw, "LP302")
        for rule in ("LP302", "LP307"):
            _acknowledge(library, rule)  # a scope above the grants
    elif acknowledge == "nothing accepted":
        _acknowledge(webhook, "LP306", "ok")  # too short a reason: not honoured
        # A rule it does not break (its LP302 stays); rules broken elsewhere than here; the
        # Stage's URL is AWS_IAM, so no LP306 there.
        _acknowledge(notified, "LP303", REASONS["LP302"])
        _acknowledge(webhook, "LP301")
        _acknowledge(aliased, "LP305")
        _acknowledge(library, "LP306")
    for pack in PACKS:
        cdk.Validations.of(app).add_plugins(pack(app))
    if mirror:
        mirror_acknowledgements(app)
    # cdk-nag's findings on the functions themselves (no VPC, no DLQ...) fail the synth; the
    # report and the templates are written first.
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    return app


@dataclass
class Built:
    """One synthesized app: its templates and what cdk-nag reported."""

    outdir: Path
    templates: dict[str, dict[str, Any]]
    """Each template, by its file's path in the assembly."""
    violations: dict[str, set[str]]
    """cdk-nag's unsuppressed findings: rule names by construct path."""
    suppressed: dict[str, dict[str, str]]
    """cdk-nag's suppressed findings: reason by rule name, by construct path."""
    on_permissions: set[str]
    """Every cdk-nag rule name reported on a CfnPermission or CfnUrl."""

    def resource(self, path: str) -> tuple[str, str, dict[str, Any]]:
        """The template file, logical ID and resource at a construct path (prefix for hashes)."""
        for file, template in self.templates.items():
            for logical_id, resource in template["Resources"].items():
                at = resource.get("Metadata", {}).get("aws:cdk:path", "")
                if at == path or (path.endswith("/Invoke") and at.startswith(path)):
                    return file, logical_id, resource
        raise AssertionError(f"no resource at {path}")

    def metadata(self, path: str, key: str) -> Any:
        return self.resource(path)[2].get("Metadata", {}).get(key)

    def full_path(self, path: str) -> str:
        """The whole construct path of the resource at ``path`` (a prefix, for hashed IDs)."""
        found = self.resource(path)[2]["Metadata"]["aws:cdk:path"]
        return str(found)


def _read(app: cdk.App) -> Built:
    outdir = Path(app.outdir)
    templates = {
        str(file.relative_to(outdir)): json.loads(file.read_text())
        for file in sorted(outdir.rglob("*.template.json"))
    }
    report = json.loads((outdir / "validation-report.json").read_text())
    violations: dict[str, set[str]] = {}
    suppressed: dict[str, dict[str, str]] = {}
    on_permissions: set[str] = set()
    packs = {pack(None).name for pack in PACKS}
    for plugin in report["pluginReports"]:
        if plugin["pluginName"] not in packs:
            continue
        for violation in plugin["violations"]:
            for construct in violation["violatingConstructs"]:
                violations.setdefault(construct["constructPath"], set()).add(violation["ruleName"])
                if construct["constructFqn"].endswith(("CfnPermission", "CfnUrl")):
                    on_permissions.add(violation["ruleName"])
        for violation in plugin.get("suppressedViolations", []):
            for construct in violation["violatingConstructs"]:
                suppressed.setdefault(construct["constructPath"], {})[violation["ruleName"]] = (
                    violation["reason"]
                )
                if construct["constructFqn"].endswith(("CfnPermission", "CfnUrl")):
                    on_permissions.add(violation["ruleName"])
    return Built(outdir, templates, violations, suppressed, on_permissions)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    variants: dict[str, tuple[str | None, bool]] = {
        "plain": (None, True),
        "mirrored": ("all", True),
        "not_mirrored": ("all", False),
        "nothing_accepted": ("nothing accepted", True),
    }
    return {
        name: _read(_build(tmp_path_factory.mktemp(name), acknowledge=acknowledge, mirror=mirror))
        for name, (acknowledge, mirror) in variants.items()
    }


@dataclass(frozen=True)
class CheckovResult:
    check: str
    result: str
    comment: str | None


@pytest.fixture(scope="module")
def checkov(
    built: dict[str, Built], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], list[CheckovResult]]:
    """checkov's results on every app's templates, by (app, construct path): one run for all."""
    if not CHECKOV_BIN.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV_BIN}: run `make setup`")
    folder = tmp_path_factory.mktemp("checkov")
    files: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, app in built.items():
        for file, template in app.templates.items():
            copy = f"{name}.{file.replace('/', '.')}"
            shutil.copy(app.outdir / file, folder / copy)
            files[f"/{copy}"] = (name, template)
    command = [str(CHECKOV_BIN), "-d", str(folder), "--framework", "cloudformation"]
    run = subprocess.run(
        [*command, "-o", "json", "--skip-download", "--compact"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: some check failed
    output = json.loads(run.stdout)
    found: dict[tuple[str, str], list[CheckovResult]] = {}
    for kind in ("failed_checks", "skipped_checks"):
        for result in output["results"][kind]:
            name, template = files[result["file_path"]]
            logical_id = result["resource"].split(".", 1)[1]
            path = template["Resources"][logical_id]["Metadata"]["aws:cdk:path"]
            found.setdefault((name, path), []).append(
                CheckovResult(
                    result["check_id"],
                    result["check_result"]["result"],
                    result["check_result"].get("suppress_comment"),
                )
            )
    return found


def _checkov_at(
    checkov: Mapping[tuple[str, str], list[CheckovResult]], app: Built, name: str, path: str
) -> dict[str, CheckovResult]:
    return {r.check: r for r in checkov.get((name, app.full_path(path)), [])}


# --- (a) without an acknowledgement, each tool flags its own resources ---------------------------


def test_without_acknowledgements_cdk_nag_flags_every_public_permission(
    built: dict[str, Built],
) -> None:
    plain = built["plain"]
    flagged = {
        path: rules & PUBLIC_ACCESS
        for path, rules in plain.violations.items()
        if rules & PUBLIC_ACCESS
    }
    assert flagged == {plain.full_path(path): PUBLIC_ACCESS for path in CDK_NAG_EXPECTED}
    assert not plain.suppressed


def test_without_acknowledgements_checkov_fails_public_urls_and_unsourced_services(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    plain = built["plain"]
    for (path, check_id), _rule in CHECKOV_EXPECTED.items():
        assert _checkov_at(checkov, plain, "plain", path)[check_id].result == "FAILED"
    # An AWS_IAM URL passes CKV_AWS_258.
    assert "CKV_AWS_258" not in _checkov_at(
        checkov, plain, "plain", "Prod/Library/SignedUrl/Resource"
    )


def test_the_table_lists_every_rule_cdk_nag_and_checkov_apply_to_lambda_permissions(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    """No rule of theirs on a permission or URL is missing, and every row was seen flagging."""
    rows = {(e.tool, e.other_id) for e in EQUIVALENTS if e.tool in (CDK_NAG, CHECKOV)}
    seen = {(CDK_NAG, rule) for rule in built["plain"].on_permissions}
    plain = built["plain"]
    for template in plain.templates.values():
        for resource in template["Resources"].values():
            if resource["Type"] not in ("AWS::Lambda::Permission", "AWS::Lambda::Url"):
                continue
            path = resource["Metadata"]["aws:cdk:path"]
            seen |= {
                (CHECKOV, r.check) for r in checkov.get(("plain", path), []) if r.result == "FAILED"
            }
    assert seen == rows


# --- (b) with the acknowledgement and the mirror, each tool accepts it with the reason -----------


def test_mirrored_cdk_nag_findings_are_suppressed_with_the_reason(
    built: dict[str, Built],
) -> None:
    mirrored = built["mirrored"]
    for path, rule in CDK_NAG_EXPECTED.items():
        at = mirrored.full_path(path)
        assert not mirrored.violations.get(at, set()) & PUBLIC_ACCESS, path
        reasons = mirrored.suppressed[at]
        assert set(reasons) == PUBLIC_ACCESS, path
        for reason in reasons.values():
            assert reason == f"{REASONS[rule]} (acknowledged as LambdaPerm::{rule})"


def test_mirrored_checkov_checks_are_skipped_with_the_reason(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    mirrored = built["mirrored"]
    for (path, check_id), rule in CHECKOV_EXPECTED.items():
        result = _checkov_at(checkov, mirrored, "mirrored", path)[check_id]
        assert result.result == "SKIPPED", path
        assert result.comment == f"{REASONS[rule]} (acknowledged as LambdaPerm::{rule})"


def test_mirrored_cfn_nag_suppressions_are_in_the_template_metadata(
    built: dict[str, Built],
) -> None:
    mirrored = built["mirrored"]
    for path, expected in CFN_NAG_EXPECTED.items():
        written = mirrored.metadata(path, "cfn_nag")
        assert written == {
            "rules_to_suppress": [
                {"id": other, "reason": f"{REASONS[rule]} (acknowledged as LambdaPerm::{rule})"}
                for other, rule in expected.items()
            ]
        }, path
    written_anywhere = {
        resource["Metadata"]["aws:cdk:path"]
        for template in mirrored.templates.values()
        for resource in template["Resources"].values()
        if "cfn_nag" in resource.get("Metadata", {})
    }
    assert written_anywhere == {mirrored.full_path(p) for p in [*CFN_NAG_EXPECTED, RAW]}


def test_what_the_metadata_already_held_is_kept(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    mirrored = built["mirrored"]
    reason = f"{REASONS['LP302']} (acknowledged as LambdaPerm::LP302)"
    assert mirrored.metadata(RAW, "checkov") == {
        "skip": [
            {"id": "CKV_AWS_999", "comment": "kept as it is"},
            {"id": "CKV_AWS_364", "comment": reason},
        ]
    }
    assert mirrored.metadata(RAW, "cfn_nag") == {
        "rules_to_suppress": [{"id": "W99", "reason": "kept too"}]
    }
    assert _checkov_at(checkov, mirrored, "mirrored", RAW)["CKV_AWS_364"].result == "SKIPPED"


def test_the_guard_still_accepts_the_same_findings(built: dict[str, Built]) -> None:
    report = json.loads((built["mirrored"].outdir / "validation-report.json").read_text())
    (guard,) = [p for p in report["pluginReports"] if p["pluginName"] == "LambdaPerm"]
    unsafe = {v["ruleName"] for v in guard["violations"]} & set(REASONS)
    accepted = {v["ruleName"] for v in guard.get("suppressedViolations", [])}
    assert not unsafe
    assert accepted == set(REASONS)


# --- (c) opt-in: without the call, nothing is written ---------------------------------------------


def test_without_the_mirror_the_other_tools_still_flag_everything(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    app = built["not_mirrored"]
    for path in CDK_NAG_EXPECTED:
        assert app.violations[app.full_path(path)] & PUBLIC_ACCESS == PUBLIC_ACCESS
    assert not app.suppressed
    for path, check_id in CHECKOV_EXPECTED:
        assert _checkov_at(checkov, app, "not_mirrored", path)[check_id].result == "FAILED"
    _assert_nothing_written(app)


# --- (d) an acknowledgement that accepts no finding writes nothing -------------------------------


def test_acknowledgements_that_accept_no_finding_write_nothing(
    built: dict[str, Built], checkov: dict[tuple[str, str], list[CheckovResult]]
) -> None:
    app = built["nothing_accepted"]
    assert {p: r & PUBLIC_ACCESS for p, r in app.violations.items() if r & PUBLIC_ACCESS} == {
        app.full_path(path): PUBLIC_ACCESS for path in CDK_NAG_EXPECTED
    }
    assert not app.suppressed
    for path, check_id in CHECKOV_EXPECTED:
        assert _checkov_at(checkov, app, "nothing_accepted", path)[check_id].result == "FAILED"
    _assert_nothing_written(app)


def _assert_nothing_written(app: Built) -> None:
    for template in app.templates.values():
        for resource in template["Resources"].values():
            metadata = resource.get("Metadata", {})
            path = metadata.get("aws:cdk:path")
            if path == app.full_path(RAW):  # what it held before, only
                assert metadata["checkov"] == {
                    "skip": [{"id": "CKV_AWS_999", "comment": "kept as it is"}]
                }
                assert metadata["cfn_nag"] == {
                    "rules_to_suppress": [{"id": "W99", "reason": "kept too"}]
                }
                continue
            assert "checkov" not in metadata, path
            assert "cfn_nag" not in metadata, path


# --- the call itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        (["cdknag"], "names 'cdknag'"),
        ("checkov", "not the string 'checkov'"),
        ([], "tools is empty"),
        (None, "not None"),
        (["checkov", "tfsec"], "names 'tfsec'"),
    ],
)
def test_a_tool_it_does_not_know_is_refused_naming_the_allowed_ones(
    app: cdk.App, tools: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        mirror_acknowledgements(app, tools=tools)
    assert "'cdk-nag', 'checkov', 'cfn_nag'" in str(raised.value)


def _public_url_app(outdir: Path) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:enable-path-metadata": True})
    stack = cdk.Stack(app, "Stack", env=ENV)
    fn = _function(stack, "Fn")
    fn.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
    _acknowledge(fn, "LP306")
    return app, stack


def _metadata(app: cdk.App, stack: str, path: str) -> dict[str, Any]:
    template = json.loads((Path(app.outdir) / f"{stack}.template.json").read_text())
    for resource in template["Resources"].values():
        if resource.get("Metadata", {}).get("aws:cdk:path", "").endswith(path):
            return dict(resource["Metadata"])
    raise AssertionError(path)


def test_each_suppression_is_written_once_however_often_it_is_asked_for(tmp_path: Path) -> None:
    app, stack = _public_url_app(tmp_path)
    mirror_acknowledgements(app, tools=["cfn_nag"])
    mirror_acknowledgements(stack)  # a scope inside, with more tools
    mirror_acknowledgements(app)
    app.synth()
    app.synth(force=True)  # the validations run again
    metadata = _metadata(app, "Stack", "Fn/invoke-function-url")
    reason = f"{REASONS['LP306']} (acknowledged as LambdaPerm::LP306)"
    assert metadata["cfn_nag"] == {"rules_to_suppress": [{"id": "F13", "reason": reason}]}
    url = _metadata(app, "Stack", "Fn/FunctionUrl/Resource")
    assert url["checkov"] == {"skip": [{"id": "CKV_AWS_258", "comment": reason}]}
    permission = stack.node.find_child("Fn").node.find_child("invoke-function-url")
    acknowledged = [
        entry.data
        for entry in permission.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    ]
    assert acknowledged == [
        {f"{pack}::{rule}": reason}
        for rule in sorted(PUBLIC_ACCESS)
        for pack in [rule.split("-", 1)[0]]
    ]


def test_metadata_in_another_form_is_left_alone_with_a_warning(tmp_path: Path) -> None:
    app, stack = _public_url_app(tmp_path)
    url = stack.node.find_child("Fn").node.find_child("FunctionUrl").node.default_child
    assert isinstance(url, cdk.CfnResource)
    url.add_metadata("checkov", ["CKV_AWS_258"])
    mirror_acknowledgements(app, tools=["checkov"])
    app.synth()
    template = json.loads((Path(app.outdir) / "Stack.template.json").read_text())
    (written,) = [
        r["Metadata"]["checkov"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Url"
    ]
    assert written == ["CKV_AWS_258"]
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("Metadata.checkov is not in the form")
    )
    assert len(warnings) == 1


def test_a_stage_created_after_the_call_fails_synth_naming_it(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    mirror_acknowledgements(app)
    stack = cdk.Stack(cdk.Stage(app, "Late", env=ENV), "Stack")
    fn = _function(stack, "Fn")
    fn.add_function_url(auth_type=aws_lambda.FunctionUrlAuthType.NONE)
    _acknowledge(fn, "LP306")
    with pytest.raises(RuntimeError, match=r"before Stage 'Late' was created"):
        app.synth()


def test_a_stage_without_accepted_findings_may_come_after_the_call(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    mirror_acknowledgements(app)
    _function(cdk.Stack(cdk.Stage(app, "Late", env=ENV), "Stack"), "Fn")
    app.synth()


# --- the planner, without the CDK --------------------------------------------------------------


def _template(*permissions: Mapping[str, Any], url_auth: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
    }
    for index, properties in enumerate(permissions):
        resources[f"P{index}"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {"FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]}, **properties},
        }
    if url_auth is not None:
        resources["Url"] = {
            "Type": "AWS::Lambda::Url",
            "Properties": {
                "TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]},
                "AuthType": url_auth,
            },
        }
    return {"Resources": resources}


def _plan(
    template: Mapping[str, Any], acknowledged: Mapping[str, str], tools: Any = tuple(TOOLS)
) -> dict[str, set[tuple[str, str]]]:
    stack = stack_from_template(template, name="T", account=ACCOUNT, region=REGION)
    found = suppressions([stack], lambda site: acknowledged, frozenset(tools))
    return {site.logical_id: {(s.tool, s.id) for s in items} for site, items in found.items()}


def test_a_public_url_is_mirrored_onto_its_companion_and_its_url() -> None:
    url = {"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"}
    companion = {"Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True}
    plan = _plan(
        _template(url, companion, url_auth="NONE"), {"LambdaPerm::LP306": REASONS["LP306"]}
    )
    nag = {(CDK_NAG, f"{rule.split('-', 1)[0]}::{rule}") for rule in PUBLIC_ACCESS}
    assert plan == {
        "P0": nag | {(CFN_NAG, "F13")},
        "P1": nag | {(CFN_NAG, "F13")},
        "Url": {(CHECKOV, "CKV_AWS_258")},
    }


def test_an_iam_url_is_not_given_the_public_url_skip() -> None:
    url = {"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"}
    plan = _plan(_template(url, url_auth="AWS_IAM"), {"LambdaPerm::LP306": REASONS["LP306"]})
    assert "Url" not in plan


def test_only_the_tools_asked_for_are_written() -> None:
    url = {"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"}
    plan = _plan(
        _template(url, url_auth="NONE"), {"LambdaPerm::LP306": REASONS["LP306"]}, [CHECKOV]
    )
    assert plan == {"Url": {(CHECKOV, "CKV_AWS_258")}}


PRINCIPALS = st.sampled_from(
    ["*", "sns.amazonaws.com", "logs.us-east-1.amazonaws.com", "111111111111", "${Token[X.1]}"]
)
ACTIONS = st.sampled_from(
    ["lambda:InvokeFunction", "lambda:*", "*", "lambda:InvokeFunctionUrl", "lambda:GetFunction"]
)
CONDITIONS = {
    "SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:topic",
    "SourceAccount": ACCOUNT,
    "PrincipalOrgID": "o-a1b2c3d4e5",
    "EventSourceToken": "amzn1.ask.skill.1",
}


@st.composite
def permissions(draw: st.DrawFn) -> dict[str, Any]:
    properties: dict[str, Any] = {"Action": draw(ACTIONS), "Principal": draw(PRINCIPALS)}
    for key in draw(st.sets(st.sampled_from(sorted(CONDITIONS)))):
        properties[key] = CONDITIONS[key]
    if properties["Action"] == "lambda:InvokeFunctionUrl":
        properties["FunctionUrlAuthType"] = draw(st.sampled_from(["NONE", "AWS_IAM"]))
    return properties


@given(
    permission=permissions(),
    acknowledged=st.sets(st.sampled_from([*sorted(REASONS), "LP303", "LP304"])),
    short=st.booleans(),
)
def test_a_permission_gets_the_rows_of_exactly_the_rules_accepted_on_it(
    permission: dict[str, Any], acknowledged: set[str], short: bool
) -> None:
    reason = "too short" if short else "a reason long enough"
    plan = _plan(_template(permission), {f"LambdaPerm::{r}": reason for r in acknowledged})
    found = {f.rule.id for f in check(permission_from_properties(permission)) if f.evaluated}
    accepted = set() if short else found & acknowledged
    expected = {
        (e.tool, e.suppression_id)
        for e in EQUIVALENTS
        if e.rule in accepted and Target.PERMISSION in e.targets
    }
    assert plan.get("P0", set()) == expected


def test_every_row_mirrors_a_rule_that_may_be_acknowledged() -> None:
    for equivalent in EQUIVALENTS:
        assert equivalent.tool in TOOLS
        assert acknowledgeable(RULES[equivalent.rule]), equivalent
        if equivalent.tool == CDK_NAG:
            assert equivalent.pack is not None
            assert equivalent.other_id.startswith(f"{equivalent.pack}-")
        else:
            assert equivalent.pack is None
    rows = [(e.rule, e.tool, e.other_id) for e in EQUIVALENTS]
    assert len(rows) == len(set(rows))


def test_the_mirror_modules_are_loaded_only_by_the_call() -> None:
    """Costs nothing unless called: nothing but the public API imports them."""
    from test_layout import MODULES, _imports

    importers = {
        module
        for module, path in MODULES.items()
        if {"constructs_lambdaperm._cdk.mirror", "constructs_lambdaperm._audit.mirror"}
        & _imports(module, path)
    }
    assert importers == {"constructs_lambdaperm", "constructs_lambdaperm._cdk.mirror"}
