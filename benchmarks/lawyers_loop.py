#!/usr/bin/env python3
"""Benchmark of the lawyers' edit → see loop (issue: lawyers' loop).

    .venv/bin/python benchmarks/lawyers_loop.py

In a private copy of the project, measures on this machine:
- `python build.py pack companies/<slug>.yaml --only cgv` for each example company (best of 3,
  the whole command from a cold start, as a lawyer runs it);
- `python build.py serve`: the time from saving a clause file to the served page showing the
  change (best of 3 edits, the first saved as soon as serve gives its address), polling the page
  the way the browser's live reload fetches it; a change not shown within 60 s stops the run.
"""

from __future__ import annotations

import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import copy_project, free_port, kit_env, wait_for_line  # noqa: E402  (shared with tests)

CLAUSE = Path("clauses") / "payment_term" / "legal_default.yaml"
PAGE = "generated/clauses/payment_term.html"


def only_cgv(root: Path, slug: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "build.py"), "pack", f"companies/{slug}.yaml", "--only", "cgv"],
                       cwd=root, check=True, capture_output=True, env=kit_env())
        best = min(best, time.perf_counter() - started)
    return best


def serve_edit(root: Path) -> float:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--address", f"127.0.0.1:{port}"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**kit_env(), "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_line(process, "site servi sur", 300)
        # The server prints a line per rebuild: read on, so that a full pipe never stops it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        url = f"http://127.0.0.1:{port}/{PAGE}"
        best = float("inf")
        path = root / CLAUSE
        original = path.read_text(encoding="utf-8")
        for n in range(3):
            marker = f"Délai supplétif (essai {n})"
            path.write_text(original.replace("title: Délai supplétif", f"title: {marker}", 1), encoding="utf-8")
            started = time.perf_counter()
            while marker not in urllib.request.urlopen(url, timeout=60).read().decode("utf-8"):
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"serve: edit {n} not visible after 60 s")
                time.sleep(0.05)
            best = min(best, time.perf_counter() - started)
            time.sleep(1.5)  # let the server settle before the next edit
        return best
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C in a terminal: serve removes its temporary site
        process.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "project")
        subprocess.run([sys.executable, str(ROOT / "build.py"), "all", "--no-site"], cwd=root, check=True, capture_output=True, env=kit_env())
        print(f"{platform.machine()}, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
        for slug in ("atelier-lyonnais", "boutique-en-ligne"):
            print(f"pack {slug} --only cgv: {only_cgv(root, slug):.2f} s")
        print(f"serve: clause edit visible in {serve_edit(root):.2f} s")


if __name__ == "__main__":
    main()
