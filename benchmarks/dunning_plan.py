#!/usr/bin/env python3
"""Time the dunning run's parse + plan (no PDF) on a generated 10 000-invoice ledger.

    .venv/bin/python benchmarks/dunning_plan.py [ROWS]

The ledger (benchmarks/out/ledger-ROWS.csv) mixes stages, partial payments, disputes and
promises, with due dates spread over 2025 and 2026-H1 so that interest crosses half-years. One
invoice in five has a dated partial payment (interest then runs on two principals), one in ten is
paid in full with its payment date, half of them late (penalties and indemnity still owed,
plan._paid_late), one in fifty of the rest paid without a date.
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
    path.parent.mkdir(parents=True, exist_ok=True)
    out = path.open("w", encoding="utf-8")  # line by line: the measured peak is the kit's, not this list's
    out.write("debtor_id;debtor_name;debtor_kind;invoice_number;invoice_date;due_date;amount;paid_amount;"
              "status;promise_date;formal_notice_date;last_stage;payment_date\n")
    for n in range(rows):
        debtor = n // 4
        due = RUN_DATE - timedelta(days=rng.randint(-10, 520))
        issued = due - timedelta(days=30)
        euros, cents = rng.randint(50, 9000), rng.randint(0, 99)
        amount, paid, paid_on = f"{euros},{cents:02d}", "", ""
        kind = rng.random()
        if kind < 0.2:  # a dated partial payment, before or after the due date
            paid = f"{rng.randint(1, euros - 1)},00"
            paid_on = min(RUN_DATE, due + timedelta(days=rng.randint(-20, 200))).isoformat()
        elif kind < 0.3:  # paid in full, on time or late
            paid = amount
            paid_on = min(RUN_DATE, due + timedelta(days=rng.choice((0, rng.randint(-10, 0), rng.randint(1, 120))))
                          ).isoformat()
        elif kind < 0.32:  # paid in part, no date given
            paid = f"{rng.randint(1, euros - 1)},00"
        status = rng.choice(["open"] * 18 + ["disputed", "promised"])
        promise = (RUN_DATE + timedelta(days=rng.randint(-5, 20))).isoformat() if status == "promised" else ""
        out.write(f"D{debtor:05d};Client {debtor} SAS;b2b;F{n:06d};{issued.isoformat()};{due.isoformat()};"
                  f"{amount};{paid};{status};{promise};;{STAGES[debtor % len(STAGES)]};{paid_on}\n")
    out.close()


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
    dated = sum(r.payment_date is not None for r in ledger.rows)
    late = sum(len(d.paid_late) for d in debtors)
    print(f"{rows} factures dont {dated} avec date de règlement ({late} payées en retard et encore redevables), "
          f"{len(debtors)} débiteurs : lecture {parse * 1000:.0f} ms + plan "
          f"{planning * 1000:.0f} ms = {total * 1000:.0f} ms (meilleur de {repeat}), mémoire max {peak:.0f} Mio")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
