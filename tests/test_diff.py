"""`diff REF`: French redlines of changed clauses and the companies whose CGV change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import edit, run_main
from pypdf import PdfReader

GOLDEN = Path(__file__).parent / "golden"
GIT = ["git", "-c", "user.name=Avocate", "-c", "user.email=avocate@example.fr", "-c", "commit.gpgsign=false"]


def commit(root: Path, message: str) -> None:
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-q", "-m", message], check=True)


@pytest.fixture
def history(project):
    subprocess.run(["git", "-C", str(project), "init", "-q"], check=True)
    commit(project, "Bibliothèque initiale")
    return project


@pytest.mark.slow
def test_a_changed_clause_gives_a_redline_and_the_companies_affected(history, tmp_path):
    clause = history / "clauses" / "contestation_period" / "standard.yaml"
    edit(clause, "version:", "version: 1.2.0\nold_version:")
    text = clause.read_text(encoding="utf-8").replace("\nold_version: 1.1.0", "")
    clause.write_text(text, encoding="utf-8")
    edit(clause, "adressée au vendeur par écrit", "adressée au vendeur par lettre recommandée")
    commit(history, "Contestation par lettre recommandée")
    out = tmp_path / "redline"
    result = run_main(history, "diff", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 clause(s) modifiée(s) dans 1 famille(s)" in result.stdout
    assert "atelier-lyonnais" in result.stdout
    html = (out / "contestation_period.html").read_text(encoding="utf-8")
    assert "par <del>écrit,</del><ins>lettre recommandée,</ins> par courrier" in html
    assert html.count("<ins>") == 2  # the legend's and the change's
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Atelier Lyonnais" in index and "boutique" not in index.lower()
    pdf = "".join(page.extract_text() for page in PdfReader(out / "contestation_period.pdf").pages)
    assert "lettre recommandée" in pdf and "1.1.0 → 1.2.0" in pdf


def test_redline_golden_html(history, tmp_path, monkeypatch):
    """The redline of a known change, compared with its golden copy (no PDF printed here)."""
    import cgvkit.documents.redline as redline_module

    monkeypatch.setattr(redline_module, "write_document",
                        lambda project, html, stem, when: stem.with_suffix(".html").write_text(html, encoding="utf-8"))
    clause = history / "clauses" / "contestation_period" / "standard.yaml"
    edit(clause, "adressée au vendeur par écrit", "adressée au vendeur par lettre recommandée")
    out = tmp_path / "redline"
    result = run_main(history, "diff", "HEAD", "-o", str(out))
    assert result.returncode == 0, result.stderr
    produced = (out / "contestation_period.html").read_text(encoding="utf-8")
    golden = GOLDEN / "redline-contestation_period.html"
    assert produced == golden.read_text(encoding="utf-8")
    assert not list(out.glob("*.pdf"))


def test_nothing_changed_and_wrong_refs(history):
    result = run_main(history, "diff", "HEAD", "-o", str(history / "dist" / "r"))
    assert result.returncode == 0, result.stderr
    assert "0 clause(s) modifiée(s)" in result.stdout
    for ref in ("nope", "--output=/tmp/x"):
        result = run_main(history, "diff", "--", ref) if ref.startswith("-") else run_main(history, "diff", ref)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and result.stderr.startswith("usage : diff")
    # One commit only: no default reference to compare with.
    result = run_main(history, "diff")
    assert result.returncode == 2 and "moins de deux commits" in result.stderr


def test_diff_outside_a_repository_is_a_usage_error(project):
    result = run_main(project, "diff", "HEAD")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_clause_pages_show_their_history(history):
    from cgvkit.model.project import load_project
    from cgvkit.site import library as library_pages
    from cgvkit.site.markdown import render_page

    clause = history / "clauses" / "contestation_period" / "standard.yaml"
    edit(clause, "adressée au vendeur par écrit", "adressée au vendeur par lettre recommandée")
    edit(clause, "version: 1.1.0", "version: 1.2.0")
    commit(history, "Contestation par lettre recommandée")
    project = load_project(history)
    view = next(v for v in library_pages.family_views(project) if v["family"].name == "contestation_period")
    page = render_page(history, "clause_family.md", view=view)
    assert "| Contestation par lettre recommandée |" in page.replace("\u00a0", " ")
    assert "Bibliothèque initiale" in page and "Avocate" in page
    purpose = next(v for v in library_pages.family_views(project) if v["family"].name == "purpose")
    assert purpose["variants"][0]["history"][0]["subject"] == "Bibliothèque initiale"


def test_a_text_changed_without_a_new_version_is_a_warning_at_validate(history):
    clause = history / "clauses" / "contestation_period" / "standard.yaml"
    result = run_main(history, "validate")
    assert result.returncode == 0 and "[clause-version-unchanged]" not in result.stderr  # nothing changed yet
    edit(clause, "text: |", "text: |\n  Précision ajoutée.")
    result = run_main(history, "validate")
    assert result.returncode == 0
    line = next(line for line in result.stderr.splitlines() if "[clause-version-unchanged]" in line)
    assert line.startswith("clauses/contestation_period/standard.yaml:") and "le texte a changé" in line
    # A new version is the answer: the warning goes.
    version = next(line for line in clause.read_text(encoding="utf-8").splitlines() if line.startswith("version:"))
    edit(clause, version, "version: 9.0.0")
    assert "[clause-version-unchanged]" not in run_main(history, "validate").stderr


def test_a_variant_past_its_end_date_names_the_companies_that_use_it(project):
    result = run_main(project, "validate")
    assert "[clause-expired]" not in result.stderr
    edit(project / "clauses" / "retention_of_title" / "extended.yaml", "valid_from: ",
         "valid_to: 2026-06-30\nvalid_from: ")  # after the companies' 1 January 2026
    assert "[clause-expired]" not in run_main(project, "validate", "--date", "2026-06-30").stderr  # its last day
    result = run_main(project, "validate", "--date", "2026-07-01")
    assert result.returncode == 0  # a warning: the lawyer decides
    line = next(line for line in result.stderr.splitlines() if "[clause-expired]" in line)
    assert line.startswith("clauses/retention_of_title/extended.yaml:")
    assert "n’est plus en vigueur depuis le 30 juin 2026" in line and "encore utilisée par : atelier-lyonnais" in line


def test_a_project_in_a_sub_folder_of_its_repository(tmp_path):
    from conftest import copy_project

    repository = tmp_path / "cabinet"
    root = copy_project(repository / "clients" / "cgv")
    subprocess.run(["git", "-C", str(repository), "init", "-q"], check=True)
    commit(repository, "Bibliothèque initiale")
    edit(root / "clauses" / "contestation_period" / "standard.yaml", "version:", "version: 1.2.0\nold_version:")
    clause = root / "clauses" / "contestation_period" / "standard.yaml"
    clause.write_text(clause.read_text(encoding="utf-8").replace("\nold_version: 1.1.0", ""), encoding="utf-8")
    commit(repository, "Contestation : nouvelle version")
    result = run_main(root, "diff", "HEAD~1", "-o", str(tmp_path / "redline"))
    assert result.returncode == 0, result.stderr
    assert "1 clause(s) modifiée(s) dans 1 famille(s)" in result.stdout
    assert (tmp_path / "redline" / "contestation_period.html").is_file()
