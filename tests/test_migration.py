"""The migration example: every state lets in exactly the same callers, request by request.

Between the deployments of docs/RESOURCE_POLICY.md the function's policy is either the
permissions' statements or the document, so a migration without a failing invocation needs
both to allow the same requests: the evaluator says so for every route, the bucket, the partner
and callers that must stay out.
"""

from __future__ import annotations

import importlib.util
import itertools
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest

from conftest import ROOT
from constructs_lambdaperm import ResourcePolicy, resource_policies


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "migrate_to_resource_policy", ROOT / "examples" / "migrate_to_resource_policy.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _example()


@pytest.fixture(scope="module")
def states() -> dict[str, ResourcePolicy]:
    found = {}
    for step in EXAMPLE.STEPS:
        (policy,) = resource_policies(EXAMPLE.build(cdk.App(), step))
        found[step] = policy
    return found


def _requests() -> list[dict[str, Any]]:
    account, partner = EXAMPLE.ACCOUNT, EXAMPLE.PARTNER_ACCOUNT
    api = f"arn:aws:execute-api:us-east-1:{account}:{EXAMPLE.API_ID}"
    requests: list[dict[str, Any]] = []
    for method, path, stage, source_account in itertools.product(
        ("GET", "POST", "DELETE", "PUT"),
        ("/orders", "/orders/42", "/reports", "/reports/q3", "/admin"),
        ("prod", "test"),
        (account, partner),
    ):
        requests.append(
            {
                "principal": "apigateway.amazonaws.com",
                "source_arn": f"{api}/{stage}/{method}{path}",
                "source_account": source_account,
            }
        )
    for principal in (partner, account, "323456789012", "anonymous", "sns.amazonaws.com"):
        requests.append({"principal": principal})
        requests.append({"principal": principal, "action": "lambda:GetFunction"})
    return requests


def test_the_states_allow_exactly_the_same_requests(states: dict[str, ResourcePolicy]) -> None:
    requests = _requests()
    answers = {step: [p.evaluate(**r).allowed for r in requests] for step, p in states.items()}
    assert answers["after"] == answers["before"] == answers["retain"]
    # Decided answers (the bucket's name is known only at deploy time: its requests are asked
    # below): the six routes, called in prod for the app's account, and the partner.
    assert None not in answers["after"]
    assert answers["after"].count(True) == 6 + 1


def test_the_bucket_is_let_in_by_both_or_neither(states: dict[str, ResourcePolicy]) -> None:
    bucket = next(
        s.statement["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in states["before"].statements
        if s.statement["Principal"] == {"Service": "s3.amazonaws.com"}
    )
    # The name is a deploy-time value: both states leave it undecided alike, and both refuse
    # another account's bucket.
    for account in (EXAMPLE.ACCOUNT, EXAMPLE.PARTNER_ACCOUNT):
        request = {
            "principal": "s3.amazonaws.com",
            "source_arn": "arn:aws:s3:::imports",
            "source_account": account,
        }
        assert (
            states["after"].evaluate(**request).allowed
            == states["before"].evaluate(**request).allowed
        )
    assert "Token" in bucket


def test_the_document_is_smaller_and_says_by_how_much(states: dict[str, ResourcePolicy]) -> None:
    before, after = states["before"], states["after"]
    assert after.from_document
    assert len(after.statements) == 3  # the routes, the bucket, the partner
    assert after.permissions_size == before.size
    assert after.size < before.size
