"""LP600-LP611: rules over every grant of an app at once, whoever made each grant.

A single ``AWS::Lambda::Permission`` cannot tell that it repeats another, that its function URL
lacks the second permission AWS requires since October 2025, or that an
``AWS::Lambda::ResourcePolicy`` will overwrite it: these rules look at the whole app (or
template), as ``AppView`` describes it. The guard (``_audit``) builds the view from synthesized
templates or template files and runs :func:`check_app`.

Each check is a pure function ``AppView -> findings``; a finding's ``location`` is the
``(stack, logical ID)`` of the resource it is reported on, and for one of the permissions a
document statement stands for, which one (``Site.part``) as a third element.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .._core import tokens
from .._core.findings import Finding, Rule, Severity
from .._core.model import (
    INVOKE,
    INVOKE_URL,
    WILDCARD_ACTIONS,
    Permission,
    PrincipalKind,
    arn_field,
)
from .intent import FUNCTION_ACCOUNT
from .registry import RESOURCE_POLICY_URL, URL_AUTH_URL, define
from .services import SOURCE_SERVICE, arn_service, is_known_service

RESOURCE_POLICY_CFN_URL = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-resource-lambda-resourcepolicy.html"
)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a resource is: its stack (the stack's key in the app) and its logical ID."""

    stack: str
    """The stack's construct path in a CDK app, or the template's name."""
    logical_id: str
    """The resource's logical ID."""
    name: str | None = field(default=None, compare=False)
    """How messages name it: its construct path in a CDK app. Default: - stack/logical ID."""
    part: str | None = None
    """For one of the permissions an ``AWS::Lambda::ResourcePolicy`` statement stands for,
    which one (``<statement>.<combination>``). Default: - the whole resource."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppGrant:
    """One statement an ``AWS::Lambda::Permission`` of the app adds, with what surrounds it."""

    site: Site
    """The ``AWS::Lambda::Permission`` resource."""
    permission: Permission
    """Its parameters, each reference resolved as far as the app tells."""
    meaning: str
    """The statement Lambda writes, without its Sid, as JSON: equal for equal grants."""
    function: str
    """The function's unqualified ARN (deploy-time parts as markers): its policy's key."""
    qualifier: str | None
    """The version or alias; ``None`` for the unqualified function."""
    function_defined: bool
    """Whether the ``AWS::Lambda::Function`` is defined in the app."""
    stack_account: str | None = None
    """The account of the stack that holds the grant, when known before deploy."""
    stack_region: str | None = None
    """The region of the stack that holds the grant, when known before deploy."""
    source_type: str | None = None
    """The CloudFormation type of the app's resource that SourceArn references, if one."""
    by_library: bool | None = None
    """Whether one of this library's constructs made it; ``None`` when that cannot be told."""
    document: bool = False
    """Whether it is one of the permissions an ``AWS::Lambda::ResourcePolicy`` statement stands
    for, rather than an ``AWS::Lambda::Permission``. Default: - ``False``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppUrl:
    """An ``AWS::Lambda::Url`` of the app."""

    site: Site
    """The resource."""
    function: str
    """The function's unqualified ARN, as in ``AppGrant.function``."""
    qualifier: str | None
    """The alias the URL is on; ``None`` for the unqualified function."""
    auth_type: str | None
    """``AWS_IAM`` or ``NONE``; ``None`` when known only at deploy time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AppDocument:
    """An ``AWS::Lambda::ResourcePolicy`` of the app: a whole policy document."""

    site: Site
    """The resource."""
    function: str
    """The function's unqualified ARN, as in ``AppGrant.function``."""
    qualifier: str | None
    """The version or alias; ``None`` for the unqualified function."""


@dataclass(frozen=True, kw_only=True)
class AppView:
    """Everything the app-level rules look at."""

    grants: Sequence[AppGrant]
    """Every statement granted by an ``AWS::Lambda::Permission``, and every permission an
    ``AWS::Lambda::ResourcePolicy`` statement stands for, in stack and ID order."""
    urls: Sequence[AppUrl] = ()
    """Every function URL."""
    documents: Sequence[AppDocument] = ()
    """Every ``AWS::Lambda::ResourcePolicy``."""
    allowed_accounts: frozenset[str] | None = None
    """The accounts grants may name. Default: - any account."""
    allowed_org_ids: frozenset[str] | None = None
    """The organizations grants may name. Default: - any organization."""
    require_constructs: bool = False
    """Whether every grant must come from this library's constructs. Default: - no."""


