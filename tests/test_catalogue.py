"""The catalogue as a whole: stable IDs, generated docs kept fresh, a documented public API."""

from __future__ import annotations

import inspect
import re

import pytest

import constructs_lambdaperm
from conftest import ROOT
from constructs_lambdaperm import RULES, Severity
from constructs_lambdaperm._cli.rules_table import BEGIN, END, generated_block
from constructs_lambdaperm._rules.registry import CHECKS


def test_rule_ids_are_well_formed_and_keyed_by_their_id() -> None:
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"LP[1-9]\d\d", rule_id)
        assert rule.id == rule_id
        assert rule.qualified_id == f"LambdaPerm::{rule_id}"
        assert rule.doc_url.startswith("https://docs.aws.amazon.com/")
        assert rule.title
        assert rule.explanation
        assert rule.fix


def test_each_rule_is_checked_at_most_once() -> None:
    checked = [rule.id for rule, _ in CHECKS]
    assert len(checked) == len(set(checked))


FAMILY_SEVERITIES = {
    "LP1": {Severity.ERROR},
    "LP2": {Severity.ERROR},
    "LP3": {Severity.UNSAFE},
    # The size budget: over the limit is an error (LP401), near it a warning (LP402).
    "LP4": {Severity.ERROR, Severity.WARNING},
    # Acknowledgements: one that cannot be honoured is an error, one that accepts nothing a
    # warning.
    "LP5": {Severity.ERROR, Severity.WARNING},
    # Rules over the whole app: grants that cannot work are errors, waste is a warning.
    "LP6": {Severity.ERROR, Severity.WARNING},
    # Drift between live policies and the templates (verify): what widens access is unsafe,
    # what narrows it or cannot be checked a warning.
    "LP7": {Severity.UNSAFE, Severity.WARNING},
}


def test_rule_families_by_severity() -> None:
    for rule_id, rule in RULES.items():
        assert rule.severity in FAMILY_SEVERITIES[rule_id[:3]], rule_id
    assert RULES["LP401"].severity is Severity.ERROR
    assert RULES["LP402"].severity is Severity.WARNING


@pytest.mark.parametrize("document", ["docs/rules.md", "README.md"])
def test_generated_rules_tables_are_fresh(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == generated_block(), (
        f"run `lambdaperm rules --write {document}` and commit the result"
    )


def test_every_public_name_and_member_has_a_docstring() -> None:
    missing: list[str] = []
    for name in constructs_lambdaperm.__all__:
        value = getattr(constructs_lambdaperm, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if not inspect.getdoc(value):
            missing.append(name)
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith("_") and member != "__init__":
                    continue
                documentable = callable(attribute) or isinstance(attribute, property)
                if documentable and not inspect.getdoc(attribute):
                    missing.append(f"{name}.{member}")
    assert missing == []


def test_public_classes_show_the_public_module() -> None:
    for name in constructs_lambdaperm.__all__:
        value = getattr(constructs_lambdaperm, name)
        if inspect.isclass(value):
            assert value.__module__ == "constructs_lambdaperm", name
