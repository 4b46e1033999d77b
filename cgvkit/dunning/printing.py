"""Printing a run's letters: HTML rendered in the main process, PDFs printed in parallel.

Each worker process keeps WeasyPrint's font configuration for all its letters (see
documents/pdf.py). With one job, or a single letter, nothing is forked. The bytes are the
same whatever the job count: each PDF's identifier is derived from its HTML.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from cgvkit.documents.pdf import write_pdf


def default_jobs() -> int:
    return os.cpu_count() or 1


def _print_one(job: tuple[str, str, str, str]) -> int:
    html_path, target, root, when = job
    html = Path(html_path).read_text(encoding="utf-8")
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]
    return write_pdf(html, Path(target), Path(root), date.fromisoformat(when), identifier).pages


def print_all(jobs_list: list[tuple[Path, Path]], root: Path, when: date, jobs: int | None = None) -> int:
    """Print every (html file, pdf target); returns the total page count."""
    work = [(str(html), str(pdf), str(root), when.isoformat()) for html, pdf in jobs_list]
    jobs = min(jobs or default_jobs(), len(work))
    if jobs <= 1:
        return sum(_print_one(job) for job in work)
    with ProcessPoolExecutor(jobs) as pool:
        return sum(pool.map(_print_one, work, chunksize=max(1, len(work) // (jobs * 4))))
