"""Telephone numbers as the SMS gateway wants them: E.164 (`+33612345678`).

The ledger holds numbers as people type them (`06 12 34 56 78`, `+33 6 12 34 56 78`,
`0033612345678`); `e164` turns each into one form, and `mobile` says whether an SMS can reach it:
a French number only when it is a mobile (06 or 07, ARCEP numbering plan), a foreign number as given.
"""

from __future__ import annotations

import re

# 6 to 15 ASCII digits (E.164 allows 15), an optional + in front, separated by single spaces, dots,
# dashes or brackets.
PHONE = re.compile(r"\+?\(?[0-9]+\)?(?:[ .\-]?\(?[0-9]+\)?)*", re.ASCII)


def usable_phone(phone: str) -> bool:
    return bool(PHONE.fullmatch(phone)) and 6 <= sum(c.isdigit() for c in phone) <= 15


def e164(phone: str) -> str | None:
    """`+<digits>` or None when the number cannot be read: a national French number (ten digits
    from 0) becomes +33…, `00` is the international prefix."""
    if not usable_phone(phone):
        return None
    digits = "".join(c for c in phone if c.isdigit())
    if phone.startswith("+"):
        found = "+" + digits
    elif digits.startswith("00"):
        found = "+" + digits[2:]
    elif len(digits) == 10 and digits.startswith("0"):
        found = "+33" + digits[1:]
    else:
        return None
    if found.startswith("+330"):  # « +33 (0)6 … »
        found = "+33" + found[4:]
    if not 8 <= len(found) <= 16 or found[1] == "0":
        return None
    if found.startswith("+33") and len(found) != 12:
        return None
    return found


def mobile(number: str) -> bool:
    """An E.164 number an SMS can reach: French 06/07 mobiles, or any foreign number as given."""
    if number.startswith("+33"):
        return number[3] in "67"
    return True
