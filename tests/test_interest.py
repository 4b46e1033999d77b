"""Late interest by the kit's convention (cgvkit/law/interest.py), every expected figure worked by hand in the comments.

Formula: amount × rate/100 × days/365 per half-year period, summed unrounded, then rounded half-up
to the cent once. Days counted: start_after < d <= until.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cgvkit.law.interest import Period, RateRule, floor_rate, indemnity, late_interest
from cgvkit.law.rates import MissingRateError

ECB_10 = RateRule("ecb_plus", D(10))


@pytest.fixture(scope="module")
def table(rate_table):
    return rate_table  # tests/data/rates.yaml: stops at 2026-H1 whatever data/rates.yaml holds


def test_law_md_example_30_days(table):
    # Due 15 March 2026, computed 14 April: 16..31 March (16 days) + 1..14 April (14) = 30 days.
    # 2026-H1: ECB 2.15 + 10 = 12.15 %. 1000 × 12.15 × 30 / 36500 = 364500 / 36500 = 9.98630… → 9.99
    result = late_interest(D("1000.00"), date(2026, 3, 15), date(2026, 4, 14), ECB_10, table)
    assert result.days == 30 and result.interest == D("9.99")
    assert result.periods == [Period(date(2026, 3, 16), date(2026, 4, 14), 30, D("12.15"))]


def test_crossing_2025_h2_to_2026_h1_same_rate(table):
    # Due 1 Dec 2025, until 31 Jan 2026: 2..31 Dec = 30 days at 2.15 + 10 = 12.15 % (2025-H2),
    # then 1..31 Jan = 31 days at 2.15 + 10 = 12.15 % (2026-H1): 61 days.
    # 1000 × 12.15 × (30 + 31) / 36500 = 741150 / 36500 = 20.30547… → 20.31
    result = late_interest(D("1000.00"), date(2025, 12, 1), date(2026, 1, 31), ECB_10, table)
    assert result.days == 61 and result.interest == D("20.31")
    assert result.periods == [Period(date(2025, 12, 2), date(2025, 12, 31), 30, D("12.15")),
                              Period(date(2026, 1, 1), date(2026, 1, 31), 31, D("12.15"))]


def test_crossing_2024_h2_to_2025_h1_different_rates(table):
    # Due 16 Dec 2024, until 15 Jan 2025: 17..31 Dec = 15 days at 4.25 + 10 = 14.25 %,
    # then 1..15 Jan = 15 days at 3.15 + 10 = 13.15 %.
    # 2000 × 14.25 × 15 = 427500 ; 2000 × 13.15 × 15 = 394500 ; (427500 + 394500) / 36500
    # = 822000 / 36500 = 22.52054… → 22.52
    result = late_interest(D("2000.00"), date(2024, 12, 16), date(2025, 1, 15), ECB_10, table)
    assert result.days == 30 and result.interest == D("22.52")
    assert [(p.days, p.rate) for p in result.periods] == [(15, D("14.25")), (15, D("13.15"))]


def test_rounded_once_after_summing_periods(table):
    # Due 21 Dec 2024, until 10 Jan 2025: 22..31 Dec = 10 days at 14.25 %, 1..10 Jan = 10 days at 13.15 %.
    # 1000 × 14.25 × 10 / 36500 = 3.90410…  and  1000 × 13.15 × 10 / 36500 = 3.60273…
    # Once: 274000 / 36500 = 7.50684… → 7.51. Rounding each period would give 3.90 + 3.60 = 7.50.
    result = late_interest(D("1000.00"), date(2024, 12, 21), date(2025, 1, 10), ECB_10, table)
    assert result.interest == D("7.51")


def test_three_times_legal(table):
    # 2025-H1 legal rate "autres cas" 3.71 → 3 × 3.71 = 11.13 %.
    # Due 31 Jan 2025, until 2 March 2025: 1..28 Feb (28 days, 2025 is not leap) + 1..2 March = 30 days.
    # 5000 × 11.13 × 30 / 36500 = 1669500 / 36500 = 45.73972… → 45.74
    rule = RateRule("legal_multiple", D(3))
    result = late_interest(D("5000.00"), date(2025, 1, 31), date(2025, 3, 2), rule, table)
    assert result.days == 30 and result.interest == D("45.74")
    assert result.periods[0].rate == D("11.13")


def test_fixed_rate(table):
    # Fixed 12 % a year. Due 30 June 2025, until 29 Aug 2025: 31 days of July + 29 of August = 60 days.
    # 2500 × 12 × 60 / 36500 = 1800000 / 36500 = 49.31506… → 49.32
    rule = RateRule("fixed", D(12))
    result = late_interest(D("2500.00"), date(2025, 6, 30), date(2025, 8, 29), rule, table)
    assert result.days == 60 and result.interest == D("49.32")


def test_fixed_rate_still_needs_the_table_row(table):
    # Even a fixed rate needs the half-year row, which says the convention knows the period.
    with pytest.raises(MissingRateError):
        late_interest(D("100.00"), date(2026, 6, 29), date(2026, 7, 2), RateRule("fixed", D(12)), table)


def test_b2c_legal_rate_from_the_formal_notice(table):
    # Formal notice 20 Nov 2025, until 19 Jan 2026. Legal rate "autres cas" (professional creditor):
    # 21..30 Nov (10) + December (31) = 41 days at 2.76 % (2025-H2), then 1..19 Jan = 19 days at 2.62 %.
    # 1200 × 2.76 × 41 = 135792 ; 1200 × 2.62 × 19 = 59736 ; 195528 / 36500 = 5.35693… → 5.36
    # (with the individual-creditor rate it would be 1200 × (6.65 × 41 + 6.67 × 19) / 36500 = 13.13)
    result = late_interest(D("1200.00"), date(2025, 11, 20), date(2026, 1, 19), RateRule("legal", D(0)), table)
    assert result.days == 60 and result.interest == D("5.36")
    assert [(p.days, p.rate) for p in result.periods] == [(41, D("2.76")), (19, D("2.62"))]


def test_leap_year_still_divides_by_365(table):
    # 1 Jan .. 30 June 2024 = 31 + 29 + 31 + 30 + 31 + 30 = 182 days (29 February counted).
    # 36500 × 10 × 182 / 36500 = 1820.00 exactly (dividing by 366 would give 1814.21).
    result = late_interest(D("36500.00"), date(2023, 12, 31), date(2024, 6, 30), RateRule("fixed", D(10)), table)
    assert result.days == 182 and result.interest == D("1820.00")


def test_29_february_is_a_day_of_interest(table):
    # Due 28 Feb 2024, until 1 March 2024: 29 Feb and 1 March = 2 days.
    # 36500 × 10 × 2 / 36500 = 20.00
    result = late_interest(D("36500.00"), date(2024, 2, 28), date(2024, 3, 1), RateRule("fixed", D(10)), table)
    assert result.days == 2 and result.interest == D("20.00")


@pytest.mark.parametrize("until", [date(2026, 3, 15), date(2026, 3, 1), date(2025, 1, 1)])
def test_not_late_means_zero_days_and_no_interest(table, until):
    # Computed on the due date itself or before: 0 days, no period, 0.00 (no rate looked up either).
    result = late_interest(D("1000.00"), date(2026, 3, 15), until, ECB_10, table)
    assert (result.days, result.interest, result.periods) == (0, D("0.00"), [])
    assert str(result.interest) == "0.00"


def test_one_day_late(table):
    # Due 31 Dec 2025, computed 1 Jan 2026: one day, in 2026-H1 at 12.15 %.
    # 10000 × 12.15 × 1 / 36500 = 121500 / 36500 = 3.32876… → 3.33
    result = late_interest(D("10000.00"), date(2025, 12, 31), date(2026, 1, 1), ECB_10, table)
    assert result.periods == [Period(date(2026, 1, 1), date(2026, 1, 1), 1, D("12.15"))]
    assert result.interest == D("3.33")


def test_half_up_at_exactly_half_a_cent(table):
    # 150 € at 12.15 % for 73 days (due 31 Jan 2026, until 14 April: 28 + 31 + 14 = 73 days):
    # 150 × 12.15 × 73 / 36500 = 133042.5 / 36500 = 3.645 exactly → half-up 3.65
    # (banker’s rounding, Decimal’s default, would give 3.64)
    result = late_interest(D("150.00"), date(2026, 1, 31), date(2026, 4, 14), ECB_10, table)
    assert result.days == 73 and result.interest == D("3.65")


def test_half_year_missing_from_the_table_is_an_error(table):
    # 21 June .. 10 July 2026 crosses into 2026-H2, which the table does not have: no guessed rate.
    with pytest.raises(MissingRateError) as caught:
        late_interest(D("1000.00"), date(2026, 6, 20), date(2026, 7, 10), ECB_10, table)
    (problem,) = caught.value.problems
    assert problem.rule == "rates-missing" and "2026-H2" in problem.message


def test_rate_rules(table):
    h = table.get("2024-H1")  # ECB 4.50, legal "autres cas" 5.07
    assert RateRule("ecb_plus", D(10)).annual_rate(h) == D("14.50")
    assert RateRule("legal_multiple", D(3)).annual_rate(h) == D("15.21")
    assert RateRule("fixed", D("12.5")).annual_rate(h) == D("12.5")
    assert RateRule("legal", D(0)).annual_rate(h) == D("5.07")  # not the individual rate 8.01
    with pytest.raises(ValueError):
        RateRule("ecb+10", D(10))


def test_descriptions_in_french():
    assert RateRule("ecb_plus", D(10)).describe() == "taux BCE + 10\u00a0points"
    assert RateRule("ecb_plus", D("1.5")).describe() == "taux BCE + 1,5\u00a0point"
    assert RateRule("legal_multiple", D(3)).describe() == "3 fois le taux d’intérêt légal"
    assert RateRule("fixed", D(12)).describe() == "12,00\u00a0% l’an"
    assert RateRule("legal", D(0)).describe() == "taux d’intérêt légal"


def test_floor_rate_and_the_2024_case(table):
    # 3 × legal: 2024-H1 3 × 5.07 = 15.21 > ECB + 10 = 14.50 (C. com. L441-10 II: a warning case);
    # 2026-H1 3 × 2.62 = 7.86 < 12.15.
    assert floor_rate(table.get("2024-H1")) == D("15.21")
    assert floor_rate(table.get("2024-H1")) > ECB_10.annual_rate(table.get("2024-H1"))
    assert floor_rate(table.get("2026-H1")) == D("7.86")


def test_indemnity():
    assert indemnity("b2b", True) == D("40.00")
    assert indemnity("b2b", False) == D("0.00")
    assert indemnity("b2c", True) == D("0.00")  # CPCE L111-8: never for consumers
