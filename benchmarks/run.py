"""What the constructs cost against raw CloudFormation resources: the benchmark harness.

One command runs everything (about 11 minutes on 2 shared cores; ``--quick``: about 1 minute)::

    make bench                      # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick
    .venv/bin/python benchmarks/run.py --sizes 400,2000 --runs 5 --json out.json

Every measurement is a fresh process. For each size (permissions spread over several stacks,
see ``app.py``) and each round, every variant of the app is run twice, the variants alternating
(their order rotating from round to round):

- ``cdk synth``: the real CDK CLI (``node_modules/.bin/cdk synth --quiet``) with the CDK's
  built-in CloudFormation validation on, as users run it; timed from outside, whole process;
- ``app``: ``python benchmarks/app.py`` with the built-in validation off
  (``CDK_VALIDATION=false``).

Both report, from inside the app, the construct-and-synth phase (from just before the app's
first construct to after ``app.synth()`` returns) and the peak resident memory of the Python
process and of its jsii kernel. Import time is measured apart, in its own fresh processes.
Medians, min-max spread and ratios to the ``raw`` variant (medians of the same run) are
printed as Markdown; ``--json`` keeps every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP = HERE / "app.py"
CDK = ROOT / "node_modules" / ".bin" / "cdk"

BASELINE = "raw"
VARIANTS = ("raw", "add_permission", "guarded", "constructs", "wrapper")
SIZES = (100, 400, 2000)
RUNS = 7
QUICK_SIZES = (100, 400)

# The targets, checked against the medians of one run.
TARGET_WHOLE = 1.05
TARGET_PHASE = 1.30
TARGET_IMPORT_S = 0.050
TARGET_MEMORY = 1.10
TARGET_SIZES = (400, 2000)
TARGET_GUARD = 1.05
"""The guard on an app of aws-cdk helpers' permissions: ``guarded`` over ``add_permission``."""

IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import aws_cdk
if sys.argv[1] == "with-lambda":
    from aws_cdk import aws_lambda
t1 = time.perf_counter()
import constructs_lambdaperm
t2 = time.perf_counter()
from constructs_lambdaperm import (
    CrossAccountPermission, FunctionUrlPermission, OrgPermission, S3InvokePermission,
)
t3 = time.perf_counter()
constructs_lambdaperm.check(
    constructs_lambdaperm.Permission(function_name="my-function", principal="123456789012")
)
t4 = time.perf_counter()
print(json.dumps({"aws_cdk": t1 - t0, "package": t2 - t1, "constructs": t3 - t2,
                  "first_check": t4 - t3}))
"""


@dataclass
class Series:
    """The samples of one measurement: one variant, size and mode, or one import scenario."""

    samples: list[float] = field(default_factory=list)

    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)

    def spread(self) -> tuple[float, float]:
        """The smallest and the largest sample."""
        return min(self.samples), max(self.samples)


@dataclass
class Results:
    """Everything one run of the harness measured, by metric, size, mode and variant."""

    machine: dict[str, str]
    command: str
    series: dict[str, Series] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        """Record one sample of the series ``key``."""
        self.series.setdefault(key, Series()).samples.append(value)

    def get(self, key: str) -> Series | None:
        """The series ``key``, if it was measured."""
        return self.series.get(key)


def key(metric: str, size: int, mode: str, variant: str) -> str:
    """The name of a series: ``whole/2000/cli/constructs``."""
    return f"{metric}/{size}/{mode}/{variant}"


# --- running things -----------------------------------------------------------------------


def child_env(validation: bool) -> dict[str, str]:
    """The environment of a measured process: this virtualenv first on PATH, validation set."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CDK_VALIDATION", None)
    if not validation:
        env["CDK_VALIDATION"] = "false"
    # No network calls from the CLI while timing: telemetry off (notices: --no-notices).
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    # Bytecode cached as in any installed package: sources are not recompiled by every process.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CDK_OUTDIR", None)
    return env


