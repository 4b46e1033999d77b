"""The EPC payment QR code printed on letters (SEPA credit transfer, « Girocode »), made by segno.

segno picks the QR code's data mask as ISO/IEC 18004 asks (7.8.3: the one of eight with the lowest
penalty), but it masks and scores the symbol one module at a time in Python: 11 ms of each letter's
code, about 6 % of a dunning run. The same choice is computed here in under 2 ms, on whole rows and
columns held as integers and text, with segno's own mask patterns and function regions and its
scoring rules as written, and put in place of segno's function. `tests/test_epc_qr.py` checks it
returns exactly what segno's does.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache

import segno.encoder

_SEGNO_BEST_MASK = segno.encoder.find_and_apply_best_mask
# Five or more modules of one colour (N1), one colour at a time: a literal start is searched fast.
_RUNS = (re.compile("00000+"), re.compile("11111+"))
_FINDER_LIKE = "1011101"  # dark:light:dark:dark:dark:light:dark, 1:1:3:1:1 (N3)
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")


# EPC069-12 (« Quick Response Code: guidelines to enable data capture for the initiation of a SEPA credit
# transfer », version 002): one field a line, each within its length, the whole within 331 bytes.
EPC_NAME_MAX, EPC_TEXT_MAX, EPC_PAYLOAD_MAX = 70, 140, 331
EPC_AMOUNT_MIN, EPC_AMOUNT_MAX = Decimal("0.01"), Decimal("999999999.99")
# Character sets of the « character set » field, tried in this order (1 = UTF-8 always fits).
_EPC_CHARSETS = ("iso-8859-1", "iso-8859-2", "iso-8859-4", "iso-8859-5", "iso-8859-7", "iso-8859-10", "iso-8859-15")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
ELLIPSIS = "…"


class EpcFieldError(ValueError):
    """A value that cannot be one field of the payment code (the caller prints no code)."""


def _one_line(value: str, what: str) -> str:
    # A line break would shift every field after it (a name could rewrite the IBAN): refused, never cleaned.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise EpcFieldError(f"{what} contient un caractère de contrôle")
    return " ".join(value.split())


def remittance_text(invoices: list[str], suffix: str = "") -> str:
    """« Factures F1, F2 - client C3 » within the 140 characters of the field: invoices that do not fit
    are cut with « … » (the letter lists them all)."""
    label = "Facture" if len(invoices) == 1 else "Factures"
    tail = f" - {suffix}" if suffix else ""
    shown = list(invoices)
    while shown:
        more = ELLIPSIS if len(shown) < len(invoices) else ""
        text = f"{label} {', '.join(shown)}{', ' + more if more else ''}{tail}"
        if len(text) <= EPC_TEXT_MAX:
            return text
        shown.pop()
    return (f"{label} {ELLIPSIS}{tail}" if invoices else tail.removeprefix(" - "))[:EPC_TEXT_MAX]


def epc_payload(name: str, iban: str, amount: Decimal, text: str, bic: str = "") -> bytes:
    """The payload, built field by field: each value checked for what its field holds, never joined
    as it comes. Raises EpcFieldError when a value cannot be carried."""
    iban = "".join(iban.split()).upper()
    bic = "".join(bic.split()).upper()
    if not _IBAN.fullmatch(iban):
        raise EpcFieldError("IBAN illisible pour le code de paiement")
    if bic and not _BIC.fullmatch(bic):
        raise EpcFieldError("BIC illisible pour le code de paiement")
    if not EPC_AMOUNT_MIN <= amount <= EPC_AMOUNT_MAX:
        raise EpcFieldError("montant hors des bornes d’un virement SEPA")
    name = _one_line(name, "le nom du bénéficiaire")
    if not name:
        raise EpcFieldError("nom du bénéficiaire vide")
    name = name[:EPC_NAME_MAX]
    text = _one_line(text, "le libellé")
    if len(text) > EPC_TEXT_MAX:
        text = text[:EPC_TEXT_MAX - 1] + ELLIPSIS
    fields = ["BCD", "002", "", "SCT", bic, name, iban, f"EUR{amount.quantize(Decimal('0.01'))}".rstrip("0").rstrip("."),
              "", "", text]
    for number, charset in enumerate(_EPC_CHARSETS, start=2):
        try:
            fields[2] = str(number)
            data = "\n".join(fields).encode(charset)
            break
        except UnicodeEncodeError:
            continue
    else:
        fields[2] = "1"
        data = "\n".join(fields).encode("utf-8")
    while len(data) > EPC_PAYLOAD_MAX and fields[10]:  # long UTF-8 names and texts: the text gives way
        fields[10] = fields[10][:-2] + ELLIPSIS if len(fields[10]) > 1 else ""
        data = "\n".join(fields).encode("utf-8" if fields[2] == "1" else _EPC_CHARSETS[int(fields[2]) - 2])
    if len(data) > EPC_PAYLOAD_MAX:
        raise EpcFieldError("code de paiement trop long")
    return data


def epc_qr(company, amount: Decimal, text: str) -> str | None:
    """EPC (SEPA credit transfer) QR code as an SVG data URI, or None without IBAN or amount, or when a
    value cannot be carried by the code (the letter keeps its transfer details in words)."""
    iban = company.identity.get("iban", "")
    if not iban:
        return None
    try:
        data = epc_payload(company.identity["name"], iban, amount, text, company.identity.get("bic", ""))
    except EpcFieldError:
        return None
    qr = segno.make_qr(data, error="m", boost_error=False)
    return qr.svg_data_uri(scale=3, border=2)


def best_mask(matrix, width, height, proposed_mask=None):
    """segno's `find_and_apply_best_mask`, for QR codes (Micro QR and a chosen mask go to segno's)."""
    if proposed_mask is not None or width != height or width < 21:
        return _SEGNO_BEST_MASK(matrix, width, height, proposed_mask)
    size = width
    rows = [_bits(row) for row in matrix]
    columns = [_bits(bytes(column)) for column in zip(*matrix, strict=True)]
    best, best_score, best_rows = None, None, None
    for number, (row_masks, column_masks) in enumerate(_masks(size)):
        masked = [row ^ mask for row, mask in zip(rows, row_masks, strict=True)]
        score = _penalty(masked, [column ^ mask for column, mask in zip(columns, column_masks, strict=True)], size)
        if best_score is None or score < best_score:
            best, best_score, best_rows = number, score, masked
    return best, tuple(bytearray(format(row, f"0{size}b").encode().translate(_FROM_BITS)) for row in best_rows)


def _bits(modules: bytes) -> int:
    """A row (or column) of modules, 0 or 1 each, as an integer read left to right (top to bottom)."""
    return int(modules.translate(_TO_BITS), 2)


@cache
def _masks(size: int) -> tuple:
    """For each of the eight mask patterns, the modules it flips, row by row and column by column:
    the pattern's modules that lie in the encoding region."""
    function = segno.encoder.make_matrix(size, size)
    segno.encoder.add_finder_patterns(function, size, size)
    segno.encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module, as segno marks it
    found = []
    for pattern in segno.encoder.get_data_mask_functions(False):
        flips = [bytes(int(function[i][j] > 0x1 and pattern(i, j)) for j in range(size)) for i in range(size)]
        found.append((tuple(_bits(row) for row in flips),
                      tuple(_bits(bytes(column)) for column in zip(*flips, strict=True))))
    return tuple(found)