AppCheck = Callable[[AppView], Iterable[Finding]]
"""A pure function over the whole app, yielding findings located at ``(stack, logical ID)``."""

APP_CHECKS: list[tuple[Rule, AppCheck]] = []
"""The app-level rules, with their checks, in ID order."""


def _app_rule(rule: Rule) -> Callable[[AppCheck], AppCheck]:
    def register(check: AppCheck) -> AppCheck:
        APP_CHECKS.append((rule, check))
        return check

    return register


def _at(finding: Finding, site: Site) -> Finding:
    if site.part is not None:
        return replace(finding, location=(site.stack, site.logical_id, site.part))
    return replace(finding, location=(site.stack, site.logical_id))


def _where(site: Site) -> str:
    return site.name or f"{site.stack}/{site.logical_id}"


def _literal(value: str | None) -> str | None:
    return value if value is not None and not tokens.is_unresolved(value) else None


def check_app(view: AppView) -> list[Finding]:
    """Every finding of every app-level rule, in rule-ID order, then grant order."""
    found: list[Finding] = []
    for _rule, check in APP_CHECKS:
        found.extend(check(view))
    return found


# --- the verdict ------------------------------------------------------------------------------

BLOCKED = define(
    "LP600",
    Severity.ERROR,
    title="An app with blocking findings on its Lambda permissions does not synthesize",
    explanation=(
        "The CDK CLI shows, and fails on, the findings of the stacks it was asked for; a plain "
        "`cdk synth` of an app whose stacks are all in Stages asks for none. This finding, "
        "reported on no construct, makes every way of running synth fail while any finding "
        "that refuses deployment remains, and lists them."
    ),
    fix=(
        "fix, or acknowledge where the rule allows it, each finding it lists; `cdk synth '**'` "
        "shows the findings of every stack, and cdk.out/validation-report.json holds them all"
    ),
    doc_url="https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html",
)

# --- repeated grants ----------------------------------------------------------------------------

DUPLICATE = define(
    "LP601",
    Severity.WARNING,
    title="A function's policy holds each grant once",
    explanation=(
        "Two AWS::Lambda::Permission resources with the same function, qualifier, principal, "
        "action and conditions add the same statement twice under two Sids: nothing more is "
        "allowed, and the function's 20,480-byte policy fills up. It happens when two "
        "constructs grant the same thing (a LambdaDestination and an S3InvokePermission for "
        "one bucket)."
    ),
    fix="remove one of the two grants (keep the one that states the source most narrowly)",
    doc_url=RESOURCE_POLICY_URL,
)


@_app_rule(DUPLICATE)
def duplicate(view: AppView) -> Iterator[Finding]:
    """Each statement's meaning (all but the Sid) appears once per function and qualifier."""
    first: dict[tuple[str, str | None, str, bool], AppGrant] = {}
    for grant in view.grants:
        # A document and permissions on one target are LP609's: the document replaces them.
        key = (grant.function, grant.qualifier, grant.meaning, grant.document)
        earlier = first.setdefault(key, grant)
        if earlier is grant:
            continue
        yield _at(
            DUPLICATE.finding(
                f"{_where(grant.site)} grants exactly what {_where(earlier.site)} grants "
                f"({grant.permission.action} to {tokens.describe(grant.permission.principal)})",
                value=grant.permission.principal,
            ),
            grant.site,
        )


# --- function URLs ------------------------------------------------------------------------------

URL_WITHOUT_COMPANION = define(
    "LP602",
    Severity.ERROR,
    title="A function URL grant comes with its InvokeFunction companion",
    explanation=(
        "Since October 2025 a call through a function URL needs two statements for the "
        "caller: lambda:InvokeFunctionUrl (with FunctionUrlAuthType) and lambda:InvokeFunction "
        "limited to calls through a function URL (InvokedViaFunctionUrl: true). With only the "
        "first, every call through the URL is refused with 403 Forbidden."
    ),
    fix=(
        "add the second permission: action lambda:InvokeFunction, the same principal, "
        "InvokedViaFunctionUrl: true (FunctionUrlPermission makes both)"
    ),
    doc_url=URL_AUTH_URL,
)

