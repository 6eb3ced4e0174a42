"""Field constraints of AddPermission, read from botocore's copy of Lambda's service model.

A permission this library emits must pass both the Lambda API and CloudFormation's schema for
``AWS::Lambda::Permission``. botocore's model is the binding source for most constraints; where
the CloudFormation schema is stricter (FunctionName: 140 characters and no dots; shorter maximum
lengths; non-empty values) the stricter rule applies. The CloudFormation side is written down in
``_CLOUDFORMATION`` below, and ``tests/test_api_model.py`` compares both sides with the installed
botocore model and with the schema cfn-lint ships, so a change in either fails a test.

Loading botocore's model costs about 15 ms, so it happens once, on first use, not at import.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pattern import Pattern

# AddPermission request members this library sets, in the order of the API reference.
PARAMETERS = (
    "FunctionName",
    "Qualifier",
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "PrincipalOrgID",
    "EventSourceToken",
    "FunctionUrlAuthType",
)

# CloudFormation's AWS::Lambda::Permission schema (cfn-lint 1.58.0), where it is stricter than
# botocore's model. Qualifier is not a CloudFormation property: it travels as a ":<qualifier>"
# suffix of FunctionName, so it must match the qualifier group of FunctionName's pattern.
_CLOUDFORMATION: Mapping[str, Mapping[str, Any]] = {
    "FunctionName": {
        "minLength": 1,
        "maxLength": 140,
        "pattern": (
            r"^(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
            r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$"
        ),
    },
    "Qualifier": {"pattern": r"^[a-zA-Z0-9-_]+$"},
    "Action": {"minLength": 1, "maxLength": 256},
    "Principal": {"minLength": 1, "maxLength": 256},
    "SourceArn": {"minLength": 12, "maxLength": 1024},
    "SourceAccount": {"minLength": 12, "maxLength": 12},
    "EventSourceToken": {"minLength": 1, "maxLength": 256},
}
"""The CloudFormation constraints that tighten botocore's, by AddPermission parameter."""


@dataclass(frozen=True, slots=True)
class FieldConstraint:
    """The constraints one AddPermission parameter must meet, the stricter of API and schema."""

    parameter: str
    """The AddPermission parameter, for example ``SourceAccount``."""
    min_length: int | None
    """Fewest characters allowed."""
    max_length: int | None
    """Most characters allowed."""
    pattern: Pattern | None
    """The pattern the whole value must match."""
    enum: tuple[str, ...] | None
    """The allowed values, when the parameter is an enumeration."""
    source: str
    """Where each constraint comes from, for documentation."""

    def describe(self) -> str:
        """The constraints in one phrase, for messages and the rules table."""
        pieces: list[str] = []
        if self.enum:
            pieces.append("one of " + ", ".join(self.enum))
        if self.pattern is not None:
            pieces.append(f"pattern {self.pattern.source}")
        if self.min_length is not None and self.max_length is not None:
            if self.min_length == self.max_length:
                pieces.append(f"exactly {self.min_length} characters")
            else:
                pieces.append(f"{self.min_length} to {self.max_length} characters")
        elif self.max_length is not None:
            pieces.append(f"at most {self.max_length} characters")
        elif self.min_length is not None:
            pieces.append(f"at least {self.min_length} characters")
        return "; ".join(pieces)


@functools.cache
def lambda_model() -> Mapping[str, Any]:
    """The Lambda service model botocore ships, loaded once."""
    model = _builtin_lambda_model()
    if model is None:
        import botocore.loaders  # deferred: about 50 ms with the model, paid only when checking

        model = botocore.loaders.create_loader().load_service_model("lambda", "service-2")
    return model


@functools.cache
def botocore_request_shapes() -> Mapping[str, Mapping[str, Any]]:
    """The raw botocore shape of each AddPermission request member (min, max, pattern, enum)."""
    model = lambda_model()
    shapes: Mapping[str, Mapping[str, Any]] = model["shapes"]
    request = shapes[model["operations"]["AddPermission"]["input"]["shape"]]
    return {name: shapes[member["shape"]] for name, member in request["members"].items()}


