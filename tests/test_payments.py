"""Payment dates, partial payments and their imputation, paid-late invoices (issue 19, « Payment dates »).

Every figure is worked by hand in the comments, with the tests' rate table (2026-H1: ECB 2.15 %, legal
rate « autres cas » 2.62 %). Between professionals the atelier's CGV say « taux BCE + 10 points »:
12.15 % a year. Interest = Σ principal × rate × days / 36 500, rounded half-up to the cent once per
invoice; the days run from the day after the due date (consumer: the formal notice) THROUGH the day of
each payment, on what remained due that day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cgvkit.law.interest import RateRule, periods, rate_days, settle

ECB10 = RateRule("ecb_plus", D(10))
LEGAL = RateRule("legal")


def weigher(rule, table):
    return lambda after, to: (found := periods(after, to, rule, table), rate_days(found))


def test_paid_late_thirty_days(rate_table):
    # 1 000 € due 1 March 2026, paid in full on 31 March: 2..31 March = 30 days on 1 000 €.
    # 1 000 × 12.15 × 30 / 36 500 = 9.986… → 9.99 €; and the 40 € indemnity (paid late).
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 31), D("1000.00"))], date(2026, 6, 15),
                  weigher(ECB10, rate_table), "principal", D("40.00"), date(2026, 3, 1))
    assert done.accrued == D("9.99")
    assert done.principal == 0 and done.interest == D("9.99") and done.indemnity == D("40.00")
    assert [(s.start, s.end, s.days, s.base) for s in done.segments] == [
        (date(2026, 3, 1), date(2026, 3, 31), 30, D("1000.00"))]
    assert done.last_day == date(2026, 3, 31)  # nothing counted after the payment


def test_paid_on_the_due_date_owes_nothing(rate_table):
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 1), D("1000.00"))], date(2026, 6, 15),
                  weigher(ECB10, rate_table), "principal", D("40.00"), date(2026, 3, 1))
    assert (done.accrued, done.indemnity, done.segments) == (D("0.00"), D("0.00"), ())


TWO = [(date(2026, 3, 11), D("400.00")), (date(2026, 3, 31), D("300.00"))]


def test_two_partial_payments_on_the_principal(rate_table):
    # 1 000 € due 1 March; 400 € on 11 March, 300 € on 31 March; computed on 30 April.
    #   2..11 March, 10 days on 1 000 €: 1 000 × 12.15 × 10 = 121 500
    #   12..31 March, 20 days on 600 €:    600 × 12.15 × 20 = 145 800
    #   1..30 April, 30 days on 300 €:     300 × 12.15 × 30 = 109 350
    #   376 650 / 36 500 = 10.319… → 10.32 €; principal 300 €; indemnity 40 € (never imputed).
    done = settle(D("1000.00"), date(2026, 3, 1), TWO, date(2026, 4, 30), weigher(ECB10, rate_table),
                  "principal", D("40.00"), date(2026, 3, 1))
    assert (done.principal, done.interest, done.indemnity) == (D("300.00"), D("10.32"), D("40.00"))
    assert [(i.interest, i.indemnity, i.principal, i.principal_after) for i in done.imputed] == [
        (0, 0, D("400.00"), D("600.00")), (0, 0, D("300.00"), D("300.00"))]
    assert [(s.days, s.base) for s in done.segments] == [(10, D("1000.00")), (20, D("600.00")), (30, D("300.00"))]


def test_two_partial_payments_penalties_first_by_the_cgv_clause(rate_table):
    # The same payments under the payment_imputation clause: penalties, then indemnity, then principal.
    # 11 March: 121 500 / 36 500 = 3.328… → 3.33 € of penalties; 400 € = 3.33 + 40 + 356.67 → 643.33 €.
    # 31 March: 20 days on 643.33 €: 643.33 × 12.15 × 20 = 156 329.19; (121 500 + 156 329.19) / 36 500
    #   = 7.611… → 7.61 € accrued, 3.33 paid: 4.28 €; 300 € = 4.28 + 295.72 → principal 347.61 €.
    # 30 April: 30 days on 347.61 €: 126 703.845; 404 533.035 / 36 500 = 11.083… → 11.08 € accrued,
    #   7.61 € paid: 3.47 € of penalties left; indemnity paid; principal 347.61 €.
    done = settle(D("1000.00"), date(2026, 3, 1), TWO, date(2026, 4, 30), weigher(ECB10, rate_table),
                  "penalties_first", D("40.00"), date(2026, 3, 1))
    assert [(i.interest, i.indemnity, i.principal, i.principal_after) for i in done.imputed] == [
        (D("3.33"), D("40.00"), D("356.67"), D("643.33")), (D("4.28"), D("0.00"), D("295.72"), D("347.61"))]
    assert (done.principal, done.interest, done.indemnity, done.accrued) == (
        D("347.61"), D("3.47"), D("0.00"), D("11.08"))


def test_consumer_payment_goes_first_to_interest(rate_table):
    # C. civ. 1343-1. 1 000 €, formal notice 1 March 2026; 500 € paid on 31 March; computed on 30 April.
    # 2..31 March, 30 days on 1 000 € at 2.62 %: 78 600 / 36 500 = 2.153… → 2.15 € of interest;
    #   500 € = 2.15 + 497.85 → principal 502.15 €.
    # 1..30 April, 30 days on 502.15 €: 502.15 × 2.62 × 30 = 39 468.99; (78 600 + 39 468.99) / 36 500
    #   = 3.234… → 3.23 € accrued, 2.15 € paid: 1.08 € of interest left. No indemnity, ever.
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 31), D("500.00"))], date(2026, 4, 30),
                  weigher(LEGAL, rate_table), "interest")
    assert [(i.interest, i.principal) for i in done.imputed] == [(D("2.15"), D("497.85"))]
    assert (done.principal, done.interest, done.indemnity) == (D("502.15"), D("1.08"), D("0.00"))


def test_consumer_paid_before_the_formal_notice_owes_nothing(rate_table):
    # Interest runs against a consumer only from the formal notice (C. civ. 1231-6): paid on 20 February,
    # notice on 1 March: no day counted.
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 2, 20), D("1000.00"))], date(2026, 6, 15),
                  weigher(LEGAL, rate_table), "interest")
    assert (done.accrued, done.principal, done.segments) == (D("0.00"), D("0.00"), ())


def test_unknown_order_is_refused(rate_table):
    with pytest.raises(ValueError):
        settle(D("1.00"), None, [], date(2026, 6, 15), weigher(LEGAL, rate_table), "oldest")
