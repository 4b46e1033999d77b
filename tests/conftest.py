"""Shared fixtures: a private copy of the project so tests can edit files and build freely."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("build.py", "cgvkit", "clauses", "companies", "data", "schemas", "templates", "docs",
          "mkdocs.yml", "ladder", "ledgers")


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(
                "__pycache__", "generated", "entreprises", "json"))
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of the project in a temporary folder."""
    return copy_project(tmp_path / "project")


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python build.py ARGS` as a user would, from the project folder."""
    return subprocess.run([sys.executable, "build.py", *args], cwd=root, capture_output=True,
                          text=True, timeout=600)


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file; fail loudly if the snippet is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="session")
def built_packs(tmp_path_factory) -> Path:
    """The example companies' packs, built once per test session in a project copy."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    for company in sorted((root / "companies").glob("*.yaml")):
        result = run_cli(root, "pack", f"companies/{company.name}")
        assert result.returncode == 0, result.stderr
    return root
