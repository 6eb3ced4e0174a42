"""The benchmark app still builds every variant, and they all grant the same.

No timing here: the numbers come from ``make bench`` (benchmarks/run.py), never from tests.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from conftest import ROOT


def _load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_app", ROOT / "benchmarks" / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_variant_synthesizes_the_same_permissions(tmp_path: Path) -> None:
    app = _load_app()
    size = 6  # one function: every kind of grant, and the odd one left over
    granted = {}
    for variant in app.VARIANTS:
        assembly, report = app.synthesize(variant, size, str(tmp_path / variant))
        assert report.permissions == size, variant
        granted[variant] = app.permission_properties(assembly)
    assert len({tuple(properties) for properties in granted.values()}) == 1, granted
    kinds = {grant.kind for function in app.plan(size) for grant in function}
    assert kinds == {"s3", "account", "org", "url"}


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_lint_benchmark_templates_are_clean_and_read_whole(tmp_path: Path) -> None:
    # No timing: benchmarks/lint.py measures; here its templates are what it says they are.
    lint = _load("lint")
    path = tmp_path / "permissions.json"
    path.write_text(json.dumps(lint.permission_template(40)))
    assert lint.lambdaperm([path]) == {}  # nothing wrong with them: every finding is real work
    from constructs_lambdaperm import resource_policies

    policies = resource_policies(lint.permission_template(40))
    assert [len(p.statements) for p in policies] == [lint.PER_FUNCTION, lint.PER_FUNCTION]
