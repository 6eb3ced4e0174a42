"""The template reader: YAML with short-form tags, dynamic references, Fn::If, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda

from conftest import ACCOUNT, REGION
from constructs_lambdaperm import CrossAccountPermission, resource_policies
from constructs_lambdaperm._cli.main import main
from constructs_lambdaperm._core import tokens
from constructs_lambdaperm._readers.files import TemplateError, load_template, template_files
from constructs_lambdaperm._readers.template import permissions_in, read_permissions, value_text
from constructs_lambdaperm._rules import check

YAML_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Partner: {Type: String}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, "012345670123"]
Resources:
  Fn:
    Type: AWS::Lambda::Function
  ByRef:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: !Ref Partner
  ByGetAtt:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Fn.Arn
      Principal: s3.amazonaws.com
      SourceArn: !Sub "arn:${AWS::Partition}:s3:::uploads"
      SourceAccount: !Select [0, ["012345670123", "x"]]
  ByJoin:
    Type: AWS::Lambda::Permission
    Properties:
      Action: !If [IsProd, lambda:InvokeFunction, lambda:InvokeFunctionUrl]
      FunctionName: !Join [":", [!GetAtt [Fn, Arn], live]]
      Principal: !Sub
        - "${Account}"
        - Account: !ImportValue partner-account
      FunctionUrlAuthType: !If [IsProd, !Ref "AWS::NoValue", NONE]
"""

LONG_FORM: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Partner": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "012345670123"]}},
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function"},
        "ByRef": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "Fn"},
                "Principal": {"Ref": "Partner"},
            },
        },
        "ByGetAtt": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
                "Principal": "s3.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::uploads"},
                "SourceAccount": {"Fn::Select": [0, ["012345670123", "x"]]},
            },
        },
        "ByJoin": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": {
                    "Fn::If": ["IsProd", "lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
                },
                "FunctionName": {"Fn::Join": [":", [{"Fn::GetAtt": ["Fn", "Arn"]}, "live"]]},
                "Principal": {
                    "Fn::Sub": ["${Account}", {"Account": {"Fn::ImportValue": "partner-account"}}]
                },
                "FunctionUrlAuthType": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "NONE"]},
            },
        },
    },
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_template_reads_as_its_json_form(tmp_path: Path) -> None:
    yaml_file = _write(tmp_path / "stack.yaml", YAML_TEMPLATE)
    json_file = _write(tmp_path / "stack.json", json.dumps(LONG_FORM))
    assert load_template(yaml_file) == LONG_FORM == load_template(json_file)
    assert [g.logical_id for g in permissions_in(load_template(yaml_file))] == [
        "ByGetAtt",
        "ByJoin",
        "ByJoin",
        "ByRef",
    ]


