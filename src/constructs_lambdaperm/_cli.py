"""The ``lambdaperm`` command: show the Lambda permissions of synthesized templates.

Pure Python: it reads template files and never starts Node.js or the CDK.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _tokens
from ._findings import Severity
from ._rules import check
from ._template import TemplatePermission, load, permissions_in, template_files

_COLUMNS = ("Stack", "Resource", "Function", "Action", "Principal", "Conditions", "Checks")


def _conditions(grant: TemplatePermission) -> str:
    permission = grant.permission
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
    shown = [f"{key}={_tokens.show(value)}" for key, value in pairs if value is not None]
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


def _row(grant: TemplatePermission) -> tuple[str, ...]:
    permission = grant.permission
    return (
        grant.template,
        grant.logical_id,
        _tokens.show(permission.function_name),
        permission.action,
        _tokens.show(permission.principal),
        _conditions(grant),
        _checks(grant),
    )


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def show(paths: Sequence[Path]) -> int:
    """Print a table of the permissions in the templates at ``paths``."""
    grants: list[TemplatePermission] = []
    files = [file for path in paths for file in template_files(path)]
    for file in files:
        name = file.name.removesuffix(".template.json").removesuffix(".json")
        grants.extend(permissions_in(load(file), name))
    if not grants:
        print(f"No AWS::Lambda::Permission in {len(files)} template(s).")
        return 0
    print(_table([_COLUMNS, *(_row(grant) for grant in grants)]))
    functions = {(g.template, g.permission.function_name) for g in grants}
    print(
        f"\n{len(grants)} permission(s) on {len(functions)} function reference(s) "
        f"in {len(files)} template(s)."
    )
    return 0


def rules(documents: Sequence[Path]) -> int:
    """Print the rules table, or rewrite the generated block of each of ``documents``."""
    from . import _catalogue_doc

    if not documents:
        print(_catalogue_doc.generated_block())
    for document in documents:
        text = document.read_text(encoding="utf-8")
        document.write_text(_catalogue_doc.replace_block(text), encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lambdaperm`` command."""
    parser = argparse.ArgumentParser(
        prog="lambdaperm", description="Inspect the Lambda permissions of CloudFormation templates."
    )
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
