"""The package's folders are its architecture: each layer imports only the layers below it.

Read from the import graph (every ``import`` statement, those inside functions and under
``TYPE_CHECKING`` included), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = "constructs_lambdaperm"

LAYERS = {
    "_core": 0,
    "_rules": 1,
    "_readers": 2,
    "_policy": 3,
    "_audit": 4,
    "_cdk": 5,
    "_cli": 5,
}
"""Each folder's height: a module may import its own folder and the folders below it."""

TOP = 6
"""The modules at the package's top level (the public API) stand on every layer."""

PURE = {"_core", "_rules", "_readers", "_policy", "_audit", "_cli"}
CDK_PACKAGES = {"aws_cdk", "constructs", "jsii"}


def _modules() -> dict[str, Path]:
    return dict(_module_paths())


def _module_paths() -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports, as absolute names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # ``from . import tokens`` imports the module ``tokens``, not its package's names.
            names = {f"{target}.{alias.name}" for alias in node.names}
            found.update(names)
            if not target.startswith(PACKAGE) or not names <= set(MODULES):
                found.add(target)
    return found


MODULES = _modules()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _height(module: str) -> int:
    layer = _layer(module)
    return TOP if layer is None else LAYERS[layer]


def test_every_module_lives_in_a_layer_folder() -> None:
    top_level = sorted(m for m in MODULES if _layer(m) is None)
    assert top_level == [PACKAGE, f"{PACKAGE}._sources", f"{PACKAGE}.testing"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in PURE))
def test_pure_layers_never_import_the_cdk(module: str) -> None:
    imported = {name.split(".")[0] for name in _imports(module, MODULES[module])}
    assert not imported & CDK_PACKAGES, f"{module} imports {sorted(imported & CDK_PACKAGES)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_folder_imports_a_folder_above_it(module: str) -> None:
    own = _layer(module)
    upward = sorted(
        name
        for name in _imports(module, MODULES[module])
        if name in MODULES
        and _layer(name) != own
        and (_height(name) > _height(module) or _height(name) == _height(module) != TOP)
    )
    assert not upward, f"{module} ({own}) imports {upward}"


def test_the_command_line_never_loads_the_cdk_layer() -> None:
    cli = [m for m in MODULES if _layer(m) == "_cli"]
    for module in cli:
        assert not any(_layer(n) == "_cdk" for n in _imports(module, MODULES[module]))


def _repository_files() -> Iterator[Path]:
    for folder in (PACKAGE, "tests", "examples", "benchmarks"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_mypy_follows_every_aws_cdk_module_the_repository_imports() -> None:
    # pyproject.toml skips aws_cdk's modules except those listed (a cold check of all of them
    # takes minutes); a module used but not listed would be typed as Any without a word.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    followed = [
        pattern
        for override in config["tool"]["mypy"]["overrides"]
        if override.get("follow_imports") == "normal"
        for pattern in override["module"]
    ]
    used = {
        name
        for path in _repository_files()
        for name in _imports(PACKAGE, path)
        if name.split(".")[0] == "aws_cdk" and not name.rpartition(".")[2][:1].isupper()
    }
    missing = sorted(n for n in used if not any(fnmatch(n, p) or n == p for p in followed))
    assert not missing, f"add to the follow_imports='normal' override: {missing}"
