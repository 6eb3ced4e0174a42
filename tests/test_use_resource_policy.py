"""use_resource_policy: the same grants as one AWS::Lambda::ResourcePolicy per function and
qualifier, with the real CDK (synthesized apps, the guard as a validation plugin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam, aws_lambda
from syrupy.assertion import SnapshotAssertion

from conftest import ACCOUNT, REGION, plugin_violations
from constructs_lambdaperm import (
    ApiGatewayInvokePermission,
    CrossAccountPermission,
    FunctionUrlPermission,
    OrgPermission,
    PermissionGuard,
    PermissionValidationError,
    ResourcePolicy,
    S3InvokePermission,
    resource_policies,
    use_resource_policy,
)
from constructs_lambdaperm._cdk.resource_policy import logical_id
from constructs_lambdaperm.testing import assert_can_invoke, assert_cannot_invoke

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
PARTNER = "223456789012"
ROUTES = 80
DOCUMENT = "AWS::Lambda::ResourcePolicy"
PERMISSION = "AWS::Lambda::Permission"


def _function(scope: cdk.Stack, id: str, name: str | None = None) -> aws_lambda.Function:
    return aws_lambda.Function(
        scope,
        id,
        function_name=name,
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(event, context): pass"),
    )


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _template(assembly: cdk.cx_api.CloudAssembly, stack: str) -> dict[str, Any]:
    return dict(assembly.get_stack_by_name(stack).template)


API_ID = "abcde12345"


def _api_app(*, document: bool) -> tuple[cdk.App, list[ApiGatewayInvokePermission]]:
    """A function behind 80 API Gateway methods, each granted by its own route's permission."""
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders", name="orders-api")
    grants = [
        ApiGatewayInvokePermission(
            stack,
            f"Report{i:02d}",
            function=fn,
            api_id=API_ID,
            stage="prod",
            method="GET",
            path=f"/report{i:02d}",
        )
        for i in range(ROUTES)
    ]
    CrossAccountPermission(stack, "Partner", function=fn, principal=PARTNER)
    if document:
        use_resource_policy(app)  # after the grants: their permissions move into the document
    return app, grants


@pytest.fixture(scope="module")
def as_permissions() -> tuple[cdk.App, list[ResourcePolicy], str]:
    app, _ = _api_app(document=False)
    policies = resource_policies(app)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    return app, policies, (Path(app.outdir) / "validation-report.json").read_text()


@pytest.fixture(scope="module")
def as_document() -> tuple[
    cdk.App, list[ApiGatewayInvokePermission], dict[str, Any], list[ResourcePolicy]
]:
    app, grants = _api_app(document=True)
    assembly = app.synth()
    return app, grants, _template(assembly, "Api"), resource_policies(app)


def test_eighty_routes_overflow_as_permissions(
    as_permissions: tuple[cdk.App, list[ResourcePolicy], str],
) -> None:
    _, policies, report = as_permissions
    (policy,) = policies
    assert len(policy.statements) == ROUTES + 1
    assert policy.known_size > 20480
    assert '"ruleName": "LP401"' in report