COMPANION_WITHOUT_URL = define(
    "LP603",
    Severity.WARNING,
    title="An InvokedViaFunctionUrl grant comes with its function URL grant",
    explanation=(
        "A lambda:InvokeFunction statement limited to calls through a function URL allows "
        "nothing on its own: the caller also needs lambda:InvokeFunctionUrl on the same "
        "function and qualifier."
    ),
    fix=(
        "add the lambda:InvokeFunctionUrl permission for the same principal, with the URL's "
        "FunctionUrlAuthType, or remove this one"
    ),
    doc_url=URL_AUTH_URL,
)

URL_AUTH_MISMATCH = define(
    "LP604",
    Severity.ERROR,
    title="A function URL grant names the auth type of the function's URL",
    explanation=(
        "lambda:FunctionUrlAuthType in the statement must equal the AuthType of the "
        "AWS::Lambda::Url it is for; otherwise the statement never applies and callers of "
        "the URL are refused."
    ),
    fix="give the permission the FunctionUrlAuthType of the function URL (AWS_IAM or NONE)",
    doc_url=URL_AUTH_URL,
)

URL_GRANT_WITHOUT_URL = define(
    "LP605",
    Severity.WARNING,
    title="A function URL grant is for a function, version or alias that has a URL",
    explanation=(
        "The app defines the function but no AWS::Lambda::Url for it with this qualifier, so "
        "the lambda:InvokeFunctionUrl grant has nothing to apply to (a URL on an alias is "
        "reached through the alias's qualifier, not the function's)."
    ),
    fix=(
        "grant on the function and qualifier that have the URL, or add the URL; remove the "
        "grant if the URL was removed"
    ),
    doc_url=URL_AUTH_URL,
)

AUTH_TYPE_ON_OTHER_ACTION = define(
    "LP606",
    Severity.WARNING,
    title="FunctionUrlAuthType is given only with lambda:InvokeFunctionUrl",
    explanation=(
        "The lambda:FunctionUrlAuthType condition is present only on requests to a function "
        "URL; on another action it limits the statement to URL calls by accident. The "
        "InvokeFunction companion of a URL grant uses InvokedViaFunctionUrl instead."
    ),
    fix=(
        "drop FunctionUrlAuthType from this permission; for the URL companion set "
        "InvokedViaFunctionUrl: true"
    ),
    doc_url=URL_AUTH_URL,
)


def _is_url_grant(permission: Permission) -> bool:
    return permission.action == INVOKE_URL


def _is_companion(permission: Permission) -> bool:
    return permission.action == INVOKE and permission.invoked_via_function_url is True


def _may_be_companion(permission: Permission) -> bool:
    """A companion, or one whose InvokedViaFunctionUrl is a deploy-time value."""
    return permission.action == INVOKE and permission.invoked_via_function_url not in (
        None,
        False,
    )


def _callers(grant: AppGrant) -> tuple[str, str | None]:
    """Who a grant is for: its principal (an account ID and its root ARN alike) and org."""
    return _canonical_principal(grant.permission), grant.permission.principal_org_id


def _canonical_principal(permission: Permission) -> str:
    principal = permission.principal
    kind = permission.principal_kind
    if kind is PrincipalKind.ACCOUNT:
        return f"account:{principal}"
    if kind is PrincipalKind.IAM and principal.endswith(":root"):
        return f"account:{arn_field(principal, 4)}"
    return principal


def _covers_url_calls(grant: AppGrant) -> bool:
    """A grant of InvokeFunction that URL calls meet too: no condition a URL call lacks."""
    permission = grant.permission
    return (
        permission.action in WILDCARD_ACTIONS | {INVOKE}
        and permission.invoked_via_function_url is None
        and permission.function_url_auth_type is None
        and permission.source_arn is None
        and permission.source_account is None
        and permission.event_source_token is None
    )


