"""A cloud assembly "deployed" into moto, as CloudFormation would deploy it, for verify's tests.

moto 5.2.5's CloudFormation deploys most of a CDK stack itself (``create_stack``): roles,
functions, versions, buckets, and the ``AWS::Lambda::Permission`` resources on a function,
with CloudFormation's generated physical names, so ``DescribeStackResource`` answers as it
would on AWS. It does not implement ``AWS::Lambda::Alias`` or ``AWS::Lambda::Url``, and a
permission whose ``FunctionName`` is a ``Ref`` of a version or alias makes it fail; those are
left out of the stack and made with Lambda's API instead (``CreateAlias``, and
``AddPermission`` with ``Qualifier`` and the template's parameters), as CloudFormation would.
A stack's ``BootstrapVersion`` parameter is read from SSM, as in a bootstrapped account.

moto writes the statements its own way (facts sheet §8): every key of the request leaks into
the statement (``FunctionName``, ``FunctionUrlAuthType``...), Sids are UUIDs, principals stay
bare strings. verify must read them as AWS's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

ACCOUNT = "123456789012"
"""moto's default account."""
REGION = "us-east-1"
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"

_UNSUPPORTED = {"AWS::Lambda::Alias", "AWS::Lambda::Url", "AWS::CDK::Metadata"}
_QUALIFIED = {"AWS::Lambda::Alias", "AWS::Lambda::Version"}


@dataclass
class Deployed:
    """What was deployed: each stack's physical IDs by logical ID."""

    physical: dict[str, dict[str, str]] = field(default_factory=dict)
    """Stack name -> logical ID -> physical ID."""

    def function(self, stack: str, logical_id: str) -> str:
        """The deployed name of a function."""
        return self.physical[stack][logical_id]


def client(service: str, endpoint: str, region: str = REGION) -> Any:
    """A client of moto's server (fake credentials)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def stacks_of(assembly: Path) -> Iterator[tuple[str, Path]]:
    """``(stack name, template file)`` of every stack of a cloud assembly, Stages' included."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    for artifact_id, artifact in manifest["artifacts"].items():
        properties = artifact.get("properties") or {}
        if artifact["type"] == "aws:cloudformation:stack":
            yield properties.get("stackName", artifact_id), assembly / properties["templateFile"]
        elif artifact["type"] == "cdk:cloud-assembly":
            yield from stacks_of(assembly / properties["directoryName"])


def deploy(assembly: Path, endpoint: str, region: str = REGION) -> Deployed:
    """Deploy every stack of ``assembly`` into moto's server at ``endpoint``."""
    ssm = client("ssm", endpoint, region)
    ssm.put_parameter(Name=BOOTSTRAP_PARAMETER, Value="30", Type="String", Overwrite=True)
    deployed = Deployed()
    for name, template_file in stacks_of(assembly):
        deployed.physical[name] = _deploy_stack(
            name, json.loads(template_file.read_text()), endpoint, region
        )
    return deployed


def _deploy_stack(
    name: str, template: Mapping[str, Any], endpoint: str, region: str
) -> dict[str, str]:
    resources = template["Resources"]
    kinds = {logical_id: r["Type"] for logical_id, r in resources.items()}
    later = {
        logical_id
        for logical_id, r in resources.items()
        if r["Type"] in _UNSUPPORTED
        or (
            r["Type"] == "AWS::Lambda::Permission"
            and kinds.get(_referenced(r["Properties"]["FunctionName"]) or "") in _QUALIFIED
        )
    }
    body = copy.deepcopy(dict(template))
    body["Resources"] = {k: v for k, v in resources.items() if k not in later}
    cfn = client("cloudformation", endpoint, region)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_IAM"])
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    }
    lam = client("lambda", endpoint, region)
    for logical_id, kind in kinds.items():
        if kind == "AWS::Lambda::Version" and not physical.get(logical_id):
            # moto's CloudFormation publishes the version but gives it no physical ID (AWS:
            # the version's ARN).
            function = physical[
                _referenced(resources[logical_id]["Properties"]["FunctionName"]) or ""
            ]
            versions = lam.list_versions_by_function(FunctionName=function)["Versions"]
            physical[logical_id] = versions[-1]["FunctionArn"]
    for logical_id in sorted(later, key=lambda lid: kinds[lid] != "AWS::Lambda::Alias"):
        resource = resources[logical_id]
        properties = resource["Properties"]
        if resource["Type"] == "AWS::Lambda::Alias":
            function = physical[_referenced(properties["FunctionName"]) or ""]
            version = _value(properties["FunctionVersion"], physical, resources)
            lam.create_alias(
                FunctionName=function, Name=properties["Name"], FunctionVersion=version
            )
            physical[logical_id] = (
                f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function}:{properties['Name']}"
            )
        elif resource["Type"] == "AWS::Lambda::Permission":
            target = _referenced(properties["FunctionName"]) or ""
            qualifier = physical[target].rsplit(":", 1)[-1]
            function = physical[target].split(":")[6]
            add_permission(
                lam,
                function,
                {
                    k: _value(v, physical, resources)
                    for k, v in properties.items()
                    if k != "FunctionName"
                },
                qualifier=qualifier,
                sid=f"{name}-{logical_id}-XXXXXXXXXXXX"[:100],
            )
    return physical


