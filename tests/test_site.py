"""The playbook site: generated pages read back from the built HTML, strict MkDocs, links, escaping.

The site is the one `built_packs` (tests/conftest.py) builds once per session with `python build.py
all` in a project copy, plus one extra company whose name is hostile markup; tests/test_site_browser.py
shares it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import HOSTILE, HOSTILE_SLUG, run_main


@pytest.fixture(scope="session")
def built(built_packs) -> Path:
    return built_packs


@pytest.fixture(scope="session")
def site(built) -> Path:
    return built / "site"


@pytest.fixture(scope="session")
def loaded(built):
    from cgvkit.model.project import load_project

    return load_project(built)


class Page(HTMLParser):
    """Text, links and resources of one built page."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path, self.text, self.refs, self.ids, self.tags = path, [], [], set(), []
        self.skip = 0
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("script", "style"):
            self.skip += 1
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.refs.append((tag, key, attrs[key]))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)

    @property
    def content(self) -> str:
        return " ".join(" ".join(self.text).split()).replace("\u202f", " ").replace("\xa0", " ")


@functools.cache
def parsed(path: Path) -> Page:
    """Each built page is parsed once per session (pages are only read)."""
    return Page(path)


def page(site: Path, name: str) -> Page:
    path = site / name
    assert path.is_file(), f"page manquante : {name}"
    return parsed(path)


# --- the generated pages, one per family, rule, stage and company -----------------------------

def test_every_clause_family_has_its_page(site, loaded):
    index = page(site, "generated/clauses/index.html")
    families = loaded.library.ordered()
    assert families, "la bibliothèque de clauses est vide"
    for family in families:
        html = page(site, f"generated/clauses/{family.name}.html")
        assert family.title in html.content
        assert f"{family.name}.html" in [r[2] for r in index.refs]
        for variant in family.variants.values():
            assert variant.id in html.content and variant.version in html.content
            for _article, url in variant.legal_basis:
                assert ("a", "href", url) in html.refs, f"{variant.id} : lien manquant vers {url}"
        assert "Exemple rendu pour" in html.content or "Aperçu impossible" in html.content


def test_clause_preview_is_the_text_a_company_gets(site, built, loaded):
    """The preview for the company's own variant is the text of its CGV, word for word."""
    from cgvkit.model.clausetext import render_text

    def previewed(clause, market):  # the variant the family page renders for a market: first by name
        return next(v for v in sorted(clause.family.variants.values(), key=lambda v: v.name) if market in v.markets)

    pairs = [(c, clause) for c in loaded.companies if c.slug != HOSTILE_SLUG for clause in c.clauses
             if previewed(clause, c.market).id == clause.variant.id]
    assert len(pairs) >= 10
    for company, clause in pairs[:10]:
        preview = page(site, f"generated/clauses/{clause.family.name}.html").content
        words = " ".join(render_text(company, clause).split())
        assert words[:80] in preview, clause.variant.id


def test_every_rule_has_its_entry(site):
    from cgvkit.law import rules

    html = page(site, "generated/regles.html")
    for rule_id, _severity, _article, summary, _in_force in rules.listing():
        assert rule_id in html.ids, f"règle sans ancre : {rule_id}"
        assert " ".join(summary.split()) in html.content
        assert ("a", "href", f"#{rule_id}") in html.refs


def test_every_stage_and_document_has_its_page(site, built, loaded):
    from cgvkit.model.ladder import load_default

    ladder = load_default(built)
    index = page(site, "generated/echelle/index.html")
    assert ("svg", "class", "ladder-timeline") in [(t, "class", a.get("class")) for t, a in index.tags]
    assert (site / "generated/echelle/echelle.svg").is_file()
    for stage in ladder.stages + ladder.documents:
        html = page(site, f"generated/echelle/{stage.id}.html")
        assert stage.title in html.content
        linked = {m[1] for r in html.refs for m in [re.search(rf"entreprises/([^/]+)/lettres/{stage.id}\.(pdf|txt)$",
                                                                 r[2])] if m}
        expected = {c.slug for c in loaded.companies
                    if stage in ladder.for_market(c.market).stages + ladder.for_market(c.market).documents}
        assert expected and linked == expected, stage.id
    for stage in ladder.stages:
        assert ("a", "href", f"{stage.id}.html") in index.refs, f"étape absente de la frise : {stage.id}"


