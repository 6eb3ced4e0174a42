"""The ``lambdaperm`` command: show the Lambda permissions of synthesized templates.

Pure Python: it reads template files and never starts Node.js or the CDK.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._core import tokens
from .._core.findings import Severity
from .._core.model import Permission
from .._core.version import VERSION
from .._readers.template import (
    TemplatePermission,
    load,
    permissions_in,
    resource_names,
    template_files,
)
from .._rules import check

_COLUMNS = ("Function", "Grant", "Action", "Principal", "Conditions", "Checks")
_LABEL = re.compile(r"^(Ref|GetAtt):([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?$")


class _Namer:
    """Shows deploy-time values by the construct they reference: ``{Uploads.Arn}``."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def show(self, value: str) -> str:
        def label(text: str) -> str:
            match = _LABEL.match(text)
            if match is None:
                return text.removeprefix("Ref:")
            logical_id = match.group(2)
            return self._names.get(logical_id, logical_id) + (match.group(3) or "")

        return "".join(
            "{" + label(piece) + "}" if kind == "token" else piece
            for kind, piece in tokens.labelled_parts(value)
        )


def _conditions(permission: Permission, namer: _Namer) -> str:
    pairs = [
        ("SourceArn", permission.source_arn),
        ("SourceAccount", permission.source_account),
        ("PrincipalOrgID", permission.principal_org_id),
        ("EventSourceToken", permission.event_source_token),
        ("FunctionUrlAuthType", permission.function_url_auth_type),
        (
            "InvokedViaFunctionUrl",
            None if permission.invoked_via_function_url is None else "true",
        ),
    ]
    shown = [f"{key}={namer.show(value)}" for key, value in pairs if value is not None]
    return ", ".join(shown) or "-"


def _checks(grant: TemplatePermission) -> str:
    verdicts: list[str] = []
    for finding in check(grant.permission):
        if not finding.blocking:
            continue
        if finding.severity is Severity.UNSAFE and finding.rule_id in grant.acknowledged:
            verdicts.append(f"{finding.rule.id} acknowledged")
        else:
            verdicts.append(f"{finding.rule.id} {finding.severity.value}")
    return ", ".join(verdicts) or "ok"


def _table(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, indent + "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def show(paths: Sequence[Path]) -> int:
    """Print, for each template, a table of its permissions grouped by function."""
    files = [file for path in paths for file in template_files(path)]
    total = 0
    functions: set[tuple[str, str]] = set()
    for file in files:
        name = file.name.removesuffix(".template.json").removesuffix(".json")
        template = load(file)
        names = resource_names(template)
        namer = _Namer(names)
        grants = sorted(
            permissions_in(template, name),
            key=lambda g: (namer.show(g.permission.function_name), names[g.logical_id]),
        )
        if not grants:
            continue
        rows = [
            (
                namer.show(g.permission.function_name),
                names[g.logical_id],
                g.permission.action,
                namer.show(g.permission.principal),
                _conditions(g.permission, namer),
                _checks(g),
            )
            for g in grants
        ]
        print(f"{name}: {len(grants)} permission(s)")
        print(_table([_COLUMNS, *rows]))
        print()
        total += len(grants)
        functions.update((name, g.permission.function_name) for g in grants)
    if total == 0:
        print(f"No AWS::Lambda::Permission in {len(files)} template(s).")
        return 0
    print(
        f"{total} permission(s) on {len(functions)} function(s), versions or aliases "
        f"in {len(files)} template(s). Checks: 'ok', or the rules each one breaks "
        "(see `lambdaperm rules`)."
    )
    return 0


def rules(documents: Sequence[Path]) -> int:
    """Print the rules table, or rewrite the generated block of each of ``documents``."""
    from . import rules_table

    if not documents:
        print(rules_table.generated_block())
    for document in documents:
        text = document.read_text(encoding="utf-8")
        document.write_text(rules_table.replace_block(text), encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lambdaperm`` command."""
    parser = argparse.ArgumentParser(
        prog="lambdaperm", description="Inspect the Lambda permissions of CloudFormation templates."
    )
    parser.add_argument("--version", action="version", version=f"lambdaperm {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True)
    show_command = commands.add_parser(
        "show", help="print a table of the permissions in templates or a cloud assembly"
    )
    show_command.add_argument(
        "paths", nargs="+", type=Path, help="template files, or a cloud assembly such as cdk.out"
    )
    rules_command = commands.add_parser(
        "rules", help="print the rules table, or bring the tables in documents up to date"
    )
    rules_command.add_argument(
        "--write",
        nargs="+",
        type=Path,
        metavar="DOCUMENT",
        help="rewrite the generated block of each document (docs/rules.md, README.md)",
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "show":
        return show(arguments.paths)
    if arguments.command == "rules":
        return rules(arguments.write or [])
    return 2  # pragma: no cover - argparse has already refused unknown commands


if __name__ == "__main__":
    sys.exit(main())
