"""The distributions a platform team installs: a wheel with the whole package, an sdist that
builds and tests itself, a licence, and a description whose links work outside the repository.

``python -m build`` makes the sdist, then the wheel from the unpacked sdist, so a wheel here
proves the sdist builds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from conftest import ROOT, extract
from constructs_lambdaperm import __version__


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def _one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


def test_the_wheel_holds_every_module_and_no_tests(dist: Path) -> None:
    wheel = _one(dist, f"constructs_lambdaperm-{__version__}-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {
        str(path.relative_to(ROOT)) for path in (ROOT / "constructs_lambdaperm").rglob("*.py")
    }
    assert modules <= names
    assert "constructs_lambdaperm/py.typed" in names
    assert not any(name.startswith(("tests/", "examples/", "benchmarks/")) for name in names)
    info = f"constructs_lambdaperm-{__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "lambdaperm = constructs_lambdaperm._cli.main:main" in entry_points


def test_the_metadata_declares_the_licence_and_links_only_to_absolute_urls(dist: Path) -> None:
    wheel = _one(dist, "*.whl")
    raw = zipfile.ZipFile(wheel).read(f"constructs_lambdaperm-{__version__}.dist-info/METADATA")
    metadata = Parser().parsestr(raw.decode())
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["License-File"] == "LICENSE"
    description = str(metadata.get_payload())
    assert "constructs-lambdaperm" in description
    relative = re.findall(r"\]\((?!https?://|#)([^)]+)\)", description)
    assert relative == [], "links in the description must work from PyPI and an installed wheel"
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_the_sdist_holds_what_it_takes_to_build_and_test_itself(dist: Path, tmp_path: Path) -> None:
    sdist = _one(dist, f"constructs_lambdaperm-{__version__}.tar.gz")
    extract(sdist, tmp_path)
    unpacked = tmp_path / f"constructs_lambdaperm-{__version__}"
    for needed in (
        "LICENSE",
        "Makefile",
        "cdk.json",
        "constraints.txt",
        "checkov-requirements.txt",
        "package-lock.json",
        "docs/rules.md",
        "examples/app.py",
        "tests/conftest.py",
        "tests/__snapshots__",
        ".ci/run",
    ):
        assert (unpacked / needed).exists(), needed
    # The unpacked sdist's own tests pass on its own package (not this checkout's).
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_layout.py",
            "tests/test_pure_core.py",
            "tests/test_catalogue.py",
        ],
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import constructs_lambdaperm as p; print(p.__file__)"],
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(unpacked)
