"""SMS length in segments: GSM 03.38 (7-bit) when every character allows it, UCS-2 otherwise."""

from __future__ import annotations

import math

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")  # two septets each (escape + character)
MAX_SEGMENTS = 2


def plain(text: str) -> str:
    """What a phone shows: typographic spaces and apostrophes replaced by their GSM forms."""
    return (text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
            .replace("«", "\"").replace("»", "\"").strip())


def segments(text: str) -> tuple[int, str, int]:
    """(segments, encoding, length in encoding units) of one SMS text."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else math.ceil(units / multi)
    return count, encoding, units


def too_long(text: str) -> str | None:
    """A French message when the SMS needs more than two segments, else None."""
    count, encoding, units = segments(text)
    if count <= MAX_SEGMENTS:
        return None
    limit = 306 if encoding == "GSM-7" else 134
    return (f"SMS trop long : {units} caractères en {encoding}, soit {count} segments ; au plus "
            f"{MAX_SEGMENTS} segments ({limit} caractères dans cet encodage)")


def outside_alphabet(text: str) -> str:
    """The characters of `text` that force UCS-2, in order of appearance, each once."""
    return "".join(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED))
