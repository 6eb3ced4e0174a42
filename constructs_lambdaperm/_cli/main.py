"""The ``lambdaperm`` command: its subcommands, and ``show`` and ``rules``.

``lint``, ``policy`` and ``verify`` have a module each (``lint.py``, ``policy.py``,
``verify.py``); their output formats are in ``formats/``. Pure Python: it reads template files
and never starts Node.js or the CDK; only ``verify`` calls AWS, and only to read.
The command needs its extra (``pip install 'constructs-lambdaperm[cli]'``: rich, sarif-om and
aws-sam-translator); without it, it says so in one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._audit.engine import Reported, branch_label
from .._core import tokens
from .._core.model import Permission
from .._core.version import VERSION
from .._readers.files import TemplateError, TemplateFile, load_template, template_files
from .._readers.template import (
    TemplatePermission,
    TemplateProblem,
    read_permissions,
    resource_names,
)

_COLUMNS = ("Function", "Grant", "Action", "Principal", "Conditions", "Checks")
_LABEL = re.compile(r"^(Ref|GetAtt|Sub):([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?$")


class _Namer:
    """Shows deploy-time values by the construct they reference: ``{Uploads.Arn}``."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def show(self, value: str) -> str:
        def label(text: str) -> str:
            match = _LABEL.match(text)
            if match is None:
                return text.removeprefix("Ref:").removeprefix("Sub:")
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


class _Verdicts:
    """The guard's verdicts on each resource of the files shown, from one check of them all.

    The same engine as ``lint``'s and the validation plugin's: references resolved, the app
    rules, every acknowledgement (the assembly's, and only those that can be honoured).
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        from . import inputs

        found = inputs.read(paths)
        report, _ = inputs.check(found)
        self._by_resource: dict[tuple[str, str], list[Reported]] = {}
        for reported in report.findings:
            if not reported.finding.evaluated:
                continue
            for place in reported.places[:1]:
                if place.template_path and place.logical_id:
                    key = (_resolved(place.template_path), place.logical_id)
                    self._by_resource.setdefault(key, []).append(reported)

    def of(self, file: Path, grant: TemplatePermission) -> str:
        """The verdicts on ``grant``: ``ok``, or each rule with its severity or acknowledgement."""
        suffix = branch_label(grant.conditions) if grant.conditions else None
        verdicts: list[str] = []
        for reported in self._by_resource.get((_resolved(file), grant.logical_id), []):
            message = reported.finding.message
            if "(when " in message and (suffix is None or not message.endswith(suffix)):
                continue  # found on another branch of the resource's Fn::If
            if reported.acknowledgement is not None:
                verdicts.append(f"{reported.rule.id} acknowledged")
            else:
                verdicts.append(f"{reported.rule.id} {reported.severity.value}")
        return ", ".join(dict.fromkeys(verdicts)) or "ok"


def _resolved(path: str | Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _table(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, indent + "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _grant(grant: TemplatePermission, names: Mapping[str, str]) -> str:
    """The grant's name, and the conditions its reading assumes: ``Public (if not IsProd)``."""
    name = names.get(grant.logical_id, grant.logical_id)
    if not grant.conditions:
        return name
    assumed = " and ".join(c if holds else f"not {c}" for c, holds in grant.conditions)
    return f"{name} (if {assumed})"


def _error(message: str) -> None:
    print(f"lambdaperm: error: {message}", file=sys.stderr)


def _show_file(file: TemplateFile, verdicts: _Verdicts) -> tuple[int, set[str], int]:
    """Print the table of one template: ``(permissions, functions, resources unread)``.

    :raises TemplateError: when the file cannot be read as a template.
    """
    template = load_template(file.path)
    grants, problems = read_permissions(template, file.name)
    for problem in problems:
        _error(f"{file.path}: {problem.logical_id}: {problem.message}")
    names = resource_names(template)
    namer = _Namer(names)
    rows: list[tuple[str, ...]] = []
    shown: list[TemplatePermission] = []
    for grant in grants:
        try:
            rows.append(
                (
                    namer.show(grant.permission.function_name),
                    _grant(grant, names),
                    grant.permission.action,
                    namer.show(grant.permission.principal),
                    _conditions(grant.permission, namer),
                    verdicts.of(file.path, grant),
                )
            )
            shown.append(grant)
        except Exception as error:  # one resource never stops the others
            problems.append(TemplateProblem(grant.logical_id, "could not be checked"))
            _error(
                f"{file.path}: {grant.logical_id}: could not be checked "
                f"({type(error).__name__}: {error}): a bug in constructs-lambdaperm, please "
                "report it"
            )
    if rows:
        rows.sort(key=lambda row: (row[0], row[1]))
        print(f"{file.name}: {len(rows)} permission(s)")
        print(_table([_COLUMNS, *rows]))
        print()
    functions = {g.permission.function_name for g in shown}
    return len(rows), functions, len(problems)


