"""What the constructs import, and the props' type checks that need no import (issue 14).

The service constructs name aws_apigateway, aws_apigatewayv2, aws_events, aws_logs and aws_sns
in annotations only: importing them cost about 90 ms in every app, whether it used them or not.
The props' types are checked from those annotations, by jsii type name, so the check needs no
import either; this file checks that each name it derives is the real type's.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import constructs_lambdaperm as lp
from conftest import ROOT
from constructs_lambdaperm._cdk import constructs as core_constructs
from constructs_lambdaperm._cdk import service_constructs
from constructs_lambdaperm._cdk.grant import Grant, _accepted

PROBE = """
import json, sys
{imports}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("aws_cdk."))))
"""
EVERY_CONSTRUCT = "import constructs_lambdaperm as lp\nfor name in lp.__all__: getattr(lp, name)"


def _loaded(imports: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(result.stdout))


def test_importing_every_construct_loads_only_what_aws_lambda_loads() -> None:
    # aws_lambda itself loads aws_logs (and aws_iam, aws_ec2...); nothing else may come in.
    baseline = _loaded("import aws_cdk.aws_lambda")
    loaded = _loaded(EVERY_CONSTRUCT)
    assert loaded - baseline == set()
    for name in ("aws_apigateway", "aws_apigatewayv2", "aws_events", "aws_sns", "aws_s3"):
        assert f"aws_cdk.{name}" not in loaded


GRANTS = [
    cls
    for module in (core_constructs, service_constructs)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Grant) and cls.__name__ in lp.__all__
]


@pytest.mark.parametrize("grant", GRANTS, ids=lambda cls: cls.__name__)
def test_each_props_annotation_names_a_real_type(grant: type[Grant]) -> None:
    init = getattr(grant.__init__, "__wrapped__")  # noqa: B009 - set by functools.wraps
    namespace = vars(inspect.getmodule(init))
    for parameter in list(inspect.signature(init).parameters.values())[1:]:
        for accepted in _accepted(parameter.annotation, namespace):
            if accepted.jsii is None:
                continue
            module, _, member = accepted.shown.rpartition(".")
            package = importlib.import_module(
                f"aws_cdk.{module}"
                if module
                else ("constructs" if member == "Construct" else "aws_cdk")
            )
            assert getattr(package, member).__jsii_type__ == accepted.jsii, parameter.name


def test_every_public_construct_checks_its_props() -> None:
    assert len(GRANTS) == 10
    for grant in GRANTS:
        assert hasattr(grant.__init__, "__wrapped__"), grant.__name__


NOT_STRINGS = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.binary(max_size=4),
    st.lists(st.text(max_size=2), max_size=2),
)
STRING_PROPS = {
    "CrossAccountPermission": ("principal", {"function": "fn", "principal": "223456789012"}),
    "OrgPermission": ("org_id", {"function": "fn", "org_id": "o-abcdefghij"}),
    "AlexaSkillPermission": ("skill_id", {"function": "fn", "skill_id": "s"}),
    "ServiceInvokePermission": ("principal", {"function": "fn", "principal": "sns.amazonaws.com"}),
    "ApiGatewayInvokePermission": ("stage", {"function": "fn", "api_id": "abcdefghij"}),
}


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    construct=st.sampled_from(sorted(STRING_PROPS)),
    value=NOT_STRINGS,
    replace_function=st.booleans(),
)
def test_a_value_that_is_no_string_is_a_type_error_naming_the_prop(
    stack: Any, construct: str, value: object, replace_function: bool
) -> None:
    prop, given_props = STRING_PROPS[construct]
    props: dict[str, object] = dict(given_props)
    target = "function" if replace_function else prop
    props[target] = value
    with pytest.raises(TypeError, match=rf"at 'Stack/X': type of argument {target} must be"):
        getattr(lp, construct)(stack, "X", **props)
