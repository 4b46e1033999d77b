"""The formats a rendered document is written in, in one place: each kind of output (`Rendered.kind`)
and the files it becomes. Packs, on-demand documents and the daily run all write through here; a
new format (DOCX…) is one more entry and its tests.

    html   <stem>.html (styled on its own, see standalone.py) and <stem>.pdf
    txt    <stem>.txt (e-mails, SMS, call scripts)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cgvkit.documents.pdf import write_document
from cgvkit.documents.standalone import standalone

# Printing later: (html file, pdf file) → None; the daily run hands its PDFs to parallel printers.
PrintLater = Callable[[Path, Path], None]


def _write_html(project, text: str, target: Path, when, print_later: PrintLater | None) -> tuple[int, list[Path]]:
    html, pdf = target.with_name(target.name + ".html"), target.with_name(target.name + ".pdf")
    if print_later is None:
        return write_document(project, text, target, when), [html, pdf]
    html.write_text(standalone(text, project.root / "templates"), encoding="utf-8")
    print_later(html, pdf)
    return 0, [html, pdf]


def _write_text(project, text: str, target: Path, when, print_later) -> tuple[int, list[Path]]:
    path = target.with_name(target.name + ".txt")
    path.write_text(text, encoding="utf-8")
    return 0, [path]


WRITERS = {"html": _write_html, "txt": _write_text}


def write_rendered(project, outputs: list, stem: Path, when, print_later: PrintLater | None = None
                   ) -> tuple[int, list[Path]]:
    """Write one stage's documents next to `stem`; returns (PDF pages printed now, files written).
    With `print_later`, PDFs are handed to it instead of printed here (their pages are its count)."""
    pages, written = 0, []
    stem.parent.mkdir(parents=True, exist_ok=True)
    for out in outputs:
        printed, files = WRITERS[out.kind](project, out.text, stem.parent / f"{stem.name}{out.suffix}", when, print_later)
        pages += printed
        written += files
    return pages, written
