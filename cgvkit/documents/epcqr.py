"""The EPC payment QR code printed on letters (SEPA credit transfer, « Girocode »), made by segno.

segno picks the QR code's data mask as ISO/IEC 18004 asks (7.8.3: the one of eight with the lowest
penalty), but it masks and scores the symbol one module at a time in Python: 13 ms of each letter,
about 7 % of a dunning run. The same choice is computed here on whole rows held as integers, with
segno's own mask patterns and function regions and its scoring rules as written, and put in place
of segno's function. `tests/test_epc_qr.py` checks it returns exactly what segno's does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

import segno.encoder
import segno.helpers

_SEGNO_BEST_MASK = segno.encoder.find_and_apply_best_mask
_RUN = re.compile(r"0{5,}|1{5,}")  # five or more modules of one colour (N1)
_FINDER_LIKE = "1011101"  # dark:light:dark:dark:dark:light:dark, 1:1:3:1:1 (N3)
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")


def epc_qr(company, amount: Decimal, text: str) -> str | None:
    """EPC (SEPA credit transfer) QR code as an SVG data URI, or None without IBAN or amount."""
    iban = company.identity.get("iban", "").replace(" ", "")
    if not iban or not (Decimal("0.01") <= amount <= Decimal("999999999.99")):
        return None
    qr = segno.helpers.make_epc_qr(name=company.identity["name"][:70], iban=iban, amount=amount,
                                   text=text[:140], bic=company.identity.get("bic", "").replace(" ", "") or None)
    return qr.svg_data_uri(scale=3, border=2)


def best_mask(matrix, width, height, proposed_mask=None):
    """segno's `find_and_apply_best_mask`, for QR codes (Micro QR and a chosen mask go to segno's)."""
    if proposed_mask is not None or width != height or width < 21:
        return _SEGNO_BEST_MASK(matrix, width, height, proposed_mask)
    size = width
    rows = [int(row.translate(_TO_BITS), 2) for row in matrix]
    best, best_score, best_rows = None, None, None
    for number, masks in enumerate(_masks(size)):
        masked = [row ^ mask for row, mask in zip(rows, masks, strict=True)]
        score = _penalty(masked, size)
        if best_score is None or score < best_score:
            best, best_score, best_rows = number, score, masked
    return best, tuple(bytearray(format(row, f"0{size}b").encode().translate(_FROM_BITS)) for row in best_rows)


@cache
def _masks(size: int) -> tuple:
    """For each of the eight mask patterns, the modules it flips, row by row: the pattern's modules
    that lie in the encoding region (column j is bit size-1-j, so a row reads left to right)."""
    function = segno.encoder.make_matrix(size, size)
    segno.encoder.add_finder_patterns(function, size, size)
    segno.encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module, as segno marks it
    found = []
    for pattern in segno.encoder.get_data_mask_functions(False):
        found.append(tuple(sum(1 << (size - 1 - j) for j in range(size) if function[i][j] > 0x1 and pattern(i, j))
                           for i in range(size)))
    return tuple(found)


def _penalty(rows: list, size: int) -> int:
    """segno's `mask_scores` summed: N1 + N2 + N3 + N4 (ISO/IEC 18004, 7.8.3.1, table 11)."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    n1 = sum(len(run) - 2 for line in (*lines, *columns) for run in _RUN.findall(line))
    low = (1 << (size - 1)) - 1  # a 2×2 block starts in the first size-1 columns
    n2 = 3 * sum((~(above ^ below) & ~((above ^ below) >> 1) & ~(below ^ (below >> 1)) & low).bit_count()
                 for above, below in zip(rows, rows[1:], strict=False))
    n3 = sum(_finder_like(line, size) for line in (*lines, *columns))
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (size ** 2) * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _finder_like(line: str, size: int) -> int:
    # segno's reading, kept as it is: a pattern at either edge counts, or with four light modules
    # (fewer at an edge) on one side; otherwise the search goes on from the pattern's middle.
    count, index = 0, line.find(_FINDER_LIKE)
    while index != -1:
        after = index + 7
        if index in (0, size - 7) or "1" not in line[max(index - 4, 0):index] or "1" not in line[after:after + 4]:
            count += 40
        else:
            after = index + 4
        index = line.find(_FINDER_LIKE, after)
    return count


segno.encoder.find_and_apply_best_mask = best_mask
