"""The kit's print stylesheets, parsed once per process rather than once per document.

WeasyPrint parses every `<link rel="stylesheet">` again for each document, fonts included: about a
tenth of the time a letter takes to print. A document whose only styles are such links to files
of `templates/` is printed with the links taken out and the same sheets, already parsed, handed to
WeasyPrint. They then count as the reader's sheets rather than the author's; with no other style in
the document (no `<style>`, no `style=""`) the cascade is the same, and `tests/test_pdf_sheets.py`
checks that the PDFs are the same bytes. Any other document is printed as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from cgvkit.core.memo import by_text
from cgvkit.documents.engine import CSS
from cgvkit.documents.fetcher import ProjectFetcher

_LINK = re.compile(r'<link rel="stylesheet" href="([a-z0-9_/-]+\.css)">\n?')
# What a sheet would do to the document's own state (counters, colour profiles, the cascade's
# layers): such a sheet is left to WeasyPrint's ordinary path.
_DOCUMENT_STATE = ("@counter-style", "@color-profile", "@layer", "@import")


def reusable_sheets(html: str, templates: Path, fonts) -> tuple[str, list, list] | None:
    """(the HTML without its links, the parsed sheets, the URLs their parsing refused), or None
    when the document must be printed as it is. `fonts` is the FontConfiguration the document is
    printed with: a sheet's @font-face rules are registered there once."""
    lowered = html.lower()
    links = list(_LINK.finditer(html))
    if not links or lowered.count("<link") != len(links) or "<style" in lowered or "style=" in lowered:
        return None
    sheets, refused = [], []
    for link in links:
        path = (templates / link.group(1)).resolve()
        if not path.is_relative_to(templates.resolve()) or not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        if any(rule in text for rule in _DOCUMENT_STATE):
            return None
        sheet, refusals = _parsed(str(path), text, fonts, str(templates))
        sheets.append(sheet)
        refused += refusals
    return _LINK.sub("", html), sheets, refused


@by_text(maxsize=32)
def _parsed(path: str, text: str, fonts, templates: str) -> tuple:
    fetcher = ProjectFetcher([Path(templates)])  # a sheet reads its fonts and imports from templates/ only
    sheet = CSS(string=text, base_url=Path(path).as_uri(), url_fetcher=fetcher, font_config=fonts,
                media_type="print")
    return sheet, tuple(fetcher.refused)


def clear_parsed_sheets() -> None:
    """Forget the parsed sheets (a forked worker parses its own, with its own fonts)."""
    _parsed.cache_clear()
