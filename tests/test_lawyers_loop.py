"""The lawyers' loop: quick CGV previews and versions a lawyer recognises."""

from __future__ import annotations

import json

import pytest
from conftest import run_main
from pypdf import PdfReader

from cgvkit.documents.pack import Article, versions_fr


def article(number: int, version: str) -> Article:
    return Article(number, "f", f"f/v{number}", version, "Titre", "texte", False, "0" * 64)


def test_versions_on_the_cover_name_the_exceptions():
    assert versions_fr([article(1, "1.0.0"), article(2, "1.0.0")]) == "clauses en version 1.0.0"
    assert versions_fr([article(1, "1.0.0"), article(2, "1.2.0"), article(3, "1.0.0")]) == \
        "clauses en version 1.0.0, sauf article 2 en 1.2.0"


@pytest.mark.slow
def test_only_cgv_prints_the_cgv_alone_apart_from_the_pack(project):
    result = run_main(project, "pack", "companies/boutique-en-ligne.yaml", "--only", "cgv")
    assert result.returncode == 0, result.stderr
    out = project / "dist" / "apercu" / "boutique-en-ligne"
    assert sorted(p.name for p in out.iterdir()) == ["cgv.html", "cgv.pdf", "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["only"] == "cgv" and "build_key" not in manifest
    assert sorted(manifest["outputs"]) == ["cgv.html", "cgv.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(out / "cgv.pdf").pages)
    assert "clauses en version 1.0.0" in text
    assert not (project / "dist" / "boutique-en-ligne").exists()
