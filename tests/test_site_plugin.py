"""The site's sanitiser is the MkDocs plugin `cgvkit-safe`, declared in mkdocs.yml: a bare `mkdocs build`
gives the same inert pages as `python build.py site`, and a mkdocs.yml without it is refused.

Hostile inputs: the clause guidance of tests/test_trust_injection.py, a company whose name is markup,
and a hand-written page whose front matter, headings, raw HTML and neighbouring files try what the
Markdown extension alone does not see (titles, table of contents labels, SVG, theme ids).
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import HOSTILE, add_hostile_company, kit_env, run_main
from test_trust_injection import GUIDANCE

MKDOCS = Path(sys.executable).parent / "mkdocs"

# A hand-written page: what a staff member (or a pasted snippet) could put in docs/.
PAGE = """\
---
title: '<img src=x onerror="alert(11)"><script>alert(12)</script>Page piégée'
---

# Titre <svg onload="alert(13)"></svg>

## Section { data-toc-label='<img src=y onerror="alert(14)">' }

<div id="__config" markdown="1">{"base": "javascript:alert(15)"}</div>

<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><form action="https://evil.example/">
<input type="text" name="q" onfocus="alert(16)" autofocus></form>

<svg><a href="javascript:alert(17)"><text>svg</text></a><foreignObject><script>alert(18)</script></foreignObject>
<animate attributeName="href" to="javascript:alert(19)"/></svg>

<table><tr><td style="text-align: right; position: fixed">1</td>
<td style="background: url(https://evil.example/z.png)">2</td></tr></table>

<math><mtext><table><mglyph><style><img src=x onerror="alert(20)"></style></mglyph></table></mtext></math>

[lien](data:text/html;base64,PHNjcmlwdD5hbGVydCgyMSk8L3NjcmlwdD4=) <a href="&#106;avascript:alert(22)">a</a>
"""
SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(23)"><script>alert(24)</script><circle r="5"/></svg>\n'
HTML = '<html><body><script>alert(25)</script><p onclick="alert(26)">page brute</p></body></html>\n'
THEME_SCRIPT = re.compile(r"^/?(\.\./)*(assets/javascripts/[\w.-]+\.js|search/search_index\.js)$")


class Scan(HTMLParser):
    """Everything in a built page that could run: handlers, script links, scripts of its own, frames."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.bad, self.ids, self.scripts, self._script = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            normal = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on"):
                self.bad.append((tag, name, value))
            if name in ("href", "src", "action", "formaction", "xlink:href", "data", "to", "values") and \
                    re.match(r"(javascript|vbscript|data):", normal):
                self.bad.append((tag, name, value))
            if name == "id":
                self.ids.append(value)
        if tag in ("iframe", "object", "embed", "foreignobject", "animate", "set", "math", "base"):
            self.bad.append((tag, "", ""))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append([self._script, ""])
        if tag == "title":  # text only for a browser: `<title><script>` is no script
            self.set_cdata_mode("title")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts[-1][1] += data


