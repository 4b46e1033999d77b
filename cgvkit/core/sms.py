"""SMS length in segments: GSM 03.38 (7-bit) when every character allows it, UCS-2 otherwise."""

from __future__ import annotations

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")  # two septets each (escape + character)
MAX_SEGMENTS = 2


def plain(text: str) -> str:
    """What a phone shows: typographic spaces and apostrophes replaced by their GSM forms."""
    return (text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
            .replace("«", "\"").replace("»", "\"").strip())


def segments(text: str) -> tuple[int, str, int]:
    """(segments, encoding, length in encoding units) of one SMS text.

    A long SMS is cut into parts of 153 septets (GSM-7) or 67 UTF-16 units (UCS-2); a character of
    two units (an escaped « € », an emoji's surrogate pair) is never split between two parts, so it
    may open the next part early: « a » × 152 + « € » + « a » × 152 is 306 septets but 3 parts."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        sizes = [2 if c in GSM_EXTENDED else 1 for c in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(sizes)
    if units <= single:
        return 1, encoding, units
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
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