def run_app(variant: str, size: int, mode: str, workdir: Path) -> tuple[float, dict[str, Any]]:
    """Run the app once in a fresh process; its wall time and its own report."""
    report = workdir / "report.json"
    report.unlink(missing_ok=True)
    outdir = workdir / "cdk.out"
    app_args = [
        sys.executable,
        str(APP),
        "--variant",
        variant,
        "--size",
        str(size),
        "--report",
        str(report),
    ]
    if mode == "cli":
        app_args += ["--validation", "on"]
        command = [
            str(CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "--app",
            shlex.join(app_args),
            "--output",
            str(outdir),
        ]
        env = child_env(validation=True)
    else:
        command = [*app_args, "--validation", "off", "--outdir", str(outdir)]
        env = child_env(validation=False)
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    if data["permissions"] != size:
        raise RuntimeError(f"{variant} made {data['permissions']} permissions, not {size}")
    return elapsed, data


def measure_synth(
    results: Results,
    sizes: Sequence[int],
    variants: Sequence[str],
    runs: int,
    warmup: int,
    modes: Sequence[str],
) -> None:
    """Time every variant at every size, alternating the variants within each round."""
    with tempfile.TemporaryDirectory(prefix="lambdaperm-bench-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            for round_number in range(-warmup, runs):
                shift = round_number % len(variants)
                order = [*variants[shift:], *variants[:shift]]
                for variant in order:
                    for mode in modes:
                        elapsed, data = run_app(variant, size, mode, workdir)
                        if round_number < 0:
                            continue  # warm-up: caches filled, nothing recorded
                        results.add(key("whole", size, mode, variant), elapsed)
                        results.add(key("phase", size, mode, variant), data["phase_s"])
                        results.add(key("build", size, mode, variant), data["build_s"])
                        results.add(key("synth", size, mode, variant), data["synth_s"])
                        for memory in ("python_peak_kb", "kernel_peak_kb", "children_peak_kb"):
                            if data.get(memory) is not None:
                                results.add(key(memory, size, mode, variant), data[memory])
                        if data.get("python_peak_kb") and data.get("children_peak_kb"):
                            results.add(
                                key("tree_peak_kb", size, mode, variant),
                                data["python_peak_kb"] + data["children_peak_kb"],
                            )
                progress(
                    f"size {size}: "
                    + ("warm-up" if round_number < 0 else f"round {round_number + 1} of {runs}")
                    + " done"
                )


def measure_imports(results: Results, runs: int) -> None:
    """Time importing the package on top of ``import aws_cdk``, in fresh processes."""
    env = child_env(validation=False)
    for run in range(-1, runs):  # the first, untimed, writes the bytecode caches
        for scenario in ("aws-cdk", "with-lambda"):
            out = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE, scenario],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if run < 0:
                continue
            for name, seconds in json.loads(out).items():
                results.add(f"import/{scenario}/{name}", seconds)
    progress("imports done")


def progress(message: str) -> None:
    """A line on stderr, so a long run shows it is alive."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the machine --------------------------------------------------------------------------


def _first_line(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=False, env=child_env(False)
        )
    except OSError:
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.stdout or out.stderr else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    """The machine and the software versions the numbers were measured with."""
    import constructs_lambdaperm

    package_dir = Path(constructs_lambdaperm.__file__).resolve().parent
    in_git = (
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--git-dir"], capture_output=True, check=False
        ).returncode
        == 0
    )
    if package_dir.is_relative_to(ROOT) and not in_git:
        package = f"{package_dir} (not a git checkout: an export such as `git archive`)"
    elif package_dir.is_relative_to(ROOT):
        commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        dirty = _first_line(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "constructs_lambdaperm"]
        )
        package = f"{package_dir} (git {commit}" + (
            ", uncommitted changes in constructs_lambdaperm)" if dirty else ")"
        )
    else:
        package = f"{package_dir} (outside this checkout: PYTHONPATH)"
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": _first_line(["node", "--version"]),
        "cdk cli": _first_line([str(CDK), "--version"]),
        "aws-cdk-lib": _version("aws-cdk-lib"),
        "constructs": _version("constructs"),
        "jsii": _version("jsii"),
        "constructs_lambdaperm": package,
    }


# --- the report ---------------------------------------------------------------------------


def seconds(value: float) -> str:
    """A duration for a table."""
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def cell(series: Series | None, base: Series | None, scale: float = 1.0, unit: str = "") -> str:
    """``median [min-max] (ratio)`` for one table cell."""
    if series is None:
        return "-"
    low, high = series.spread()
    fmt = seconds if not unit else (lambda v: f"{v:.0f}")
    text = f"{fmt(series.median() * scale)} [{fmt(low * scale)}-{fmt(high * scale)}]"
    if base is not None and base is not series:
        text += f" **{series.median() / base.median():.2f}x**"
    return text


def table(
    results: Results,
    metric: str,
    mode: str,
    sizes: Sequence[int],
    variants: Sequence[str],
    scale: float = 1.0,
    unit: str = "",
) -> list[str]:
    """A Markdown table of one metric: sizes as rows, variants as columns."""
    lines = [
        "| permissions | " + " | ".join(f"`{v}`" for v in variants) + " |",
        "| ---: |" + " --- |" * len(variants),
    ]
    for size in sizes:
        base = results.get(key(metric, size, mode, BASELINE))
        cells = [cell(results.get(key(metric, size, mode, v)), base, scale, unit) for v in variants]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return lines


def overhead_table(results: Results, sizes: Sequence[int], variants: Sequence[str]) -> list[str]:
    """Milliseconds each permission adds over ``raw``, from the medians."""
    others = [v for v in variants if v != BASELINE]
    lines = [
        "| permissions | measure | " + " | ".join(f"`{v}`" for v in others) + " |",
        "| ---: | --- |" + " ---: |" * len(others),
    ]
    for size in sizes:
        for metric, mode, label in (
            ("whole", "cli", "`cdk synth`, validation on"),
            ("phase", "cli", "phase, validation on"),
            ("phase", "app", "phase, validation off"),
        ):
            base = results.get(key(metric, size, mode, BASELINE))
            if base is None:
                continue
            cells = []
            for variant in others:
                series = results.get(key(metric, size, mode, variant))
                cells.append(
                    "-"
                    if series is None
                    else f"{(series.median() - base.median()) / size * 1000:+.2f}"
                )
            lines.append(f"| {size} | {label} | " + " | ".join(cells) + " |")
    return lines


def ratio(
    results: Results, metric: str, size: int, mode: str, variant: str, baseline: str = BASELINE
) -> float | None:
    """Median of ``variant`` over median of ``baseline``, or ``None`` if either is missing."""
    series = results.get(key(metric, size, mode, variant))
    base = results.get(key(metric, size, mode, baseline))
    if series is None or base is None:
        return None
    return series.median() / base.median()


def targets(results: Results, sizes: Sequence[int]) -> list[str]:
    """The issues' targets, met or not: the constructs against raw, the guard against none."""
    lines = ["| target | measured | met |", "| --- | --- | --- |"]

    def row(name: str, value: float | None, limit: float, fmt: str) -> None:
        if value is None:
            return
        met = "yes" if value <= limit else "**no**"
        lines.append(f"| {name} | {fmt.format(value)} | {met} |")

    for size in (s for s in TARGET_SIZES if s in sizes):
        row(
            f"guard on aws-cdk helpers' permissions: `cdk synth` at {size} <= {TARGET_GUARD}x "
            "the same app without it (`guarded` / `add_permission`)",
            ratio(results, "whole", size, "cli", "guarded", "add_permission"),
            TARGET_GUARD,
            "{:.3f}x",
        )
        row(
            f"`cdk synth` (validation on) at {size} <= {TARGET_WHOLE}x raw",
            ratio(results, "whole", size, "cli", "constructs"),
            TARGET_WHOLE,
            "{:.3f}x",
        )
        for mode, label in (("cli", "on"), ("app", "off")):
            row(
                f"construct-and-synth phase (validation {label}) at {size} <= {TARGET_PHASE}x",
                ratio(results, "phase", size, mode, "constructs"),
                TARGET_PHASE,
                "{:.2f}x",
            )
        for memory, label in (("python_peak_kb", "Python"), ("tree_peak_kb", "Python + node")):
            row(
                f"peak memory, {label} (`cdk synth` run) at {size} <= {TARGET_MEMORY}x",
                ratio(results, memory, size, "cli", "constructs"),
                TARGET_MEMORY,
                "{:.3f}x",
            )
    for scenario, label in (
        ("with-lambda", "`import aws_cdk` and `aws_lambda` (any app with a function)"),
        ("aws-cdk", "`import aws_cdk` alone (then it loads `aws_lambda` and `aws_s3` itself)"),
    ):
        imported = results.get(f"import/{scenario}/package")
        constructs = results.get(f"import/{scenario}/constructs")
        if imported is not None and constructs is not None:
            row(
                f"import on top of {label} <= {TARGET_IMPORT_S * 1000:.0f} ms",
                imported.median() + constructs.median(),
                TARGET_IMPORT_S,
                "{:.3f} s",
            )
    return lines


def import_table(results: Results) -> list[str]:
    """Import times, in milliseconds."""
    rows = (
        ("aws_cdk", "`import aws_cdk` (2nd column: and `from aws_cdk import aws_lambda`)"),
        ("package", "`import constructs_lambdaperm` (pure core)"),
        ("constructs", "`from constructs_lambdaperm import S3InvokePermission, ...`"),
        ("first_check", "first `check()`: botocore model and patterns, loaded on first use"),
    )
    lines = [
        "| step | after `import aws_cdk` | after `import aws_cdk` and `aws_lambda` |",
        "| --- | --- | --- |",
    ]
    for name, label in rows:
        cells = []
        for scenario in ("aws-cdk", "with-lambda"):
            series = results.get(f"import/{scenario}/{name}")
            cells.append("-" if series is None else cell(series, None, 1000, "ms") + " ms")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def markdown(results: Results, sizes: Sequence[int], variants: Sequence[str], runs: int) -> str:
    """The whole report."""
    out = [
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in results.machine.items()),
        f"- command: `{results.command}`",
        f"- {runs} runs of each measurement (fresh processes, variants alternating); "
        "cells are `median [min-max]` and **the ratio of medians to `raw`**",
        "",
        "## Targets (`constructs` against `raw`; `guarded` against `add_permission`)",
        "",
        *targets(results, sizes),
        "",
        "## Whole `cdk synth`, built-in validation on (seconds)",
        "",
        *table(results, "whole", "cli", sizes, variants),
        "",
        "## Construct-and-synth phase, built-in validation on (seconds, inside `cdk synth`)",
        "",
        *table(results, "phase", "cli", sizes, variants),
        "",
        "## Construct-and-synth phase, built-in validation off (seconds)",
        "",
        *table(results, "phase", "app", sizes, variants),
        "",
        "Of which constructing (from `cdk.App()` to the last grant), validation off:",
        "",
        *table(results, "build", "app", sizes, variants),
        "",
        "and `app.synth()` (where the validations run), validation off:",
        "",
        *table(results, "synth", "app", sizes, variants),
        "",
        "## Whole app process, built-in validation off (seconds, `python benchmarks/app.py`)",
        "",
        *table(results, "whole", "app", sizes, variants),
        "",
        "## Milliseconds per permission over `raw` (from the medians)",
        "",
        *overhead_table(results, sizes, variants),
        "",
        "## Peak memory in the `cdk synth` runs (MiB, VmHWM)",
        "",
        "Python process:",
        "",
        *table(results, "python_peak_kb", "cli", sizes, variants, 1 / 1024, "MiB"),
        "",
        "jsii kernel (`node lib/program.js`):",
        "",
        *table(results, "kernel_peak_kb", "cli", sizes, variants, 1 / 1024, "MiB"),
        "",
        "Python process + all its child processes (launcher, jsii host, kernel), summed:",
        "",
        *table(results, "tree_peak_kb", "cli", sizes, variants, 1 / 1024, "MiB"),
        "",
        "## Import time (milliseconds, fresh processes)",
        "",
        *import_table(results),
        "",
    ]
    return "\n".join(out)


