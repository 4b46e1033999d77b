"""The dunning plan: stage due, suspensions, interest (the convention of cgvkit/law/interest.py) and warnings, worked by hand."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from cgvkit.core.errors import KitError
from cgvkit.dunning.ledger import parse_ledger
from cgvkit.dunning.plan import plan
from cgvkit.dunning.run import debtor_json
from cgvkit.model.ladder import load_default

ROOT = Path(__file__).resolve().parent.parent
LADDER = load_default(ROOT)
HEADER = ("debtor_id,debtor_name,debtor_kind,invoice_number,invoice_date,due_date,amount,paid_amount,status,"
          "promise_date,formal_notice_date,last_stage")


@pytest.fixture(scope="module")
def table(rate_table):
    return rate_table  # tests/data/rates.yaml: stops at 2026-H1 whatever data/rates.yaml holds


def company(market="b2b"):
    """A company whose CGV stipulate ECB + 10 points and the 40 € indemnity (B2B)."""
    if market == "b2b":
        penalties = NS(family=NS(name="late_penalties"), variant=NS(name="ecb_plus_10"),
                       params={"margin": Decimal(10), "indemnity": Decimal(40)})
    else:
        penalties = NS(family=NS(name="late_penalties"), variant=NS(name="consumer"), params={})
    return NS(market=market, clause=lambda family: penalties if family == "late_penalties" else None)


def row(debtor="D1", kind="b2b", number="F1", due="2026-03-15", amount="1000.00", paid="", status="open",
        promise="", notice="", last="", invoice="2020-01-01"):
    return f"{debtor},Client {debtor},{kind},{number},{invoice},{due},{amount},{paid},{status},{promise},{notice},{last}"


def run(on, *rows, market="b2b", table=None):
    ledger = parse_ledger("\n".join([HEADER, *rows]) + "\n", "ledgers/x.csv", market, LADDER.ids)
    return {d.debtor_id: d for d in plan(company(market), LADDER, ledger, table, date.fromisoformat(on))}


def test_law_example_30_days(table):
    # The convention: due 15 March, computed 14 April → 30 days late (16 days of March + 14 of April).
    # 2026-H1: ECB 2.15 + 10 = 12.15 %. 1 000 × 12.15 % × 30 / 365 = 9.9863… → 9.99 €.
    (item,) = run("2026-04-14", row(), table=table)["D1"].invoices
    assert item.days_late == 30
    assert item.interest == Decimal("9.99")
    assert item.indemnity == Decimal("40.00")
    assert [(p.start, p.end, p.days, p.rate) for p in item.periods] == \
        [(date(2026, 3, 16), date(2026, 4, 14), 30, Decimal("12.15"))]


def test_half_year_crossing_takes_each_half_years_rate(table):
    # Due 20 June 2025, computed 10 July 2025: 21–30 June = 10 days in 2025-H1 at 3.15 + 10 = 13.15 %,
    # 1–10 July = 10 days in 2025-H2 at 2.15 + 10 = 12.15 %.
    # 1 000 × (13.15 % × 10 + 12.15 % × 10) / 365 = 1 000 × 2.53 / 365 = 6.9315… → 6.93 € (rounded once).
    (item,) = run("2025-07-10", row(due="2025-06-20"), table=table)["D1"].invoices
    assert item.days_late == 20
    assert [(p.days, p.rate) for p in item.periods] == [(10, Decimal("13.15")), (10, Decimal("12.15"))]
    assert item.interest == Decimal("6.93")


def test_partial_payment_bears_interest_on_what_is_left(table):
    # 1 500 invoiced, 500 paid: 1 000 × 12.15 % × 30 / 365 = 9.99 €, as in the first example.
    (item,) = run("2026-04-14", row(amount="1500", paid="500"), table=table)["D1"].invoices
    assert item.outstanding == Decimal("1000.00") and item.interest == Decimal("9.99")


def test_consumer_interest_only_from_the_formal_notice_at_the_legal_rate(table):
    # Notice sent 15 March 2026, computed 14 April: 30 days at the legal rate « autres cas » of 2026-H1,
    # 2.62 %: 1 000 × 2.62 % × 30 / 365 = 2.1534… → 2.15 €. No indemnity from a consumer.
    debtor = run("2026-04-14", row(kind="b2c", due="2026-02-01", notice="2026-03-15"), market="b2c", table=table)["D1"]
    (item,) = debtor.invoices
    assert item.days_late == 72 and item.interest == Decimal("2.15") and item.indemnity == 0
    assert [(p.days, p.rate) for p in item.periods] == [(30, Decimal("2.62"))]


def test_consumer_without_formal_notice_date_no_interest_and_a_warning(table):
    debtor = run("2026-04-14", row(kind="b2c", due="2026-02-01"), market="b2c", table=table)["D1"]
    (item,) = debtor.invoices
    assert item.interest == 0 and item.indemnity == 0 and item.periods == ()
    assert any("mise en demeure" in w and "F1" in w for w in debtor.warnings)


def test_disputed_invoice_suspends_the_debtor(table):
    debtor = run("2026-06-15", row(due="2026-03-15"), row(number="F2", status="disputed"), table=table)["D1"]
    assert (debtor.action, debtor.stage) == ("suspended", None)
    assert "F2" in debtor.reason and "contest" in debtor.reason


def test_kept_promise_suspends_until_its_date(table):
    debtor = run("2026-06-15", row(status="promised", promise="2026-06-30"), table=table)["D1"]
    assert debtor.action == "suspended" and "30 juin 2026" in debtor.reason


def test_broken_promise_resumes_the_ladder_with_a_warning(table):
    debtor = run("2026-06-15", row(status="promised", promise="2026-06-01", last="first_reminder"), table=table)["D1"]
    assert debtor.action == "send" and debtor.stage.id == "second_reminder"
    assert any("non tenue" in w for w in debtor.warnings)


@pytest.mark.parametrize("on,last,action,stage", [
    ("2026-03-10", "", "send", "pre_due"),            # 5 days before the due date
    ("2026-03-10", "pre_due", "none", None),          # already reminded
    ("2026-03-01", "", "none", None),                 # 14 days before: too early
    ("2026-03-20", "", "none", None),                 # 5 days late: first reminder at J+7
    ("2026-04-13", "", "send", "first_reminder"),     # 29 days late, nothing sent: the first reminder
    ("2026-04-22", "", "send", "firm_letter"),        # 38 days late, first contact: no « simple oubli » (catch_up)
    ("2026-04-22", "pre_due", "send", "firm_letter"),  # only the pre-due SMS, 38 days ago: no « simple oubli » either
    ("2026-04-13", "pre_due", "send", "first_reminder"),  # 29 days late after the pre-due SMS
    ("2026-06-23", "first_reminder", "send", "second_reminder"),  # 100 days late: never skip a step
    ("2026-06-23", "firm_letter", "send", "formal_notice"),
    ("2026-05-04", "formal_notice", "none", None),    # 50 days: final notice comes at J+60
    ("2026-06-23", "final_notice", "none", None),     # every amicable step done
])
def test_stage_progression(table, on, last, action, stage):
    debtor = run(on, row(last=last), table=table)["D1"]
    assert (debtor.action, debtor.stage.id if debtor.stage else None) == (action, stage)


def test_never_more_than_one_step_past_last_stage(table):
    ids = LADDER.ids
    sent = []  # (last stage, days from the due date, stage due)
    for last in ("",) + ids:
        for days in range(-6, 190, 3):  # up to June 2026: the rate table stops at 2026-H1
            on = date.fromordinal(date(2025, 12, 1).toordinal() + days).isoformat()
            stage = run(on, row(due="2025-12-01", last=last), table=table)["D1"].stage
            sent += [(last, days, stage)] if stage else []
    assert {stage.id for _, _, stage in sent} == set(ids)  # every stage is reached from some point
    for last, days, stage in sent:
        before = ids.index(last) if last else -1
        # No reminder since the due date and 30 days late or more: the firm letter (the ladder's catch_up).
        start = ids.index("firm_letter") if last in ("", "pre_due") and days >= 30 else 1
        assert ids.index(stage.id) <= max(before + 1, start), (last, days, stage.id)
        assert stage.offset_days <= days, (last, days, stage.id)


def test_prescription_close_and_past(table):
    # Counted from the invoice date (no delivery date in this ledger), never from the due date.
    soon = run("2026-06-15", row(invoice="2021-07-01", due="2021-08-31"), table=table)["D1"]  # 1 July 2026: 16 days
    assert any("prescription le 1er juillet 2026" in w for w in soon.warnings)
    past = run("2026-06-15", row(kind="b2c", invoice="2024-06-01", due="2024-06-01", notice="2024-07-01"),
               market="b2c", table=table)["D1"]  # 2 years on 1 June 2026
    assert any("prescrite depuis le 1er juin 2026" in w and "L218-2" in w for w in past.warnings)
    fresh = run("2026-06-15", row(invoice="2026-01-01", due="2026-01-15"), table=table)["D1"]
    assert not any("prescri" in w for w in fresh.warnings)


def test_small_claims_warning_from_the_formal_notice(table):
    small = run("2026-06-15", row(due="2026-03-15", amount="5000.00", last="firm_letter"), table=table)["D1"]
    assert small.stage.id == "formal_notice" and any("petites créances" in w for w in small.warnings)
    large = run("2026-06-15", row(due="2026-03-15", amount="5000.01", last="firm_letter"), table=table)["D1"]
    assert not any("petites créances" in w for w in large.warnings)
    early = run("2026-06-15", row(due="2026-03-15", amount="100", last=""), table=table)["D1"]
    assert not any("petites créances" in w for w in early.warnings)


def test_missing_half_year_is_an_error_naming_the_ledger_row(table):
    # Before the table's first row: an error located at the row; after its last row, interest
    # stops at the table's last day instead (tests/test_dunning_daily.py).
    with pytest.raises(KitError) as caught:
        run("2015-02-10", row(due="2014-12-20").replace("2020-01-01", "2014-12-01"), table=table)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("ledgers/x.csv", 2, "due_date")
    assert problem.rule == "rates-missing" and "2014" in problem.message


def test_plan_json_contract_and_money_format(table):
    debtor = run("2026-04-14", row(last="pre_due"), row(number="F2", due="2026-04-30", amount="80.5"), table=table)["D1"]
    data = debtor_json(debtor)
    assert set(data) == {"debtor_id", "debtor_name", "kind", "action", "stage", "channel", "reason", "warnings",
                         "documents", "invoices", "totals", "paid_late", "claim_documents"}
    first, second = data["invoices"]
    assert set(first) == {"number", "due_date", "amount", "outstanding", "days_late", "interest", "indemnity",
                          "periods"}
    assert first["periods"] == [{"from": "2026-03-16", "to": "2026-04-14", "days": 30, "rate": "12.15"}]
    assert (first["interest"], first["indemnity"], second["amount"], second["days_late"]) == \
        ("9.99", "40.00", "80.50", 0)
    # 1 000 + 80.50 outstanding; 9.99 interest; one late invoice → 40 €: total 1 130.49.
    assert data["totals"] == {"outstanding": "1080.50", "interest": "9.99", "indemnity": "40.00", "total": "1130.49"}
    money = re.compile(r"^\d+\.\d{2}$")
    assert all(money.match(v) for v in data["totals"].values())
    # 30 days late with only the pre-due SMS sent: the firm letter (catch_up), never « simple oubli ».
    assert (data["action"], data["stage"]) == ("send", "firm_letter") and data["channel"] == "letter"