@pytest.mark.parametrize(
    ("yaml_text", "long_form"),
    [
        ("!GetAtt Nested.Outputs.FnArn", {"Fn::GetAtt": ["Nested", "Outputs.FnArn"]}),
        ("!GetAtt [Fn, Arn]", {"Fn::GetAtt": ["Fn", "Arn"]}),
        ('!Sub ["${A}", {A: !Ref B}]', {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]}),
        ("!Split [',', !Ref L]", {"Fn::Split": [",", {"Ref": "L"}]}),
        (
            "!FindInMap [M, !Ref AWS::Region, K]",
            {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "K"]},
        ),
        ("!Base64 text", {"Fn::Base64": "text"}),
        (
            "!Cidr [!GetAtt V.CidrBlock, 6, 5]",
            {"Fn::Cidr": [{"Fn::GetAtt": ["V", "CidrBlock"]}, 6, 5]},
        ),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
        (
            "!And [!Condition A, !Not [!Condition B]]",
            {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]},
        ),
        (
            "!Or [!Equals [a, b], !Condition C]",
            {"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Condition": "C"}]},
        ),
        (
            "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
            {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
        ),
        ("012345678901", "012345678901"),
        ("012345670123", "012345670123"),  # an account ID, not an octal number
        ("1:30", "1:30"),  # not sexagesimal 90
        ("2010-09-09", "2010-09-09"),
        ("123456789012", 123456789012),
        ("{80: http}", {"80": "http"}),
    ],
)
def test_short_form_tags_and_scalars_read_as_cloudformation_reads_them(
    tmp_path: Path, yaml_text: str, long_form: Any
) -> None:
    file = _write(tmp_path / "t.yaml", f"Resources: {{}}\nValue: {yaml_text}\n")
    assert load_template(file)["Value"] == long_form


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "no such file"),
        ("empty.json", "", "the file is empty"),
        ("blank.yaml", "  \n\n", "the file is empty"),
        (
            "truncated.json",
            '{"Resources": {"P": {"Type": ',
            "not valid JSON: Expecting value (line 1",
        ),
        (
            "truncated.yaml",
            "Resources:\n  P:\n    Type: [AWS::Lambda::Permission\n",
            "not valid YAML",
        ),
        ("list.json", "[1, 2]", "not a CloudFormation template: the document is a list"),
        ("package.json", '{"name": "app"}', "not a CloudFormation template: no Resources section"),
        (
            "bad.yaml",
            "Resources: [1]\n",
            "not a CloudFormation template: Resources is not a mapping",
        ),
        ("text.yaml", "just words\n", "the document is a string"),
        ("two.yaml", "Resources: {}\n---\nResources: {}\n", "not valid YAML"),
        ("binary.json", b"\xff\xfe\x00", "not UTF-8 text"),
        (
            "laughs.yaml",  # each level doubles the one before: 2**1000 items once expanded
            "l0: &l0 [x]\n"
            + "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 1000))
            + "Resources: {}\n",
            "more than 1000 YAML aliases",
        ),
    ],
)
def test_a_file_that_is_not_a_template_is_one_error_naming_it(
    tmp_path: Path, name: str, content: str | bytes | None, message: str
) -> None:
    file = tmp_path / name
    if isinstance(content, bytes):
        file.write_bytes(content)
    elif content is not None:
        file.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        load_template(file)
    assert str(raised.value).startswith(f"{file}: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_show_reports_each_bad_file_and_reads_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "a.yaml", YAML_TEMPLATE)
    truncated = _write(tmp_path / "b.json", '{"Resources": {')
    other = _write(tmp_path / "c.json", json.dumps(LONG_FORM))
    missing = tmp_path / "d.json"
    status = main(["show", str(good), str(truncated), str(missing), str(other)])
    out, err = capsys.readouterr()
    assert status == 1
    assert err.splitlines() == [
        f"lambdaperm: error: {truncated}: not valid JSON: Expecting property name enclosed in "
        "double quotes (line 1, column 16)",
        f"lambdaperm: error: {missing}: no such file",
        "Not read: 2 file(s) and 0 resource(s) (see the errors above).",
    ]
    assert "a: 4 permission(s)" in out
    assert "c: 4 permission(s)" in out
    assert "in 2 template(s)" in out


def test_a_sam_authorizer_permission_does_not_stop_the_files_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SAM writes FunctionName "arn:aws" for authorizers (a function named "arn", alias "aws").
    sam = _conditional("apigateway.amazonaws.com")
    sam["Resources"]["Grant"]["Properties"]["FunctionName"] = "arn:aws"
    first = _write(tmp_path / "a.json", json.dumps(sam))
    after = _write(tmp_path / "b.yaml", YAML_TEMPLATE)
    main(["show", str(first), str(after)])
    out, err = capsys.readouterr()
    assert "b: 4 permission(s)" in out
    # "arn:aws" is a valid FunctionName: its permission is read, with no error.
    assert "a: 1 permission(s)" in out
    assert err == ""


def test_show_with_every_file_read_exits_0(tmp_path: Path) -> None:
    assert main(["show", str(_write(tmp_path / "a.yaml", YAML_TEMPLATE))]) == 0


def test_show_finds_no_template_in_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", str(tmp_path)]) == 1
    assert "no template found" in capsys.readouterr().err


def test_a_resource_that_cannot_be_read_is_one_error_and_the_others_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = json.loads(json.dumps(LONG_FORM))
    template["Resources"]["Broken"] = {"Type": "AWS::Lambda::Permission", "Properties": [1]}
    template["Resources"]["NoProperties"] = {"Type": "AWS::Lambda::Permission"}
    template["Resources"]["Odd"] = ["not", "a", "resource"]
    template["Resources"]["ByRef"]["Metadata"] = ["not a mapping"]
    grants, problems = read_permissions(template)
    assert [(p.logical_id, p.message) for p in problems] == [
        ("Broken", "Properties is not a mapping")
    ]
    assert {g.logical_id for g in grants} == {"ByGetAtt", "ByJoin", "ByRef", "NoProperties"}
    file = _write(tmp_path / "t.json", json.dumps(template))
    assert main(["show", str(file)]) == 1
    out, err = capsys.readouterr()
    assert f"lambdaperm: error: {file}: Broken: Properties is not a mapping" in err
    assert "t: 5 permission(s)" in out


# --- dynamic references ------------------------------------------------------------------

DYNAMIC = {
    "SourceAccount": "{{resolve:ssm:/org/partner-account}}",
    "EventSourceToken": "{{resolve:secretsmanager:alexa-skill:SecretString:token}}",
    "PrincipalOrgID": "{{resolve:ssm-secure:/org/id:3}}",
}


def test_dynamic_references_are_deploy_time_values() -> None:
    for value in DYNAMIC.values():
        text = value_text(value)
        assert text is not None
        assert tokens.is_unresolved(text)
        assert tokens.split(text) == (None,)
    partly = value_text({"Fn::Sub": "arn:aws:s3:::{{resolve:ssm:/${Env}/bucket}}-logs"})
    assert partly is not None
    assert tokens.split(partly) == ("arn:aws:s3:::", None, "-logs")
    assert value_text("{{resolve:ssm:a}}:{{resolve:ssm:b}}") is not None


def test_dynamic_references_raise_no_false_field_errors() -> None:
    # LP106 and LP108 before: the reference's own text was checked as an account and a token.
    template = {
        "Resources": {
            "P": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": "fn",
                    "Principal": "alexa-appkit.amazon.com",
                    **DYNAMIC,
                },
            }
        }
    }
    (grant,) = permissions_in(template)
    assert [f.rule.id for f in check(grant.permission) if f.blocking] == []
    (policy,) = resource_policies(template)
    (statement,) = policy.statements
    assert tokens.is_unresolved(json.dumps(statement.statement["Condition"]))
    assert policy.size_is_bound


