"""The letters' payment QR code: the kit's mask choice is segno's, module for module."""

from __future__ import annotations

import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
import segno
import segno.encoder

from cgvkit.documents import epcqr


def both_choices(monkeypatch, make):
    """What `make()` gives with segno's own mask choice, then with the kit's."""
    monkeypatch.setattr(segno.encoder, "find_and_apply_best_mask", epcqr._SEGNO_BEST_MASK)
    segno_made = make()
    monkeypatch.setattr(segno.encoder, "find_and_apply_best_mask", epcqr.best_mask)
    return segno_made, make()


def test_the_kit_chooses_segnos_mask_in_place_of_segno():
    assert segno.encoder.find_and_apply_best_mask is epcqr.best_mask


def test_same_mask_and_modules_as_segno_for_every_kind_of_symbol(monkeypatch):
    # Versions 7 and up carry version information; the larger ones several alignment patterns.
    rng = random.Random(5)
    chosen = set()
    for version in (1, 2, 5, 6, 7, 9, 12, 17, 40):
        for _ in range(4):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(7 * version, 14 * version)))  # fits
            theirs, ours = both_choices(monkeypatch, lambda data=data, version=version: segno.make_qr(data, version=version, error="L"))
            assert (ours.mask, ours.matrix) == (theirs.mask, theirs.matrix)
            chosen.add(ours.mask)
    assert len(chosen) >= 4  # the choice depends on the data: not one mask for all


def test_letters_payment_codes_are_segnos(monkeypatch):
    company = SimpleNamespace(identity={"name": "Atelier Lyonnais SARL", "iban": "FR76 3000 6000 0112 3456 7890 189",
                                        "bic": "AGRIFRPP"})
    rng = random.Random(7)
    for n in range(40):
        amount = Decimal(rng.randrange(1, 10 ** rng.randrange(2, 10))) / 100
        reference = f"Factures F{n:06d} F{n + 1:06d} — client D{n:04d}"[: rng.randrange(10, 60)]
        theirs, ours = both_choices(monkeypatch, lambda amount=amount, reference=reference: epcqr.epc_qr(company, amount, reference))
        assert ours == theirs and ours.startswith("data:image/svg+xml")


def test_micro_codes_and_a_chosen_mask_are_left_to_segno(monkeypatch):
    for make in (lambda: segno.make_micro("12345"), lambda: segno.make_qr("CGV", mask=3)):
        theirs, ours = both_choices(monkeypatch, make)
        assert (ours.mask, ours.matrix) == (theirs.mask, theirs.matrix)
    assert segno.make_qr("CGV", mask=3).mask == 3


def test_no_payment_code_without_iban_or_with_an_amount_a_transfer_cannot_carry():
    with_iban = SimpleNamespace(identity={"name": "A", "iban": "FR7630006000011234567890189"})
    assert epcqr.epc_qr(SimpleNamespace(identity={"name": "A"}), Decimal("10"), "x") is None
    assert epcqr.epc_qr(with_iban, Decimal("0.00"), "x") is None
    assert epcqr.epc_qr(with_iban, Decimal("1000000000.00"), "x") is None
    assert epcqr.epc_qr(with_iban, Decimal("0.01"), "x") is not None


# The payload is built field by field (EPC069-12): what an ordinary letter carries is what segno's
# own builder gives, and a hostile or oversized value cannot move a field.
def test_an_ordinary_payload_is_the_one_segno_builds():
    from segno.helpers import _make_epc_qr_data

    for name, amount, text, bic in (("Atelier Lyonnais SARL", Decimal("1670.43"), "Facture F1 - client C1", "AGRIFRPP"),
                                    ("Boutique Ésope", Decimal("12.50"), "Factures F1, F2 - client C2", ""),
                                    ("Łódź Sp. z o.o.", Decimal("1000.00"), "Facture Ž-1 - client 7", "")):
        ours = epcqr.epc_payload(name, "FR76 3000 6000 0112 3456 7890 189", amount, text, bic)
        assert ours == _make_epc_qr_data(name, "FR7630006000011234567890189", amount, text, bic=bic or None)


def test_a_line_break_in_a_name_cannot_rewrite_the_iban():
    hostile = "Atelier\nFR7699999999999999999999999\nEUR1"
    for value in (hostile, "A\u202eB", "A\u200bB", "A\rB", "A\u2028B"):
        with pytest.raises(epcqr.EpcFieldError):
            epcqr.epc_payload(value, "FR7630006000011234567890189", Decimal("10"), "x")
        with pytest.raises(epcqr.EpcFieldError):
            epcqr.epc_payload("A", "FR7630006000011234567890189", Decimal("10"), value)
    company = SimpleNamespace(identity={"name": hostile, "iban": "FR7630006000011234567890189"})
    assert epcqr.epc_qr(company, Decimal("10"), "x") is None  # the letter keeps its transfer details in words


def test_a_long_invoice_list_is_cut_with_an_ellipsis_and_keeps_the_client():
    numbers = [f"F2026-{n:05d}" for n in range(60)]
    text = epcqr.remittance_text(numbers, "client C003")
    assert len(text) <= epcqr.EPC_TEXT_MAX and text.endswith(", … - client C003")
    assert text.startswith("Factures F2026-00000, F2026-00001")
    company = SimpleNamespace(identity={"name": "Atelier", "iban": "FR7630006000011234567890189"})
    assert epcqr.epc_qr(company, Decimal("10"), text).startswith("data:image/svg+xml")
    assert epcqr.remittance_text(["F1"], "client C1") == "Facture F1 - client C1"
    assert epcqr.remittance_text(["F" * 200], "client C1") == "Facture … - client C1"


def test_a_payload_never_exceeds_331_bytes():
    name, text = "Ω" * 70, "Ж" * 140  # two bytes a character in UTF-8: 420 bytes of text as given
    data = epcqr.epc_payload(name, "FR7630006000011234567890189", Decimal("999999999.99"), text, "AGRIFRPPXXX")
    assert len(data) <= epcqr.EPC_PAYLOAD_MAX
    fields = data.decode("utf-8").split("\n")
    assert fields[5] == name and fields[6] == "FR7630006000011234567890189" and fields[10].endswith("…")
    assert len(fields) == 11
