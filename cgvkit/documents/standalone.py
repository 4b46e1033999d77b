"""The HTML a person opens: styled from its own folder.

Documents link the print stylesheets of `templates/` (`<link rel="stylesheet" href="print.css">`), which
the printer resolves but a browser opening `dist/…/cgv.html` cannot. The copy written to disk carries
the same sheets inlined in one marked `<style>` block (their @font-face rules left out: the fonts stay
in templates/, and a browser falls back to its own); the printer takes the block out again, so the
PDF is printed from exactly the HTML it always was.
"""

from __future__ import annotations

import re
from pathlib import Path

_LINK = re.compile(r'<link rel="stylesheet" href="([a-z0-9_/-]+\.css)">')
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}\s*")
MARK = "data-cgvkit-standalone"
_BLOCK = re.compile(rf"<style {MARK}>.*?</style>\n", re.DOTALL)


def standalone(html: str, templates: Path) -> str:
    """`html` with its template stylesheets inlined before </head> (only sheets of `templates/`)."""
    sheets = []
    for name in _LINK.findall(html):
        path = (templates / name).resolve()
        if path.is_relative_to(templates.resolve()) and path.is_file():
            sheets.append(_FONT_FACE.sub("", path.read_text(encoding="utf-8")).replace("</", "<\\/"))
    if not sheets or "</head>" not in html:
        return html
    block = f"<style {MARK}>\n" + "\n".join(sheets) + "</style>\n"
    head = html.index("</head>")
    return html[:head] + block + html[head:]


def printable(html: str) -> str:
    """The HTML as it was rendered: the inlined block taken out."""
    return _BLOCK.sub("", html, count=1)