@_app_rule(URL_WITHOUT_COMPANION)
def url_without_companion(view: AppView) -> Iterator[Finding]:
    """Every lambda:InvokeFunctionUrl grant has an InvokedViaFunctionUrl companion.

    A plain InvokeFunction grant to the same caller (or to everyone) serves as one: it allows
    the calls through the URL too.
    """
    companions = {
        (g.function, g.qualifier, *_callers(g))
        for g in view.grants
        if _may_be_companion(g.permission) or _covers_url_calls(g)
    }
    for grant in view.grants:
        if not _is_url_grant(grant.permission):
            continue
        if tokens.is_unresolved(grant.permission.principal):
            continue  # whose companion it is cannot be told before deploy
        target = (grant.function, grant.qualifier)
        if (*target, *_callers(grant)) in companions or (*target, "*", None) in companions:
            continue
        yield _at(
            URL_WITHOUT_COMPANION.finding(
                f"{_where(grant.site)} grants lambda:InvokeFunctionUrl to "
                f"{grant.permission.principal!r} with no lambda:InvokeFunction permission "
                "limited to function URL calls (InvokedViaFunctionUrl) for the same principal: "
                "every call through the URL is refused",
                parameter="Action",
                value=grant.permission.action,
            ),
            grant.site,
        )


@_app_rule(COMPANION_WITHOUT_URL)
def companion_without_url(view: AppView) -> Iterator[Finding]:
    """Every InvokedViaFunctionUrl grant has a lambda:InvokeFunctionUrl grant beside it.

    A companion for everyone completes every URL grant on its target: one is enough.
    """
    url_grants = {
        (g.function, g.qualifier, *_callers(g)) for g in view.grants if _is_url_grant(g.permission)
    }
    url_targets = {(function, qualifier) for function, qualifier, _, _ in url_grants}
    for grant in view.grants:
        if not _is_companion(grant.permission) or tokens.is_unresolved(grant.permission.principal):
            continue
        target = (grant.function, grant.qualifier)
        if (*target, *_callers(grant)) in url_grants:
            continue
        if _callers(grant) == ("*", None) and target in url_targets:
            continue
        yield _at(
            COMPANION_WITHOUT_URL.finding(
                f"{_where(grant.site)} allows lambda:InvokeFunction through a function URL to "
                f"{grant.permission.principal!r}, but nothing grants it "
                "lambda:InvokeFunctionUrl on the same function and qualifier",
                parameter="InvokedViaFunctionUrl",
                value=True,
            ),
            grant.site,
        )


@_app_rule(URL_AUTH_MISMATCH)
def url_auth_mismatch(view: AppView) -> Iterator[Finding]:
    """A URL grant's FunctionUrlAuthType is the AuthType of the app's URL for that target."""
    urls: dict[tuple[str, str | None], AppUrl] = {(u.function, u.qualifier): u for u in view.urls}
    for grant in view.grants:
        given = _literal(grant.permission.function_url_auth_type)
        url = urls.get((grant.function, grant.qualifier))
        if given is None or url is None or url.auth_type is None or given == url.auth_type:
            continue
        yield _at(
            URL_AUTH_MISMATCH.finding(
                f"{_where(grant.site)} grants for FunctionUrlAuthType {given}, but the "
                f"function URL {_where(url.site)} has AuthType {url.auth_type}: the statement "
                "never applies",
                parameter="FunctionUrlAuthType",
                value=given,
            ),
            grant.site,
        )


@_app_rule(URL_GRANT_WITHOUT_URL)
def url_grant_without_url(view: AppView) -> Iterator[Finding]:
    """A URL grant on a function of the app is for a function and qualifier with a URL."""
    urls = {(u.function, u.qualifier) for u in view.urls}
    for grant in view.grants:
        if not _is_url_grant(grant.permission) or not grant.function_defined:
            continue
        if (grant.function, grant.qualifier) in urls:
            continue
        target = "the function" if grant.qualifier is None else f"qualifier {grant.qualifier!r}"
        yield _at(
            URL_GRANT_WITHOUT_URL.finding(
                f"{_where(grant.site)} grants lambda:InvokeFunctionUrl on {target}, which has "
                "no AWS::Lambda::Url in the app",
                parameter="FunctionName",
                value=grant.permission.function_name,
            ),
            grant.site,
        )


