"""Consolidated documents: merging never changes who may invoke, and reading them gives the
permissions back. Pure Python: the statements, the evaluator and hypothesis."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lambdaperm._core import bounds
from constructs_lambdaperm._core.model import Permission
from constructs_lambdaperm._policy import documents
from constructs_lambdaperm._policy.evaluate import Request, evaluate

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:api"
API = "arn:aws:execute-api:us-east-1:111111111111:abcde12345"
ACCOUNT = "111111111111"
PARTNER = "223456789012"


def statement(**fields: Any) -> dict[str, Any]:
    fields.setdefault("principal", "apigateway.amazonaws.com")
    return documents.document_statement(
        Permission(function_name=FUNCTION, **fields), partition="aws"
    )


def consolidated(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = documents.consolidate(
        [(f"Stack/Grant{i}", s) for i, s in enumerate(statements)], documents.readable_sid
    )
    return [m.statement for m in merged]


def allowed(statements: list[dict[str, Any]], request: Request) -> bool | None:
    return evaluate(statements, request).allowed


# --- consolidation, by example ------------------------------------------------------------------


def test_sixty_api_routes_become_one_statement_with_sixty_source_arns() -> None:
    routes = [
        statement(source_arn=f"{API}/prod/GET/orders/{i:02d}", source_account=ACCOUNT)
        for i in range(60)
    ]
    (merged,) = consolidated(routes)
    arns = merged["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert arns == sorted(f"{API}/prod/GET/orders/{i:02d}" for i in range(60))
    assert merged["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    assert list(merged) == ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
    before = bounds.size(documents.document(routes))
    after = bounds.size(documents.document([merged]))
    assert after < before / 3


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Two values differ: merging would allow the crossed combinations too.
        (
            {"source_arn": f"{API}/prod/GET/a", "source_account": ACCOUNT},
            {"source_arn": f"{API}/prod/GET/b", "source_account": PARTNER},
        ),
        # One has a condition the other lacks.
        (
            {"source_arn": f"{API}/prod/GET/a"},
            {"source_arn": f"{API}/prod/GET/b", "source_account": ACCOUNT},
        ),
        # Another principal and another action.
        (
            {"principal": PARTNER, "action": "lambda:GetFunction"},
            {"principal": ACCOUNT, "action": "lambda:InvokeFunction"},
        ),
        # The function URL grant and its companion.
        (
            {
                "principal": PARTNER,
                "action": "lambda:InvokeFunctionUrl",
                "function_url_auth_type": "AWS_IAM",
            },
            {"principal": PARTNER, "invoked_via_function_url": True},
        ),
    ],
)
def test_statements_that_differ_in_more_than_one_element_stay_apart(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert len(consolidated([statement(**first), statement(**second)])) == 2


def test_principals_of_one_kind_and_actions_merge_too() -> None:
    merged = consolidated(
        [
            statement(principal=PARTNER),
            statement(principal="323456789012"),
            statement(principal=PARTNER, action="lambda:GetFunction"),
            statement(principal="323456789012", action="lambda:GetFunction"),
        ]
    )
    assert [m["Principal"] for m in merged] == [
        {"AWS": [f"arn:aws:iam::{PARTNER}:root", "arn:aws:iam::323456789012:root"]}
    ]
    assert merged[0]["Action"] == ["lambda:GetFunction", "lambda:InvokeFunction"]


def test_a_repeated_grant_is_written_once() -> None:
    same = statement(source_arn=f"{API}/prod/GET/a")
    assert len(consolidated([same, dict(same)])) == 1


def test_a_deploy_time_value_is_listed_as_its_own_value_never_merged_away() -> None:
    token = "${Token[TOKEN.42]}"
    merged = consolidated([statement(source_arn=token), statement(source_arn=f"{API}/prod/GET/a")])
    assert merged[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == [token, f"{API}/prod/GET/a"]


def test_sids_are_readable_stable_and_do_not_depend_on_the_order_of_grants() -> None:
    routes = [statement(source_arn=f"{API}/prod/GET/{i}") for i in range(5)]
    keys = [f"Api/Route{i}/Resource" for i in range(5)]
    first = documents.consolidate(list(zip(keys, routes, strict=True)), documents.readable_sid)
    shuffled = list(zip(keys, routes, strict=True))
    random.Random(7).shuffle(shuffled)
    second = documents.consolidate(shuffled, documents.readable_sid)
    assert [m.statement for m in first] == [m.statement for m in second]
    sid = first[0].statement["Sid"]
    assert sid.startswith("Route")
    assert documents.SID_PATTERN.fullmatch(sid)


def test_a_sid_names_the_grants_it_holds() -> None:
    assert documents.readable_sid(["Api/Orders/Resource"]) != documents.readable_sid(
        ["Api/Orders/Resource", "Api/Items/Resource"]
    )
    assert documents.readable_sid(["Api/Orders/Resource"]).startswith("Orders")


# --- reading a statement back -----------------------------------------------------------------


def test_a_consolidated_statement_reads_back_as_the_permissions_it_holds() -> None:
    grants = [
        Permission(
            function_name=FUNCTION,
            principal="apigateway.amazonaws.com",
            source_arn=f"{API}/prod/GET/{i}",
            source_account=ACCOUNT,
        )
        for i in range(3)
    ]
    (merged,) = consolidated([documents.document_statement(p, partition="aws") for p in grants])
    reading = documents.read_statement(merged, FUNCTION, None)
    assert reading.effect == "Allow"
    assert reading.unexpressed == ()
    assert sorted(p.source_arn or "" for p in reading.permissions) == sorted(
        p.source_arn or "" for p in grants
    )


@pytest.mark.parametrize(
    ("extra", "element", "rules"),
    [
        (
            {"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
            "condition IpAddress aws:SourceIp",
            documents.WIDTH_RULES,
        ),
        (
            {"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
            "condition StringNotEquals aws:PrincipalOrgID",
            documents.WIDTH_RULES,
        ),
        (
            {"Action": "lambda:Invoke*"},
            "the action pattern 'lambda:Invoke*'",
            documents.ACTION_RULES,
        ),
        ({"Resource": f"{FUNCTION}:live"}, f"Resource '{FUNCTION}:live'", documents.WIDTH_RULES),
    ],
)
def test_what_addpermission_cannot_express_is_named_with_the_rules_it_affects(
    extra: dict[str, Any], element: str, rules: frozenset[str]
) -> None:
    written = {**statement(principal="*"), **extra}
    reading = documents.read_statement(written, FUNCTION, None)
    assert [(u.element, u.rules) for u in reading.unexpressed] == [(element, rules)]
    assert len(reading.permissions) == 1


@pytest.mark.parametrize(
    "written",
    [
        {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
        },
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "NotAction": "lambda:GetFunction",
            "Resource": FUNCTION,
        },
    ],
)
def test_a_statement_no_permission_expresses_gives_none_and_says_so(
    written: dict[str, Any],
) -> None:
    reading = documents.read_statement(written, FUNCTION, None)
    assert reading.permissions == ()
    assert any(u.rules is None for u in reading.unexpressed)


def test_a_deny_statement_grants_nothing() -> None:
    deny = {**statement(principal="*"), "Effect": "Deny"}
    assert documents.read_statement(deny, FUNCTION, None).permissions == ()


# --- properties: consolidation never changes who may invoke -------------------------------------

ACCOUNTS = st.sampled_from([ACCOUNT, PARTNER, "323456789012"])
ARNS = st.sampled_from(
    [
        f"{API}/prod/GET/a",
        f"{API}/prod/GET/b",
        f"{API}/*/*/*",
        "arn:aws:s3:::uploads",
        "arn:aws:sns:us-east-1:111111111111:t",
        "${Token[Stack.Topic.TopicName;max=256]}",
    ]
)
ORGS = st.sampled_from(["o-a1b2c3d4e5", "o-f6g7h8i9j0"])
PRINCIPALS = st.sampled_from(
    [
        "*",
        ACCOUNT,
        PARTNER,
        "arn:aws:iam::223456789012:role/app",
        "s3.amazonaws.com",
        "apigateway.amazonaws.com",
        "sns.amazonaws.com",
    ]
)
ACTIONS = st.sampled_from(
    ["lambda:InvokeFunction", "lambda:GetFunction", "lambda:InvokeFunctionUrl", "lambda:*"]
)
PERMISSIONS = st.builds(
    Permission,
    function_name=st.just(FUNCTION),
    principal=PRINCIPALS,
    action=ACTIONS,
    source_arn=st.none() | ARNS,
    source_account=st.none() | ACCOUNTS,
    principal_org_id=st.none() | ORGS,
    event_source_token=st.none() | st.just("amzn1.ask.skill.1"),
    function_url_auth_type=st.none() | st.sampled_from(["AWS_IAM", "NONE"]),
    invoked_via_function_url=st.none() | st.just(True),
)
# Grant sets that merge a lot: a few shapes, many values.
SIMILAR = st.builds(
    Permission,
    function_name=st.just(FUNCTION),
    principal=st.sampled_from(["apigateway.amazonaws.com", PARTNER, "323456789012"]),
    action=st.sampled_from(["lambda:InvokeFunction", "lambda:GetFunction"]),
    source_arn=st.none() | ARNS,
    source_account=st.none() | st.just(ACCOUNT),
)
REQUESTS = st.builds(
    Request,
    action=ACTIONS,
    principal=st.sampled_from(
        [
            "anonymous",
            ACCOUNT,
            PARTNER,
            "arn:aws:iam::223456789012:role/app",
            "arn:aws:iam::223456789012:role/other",
            "s3.amazonaws.com",
            "apigateway.amazonaws.com",
            "sns.amazonaws.com",
        ]
    ),
    source_arn=st.none()
    | st.sampled_from(
        [
            f"{API}/prod/GET/a",
            f"{API}/dev/POST/b",
            "arn:aws:s3:::uploads",
            "arn:aws:sns:us-east-1:111111111111:t",
        ]
    ),
    source_account=st.none() | ACCOUNTS,
    principal_org_id=st.none() | ORGS,
    via_function_url=st.booleans(),
    function_url_auth_type=st.none() | st.sampled_from(["AWS_IAM", "NONE"]),
    event_source_token=st.none() | st.just("amzn1.ask.skill.1"),
)


def _rendered(permissions: list[Permission]) -> list[dict[str, Any]]:
    return [documents.document_statement(p, partition="aws") for p in permissions]


@settings(max_examples=200, deadline=None)
@given(
    permissions=st.lists(PERMISSIONS | SIMILAR, min_size=1, max_size=12),
    requests=st.lists(REQUESTS, min_size=20, max_size=20),
)
def test_consolidating_gives_the_same_answer_to_every_request(
    permissions: list[Permission], requests: list[Request]
) -> None:
    before = _rendered(permissions)
    after = consolidated(before)
    for request in requests:
        assert allowed(after, request) == allowed(before, request), request


@settings(max_examples=200, deadline=None)
@given(permissions=st.lists(PERMISSIONS | SIMILAR, min_size=1, max_size=12))
def test_a_consolidated_document_reads_back_as_exactly_its_grants(
    permissions: list[Permission],
) -> None:
    before = _rendered(permissions)
    merged = documents.consolidate(
        [(f"G{i}", s) for i, s in enumerate(before)], documents.readable_sid
    )
    read = [
        documents.document_statement(p, partition="aws")
        for m in merged
        for p in documents.read_statement(m.statement, FUNCTION, None).permissions
    ]
    canonical = {json.dumps(s, sort_keys=True) for s in before}
    assert sorted(json.dumps(s, sort_keys=True) for s in read) == sorted(canonical)
    # Each combination is traced to a grant that had exactly it.
    for m in merged:
        for single, key in zip(documents.combinations(m.statement), m.combinations, strict=True):
            original = before[int(key[1:])]
            assert json.dumps({k: v for k, v in single.items() if k != "Sid"}, sort_keys=True) == (
                json.dumps(original, sort_keys=True)
            )
    assert len(merged) <= len(canonical)
    # Smaller, never larger, than the same statements one per grant (with Sids alike).
    named = [{"Sid": documents.readable_sid([f"G{i}"]), **s} for i, s in enumerate(before)]
    assert bounds.size(documents.document([m.statement for m in merged])) <= bounds.size(
        documents.document(named)
    )


# --- the evaluator on what documents hold ---------------------------------------------------------


def test_a_key_given_several_values_holds_when_any_matches() -> None:
    written = statement(source_arn=f"{API}/prod/GET/a")
    written["Condition"]["ArnLike"]["AWS:SourceArn"] = [f"{API}/prod/GET/a", f"{API}/prod/GET/b"]
    for route, expected in (("a", True), ("b", True), ("c", False)):
        request = Request(
            principal="apigateway.amazonaws.com", source_arn=f"{API}/prod/GET/{route}"
        )
        assert allowed([written], request) is expected


ORG_ONLY = {
    "Sid": "OrgOnly",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "lambda:*",
    "Resource": FUNCTION,
    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-f6g7h8i9j0"]}},
}
PUBLIC = {
    "Sid": "Anyone",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "lambda:InvokeFunction",
    "Resource": FUNCTION,
}


@pytest.mark.parametrize(
    ("org", "expected"),
    [("o-a1b2c3d4e5", True), ("o-f6g7h8i9j0", True), ("o-zzzzzzzzzz", False), (None, False)],
)
def test_a_deny_with_a_negated_condition_only_narrows(org: str | None, expected: bool) -> None:
    # StringNotEquals with a list holds when the value matches none of them; an absent key
    # holds it too (IAM): a caller outside the organizations, or with none, is denied.
    request = Request(principal=PARTNER, principal_org_id=org)
    assert allowed([PUBLIC, ORG_ONLY], request) is expected
    assert allowed([ORG_ONLY], request) is False  # a Deny never allows


def test_null_and_other_condition_keys() -> None:
    only_from_a_source = {**PUBLIC, "Condition": {"Null": {"aws:SourceArn": "false"}}}
    assert allowed([only_from_a_source], Request(principal=PARTNER)) is False
    assert (
        allowed(
            [only_from_a_source],
            Request(principal="sns.amazonaws.com", source_arn="arn:aws:sns:us-east-1:1:t"),
        )
        is True
    )
    by_address = {**PUBLIC, "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    assert allowed([by_address], Request(principal=PARTNER)) is None  # IpAddress: not evaluated
    by_key = {**PUBLIC, "Condition": {"StringEquals": {"aws:PrincipalAccount": PARTNER}}}
    assert allowed(
        [by_key], Request(principal=PARTNER, other_keys={"aws:PrincipalAccount": PARTNER})
    )
    assert allowed([by_key], Request(principal=PARTNER)) is False
