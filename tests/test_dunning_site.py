"""The latest dunning report of each company, linked from its page on the site (and seen in Chromium)."""

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
    for day in ("2026-06-01", "2026-06-15"):
        result = run_cli(root, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/example.csv", "--date", day)
        assert result.returncode == 0, result.stderr
    result = run_cli(root, "site")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.slow
def test_company_page_links_to_the_latest_report(site):
    page = (site / "site" / "generated" / "entreprises" / f"{B2B}.html").read_text(encoding="utf-8")
    assert f'href="{B2B}/relance/report.html"' in page and "15 juin 2026" in page
    report = site / "site" / "generated" / "entreprises" / B2B / "relance" / "report.html"
    assert "relance du 15 juin 2026" in report.read_text(encoding="utf-8")
    assert (report.parent / "plan.csv").is_file() and (report.parent / "courrier.pdf").is_file()
    # A company without a run has no link.
    other = (site / "site" / "generated" / "entreprises" / "boutique-en-ligne.html").read_text(encoding="utf-8")
    assert "relance/report.html" not in other


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent")
def test_report_page_in_the_browser(site):
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
            page.get_by_text("À faire aujourd’hui").first.click()
            page.wait_for_load_state()
            assert page.url.endswith(f"/generated/entreprises/{B2B}/relance/report.html")
            assert page.locator("h1").inner_text() == "À faire aujourd’hui"
            assert page.locator("#sends tbody tr").count() >= 1
            box = page.locator("svg.ageing").bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150  # the chart is drawn, no script needed
            assert page.locator("svg.ageing rect").count() == 4
            assert page.evaluate("document.scripts.length") == 0
            href = page.locator("#sends a").first.get_attribute("href")
            response = page.request.get(f"{base}/generated/entreprises/{B2B}/relance/{href}")
            assert response.ok
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    outside = [u for u in urls if not u.startswith((base + "/", "data:", "about:"))]
    assert not outside, outside
