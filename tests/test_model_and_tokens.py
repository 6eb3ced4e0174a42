"""The model's parsing, and checks of values with deploy-time parts."""

from __future__ import annotations

import pytest

from constructs_lambdaperm import Permission, PrincipalKind, check
from constructs_lambdaperm._core.model import parse_function_name, principal_kind
from constructs_lambdaperm._core.tokens import describe, is_unresolved, marker, split
from constructs_lambdaperm._rules.documented import resolve_function

TOKEN = marker("TOKEN.7")


@pytest.mark.parametrize(
    ("value", "function", "qualifier", "name"),
    [
        ("my-function", "my-function", None, "my-function"),
        ("my-function:v1", "my-function", "v1", "my-function"),
        (
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            None,
            "my-function",
        ),
        (
            "arn:aws:lambda:us-west-2:123456789012:function:my-function:live",
            "arn:aws:lambda:us-west-2:123456789012:function:my-function",
            "live",
            "my-function",
        ),
        (
            "123456789012:function:my-function:3",
            "123456789012:function:my-function",
            "3",
            "my-function",
        ),
    ],
)
def test_the_four_name_formats(value: str, function: str, qualifier: str | None, name: str) -> None:
    parsed = parse_function_name(value)
    assert (parsed.function, parsed.qualifier, parsed.name) == (function, qualifier, name)


@pytest.mark.parametrize(
    ("principal", "kind"),
    [
        ("*", PrincipalKind.ANYONE),
        ("123456789012", PrincipalKind.ACCOUNT),
        ("arn:aws:iam::123456789012:root", PrincipalKind.IAM),
        ("arn:aws-us-gov:iam::123456789012:role/x", PrincipalKind.IAM),
        ("s3.amazonaws.com", PrincipalKind.SERVICE),
        ("logs.eu-west-1.amazonaws.com", PrincipalKind.SERVICE),
        ("alexa-connectedhome.amazon.com", PrincipalKind.SERVICE),
        (TOKEN, PrincipalKind.UNKNOWN),
        ("example.com", PrincipalKind.INVALID),
    ],
)
def test_principal_kinds(principal: str, kind: PrincipalKind) -> None:
    assert principal_kind(principal) is kind


def test_token_markers_split_into_known_and_unknown_parts() -> None:
    value = "arn:" + TOKEN + ":s3:::" + marker("Ref:Bucket")
    assert is_unresolved(value)
    assert split(value) == ("arn:", None, ":s3:::", None)
    assert describe(value) == "arn:<deploy-time value>:s3:::<deploy-time value>"
    assert not is_unresolved("arn:aws:s3:::bucket")


def test_qualifier_in_the_name_and_apart_must_agree() -> None:
    assert resolve_function("fn:live", "live")[:2] == ("fn:live", "live")
    assert resolve_function("fn", "live")[:2] == ("fn:live", "live")
    _, _, findings = resolve_function("fn:live", "prod")
    assert [f.rule.id for f in findings] == ["LP112"]


def test_qualifier_after_a_deploy_time_name_is_appended() -> None:
    name, qualifier, findings = resolve_function(TOKEN, "live")
    assert (name, qualifier, findings) == (TOKEN + ":live", "live", [])


def ids(permission: Permission, *, evaluated: bool) -> set[str]:
    return {
        f.rule.id
        for f in check(permission)
        if f.evaluated is evaluated and (f.blocking or not evaluated)
    }


@pytest.mark.parametrize(
    "permission",
    [
        Permission(function_name=TOKEN, principal="223456789012"),
        Permission(function_name=TOKEN + ":live", qualifier="live", principal="223456789012"),
        Permission(function_name="fn", principal=TOKEN, source_account=TOKEN),
        Permission(
            function_name="fn",
            principal="sns.amazonaws.com",
            source_arn="arn:" + TOKEN + ":sns:" + TOKEN + ":" + TOKEN + ":topic",
        ),
        Permission(function_name="fn", principal="*", principal_org_id=TOKEN),
        Permission(
            function_name="fn",
            principal="s3.amazonaws.com",
            source_arn=TOKEN,
            source_account=TOKEN,
        ),
        Permission(function_name="fn", principal="223456789012", action=TOKEN),
    ],
)
def test_deploy_time_values_are_never_refused_for_being_deploy_time(
    permission: Permission,
) -> None:
    assert ids(permission, evaluated=True) == set()
    assert ids(permission, evaluated=False), "what could not be checked is reported"


@pytest.mark.parametrize(
    ("permission", "rule"),
    [
        # Known parts that no deploy-time value can repair.
        (
            Permission(
                function_name="fn", principal="223456789012", source_account="1234567890123" + TOKEN
            ),
            "LP106",
        ),
        (Permission(function_name="fn", principal="*", principal_org_id="O-" + TOKEN), "LP107"),
        (
            Permission(
                function_name="fn", principal="sns.amazonaws.com", source_arn="urn:" + TOKEN
            ),
            "LP105",
        ),
        (Permission(function_name=TOKEN + ":bad.qualifier", principal="223456789012"), "LP101"),
        (Permission(function_name=TOKEN + ":" + "q" * 140, principal="223456789012"), "LP101"),
    ],
)
def test_known_parts_of_deploy_time_values_are_checked(permission: Permission, rule: str) -> None:
    assert rule in ids(permission, evaluated=True)