def _penalty(rows: list, columns: list, size: int) -> int:
    """segno's `mask_scores` summed: N1 + N2 + N3 + N4 (ISO/IEC 18004, 7.8.3.1, table 11)."""
    form = f"0{size}b"
    lines = "\n".join([format(line, form) for line in rows] + [format(line, form) for line in columns])
    runs = [run for colour in _RUNS for run in colour.findall(lines)]
    n1 = sum(map(len, runs)) - 2 * len(runs)
    low = (1 << (size - 1)) - 1  # a 2×2 block starts in the first size-1 columns
    n2 = 3 * sum((~(above ^ below) & ~((above ^ below) >> 1) & ~(below ^ (below >> 1)) & low).bit_count()
                 for above, below in zip(rows, rows[1:], strict=False))
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (size ** 2) * 100 - 50) / 5)
    return n1 + n2 + _finder_like(lines, size) + n4


def _finder_like(lines: str, size: int) -> int:
    """N3 over every line (rows, then columns, one per text line), read as segno reads it: a pattern
    counts with four light modules on one side (fewer at an end of the line), and the search then
    goes on after it; otherwise it goes on from the pattern's middle."""
    count, index = 0, lines.find(_FINDER_LIKE)
    while index != -1:
        start = index - index % (size + 1)  # where the pattern's line begins
        after = index + 7
        # At either end of its line, the side outside the symbol is an empty slice: it counts.
        if "1" not in lines[max(index - 4, start):index] or "1" not in lines[after:min(after + 4, start + size)]:
            count += 40
        else:
            after = index + 4
        index = lines.find(_FINDER_LIKE, after)
    return count


segno.encoder.find_and_apply_best_mask = best_mask
