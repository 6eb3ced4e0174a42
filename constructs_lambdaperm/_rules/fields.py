"""LP101-LP109: each AddPermission parameter meets its pattern, length and enum constraints.

The constraints are data (``_core.api_model.field_constraints``, from botocore's service model and
CloudFormation's schema); these rules only apply them, one rule per parameter.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator

from .._core import tokens
from .._core.api_model import FieldConstraint, field_constraints
from .._core.findings import Finding, Rule, Severity
from .._core.model import LATEST, Permission
from .registry import ADDPERMISSION_URL, Check, applies_to_every_permission, define


def _field_rule(rule_id: str, parameter: str, meaning: str, fix: str) -> Rule:
    return define(
        rule_id,
        Severity.ERROR,
        title=f"{parameter} meets the AddPermission and CloudFormation constraints",
        explanation=(
            f"{parameter} ({meaning}) must match the pattern, length and allowed values that the "
            "Lambda API and CloudFormation's AWS::Lambda::Permission schema define; where the two "
            "differ the stricter applies, otherwise the deployment fails."
        ),
        fix=fix,
        doc_url=ADDPERMISSION_URL,
    )


FIELD_RULES: dict[str, Rule] = {
    "FunctionName": _field_rule(
        "LP101",
        "FunctionName",
        "the function, with its version or alias",
        "pass a function construct, or a name, partial ARN or ARN of at most 140 characters "
        "made of letters, digits, '-' and '_'",
    ),
    "Qualifier": _field_rule(
        "LP102",
        "Qualifier",
        "a published version or an alias",
        "pass a version number or an alias name of letters, digits, '-' and '_'",
    ),
    "Action": _field_rule(
        "LP103",
        "Action",
        "the Lambda action granted",
        "pass an action such as 'lambda:InvokeFunction' or 'lambda:GetFunction'",
    ),
    "Principal": _field_rule(
        "LP104",
        "Principal",
        "who is granted",
        "pass an account ID, an IAM ARN or a service principal, with no whitespace",
    ),
    "SourceArn": _field_rule(
        "LP105",
        "SourceArn",
        "the ARN of the resource allowed to invoke",
        "pass a full ARN such as 'arn:aws:sns:us-east-1:123456789012:my-topic'",
    ),
    "SourceAccount": _field_rule(
        "LP106",
        "SourceAccount",
        "the account that owns the source resource",
        "pass the 12-digit ID of the account that owns the source resource",
    ),
    "PrincipalOrgID": _field_rule(
        "LP107",
        "PrincipalOrgID",
        "an AWS Organizations ID",
        "pass the organization ID: 'o-' followed by 10 to 32 lower-case letters or digits",
    ),
    "EventSourceToken": _field_rule(
        "LP108",
        "EventSourceToken",
        "a token the invoker must supply",
        "pass 1 to 256 letters, digits, '.', '_' or '-'",
    ),
    "FunctionUrlAuthType": _field_rule(
        "LP109",
        "FunctionUrlAuthType",
        "the function URL's auth type",
        "pass 'AWS_IAM' or 'NONE'",
    ),
}
"""The field rule of each AddPermission parameter."""


@functools.lru_cache(maxsize=8192)
def check_field(parameter: str, value: str) -> Finding | None:
    """Check one parameter value against its constraints; ``None`` when it complies.

    Remembered: an app repeats its values (one action, a few principals, each function's name
    in each of its grants), and the guard checks every permission of the app at synth.
    """
    return _check(FIELD_RULES[parameter], field_constraints()[parameter], value)


def _check(rule: Rule, constraint: FieldConstraint, value: str) -> Finding | None:
    parameter = constraint.parameter
    parts = tokens.split(value)
    unknown = None in parts
    problem: str | None = None
    if constraint.enum is not None and not unknown and value not in constraint.enum:
        problem = "it is not one of " + ", ".join(constraint.enum)
    elif constraint.max_length is not None and tokens.literal_length(parts) > constraint.max_length:
        problem = f"it is {len(value)} characters long, over the limit of {constraint.max_length}"
        if unknown:
            problem = (
                f"its known parts alone are {tokens.literal_length(parts)} characters long, "
                f"over the limit of {constraint.max_length}"
            )
    elif constraint.min_length is not None and not unknown and len(value) < constraint.min_length:
        problem = (
            f"it is {len(value)} characters long, under the minimum of {constraint.min_length}"
        )
    elif constraint.pattern is not None and not constraint.pattern.could_match(
        tokens.shaped_split(value) if unknown else parts
    ):
        problem = f"it does not match the pattern {constraint.pattern.source}"
        if unknown:
            problem = (
                f"no deploy-time value can make it match the pattern {constraint.pattern.source}"
            )
    if problem is not None:
        shown = tokens.describe(value)
        return rule.finding(
            f"{parameter} {shown!r} is invalid: {problem} (allowed: {constraint.describe()})",
            parameter=parameter,
            value=value,
        )
    if unknown:
        what = f"{parameter} {tokens.describe(value)!r}"
        if any(part for part in parts if part):
            what += " (its known parts were checked)"
        return rule.not_evaluated(parameter, value, what)
    return None


# The attribute of Permission behind each parameter of ``Permission.request()``: read directly,
# as building the whole request for each of the nine checks cost more than the checks.
_ATTRIBUTES: dict[str, str] = {
    "FunctionName": "function_name",
    "Qualifier": "qualifier",
    "Action": "action",
    "Principal": "principal",
    "SourceArn": "source_arn",
    "SourceAccount": "source_account",
    "PrincipalOrgID": "principal_org_id",
    "EventSourceToken": "event_source_token",
    "FunctionUrlAuthType": "function_url_auth_type",
}


def _field_check(parameter: str) -> Check:
    read = operator.attrgetter(_ATTRIBUTES[parameter])

    def check(permission: Permission) -> Iterator[Finding]:
        value: str | None = read(permission)
        if value is None or (parameter == "Qualifier" and value == LATEST):
            return  # $LATEST has a rule of its own, LP111, with a clearer message
        finding = check_field(parameter, value)
        if finding is not None:
            yield finding

    check.__name__ = f"check_{parameter}"
    return check


for _parameter, _rule in FIELD_RULES.items():
    applies_to_every_permission(_rule)(_field_check(_parameter))