@_app_rule(AUTH_TYPE_ON_OTHER_ACTION)
def auth_type_on_other_action(view: AppView) -> Iterator[Finding]:
    """FunctionUrlAuthType is set only on lambda:InvokeFunctionUrl grants."""
    for grant in view.grants:
        permission = grant.permission
        if permission.function_url_auth_type is None or _is_url_grant(permission):
            continue
        if tokens.is_unresolved(permission.action) or permission.action in WILDCARD_ACTIONS:
            continue
        yield _at(
            AUTH_TYPE_ON_OTHER_ACTION.finding(
                f"{_where(grant.site)} sets FunctionUrlAuthType on {permission.action}, "
                "which limits it to function URL calls",
                parameter="FunctionUrlAuthType",
                value=permission.function_url_auth_type,
            ),
            grant.site,
        )


# --- sources that cannot apply ------------------------------------------------------------------

_TYPE_SERVICE = re.compile(r"AWS::([A-Za-z0-9]+)::")

_SERVICE_OF_NAMESPACE: Mapping[str, str] = {
    "ApiGateway": "execute-api",
    "ApiGatewayV2": "execute-api",
    "Cognito": "cognito-idp",
    "ElasticLoadBalancingV2": "elasticloadbalancing",
    "IoTEvents": "iotevents",
    "Lex": "lex",
    "SES": "ses",
}
"""CloudFormation namespaces whose ARN service is not their name in lower case."""


def _type_service(resource_type: str) -> str | None:
    match = _TYPE_SERVICE.match(resource_type)
    if match is None:
        return None
    namespace = match.group(1)
    return _SERVICE_OF_NAMESPACE.get(namespace, namespace.lower())


@_app_rule(SOURCE_SERVICE)
def source_resource_of_another_service(view: AppView) -> Iterator[Finding]:
    """LP114 from the type of the app's resource, where SourceArn's text does not tell."""
    for grant in view.grants:
        permission = grant.permission
        if grant.source_type is None or permission.source_arn is None:
            continue
        if permission.principal_kind is not PrincipalKind.SERVICE:
            continue
        if not is_known_service(permission.principal):
            continue
        expected = arn_service(permission.principal)
        found = _type_service(grant.source_type)
        if expected is None or found is None or found == expected:
            continue
        if _literal_service(permission.source_arn) is not None:
            continue  # the ARN's own service field decides: the per-permission LP114
        yield _at(
            SOURCE_SERVICE.finding(
                f"SourceArn refers to a {grant.source_type}, but {permission.principal} invokes "
                f"with {expected!r} resources",
                parameter="SourceArn",
                value=permission.source_arn,
            ),
            grant.site,
        )


def _literal_service(arn: str) -> str | None:
    fields = tokens.fields(arn)
    return fields[2] if len(fields) > 2 else None


SOURCE_NEVER_APPLIES = define(
    "LP607",
    Severity.ERROR,
    title="SourceArn and SourceAccount are given only with a service principal",
    explanation=(
        "aws:SourceArn and aws:SourceAccount are set when an AWS service calls on behalf of a "
        "resource. A call by an account or an IAM identity carries neither, so a statement "
        "for such a principal with either condition never applies."
    ),
    fix=(
        "drop SourceArn and SourceAccount for an account or IAM principal, or grant to the "
        "service principal that invokes on behalf of the source"
    ),
    doc_url=RESOURCE_POLICY_URL,
)


@_app_rule(SOURCE_NEVER_APPLIES)
def source_never_applies(view: AppView) -> Iterator[Finding]:
    """No SourceArn or SourceAccount with an account or IAM principal."""
    for grant in view.grants:
        permission = grant.permission
        if permission.principal_kind not in (PrincipalKind.ACCOUNT, PrincipalKind.IAM):
            continue
        for parameter, value in (
            ("SourceArn", permission.source_arn),
            ("SourceAccount", permission.source_account),
        ):
            if value is None:
                continue
            yield _at(
                SOURCE_NEVER_APPLIES.finding(
                    f"{parameter} is set for the principal {permission.principal!r}, whose "
                    "calls never carry it: the statement never applies",
                    parameter=parameter,
                    value=value,
                ),
                grant.site,
            )


