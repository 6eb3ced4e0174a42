"""The model, the rules and the command line run without Node.js, jsii or the CDK."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

PROBE = """
import json, sys
import constructs_lambdaperm as lp
from constructs_lambdaperm import _assembly, _cli, _evaluate, _policy, _render, _template, testing
findings = lp.check(lp.Permission(function_name="fn", principal="*"))
template = {"Resources": {"P": {"Type": "AWS::Lambda::Permission", "Properties": {
    "FunctionName": "fn", "Action": "lambda:InvokeFunction", "Principal": "*"}}}}
(policy,) = _policy.resource_policies(template, account="111111111111", region="us-east-1")
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
