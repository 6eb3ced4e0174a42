"""``lambdaperm lint``: the guard's rules on templates, SAM templates and cloud assemblies, in CI.

The same engine as the CDK validation plugin (``_audit.engine.audit``), with the same
acknowledgements, over every input of the run at once (one app). Exit status: 0 when nothing
at or above ``--fail-on`` was found, 1 when something was, 2 when the arguments cannot be used
or a file cannot be read: every file that can be read is still checked and its findings
shown, and 2 wins over 1, since a run that could not read everything has not checked
everything (a CI job must not pass on what it never saw).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .._audit.config import SEVERITY_CHOICES, GuardConfig, GuardConfigError
from .._readers.sam import DEFAULT_REGION
from . import inputs as _inputs
from .results import FailOn, LintRun, lint_run

FORMATS = ("text", "json", "sarif")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``lint`` to the command's subcommands."""
    parser = commands.add_parser(
        "lint",
        help="check the Lambda permissions of templates, SAM templates and cloud assemblies",
        description=(
            "Check every AWS::Lambda::Permission of the templates given, as one app, with the "
            "rules and acknowledgements of the CDK validation plugin (PermissionGuard). Exit "
            "status: 0 when nothing at or above --fail-on was found, 1 when something was, 2 "
            "when an argument cannot be used or a file cannot be read (the other files are "
            "still checked and their findings shown)."
        ),
    )
    add_input_options(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        choices=[f.value for f in FailOn],
        default=FailOn.UNSAFE.value,
        help="exit 1 on errors only, on what synth would refuse (errors and unacknowledged "
        "unsafe findings: the default), or also on unacknowledged warnings",
    )
    parser.add_argument(
        "--allowed-accounts",
        action="append",
        metavar="ACCOUNT[,ACCOUNT...]",
        help="the only 12-digit accounts a grant may name (LP610); repeatable",
    )
    parser.add_argument(
        "--allowed-org-ids",
        action="append",
        metavar="ORG[,ORG...]",
        help="the only organizations a grant may name (LP610); repeatable",
    )
    parser.add_argument(
        "--severity",
        action="append",
        metavar="RULE=LEVEL",
        help=f"a rule's severity ({', '.join(SEVERITY_CHOICES)}), as PermissionGuard's "
        "severities: LP402=error makes a warning fail; repeatable",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show what a rule could not check (values known only at deploy time)",
    )
    parser.set_defaults(run=run)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The inputs and the options of reading them, shared with ``policy``."""
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="template files (JSON or YAML, SAM included), folders of them, or cloud "
        "assemblies such as cdk.out",
    )
    parser.add_argument(
        "--sam-region",
        default=DEFAULT_REGION,
        metavar="REGION",
        help="the region SAM templates are transformed for: the partition of the ARNs SAM "
        f"generates (default: {DEFAULT_REGION})",
    )


def config_of(arguments: argparse.Namespace) -> GuardConfig:
    """The guard's configuration from the options.

    :raises GuardConfigError: for a value it cannot use.
    """
    severities: dict[str, str] = {}
    for given in arguments.severity or ():
        rule, equals, level = given.partition("=")
        if not equals or not rule.strip() or not level.strip():
            raise GuardConfigError(f"--severity takes RULE=LEVEL (LP402=error), not {given!r}")
        severities[rule.strip()] = level.strip()
    return GuardConfig.of(
        allowed_accounts=_listed(arguments.allowed_accounts),
        allowed_org_ids=_listed(arguments.allowed_org_ids),
        severities=severities,
    )


def _listed(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def run(arguments: argparse.Namespace) -> int:
    """Run ``lint`` with the parsed ``arguments``; the exit status."""
    try:
        config = config_of(arguments)
    except GuardConfigError as error:
        print(f"lambdaperm lint: error: {error}", file=sys.stderr)
        return 2
    found = _inputs.read(arguments.paths, sam_region=arguments.sam_region)
    report, unchecked = _inputs.check(found, config)
    result = lint_run(
        report,
        found,
        fail_on=FailOn(arguments.fail_on),
        verbose=arguments.verbose,
        errors=unchecked,
    )
    for line in result.errors:
        print(f"lambdaperm: error: {line}", file=sys.stderr)
    _write(result, arguments.format)
    return result.exit_status


def _write(result: LintRun, format: str) -> None:
    if format == "json":
        from .formats import json

        sys.stdout.write(json.lint(result))
    elif format == "sarif":
        from .formats import sarif

        sys.stdout.write(sarif.lint(result))
    else:
        from .formats import text

        text.lint(result, text.console(sys.stdout))