# --- where the function is ----------------------------------------------------------------------


def _arn_environment(function: str) -> tuple[str | None, str | None]:
    fields = tokens.fields(function)
    region = fields[3] if len(fields) > 3 else None
    account = fields[4] if len(fields) > 4 else None
    return _literal(account), _literal(region)


@_app_rule(FUNCTION_ACCOUNT)
def foreign_function(view: AppView) -> Iterator[Finding]:
    """LP205 for every grant: the function is in the granting stack's account and region."""
    for grant in view.grants:
        account, region = _arn_environment(grant.function)
        for what, theirs, ours in (
            ("account", account, grant.stack_account),
            ("region", region, grant.stack_region),
        ):
            if theirs is None or ours is None or theirs == ours:
                continue
            yield _at(
                FUNCTION_ACCOUNT.finding(
                    f"{_where(grant.site)} grants on a function in {what} {theirs}, but its "
                    f"stack deploys to {what} {ours}",
                    parameter="FunctionName",
                    value=grant.permission.function_name,
                ),
                grant.site,
            )


# --- one kind of policy resource per function ----------------------------------------------------

BOTH_POLICY_KINDS = define(
    "LP609",
    Severity.ERROR,
    title="A function, version or alias has one ResourcePolicy, or Permission resources",
    explanation=(
        "An AWS::Lambda::ResourcePolicy sets the whole policy document of its function, "
        "version or alias, and overwrites the statements AWS::Lambda::Permission resources "
        "add to the same one (CloudFormation warns against using both); a second "
        "ResourcePolicy for the same one overwrites the first."
    ),
    fix=(
        "move the grants into the ResourcePolicy document (use_resource_policy(scope) does it "
        "for this library's constructs), or remove the ResourcePolicy; keep one "
        "ResourcePolicy per function, version or alias"
    ),
    doc_url=RESOURCE_POLICY_CFN_URL,
)


@_app_rule(BOTH_POLICY_KINDS)
def both_policy_kinds(view: AppView) -> Iterator[Finding]:
    """A function and qualifier has one AWS::Lambda::ResourcePolicy, or permissions."""
    by_target: dict[tuple[str, str | None], list[AppGrant]] = {}
    for grant in view.grants:
        if not grant.document:
            by_target.setdefault((grant.function, grant.qualifier), []).append(grant)
    first: dict[tuple[str, str | None], AppDocument] = {}
    for document in view.documents:
        key = (document.function, document.qualifier)
        earlier = first.setdefault(key, document)
        if earlier is not document:
            yield _at(
                BOTH_POLICY_KINDS.finding(
                    f"{_where(document.site)} and {_where(earlier.site)} are both the whole "
                    "policy of the same function and qualifier: the one deployed last "
                    "overwrites the other",
                    value=document.function,
                ),
                document.site,
            )
        grants = by_target.get(key, [])
        if not grants:
            continue
        listed = ", ".join(_where(g.site) for g in grants[:5])
        more = f" and {len(grants) - 5} more" if len(grants) > 5 else ""
        yield _at(
            BOTH_POLICY_KINDS.finding(
                f"{_where(document.site)} is the whole policy of the function and qualifier "
                f"that {len(grants)} AWS::Lambda::Permission resources also grant on ({listed}"
                f"{more}): the document overwrites their statements",
                value=document.function,
            ),
            document.site,
        )


# --- the platform team's choices ---------------------------------------------------------------

OUTSIDE_ALLOWED = define(
    "LP610",
    Severity.ERROR,
    title="A grant names only allowed accounts and organizations",
    explanation=(
        "The app's guard lists the accounts and organizations grants may name "
        "(PermissionGuard(allowed_accounts=..., allowed_org_ids=...)); a principal, "
        "SourceAccount or PrincipalOrgID outside them, or a grant to everyone with no "
        "organization, lets someone else in."
    ),
    fix=(
        "grant to an allowed account or organization, or have the platform team add it to "
        "the guard's list"
    ),
    doc_url=RESOURCE_POLICY_URL,
)


