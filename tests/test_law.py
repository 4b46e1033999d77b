"""Rates table, interest arithmetic (worked by hand) and identity checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from cgvkit.errors import KitError
from cgvkit.identity import check_email, check_iban, check_postal_code_fr, check_siren, check_vat_fr, vat_key
from cgvkit.law.interest import RateRule, indemnity, late_interest
from cgvkit.law.rates import MissingRateError, RateTable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def table():
    return RateTable.load(ROOT / "data" / "rates.yaml", ROOT)


def test_table_has_every_law_md_row(table):
    rows = {r.half_year: r for r in table.rows()}
    assert len(rows) == 23 and table.last.half_year == "2026-H1"
    assert (rows["2024-H1"].ecb, rows["2024-H1"].legal_other, rows["2024-H1"].legal_individual) == (D("4.50"), D("5.07"), D("8.01"))
    assert (rows["2015-H1"].ecb, rows["2015-H1"].legal_other) == (D("0.05"), D("0.93"))
    assert (rows["2026-H1"].ecb, rows["2026-H1"].legal_other) == (D("2.15"), D("2.62"))
    assert all(r.source for r in rows.values())


def test_missing_half_year_names_the_row_to_add(table):
    with pytest.raises(MissingRateError) as exc:
        table.for_date(date(2026, 7, 1))
    (problem,) = exc.value.problems
    assert problem.file == "data/rates.yaml" and problem.rule == "rates-missing"
    assert "2026-H2" in problem.message and "half_year: 2026-H2" in problem.message


@pytest.mark.parametrize("mutation,rule,line", [
    (("    ecb: 0.05\n", "    ecb: beaucoup\n"), "rates-type", 8),
    (("    source:", "    sourse:"), "rates-unknown", 11),
    (("  - half_year: 2015-H2", "  - half_year: 2015-H1"), "rates-duplicate", 12),
    (("  - half_year: 2015-H2", "  - half_year: 2016-H2"), "rates-gap", 12),
])
def test_bad_table_rows_are_located(tmp_path, mutation, rule, line):
    (tmp_path / "data").mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "rates.yaml").write_text((ROOT / "schemas" / "rates.yaml").read_text())
    text = (ROOT / "data" / "rates.yaml").read_text(encoding="utf-8")
    assert mutation[0] in text
    (tmp_path / "data" / "rates.yaml").write_text(text.replace(mutation[0], mutation[1], 1), encoding="utf-8")
    with pytest.raises(KitError) as exc:
        RateTable.load(tmp_path / "data" / "rates.yaml", tmp_path)
    found = [p for p in exc.value.problems if p.rule == rule]
    assert found and found[0].line == line, exc.value.problems


def test_law_md_example_thirty_days(table):
    # Due 15 March 2026, computed 14 April 2026: 30 days at ECB 2.15 + 10 = 12.15 %.
    # 1 000 × 12.15 % × 30 / 365 = 9.98630… → 9.99
    result = late_interest(D("1000.00"), date(2026, 3, 15), date(2026, 4, 14), RateRule("ecb_plus", D(10)), table)
    assert result.days == 30 and result.interest == D("9.99")
    assert [(p.start, p.end, p.days, p.rate) for p in result.periods] == [
        (date(2026, 3, 16), date(2026, 4, 14), 30, D("12.15"))]


def test_crossing_half_years_with_different_rates(table):
    # Due 15 December 2024, computed 14 January 2025 (30 days):
    # 16 → 31 Dec 2024: 16 days at 4.25 + 10 = 14.25 %; 1 → 14 Jan 2025: 14 days at 3.15 + 10 = 13.15 %.
    # 2 500 × (14.25 % × 16 + 13.15 % × 14) / 365 = 2 500 × (2.28 + 1.841) / 36 500 = 28.2260… → 28.23
    result = late_interest(D("2500.00"), date(2024, 12, 15), date(2025, 1, 14), RateRule("ecb_plus", D(10)), table)
    assert result.days == 30 and result.interest == D("28.23")
    assert [(p.days, p.rate) for p in result.periods] == [(16, D("14.25")), (14, D("13.15"))]


def test_three_times_legal_and_fixed_and_legal(table):
    # 2025-H2: legal (other cases) 2.76 → 3 × 2.76 = 8.28 %; 10 000 × 8.28 % × 73 / 365 = 165.60
    rule = RateRule("legal_multiple", D(3))
    assert late_interest(D("10000"), date(2025, 8, 1), date(2025, 10, 13), rule, table).interest == D("165.60")
    # Fixed 15 %: 730 × 15 % × 100 / 365 = 30.00 exactly
    assert late_interest(D("730"), date(2026, 1, 1), date(2026, 4, 11), RateRule("fixed", D(15)), table).interest == D("30.00")
    # Consumer: legal rate (other cases) 2.62 % in 2026-H1 from the formal notice: 3 650 × 2.62 % × 10 / 365 = 2.62
    assert late_interest(D("3650"), date(2026, 2, 1), date(2026, 2, 11), RateRule("legal"), table).interest == D("2.62")


def test_leap_year_still_counts_365(table):
    # 2024 is a leap year: 29 February counts as a day, the base stays 365.
    # 3 650 × 14.50 % × 29 / 365 = 42.05 (1 → 29 February: 29 days at 4.50 + 10)
    result = late_interest(D("3650"), date(2024, 1, 31), date(2024, 2, 29), RateRule("ecb_plus", D(10)), table)
    assert result.days == 29 and result.interest == D("42.05")


def test_not_late_means_no_interest(table):
    for until in (date(2026, 3, 15), date(2026, 3, 1)):
        result = late_interest(D("1000"), date(2026, 3, 15), until, RateRule("ecb_plus", D(10)), table)
        assert result.interest == D("0.00") and result.days == 0 and not result.periods


def test_rounding_half_up_once(table):
    # 73 × 10 % × 1/365 = 0.02 exactly; 36.5 × 10 % / 365 = 0.01; 18.25 × 10 % / 365 = 0.005 → 0.01 (half up)
    result = late_interest(D("18.25"), date(2026, 1, 1), date(2026, 1, 2), RateRule("fixed", D(10)), table)
    assert result.interest == D("0.01")


def test_missing_rate_is_an_error_not_a_guess(table):
    with pytest.raises(MissingRateError):
        late_interest(D("1000"), date(2026, 6, 20), date(2026, 7, 5), RateRule("ecb_plus", D(10)), table)


def test_indemnity():
    assert indemnity("b2b", True) == D("40.00")
    assert indemnity("b2b", False) == D("0.00") and indemnity("b2c", True) == D("0.00")


def test_identity_checks():
    assert check_siren("732829320") is None  # Luhn-valid
    assert "Luhn" in check_siren("732829321")
    assert check_siren("12345") is not None
    assert vat_key("732829320") == f"{(12 + 3 * (732829320 % 97)) % 97:02d}"
    assert check_vat_fr(f"FR{vat_key('732829320')}732829320", "732829320") is None
    assert check_vat_fr("FR00732829320", "732829320") is not None
    assert check_iban("FR76 3000 6000 0112 3456 7890 189") is None
    assert check_iban("FR7630006000011234567890188") is not None
    assert check_email("compta@exemple.fr") is None and check_email("compta@") is not None
    assert check_postal_code_fr("69002") is None and check_postal_code_fr("6902") is not None