def runs_nothing(path: Path) -> None:
    """No handler, no script link, no frame; every script is the theme's (its files, its config, no `alert`)."""
    page = Scan(path.read_text(encoding="utf-8"))
    assert page.bad == [], (path, page.bad)
    for attrs, text in page.scripts:
        assert "alert(" not in text, (path, text[:200])
        assert not attrs.get("src") or THEME_SCRIPT.match(attrs["src"]), (path, attrs)
    assert page.ids.count("__config") <= 1, path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A project with hostile guidance, a hostile company, a hostile hand-written page and files,
    built by `python build.py site` (packs printed as stubs)."""
    from conftest import copy_project, stub_pdf

    import cgvkit.documents.pdf

    root = copy_project(tmp_path_factory.mktemp("plugin") / "project")
    path = root / "clauses" / "late_penalties" / "ecb_plus_10.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("guidance: |\n", "guidance: |\n" + GUIDANCE, 1), encoding="utf-8")
    add_hostile_company(root)
    (root / "docs" / "playbook" / "piege.md").write_text(PAGE, encoding="utf-8")
    (root / "docs" / "assets" / "piege.svg").write_text(SVG, encoding="utf-8")
    (root / "docs" / "assets" / "piege.html").write_text(HTML, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setattr(cgvkit.documents.pdf, "write_pdf", stub_pdf)
    try:
        result = run_main(root, "site")
    finally:
        mp.undo()
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.slow
def test_a_bare_mkdocs_build_gives_the_same_inert_site(hostile, tmp_path):
    bare = tmp_path / "bare"
    result = subprocess.run([str(MKDOCS), "build", "-f", "mkdocs.yml", "-d", str(bare)], cwd=hostile,
                            capture_output=True, text=True, timeout=300, env={**kit_env(), "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    site = hostile / "site"
    pages = sorted(p.relative_to(bare) for p in bare.rglob("*.html"))
    assert len(pages) > 30 and pages == sorted(p.relative_to(site) for p in site.rglob("*.html"))
    for name in pages:  # the kit's build is MkDocs' own, plugin included: the same bytes
        assert (bare / name).read_bytes() == (site / name).read_bytes(), name
        runs_nothing(bare / name)
    for name in ("assets/piege.svg", "assets/piege.html"):
        text = (bare / name).read_text(encoding="utf-8")
        assert "<script" not in text and "onload" not in text and "onclick" not in text and "alert(" not in text
    assert "<circle" in (bare / "assets/piege.svg").read_text(encoding="utf-8")
    assert "page brute" in (bare / "assets/piege.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_hostile_text_is_shown_not_run(hostile):
    site = hostile / "site"
    trap = (site / "playbook" / "piege.html").read_text(encoding="utf-8")
    assert "Page piégée" in trap and "<title>" in trap
    title = re.search(r"<title>(.*?)</title>", trap, re.S).group(1)
    assert "<" not in title.replace("&lt;", "") and "onerror" not in title
    assert '<td style="text-align:right">1</td>' in trap and "evil.example" not in trap and "fixed" not in trap
    company = next(p for p in (site / "generated" / "entreprises").glob("*.html")
                   if "echappement" in p.name).read_text(encoding="utf-8")
    assert escape(HOSTILE, quote=False) in company and "<script>alert(1)" not in company
    guidance = (site / "generated" / "clauses" / "late_penalties.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in guidance and "Paragraphe piégé" in guidance
    ladder = (site / "generated" / "echelle" / "index.html").read_text(encoding="utf-8")
    assert 'viewBox="0 0' in ladder and '<a href="pre_due.html">' in ladder  # the timeline keeps its links


def test_the_allowlist_keeps_what_pages_need_and_drops_the_rest():
    from cgvkit.site.plugin import clean_html, clean_text

    kept = ('<div class="admonition warning"><p class="admonition-title">Attention</p></div>'
            '<details class="note"><summary>Plus</summary><p>x</p></details>'
            '<h2 id="texte">Texte<a class="headerlink" href="#texte" title="Permanent link">¶</a></h2>'
            '<p><a href="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000006416367">L441-10</a> '
            '<a href="mailto:a@b.fr">m</a> <img alt="logo" src="../assets/logo.png"></p>'
            '<ul><li class="task-list-item"><input type="checkbox" disabled checked></li></ul>')
    assert clean_html(kept) == kept.replace("<input type=\"checkbox\" disabled checked>",
                                            '<input type="checkbox" disabled="" checked="">')
    for hostile, gone in [
        ('<p onclick="alert(1)">x</p>', "onclick"),
        ('<a href=" java\tscript:alert(1)">x</a>', "script:"),
        ('<a href="data:text/html,x">x</a>', "data:"),
        ('<img src="https://evil.example/x.png" alt="x">', "evil.example"),
        ('<img src="//evil.example/x.png" alt="x">', "evil.example"),
        ('<div id="__config">{}</div>', "__config"),
        ('<label for="__search">x</label>', "__search"),
        ('<p data-md-component="search">x</p>', "data-md"),
        ('<table><tr><td style="color: red; text-align: left">1</td></tr></table>', "color"),
        ("<svg><foreignObject><p>x</p></foreignObject><use href='#a'/></svg>", "foreignObject"),
        ('<input type="text" value="x">', "text"),
        ('<iframe src="a.html"></iframe><embed src="a.swf"><base href="https://evil.example/">', "evil.example"),
    ]:
        assert gone.lower() not in clean_html(hostile).lower(), hostile
    assert clean_text('<img src=x onerror="alert(1)">Titre &amp; <b>gras</b> a < b') == "Titre &amp; gras a &lt; b"


def test_the_plugin_is_registered_where_mkdocs_looks():
    from importlib.metadata import entry_points

    from cgvkit.site.plugin import SafePlugin

    found = entry_points(group="mkdocs.plugins", name="cgvkit-safe")
    assert [e.load() for e in found] == [SafePlugin], "make venv installe le kit : pip install --no-deps -e ."


def test_without_the_plugin_installed_the_site_is_refused_in_french(tmp_path, monkeypatch):
    import cgvkit.site.mkdocs as mkdocs
    from cgvkit.core.errors import KitError

    monkeypatch.setattr(mkdocs, "entry_points", lambda **kwargs: ())
    with pytest.raises(KitError) as exc:
        mkdocs.build_strict(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert "n’est pas installé" in str(exc.value) and "make venv" in str(exc.value)
    assert not (tmp_path / "site").exists()


@pytest.fixture
def root(tmp_path):
    from conftest import copy_project

    return copy_project(tmp_path / "p")


def located(result) -> str:
    found = [line for line in result.stderr.splitlines() if "[mkdocs-config]" in line and "cgvkit-safe" in line]
    assert result.returncode == 1 and found and "Traceback" not in result.stderr, result.stderr
    return found[0]


@pytest.mark.parametrize("command", ["validate", "site"])
def test_a_mkdocs_yml_without_the_plugin_is_refused_where_plugins_are(root, command):
    path = root / "mkdocs.yml"
    text = path.read_text(encoding="utf-8")
    assert "  - cgvkit-safe\n" in text
    path.write_text(text.replace("  - cgvkit-safe\n", "", 1), encoding="utf-8")
    line = text[: text.index("\nplugins:\n")].count("\n") + 2
    found = located(run_main(root, command))
    assert found.startswith(f"mkdocs.yml:{line}:") and "manque" in found and "nettoyer" in found
    assert not (root / "site").exists()
    path.write_text(text.replace("  - cgvkit-safe\n", "  - cgvkit-safe:\n      enabled: false\n", 1), encoding="utf-8")
    found = located(run_main(root, "validate"))
    assert found.startswith(f"mkdocs.yml:{line + 1}:") and "aucune option" in found
    path.write_text(text.replace("plugins:\n  - cgvkit-safe\n  - search:\n      lang: fr\n  - offline\n",
                                 "plugins: []\n", 1), encoding="utf-8")
    assert "manque" in located(run_main(root, "validate"))
