"""The field constraints against their two sources: botocore's model and CloudFormation's schema.

A new botocore or cfn-lint that changes a constraint fails here: the snapshot of both sources
changes, and the derived table must still be the stricter of the two.
"""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lambdaperm._core.api_model import (
    _CLOUDFORMATION,
    PARAMETERS,
    botocore_request_shapes,
    field_constraints,
)

CONSTRAINT_KEYS = ("min", "max", "pattern", "enum")
SCHEMA_KEYS = ("minLength", "maxLength", "pattern", "enum", "type")


@pytest.fixture(scope="module")
def schema_properties() -> dict[str, Any]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Lambda::Permission")
    properties: dict[str, Any] = schema.schema["properties"]
    return properties


def _unanchored(pattern: str | None) -> str | None:
    return None if pattern is None else pattern.removeprefix("^").removesuffix("$")


def test_both_sources_are_as_last_reviewed(
    schema_properties: dict[str, Any], snapshot_json: SnapshotAssertion
) -> None:
    botocore = {
        name: {key: shape[key] for key in CONSTRAINT_KEYS if key in shape}
        for name, shape in botocore_request_shapes().items()
    }
    cloudformation = {
        name: {key: prop[key] for key in SCHEMA_KEYS if key in prop}
        for name, prop in schema_properties.items()
    }
    assert {"botocore": botocore, "cloudformation": cloudformation} == snapshot_json


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_constraints_are_the_stricter_of_api_and_schema(
    parameter: str, schema_properties: dict[str, Any]
) -> None:
    ours = field_constraints()[parameter]
    api = botocore_request_shapes()[parameter]
    schema = schema_properties.get(parameter, {})
    mins = [v for v in (api.get("min"), schema.get("minLength")) if v is not None]
    maxes = [v for v in (api.get("max"), schema.get("maxLength")) if v is not None]
    assert ours.min_length == (max(mins) if mins else None)
    assert ours.max_length == (min(maxes) if maxes else None)
    if "enum" in api:
        assert ours.enum is not None
        assert set(ours.enum) == set(api["enum"]) == set(schema.get("enum", api["enum"]))
    assert ours.pattern is not None or ours.enum is not None
    if ours.pattern is not None:
        api_pattern = _unanchored(api.get("pattern"))
        schema_pattern = _unanchored(schema.get("pattern"))
        if parameter == "Qualifier":
            # Not a schema property: it travels inside FunctionName, so its pattern is the
            # qualifier group of FunctionName's schema pattern.
            assert "|[a-zA-Z0-9-_]+))?" in schema_properties["FunctionName"]["pattern"]
        elif schema_pattern in (None, ".*", api_pattern):
            assert _unanchored(ours.pattern.source) == api_pattern
        else:
            assert _unanchored(ours.pattern.source) == schema_pattern


def test_cloudformation_table_matches_the_schema(schema_properties: dict[str, Any]) -> None:
    for parameter, overrides in _CLOUDFORMATION.items():
        if parameter == "Qualifier":
            continue
        for key, value in overrides.items():
            assert schema_properties[parameter][key] == value, (parameter, key)


def test_function_name_limits_differ_between_api_and_schema_as_documented() -> None:
    # botocore types FunctionName as a namespaced name (dots, 256 characters); CloudFormation
    # and the API reference keep 140 and no dots. If botocore converges, this note can go.
    api = botocore_request_shapes()["FunctionName"]
    assert api["max"] == 256
    assert field_constraints()["FunctionName"].max_length == 140
