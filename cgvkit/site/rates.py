"""The rate table page: every half-year of data/rates.yaml with its source, newest first."""

from __future__ import annotations

import re

from cgvkit.core.french import percent
from cgvkit.law.figures import STATUTORY_ECB_MARGIN, half_year_fr
from cgvkit.law.interest import CONVENTION_FR, floor_rate
from cgvkit.site.markdown import link, md

_URL = re.compile(r"https://\S+")


def half_year_label(row) -> str:
    return half_year_fr(row.start)


def source_md(text: str):
    """A source as Markdown: its URLs become links, the rest is escaped text."""
    parts, last = [], 0
    for found in _URL.finditer(str(text)):
        parts.append(md(text[last:found.start()]))
        url = found.group().rstrip(".,;)")
        parts.append(link(url, url))
        last = found.start() + len(url)
    parts.append(md(str(text)[last:]))
    return md("").join(parts)


def rate_view(table) -> dict:
    rows = []
    for row in sorted(table.rows(), key=lambda r: r.start, reverse=True):
        rows.append({"label": half_year_label(row), "start": row.start, "ecb": percent(row.ecb),
                     "legal_individual": percent(row.legal_individual), "legal_other": percent(row.legal_other),
                     "floor": percent(floor_rate(row)),
                     "ecb_plus_10": percent(row.ecb + STATUTORY_ECB_MARGIN), "source": source_md(" ".join(str(row.source).split()))})
    last = table.last
    return {"rows": rows, "last": {"label": half_year_label(last), "start": last.start}, "convention": CONVENTION_FR}
