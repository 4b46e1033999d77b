"""The example packs: real YAML in, real HTML and PDF out, read back and checked."""

from __future__ import annotations

import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import HOSTILE, HOSTILE_SLUG, edit
from pypdf import PdfReader

GOLDEN = Path(__file__).parent / "golden"


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages).replace("\u202f", " ").replace("\xa0", " ")


class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.sections = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs)

    def handle_data(self, data):
        self.parts.append(data)


def html_text(path: Path) -> Text:
    parser = Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_b2b_cgv_pdf_states_the_figures_a_lawyer_checks(built_packs):
    text = pdf_text(built_packs / "dist" / "atelier-lyonnais" / "cgv.pdf")
    assert "Conditions générales de vente" in text
    assert "45 jours" in text
    assert "40,00 €" in text
    assert "Tribunal des activités économiques de Lyon" in text
    assert "réserve de propriété" in text.lower()
    assert "page 1 / " in text


def test_b2c_cgv_has_mediator_and_no_indemnity_nor_jurisdiction(built_packs):
    text = pdf_text(built_packs / "dist" / "boutique-en-ligne" / "cgv.pdf")
    assert "médiat" in text.lower() and "https://" in text
    assert "40,00 €" not in text
    assert "Tribunal de commerce" not in text
    assert "rétractation" in text.lower()


def test_pdf_metadata(built_packs):
    reader = PdfReader(built_packs / "dist" / "atelier-lyonnais" / "cgv.pdf")
    meta = reader.metadata
    assert meta.title.startswith("Conditions générales de vente")
    assert meta.author == "Atelier Lyonnais de Menuiserie"
    assert meta.subject and "professionnels" in meta.subject
    assert str(meta.get("/CreationDate")).startswith("D:20260101")
    assert reader.trailer["/Root"].get("/Lang") == "fr"


def test_manifest_hashes_match_the_files(built_packs):
    pack = built_packs / "dist" / "atelier-lyonnais"
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["company"] == "atelier-lyonnais" and manifest["effective_date"] == "2026-01-01"
    company = (built_packs / "companies" / "atelier-lyonnais.yaml").read_bytes()
    assert manifest["company_file"]["sha256"] == hashlib.sha256(company).hexdigest()
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == digest
    assert {"cgv.html", "cgv.pdf"} <= set(manifest["outputs"])
    ids = [c["id"] for c in manifest["clauses"]]
    assert "payment_term/standard" in ids and "retention_of_title/extended" in ids
    html = html_text(pack / "cgv.html")
    assert [s["data-clause"] for s in html.sections] == ids


def test_jurisdiction_is_prominent(built_packs):
    sections = html_text(built_packs / "dist" / "atelier-lyonnais" / "cgv.html").sections
    (jurisdiction,) = [s for s in sections if s["data-clause"].startswith("jurisdiction/")]
    assert "prominent" in jurisdiction["class"]


@pytest.mark.parametrize("slug", ["atelier-lyonnais", "boutique-en-ligne"])
def test_golden_html(built_packs, slug):
    """The example CGV's HTML, byte for byte. Refresh with UPDATE_GOLDEN=1 after a reviewed change."""
    produced = (built_packs / "dist" / slug / "cgv.html").read_text(encoding="utf-8")
    golden = GOLDEN / f"{slug}.cgv.html"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "no golden file: run UPDATE_GOLDEN=1 make test and review the diff"
    assert produced == golden.read_text(encoding="utf-8")


def cgv_html_only(root: Path, slug: str) -> str:
    """The company's CGV as the pack command renders it to HTML, without printing anything."""
    from cgvkit.documents.pack import articles, cgv_html
    from cgvkit.model.project import load_project

    project = load_project(root, [root / "companies" / f"{slug}.yaml"])
    (company,) = project.companies
    return cgv_html(project, company, articles(company))


def toc_columns(html: str) -> list[list[int]]:
    nav = html.split('<nav class="toc">', 1)[1].split("</nav>", 1)[0]
    return [[int(n) for n in re.findall(r">Article (\d+) —", ol)] for ol in nav.split("<ol")[1:]]


def test_table_of_contents_is_two_lists_of_even_height(project):
    # Article 2's title takes two lines in a column: the first column stops at 6 entries, 7 lines.
    assert toc_columns(cgv_html_only(project, "boutique-en-ligne")) == [list(range(1, 7)), list(range(7, 14))]
    # Here articles 2 and 9 take two lines (9 entries, 11 lines), then 15 two lines and the annex 16 three
    # (7 entries, 10 lines).
    assert toc_columns(cgv_html_only(project, "atelier-lyonnais")) == [list(range(1, 10)), list(range(10, 17))]


def test_table_of_contents_split_counts_lines_not_entries():
    from cgvkit.documents.pack import Article, toc_split

    def entries(*titles):
        return [Article(n, "f", f"f/v{n}", "1.0.0", t, "", False, "") for n, t in enumerate(titles, 1)]

    assert toc_split(entries("Prix", "Garanties", "Force majeure", "Responsabilité")) == 2
    assert toc_split(entries("Prix", "Garanties", "Force majeure")) == 2  # the first column is the taller
    long = "Droit applicable, juridiction compétente, règlement amiable des litiges et médiation de la consommation"
    assert toc_split(entries(long, "Prix", "Garanties", "Force majeure")) == 1
    assert toc_split(entries("Prix")) == 1 and toc_split([]) == 0


def test_company_data_is_printed_as_data(built_packs):
    """The session's company whose name is markup and template syntax: printed as typed."""
    pack = built_packs / "dist" / HOSTILE_SLUG
    raw = (pack / "cgv.html").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    assert HOSTILE in "".join(html_text(pack / "cgv.html").parts)
    printed = pdf_text(pack / "cgv.pdf")
    assert "{{ 7*7 }}" in printed and " 49" not in printed


def test_logo_inside_the_project_is_inlined(project):
    (project / "templates" / "logo-test.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    company = project / "companies" / "atelier-lyonnais.yaml"
    edit(company, "  name:", "  logo: templates/logo-test.svg\n  name:")
    assert 'src="data:image/svg+xml;base64,' in cgv_html_only(project, "atelier-lyonnais")


def test_pdf_engine_fetches_nothing_outside_the_project(tmp_path):
    from cgvkit.documents.pdf import write_pdf

    root = Path(__file__).resolve().parent.parent
    html = ('<html><head></head><body><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
            '<link rel="stylesheet" href="../../../etc/hosts"><p>Texte</p></body></html>')
    import datetime
    printed = write_pdf(html, tmp_path / "x.pdf", root, datetime.date(2026, 1, 1), "0" * 32)
    assert "file:///etc/passwd" in printed.refused
    assert any(u.startswith("http://127.0.0.1") for u in printed.refused)
    assert any(u.endswith("/etc/hosts") for u in printed.refused)
