"""The lambdaperm command and the template front end behind it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_lambdaperm._cli.main import main
from constructs_lambdaperm._core.tokens import is_unresolved
from constructs_lambdaperm._readers.template import permissions_in, value_text

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "FnPermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
                "Principal": "s3.amazonaws.com",
                "SourceArn": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b"]]},
            },
        },
        "Public": {
            "Type": "AWS::Lambda::Permission",
            "Metadata": {"aws:cdk:acknowledged-rules": {"LambdaPerm::LP301": "open by design"}},
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": "fn:live",
                "Principal": "*",
            },
        },
        "Bucket": {"Type": "AWS::S3::Bucket"},
    }
}


def test_intrinsics_keep_their_literal_text() -> None:
    joined = value_text({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b"]]})
    assert joined is not None
    assert joined.startswith("arn:")
    assert joined.endswith(":s3:::b")
    assert is_unresolved(joined)
    subbed = value_text({"Fn::Sub": "arn:${AWS::Partition}:s3:::b"})
    assert subbed is not None
    assert is_unresolved(subbed)
    assert subbed.endswith(":s3:::b")


def test_template_permissions_are_read_into_the_model() -> None:
    grants = {g.logical_id: g for g in permissions_in(TEMPLATE, "Stack")}
    assert set(grants) == {"FnPermission", "Public"}
    assert grants["Public"].permission.qualifier == "live"
    assert grants["Public"].acknowledged == {"LambdaPerm::LP301": "open by design"}


def test_show_prints_a_table_with_the_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Stack.template.json").write_text(json.dumps(TEMPLATE))
    assert main(["show", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "FnPermission" in out
    assert "LP303 unsafe" in out
    assert "LP301 acknowledged" in out
    assert "2 permission(s) on 2 function(s), versions or aliases in 1 template(s)." in out
    assert "{Fn.Arn}" in out


def test_rules_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    assert "LambdaPerm::LP306" in capsys.readouterr().out


def test_show_lists_what_the_guard_finds_across_grants(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
            "Principal": "223456789012",
        },
    }
    template = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function"}, "A": twice, "B": twice}}
    (tmp_path / "Stack.template.json").write_text(json.dumps(template))
    assert main(["show", str(tmp_path)]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[3:5]}
    # The duplicate is an app-level rule (LP601): show asks the same engine as lint and the guard.
    assert rows["A"].endswith(" ok")
    assert rows["B"].endswith("LP601 warning")
