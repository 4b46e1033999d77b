"""`serve` without a browser: the address is given once the site can be read and edits are watched."""

from __future__ import annotations

import time
import urllib.request

from conftest import edit, serve, stop_with_ctrl_c

PAGE = "generated/clauses/payment_term.html"


def test_a_clause_saved_as_soon_as_the_address_shows_reaches_the_served_page(project, built_packs):
    process, site = serve(project, built_packs)
    try:
        # Saved at once, as a script (or a quick lawyer) does: no request first, no pause.
        edit(project / "clauses" / "payment_term" / "legal_default.yaml", "title: Délai supplétif",
             "title: Délai supplétif modifié")
        page = site + PAGE
        deadline = time.monotonic() + 30
        while "Délai supplétif modifié" not in urllib.request.urlopen(page, timeout=30).read().decode("utf-8"):
            assert time.monotonic() < deadline, "the saved clause never reached the served page"
            time.sleep(0.1)
    finally:
        output = stop_with_ctrl_c(process)
    assert process.returncode == 0, output
    assert "Traceback" not in output
