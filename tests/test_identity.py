"""French identity checks: valid values pass (None), wrong ones get a French message."""

from __future__ import annotations

import pytest

from cgvkit.law.identity import (
    check_bic,
    check_email,
    check_iban,
    check_phone_fr,
    check_postal_code_fr,
    check_siren,
    check_siret,
    check_vat_fr,
    luhn_ok,
)

NBSP = "\u00a0"


# 732829320 by hand (Luhn, from the right, every second digit doubled):
# 0 + (2×2=4) + 3 + (9×2=18→9) + 2 + (8×2=16→7) + 2 + (3×2=6) + 7 = 40, a multiple of 10: valid.
# 123456782: 2 + 7 + 7 + 3 + 5 + 8 + 3 + 4 + 1 = 40: valid; 123456788 gives 46: invalid.
@pytest.mark.parametrize("value", ["732829320", "123456782", "732 829 320"])
def test_valid_siren(value):
    assert check_siren(value) is None


def test_invalid_siren_says_why():
    assert check_siren("123456788") == "le SIREN 123456788 est invalide (clé de contrôle de Luhn incorrecte)"
    assert "9 chiffres" in check_siren("12345678")
    assert "9 chiffres" in check_siren("12345678A")


def test_luhn():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")  # the classic Luhn example


def test_siret():
    assert check_siret("73282932000074") is None
    assert "invalide" in check_siret("73282932000075")
    assert "14 chiffres" in check_siret("7328293200007")
    assert check_siret("35600000000048") is None  # La Poste's head office (Luhn-valid)
    # La Poste, not Luhn-valid: 3+5+6+1+2+3+4+6 = 30, a multiple of 5: accepted; ...12345 sums to 29.
    assert check_siret("35600000012346") is None
    assert check_siret("35600000012345") is not None
    assert check_siret("73282932012346") is not None  # the digit-sum exception is La Poste's only


def key(siren: str) -> str:
    """The VAT key computed here from the formula, independently of the module."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def test_vat_key_by_hand():
    # 97 × 7554941 = 732829277, so 732829320 mod 97 = 43; (12 + 3 × 43) mod 97 = 141 mod 97 = 44.
    assert 732829320 % 97 == 43 and key("732829320") == "44"


def test_valid_vat_with_and_without_siren():
    vat = f"FR{key('732829320')}732829320"
    assert check_vat_fr(vat) is None
    assert check_vat_fr(vat, "732829320") is None
    assert check_vat_fr("fr 44 732 829 320", "732 829 320") is None  # spaces and case are only layout


def test_wrong_vat_key_gives_the_expected_key():
    good = key("732829320")
    wrong = f"{(int(good) + 1) % 97:02d}"
    message = check_vat_fr(f"FR{wrong}732829320")
    assert message == f"la clé du numéro de TVA FR{wrong}732829320 est fausse (clé attendue{NBSP}: {good})"


def test_vat_must_carry_the_companys_siren():
    vat = f"FR{key('123456782')}123456782"
    assert check_vat_fr(vat) is None
    assert "ne reprend pas le SIREN 732829320" in check_vat_fr(vat, "732829320")


@pytest.mark.parametrize("value", ["FR4473282932", "DE123456789", "FR44 7328 2932 0X", ""])
def test_malformed_vat(value):
    assert "FR + 2 caractères de clé + 9 chiffres" in check_vat_fr(value)


def test_vat_with_invalid_siren_inside():
    assert "SIREN invalide" in check_vat_fr(f"FR{key('123456788')}123456788")


def test_iban():
    assert check_iban("FR7630006000011234567890189") is None
    assert check_iban("FR76 3000 6000 0112 3456 7890 189") is None
    assert check_iban("fr7630006000011234567890189") is None
    assert check_iban("DE89370400440532013000") is None  # the usual German example
    assert "clé de contrôle incorrecte" in check_iban("FR7630006000011234567890188")  # last digit changed
    assert "clé de contrôle incorrecte" in check_iban("FR7630006000011234567890199")
    assert "27 caractères" in check_iban("FR763000600001123456789018")  # one character short
    assert "forme attendue" in check_iban("FR76-3000")


def test_bic():
    assert check_bic("BNPAFRPP") is None and check_bic("BNPAFRPPXXX") is None
    assert check_bic("bnpa frpp") is None
    assert "8 ou 11 caractères" in check_bic("BNPAFRP")
    assert check_bic("BNPAFRPPXX") is not None and check_bic("1NPAFRPP") is not None


@pytest.mark.parametrize("value", ["75001", "01000", "20000", "20090", "97400", "98999", 69002])
def test_valid_postal_codes(value):
    assert check_postal_code_fr(value) is None


@pytest.mark.parametrize("value", ["7500", "750011", "00999", "99000", "7500A", ""])
def test_invalid_postal_codes(value):
    assert check_postal_code_fr(value) == (f"le code postal «{NBSP}{value}{NBSP}» doit compter 5 chiffres, "
                                          "entre 01000 et 98999")


@pytest.mark.parametrize("value", ["contact@exemple.fr", "jean.dupont+cgv@mail.exemple.com", "a_b@x-y.org"])
def test_valid_emails(value):
    assert check_email(value) is None


@pytest.mark.parametrize("value", ["compta@", "@exemple.fr", "jean dupont@exemple.fr", "jean@exemple",
                                   "jean@@exemple.fr", "jean@exemple..fr", ".jean@exemple.fr", "jean.@exemple.fr",
                                   "jean..dupont@exemple.fr", "jean@-exemple.fr"])
def test_invalid_emails(value):
    assert check_email(value) == (f"l’adresse électronique «{NBSP}{value}{NBSP}» est invalide "
                                  f"(forme attendue{NBSP}: nom@domaine.fr)")


@pytest.mark.parametrize("value", ["01 23 45 67 89", "0123456789", "01.23.45.67.89", "+33 1 23 45 67 89",
                                   "+33123456789", "06-12-34-56-78"])
def test_valid_phones(value):
    assert check_phone_fr(value) is None


@pytest.mark.parametrize("value", ["01 23 45 67", "00 23 45 67 89", "+44 20 7946 0958", "0123456789 0", "téléphone"])
def test_invalid_phones(value):
    assert "+33 ou 0 suivi de 9 chiffres" in check_phone_fr(value)


def test_messages_use_french_typography():
    for message in (check_iban("FR76"), check_bic("X"), check_email("x"), check_vat_fr("FR00123456788")):
        assert " :" not in message and " ;" not in message and "« " not in message and " »" not in message
