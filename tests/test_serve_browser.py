"""`serve` in a real browser: edit a clause file, the open page shows the change by itself."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, default_ctrl_c, edit, kit_env

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : installez le paquet "
                                 "Debian chromium (.ci/run le fait)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(process, text: str, seconds: float) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen += line
        if text in line:
            return seen
        if process.poll() is not None:
            break
    raise AssertionError(f"« {text} » jamais affiché ; sortie : {seen}")


def test_a_clause_edit_shows_in_the_open_page(project, built_packs):
    from playwright.sync_api import sync_playwright

    shutil.copytree(built_packs / "dist", project / "dist")  # packs to show; serve reprints none after start
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--address", f"127.0.0.1:{port}"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**kit_env(), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"},
                               preexec_fn=default_ctrl_c)
    try:
        wait_for_line(process, "site servi sur", 120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            requests = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(f"http://127.0.0.1:{port}/generated/clauses/payment_term.html")
            assert "Délai supplétif modifié" not in page.content()
            edit(project / "clauses" / "payment_term" / "legal_default.yaml", "title: Délai supplétif",
                 "title: Délai supplétif modifié")
            # No reload from the test: the page reloads itself (MkDocs' live reload).
            page.wait_for_function("document.body.innerText.includes('Délai supplétif modifié')", timeout=20000)
            browser.close()
        outside = [u for u in requests if not u.startswith((f"http://127.0.0.1:{port}/", "data:", "blob:"))]
        assert outside == []
        wait_for_line(process, "page(s) générée(s) modifiée(s)", 20)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: every thread's stack, then the end
            output, _ = process.communicate()
            pytest.fail(f"serve ne s’est pas arrêté sur Ctrl-C ; sortie : {output}")
    assert process.returncode == 0, output
    assert "serveur arrêté" in output and "Traceback" not in output


def test_serve_refuses_a_bad_address(project):
    from conftest import run_main

    result = run_main(project, "serve", "--address", "localhost")
    assert result.returncode == 2 and "HÔTE:PORT" in result.stderr
