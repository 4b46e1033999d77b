"""The latest dunning run of each company, said on its page on the site (and seen in Chromium): its date
and where its folder is, and nothing of its debtors (the site is read by the whole team)."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_cli

CHROMIUM = Path("/usr/bin/chromium")
B2B = "atelier-lyonnais"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A project where two runs were made (the second is the latest), then the site built."""
    root = copy_project(tmp_path_factory.mktemp("dunning-site") / "project")
    for day in ("2026-06-01", "2026-06-15", "2026-12-31"):
        result = run_cli(root, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/example.csv", "--date", day)
        assert result.returncode == 0, result.stderr
    runs = root / "dist" / "relances" / B2B
    # Stray folders and files a clerk may leave there break nothing.
    for stray in ("2026-13-45", "notes", "2026-06-20-x", "9999-99-99-2"):
        (runs / stray).mkdir()
        (runs / stray / "report.html").write_text("<p>pas une relance</p>", encoding="utf-8")
    (runs / "lisez-moi.txt").write_text("brouillon", encoding="utf-8")
    (root / "dist" / "relances" / "pas-une-entreprise").mkdir()
    result = run_cli(root, "site", "--date", "2026-06-20")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.slow
def test_company_page_says_where_the_latest_run_is_and_publishes_no_debtor(site):
    page = (site / "site" / "generated" / "entreprises" / f"{B2B}.html").read_text(encoding="utf-8")
    # The latest run on the site's date (not the one dated in the future, not a stray folder).
    assert "Dernière relance : 15 juin 2026" in page
    assert f"dist/relances/{B2B}/2026-06-15/report.html" in page and "31 décembre 2026" not in page
    assert "relance/report.html" not in page and "pas une relance" not in page
    # Nothing of a debtor reaches the site: no plan, letter, e-mail or SMS list, no debtor name.
    debtors = [line.split(",")[1] for line in (site / "ledgers" / "example.csv").read_text(encoding="utf-8")
               .splitlines()[1:]]
    published = [p for p in (site / "site").rglob("*") if p.is_file()]
    assert not [p for p in published if p.name in ("plan.csv", "plan.json", "sms.csv", "courrier.pdf", "report.html")
                or p.suffix == ".eml"]
    for path in published:
        if path.suffix in (".html", ".txt", ".csv", ".json", ".xml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [name for name in debtors if name in text], path
    # A company without a run says nothing of one.
    other = (site / "site" / "generated" / "entreprises" / "boutique-en-ligne.html").read_text(encoding="utf-8")
    assert "Dernière relance" not in other


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent")
def test_company_page_in_the_browser(site):
    from playwright.sync_api import sync_playwright

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site / "site")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    urls: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
            context.on("request", lambda request: urls.append(request.url))
            page = context.new_page()
            page.goto(f"{base}/generated/entreprises/{B2B}.html")
            note = page.locator(".admonition.info")
            assert note.count() == 1 and note.is_visible()
            assert "Dernière relance : 15 juin 2026" in note.inner_text()
            assert f"dist/relances/{B2B}/2026-06-15/report.html" in note.inner_text()
            assert page.locator("a[href*='report.html'], a[href*='relances/']").count() == 0
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    outside = [u for u in urls if not u.startswith((base + "/", "data:", "about:"))]
    assert not outside, outside
