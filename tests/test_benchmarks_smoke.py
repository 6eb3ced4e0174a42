"""The benchmark app still builds every variant, and they all grant the same.

No timing here: the numbers come from ``make bench`` (benchmarks/run.py), never from tests.
"""

from __future__ import annotations

import importlib.util
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
