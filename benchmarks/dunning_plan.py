#!/usr/bin/env python3
"""Time the dunning run's parse + plan (no PDF) on a generated 10 000-invoice ledger.

    .venv/bin/python benchmarks/dunning_plan.py [ROWS]

The ledger (benchmarks/out/ledger-ROWS.csv) mixes stages, partial payments, disputes and
promises, with due dates spread over 2025 and 2026-H1 so that interest crosses half-years.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_DATE = date(2026, 6, 15)
STAGES = ["", "", "pre_due", "first_reminder", "second_reminder", "firm_letter", "formal_notice", "final_notice"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = ["debtor_id;debtor_name;debtor_kind;invoice_number;invoice_date;due_date;amount;paid_amount;"
             "status;promise_date;formal_notice_date;last_stage"]
    for n in range(rows):
        debtor = n // 4
        due = RUN_DATE - timedelta(days=rng.randint(-10, 520))
        issued = due - timedelta(days=30)
        amount = f"{rng.randint(50, 9000)},{rng.randint(0, 99):02d}"
        status = rng.choice(["open"] * 18 + ["disputed", "promised"])
        promise = (RUN_DATE + timedelta(days=rng.randint(-5, 20))).isoformat() if status == "promised" else ""
        lines.append(f"D{debtor:05d};Client {debtor} SAS;b2b;F{n:06d};{issued.isoformat()};{due.isoformat()};"
                     f"{amount};;{status};{promise};;{STAGES[debtor % len(STAGES)]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(rows: int = 10_000) -> None:
    from cgvkit.dunning.ledger import load_ledger
    from cgvkit.dunning.plan import plan
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.project import load_project

    path = ROOT / "benchmarks" / "out" / f"ledger-{rows}.csv"
    generate(path, rows)
    project = load_project(ROOT, [ROOT / "companies" / "atelier-lyonnais.yaml"])
    company = project.companies[0]
    ladder = ladder_for(company, ROOT)
    best = None
    repeat = 3 if rows <= 100_000 else 1
    for _ in range(repeat):
        start = time.perf_counter()
        ledger = load_ledger(path, ROOT, company.market, ladder.ids)
        parsed = time.perf_counter()
        debtors = plan(company, ladder, ledger, project.table, RUN_DATE)
        done = time.perf_counter()
        if best is None or done - start < best[0]:
            best = (done - start, parsed - start, done - parsed)
    total, parse, planning = best
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{rows} factures, {len(debtors)} débiteurs : lecture {parse * 1000:.0f} ms + plan "
          f"{planning * 1000:.0f} ms = {total * 1000:.0f} ms (meilleur de {repeat}), mémoire max {peak:.0f} Mio")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
