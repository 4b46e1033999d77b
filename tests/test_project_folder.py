"""A project kept in another folder than the kit: a law firm's own repository, the kit installed apart.

Only the project's data is copied (no cgvkit/, no build.py); the kit runs from this checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clear_caches, copy_project, kit_env
from pypdf import PdfReader

FIRM_PARTS = ("clauses", "companies", "data", "schemas", "templates", "ladder", "docs", "mkdocs.yml")


@pytest.fixture
def firm(tmp_path) -> Path:
    root = copy_project(tmp_path / "cabinet" / "cgv", FIRM_PARTS)
    assert not (root / "cgvkit").exists() and not (root / "build.py").exists()
    return root


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    folder = tmp_path / "ailleurs"
    folder.mkdir()
    return folder


def main_from(cwd: Path, *argv: str):
    """The command line in this process, started from `cwd` (not from the project)."""
    from cgvkit.cli import main

    clear_caches()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_pack(root: Path, slug: str) -> dict:
    pack = root / "dist" / slug
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["company"] == slug
    assert {"cgv.html", "cgv.pdf", "letters/formal_notice.pdf", "letters/pre_due.txt"} <= set(manifest["outputs"])
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == digest, name
    return manifest


@pytest.mark.slow
def test_python_m_cgvkit_packs_a_project_in_another_folder(firm, elsewhere, built_packs):
    """End to end: `python -m cgvkit --root FIRM pack companies/x.yaml`, run from a third folder.

    Same inputs, same bytes: the pack is, file for file, the one the session's `all` built in a
    worker process of another project folder.
    """
    result = subprocess.run([sys.executable, "-m", "cgvkit", "--root", str(firm), "pack",
                             "companies/atelier-lyonnais.yaml"], cwd=elsewhere, capture_output=True, text=True,
                            timeout=600, env=kit_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert str(firm / "dist" / "atelier-lyonnais") in result.stdout  # outside the current folder: shown whole
    assert_pack(firm, "atelier-lyonnais")
    text = " ".join(page.extract_text() for page in PdfReader(firm / "dist" / "atelier-lyonnais" / "cgv.pdf").pages)
    assert "Atelier Lyonnais de Menuiserie" in text
    assert list(elsewhere.iterdir()) == []  # nothing written where the command was started
    ours, session = firm / "dist" / "atelier-lyonnais", built_packs / "dist" / "atelier-lyonnais"
    files = sorted(p.relative_to(session) for p in session.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    for name in files:
        assert (ours / name).read_bytes() == (session / name).read_bytes(), name


def test_root_option_in_process_from_another_folder(firm, elsewhere, no_pdf):
    code, out, err = main_from(elsewhere, "--root", str(firm), "validate")
    assert (code, err) == (0, "")
    code, out, err = main_from(elsewhere, "pack", "--root", str(firm), "companies/boutique-en-ligne.yaml")
    assert code == 0, err
    assert_pack(firm, "boutique-en-ligne")
    assert list(elsewhere.iterdir()) == []


def test_errors_are_located_relative_to_the_project_folder(firm, elsewhere):
    company = firm / "companies" / "atelier-lyonnais.yaml"
    company.write_text(company.read_text(encoding="utf-8").replace("days: 45", "days: 75"), encoding="utf-8")
    code, _, err = main_from(elsewhere, "--root", str(firm), "validate")
    assert code == 1
    assert "\ncompanies/atelier-lyonnais.yaml:" in "\n" + err and "[payment-term-max]" in err
    assert str(firm) not in err


def test_the_current_folder_is_the_default_project(firm):
    code, _, err = main_from(firm, "validate")
    assert (code, err) == (0, "")


def test_a_folder_that_is_not_a_project_is_wrong_usage(elsewhere):
    code, _, err = main_from(elsewhere, "--root", str(elsewhere), "validate")
    assert code == 2
    assert "n’est pas un projet" in err and "clauses/" in err
