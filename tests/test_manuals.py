"""One short README; the manuals are pages of the playbook site (docs/manuels/).

The README says what the kit is, its two commands, where each manual is, the design, security and the
rules of law; the manuals live in docs/manuels/ and are built with the site (`built_packs`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MANUALS = {"juriste": "Guide du juriste", "relance": "La relance au quotidien",
           "technique": "Pour l’équipe technique"}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = readme().splitlines()
    assert len(lines) <= 250, f"README.md : {len(lines)} lignes (250 au plus)"
    assert lines[0] == "# Kit CGV et recouvrement"
    first = lines[:8]
    assert "```" in first
    block = first[first.index("```") + 1:]
    assert block[0].startswith("make demo ") and block[1].startswith("make test "), first


def test_readme_names_each_manual_and_they_exist():
    text = readme()
    for name in MANUALS:
        path = f"docs/manuels/{name}.md"
        assert path in text, f"README.md ne nomme pas {path}"
        assert (ROOT / path).is_file()
    for path in ("benchmarks/README.md", "CONTRIBUTING.md"):
        assert path in text and (ROOT / path).is_file(), path


def test_each_manual_is_in_the_site_nav():
    import yaml

    class Loader(yaml.SafeLoader):  # mkdocs.yml may carry MkDocs' own tags (!ENV…): not the nav's business
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)["nav"]
    section = next(entry["Manuels"] for entry in nav if isinstance(entry, dict) and "Manuels" in entry)
    assert section == [{title: f"manuels/{name}.md"} for name, title in MANUALS.items()]


def test_readme_says_when_the_rules_are_checked_just_before_their_table():
    before = readme().split("<!-- rules:start -->", 1)[0].rstrip().rsplit("\n\n", 1)[1]
    assert "date d’effet" in before and "--date" in before, before


def test_manual_pages_cite_nothing_outside_the_project():
    pages = sorted((ROOT / "docs" / "manuels").glob("*.md"))
    assert [p.stem for p in pages] == sorted(MANUALS)
    for page in [*pages, README, ROOT / "CONTRIBUTING.md", ROOT / "benchmarks" / "README.md"]:
        text = page.read_text(encoding="utf-8")
        for outside in ("LAW.md", "ARCHITECTURE.md", "../shared", "/work/"):
            assert outside not in text, f"{page.relative_to(ROOT)} cite {outside}"
        # A file named in code (`tests/test_layers.py`, `documents/fetcher.py`) is a file of the project.
        for name in re.findall(r"`([\w.-]+(?:/[\w.-]+)+\.(?:md|py|yaml|yml|csv|toml|html))`", text):
            if not name.startswith(("site/", "dist/")):  # outputs, absent from a fresh clone
                assert (ROOT / name).is_file() or (ROOT / "cgvkit" / name).is_file(), f"{page.relative_to(ROOT)} : {name}"


class _Headings(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.title, self.h1, self.hrefs, self._in = "", [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "h1"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1[-1] += data


@pytest.mark.parametrize("name", sorted(MANUALS))
def test_each_manual_is_a_page_of_the_built_site(built_packs, name):
    site = built_packs / "site"
    page = site / "manuels" / f"{name}.html"
    assert page.is_file(), f"site/manuels/{name}.html absent"
    parsed = _Headings(page.read_text(encoding="utf-8"))
    assert [h.replace("¶", "").strip() for h in parsed.h1] == [MANUALS[name]]
    assert parsed.title.startswith(MANUALS[name])
    home = _Headings((site / "index.html").read_text(encoding="utf-8"))
    assert f"manuels/{name}.html" in home.hrefs, "la navigation du site ne mène pas au manuel"