def _builtin_lambda_model() -> dict[str, Any] | None:
    """Lambda's model as ``botocore.loaders`` would load it, when it can only be botocore's own.

    Importing ``botocore.loaders`` costs about 35 ms (it pulls in urllib3, http.client and
    email) for reading one JSON file. When no directory of user models (``~/.aws/models``) can
    take precedence and no ``service-2.sdk-extras`` file would be merged in, the loader's answer
    is the newest ``lambda/<api-version>/service-2.json[.gz]`` of ``botocore/data``, read here
    directly; otherwise (``None``) the loader is used.
    """
    if Path("~/.aws/models").expanduser().is_dir():
        return None
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    service = Path(next(iter(spec.submodule_search_locations)), "data", "lambda")
    versions = sorted(
        entry.name
        for entry in (service.iterdir() if service.is_dir() else ())
        if any((entry / f"service-2{ext}").is_file() for ext in _EXTENSIONS)
    )
    if not versions:
        return None
    version = service / versions[-1]
    if any((version / f"service-2.sdk-extras{ext}").is_file() for ext in _EXTENSIONS):
        return None
    for ext in _EXTENSIONS:
        path = version / f"service-2{ext}"
        if path.is_file():
            data = path.read_bytes()
            model: dict[str, Any] = json.loads(
                (gzip.decompress(data) if ext.endswith(".gz") else data).decode("utf-8")
            )
            return model
    return None


_EXTENSIONS = (".json", ".json.gz")
"""The model files botocore's loader reads, in the order it tries them."""


def botocore_version() -> str:
    """The version of the botocore whose model the constraints come from."""
    import botocore

    return str(botocore.__version__)


def _stricter_min(*values: int | None) -> int | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def _stricter_max(*values: int | None) -> int | None:
    known = [value for value in values if value is not None]
    return min(known) if known else None


@functools.cache
def field_constraints() -> Mapping[str, FieldConstraint]:
    """The binding constraints of every parameter in ``PARAMETERS``."""
    shapes = botocore_request_shapes()
    constraints: dict[str, FieldConstraint] = {}
    for parameter in PARAMETERS:
        api = shapes[parameter]
        cfn = _CLOUDFORMATION.get(parameter, {})
        pattern = cfn.get("pattern", api.get("pattern"))
        min_length = _stricter_min(api.get("min"), cfn.get("minLength"))
        max_length = _stricter_max(api.get("max"), cfn.get("maxLength"))
        tightened = [
            name
            for name, ours, theirs in (
                ("pattern", pattern, api.get("pattern")),
                ("minimum length", min_length, api.get("min")),
                ("maximum length", max_length, api.get("max")),
            )
            if ours != theirs
        ]
        constraints[parameter] = FieldConstraint(
            parameter=parameter,
            min_length=min_length,
            max_length=max_length,
            pattern=Pattern(pattern) if pattern else None,
            enum=tuple(api["enum"]) if "enum" in api else None,
            source="botocore"
            + (f"; {', '.join(tightened)} from CloudFormation" if tightened else ""),
        )
    return constraints


# An operation's IAM action is ``lambda:<operation>``, except for these (the Service
# Authorization Reference: Invoke and InvokeWithResponseStream are both lambda:InvokeFunction).
_IAM_ACTION_OF: Mapping[str, str] = {
    "Invoke": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
}

_FUNCTION_URI = "/functions/{FunctionName}"
"""The request URI of every operation on a function (after its API version)."""

INVOKE_FUNCTION_URL = "lambda:InvokeFunctionUrl"
"""An action with no API operation: invoking a function through its function URL."""


@functools.cache
def function_actions() -> frozenset[str]:
    """The actions a function's resource-based policy can grant, from botocore's model.

    Each operation whose resource is a function (its request URI is
    ``/<version>/functions/{FunctionName}...``), as IAM names it, and
    ``lambda:InvokeFunctionUrl``. Operations that only take a function name in their body
    (CreateFunction, CreateEventSourceMapping) act on other resources.
    """
    actions = {INVOKE_FUNCTION_URL}
    for name, operation in lambda_model()["operations"].items():
        uri = str(operation.get("http", {}).get("requestUri", ""))
        _version, _, path = uri.lstrip("/").partition("/")
        if ("/" + path).startswith(_FUNCTION_URI):
            actions.add("lambda:" + _IAM_ACTION_OF.get(name, name))
    return frozenset(actions)
