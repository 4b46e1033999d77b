"""`serve` without a browser: the address is given once the site can be read and edits are watched."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT, edit, free_port, kit_env, wait_for_line

PAGE = "generated/clauses/payment_term.html"


def test_a_clause_saved_as_soon_as_the_address_shows_reaches_the_served_page(project, built_packs):
    shutil.copytree(built_packs / "dist", project / "dist")  # packs to show; serve reprints none after start
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--address", f"127.0.0.1:{port}"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**kit_env(), "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_line(process, "site servi sur", 120)
        # Saved at once, as a script (or a quick lawyer) does: no request first, no pause.
        edit(project / "clauses" / "payment_term" / "legal_default.yaml", "title: Délai supplétif",
             "title: Délai supplétif modifié")
        page = f"http://127.0.0.1:{port}/{PAGE}"
        deadline = time.monotonic() + 30
        while "Délai supplétif modifié" not in urllib.request.urlopen(page, timeout=30).read().decode("utf-8"):
            assert time.monotonic() < deadline, "the saved clause never reached the served page"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
