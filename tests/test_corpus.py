"""1,055 public templates: every one read, every AWS::Lambda::Permission reported.

The corpus (``shared/corpora/real-templates/lambda-permission-templates.tar.xz`` beside the
repository, or the archive ``LAMBDAPERM_CORPUS`` names) holds SAM translator outputs in three
partitions, their SAM sources (YAML, read but not transformed), cfn-lint, cfn_nag and checkov
fixtures, AWS's sample templates, Serverless Framework and cdk.out outputs, and ``MANIFEST.tsv``
with the count of permissions each holds (and, for a SAM source, the count its transform
produces). Pure Python: about two seconds, and fifteen for ``lint`` of the whole corpus (246
SAM transforms).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, extract
from constructs_lambdaperm import resource_policies
from constructs_lambdaperm._audit.engine import AuditReport
from constructs_lambdaperm._cli import inputs
from constructs_lambdaperm._cli.formats import json as json_format
from constructs_lambdaperm._cli.formats import sarif, text
from constructs_lambdaperm._cli.main import main
from constructs_lambdaperm._cli.results import lint_run
from constructs_lambdaperm._readers.files import load_template
from constructs_lambdaperm._readers.template import (
    TemplatePermission,
    TemplateProblem,
    read_permissions,
)
from constructs_lambdaperm._rules import check

ARCHIVE = "corpora/real-templates/lambda-permission-templates.tar.xz"


def _archive() -> Path | None:
    given = os.environ.get("LAMBDAPERM_CORPUS")
    if given:
        return Path(given)
    for shared in (ROOT.parent / "shared", Path("/work/shared")):
        if (shared / ARCHIVE).is_file():
            return shared / ARCHIVE
    return None


@dataclass(frozen=True)
class Read:
    """One template of the corpus, read."""

    file: str
    source: str
    expected: int
    """The manifest's count of AWS::Lambda::Permission resources."""
    template: dict[str, Any]
    permissions: list[TemplatePermission]
    problems: list[TemplateProblem]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = _archive()
    if archive is None or not archive.is_file():
        pytest.skip(
            f"the corpus {ARCHIVE} is not beside the repository (../shared) or in /work/shared; "
            "set LAMBDAPERM_CORPUS to the archive's path"
        )
    directory = tmp_path_factory.mktemp("corpus")
    extract(archive, directory)
    return directory


@pytest.fixture(scope="module")
def read(corpus: Path) -> list[Read]:
    def rows() -> Iterator[Read]:
        with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
            for row in csv.DictReader(manifest, delimiter="\t"):
                template = load_template(corpus / row["file"])
                permissions, problems = read_permissions(template, row["file"])
                yield Read(
                    row["file"],
                    row["source"],
                    int(row["permissions"]),
                    template,
                    permissions,
                    problems,
                )

    return list(rows())


def test_every_template_is_read_with_every_permission(read: list[Read]) -> None:
    assert len(read) == 1055
    assert sum(r.file.endswith((".yaml", ".yml")) for r in read) == 271
    # SAM sources declare functions and events: their permissions appear once transformed.
    plain = [r for r in read if r.source != "sam-input"]
    counted = {r.file: len({p.logical_id for p in r.permissions}) + len(r.problems) for r in plain}
    assert counted == {r.file: r.expected for r in plain}
    assert sum(counted.values()) == 1824


def test_no_permission_of_the_corpus_fails_to_be_read(read: list[Read]) -> None:
    assert [(r.file, p.logical_id, p.message) for r in read for p in r.problems] == []


def test_every_permission_of_the_corpus_is_checked(read: list[Read]) -> None:
    # The rules run on every permission without raising (what `show` prints in its table).
    for template in read:
        for permission in template.permissions:
            check(permission.permission)


def test_every_policy_of_the_corpus_is_built(read: list[Read]) -> None:
    # The resolver reads every intrinsic of the corpus without raising, and puts every
    # permission in a policy.
    total = 0
    for template in read:
        policies = resource_policies(template.template)
        total += sum(len(p.statements) for p in policies)
    assert total == sum(r.expected for r in read if r.source != "sam-input")


def test_show_reads_the_whole_corpus(
    corpus: Path, capsys: pytest.CaptureFixture[str], read: list[Read]
) -> None:
    status = main(["show", str(corpus / "templates")])
    out, err = capsys.readouterr()
    unread = sum(len(r.problems) for r in read)
    assert "in 1055 template(s)" in out
    assert status == (1 if unread else 0)
    assert err.count("lambdaperm: error:") == unread


@pytest.fixture(scope="module")
def linted(corpus: Path) -> tuple[inputs.Inputs, AuditReport, list[str]]:
    """``lambdaperm lint`` of the whole corpus, as one app (the reading and the check)."""
    found = inputs.read([corpus / "templates"])
    report, unchecked = inputs.check(found)
    return found, report, unchecked


def test_lint_reads_and_checks_every_template_of_the_corpus(
    linted: tuple[inputs.Inputs, AuditReport, list[str]],
) -> None:
    found, report, unchecked = linted
    assert (found.errors, unchecked, found.files) == ([], [], 1055)
    run = lint_run(report, found, verbose=True)
    # Every format renders every finding of the corpus.
    assert json_format.lint(run)
    assert sarif.lint(run)
    text.lint(run, text.console(io.StringIO()))


def test_the_sam_sources_show_the_permissions_their_transform_produces(
    corpus: Path, linted: tuple[inputs.Inputs, AuditReport, list[str]]
) -> None:
    found, report, _ = linted
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    sam_rows = [r for r in rows if r["source"] == "sam-input"]
    # Stack keys are the files as shown: absolute, the corpus being outside the current folder.
    sam = {
        Path(key).relative_to(corpus).as_posix(): key
        for key, source in found.sources.items()
        if source.kind == inputs.SAM
    }
    assert set(sam) == {r["file"] for r in sam_rows}
    keys = {key: file for file, key in sam.items()}
    produced: dict[str, int] = {}
    for policy in report.policies:
        for statement in policy.statements:
            if statement.stack in keys:
                file = keys[statement.stack]
                produced[file] = produced.get(file, 0) + 1
    expected = {r["file"]: int(r["sam_generated_permissions"]) for r in sam_rows}
    assert {f: produced.get(f, 0) for f in expected} == expected
    assert (len(sam), sum(produced.values())) == (246, 550)
    # Every permission of the corpus is in a policy: the 1,824 read plainly and SAM's 550.
    assert sum(len(p.statements) for p in report.policies) == 1824 + 550
