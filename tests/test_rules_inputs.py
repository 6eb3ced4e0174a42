"""Values the contract refuses are refused, whatever form they take (issue 14, the rules).

Each table holds the examples that were accepted before: non-ASCII digits, pseudo-parameters
that swallowed separators or whole fields, names and qualifiers inside partly known values,
EventBridge rule names with empty segments, a token that limited nothing, a function URL that
was unsafe whatever its auth type, a misspelt action, an acknowledgement in the wrong case.
The property tests around each class check its neighbours.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lambdaperm import Permission, PrincipalKind, check
from constructs_lambdaperm._core import tokens
from constructs_lambdaperm._core.api_model import field_constraints, function_actions
from constructs_lambdaperm._core.model import principal_kind
from constructs_lambdaperm._rules import intent
from constructs_lambdaperm._rules.acknowledgements import check_acknowledgements
from constructs_lambdaperm._rules.documented import resolve_function
from constructs_lambdaperm._rules.fields import check_field

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ACCOUNT = "123456789012"
BASE = Permission(function_name="fn", principal="223456789012")

# The three spellings of a pseudo-parameter: the CDK's token, the template reader's markers,
# the resolver's bounded marker.
PSEUDO = {
    name: [
        f"${{Token[AWS.{name}.7]}}",
        f"${{Token[Ref:AWS::{name}]}}",
        f"${{Token[Sub:AWS::{name}]}}",
        f"${{Token[Stack.AWS.{name};max=20]}}",
    ]
    for name in ("Partition", "Region", "AccountId", "URLSuffix")
}
PARTITION, REGION, ACCOUNT_ID, URL_SUFFIX = (PSEUDO[n][0] for n in PSEUDO)


def blocking(permission: Permission) -> set[str]:
    return {f.rule.id for f in check(permission) if f.blocking}


# --- 3a: AWS applies its patterns to ASCII ------------------------------------------------------

FULLWIDTH = "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12"
ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"


@pytest.mark.parametrize(
    ("permission", "rule"),
    [
        (replace(BASE, principal=FULLWIDTH), "LP113"),
        (replace(BASE, principal=ARABIC_INDIC), "LP113"),
        (replace(BASE, principal=f"arn:aws:iam::{FULLWIDTH}:root"), "LP113"),
        (
            Permission(function_name="fn", principal="s3.amazonaws.com", source_account=FULLWIDTH),
            "LP106",
        ),
        (
            Permission(
                function_name="fn",
                principal="sns.amazonaws.com",
                source_arn=f"arn:aws:sns:us-east-\u0661:{ACCOUNT}:orders",
            ),
            "LP105",
        ),
        (
            Permission(
                function_name="fn",
                principal="sns.amazonaws.com",
                source_arn=f"arn:aws:sns:us-east-1:{ARABIC_INDIC}:orders",
            ),
            "LP105",
        ),
        (replace(BASE, function_name=f"arn:aws:lambda:us-east-1:{FULLWIDTH}:function:f"), "LP101"),
        (replace(BASE, function_name="fn:\u0661"), "LP101"),
        (replace(BASE, principal="*", principal_org_id="o-\u0661\u0662\u0663abcdefg"), "LP107"),
    ],
)
def test_non_ascii_digits_are_no_digits(permission: Permission, rule: str) -> None:
    assert rule in blocking(permission)


DIGITS = st.sampled_from(
    "0123456789"  # ASCII
    "\uff10\uff11\uff19"  # fullwidth
    "\u0660\u0661\u0669"  # Arabic-Indic
    "\u06f0\u06f5"  # extended Arabic-Indic
    "\u0966\u0967"  # Devanagari
    "\U0001d7ce"  # mathematical bold zero
)


@SETTINGS
@given(account=st.text(DIGITS, min_size=10, max_size=14))
def test_an_account_is_twelve_ascii_digits(account: str) -> None:
    valid = len(account) == 12 and account.isascii()
    assert (check_field("SourceAccount", account) is None) is valid
    assert (principal_kind(account) is PrincipalKind.ACCOUNT) is valid
    iam = principal_kind(f"arn:aws:iam::{account}:root")
    assert (iam is PrincipalKind.IAM) is valid


@SETTINGS
@given(digit=DIGITS)
def test_a_region_ends_in_an_ascii_digit(digit: str) -> None:
    arn = f"arn:aws:sns:us-east-{digit}:{ACCOUNT}:orders"
    assert (check_field("SourceArn", arn) is None) is digit.isascii()
    assert (intent.SNS_TOPIC.check(arn) is None) is digit.isascii()


@pytest.mark.parametrize("terminator", ["\r", "\u2028", "\u2029", "\x85", "\n"])
def test_a_source_arns_resource_holds_no_line_terminator(terminator: str) -> None:
    # SourceArn's pattern ends in (.*): Java's '.' matches no line terminator.
    assert check_field("SourceArn", f"arn:aws:s3:::bucket{terminator}") is not None
    assert check_field("SourceArn", "arn:aws:s3:::bucket\u00e9") is None


# --- 3b: a pseudo-parameter is one field of its shape ------------------------------------------


@pytest.mark.parametrize(
    ("permission", "rule"),
    [
        # The brief's examples: accepted with the token, refused without it.
        (
            Permission(
                function_name="fn",
                principal="sns.amazonaws.com",
                source_arn=f"arn:{PARTITION}:sns:us-east-1:12345:orders",
            ),
            "LP105",
        ),
        (
            Permission(
                function_name="fn",
                principal="sns.amazonaws.com",
                source_arn=f"arn:aws:sns:{REGION}:12345:q",
            ),
            "LP105",
        ),
        (replace(BASE, principal=f"arn:{PARTITION}:iam::12345:root"), "LP113"),
        # A partition does not swallow the service, nor an account the resource.
        (
            replace(BASE, function_name=f"arn:{PARTITION}lambda:us-east-1:{ACCOUNT}:function:f"),
            "LP101",
        ),
        (replace(BASE, principal=f"arn:aws:iam::{ACCOUNT_ID}:root:x"), "LP113"),
        (
            Permission(function_name="fn", principal="s3.amazonaws.com", source_account=REGION),
            "LP106",
        ),
        (
            Permission(
                function_name="fn", principal="s3.amazonaws.com", source_account=ACCOUNT_ID + "1"
            ),
            "LP106",
        ),
    ],
)
def test_a_pseudo_parameter_fills_one_field_of_its_shape(permission: Permission, rule: str) -> None:
    assert rule in blocking(permission)
    # The same value with a valid concrete value in place of each token is refused too.
    concrete = replace(
        permission,
        **{
            name: _concrete(value)
            for name in ("function_name", "principal", "source_arn", "source_account")
            if isinstance(value := getattr(permission, name), str)
        },
    )
    assert rule in blocking(concrete)


def _concrete(value: str) -> str:
    return tokens.example(value)[0] if tokens.is_shaped(value) else value


@pytest.mark.parametrize(
    "permission",
    [
        Permission(
            function_name=f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:f",
            principal=f"arn:{PARTITION}:iam::{ACCOUNT_ID}:root",
        ),
        Permission(
            function_name="fn",
            principal="sns.amazonaws.com",
            source_arn=f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT_ID}:orders",
            source_account=ACCOUNT_ID,
        ),
        replace(BASE, principal=ACCOUNT_ID),
    ],
)
def test_pseudo_parameters_where_they_fit_pass(permission: Permission) -> None:
    assert blocking(permission) == set()


def test_a_principal_of_pseudo_parameters_has_the_kind_its_shape_allows() -> None:
    assert principal_kind(f"sns.{URL_SUFFIX}") is PrincipalKind.SERVICE
    assert principal_kind(ACCOUNT_ID) is PrincipalKind.ACCOUNT
    assert principal_kind(f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/r") is PrincipalKind.IAM
    assert principal_kind(f"arn:{PARTITION}:iam::12345:root") is PrincipalKind.INVALID
    assert principal_kind("${Token[TOKEN.3]}") is PrincipalKind.UNKNOWN


# Fields of ARNs: valid values and broken ones. A pseudo-parameter replaces a valid one.
FIELDS = {
    "partition": ["aws", "aws-cn", "aws-us-gov", "", "gcp", "aws:x"],
    "service": ["s3", "sns", "events", "logs", "execute-api", "lambda", "iam", "", "s3:x"],
    "region": ["us-east-1", "eu-west-2", "", "us-east", "us-east-1:1", "x"],
    "account": [ACCOUNT, "", "12345", "1234567890123", "12345678901a", "1:2"],
    "resource": ["b", "orders", "rule/x", "log-group:g:*", "api/*/GET/x", "function:f", "", "a/b"],
}
SHAPE_OF_FIELD = {"partition": "Partition", "region": "Region", "account": "AccountId"}
VALID_FIELD = {
    "partition": {"aws", "aws-cn", "aws-us-gov"},
    "region": {"us-east-1", "eu-west-2"},
    "account": {ACCOUNT},
}
ARN_PATTERNS = [
    field_constraints()["SourceArn"].pattern,
    field_constraints()["FunctionName"].pattern,
    *(kind.pattern for kind in (intent.S3_BUCKET, intent.SNS_TOPIC, intent.EVENTS_RULE)),
    *(kind.pattern for kind in (intent.LOG_GROUP, intent.EXECUTE_API)),
]


@st.composite
def arn_with_a_pseudo_parameter(draw: st.DrawFn) -> tuple[str, str]:
    values = {name: draw(st.sampled_from(options)) for name, options in FIELDS.items()}
    concrete = "arn:" + ":".join(values.values())
    replaceable = [name for name in SHAPE_OF_FIELD if values[name] in VALID_FIELD[name]]
    if not replaceable:
        values["account"] = ACCOUNT
        replaceable = ["account"]
        concrete = "arn:" + ":".join(values.values())
    field = draw(st.sampled_from(replaceable))
    values[field] = draw(st.sampled_from(PSEUDO[SHAPE_OF_FIELD[field]]))
    return "arn:" + ":".join(values.values()), concrete


@SETTINGS
@given(case=arn_with_a_pseudo_parameter())
def test_a_pseudo_parameter_matches_as_a_valid_value_of_its_shape_does(
    case: tuple[str, str],
) -> None:
    shaped, concrete = case
    for pattern in ARN_PATTERNS:
        assert pattern is not None
        assert pattern.could_match(tokens.shaped_split(shaped)) is pattern.could_match([concrete])
    assert principal_kind(shaped) is principal_kind(concrete)


# --- 3d: $LATEST and long names inside partly known values -------------------------------------


@pytest.mark.parametrize(
    ("function_name", "rule"),
    [
        (f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:f:$LATEST", "LP111"),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{'x' * 65}", "LP110"),
        (f"{ACCOUNT_ID}:function:{'x' * 65}:live", "LP110"),
    ],
)
def test_names_and_qualifiers_are_read_through_pseudo_parameters(
    function_name: str, rule: str
) -> None:
    name, qualifier, _ = resolve_function(function_name, None)
    assert rule in blocking(replace(BASE, function_name=name, qualifier=qualifier))


# --- 3f: EventBridge rule names --------------------------------------------------------------

RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/"


@pytest.mark.parametrize(
    ("resource", "valid"),
    [
        ("on-order", True),
        ("orders-bus/on-order", True),
        ("aws.partner/saas.com/123/bus/on-order", True),
        ("orders-bus/", False),
        ("/on-order", False),
        ("orders-bus//on-order", False),
        ("", False),
    ],
)
def test_an_eventbridge_rule_arn_has_no_empty_name_segment(resource: str, valid: bool) -> None:
    assert (intent.EVENTS_RULE.check(RULE_ARN + resource) is None) is valid


# --- 3g: a token limits only Alexa; a function URL unsafe whatever its auth type -------------


@pytest.mark.parametrize(
    ("principal", "refused"),
    [
        ("sns.amazonaws.com", True),
        ("iot.amazonaws.com", True),
        ("example.amazonaws.com", True),
        ("alexa-appkit.amazon.com", False),
        ("alexa-connectedhome.amazon.com", False),
    ],
)
def test_an_event_source_token_limits_only_a_service_that_presents_one(
    principal: str, refused: bool
) -> None:
    permission = Permission(function_name="fn", principal=principal, event_source_token="t-1")
    assert ("LP302" in blocking(permission)) is refused


AUTH = "${Token[Ref:AuthType]}"


def test_principal_star_on_a_url_of_deploy_time_auth_type_is_unsafe_either_way() -> None:
    url = Permission(
        function_name="fn",
        principal="*",
        action="lambda:InvokeFunctionUrl",
        function_url_auth_type=AUTH,
    )
    assert blocking(url) == {"LP306", "LP307"}
    for value in ("NONE", "AWS_IAM"):  # each value is refused: waiting for deploy changes nothing
        assert blocking(replace(url, function_url_auth_type=value)) & {"LP306", "LP307"}
    named = replace(url, principal="223456789012")
    assert blocking(named) == set()
    org = replace(url, principal_org_id="o-abcdefghij")
    assert blocking(org) == set()


# --- 3h: actions are a closed set --------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected", "suggestion"),
    [
        ("lambda:InvokeFunctoin", {"LP116"}, "lambda:InvokeFunction"),
        ("lambda:GetFuntion", {"LP116"}, "lambda:GetFunction"),
        ("lambda:Frobnicate", {"LP116"}, None),
        ("lambda:InvokeFunction", set(), None),
        ("lambda:invokefunction", set(), None),  # IAM compares action names case-insensitively
        ("lambda:InvokeFunctionUrl", set(), None),
        ("lambda:GetFunction", set(), None),
        ("lambda:*", {"LP305"}, None),
        ("*", {"LP305"}, None),
        ("lambda:Invoke-Function", {"LP103"}, None),
    ],
)
def test_an_action_is_one_of_lambdas_with_a_suggestion(
    action: str, expected: set[str], suggestion: str | None
) -> None:
    findings = [f for f in check(replace(BASE, action=action)) if f.blocking]
    assert {f.rule.id for f in findings} == expected
    if suggestion is not None:
        (finding,) = findings
        assert f"did you mean '{suggestion}'" in finding.message
        assert finding.fix == f"pass '{suggestion}'"


def test_the_actions_come_from_botocores_lambda_operations_on_a_function() -> None:
    actions = function_actions()
    assert {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:GetPolicy"} <= actions
    assert "lambda:Invoke" not in actions  # the operation Invoke is the action InvokeFunction
    assert "lambda:CreateFunction" not in actions  # acts on no existing function
    assert "lambda:ListFunctions" not in actions


@SETTINGS
@given(action=st.from_regex(r"lambda:[a-zA-Z]{1,30}", fullmatch=True))
def test_every_action_of_the_pattern_is_known_or_refused(action: str) -> None:
    found = {f.rule.id for f in check(replace(BASE, action=action)) if f.blocking}
    known = action.lower() in {a.lower() for a in function_actions()}
    assert found == (set() if known else {"LP116"})


# --- API Gateway routes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "normalised"),
    [
        ("ANY", "/orders/{id}", ("*", "/orders/*")),
        ("any", "/{proxy+}", ("*", "/*")),
        ("GET", "/orders/{id}/items/{item}", ("GET", "/orders/*/items/*")),
        ("$connect", "", ("$connect", "")),
    ],
)
def test_a_route_is_normalised_as_aws_cdk_does(
    method: str, path: str, normalised: tuple[str, str]
) -> None:
    assert intent.execute_api_route(method, path) == normalised


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("method", "FETCH"),
        ("method", "get"),
        ("method", ""),
        ("api_id", ""),
        ("api_id", "abc/def"),
        ("api_id", "abc:def"),
        ("api_id", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abcdefghij"),
        ("stage", ""),
        ("stage", "prod/v1"),
        ("path", "orders"),
        ("path", "/a b"),
    ],
)
def test_a_route_api_gateway_never_writes_is_refused(part: str, value: str) -> None:
    route: dict[str, Any] = {
        "api_id": "abcdefghij",
        "stage": "prod",
        "method": "GET",
        "path": "/orders",
    }
    route[part] = value
    (finding,) = intent.route_findings(**route)
    assert finding.rule.id == "LP202"
    assert finding.message.startswith(f"{part} {value!r} is not")


def test_a_websocket_api_takes_its_own_route_keys() -> None:
    route: dict[str, Any] = {
        "api_id": "abcdefghij",
        "stage": "prod",
        "method": "sendMessage",
        "path": "",
    }
    assert intent.route_findings(**route)
    assert intent.route_findings(**route, websocket=True) == []


# --- 3l: an acknowledgement is spelt exactly ----------------------------------------------------


@pytest.mark.parametrize(
    "rule_id",
    ["lambdaperm::LP306", "LAMBDAPERM::LP306", "LambdaPerm::lp306", " LambdaPerm::LP306"],
)
def test_an_acknowledgement_in_the_wrong_case_is_reported(rule_id: str) -> None:
    (finding,) = check_acknowledgements([("Stack/Url", rule_id, "reviewed by the team")])
    assert finding.rule.id == "LP501"
    assert "write 'LambdaPerm::LP306'" in finding.message
    assert finding.location == ("Stack/Url",)


def test_the_exact_spelling_and_other_tools_ids_are_left_alone() -> None:
    acknowledged = [
        ("Stack/Url", "LambdaPerm::LP306", "reviewed by the team"),
        ("Stack/Url", "AwsSolutions-L1", "reviewed by the team"),
        ("Stack/Url", "cdk-nag::LP306", "reviewed by the team"),
    ]
    assert check_acknowledgements(acknowledged) == []


# --- the neighbours of each class -------------------------------------------------------------


@SETTINGS
@given(method=st.text(st.sampled_from("GETPOSTgetANYany*$connectX"), min_size=0, max_size=8))
def test_a_method_is_accepted_iff_api_gateway_writes_it(method: str) -> None:
    normalised, _ = intent.execute_api_route(method, "/x")
    route: dict[str, Any] = {
        "api_id": "abcdefghij",
        "stage": "prod",
        "method": normalised,
        "path": "/x",
    }
    written = {*intent.HTTP_METHODS, "*", "authorizers", "$connect", "$disconnect", "$default"}
    assert (intent.route_findings(**route) == []) is (normalised in written)


SEGMENT = st.text(st.sampled_from("ab.-_"), max_size=3)


@SETTINGS
@given(segments=st.lists(SEGMENT, min_size=1, max_size=4))
def test_a_rule_arn_is_accepted_iff_no_name_segment_is_empty(segments: list[str]) -> None:
    arn = RULE_ARN + "/".join(segments)
    assert (intent.EVENTS_RULE.check(arn) is None) is all(segments)


@SETTINGS
@given(
    namespace=st.sampled_from(
        ["LambdaPerm", "lambdaperm", "LAMBDAPERM", "LambdaPerm ", " lambdaPerm"]
    ),
    rule=st.sampled_from(["LP306", "lp306", "Lp306", "LP306 "]),
)
def test_any_loose_spelling_of_an_acknowledgement_is_reported(namespace: str, rule: str) -> None:
    rule_id = f"{namespace}::{rule}"
    found = check_acknowledgements([("S/Url", rule_id, "reviewed by the team")])
    assert bool(found) is (rule_id != "LambdaPerm::LP306")
