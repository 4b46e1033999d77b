"""`serve` in a real browser: edit a clause file, the open page shows the change by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import edit, serve, stop_with_ctrl_c, wait_for_line

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : installez le paquet "
                                 "Debian chromium (.ci/run le fait)")]


def test_a_clause_edit_shows_in_the_open_page(project, built_packs):
    from playwright.sync_api import sync_playwright

    process, site = serve(project, built_packs)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            requests = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(site + "generated/clauses/payment_term.html")
            assert "Délai supplétif modifié" not in page.content()
            edit(project / "clauses" / "payment_term" / "legal_default.yaml", "title: Délai supplétif",
                 "title: Délai supplétif modifié")
            # No reload from the test: the page reloads itself (MkDocs' live reload).
            page.wait_for_function("document.body.innerText.includes('Délai supplétif modifié')", timeout=20000)
            browser.close()
        outside = [u for u in requests if not u.startswith((site, "data:", "blob:"))]
        assert outside == []
        wait_for_line(process, "page(s) générée(s) modifiée(s)", 20)
    finally:
        output = stop_with_ctrl_c(process)
    assert process.returncode == 0, output
    assert "serveur arrêté" in output and "Traceback" not in output


def test_serve_refuses_a_bad_address(project):
    from conftest import run_main

    result = run_main(project, "serve", "--address", "localhost")
    assert result.returncode == 2 and "HÔTE:PORT" in result.stderr