def add_permission(
    lam: Any, function: str, properties: Mapping[str, Any], *, qualifier: str | None, sid: str
) -> None:
    """AddPermission with the parameters of an ``AWS::Lambda::Permission``'s properties."""
    arguments: dict[str, Any] = {"FunctionName": function, "StatementId": sid}
    if qualifier is not None:
        arguments["Qualifier"] = qualifier
    for key in (
        "Action",
        "Principal",
        "SourceArn",
        "SourceAccount",
        "PrincipalOrgID",
        "EventSourceToken",
        "FunctionUrlAuthType",
        "InvokedViaFunctionUrl",
    ):
        if key in properties:
            arguments[key] = properties[key]
    lam.add_permission(**arguments)


def _referenced(value: Any) -> str | None:
    if isinstance(value, Mapping) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def _value(value: Any, physical: Mapping[str, str], resources: Mapping[str, Any]) -> Any:
    """A property value, with Ref and Fn::GetAtt of deployed resources (the few tests use)."""
    referenced = _referenced(value)
    if referenced is None:
        return value
    found = physical[referenced]
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        attribute = value["Fn::GetAtt"][1]
        if attribute == "Version":
            return found.rsplit(":", 1)[-1]
        if resources[referenced]["Type"] == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{found}"
    if resources[referenced]["Type"] == "AWS::Lambda::Version":
        return found.rsplit(":", 1)[-1]
    return found


# --- moto's server, with faults injected -------------------------------------------------------


@dataclass
class Faults:
    """Errors the server answers instead of moto, for Lambda's policy reads.

    ``denied``: function names whose ``GetPolicy`` is refused (403 AccessDeniedException, as
    Lambda answers a caller without ``lambda:GetPolicy``); ``throttled``: function names and
    how many ``GetPolicy`` requests on each are throttled (429 TooManyRequestsException) before
    moto answers. ``seen`` records every request's method and path.
    """

    denied: set[str] = field(default_factory=set)
    throttled: dict[str, int] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)

    def clear(self) -> None:
        self.denied.clear()
        self.throttled.clear()
        self.seen.clear()


class Server:
    """moto's server on 127.0.0.1 and a free port, behind a WSGI wrapper that injects faults.

    The same application ``moto.server.ThreadedMotoServer`` runs; the wrapper answers, for the
    functions named in :attr:`faults`, what Lambda answers a caller it refuses or throttles, so
    that botocore's real error parsing and standard retry mode run in the command under test.
    """

    def __init__(self) -> None:
        import threading

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class _Quiet(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self.faults = Faults()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", 0, self._wsgi, True, request_handler=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        self.faults.seen.append((environ.get("REQUEST_METHOD", ""), path))
        parts = path.split("/")
        # GET /2015-03-31/functions/{name}/policy
        if len(parts) == 5 and parts[2] == "functions" and parts[4] == "policy":
            name = function_name(parts[3])
            if name in self.faults.denied:
                return _error(
                    start_response,
                    "403 Forbidden",
                    "AccessDeniedException",
                    f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized to perform: "
                    f"lambda:GetPolicy on resource: arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
                    f"{name} because no identity-based policy allows the lambda:GetPolicy action",
                )
            if self.faults.throttled.get(name, 0) > 0:
                self.faults.throttled[name] -= 1
                return _error(
                    start_response,
                    "429 Too Many Requests",
                    "TooManyRequestsException",
                    "Rate exceeded",
                )
        return self._moto(environ, start_response)

    def policy_reads(self, function: str) -> int:
        """How many ``GetPolicy`` requests reached the server for ``function`` (faults included)."""
        return sum(
            1
            for method, path in self.faults.seen
            if method == "GET"
            and path.split("/")[2:3] == ["functions"]
            and path.endswith("/policy")
            and function_name(path.split("/")[3]) == function
        )

    def reset(self) -> None:
        """Forget every resource and fault (moto's own reset endpoint)."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"))
        self.faults.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


def function_name(given: str) -> str:
    """The function's name in a FunctionName (a name, a partial ARN or an ARN, qualified or not)."""
    parts = given.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _error(start_response: Any, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"Type": "User", "message": message}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", "fault-injected"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]
