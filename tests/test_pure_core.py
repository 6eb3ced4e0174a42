"""The model, the rules, the readers, the policies and the command line run without the CDK."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

PROBE = """
import importlib, json, pkgutil, sys
import constructs_lambdaperm as lp
from constructs_lambdaperm import testing
for layer in ("_core", "_rules", "_readers", "_policy", "_audit", "_cli"):
    package = importlib.import_module(f"constructs_lambdaperm.{layer}")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
from constructs_lambdaperm._cli.main import main
findings = lp.check(lp.Permission(function_name="fn", principal="*"))
template = {"Resources": {"P": {"Type": "AWS::Lambda::Permission", "Properties": {
    "FunctionName": "fn", "Action": "lambda:InvokeFunction", "Principal": "*"}}}}
(policy,) = lp.resource_policies(template, account="111111111111", region="us-east-1")
assert policy.allows(principal="anonymous") and policy.size > 54
testing.assert_can_invoke(template, principal="anonymous")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"aws_cdk", "jsii", "constructs"})
print(json.dumps({"loaded": loaded, "rules": [f.rule.id for f in findings if f.blocking]}))
"""


def test_core_imports_and_checks_without_the_cdk() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT
    )
    report = json.loads(result.stdout)
    assert report == {"loaded": [], "rules": ["LP301"]}
