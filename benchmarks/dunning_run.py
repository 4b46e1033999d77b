#!/usr/bin/env python3
"""Benchmark of a dunning run's printed letters (issue: a dunning run a clerk can use every day).

    .venv/bin/python benchmarks/dunning_run.py [--debtors 300] [--repeat 1]

In a private copy of the project, generates a ledger of N debtors that are all due a printed
letter (firm letter, formal notice or final notice, one to three invoices each), then measures
in one run on this machine:
- letters per second of the whole `dunning` command with 1 job and with all cores;
- the same HTML printed by a bare WeasyPrint loop (one process), and the kit's overhead.
The bare loop is timed from its first letter; the kit's runs include their start-up (imports,
loading, planning) and every other output of the run (e-mails, mail-room PDF, report, plan files).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from bare import bare_weasyprint  # noqa: E402
from conftest import copy_project  # noqa: E402  (one way to copy the project, shared with tests)

RUN_DATE = date(2026, 6, 15)
PRINTED = ["second_reminder", "firm_letter", "formal_notice"]  # the stage before a printed one


def ledger(path: Path, debtors: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    lines = ["debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,"
             "invoice_date,due_date,amount,paid_amount,status,promise_date,formal_notice_date,last_stage"]
    number = 0
    for d in range(debtors):
        last = PRINTED[d % len(PRINTED)]
        for _ in range(rng.randint(1, 3)):
            number += 1
            due = RUN_DATE - timedelta(days=rng.randint(70, 160))
            lines.append(f'D{d:04d},Client {d} SARL,b2b,compta{d}@client.example,04 78 00 {d % 100:02d} 00,'
                         f'"{d} rue de la République, 69002 Lyon",F{number:06d},{(due - timedelta(days=30)).isoformat()},'
                         f"{due.isoformat()},{rng.randint(100, 9000)}.{rng.randint(0, 99):02d},,open,,,{last}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(root: Path, jobs: int, out: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(root), "dunning",
                             "companies/atelier-lyonnais.yaml", "--ledger",
                             "ledgers/bench.csv", "--date", RUN_DATE.isoformat(), "--jobs", str(jobs), "-o", out,
                             "--journal", str(root / "bench.sqlite")],
                            cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"dunning failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the three measures; each time is its best round, each ratio the "
                             "median of the rounds' own ratios")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    ones, manys, bares = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "project")
        ledger(root / "ledgers" / "bench.csv", args.debtors)
        for round_ in range(args.repeat):
            # Each ratio compares runs made one right after the other: on a shared machine, whose
            # speed drifts by a third over minutes, a slow spell then weighs on both sides alike.
            ones.append(run(root, 1, f"dist/one-{round_}"))
            seconds, printed, _ = bare_weasyprint(root / "dist" / "one-0" / "letters", root / "templates")
            bares.append(seconds)
            manys.append(run(root, cores, f"dist/many-{round_}"))
        letters = len(list((root / "dist" / "one-0" / "letters").glob("*.pdf")))
    one, many, bare = min(ones), min(manys), min(bares)
    speed_up = median(o / m for o, m in zip(ones, manys, strict=True))
    overhead = median(o / b for o, b in zip(ones, bares, strict=True))
    rows = [
        (f"dunning run, 1 job ({letters} letters)", f"{one:.1f} s — {letters / one:.1f} letters/s"),
        (f"dunning run, {cores} jobs", f"{many:.1f} s — {letters / many:.1f} letters/s, speed-up {speed_up:.2f}×"),
        ("bare WeasyPrint loop over the same HTML, 1 process", f"{bare:.1f} s — {printed / bare:.1f} letters/s"),
        ("kit overhead (1 job / bare engine)", f"{overhead:.2f}×"),
    ]
    print(f"{args.debtors} debtors, {date.today().isoformat()}, {platform.machine()}, {cores} cores, "
          f"Python {platform.python_version()}, {args.repeat} round(s): times are the best round, ratios the "
          "median of the rounds' ratios")
    print("| measure | figure |\n|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")
    print("rounds (1 job / bare / " + f"{cores} jobs, s): " +
          "; ".join(f"{o:.1f} / {b:.1f} / {m:.1f}" for o, b, m in zip(ones, bares, manys, strict=True)))


if __name__ == "__main__":
    main()