def test_eighty_routes_fit_in_one_consolidated_document(
    as_document: tuple[
        cdk.App, list[ApiGatewayInvokePermission], dict[str, Any], list[ResourcePolicy]
    ],
    as_permissions: tuple[cdk.App, list[ResourcePolicy], str],
) -> None:
    app, grants, template, policies = as_document
    assert plugin_violations(app) == []  # synth passed, and the guard found nothing
    assert _resources(template, PERMISSION) == {}
    (document,) = _resources(template, DOCUMENT).values()
    statements = document["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements) == 2  # the routes, and the partner account
    (policy,) = policies
    assert policy.from_document
    assert policy.size < 20480
    assert policy.permissions_size is not None
    assert policy.permissions_size > 20480
    # The document is sized as the permissions were: the same bounds for the same values.
    (before,) = as_permissions[1]
    assert policy.permissions_size == before.size
    for grant in grants:
        assert grant.permissions == []
        assert grant.resource_policy is not None
    assert grants[0].resource_policy is grants[-1].resource_policy


def test_eighty_routes_are_one_statement_listing_eighty_source_arns(
    as_document: tuple[
        cdk.App, list[ApiGatewayInvokePermission], dict[str, Any], list[ResourcePolicy]
    ],
) -> None:
    _, _, template, _ = as_document
    (document,) = _resources(template, DOCUMENT).values()
    routes, partner = document["Properties"]["PolicyDocument"]["Statement"]
    arns = routes["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert [a["Fn::Join"][1][-1] for a in arns] == [
        f":execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/GET/report{i:02d}" for i in range(ROUTES)
    ]
    assert routes["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    assert partner["Principal"]["AWS"]["Fn::Join"][1][-1] == f":iam::{PARTNER}:root"
    grants = document["Metadata"]["lambdaperm:grants"]
    assert [path for path, _ in grants[0]] == [f"Api/Report{i:02d}" for i in range(ROUTES)]
    assert grants[1] == [["Api/Partner", logical_id(["Partner", "Resource"])]]


def _mixed_app() -> cdk.App:
    """One function granted every way: routes, a bucket, partners, an organization, a URL."""
    app = cdk.App()
    stack = cdk.Stack(app, "Mixed", env=ENV)
    fn = _function(stack, "Orders", name="orders")
    live = aws_lambda.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    aws_lambda.CfnUrl(stack, "Url", target_function_arn=fn.function_arn, auth_type="AWS_IAM")
    use_resource_policy(app)
    for method, path in (("GET", "/orders"), ("POST", "/orders"), ("GET", "/orders/*")):
        ApiGatewayInvokePermission(
            stack,
            f"{method}{path.replace('/', '_')}",
            function=fn,
            api_id="abcde12345",
            stage="prod",
            method=method,
            path=path,
        )
    S3InvokePermission(
        stack, "Uploads", function=fn, bucket_arn="arn:aws:s3:::uploads", source_account=ACCOUNT
    )
    S3InvokePermission(
        stack, "Archive", function=fn, bucket_arn="arn:aws:s3:::archive", source_account=ACCOUNT
    )
    for partner in (PARTNER, "323456789012"):
        CrossAccountPermission(stack, f"Partner{partner[:3]}", function=fn, principal=partner)
        FunctionUrlPermission(
            stack, f"Url{partner[:3]}", function=fn, auth_type="AWS_IAM", principal=partner
        )
    OrgPermission(stack, "Org", function=live, org_id="o-a1b2c3d4e5")
    return app


@pytest.fixture(scope="module")
def mixed() -> tuple[cdk.App, dict[str, Any]]:
    app = _mixed_app()
    return app, _template(app.synth(), "Mixed")


def test_the_consolidated_documents(
    mixed: tuple[cdk.App, dict[str, Any]], snapshot_json: SnapshotAssertion
) -> None:
    app, template = mixed
    assert plugin_violations(app) == []
    assert _resources(template, PERMISSION) == {}
    assert _resources(template, DOCUMENT) == snapshot_json


def test_the_test_helpers_read_documents(mixed: tuple[cdk.App, dict[str, Any]]) -> None:
    app, _ = mixed
    assert_can_invoke(app, function="orders", principal=PARTNER)
    assert_can_invoke(
        app,
        function="orders",
        principal=PARTNER,
        via_function_url=True,
        function_url_auth_type="AWS_IAM",
    )
    assert_can_invoke(
        app,
        function="orders",
        principal="s3.amazonaws.com",
        source_arn="arn:aws:s3:::archive",
        source_account=ACCOUNT,
    )
    assert_cannot_invoke(
        app,
        function="orders",
        principal="s3.amazonaws.com",
        source_arn="arn:aws:s3:::archive",
        source_account=PARTNER,
    )
    assert_cannot_invoke(app, function="orders", principal="444455556666")


def test_the_document_lets_in_exactly_whom_the_permissions_did(
    as_document: tuple[
        cdk.App, list[ApiGatewayInvokePermission], dict[str, Any], list[ResourcePolicy]
    ],
    as_permissions: tuple[cdk.App, list[ResourcePolicy], str],
) -> None:
    (after,) = as_document[3]
    (before,) = as_permissions[1]
    requests: list[dict[str, Any]] = [
        {"principal": PARTNER},
        {"principal": "323456789012"},
        {"principal": PARTNER, "action": "lambda:GetFunction"},
        {"principal": "anonymous"},
    ]
    for route in ("report00", "report41", "report79", "report80", "reports"):
        for stage in ("prod", "dev"):
            for account in (ACCOUNT, PARTNER):
                arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/GET/{route}"
                requests.append(
                    {
                        "principal": "apigateway.amazonaws.com",
                        "source_arn": arn,
                        "source_account": account,
                    }
                )
    answers = [after.allows(**request) for request in requests]
    assert answers == [before.allows(**request) for request in requests]
    assert answers.count(True) == 1 + 3  # the partner, and three routes of prod from the account


def test_called_before_the_grants_the_same_document_is_written() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    use_resource_policy(stack)
    fn = _function(stack, "Orders", name="orders-api")
    grant = S3InvokePermission(
        stack, "Uploads", function=fn, bucket_arn="arn:aws:s3:::uploads", source_account=ACCOUNT
    )
    template = _template(app.synth(), "Api")
    assert _resources(template, PERMISSION) == {}
    assert grant.permissions == []
    assert grant.resource_policy is not None
    (document,) = _resources(template, DOCUMENT).values()
    assert document["Metadata"]["lambdaperm:grants"] == [
        [["Api/Uploads", logical_id(["Uploads", "Resource"])]]
    ]


def test_the_logical_id_recorded_is_the_one_the_cdk_gives() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    nested = cdk.Stack(app, "Other", env=ENV)
    fn = _function(stack, "Fn")
    for scope, name in ((stack, "A-b"), (nested, "Default")):
        grant = CrossAccountPermission(scope, name, function="orders", principal=PARTNER)
        cfn = grant.permissions[0]
        assert cdk.Stack.of(cfn).resolve(cfn.logical_id) == logical_id([name, "Resource"])
    assert fn.node.id == "Fn"


def test_a_function_scope_takes_the_grants_on_it_and_its_aliases_only() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders")
    other = _function(stack, "Reports")
    live = aws_lambda.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    on_fn = CrossAccountPermission(stack, "OnFn", function=fn, principal=PARTNER)
    on_alias = OrgPermission(stack, "OnAlias", function=live, org_id="o-a1b2c3d4e5")
    use_resource_policy(fn)
    on_other = CrossAccountPermission(stack, "OnOther", function=other, principal=PARTNER)
    template = _template(app.synth(), "Api")
    assert on_fn.resource_policy is not None
    assert on_alias.resource_policy is not None
    assert on_fn.resource_policy is not on_alias.resource_policy  # one per qualifier
    assert on_other.resource_policy is None
    assert len(on_other.permissions) == 1
    assert len(_resources(template, DOCUMENT)) == 2
    assert list(_resources(template, PERMISSION)) == [
        stack.resolve(on_other.permissions[0].logical_id)
    ]
    assert plugin_violations(app) == []


def test_a_permission_of_aws_cdk_beside_a_document_fails_synth() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders")
    use_resource_policy(stack)
    CrossAccountPermission(stack, "Partner", function=fn, principal=PARTNER)
    fn.add_permission("Ops", principal=aws_iam.AccountPrincipal("323456789012"))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    violations = plugin_violations(app)
    assert [(rule, severity) for rule, severity, _ in violations] == [("LP609", "fatal")]
    report = (Path(app.outdir) / "validation-report.json").read_text()
    assert "Api/Orders/Ops" in report
    assert "use_resource_policy(scope)" in report


def test_a_grant_from_another_stack_is_refused_naming_both_stacks() -> None:
    app = cdk.App()
    functions = cdk.Stack(app, "Functions", env=ENV)
    api = cdk.Stack(app, "Api", env=ENV)
    fn = _function(functions, "Orders")
    use_resource_policy(app)
    CrossAccountPermission(functions, "Partner", function=fn, principal=PARTNER)
    with pytest.raises(PermissionValidationError) as refused:
        CrossAccountPermission(api, "Ops", function=fn, principal="323456789012")
    message = str(refused.value)
    assert "LambdaPerm::LP609" in message
    assert "'Api'" in message
    assert "'Functions'" in message
    assert "make every grant on this function and qualifier in one stack" in message


def test_grants_made_in_two_stacks_are_refused_when_the_scope_is_chosen_after() -> None:
    app = cdk.App()
    functions = cdk.Stack(app, "Functions", env=ENV)
    api = cdk.Stack(app, "Api", env=ENV)
    fn = _function(functions, "Orders")
    CrossAccountPermission(functions, "Partner", function=fn, principal=PARTNER)
    CrossAccountPermission(api, "Ops", function=fn, principal="323456789012")
    with pytest.raises(PermissionValidationError, match="'Api'"):
        use_resource_policy(app)


def test_the_document_of_grants_in_another_stack_than_the_function_is_in_theirs() -> None:
    # Every grant in one stack: the document goes there, where the CfnPermissions would be,
    # so no reference goes the other way (the API stack already refers to the function's).
    app = cdk.App()
    functions = cdk.Stack(app, "Functions", env=ENV)
    api_stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(functions, "Orders")
    imported = aws_lambda.Function.from_function_arn(
        api_stack, "BillingFn", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing"
    )
    use_resource_policy(app)
    for i in range(3):
        ApiGatewayInvokePermission(
            api_stack, f"R{i}", function=fn, api_id="abcde12345", method="GET", path=f"/r{i}"
        )
    ApiGatewayInvokePermission(api_stack, "Billing", function=imported, api_id="abcde12345")
    assembly = app.synth()
    assert _resources(_template(assembly, "Functions"), DOCUMENT) == {}
    documents = _resources(_template(assembly, "Api"), DOCUMENT)
    assert sorted(
        d["Properties"]["ResourceArn"] == imported.function_arn for d in documents.values()
    ) == [False, True]
    assert plugin_violations(app) == []


def test_an_alias_named_in_the_function_name_is_created_before_the_document() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders")
    use_resource_policy(stack)
    CrossAccountPermission(stack, "Partner", function=fn, qualifier="live", principal=PARTNER)
    alias = aws_lambda.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    template = _template(app.synth(), "Api")
    (document,) = _resources(template, DOCUMENT).values()
    assert stack.resolve(alias.node.default_child.logical_id) in document["DependsOn"]  # type: ignore[union-attr]


def test_an_acknowledged_grant_is_accepted_in_a_document_and_an_unacknowledged_one_refused() -> (
    None
):
    for acknowledged in (True, False):
        app = cdk.App()
        stack = cdk.Stack(app, "Web", env=ENV)
        fn = _function(stack, "Hook")
        aws_lambda.FunctionUrl(
            stack, "Url", function=fn, auth_type=aws_lambda.FunctionUrlAuthType.NONE
        )
        use_resource_policy(stack)
        grant = FunctionUrlPermission(stack, "Public", function=fn, auth_type="NONE", principal="*")
        if acknowledged:
            cdk.Validations.of(grant).acknowledge(
                cdk.Acknowledgment(id="LambdaPerm::LP306", reason="a public webhook, SEC-12")
            )
        # aws-cdk's FunctionUrl(auth_type=NONE) adds its own two permissions: the document
        # would overwrite them (LP609), so they are left out here.
        for child in list(fn.node.children):
            if isinstance(child, aws_lambda.CfnPermission):
                fn.node.try_remove_child(child.node.id)
        if acknowledged:
            app.synth()
            assert plugin_violations(app) == []
        else:
            with pytest.raises(Exception, match="ValidationFailed"):
                app.synth()
            violations = plugin_violations(app)
            assert ("LP306", "error", ["Web/Public"]) in violations


def test_grants_in_a_stage_go_into_documents_too() -> None:
    app = cdk.App()
    stage = cdk.Stage(app, "Prod", env=ENV)
    stack = cdk.Stack(stage, "Api")
    fn = _function(stack, "Orders")
    use_resource_policy(app)
    CrossAccountPermission(stack, "Partner", function=fn, principal=PARTNER)
    assembly = stage.synth()
    template = dict(assembly.get_stack_by_name("Prod-Api").template)
    assert len(_resources(template, DOCUMENT)) == 1
    assert _resources(template, PERMISSION) == {}
    app.synth()
    assert plugin_violations(app) == []


def test_another_synth_writes_the_same_document() -> None:
    def build() -> str:
        app, _ = _api_app(document=True)
        template = _template(app.synth(), "Api")
        return json.dumps(_resources(template, DOCUMENT), sort_keys=True)

    assert build() == build()


def test_a_guard_that_requires_this_librarys_constructs_sees_them_in_documents() -> None:
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(PermissionGuard(require_constructs=True))
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders")
    use_resource_policy(stack)
    CrossAccountPermission(stack, "Partner", function=fn, principal=PARTNER)
    app.synth()
    assert plugin_violations(app) == []


def test_deploy_time_principals_take_the_kind_their_construct_grants_to() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    fn = _function(stack, "Orders")
    partner = cdk.CfnParameter(stack, "PartnerAccount", type="String")
    use_resource_policy(stack)
    CrossAccountPermission(stack, "Partner", function=fn, principal=partner.value_as_string)
    template = _template(app.synth(), "Api")
    (document,) = _resources(template, DOCUMENT).values()
    (statement,) = document["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Ref": "PartnerAccount"}}


def test_a_function_name_known_only_at_deploy_time_is_refused_with_the_fix() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    name = cdk.CfnParameter(stack, "FunctionName", type="String")
    use_resource_policy(stack)
    with pytest.raises(PermissionValidationError, match="complete ARN") as refused:
        CrossAccountPermission(stack, "Partner", function=name.value_as_string, principal=PARTNER)
    assert "Fn.sub(" in str(refused.value)


def test_without_use_resource_policy_nothing_changes() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=ENV)
    grant = CrossAccountPermission(stack, "Partner", function="orders", principal=PARTNER)
    assert len(grant.permissions) == 1
    assert grant.resource_policy is None
    template = _template(app.synth(), "Api")
    assert _resources(template, DOCUMENT) == {}
    assert len(_resources(template, PERMISSION)) == 1


def test_cfn_lint_finds_nothing_on_the_document(
    as_document: tuple[
        cdk.App, list[ApiGatewayInvokePermission], dict[str, Any], list[ResourcePolicy]
    ],
    tmp_path: Path,
) -> None:
    from cfnlint.api import ManualArgs, lint_file

    path = tmp_path / "Api.template.json"
    path.write_text(json.dumps(as_document[2]))
    # I1022 (use Fn::Sub rather than Fn::Join) is about how the CDK writes its tokens, which
    # it writes alike in AWS::Lambda::Permission resources.
    matches = lint_file(
        path,
        config=ManualArgs(regions=[REGION], include_checks=["I"], ignore_checks=["I1022"]),
    )
    documents = set(_resources(as_document[2], DOCUMENT))
    assert [str(m) for m in matches if len(m.path) > 1 and m.path[1] in documents] == []
