#!/usr/bin/env python3
"""Time error collection on hostile inputs, at n and 2n, to show it grows linearly.

    .venv/bin/python benchmarks/errors.py [N]

Three cases, each through the real command (`validate` or `dunning`, in this process, on a copy of
the example project in a temporary folder): N unknown keys in a company file, N unknown keys in a
clause file, 2N ledger rows each with a bad amount and a missing promise date (4N problems).
A ratio near 2 between the 2n and n runs is linear; a quadratic collection gives 4 or more.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import copy_project  # noqa: E402

from cgvkit.cli import main  # noqa: E402

COMPANY = "companies/atelier-lyonnais.yaml"
CLAUSE = "clauses/payment_term/standard.yaml"


def run(root: Path, *args: str) -> tuple[float, int]:
    err = io.StringIO()
    started = time.perf_counter()
    with contextlib.chdir(root), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), *args])
    assert code == 1, err.getvalue()[-500:]
    return time.perf_counter() - started, err.getvalue().count("\n") - 2


def unknown_keys(root: Path, file: str, n: int) -> tuple[float, int]:
    path = root / file
    path.write_text(path.read_text(encoding="utf-8") + "".join(f"cle_{i}: 1\n" for i in range(n)), encoding="utf-8")
    return run(root, "validate")


def bad_amounts(root: Path, n: int) -> tuple[float, int]:
    lines = ["debtor_id,debtor_name,invoice_number,invoice_date,due_date,amount,status"]
    lines += [f"D{i},Nom {i},F{i},2026-01-01,2026-02-01,abc,promised" for i in range(2 * n)]
    (root / "ledgers" / "bad.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run(root, "dunning", COMPANY, "--ledger", "ledgers/bad.csv", "--date", "2026-06-15")


def main_(n: int) -> None:
    cases = [("unknown keys, company file", lambda r, k: unknown_keys(r, COMPANY, k)),
             ("unknown keys, clause file", lambda r, k: unknown_keys(r, CLAUSE, k)),
             ("bad ledger rows (2 problems each)", lambda r, k: bad_amounts(r, 2 * k))]
    with tempfile.TemporaryDirectory() as tmp:
        warm = copy_project(Path(tmp) / "warm")
        unknown_keys(warm, COMPANY, 10)
        for label, case in cases:
            figures = []
            for size in (n, 2 * n):
                root = copy_project(Path(tmp) / f"p{size}")
                seconds, reported = case(root, size)
                figures.append(seconds)
                print(f"{label:36} n={size:>6}: {reported:>6} problems in {seconds:5.1f} s")
                shutil.rmtree(root)
            print(f"{'':36} ratio 2n/n = {figures[1] / figures[0]:.2f}")


if __name__ == "__main__":
    main_(int(sys.argv[1]) if len(sys.argv) > 1 else 15_000)
