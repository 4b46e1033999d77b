"""Printing a run's letters: HTML rendered in the main process, PDFs printed in parallel.

Letters are handed to the worker processes as soon as they are rendered, so rendering and
printing overlap, and so do printing and merging the mail room's PDF. Each worker keeps
WeasyPrint's fonts and the parsed stylesheets for all its letters (see documents/pdf.py). With one
job, or a single letter, nothing is forked. The bytes are the same whatever the job count: each
PDF's identifier is derived from its HTML.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from types import TracebackType

from cgvkit.documents.pdf import fonts_of_this_process, write_pdf
from cgvkit.documents.standalone import printable


def default_jobs() -> int:
    return os.cpu_count() or 1


def _print_one(html_path: str, target: str, root: str, when: str) -> int:
    html = printable(Path(html_path).read_text(encoding="utf-8"))  # as rendered: without the inlined sheets
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]
    return write_pdf(html, Path(target), Path(root), date.fromisoformat(when), identifier).pages


class Printer:
    """`with Printer(root, when, jobs, expected) as printer: printer.submit(html, pdf)`; every PDF
    is written when the block ends (an error in a worker is raised there)."""

    def __init__(self, root: Path, when: date, jobs: int | None, expected: int):
        self.args = (str(root), when.isoformat())
        self.jobs = min(jobs or default_jobs(), expected)
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[int]] = []
        self.targets: list[Path] = []
        self.pages = 0

    def __enter__(self) -> Printer:
        if self.jobs > 1:
            self.pool = ProcessPoolExecutor(self.jobs, initializer=fonts_of_this_process)
        return self

    def submit(self, html: Path, pdf: Path) -> None:
        self.targets.append(pdf)
        if self.pool is None:
            self.pages += _print_one(str(html), str(pdf), *self.args)
        else:
            self.futures.append(self.pool.submit(_print_one, str(html), str(pdf), *self.args))

    def printed(self) -> Iterator[Path]:
        """Every PDF submitted, in submission order, each as soon as it is written: what follows
        (the mail room's merged PDF) is done while the workers still print."""
        for n, target in enumerate(self.targets):
            if self.pool is not None:
                self.futures[n].result()
            yield target

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.pool is None:
            return
        try:
            if kind is None:
                self.pages += sum(f.result() for f in self.futures)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=kind is not None)
