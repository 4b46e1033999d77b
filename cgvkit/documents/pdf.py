"""HTML → PDF with WeasyPrint, fetching nothing outside the project's allowed folders."""

from __future__ import annotations

import calendar
import hashlib
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cgvkit.documents.engine import HTML, FontConfiguration
from cgvkit.documents.fetcher import ProjectFetcher
from cgvkit.documents.standalone import standalone
from cgvkit.documents.stylesheets import clear_parsed_sheets, reusable_sheets


def write_document(project, html: str, stem: Path, when) -> int:
    """`stem`.html and `stem`.pdf, the PDF identified by the HTML's hash (same input, same bytes).

    Returns the PDF's page count.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".html").write_text(standalone(html, project.root / "templates"), encoding="utf-8")
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]
    return write_pdf(html, stem.with_suffix(".pdf"), project.root, when, identifier).pages


_FONTS = FontConfiguration()  # shared: fonts registered once serve every document (stylesheets.py)


def fonts_of_this_process() -> None:
    """A forked worker's own font configuration. WeasyPrint writes each @font-face to a file in its
    configuration's temporary folder and maps it: a worker that inherited its parent's configuration
    would write into the same folder as its siblings, and a sibling rewriting a file this one has
    mapped kills it (SIGBUS). The inherited configuration is dropped without deleting the parent's
    folder (WeasyPrint deletes it when the object goes)."""
    global _FONTS
    inherited, _FONTS = _FONTS, FontConfiguration()
    inherited._folder = None  # the parent's: not this process's to delete
    clear_parsed_sheets()  # they hold the inherited configuration's fonts


def write_pdf(html: str, target: Path, root: Path, when: date, identifier: str) -> Printed:
    """Print `html` to `target`; returns its page count and the URLs that were refused.

    Metadata dates and the PDF identifier are fixed by the caller so that the same inputs
    give the same bytes.
    """
    templates = root / "templates"
    fetcher = ProjectFetcher([templates])
    stamp = f"{when.isoformat()}T00:00:00+00:00"
    html, sheets, refused = reusable_sheets(html, templates, _FONTS) or (html, [], ())
    document = HTML(string=_with_dates(html, stamp), base_url=str(templates) + "/", url_fetcher=fetcher)
    rendered = document.render(font_config=_FONTS, stylesheets=sheets)
    with _source_date(when):
        rendered.write_pdf(target, pdf_identifier=identifier.encode("ascii")[:32])
    return Printed(len(rendered.pages), [*refused, *fetcher.refused])


# Without libharfbuzz-subset, WeasyPrint subsets fonts with fontTools, which stamps the current
# time in each font's 'head' table unless SOURCE_DATE_EPOCH is set: two builds would differ.
# The environment is process-wide, so PDF writes that set it are serialised (the kit prints from
# worker processes, one thread each; the lock keeps a threaded caller correct too).
_SOURCE_DATE_LOCK = threading.Lock()
# fontTools' « 'created' timestamp seems very low » lines are not errors; a newcomer reads them as such.
logging.getLogger("fontTools").setLevel(logging.ERROR)


@contextmanager
def _source_date(when: date):
    epoch = calendar.timegm(when.timetuple())
    with _SOURCE_DATE_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


@dataclass(frozen=True)
class Printed:
    pages: int
    refused: list


def _with_dates(html: str, stamp: str) -> str:
    meta = (f'<meta name="dcterms.created" content="{stamp}">'
            f'<meta name="dcterms.modified" content="{stamp}">')
    return html.replace("</head>", meta + "</head>", 1)
