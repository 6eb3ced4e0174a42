"""Service grants: each works with a CDK resource, an ARN string and a token, and refuses a
source that does not fit, naming the parameter, the value and the rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway, aws_apigatewayv2, aws_events, aws_logs, aws_sns
from syrupy.assertion import SnapshotAssertion

from constructs_lambdaperm import (
    AlexaSkillPermission,
    ApiGatewayInvokePermission,
    EventBridgeInvokePermission,
    LogsSubscriptionPermission,
    PermissionValidationError,
    ServiceInvokePermission,
    SnsInvokePermission,
)

PermissionsOf = Callable[[cdk.Stack], dict[str, Any]]
FN = "arn:aws:lambda:us-east-1:111111111111:function:worker"
SKILL = "amzn1.ask.skill.12345678-1234-1234-1234-123456789012"
TOPIC = "arn:aws:sns:us-east-1:222222222222:alerts"
RULE = "arn:aws:events:us-east-1:111111111111:rule/orders-bus/new-order"
LOG_GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:/app/orders:*"


def _rest_api(stack: cdk.Stack) -> aws_apigateway.RestApi:
    api = aws_apigateway.RestApi(stack, "Api")
    api.root.add_method("GET", aws_apigateway.MockIntegration())
    return api


SHAPES: dict[str, Callable[[cdk.Stack], object]] = {
    "service_iot_rule": lambda s: ServiceInvokePermission(
        s,
        "FromIot",
        function=FN,
        principal="iot.amazonaws.com",
        source_arn="arn:aws:iot:us-east-1:111111111111:rule/telemetry",
    ),
    "service_regional_logs_account_only": lambda s: ServiceInvokePermission(
        s,
        "FromLogs",
        function=FN,
        principal="logs.us-east-1.amazonaws.com",
        source_account="111111111111",
    ),
    "sns_topic_in_stack": lambda s: SnsInvokePermission(
        s, "FromTopic", function=FN, topic=aws_sns.Topic(s, "Alerts")
    ),
    "sns_topic_arn_other_account": lambda s: SnsInvokePermission(
        s, "FromTopic", function=FN, topic_arn=TOPIC
    ),
    "events_rule_default_bus": lambda s: EventBridgeInvokePermission(
        s,
        "Nightly",
        function=FN,
        rule=aws_events.Rule(
            s, "NightlyRule", schedule=aws_events.Schedule.cron(hour="3", minute="0")
        ),
    ),
    "events_rule_arn_custom_bus": lambda s: EventBridgeInvokePermission(
        s, "NewOrder", function=FN, rule_arn=RULE
    ),
    "apigateway_rest_api_all_routes": lambda s: ApiGatewayInvokePermission(
        s, "FromApi", function=FN, api=_rest_api(s)
    ),
    "apigateway_http_api_one_route": lambda s: ApiGatewayInvokePermission(
        s,
        "GetOrders",
        function=FN,
        api=aws_apigatewayv2.HttpApi(s, "HttpApi"),
        stage="prod",
        method="GET",
        path="/orders/*",
    ),
    "apigateway_websocket_connect": lambda s: ApiGatewayInvokePermission(
        s,
        "OnConnect",
        function=FN,
        api=aws_apigatewayv2.WebSocketApi(s, "Ws"),
        stage="live",
        method="$connect",
        path="",
    ),
    "apigateway_api_id": lambda s: ApiGatewayInvokePermission(
        s, "FromApi", function=FN, api_id="a1b2c3d4e5"
    ),
    "logs_log_group_in_stack": lambda s: LogsSubscriptionPermission(
        s, "FromLogs", function=FN, log_group=aws_logs.LogGroup(s, "AppLogs")
    ),
    "logs_log_group_arn": lambda s: LogsSubscriptionPermission(
        s, "FromLogs", function=FN, log_group_arn=LOG_GROUP
    ),
    "alexa_skills_kit": lambda s: AlexaSkillPermission(s, "Skill", function=FN, skill_id=SKILL),
    "alexa_smart_home": lambda s: AlexaSkillPermission(
        s, "Skill", function=FN, skill_id=SKILL, smart_home=True
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_synthesized_permissions(
    shape: str, stack: cdk.Stack, permissions_of: PermissionsOf, snapshot_json: SnapshotAssertion
) -> None:
    SHAPES[shape](stack)
    assert permissions_of(stack) == snapshot_json


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "rule", "words"),
    [
        (
            lambda s: ServiceInvokePermission(s, "X", function=FN, principal="223456789012"),
            "LP204",
            "principal (Principal)",
        ),
        (
            lambda s: ServiceInvokePermission(
                s, "X", function=FN, principal="sns.amazonaws.com", source_arn=LOG_GROUP
            ),
            "LP114",
            "'logs' resource",
        ),
        (
            lambda s: ServiceInvokePermission(
                s,
                "X",
                function=FN,
                principal="sns.amazonaws.com",
                source_arn=TOPIC,
                source_account="111111111111",
            ),
            "LP115",
            "source_account (SourceAccount)",
        ),
        (
            lambda s: SnsInvokePermission(s, "X", function=FN, topic_arn=LOG_GROUP),
            "LP202",
            "topic / topic_arn (SourceArn)",
        ),
        (
            lambda s: EventBridgeInvokePermission(s, "X", function=FN, rule_arn=TOPIC),
            "LP202",
            "not an EventBridge rule ARN",
        ),
        (
            lambda s: LogsSubscriptionPermission(s, "X", function=FN, log_group_arn=RULE),
            "LP202",
            "log group ARN",
        ),
        (
            lambda s: ApiGatewayInvokePermission(s, "X", function=FN, api_id="a1b2", path="orders"),
            "LP202",
            "path 'orders' is not a resource path: empty, or starting with '/'",
        ),
        (
            lambda s: AlexaSkillPermission(s, "X", function=FN, skill_id="amzn1.ask.skill.nope"),
            "LP202",
            "skill_id (EventSourceToken)",
        ),
        (
            lambda s: AlexaSkillPermission(s, "X", function=FN, skill_id="has space"),
            "LP108",
            "'has space'",
        ),
        (
            lambda s: SnsInvokePermission(s, "X", function=FN),
            "LP201",
            "topic or topic_arn",
        ),
    ],
)
def test_refusals_name_parameter_value_and_rule(
    stack: cdk.Stack, build: Callable[[cdk.Stack], object], rule: str, words: str
) -> None:
    with pytest.raises(PermissionValidationError) as raised:
        build(stack)
    message = str(raised.value)
    assert f"LambdaPerm::{rule}" in message
    assert words in message
    assert "'Stack/X'" in message


def test_service_principal_without_source_is_unsafe(stack: cdk.Stack) -> None:
    ServiceInvokePermission(stack, "Open", function=FN, principal="sns.amazonaws.com")
    with pytest.raises(RuntimeError, match="LambdaPerm::LP302"):
        cdk.assertions.Template.from_stack(stack)


def test_api_open_to_any_api_is_unsafe(stack: cdk.Stack) -> None:
    ApiGatewayInvokePermission(stack, "AnyApi", function=FN, api_id="*")
    with pytest.raises(RuntimeError, match="LambdaPerm::LP308"):
        cdk.assertions.Template.from_stack(stack)


# --- deploy-time values ------------------------------------------------------------------------


def test_imported_and_cross_stack_sources_are_accepted(
    app: cdk.App, permissions_of: PermissionsOf
) -> None:
    env = cdk.Environment(account="111111111111", region="us-east-1")
    producer = cdk.Stack(app, "Producer", env=env)
    consumer = cdk.Stack(app, "Consumer", env=env)
    topic = aws_sns.Topic(producer, "Alerts")
    rule = aws_events.Rule(
        producer, "Rule", schedule=aws_events.Schedule.rate(cdk.Duration.hours(1))
    )
    SnsInvokePermission(consumer, "FromTopic", function=FN, topic=topic)
    EventBridgeInvokePermission(consumer, "FromRule", function=FN, rule=rule)
    imported_topic = aws_sns.Topic.from_topic_arn(consumer, "Imported", TOPIC)
    SnsInvokePermission(consumer, "FromImported", function=FN, topic=imported_topic)
    imported_group = aws_logs.LogGroup.from_log_group_name(consumer, "Group", "/app/orders")
    LogsSubscriptionPermission(consumer, "FromGroup", function=FN, log_group=imported_group)
    resources = permissions_of(consumer)
    assert len(resources) == 4
    accounts = {r["Properties"].get("SourceAccount") for r in resources.values()}
    assert accounts == {"111111111111", "222222222222"}


@pytest.mark.parametrize(
    "build",
    [
        lambda s, v: SnsInvokePermission(s, "X", function=FN, topic_arn=v),
        lambda s, v: EventBridgeInvokePermission(s, "X", function=FN, rule_arn=v),
        lambda s, v: LogsSubscriptionPermission(s, "X", function=FN, log_group_arn=v),
        lambda s, v: ApiGatewayInvokePermission(s, "X", function=FN, api_id=v, stage=v),
        lambda s, v: AlexaSkillPermission(s, "X", function=FN, skill_id=v),
        lambda s, v: ServiceInvokePermission(
            s, "X", function=FN, principal=v, source_arn=v, source_account=v
        ),
        lambda s, v: SnsInvokePermission(s, "X", function=v, topic_arn=TOPIC, qualifier=v),
    ],
    ids=["sns", "events", "logs", "apigateway", "alexa", "service", "function-and-qualifier"],
)
def test_parameter_values_are_accepted_and_reported(
    agnostic_stack: cdk.Stack,
    permissions_of: PermissionsOf,
    build: Callable[[cdk.Stack, str], Any],
) -> None:
    value = cdk.CfnParameter(agnostic_stack, "Value").value_as_string
    grant = build(agnostic_stack, value)
    assert len(permissions_of(agnostic_stack)) == 1
    assert [f for f in grant.findings if f.evaluated and f.blocking] == []
    assert any(not f.evaluated for f in grant.findings), "say what could not be checked"
