#!/usr/bin/env python3
"""Benchmark of the lawyers' edit → see loop (issue: lawyers' loop).

    .venv/bin/python benchmarks/lawyers_loop.py

In a private copy of the project, measures on this machine:
- `python build.py pack companies/<slug>.yaml --only cgv` for each example company (best of 3,
  the whole command from a cold start, as a lawyer runs it);
- `python build.py serve`: the time from saving a clause file to the served page showing the
  change (best of 3 edits), polling the page the way the browser's live reload fetches it.
"""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import copy_project, kit_env  # noqa: E402  (one way to copy the project, shared with tests)

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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--address", f"127.0.0.1:{port}"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=kit_env())
    try:
        while "site servi sur" not in process.stdout.readline():
            pass
        url = f"http://127.0.0.1:{port}/{PAGE}"
        best = float("inf")
        path = root / CLAUSE
        original = path.read_text(encoding="utf-8")
        for n in range(3):
            marker = f"Délai supplétif (essai {n})"
            path.write_text(original.replace("title: Délai supplétif", f"title: {marker}", 1), encoding="utf-8")
            started = time.perf_counter()
            while marker not in urllib.request.urlopen(url).read().decode("utf-8"):
                time.sleep(0.05)
            best = min(best, time.perf_counter() - started)
            time.sleep(1.5)  # let the server settle before the next edit
        return best
    finally:
        process.terminate()
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
