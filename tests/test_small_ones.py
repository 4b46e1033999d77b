"""The small things a careful user expects: quoted dates, French argument errors, stale packs pruned."""

from __future__ import annotations

import json
import re

from conftest import edit, run_main

from cgvkit.documents.batch import prune_removed

ENGLISH = re.compile(r"error:|usage:|\binvalid\b|\brequired\b|unrecognized|choose from|show this help")


def test_a_quoted_iso_date_is_a_date(project):
    company = project / "companies" / "atelier-lyonnais.yaml"
    text = company.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("effective_date:"))
    edit(company, line, f"effective_date: '{line.split(':', 1)[1].strip()}'")
    assert run_main(project, "validate").returncode == 0
    edit(company, "effective_date: '", "effective_date: '2026-02-30' #")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "effective_date: « 2026-02-30 » n’est pas une date" in result.stderr


def test_argument_errors_and_help_are_french(project):
    cases = [("all", "--jobs", "abc"), ("pack",), ("frobnicate",), ("validate", "--bogus"),
             ("all", "--shard", "3/2"), ("pack", "companies/atelier-lyonnais.yaml", "--only", "tout")]
    for args in cases:
        result = run_main(project, *args)
        assert result.returncode == 2, args
        assert "\u00a0: erreur\u00a0: " in result.stderr and result.stderr.startswith("usage : "), result.stderr
        assert not ENGLISH.search(result.stderr), result.stderr
    result = run_main(project, "all", "--jobs", "abc")
    assert "argument --jobs\u00a0: un nombre entier positif est attendu" in result.stderr
    result = run_main(project, "frobnicate")
    assert "choix invalide «\u00a0frobnicate\u00a0»" in result.stderr
    result = run_main(project, "pack", "--help")
    assert result.returncode == 0
    assert "affiche cette aide" in result.stdout and "arguments\u00a0:" in result.stdout
    assert not ENGLISH.search(result.stdout)


def pack(dist, slug: str, **extra) -> None:
    folder = dist / slug
    folder.mkdir(parents=True)
    manifest = {"kit_version": "0", "company": slug, "outputs": {}, **(extra or {"build_key": "k"})}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_packs_of_removed_companies_are_pruned_and_nothing_else(tmp_path):
    dist = tmp_path / "dist"
    pack(dist, "gone")
    pack(dist, "broken-but-present")
    pack(dist, "preview", only="cgv")  # a --only cgv preview is not a pack: no build key
    (dist / "relances" / "gone").mkdir(parents=True)
    (dist / "mine").mkdir()
    (dist / "mine" / "notes.txt").write_text("à garder", encoding="utf-8")
    pack(dist, "other-name")
    (dist / "other-name" / "manifest.json").write_text(json.dumps(
        {"kit_version": "0", "company": "someone-else", "outputs": {}, "build_key": "k"}), encoding="utf-8")
    assert prune_removed(dist, {"broken-but-present"}) == ["gone"]
    assert sorted(p.name for p in dist.iterdir()) == ["broken-but-present", "mine", "other-name", "preview", "relances"]


def test_all_prunes_the_pack_of_a_deleted_profile(project):
    for path in (project / "companies").glob("*.yaml"):
        path.unlink()
    pack(project / "dist", "ancienne-entreprise")
    result = run_main(project, "all", "--no-site")
    assert result.returncode == 0, result.stderr
    assert "pack supprimé : dist/ancienne-entreprise" in result.stdout
    assert not (project / "dist" / "ancienne-entreprise").exists()
