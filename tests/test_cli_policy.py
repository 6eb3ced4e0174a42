"""``lambdaperm policy``: each function's policy as Lambda holds it, its size, who may invoke."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.matchers import path_type

from constructs_lambdaperm import resource_policies
from constructs_lambdaperm._cli import main as cli
from constructs_lambdaperm._cli.formats import text

TESTS = Path(__file__).resolve().parent
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:reports"


def _grants(count: int) -> dict[str, Any]:
    """A template granting ``count`` accounts' roles on one function (about 190 bytes each)."""
    return {
        "Resources": {
            f"Caller{i}": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": FUNCTION,
                    "Action": "lambda:InvokeFunction",
                    "Principal": f"arn:aws:iam::{200000000000 + i}:role/report-reader",
                },
            }
            for i in range(count)
        }
    }


@pytest.fixture
def in_tests(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(TESTS)
    return TESTS


def test_json_gives_each_document_as_lambda_will_hold_it(
    in_tests: Path, capsys: pytest.CaptureFixture[str], snapshot_json: SnapshotAssertion
) -> None:
    assert cli.main(["policy", "templates", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == snapshot_json(matcher=path_type({"tool.version": (str,)}))


def test_the_documents_are_the_policies_the_library_renders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _grants(3)
    path = tmp_path / "grants.json"
    path.write_text(json.dumps(template))
    assert cli.main(["policy", str(path), "--format", "json"]) == 0
    (policy,) = json.loads(capsys.readouterr().out)["policies"]
    (expected,) = resource_policies(template)
    assert policy["document"]["Statement"] == [
        {**s.statement, "Sid": policy["document"]["Statement"][i]["Sid"]}
        for i, s in enumerate(expected.statements)
    ]
    assert policy["resource"] == FUNCTION
    assert policy["size_is_bound"] is True  # the stack's name is in each Sid, and unknown
    assert policy["known_size"] <= policy["size"] < policy["limit"] == 20480


def test_text_shows_a_size_bar_and_who_may_invoke(
    in_tests: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["policy", "templates/serverless-framework.json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "function:orders-dev-hello" in out
    assert "defined as HelloLambdaFunction in templates/serverless-framework.json" in out
    assert "of 20,480 bytes" in out
    for principal in ("apigateway.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"):
        assert principal in out
    assert "AWS:SourceAccount StringEquals" in out
    assert "HelloLambdaPermissionAlexaSkill" in out
    assert "1 policy(ies), 4 statement(s), in 1 template(s)." in out


def test_the_bar_fills_with_the_policy_and_stops_at_the_limit() -> None:
    filled = []
    for count in (1, 50, 100, 120):
        (policy,) = resource_policies(_grants(count))
        bar = text.size_bar(policy, plain=True).plain
        inside = bar[1 : bar.index("]")]
        assert len(inside) == text.BAR_WIDTH
        assert inside == inside.rstrip("-").ljust(text.BAR_WIDTH, "-")  # '#'s, then '-'s
        share = min(policy.size / policy.limit, 1)
        assert abs(inside.count("#") / text.BAR_WIDTH - share) <= 1 / text.BAR_WIDTH
        assert f"at most {policy.size:,} of 20,480 bytes ({policy.size / policy.limit:.0%})" in bar
        filled.append(inside.count("#"))
    assert filled == sorted(filled)
    assert filled[-1] == text.BAR_WIDTH  # 120 grants: over the limit, the bar is full


def test_a_policy_over_the_limit_is_a_lint_error_and_shown_by_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grants.json"
    path.write_text(json.dumps(_grants(120)))
    assert cli.main(["lint", str(path), "--format", "json"]) == 1
    rules = {f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "LP401" in rules
    assert cli.main(["policy", str(path), "--format", "json"]) == 0
    (policy,) = json.loads(capsys.readouterr().out)["policies"]
    assert policy["size"] > policy["limit"]
    assert len(policy["statements"]) == 120


def test_unreadable_files_exit_2_and_the_others_are_shown(
    in_tests: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.json").write_text("")
    status = cli.main(
        ["policy", str(tmp_path / "empty.json"), "templates/sam-events.yaml", "--format", "json"]
    )
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.count("lambdaperm: error:") == 1
    document = json.loads(captured.out)
    assert len(document["errors"]) == 1
    assert len(document["policies"]) == 2


def test_principals_and_conditions_read_as_a_person_would() -> None:
    assert text.principal({"Service": "s3.amazonaws.com"}) == "s3.amazonaws.com"
    assert text.principal({"AWS": ["arn:aws:iam::1:root", "2"]}) == "arn:aws:iam::1:root, 2"
    assert text.principal("*") == "*"
    assert text.conditions(None) == "-"
    assert (
        text.conditions(
            {
                "StringEquals": {"AWS:SourceAccount": "111111111111"},
                "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
            }
        )
        == "AWS:SourceAccount StringEquals 111111111111\nAWS:SourceArn ArnLike arn:aws:s3:::uploads"
    )


def test_the_policies_of_several_files_are_one_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same function, granted on by two files: one policy, as Lambda holds it.
    first, second = _grants(2), _grants(4)
    second["Resources"] = dict(list(second["Resources"].items())[2:])
    (tmp_path / "a.json").write_text(json.dumps(first))
    (tmp_path / "b.json").write_text(json.dumps(second))
    assert cli.main(["policy", str(tmp_path), "--format", "json"]) == 0
    policies: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["policies"]
    assert [len(p["statements"]) for p in policies] == [4]
    assert {s["file"].rsplit("/", 1)[-1] for s in policies[0]["statements"]} == {"a.json", "b.json"}


def test_a_document_shows_its_effect_actions_and_exceptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # one row a line
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::Lambda::ResourcePolicy",
                "Properties": {
                    "ResourceArn": FUNCTION,
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                                "Action": ["lambda:InvokeFunction", "lambda:GetFunction"],
                                "Resource": FUNCTION,
                            },
                            {
                                "Effect": "Deny",
                                "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:root"},
                                "Action": "lambda:*",
                                "Resource": FUNCTION,
                            },
                        ],
                    },
                },
            }
        }
    }
    file = tmp_path / "document.json"
    file.write_text(json.dumps(template))
    assert cli.main(["policy", str(file)]) == 0
    out = capsys.readouterr().out
    assert "lambda:InvokeFunction, lambda:GetFunction" in out
    assert "['lambda" not in out
    assert "Deny" in out
    assert "all but arn:aws:iam::222222222222:root" in out
