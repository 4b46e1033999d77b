"""Shared fixtures: a private copy of the project so tests can edit files and build freely."""

from __future__ import annotations

import contextlib
import io
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
    """Run `python build.py ARGS` as a user would, from the project folder (a new process)."""
    return subprocess.run([sys.executable, "build.py", *args], cwd=root, capture_output=True,
                          text=True, timeout=600)


def clear_caches() -> None:
    """Forget what the kit cached per process (templates, schemas, tree hashes): tests edit files."""
    for module in [m for name, m in sys.modules.items() if name.startswith("cgvkit") and m]:
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def run_main(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in this process, from the project folder: same result, no start-up."""
    from cgvkit.cli import main

    clear_caches()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--root", str(root), *args])
        except SystemExit as exc:  # argparse's wrong usage
            code = exc.code
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


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
