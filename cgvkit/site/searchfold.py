"""Site search that finds « echeancier » as well as « échéancier ».

The search index MkDocs-Material builds keeps words as written, and its search does not fold accents:
a clerk who types without them finds nothing. Each page's accented words are added to its index entry
once more without their accents (in the JSON index and in the copy the offline plugin wraps in a
script), so both spellings find the page.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

_WORD = re.compile(r"[^\W\d_]+")
_TAG = re.compile(r"<[^>]+>")
_SCRIPT_PREFIX = "var __index = "


def folded(word: str) -> str:
    """« échéancier » → « echeancier », « cœur » → « coeur »."""
    plain = unicodedata.normalize("NFKD", word.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae"))
    return "".join(c for c in plain if not unicodedata.combining(c))


def _with_folded_words(doc: dict) -> dict:
    words = _WORD.findall(_TAG.sub(" ", f"{doc.get('title', '')} {doc.get('text', '')}"))
    extra = sorted({folded(w).lower() for w in words if not w.isascii()} - {""})
    if extra:
        doc = {**doc, "text": f"{doc.get('text', '')} <span hidden>{' '.join(extra)}</span>"}
    return doc


def fold_search_index(site: Path) -> None:
    """Add the accent-free spelling of every accented word to `site`'s search index (both copies)."""
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    data["docs"] = [_with_folded_words(doc) for doc in data.get("docs", [])]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    index.write_text(text, encoding="utf-8")
    script = index.with_name("search_index.js")
    if script.is_file() and script.read_text(encoding="utf-8").startswith(_SCRIPT_PREFIX):
        script.write_text(_SCRIPT_PREFIX + text, encoding="utf-8")
