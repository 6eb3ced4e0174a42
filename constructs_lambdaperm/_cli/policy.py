"""``lambdaperm policy``: each function's resource-based policy, exactly as Lambda will hold it.

The policies the guard builds (``_audit.engine.audit``'s report) over every input at once: one
per function and qualifier, across files and stacks, each with its size against Lambda's
20,480 bytes and who may invoke it under which conditions. ``--format json`` gives the
documents. Exit status: 0, or 2 when an argument cannot be used or a file cannot be read (the
policies of the other files are still shown).
"""

from __future__ import annotations

import argparse
import sys

from . import inputs as _inputs
from .lint import add_input_options


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``policy`` to the command's subcommands."""
    parser = commands.add_parser(
        "policy",
        help="print each function's resource-based policy as Lambda will hold it, and its size",
        description=(
            "Print the resource-based policy of each function, version and alias that the "
            "templates grant on, as Lambda will hold it: its size against 20,480 bytes and a "
            "table of who may invoke it under which conditions (--format json: the documents)."
        ),
    )
    add_input_options(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Run ``policy`` with the parsed ``arguments``; the exit status."""
    found = _inputs.read(arguments.paths, sam_region=arguments.sam_region)
    report, unchecked = _inputs.check(found)
    errors = [*found.errors, *unchecked]
    for error in errors:
        print(f"lambdaperm: error: {error}", file=sys.stderr)
    if arguments.format == "json":
        from .formats import json

        sys.stdout.write(json.policies(report.policies, found, errors))
    else:
        from .formats import text

        text.policies(report.policies, found, text.console(sys.stdout))
    return 2 if errors else 0