# --- Fn::If: each branch checked ---------------------------------------------------------


def _conditional(principal: Any, **more: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Grant": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": "fn",
                    "Principal": principal,
                    **more,
                },
            }
        }
    }


def _blocking(template: dict[str, Any]) -> dict[tuple[tuple[str, bool], ...], list[str]]:
    return {
        g.conditions: [f.rule.id for f in check(g.permission) if f.blocking]
        for g in permissions_in(template)
    }


def test_a_finding_on_one_branch_of_fn_if_is_reported_with_its_condition() -> None:
    template = _conditional({"Fn::If": ["IsPublic", "*", ACCOUNT]})
    assert _blocking(template) == {(("IsPublic", True),): ["LP301"], (("IsPublic", False),): []}


def test_one_condition_takes_one_branch_wherever_it_is_tested() -> None:
    template = _conditional(
        {"Fn::If": ["IsPartner", "223456789012", "s3.amazonaws.com"]},
        SourceArn={"Fn::If": ["IsPartner", {"Ref": "AWS::NoValue"}, "arn:aws:s3:::uploads"]},
        SourceAccount={"Fn::If": ["IsPartner", {"Ref": "AWS::NoValue"}, ACCOUNT]},
    )
    # Never a partner account with a bucket's SourceArn, nor s3 without one.
    assert _blocking(template) == {(("IsPartner", True),): [], (("IsPartner", False),): []}
    grants = list(permissions_in(template))
    assert [(g.permission.principal, g.permission.source_arn) for g in grants] == [
        ("223456789012", None),
        ("s3.amazonaws.com", "arn:aws:s3:::uploads"),
    ]


def test_nested_conditions_and_the_resource_condition_are_assumed_together() -> None:
    template = _conditional(
        {"Fn::If": ["IsProd", {"Fn::If": ["IsOpen", "*", ACCOUNT]}, "s3.amazonaws.com"]}
    )
    template["Resources"]["Grant"]["Condition"] = "IsProd"  # the resource exists only then
    assert _blocking(template) == {
        (("IsProd", True), ("IsOpen", True)): ["LP301"],
        (("IsProd", True), ("IsOpen", False)): [],
    }


def test_branches_that_read_alike_are_one_permission() -> None:
    template = _conditional({"Fn::If": ["IsProd", ACCOUNT, ACCOUNT]})
    assert list(_blocking(template)) == [()]


def test_show_prints_the_condition_of_each_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _conditional({"Fn::If": ["IsPublic", "*", ACCOUNT]})
    file = _write(tmp_path / "t.json", json.dumps(template))
    assert main(["show", str(file)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if "(if " in line]
    assert [(row[1:4], row[-2:]) for row in rows] == [
        (["Grant", "(if", "IsPublic)"], ["LP301", "unsafe"]),
        (["Grant", "(if", "not"], ["-", "ok"]),
    ]


# --- cloud assemblies with Stages ---------------------------------------------------------


def test_show_lists_the_stacks_of_every_stage_of_a_cloud_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    for stage_name in ("Dev", "Prod"):
        stage = cdk.Stage(app, stage_name, env=cdk.Environment(account=ACCOUNT, region=REGION))
        stack = cdk.Stack(stage, "Api")
        CrossAccountPermission(stack, "Partner", function="fn", principal="223456789012")
        nested = cdk.NestedStack(stack, "Nested")
        aws_lambda.CfnPermission(
            nested,
            "Raw",
            action="lambda:InvokeFunction",
            function_name="fn",
            principal="323456789012",
        )  # raw, and nothing the guard refuses
    app.synth()
    files = template_files(tmp_path / "cdk.out")
    assert [f.name for f in files if "/" in f.name] == ["Dev/Api", "Prod/Api"]
    assert len(files) == 4  # and each Stage's nested stack
    assert main(["show", str(tmp_path / "cdk.out")]) == 0
    out = capsys.readouterr().out
    assert "Dev/Api: 1 permission(s)" in out
    assert "Prod/Api: 1 permission(s)" in out
    assert "4 permission(s) on 4 function(s), versions or aliases in 4 template(s)" in out
