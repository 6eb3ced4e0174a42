"""Who can invoke: the evaluator follows IAM's rules for principals, actions and conditions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lambdaperm._core import bounds
from constructs_lambdaperm._core.model import Permission
from constructs_lambdaperm._policy import render as _render
from constructs_lambdaperm._policy.evaluate import Request, arn_like, evaluate, parse_caller

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:fn"
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
BUCKET = "arn:aws:s3:::uploads"


def _statement(sid: str = "s", **fields: Any) -> dict[str, Any]:
    fields.setdefault("principal", "*")
    return _render.statement(Permission(function_name=FUNCTION, **fields), sid=sid)


def _allowed(statements: list[dict[str, Any]], **request: Any) -> bool | None:
    return evaluate(statements, Request(**request)).allowed


# --- principals ------------------------------------------------------------------------------

ROLE_A = "arn:aws:iam::111111111111:role/app"
USER_A = "arn:aws:iam::111111111111:user/ops"
SESSION_A = "arn:aws:sts::111111111111:assumed-role/app/session-1"
ROLE_B = "arn:aws:iam::222222222222:role/app"


@pytest.mark.parametrize(
    ("granted", "caller", "allowed"),
    [
        ("*", "anonymous", True),
        ("*", "s3.amazonaws.com", True),
        ("*", ROLE_B, True),
        (ACCOUNT_A, ACCOUNT_A, True),
        (ACCOUNT_A, ROLE_A, True),
        (ACCOUNT_A, USER_A, True),
        (ACCOUNT_A, SESSION_A, True),
        (ACCOUNT_A, f"arn:aws:iam::{ACCOUNT_A}:root", True),
        (ACCOUNT_A, ROLE_B, False),
        (ACCOUNT_A, ACCOUNT_B, False),
        (ACCOUNT_A, "anonymous", False),
        (ACCOUNT_A, "s3.amazonaws.com", False),
        (ROLE_A, ROLE_A, True),
        (ROLE_A, SESSION_A, True),
        (ROLE_A, USER_A, False),
        (ROLE_A, ACCOUNT_A, False),
        (ROLE_A, ROLE_B, False),
        ("s3.amazonaws.com", "s3.amazonaws.com", True),
        ("s3.amazonaws.com", "sns.amazonaws.com", False),
        ("s3.amazonaws.com", ROLE_A, False),
        ("s3.amazonaws.com", "anonymous", False),
        ("alexa-appkit.amazon.com", "alexa-appkit.amazon.com", True),
    ],
)
def test_principal_matching(granted: str, caller: str, allowed: bool) -> None:
    assert _allowed([_statement(principal=granted)], principal=caller) is allowed


def test_an_account_root_in_one_partition_does_not_match_another() -> None:
    statement = _render.statement(
        Permission(
            function_name="arn:aws-cn:lambda:cn-north-1:111111111111:function:fn",
            principal=ACCOUNT_A,
        ),
        sid="s",
    )
    assert _allowed([statement], principal="arn:aws-cn:iam::111111111111:role/x") is True
    assert _allowed([statement], principal=ROLE_A) is False


def test_an_unknown_principal_form_is_refused_with_the_accepted_forms() -> None:
    with pytest.raises(ValueError, match="12-digit account ID"):
        parse_caller("someone")


# --- actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "asked", "allowed"),
    [
        ("lambda:InvokeFunction", "lambda:InvokeFunction", True),
        ("lambda:InvokeFunction", "lambda:invokefunction", True),
        ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", False),
        ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction", False),
        ("lambda:GetFunction", "lambda:InvokeFunction", False),
        ("lambda:*", "lambda:InvokeFunction", True),
        ("lambda:*", "lambda:GetFunction", True),
        ("*", "lambda:InvokeFunctionUrl", True),
    ],
)
def test_action_matching(granted: str, asked: str, allowed: bool) -> None:
    statement = _statement(principal=ROLE_A, action=granted)
    assert _allowed([statement], principal=ROLE_A, action=asked) is allowed


# --- conditions ------------------------------------------------------------------------------

S3: dict[str, Any] = {"principal": "s3.amazonaws.com"}

CONDITIONS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("source account matches", {"source_account": ACCOUNT_A}, {"source_account": ACCOUNT_A}, True),
    ("source account differs", {"source_account": ACCOUNT_A}, {"source_account": ACCOUNT_B}, False),
    ("source account missing", {"source_account": ACCOUNT_A}, {}, False),
    (
        "org matches",
        {"principal_org_id": "o-a1b2c3d4e5"},
        {"principal_org_id": "o-a1b2c3d4e5"},
        True,
    ),
    (
        "org is case-sensitive",
        {"principal_org_id": "o-a1b2c3d4e5"},
        {"principal_org_id": "O-A1B2C3D4E5"},
        False,
    ),
    ("org missing", {"principal_org_id": "o-a1b2c3d4e5"}, {}, False),
    (
        "token matches",
        {"event_source_token": "amzn1.ask.skill.1"},
        {"event_source_token": "amzn1.ask.skill.1"},
        True,
    ),
    (
        "token differs",
        {"event_source_token": "amzn1.ask.skill.1"},
        {"event_source_token": "amzn1.ask.skill.2"},
        False,
    ),
    (
        "url auth type matches",
        {"function_url_auth_type": "AWS_IAM"},
        {"function_url_auth_type": "AWS_IAM"},
        True,
    ),
    (
        "url auth type differs",
        {"function_url_auth_type": "AWS_IAM"},
        {"function_url_auth_type": "NONE"},
        False,
    ),
    ("url auth type missing", {"function_url_auth_type": "NONE"}, {}, False),
    ("via url", {"invoked_via_function_url": True}, {"via_function_url": True}, True),
    ("not via url", {"invoked_via_function_url": True}, {"via_function_url": False}, False),
    ("bucket matches", {"source_arn": BUCKET}, {"source_arn": BUCKET}, True),
    ("other bucket", {"source_arn": BUCKET}, {"source_arn": "arn:aws:s3:::uploads2"}, False),
    ("source arn missing", {"source_arn": BUCKET}, {}, False),
    (
        "wildcard route",
        {"source_arn": "arn:aws:execute-api:us-east-1:111111111111:api/*/*/*"},
        {"source_arn": "arn:aws:execute-api:us-east-1:111111111111:api/prod/GET/items/1"},
        True,
    ),
    (
        "wildcard account",
        {"source_arn": "arn:aws:sns:us-east-1:*:topic"},
        {"source_arn": "arn:aws:sns:us-east-1:222222222222:topic"},
        True,
    ),
    (
        "? matches one character",
        {"source_arn": "arn:aws:sns:us-east-?:111111111111:topic"},
        {"source_arn": "arn:aws:sns:us-east-2:111111111111:topic"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("granted", "context", "allowed"),
    [case[1:] for case in CONDITIONS],
    ids=[case[0] for case in CONDITIONS],
)
def test_condition_kinds_both_ways(
    granted: dict[str, Any], context: dict[str, Any], allowed: bool
) -> None:
    assert _allowed([_statement(**S3, **granted)], **S3, **context) is allowed


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", False),
        ("arn:aws:sns:*:111111111111:topic", "arn:aws:sns:us-east-1:111111111111:topic", True),
        # A '*' in one of the first five parts does not cross a colon...
        ("arn:aws:sns:*:topic", "arn:aws:sns:us-east-1:111111111111:topic", False),
        ("arn:aws:*", "arn:aws:sns:us-east-1:111111111111:topic", False),
        # ...in the resource part it crosses colons and slashes.
        (
            "arn:aws:logs:us-east-1:111111111111:*",
            "arn:aws:logs:us-east-1:111111111111:log-group:g:*",
            True,
        ),
        (
            "arn:aws:execute-api:us-east-1:111111111111:api/*",
            "arn:aws:execute-api:us-east-1:111111111111:api/prod/GET/a/b",
            True,
        ),
        ("arn:*:*:*:*:*", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::bucket", "not-an-arn", False),
    ],
)
def test_arn_like_is_segment_wise(pattern: str, value: str, matches: bool) -> None:
    assert arn_like(pattern, value) is matches


def test_every_condition_must_hold() -> None:
    statement = _statement(**S3, source_arn=BUCKET, source_account=ACCOUNT_A)
    assert _allowed([statement], **S3, source_arn=BUCKET, source_account=ACCOUNT_A) is True
    assert _allowed([statement], **S3, source_arn=BUCKET, source_account=ACCOUNT_B) is False
    assert _allowed([statement], **S3, source_arn=BUCKET) is False


def test_any_statement_that_applies_allows() -> None:
    statements = [_statement(principal=ROLE_A), _statement(principal=ACCOUNT_B)]
    assert _allowed(statements, principal=ROLE_B) is True
    assert _allowed(statements, principal=USER_A) is False


def test_a_deny_that_applies_wins() -> None:
    deny = {**_statement(principal=ACCOUNT_B), "Effect": "Deny"}
    assert _allowed([_statement(), deny], principal=ROLE_B) is False
    assert _allowed([_statement(), deny], principal=ROLE_A) is True


def test_verdicts_say_why() -> None:
    statement = _statement(**S3, source_arn=BUCKET, source_account=ACCOUNT_A)
    (verdict,) = evaluate(
        [statement], Request(**S3, source_arn=BUCKET, source_account=ACCOUNT_B)
    ).verdicts
    assert verdict.applies is False
    assert "AWS:SourceAccount" in verdict.reason
    assert ACCOUNT_B in verdict.reason


# --- deploy-time values ----------------------------------------------------------------------

ACCOUNT_MARKER = bounds.bounded_marker("Stack.AWS.AccountId", 12)
TOPIC_MARKER = bounds.bounded_marker("Stack.Topic.TopicName", 256)


def test_a_deploy_time_value_leaves_the_answer_open_when_it_could_match() -> None:
    statement = _statement(
        principal="sns.amazonaws.com",
        source_arn=f"arn:aws:sns:us-east-1:111111111111:{TOPIC_MARKER}",
    )
    request = {"principal": "sns.amazonaws.com"}
    assert (
        _allowed([statement], **request, source_arn="arn:aws:sns:us-east-1:111111111111:t") is None
    )
    # The known parts already rule it out:
    assert (
        _allowed([statement], **request, source_arn="arn:aws:sns:eu-west-1:111111111111:t") is False
    )
    assert _allowed([statement], **request) is False


def test_a_deploy_time_account_principal() -> None:
    statement = _statement(principal=ACCOUNT_MARKER)
    assert _allowed([statement], principal=ROLE_B) is None
    assert _allowed([statement], principal="s3.amazonaws.com") is False
    assert _allowed([statement, _statement(principal=ROLE_B)], principal=ROLE_B) is True


# --- properties ------------------------------------------------------------------------------

ACCOUNTS = st.sampled_from([ACCOUNT_A, ACCOUNT_B])
CALLERS = st.sampled_from(
    [
        "anonymous",
        ACCOUNT_A,
        ROLE_A,
        USER_A,
        SESSION_A,
        ROLE_B,
        "s3.amazonaws.com",
        "sns.amazonaws.com",
    ]
)
GRANTEES = st.sampled_from(["*", ACCOUNT_A, ACCOUNT_B, ROLE_A, "s3.amazonaws.com"])
ARNS = st.sampled_from(
    [
        BUCKET,
        "arn:aws:s3:::other",
        "arn:aws:sns:us-east-1:111111111111:t",
        "arn:aws:sns:us-east-1:*:t",
        "arn:aws:s3:::*",
    ]
)
ORGS = st.sampled_from(["o-a1b2c3d4e5", "o-zzzzzzzzzz"])
ACTIONS = st.sampled_from(["lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*"])

CONDITION_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "source_arn": ARNS,
        "source_account": ACCOUNTS,
        "principal_org_id": ORGS,
        "function_url_auth_type": st.sampled_from(["AWS_IAM", "NONE"]),
        "invoked_via_function_url": st.just(True),
        "event_source_token": st.sampled_from(["t1", "t2"]),
    },
)
PERMISSIONS = st.builds(
    lambda principal, action, conditions: Permission(
        function_name=FUNCTION, principal=principal, action=action, **conditions
    ),
    GRANTEES,
    ACTIONS,
    CONDITION_FIELDS,
)
REQUESTS = st.builds(
    Request,
    action=st.sampled_from(["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]),
    principal=CALLERS,
    source_arn=st.none()
    | st.sampled_from(
        [BUCKET, "arn:aws:sns:us-east-1:111111111111:t", "arn:aws:sns:us-east-1:222222222222:t"]
    ),
    source_account=st.none() | ACCOUNTS,
    principal_org_id=st.none() | ORGS,
    via_function_url=st.booleans(),
    function_url_auth_type=st.none() | st.sampled_from(["AWS_IAM", "NONE"]),
    event_source_token=st.none() | st.sampled_from(["t1", "t2"]),
)


def _render_all(permissions: list[Permission]) -> list[dict[str, Any]]:
    return [_render.statement(p, sid=f"s{i}") for i, p in enumerate(permissions)]


@settings(max_examples=150, deadline=None)
@given(
    permissions=st.lists(PERMISSIONS, min_size=1, max_size=4),
    request=REQUESTS,
    index=st.integers(min_value=0),
    extra=CONDITION_FIELDS,
)
def test_adding_a_condition_never_widens_who_may_invoke(
    permissions: list[Permission], request: Request, index: int, extra: dict[str, Any]
) -> None:
    before = _allowed_request(_render_all(permissions), request)
    target = permissions[index % len(permissions)]
    added = {key: value for key, value in extra.items() if getattr(target, key) is None}
    narrowed = list(permissions)
    narrowed[index % len(permissions)] = replace(target, **added)
    after = _allowed_request(_render_all(narrowed), request)
    assert not (after and not before)


@settings(max_examples=150, deadline=None)
@given(
    permissions=st.lists(PERMISSIONS, min_size=1, max_size=4),
    request=REQUESTS,
    index=st.integers(min_value=0),
)
def test_removing_a_statement_never_widens_who_may_invoke(
    permissions: list[Permission], request: Request, index: int
) -> None:
    before = _allowed_request(_render_all(permissions), request)
    fewer = list(permissions)
    del fewer[index % len(fewer)]
    after = _allowed_request(_render_all(fewer), request)
    assert not (after and not before)


@settings(max_examples=100, deadline=None)
@given(request=REQUESTS)
def test_a_public_statement_without_conditions_allows_everyone(request: Request) -> None:
    public = _render.statement(
        Permission(function_name=FUNCTION, principal="*", action="*"), sid="public"
    )
    assert _allowed_request([public], request) is True


def _allowed_request(statements: list[dict[str, Any]], request: Request) -> bool | None:
    return evaluate(statements, request).allowed


def test_callers_are_read_with_aws_regex_semantics() -> None:
    # Fullwidth digits are digits to Python's re, not to AWS: no account, no role.
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in "123456789012")
    for principal in (fullwidth, f"arn:aws:iam::{fullwidth}:role/caller"):
        with pytest.raises(ValueError, match="not one this evaluator knows"):
            parse_caller(principal)
