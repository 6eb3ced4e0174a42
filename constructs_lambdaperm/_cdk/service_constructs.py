"""Grants to AWS services, each limited to its source (the confused-deputy protection).

A service principal alone lets that service invoke the function on behalf of any account's
resource; each construct here ties the grant to one resource (SourceArn) and, when known, to its
owner (SourceAccount). ``ServiceInvokePermission`` is the general form for any service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeVar

import aws_cdk as cdk
from constructs import Construct

from .._core import tokens
from .._core.findings import Finding
from .._core.model import INVOKE, Permission, PrincipalKind, arn_field
from .._core.pattern import aws_regex
from .._rules import intent
from .function_input import FunctionInput
from .grant import COMMON_NAMES, Grant, jsii_types, owner_account

if TYPE_CHECKING:  # only in annotations: importing these five costs about 90 ms
    from aws_cdk import aws_apigateway, aws_apigatewayv2, aws_events, aws_logs, aws_sns

_ACCOUNT = aws_regex(r"\d{12}")

_SERVICE_NAMES: Mapping[str, str] = {
    **COMMON_NAMES,
    "SourceArn": "source_arn",
    "SourceAccount": "source_account",
    "EventSourceToken": "event_source_token",
}

ResourceT = TypeVar("ResourceT", bound=cdk.IResource)

RestOrHttpApi: TypeAlias = (
    "aws_apigateway.IRestApi | aws_apigatewayv2.IHttpApi | aws_apigatewayv2.IWebSocketApi"
)
"""An API Gateway REST, HTTP or WebSocket API."""

_WEBSOCKET_API = "aws-cdk-lib.aws_apigatewayv2.IWebSocketApi"


def _known_account(resource: cdk.IResource | None, arn: str | None) -> str | None:
    """The account that owns the source, when it is known at synth (see ``owner_account``)."""
    if resource is not None:
        account = owner_account(resource)
        if account is not None:
            return account
    if arn is not None:
        named = arn_field(arn, 4)
        return named if named is not None and _ACCOUNT.fullmatch(named) else None
    return None


class _ServiceGrant(Grant):
    """A grant to one service principal, tied to its source."""

    _PRINCIPAL_KEY: ClassVar[str | None] = "Service"

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = _SERVICE_NAMES

    def _grant_service(
        self,
        *,
        function: FunctionInput,
        qualifier: str | None,
        principal: str,
        action: str = INVOKE,
        source_arn: str | None = None,
        source_account: str | None = None,
        event_source_token: str | None = None,
        findings: tuple[Finding | None, ...] = (),
    ) -> None:
        target = self._target(function, qualifier)
        permission = Permission(
            function_name=target.function_name,
            qualifier=target.qualifier,
            principal=principal,
            action=action,
            source_arn=source_arn,
            source_account=source_account,
            event_source_token=event_source_token,
        )
        self._emit(target, [("Resource", permission)], findings)

    def _grant_source(
        self,
        *,
        function: FunctionInput,
        qualifier: str | None,
        principal: str,
        kind: intent.SourceKind,
        resource: tuple[str, ResourceT | None],
        arn: tuple[str, str | None],
        arn_of: Callable[[ResourceT], str],
    ) -> None:
        """Grant to a typed source given as a CDK resource or as its ARN (exactly one)."""
        (resource_prop, source), (arn_prop, source_arn) = resource, arn
        self._refuse(intent.exactly_one(**{resource_prop: source, arn_prop: source_arn}))
        if source is not None:
            source_arn = arn_of(source)
        assert source_arn is not None
        self._grant_service(
            function=function,
            qualifier=qualifier,
            principal=principal,
            source_arn=source_arn,
            source_account=_known_account(source, self._read(source_arn)),
            findings=(kind.check(self._read(source_arn)),),
        )


class ServiceInvokePermission(_ServiceGrant):
    """Lets an AWS service invoke a function on behalf of one source resource.

    The general form for any service principal (``sns.amazonaws.com``,
    ``logs.us-east-1.amazonaws.com``, ``alexa-appkit.amazon.com``...). Give ``source_arn``,
    ``source_account`` or both: a service principal with neither lets the service invoke the
    function for any account's resource (refused unless rule LP302 is acknowledged). For the
    services this library knows, a ``source_arn`` of another service is refused (LP114), and so
    is a ``source_account`` that differs from the account in ``source_arn`` (LP115).

    Example::

        ServiceInvokePermission(
            stack, "FromIotRule", function=fn, principal="iot.amazonaws.com",
            source_arn="arn:aws:iot:us-east-1:111111111111:rule/telemetry",
        )
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        principal: str,
        source_arn: str | None = None,
        source_account: str | None = None,
        event_source_token: str | None = None,
        action: str = INVOKE,
        qualifier: str | None = None,
    ) -> None:
        """Grant the service ``principal`` the ``action`` on ``function`` for one source.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (name, partial ARN or ARN, with an optional ``:<qualifier>``).
        :param principal: the service principal, such as ``sns.amazonaws.com``.
        :param source_arn: the ARN of the resource that invokes (wildcards allowed, compared
            with ArnLike). Default: - no SourceArn condition; then give ``source_account``.
        :param source_account: the 12-digit ID of the account that owns the source resource;
            an empty value is refused (rule LP106), not replaced. Default: - the account in
            ``source_arn`` when it names one, else no SourceAccount condition.
        :param event_source_token: a token the invoker must supply. Only Alexa presents one,
            so for any other service it ties the grant to no source (rule LP302 still applies).
            Default: - no token is required.
        :param action: the action granted. Default: ``lambda:InvokeFunction``.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._grant_service(
            function=function,
            qualifier=qualifier,
            principal=principal,
            action=action,
            source_arn=source_arn,
            # An empty source_account is refused (LP106), never replaced.
            source_account=(
                source_account
                if source_account is not None
                else _known_account(None, None if source_arn is None else self._read(source_arn))
            ),
            event_source_token=event_source_token,
            findings=(intent.principal_for_grant(self._read(principal), {PrincipalKind.SERVICE}),),
        )


class SnsInvokePermission(_ServiceGrant):
    """Lets one SNS topic invoke a function (``sns.amazonaws.com``, limited to the topic).

    Example::

        SnsInvokePermission(stack, "FromAlerts", function=fn, topic=alerts)
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **_SERVICE_NAMES,
        "SourceArn": "topic / topic_arn",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        topic: aws_sns.ITopic | None = None,
        topic_arn: str | None = None,
        qualifier: str | None = None,
    ) -> None:
        """Grant the topic the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (with an optional ``:<qualifier>``).
        :param topic: the topic that invokes. Default: - ``topic_arn`` is used; give exactly
            one of ``topic`` and ``topic_arn``.
        :param topic_arn: the topic's ARN, ``arn:<partition>:sns:<region>:<account>:<name>``.
            Default: - the ARN of ``topic``.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._grant_source(
            function=function,
            qualifier=qualifier,
            principal="sns.amazonaws.com",
            kind=intent.SNS_TOPIC,
            resource=("topic", topic),
            arn=("topic_arn", topic_arn),
            arn_of=lambda source: source.topic_arn,
        )


class EventBridgeInvokePermission(_ServiceGrant):
    """Lets one EventBridge rule invoke a function (``events.amazonaws.com``).

    Works for rules on the default event bus (``rule/NAME``) and on custom buses
    (``rule/BUS/NAME``).

    Example::

        EventBridgeInvokePermission(stack, "Nightly", function=fn, rule=nightly_rule)
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **_SERVICE_NAMES,
        "SourceArn": "rule / rule_arn",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        rule: aws_events.IRule | None = None,
        rule_arn: str | None = None,
        qualifier: str | None = None,
    ) -> None:
        """Grant the rule the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (with an optional ``:<qualifier>``).
        :param rule: the rule that invokes. Default: - ``rule_arn`` is used; give exactly one
            of ``rule`` and ``rule_arn``.
        :param rule_arn: the rule's ARN,
            ``arn:<partition>:events:<region>:<account>:rule/[<bus>/]<name>``.
            Default: - the ARN of ``rule``.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._grant_source(
            function=function,
            qualifier=qualifier,
            principal="events.amazonaws.com",
            kind=intent.EVENTS_RULE,
            resource=("rule", rule),
            arn=("rule_arn", rule_arn),
            arn_of=lambda source: source.rule_arn,
        )


class ApiGatewayInvokePermission(_ServiceGrant):
    """Lets routes of one API Gateway API (REST, HTTP or WebSocket) invoke a function.

    The source is the execute-api ARN
    ``arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<method><path>``. Each
    ``*`` widens it: the defaults (``stage="*"``, ``method="*"``, ``path="/*"``) let every route
    of every stage of this one API invoke the function.

    **Policy size.** A function's resource-based policy holds at most 20,480 bytes, about 60 to
    70 API Gateway statements. An API that integrates one function on many methods and paths
    (one statement each, as per-method integrations create) hits that limit; one statement with
    a wildcard route (the defaults here) replaces them all, for the price of letting every route
    of the API invoke the function. A REST API's authorizer uses
    ``method="authorizers"``, ``stage`` set to the authorizer ID and ``path=""``.

    A SourceArn open to any API or any account is refused unless rule LP308 is acknowledged.

    Example::

        ApiGatewayInvokePermission(stack, "FromApi", function=fn, api=api)
        ApiGatewayInvokePermission(stack, "GetOrders", function=fn, api=api,
                                   stage="prod", method="GET", path="/orders/*")
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **_SERVICE_NAMES,
        "SourceArn": "api / api_id, stage, method, path",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        api: RestOrHttpApi | None = None,
        api_id: str | None = None,
        stage: str = "*",
        method: str = "*",
        path: str = "/*",
        qualifier: str | None = None,
    ) -> None:
        """Grant the API's matching routes the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (with an optional ``:<qualifier>``).
        :param api: the REST, HTTP or WebSocket API. Default: - ``api_id`` is used; give
            exactly one of ``api`` and ``api_id``.
        :param api_id: the API's ID (such as ``a1b2c3d4e5``, not its ARN); the region and
            account are then the stack's. Default: - the ID of ``api``, with its stack's region
            and account.
        :param stage: the stage's name, or ``$default``. Default: ``*``, every stage.
        :param method: the HTTP method as API Gateway writes it in the ARN (``GET``, ``POST``...;
            ``ANY`` is ``*``, as in aws-cdk), ``authorizers``, or a WebSocket route key such as
            ``$connect`` (with ``path=""``; a custom route key needs ``api``). A method API
            Gateway never writes (``get``, ``FETCH``) is refused (rule LP202): the grant would
            match no request. Default: ``*``, every method.
        :param path: the resource path, starting with ``/``, or empty; a path parameter
            (``/orders/{id}``, ``{proxy+}``) becomes ``*``, as in aws-cdk, since the ARN holds
            the request's path. Default: ``/*``, every path.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._refuse(intent.exactly_one(api=api, api_id=api_id))
        owner = cdk.Stack.of(api) if api is not None else self._stack()
        websocket = False
        if api is not None:
            # jsii interfaces are not runtime-checkable: a REST API is the one with rest_api_id.
            rest_api_id = getattr(api, "rest_api_id", None)
            if isinstance(rest_api_id, str):
                api_id = rest_api_id
            else:
                api_id = str(getattr(api, "api_id"))  # noqa: B009 - an HTTP or WebSocket API
                websocket = _WEBSOCKET_API in jsii_types(api)
        assert api_id is not None
        method, path = intent.execute_api_route(method, path)
        read_method, read_path = intent.execute_api_route(self._read(method), self._read(path))
        self._refuse(
            *intent.route_findings(
                api_id=self._read(api_id),
                stage=self._read(stage),
                method=read_method,
                path=read_path,
                websocket=websocket,
            )
        )
        arn = (
            f"arn:{owner.partition}:execute-api:{owner.region}:{owner.account}:"
            f"{api_id}/{stage}/{method}{path}"
        )
        self._grant_service(
            function=function,
            qualifier=qualifier,
            principal="apigateway.amazonaws.com",
            source_arn=arn,
            source_account=None if tokens.is_unresolved(owner.account) else owner.account,
            findings=(intent.EXECUTE_API.check(arn),),
        )


class LogsSubscriptionPermission(_ServiceGrant):
    """Lets a CloudWatch Logs subscription filter of one log group invoke a function.

    Example::

        LogsSubscriptionPermission(stack, "FromAppLogs", function=fn, log_group=app_logs)
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **_SERVICE_NAMES,
        "SourceArn": "log_group / log_group_arn",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        log_group: aws_logs.ILogGroup | None = None,
        log_group_arn: str | None = None,
        qualifier: str | None = None,
    ) -> None:
        """Grant the log group's subscription filters the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (with an optional ``:<qualifier>``).
        :param log_group: the log group. Default: - ``log_group_arn`` is used; give exactly
            one of ``log_group`` and ``log_group_arn``.
        :param log_group_arn: the log group's ARN,
            ``arn:<partition>:logs:<region>:<account>:log-group:<name>:*``.
            Default: - the ARN of ``log_group``.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._grant_source(
            function=function,
            qualifier=qualifier,
            principal="logs.amazonaws.com",
            kind=intent.LOG_GROUP,
            resource=("log_group", log_group),
            arn=("log_group_arn", log_group_arn),
            arn_of=lambda source: source.log_group_arn,
        )


class AlexaSkillPermission(_ServiceGrant):
    """Lets one Alexa skill invoke a function: Alexa Skills Kit, or Smart Home.

    Alexa invokes with no source ARN; the skill ID travels as the EventSourceToken that every
    invocation must carry.

    Example::

        AlexaSkillPermission(stack, "Skill", function=fn,
                             skill_id="amzn1.ask.skill.12345678-1234-1234-1234-123456789012")
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **_SERVICE_NAMES,
        "EventSourceToken": "skill_id",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        skill_id: str,
        smart_home: bool = False,
        qualifier: str | None = None,
    ) -> None:
        """Grant the skill ``skill_id`` the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (with an optional ``:<qualifier>``).
        :param skill_id: the skill's ID, ``amzn1.ask.skill.<uuid>``.
        :param smart_home: whether the skill is a Smart Home skill
            (``alexa-connectedhome.amazon.com``). Default: ``False``, an Alexa Skills Kit skill
            (``alexa-appkit.amazon.com``).
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        principal = "alexa-connectedhome.amazon.com" if smart_home else "alexa-appkit.amazon.com"
        self._grant_service(
            function=function,
            qualifier=qualifier,
            principal=principal,
            event_source_token=skill_id,
            findings=(intent.ALEXA_SKILL.check(skill_id),),
        )