def test_stage_ids_the_playbook_links_to(site):
    for stage in ("pre_due", "first_reminder", "second_reminder", "firm_letter", "formal_notice",
                  "final_notice", "payment_plan", "debt_acknowledgement", "court_cover_note"):
        assert (site / f"generated/echelle/{stage}.html").is_file(), stage


def test_every_company_has_its_page_and_pack(site, built, loaded):
    index = page(site, "generated/entreprises/index.html")
    assert len(loaded.companies) >= 3
    for company in loaded.companies:
        html = page(site, f"generated/entreprises/{company.slug}.html")
        assert f"{company.slug}.html" in [r[2] for r in index.refs]
        copied = site / f"generated/entreprises/{company.slug}/cgv.pdf"
        original = built / "dist" / company.slug / "cgv.pdf"
        assert copied.read_bytes() == original.read_bytes()
        assert ("a", "href", f"{company.slug}/cgv.pdf") in html.refs
        for clause in company.clauses:
            assert clause.variant.id in html.content and clause.variant.version in html.content
        manifest = json.loads((built / "dist" / company.slug / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["company_file"]["sha256"][:16] in html.content
    # The IBAN grouped by four, as the letters print it.
    assert "FR76 3000 6000 0112 3456 7890 189" in page(site, "generated/entreprises/atelier-lyonnais.html").content


def test_rate_table_shows_sources_and_last_row(site, loaded):
    from cgvkit.core.french import date_fr, percent

    html = page(site, "generated/taux.html")
    last = loaded.table.last
    assert f"à partir du {date_fr(last.start)}" in html.content.replace("\u202f", " ")
    for row in loaded.table.rows():
        assert percent(row.legal_other).replace("\xa0", " ") in html.content
        assert " ".join(row.source.split()).replace("'", "’") in html.content.replace("'", "’")
    from cgvkit.law.interest import CONVENTION_FR  # the letters' convention, said once in law/
    assert "base 365 jours" in CONVENTION_FR and CONVENTION_FR.split(" ; ")[0] in html.content.replace("\u202f", " ")


def test_hostile_company_name_prints_as_text(site):
    html = page(site, f"generated/entreprises/{HOSTILE_SLUG}.html")
    assert HOSTILE in html.content
    assert not any(tag == "script" and not attrs.get("src") and "alert" in str(attrs) for tag, attrs in html.tags)
    raw = (site / f"generated/entreprises/{HOSTILE_SLUG}.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw  # <title>, header
    assert "{{ 7*7 }}" in html.content


# --- an internal site: French, offline, strict -------------------------------------------------

def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_site_is_french_and_offline(site):
    config = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["config"]
    assert config["lang"] == ["fr"]
    assert (site / "search" / "search_index.js").is_file(), "index de recherche hors ligne absent"
    assert not (site / "generated" / "clauses" / "index" ).exists(), "use_directory_urls doit être désactivé"
    for path in all_pages(site):
        html = parsed(path)
        assert ("html", {"lang": "fr"}) in [(t, {"lang": a.get("lang")}) for t, a in html.tags if t == "html"]
        loaded_refs = [value for tag, _key, value in html.refs if tag in ("link", "script", "img", "iframe", "source")]
        external = [value for value in loaded_refs if re.match(r"^(https?:)?//", value)]
        assert loaded_refs and not external, f"{path.name} : ressources externes {external}"


def test_no_external_resource_anywhere(site):
    """Nothing the browser loads by itself points outside: CSS url(), scripts' import lists."""
    for path in list(site.rglob("*.css")) + list(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text and "unpkg.com" not in text, path
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", text):
            pytest.fail(f"{path}: {url}")


def test_link_walk(site):
    """Every internal href/src of every page resolves to a file of the site (anchors included)."""
    broken = []
    ids: dict[Path, set] = {}
    for path in all_pages(site):
        for _tag, _key, value in parsed(path).refs:
            parts = urlsplit(value)
            if parts.scheme or value.startswith(("//", "mailto:", "tel:", "data:", "javascript:")):
                continue
            base = site if parts.path.startswith("/") else path.parent  # 404.html: absolute paths
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or not target.is_relative_to(site.resolve()):
                broken.append(f"{path.relative_to(site)} → {value}")
            elif parts.fragment and target.suffix == ".html" and "generated" in target.parts:
                ids.setdefault(target, parsed(target).ids)
                if unquote(parts.fragment) not in ids[target]:
                    broken.append(f"{path.relative_to(site)} → {value} (ancre)")
    assert not broken, "\n".join(broken)


def test_generated_folder_rebuilt_from_scratch(built):
    assert not (built / "docs" / "generated" / "perime.md").exists()
    assert not (built / "site" / "generated" / "perime.html").exists()


# --- failures ------------------------------------------------------------------------------------

def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_broken_link_fails_strict_and_keeps_previous_site(built, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = digest(root / "site")
    index = root / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n[Page absente](nulle-part.md)\n", encoding="utf-8")
    result = run_main(root, "site")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "docs/index.md:1:1:" in result.stderr and "nulle-part.md" in result.stderr
    assert "[site-strict]" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(root / "site") == before
    assert not list(root.glob(".site.staging-*"))


def test_site_command_builds_missing_packs(built, tmp_path, no_pdf):
    root = tmp_path / "project"
    shutil.copytree(built, root, ignore=lambda folder, names: [n for n in names if n == "__pycache__" or (
        Path(folder) == built and n in ("dist", "site"))])
    keep = sorted(p.stem for p in (root / "companies").glob("*.yaml"))[:2]
    for other in (root / "companies").glob("*.yaml"):
        if other.stem not in keep:
            other.unlink()
    shutil.copytree(built / "dist" / keep[0], root / "dist" / keep[0])  # the other pack is missing
    result = run_main(root, "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "site écrit" in result.stdout
    for company in (root / "companies").glob("*.yaml"):
        assert (root / "dist" / company.stem / "cgv.pdf").is_file()
        assert (root / "site" / "generated" / "entreprises" / company.stem / "cgv.pdf").is_file()
    # The missing pack was built by this command (printing stubbed), the other one reused.
    assert (root / "dist" / keep[1] / "cgv.pdf").read_bytes().startswith(b"%PDF-stub")
    assert (root / "dist" / keep[0] / "cgv.pdf").read_bytes() == (built / "dist" / keep[0] / "cgv.pdf").read_bytes()


# --- the Markdown writer, in isolation ----------------------------------------------------------

def test_markdown_values_are_data():
    from cgvkit.site.markdown import code, link, markdown_text, md

    assert "<" not in md("<b>x</b>") and "*" not in md("*x*") and "|" not in md("a|b")
    assert md("Délai de 30 jours") == "Délai de 30 jours"
    assert code("a`b") == "``a`b``"
    assert link("Art. [1]", "https://example.org/a b") == "[Art. &#91;1&#93;](<https://example.org/a%20b>)"
    assert markdown_text("Voir <https://x.fr> et <b>gras</b>") == "Voir <https://x.fr> et &lt;b>gras&lt;/b>"


def test_timeline_escapes_and_orders(tmp_path):
    from types import SimpleNamespace

    from cgvkit.site.timeline import day_label, timeline_svg

    stages = [SimpleNamespace(id="a", title="<Relance & co>", channel="email", companion=None, offset_days=-5),
              SimpleNamespace(id="b", title="Mise en demeure", channel="registered_letter", companion="email",
                              offset_days=45)]
    svg = timeline_svg(stages, {"email": "courriel"}, lambda s: f"{s.id}.html")
    assert "&lt;Relance &amp; co&gt;" in svg and "<Relance" not in svg
    assert svg.index("a.html") < svg.index("b.html")
    assert (day_label(-5), day_label(0), day_label(45), day_label(None)) == ("J−5", "Échéance", "J+45", "à tout moment")


def test_rules_meet_clauses_by_article():
    from cgvkit.site.articles import article_keys, related

    assert ("", "L441-10", "II") in article_keys("Code de commerce, art. L441-10 II et D441-5")
    assert ("civil", "2367", "") in article_keys("Code civil, art. 2367")
    assert related("Code de commerce, art. L441-10 II", ["C. com., art. L. 441-10"])
    assert not related("Code de commerce, art. L441-10 I", ["Code de commerce, art. L441-10 II"])
    assert not related("Code de procédure civile, art. 48", ["Code civil, art. 48"])
