"""French formatting through Babel, and French typography for running text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, as the Imprimerie nationale sets before ; ! ?
FR = Locale.parse("fr_FR")  # parsed once: Babel would load the locale data on every call


def _decimal(value: object, digits: int | None = None) -> Decimal:
    """`value` as a Decimal; one that prints as zero (-0, -0.001 at two digits) is plain 0."""
    value = Decimal(str(value))
    if not value or (digits is not None and abs(value) <= Decimal(5).scaleb(-digits - 1)):
        return Decimal(0)
    return value


def money(value: object) -> str:
    """1234.5 → « 1 234,50 € »."""
    return format_currency(_decimal(value, 2), "EUR", locale=FR)


def number(value: object, digits: int | None = None) -> str:
    if digits is not None and not 0 <= digits <= 20:  # a clause text could ask for billions of zeros
        raise ValueError(f"nombre de décimales hors limites{NBSP}: {digits}")
    value = _decimal(value, digits)
    if digits is not None:
        return format_decimal(value, format="#,##0." + "0" * digits, locale=FR) if digits else \
            format_decimal(value, format="#,##0", locale=FR)
    return format_decimal(value, locale=FR)


def percent(value: object) -> str:
    """12.15 (percent per year) → « 12,15 % »."""
    return f"{number(value, 2)}{NBSP}%"


def date_fr(value: date) -> str:
    """2026-11-22 → « 22 novembre 2026 » (and « 1er » for the first of the month)."""
    text = format_date(value, format="d MMMM y", locale=FR)
    return "1er" + text[1:] if value.day == 1 else text


_BEFORE_HIGH = re.compile(r"(?<=\S)[ \u00a0\u202f]*([;!?])(?=\s|$|»)")
_BEFORE_COLON = re.compile(r"(?<=\S)[ \u00a0\u202f]*:(?=\s|$)")
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]*»")


def typography(text: str) -> str:
    """No-break spaces before ; : ! ? and inside « », so no line starts with a mark.

    Only spaces and punctuation in running text are touched: URLs (« https:// ») keep
    their colon because it is not followed by a space.
    """
    text = _BEFORE_HIGH.sub(lambda m: NNBSP + m.group(1), text)
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _CLOSE_QUOTE.sub(NBSP + "»", text)
    return text.replace("'", "’")


def iban(value: object) -> str:
    """An IBAN as printed: capitals, grouped by four (« FR76 3000 6000 … »)."""
    compact = re.sub(r"\s+", "", str(value)).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


FILTERS: dict[str, Callable[..., str]] = {"money": money, "percent": percent, "date_fr": date_fr, "number": number,
           "typo": typography, "iban": iban}
