#!/usr/bin/env python3
"""Benchmark of pack generation at scale (issue: packs at scale).

    .venv/bin/python benchmarks/packs.py --companies 40

Generates N synthetic but valid company profiles (both markets, varied variants and values)
in a private copy of the project, then measures in one run on this machine:
- pages per second of a full build with 1 job and with all cores;
- the same HTML printed by a bare WeasyPrint loop (the engine's own speed) and the kit's overhead;
- a no-change rebuild and a one-clause-change rebuild, as ratios of the full build;
- peak memory (max RSS) of a worker process.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from bare import bare_weasyprint  # noqa: E402
from conftest import copy_project  # noqa: E402  (one way to copy the project, shared with tests)

B2B_TERMS = ["{days: 30, end_of_month: false}", "{days: 45, end_of_month: false}",
             "{days: 60, end_of_month: false}", "{days: 45, end_of_month: true}", "{variant: legal_default}"]
B2B_PENALTIES = ["{variant: ecb_plus_10}", "{variant: three_times_legal}", "{variant: fixed_rate, rate: 15}"]


def synthetic_profiles(root: Path, count: int) -> None:
    """Write `count` profiles derived from the two examples, varied but valid."""
    rng = random.Random(42)
    b2b = (root / "companies" / "atelier-lyonnais.yaml").read_text(encoding="utf-8")
    b2c = (root / "companies" / "boutique-en-ligne.yaml").read_text(encoding="utf-8")
    for i in range(count):
        if i % 3 == 2:
            text = b2c.replace("Le Comptoir des Thés", f"Thés {i:04d}")
        else:
            text = b2b.replace("Atelier Lyonnais de Menuiserie", f"Menuiserie {i:04d}")
            text = _replace_line(text, "payment_term:", f"  payment_term: {rng.choice(B2B_TERMS)}")
            text = _replace_line(text, "late_penalties:", f"  late_penalties: {rng.choice(B2B_PENALTIES)}")
            if i % 2:
                text = _replace_line(text, "retention_of_title:", "  retention_of_title: {variant: standard}")
        (root / "companies" / f"bench-{i:04d}.yaml").write_text(text, encoding="utf-8")


def _replace_line(text: str, key: str, line: str) -> str:
    lines = text.splitlines()
    return "\n".join(line if old.strip().startswith(key) else old for old in lines) + "\n"


def run_build(root: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(root), "all", "--no-site", *args],
                            cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=40)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "project")
        synthetic_profiles(root, args.companies)
        one_job, line1 = run_build(root, "--jobs", "1", "--force")
        pages = int(line1.split(",")[3].split()[0])
        bare_seconds, _, bare_pages = bare_weasyprint(root / "dist", root / "templates")
        all_jobs, _ = run_build(root, "--jobs", str(cores), "--force")
        nochange, line_nc = run_build(root)
        variant = root / "clauses" / "late_penalties" / "fixed_rate.yaml"
        variant.write_text(variant.read_text(encoding="utf-8") + "\n# benchmark edit\n", encoding="utf-8")
        onechange, line_oc = run_build(root)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = [
        ("machine", f"{platform.machine()}, {cores} cœurs, Python {platform.python_version()}"),
        ("packs", f"{args.companies + 2} ({pages} pages)"),
        ("build complet, 1 job", f"{one_job:.1f} s — {pages / one_job:.1f} pages/s"),
        (f"build complet, {cores} jobs", f"{all_jobs:.1f} s — {pages / all_jobs:.1f} pages/s "
                                         f"(accélération {one_job / all_jobs:.2f}×)"),
        ("WeasyPrint nu (1 processus)", f"{bare_seconds:.1f} s — {bare_pages / bare_seconds:.1f} pages/s"),
        ("surcoût du kit (1 job / nu)", f"{one_job / bare_seconds:.2f}×"),
        ("reconstruction sans changement", f"{nochange:.2f} s — {100 * nochange / all_jobs:.1f} % du build complet"),
        ("une variante modifiée", f"{onechange:.1f} s — {100 * onechange / all_jobs:.1f} % ({line_oc})"),
        ("mémoire de pointe d’un processus", f"{peak_mb:.0f} Mio"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
