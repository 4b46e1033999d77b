#!/usr/bin/env python3
"""Time the reading and planning of a generated FEC of about a million lines (no PDF).

    .venv/bin/python benchmarks/fec_read.py [LINES]

The FEC (benchmarks/out/852147362FEC20261231.txt, for companies/atelier-lyonnais.yaml) holds a
year of sales entries (customer debit, sale and VAT credits: 3 lines) and bank entries (2 lines),
20 000 customers; most invoices are lettered with their payment, some partly (lower-case letters),
some paid late, the rest open. The goal: under 30 s and 1 GB.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_DATE = date(2026, 6, 15)
HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
          "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise")


def _fr(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _letters(n: int) -> str:
    text = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        text = chr(65 + r) + text
    return text


def generate(path: Path, lines: int, seed: int = 7) -> int:
    """At least `lines` lines: 3 per invoice, 2 more when it is paid. Returns the number written."""
    rng = random.Random(seed)
    out = [HEADER]
    start = date(2025, 7, 1)
    n = -1
    while len(out) <= lines:
        n += 1
        debtor = f"C{n % 20_000:05d}"
        day = start + timedelta(days=rng.randint(0, 340))
        ttc = rng.randint(5_000, 900_000)
        ht = round(ttc / 1.2)
        d = day.strftime("%Y%m%d")
        piece = f"F{n:07d}"
        fate = rng.random()
        letter = _letters(n // 20_000) if fate < 0.85 else ""  # one group per customer and invoice
        partial = 0.75 <= fate < 0.85
        paid = ttc // 2 if partial else ttc
        shown = letter.lower() if partial else letter
        pay_day = (day + timedelta(days=rng.randint(20, 90))).strftime("%Y%m%d")
        num = f"VT{n:07d}"
        out.append(f"VT|Ventes|{num}|{d}|411000|Clients|{debtor}|Client {debtor} SAS|{piece}|{d}|Facture {piece}|"
                   f"{_fr(ttc)}|0,00|{shown}|{pay_day if shown else ''}|{d}||")
        out.append(f"VT|Ventes|{num}|{d}|706000|Prestations|||{piece}|{d}|Facture {piece}|0,00|{_fr(ht)}|||{d}||")
        out.append(f"VT|Ventes|{num}|{d}|445710|TVA collectée|||{piece}|{d}|Facture {piece}|0,00|{_fr(ttc - ht)}"
                   f"|||{d}||")
        if shown:
            num = f"BQ{n:07d}"
            out.append(f"BQ|Banque|{num}|{pay_day}|512000|Banque|||VIR{n}|{pay_day}|Virement|{_fr(paid)}|0,00|||"
                       f"{pay_day}||")
            out.append(f"BQ|Banque|{num}|{pay_day}|411000|Clients|{debtor}|Client {debtor} SAS|VIR{n}|{pay_day}|"
                       f"Virement|0,00|{_fr(paid)}|{shown}|{pay_day}|{pay_day}||")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join(out) + "\r\n", encoding="utf-8")
    return len(out) - 1


def main(lines: int = 1_000_000) -> None:
    from cgvkit.dunning.plan import plan
    from cgvkit.dunning.sources import LedgerSource, open_ledger
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.project import load_project

    path = ROOT / "benchmarks" / "out" / "852147362FEC20261231.txt"
    # Written by another process: the peak memory measured below is the reading's and the plan's only.
    subprocess.run([sys.executable, __file__, "--generate", str(lines)], check=True)
    written = path.read_bytes().count(b"\n") - 1
    project = load_project(ROOT, [ROOT / "companies" / "atelier-lyonnais.yaml"])
    company = project.companies[0]
    ladder = ladder_for(company, ROOT)
    start = time.perf_counter()
    ledger = open_ledger(LedgerSource(path, fec=True), ROOT, company, ladder.ids)
    read = time.perf_counter()
    debtors = plan(company, ladder, ledger, project.table, RUN_DATE)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{written} lignes de FEC, {len(ledger.rows)} factures retenues, {len(debtors)} débiteurs : lecture "
          f"{read - start:.1f} s + plan {done - read:.1f} s = {done - start:.1f} s, mémoire max {peak:.0f} Mio")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        generate(ROOT / "benchmarks" / "out" / "852147362FEC20261231.txt", int(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