# --- command line -------------------------------------------------------------------------


def parse_list(text: str, allowed: Iterable[str] | None = None) -> list[str]:
    """A comma-separated list, checked against ``allowed``."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if allowed is not None:
        unknown = sorted(set(items) - set(allowed))
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)}")
    return items


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: about 1 minute")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(s) for s in parse_list(text)],
        help=f"permissions per app, comma-separated (default: {','.join(map(str, SIZES))}; "
        f"--quick: {','.join(map(str, QUICK_SIZES))})",
    )
    parser.add_argument("--runs", type=int, help=f"rounds per size (default {RUNS}; --quick 1)")
    parser.add_argument(
        "--variants",
        type=lambda text: parse_list(text, VARIANTS),
        default=list(VARIANTS),
        help=f"comma-separated, from {','.join(VARIANTS)} (raw is always included)",
    )
    parser.add_argument(
        "--modes",
        type=lambda text: parse_list(text, ("cli", "app")),
        default=["cli", "app"],
        help="cli: cdk synth, validation on; app: the app alone, validation off",
    )
    parser.add_argument("--warmup", type=int, help="untimed rounds per size (default 1; quick 0)")
    parser.add_argument("--import-runs", type=int, help="import probes (default 15; quick 3)")
    parser.add_argument("--json", type=Path, help="write every sample to this file")
    parser.add_argument("--markdown", type=Path, help="write the report to this file too")
    args = parser.parse_args(argv)

    sizes: list[int] = args.sizes or list(QUICK_SIZES if args.quick else SIZES)
    runs: int = args.runs or (1 if args.quick else RUNS)
    warmup: int = args.warmup if args.warmup is not None else (0 if args.quick else 1)
    import_runs: int = args.import_runs or (3 if args.quick else 15)
    variants = [BASELINE, *(v for v in args.variants if v != BASELINE)]
    if "cli" in args.modes and not CDK.exists():
        parser.error(f"{CDK} is missing: run `make setup` (npm ci) first")

    results = Results(
        machine=machine_info(),
        command=shlex.join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
    )
    progress(f"sizes {sizes}, {runs} runs, variants {variants}, modes {args.modes}")
    measure_imports(results, import_runs)
    measure_synth(results, sizes, variants, runs, warmup, args.modes)

    report = markdown(results, sizes, variants, runs)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    if args.json:
        samples: Mapping[str, Any] = {
            "machine": results.machine,
            "command": results.command,
            "series": {name: s.samples for name, s in results.series.items()},
        }
        args.json.write_text(json.dumps(samples, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