def _principal_account(permission: Permission) -> str | None:
    """The account an account or IAM principal names; "" when it is known at deploy time only.

    A principal whose kind is known only at deploy time (a parameter, an imported value) may
    name an account too, so its account is unknown as well; never taken as allowed.
    """
    kind = permission.principal_kind
    if kind is PrincipalKind.ACCOUNT:
        return _literal(permission.principal) or ""
    if kind is PrincipalKind.IAM:
        return _literal(arn_field(permission.principal, 4)) or ""
    if kind is PrincipalKind.UNKNOWN:
        return ""
    return None


@_app_rule(OUTSIDE_ALLOWED)
def outside_allowed(view: AppView) -> Iterator[Finding]:
    """Every account and organization a grant names is on the guard's lists."""
    accounts, orgs = view.allowed_accounts, view.allowed_org_ids
    if accounts is None and orgs is None:
        return
    for grant in view.grants:
        if accounts is not None and _principal_account(grant.permission) == "":
            # AWS::AccountId, AccountRootPrincipal() in an environment-agnostic stack...
            yield _at(
                OUTSIDE_ALLOWED.not_evaluated(
                    "Principal", grant.permission.principal, "the principal's account"
                ),
                grant.site,
            )
        for parameter, value, allowed in _named_parties(grant.permission, accounts, orgs):
            yield _at(
                OUTSIDE_ALLOWED.finding(
                    f"{parameter} {value!r} is not one of the allowed "
                    + ("accounts" if allowed is accounts else "organizations")
                    + f" ({', '.join(sorted(allowed or ())) or 'none'})",
                    parameter=parameter,
                    value=value,
                ),
                grant.site,
            )


def _named_parties(
    permission: Permission, accounts: frozenset[str] | None, orgs: frozenset[str] | None
) -> Iterator[tuple[str, str, frozenset[str] | None]]:
    """``(parameter, value, allowed)`` for each party the grant names that is not allowed."""
    if accounts is not None:
        account = _principal_account(permission)
        if account and account not in accounts:
            yield "Principal", permission.principal, accounts
        source = _literal(permission.source_account)
        if source is not None and source not in accounts:
            yield "SourceAccount", source, accounts
    org = _literal(permission.principal_org_id)
    if orgs is not None and org is not None and org not in orgs:
        yield "PrincipalOrgID", org, orgs
    if permission.principal_kind is PrincipalKind.ANYONE and permission.principal_org_id is None:
        has_source = permission.source_account is not None or permission.source_arn is not None
        # A public function URL (or, deploy-time, maybe one): LP306's and LP301's to report.
        public_url = permission.function_url_auth_type == "NONE" or (
            permission.invoked_via_function_url not in (None, False)
        )
        if not has_source and not public_url:
            allowed = orgs if orgs is not None else accounts
            yield "Principal", permission.principal, allowed


NOT_FROM_LIBRARY = define(
    "LP611",
    Severity.ERROR,
    title="Every grant is made by this library's constructs",
    explanation=(
        "The app's guard requires every Lambda permission to come from constructs-lambdaperm's "
        "constructs (PermissionGuard(require_constructs=True)), which check what they grant "
        "and document it; this one was made by another construct or a raw CfnPermission."
    ),
    fix=(
        "replace the grant with the construct for its kind (S3InvokePermission, "
        "CrossAccountPermission, ServiceInvokePermission...), or ask the platform team to "
        "turn require_constructs off"
    ),
    doc_url=RESOURCE_POLICY_URL,
)


@_app_rule(NOT_FROM_LIBRARY)
def not_from_library(view: AppView) -> Iterator[Finding]:
    """With ``require_constructs``, every grant was made by this library."""
    if not view.require_constructs:
        return
    for grant in view.grants:
        if grant.by_library is False:
            yield _at(
                NOT_FROM_LIBRARY.finding(
                    f"{_where(grant.site)} was not made by a constructs-lambdaperm construct",
                    value=grant.site.logical_id,
                ),
                grant.site,
            )
        elif grant.by_library is None:
            yield _at(
                NOT_FROM_LIBRARY.not_evaluated(
                    "Metadata", None, f"who made {_where(grant.site)} (no construct metadata)"
                ),
                grant.site,
            )
