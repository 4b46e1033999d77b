"""Which rules of law concern which clause: the articles they cite, compared.

A rule (`rules.RULES`) names its article(s) as text, and so does a clause's `legal_basis`.
Both are reduced to a set of keys — the code and the article number — so a rule citing
« Code de commerce, art. L441-10 II et D441-5 » meets a clause based on « C. com. L. 441-10 ».
"""

from __future__ import annotations

import re
import unicodedata

CODES = (
    ("commerce", ("code de commerce", "c. com", "c.com", "ccom")),
    ("civil", ("code civil", "c. civ", "c.civ")),
    ("procedure civile", ("code de procedure civile", "procedure civile", "cpc")),
    ("consommation", ("code de la consommation", "c. conso", "c.conso")),
    ("monetaire", ("code monetaire et financier", "cmf")),
    ("execution", ("procedures civiles d'execution", "cpce")),
)
_PREFIXED = re.compile(r"\b([LRD])\s?\.?\s?(\d{2,4}(?:-\d+)+)(?:\s+([IVX]+)\b)?")
_BARE = re.compile(r"\bart(?:icles?|s?\.)\s*((?:\d+(?:-\d+)*(?:\s*(?:,|et|à)\s*)?)+)")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return text.replace("’", "'")


def _code(segment: str) -> str | None:
    for name, spellings in CODES:
        if any(s in segment for s in spellings):
            return name
    return None


def article_keys(text: str) -> set:
    """« Code civil, art. 2367 ; C. com., art. L441-10 II » → {("civil", "2367", ""), ("", "L441-10", "II")}.

    Articles with a letter prefix (L, R, D) are keyed by number alone: the prefix and number already
    pick out the article in practice. Bare numbers need their code. The roman numeral of a
    subdivision is kept when given.
    """
    keys = set()
    for segment in re.split(r"[;(]", _plain(text)):
        for prefix, number, sub in _PREFIXED.findall(segment.upper()):
            keys.add(("", f"{prefix}{number}", sub))
        code = _code(segment)
        if code:
            for group in _BARE.findall(segment):
                for number in re.findall(r"(?<![\w-])(\d+(?:-\d+)*)", group):
                    keys.add((code, number, ""))
    return keys


def related(rule_article: str, basis_articles) -> bool:
    """Does a rule's article meet any of a clause's legal-basis articles?"""
    mine = article_keys(rule_article)
    theirs = {key for article in basis_articles for key in article_keys(article)}
    return any(_meet(a, b) for a in mine for b in theirs)


def _meet(a: tuple, b: tuple) -> bool:
    """Same code and number; subdivisions, when both are given, must agree too."""
    return a[:2] == b[:2] and (not a[2] or not b[2] or a[2] == b[2])