def show(paths: Sequence[Path]) -> int:
    """Print, for each template, a table of its permissions grouped by function.

    A file or resource that cannot be read is reported on standard error, in one line naming
    it, and the others are still read; the exit status is then 1.
    """
    files = [file for path in paths for file in template_files(path)]
    verdicts = _Verdicts(paths)
    total, unread, unread_resources = 0, 0, 0
    functions: set[tuple[str, str]] = set()
    for file in files:
        try:
            count, named, problems = _show_file(file, verdicts)
        except TemplateError as error:
            _error(str(error))
            unread += 1
            continue
        total += count
        unread_resources += problems
        functions.update((file.name, function) for function in named)
    read = len(files) - unread
    if total == 0:
        print(f"No AWS::Lambda::Permission in {read} template(s).")
    else:
        print(
            f"{total} permission(s) on {len(functions)} function(s), versions or aliases "
            f"in {read} template(s). Checks: 'ok', or the rules each one breaks "
            "(see `lambdaperm rules`)."
        )
    if unread or unread_resources:
        print(
            f"Not read: {unread} file(s) and {unread_resources} resource(s) (see the errors "
            "above).",
            file=sys.stderr,
        )
        return 1
    if not files:
        _error("no template found in " + ", ".join(str(p) for p in paths))
        return 1
    return 0


def rules(documents: Sequence[Path]) -> int:
    """Print the rules table, or rewrite the generated block of each of ``documents``."""
    from . import rules_table

    if not documents:
        print(rules_table.generated_block())
    status = 0
    for document in documents:
        try:
            text = document.read_text(encoding="utf-8")
            updated = rules_table.replace_block(text)
        except (OSError, UnicodeDecodeError) as error:
            _error(f"{document}: cannot be read ({error.__class__.__name__}: {error})")
            status = 2
            continue
        except ValueError:  # str.index: a marker is missing
            _error(
                f"{document}: has no generated block to rewrite (the lines "
                f"{rules_table.BEGIN!r} and {rules_table.END!r})"
            )
            status = 2
            continue
        document.write_text(updated, encoding="utf-8")
    return status


EXTRA_MODULES = ("rich", "sarif_om", "jschema_to_python", "samtranslator")
"""What the ``cli`` extra installs, as the command imports it."""

INSTALL_HINT = "pip install 'constructs-lambdaperm[cli]'"


def missing_extra() -> list[str]:
    """The modules of the ``cli`` extra that are not installed (looked up, not imported)."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def parser() -> argparse.ArgumentParser:
    """The ``lambdaperm`` command's arguments, with a parser per subcommand."""
    from . import lint, policy, verify

    command = argparse.ArgumentParser(
        prog="lambdaperm",
        description="Check and show the Lambda permissions of CloudFormation templates, SAM "
        "templates and cloud assemblies (cdk.out), and compare them with what is live.",
    )
    command.add_argument("--version", action="version", version=f"lambdaperm {VERSION}")
    commands = command.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lint.add_parser(commands)
    policy.add_parser(commands)
    verify.add_parser(commands)
    show_command = commands.add_parser(
        "show",
        help="print a table of the permissions in templates or a cloud assembly",
        description="Print a table of every AWS::Lambda::Permission of the templates, with the "
        "rules each one breaks. Exit status 1 when a file could not be read.",
    )
    show_command.add_argument(
        "paths", nargs="+", type=Path, help="template files, or a cloud assembly such as cdk.out"
    )
    show_command.set_defaults(run=lambda arguments: show(arguments.paths))
    rules_command = commands.add_parser(
        "rules",
        help="print the rules table, or bring the tables in documents up to date",
        description="Print the rules table (Markdown), or rewrite its generated block in "
        "documents.",
    )
    rules_command.add_argument(
        "--write",
        nargs="+",
        type=Path,
        metavar="DOCUMENT",
        help="rewrite the generated block of each document (docs/rules.md, README.md)",
    )
    rules_command.set_defaults(run=lambda arguments: rules(arguments.write or []))
    return command


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lambdaperm`` command."""
    missing = missing_extra()
    if missing:
        print(
            f"lambdaperm needs its command-line extra ({', '.join(missing)} missing): "
            f"{INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    arguments = parser().parse_args(argv)
    status: int = arguments.run(arguments)
    return status


if __name__ == "__main__":
    sys.exit(main())
