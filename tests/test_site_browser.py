"""The playbook site in a real browser: headless Chromium (Debian's) driven by Playwright.

Every request the pages make is recorded; any request that leaves the local server fails.
Screenshots of the main pages at desktop and phone widths go to tests/_artifacts/site/.
"""

from __future__ import annotations

import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import HOSTILE_SLUG
from pypdf import PdfReader

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).parent / "_artifacts" / "site"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : installez le paquet "
                                 "Debian chromium (.ci/run le fait) pour les tests du site en navigateur")]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def built(built_packs) -> Path:
    return built_packs  # the site built once per session (tests/conftest.py)


@pytest.fixture(scope="module")
def server(built):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(built / "site")))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Recorder:
    """Every request of a browser context; `outside(base)` lists those not served by `base`."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def outside(self, base: str) -> list[str]:
        local = (base + "/", "data:", "blob:", "about:")
        return [u for u in self.urls if not u.startswith(local)]


@pytest.fixture
def context(browser, server):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    recorder = Recorder(context)
    yield context
    context.close()
    assert recorder.urls, "aucune requête enregistrée"
    assert not recorder.outside(server), f"requêtes hors du site : {recorder.outside(server)}"


def test_home_page_in_french(context, server):
    page = context.new_page()
    page.goto(f"{server}/index.html")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").first.inner_text().strip()
    assert page.locator(".md-search__input").get_attribute("placeholder") == "Rechercher"


def search(page, words: str):
    page.locator(".md-search__input").click()
    page.keyboard.type(words, delay=30)  # as a person types: key events, not a programmatic fill
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    return results


def test_search_mise_en_demeure_and_follow(context, server):
    page = context.new_page()
    page.goto(f"{server}/index.html")
    results = search(page, "mise en demeure")
    assert results.count() >= 1
    link = page.locator(".md-search-result__link").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    assert page.url.split("#")[0].endswith(target.split("#")[0].lstrip("./").split("/")[-1])
    assert "mise en demeure" in page.locator("article").inner_text().lower()


@pytest.mark.parametrize("typed,page_name", [("echeancier", "echeancier"), ("échéancier", "echeancier"),
                                              ("telephone", "telephone"), ("téléphone", "telephone")])
def test_search_finds_words_typed_with_or_without_accents(context, server, typed, page_name):
    page = context.new_page()
    page.goto(f"{server}/index.html")
    search(page, typed)
    # The results are read at once (the list may still be filling in), until the page shows up.
    found = f"playbook/{page_name}.html"
    links: list = []
    for _ in range(50):
        links = page.locator(".md-search-result__link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        if any(found in (href or "") for href in links):
            break
        page.wait_for_timeout(200)
    assert any(found in (href or "") for href in links), links


def test_company_page_and_its_cgv_pdf(context, server, built):
    from cgvkit.model.project import load_project

    project = load_project(built)
    company = next(c for c in project.companies if c.slug != HOSTILE_SLUG)
    page = context.new_page()
    page.goto(f"{server}/generated/entreprises/index.html")
    page.get_by_role("link", name=company.identity["name"], exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/generated/entreprises/{company.slug}.html")
    assert page.locator("h1").first.inner_text().strip().rstrip("¶").strip() == company.identity["name"]
    href = page.get_by_role("link", name="Télécharger les CGV (PDF)").get_attribute("href")
    response = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert company.identity["siren"] in text.replace(" ", "")
    assert "Conditions générales de vente" in text or "CONDITIONS GÉNÉRALES DE VENTE" in text.upper()


def test_ladder_timeline_links_to_stages(context, server):
    page = context.new_page()
    page.goto(f"{server}/generated/echelle/index.html")
    svg = page.locator("svg.ladder-timeline")
    assert svg.is_visible()
    svg.locator("a").nth(1).click()
    page.wait_for_load_state()
    assert page.url.endswith(".html") and "/generated/echelle/" in page.url
    assert "Le modèle de chaque entreprise" in page.locator("article").inner_text()


MAIN_PAGES = ("index.html", "generated/clauses/index.html", "generated/regles.html", "generated/taux.html",
              "generated/echelle/index.html", "generated/echelle/formal_notice.html",
              "generated/entreprises/index.html")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_and_no_sideways_scroll(browser, server, width):
    """Main pages at 1280×800 and 390×844: saved for a person to look at; the page never scrolls sideways."""
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, locale="fr-FR", device_scale_factor=1)
    recorder = Recorder(context)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        for name in MAIN_PAGES:
            page.goto(f"{server}/{name}")
            page.wait_for_load_state("networkidle")
            shot = SHOTS / f"{width}-{name.replace('/', '-').removesuffix('.html')}.png"
            page.screenshot(path=str(shot), full_page=False)
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} déborde de {overflow} px en largeur {width}"
    finally:
        context.close()
    assert not recorder.outside(server), recorder.outside(server)


def test_search_works_from_the_file_system(browser, built):
    """Opened from a file share (file://), search still works: the offline plugin's index and worker shim."""
    context = browser.new_context(viewport=DESKTOP)
    recorder = Recorder(context)
    try:
        page = context.new_page()
        page.goto((built / "site" / "index.html").as_uri())
        results = search(page, "mise en demeure")
        assert results.count() >= 1
    finally:
        context.close()
    assert all(u.startswith(("file://", "data:", "blob:", "about:")) for u in recorder.urls), recorder.urls


@pytest.mark.parametrize("document", ["atelier-lyonnais/cgv.html", "atelier-lyonnais/letters/formal_notice.html"])
def test_a_written_html_opens_styled_from_its_own_folder(built, browser, tmp_path, document):
    """Copied anywhere on its own, the HTML the kit writes keeps its layout (sheets inlined), and the
    page asks for nothing outside itself."""
    alone = tmp_path / "seul.html"
    alone.write_text((built / "dist" / document).read_text(encoding="utf-8"), encoding="utf-8")
    page = browser.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(alone.as_uri())
    style = page.evaluate("""() => {
        const h = document.querySelector('h1') || document.querySelector('.company-name, header');
        return {size: getComputedStyle(h).fontSize, sheets: document.styleSheets.length,
                rules: [...document.styleSheets].reduce((n, s) => { try { return n + s.cssRules.length } catch (e) { return n } }, 0)};
    }""")
    page.close()
    assert style["rules"] > 20 and style["size"] != "32px", style  # the browser default h1 is 32px
    assert not [u for u in asked if not u.startswith(("file:", "data:"))], asked
