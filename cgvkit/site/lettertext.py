"""A pack's letter shown on the site: its text, as escaped HTML paragraphs with line breaks kept."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup, escape

BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "tr", "address", "section", "header", "footer",
          "table", "ul", "ol", "blockquote"}
SKIPPED = {"style", "script", "head", "title"}


class _Text(HTMLParser):
    """Text of an HTML letter, one entry per block element, line breaks kept."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip = 0

    def _flush(self):
        text = "".join(self.current)
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "br":
            self.current.append("\n")
        elif tag in ("td", "th"):
            self.current.append(" · " if self.current and "".join(self.current).strip() else "")
        elif tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data.replace("\n", " "))


def html_paragraphs(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser._flush()
    return parser.blocks


def text_paragraphs(text: str) -> list[str]:
    chunks = [c.strip("\n") for c in text.replace("\r\n", "\n").split("\n\n")]
    return [c for c in chunks if c.strip()]


def letter_html(path: Path) -> Markup:
    """The letter at `path` (.html or .txt) as escaped <p> blocks, on one line each for Markdown."""
    raw = path.read_text(encoding="utf-8")
    paragraphs = html_paragraphs(raw) if path.suffix == ".html" else text_paragraphs(raw)
    return Markup("\n".join(
        "<p>" + "<br>".join(str(escape(line)) for line in p.split("\n")) + "</p>" for p in paragraphs))
