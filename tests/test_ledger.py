"""The ledger CSV: separators, decimal marks, and every bad row located as file:ROW:COLUMN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cgvkit.core.errors import KitError
from cgvkit.dunning.ledger import parse_amount, parse_date, parse_ledger

STAGES = ("pre_due", "first_reminder", "second_reminder", "firm_letter", "formal_notice", "final_notice")
HEADER = "debtor_id,debtor_name,debtor_kind,invoice_number,invoice_date,due_date,amount,paid_amount,status,promise_date,last_stage"
GOOD = "D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,open,,"


def parse(*rows, header=HEADER, market="b2b"):
    return parse_ledger("\n".join([header, *rows]) + "\n", "ledgers/x.csv", market, STAGES)


def errors(*rows, **kw):
    with pytest.raises(KitError) as caught:
        parse(*rows, **kw)
    return caught.value.problems


def test_comma_file_with_decimal_point():
    (row,) = parse(GOOD).rows
    assert (row.amount, row.due_date, row.debtor_kind, row.status) == (Decimal("1000.00"), date(2026, 3, 15), "b2b", "open")


def test_semicolon_file_with_decimal_comma_and_french_dates():
    header = HEADER.replace(",", ";")
    (row,) = parse("D1;Client SAS;b2b;F1;01/03/2026;15/03/2026;1 234,56;234,56;open;;", header=header).rows
    assert row.amount == Decimal("1234.56") and row.outstanding == Decimal("1000.00")
    assert row.invoice_date == date(2026, 3, 1)


def test_only_required_columns_and_kind_defaults_to_the_company_market():
    text = "debtor_id,debtor_name,invoice_number,invoice_date,due_date,amount\nD1,Mme X,F1,2026-03-01,2026-03-01,10\n"
    (row,) = parse_ledger(text, "l.csv", "b2c", STAGES).rows
    assert row.debtor_kind == "b2c" and row.paid_amount == 0 and row.last_stage == ""


@pytest.mark.parametrize("text,value", [("1234.56", "1234.56"), ("1 234,56", "1234.56"), ("1.234,56", "1234.56"),
                                        ("1,234.56", "1234.56"), ("12", "12.00"), ("99,9", "99.90"),
                                        ("1234,567", None), ("abc", None), ("1.2.3", None), ("12,34,56", None)])
def test_amounts(text, value):
    assert parse_amount(text) == (Decimal(value) if value else None)


def test_dates():
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    assert parse_date("2026-02-30") is None and parse_date("31/02/2026") is None and parse_date("hier") is None


# Each bad cell: (row as written, rule id, column name, column index in HEADER).
BAD = [
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-13-15,1000.00,,open,,", "ledger-date", "due_date", 6),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,-5.00,,open,,", "ledger-amount-negative", "amount", 7),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,mille,,open,,", "ledger-amount", "amount", 7),
    ("D1,Client SAS,pro,F1,2026-03-01,2026-03-15,1000.00,,open,,", "ledger-kind", "debtor_kind", 3),
    ("D1,Client SAS,b2b,F1,2026-03-20,2026-03-15,1000.00,,open,,", "ledger-due-before-invoice", "due_date", 6),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,paid,,", "ledger-status", "status", 9),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,promised,,", "ledger-promise-date", "promise_date", 10),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,1200,open,,", "ledger-paid-exceeds", "paid_amount", 8),
    ("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,open,,relance", "ledger-stage", "last_stage", 11),
    (",Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,open,,", "ledger-required", "debtor_id", 1),
]


@pytest.mark.parametrize("row,rule,column,index", BAD)
def test_each_bad_row_is_located(row, rule, column, index):
    (problem,) = errors(GOOD.replace("F1", "F0"), row)
    assert (problem.file, problem.line, problem.column, problem.path, problem.rule) == \
        ("ledgers/x.csv", 3, index, column, rule)
    assert str(problem).startswith(f"ledgers/x.csv:3:{index}: {column}: ")
    assert str(problem).endswith(f"[{rule}]")


def test_duplicate_invoice_names_the_first_line():
    (problem,) = errors(GOOD, GOOD)
    assert (problem.line, problem.rule, problem.path) == (3, "ledger-duplicate-invoice", "invoice_number")
    assert "ligne 2" in problem.message


def test_every_bad_row_is_reported_not_only_the_first():
    found = errors(*(row.replace("F1", f"F{i}") for i, (row, *_rest) in enumerate(BAD)))
    assert {p.rule for p in found} == {rule for _row, rule, *_rest in BAD}
    assert sorted({p.line for p in found}) == list(range(2, 2 + len(BAD)))


def test_missing_required_column():
    (problem,) = errors(header="debtor_id,debtor_name,invoice_number,invoice_date,due_date", )
    assert (problem.line, problem.rule, problem.path) == (1, "ledger-missing-column", "amount")


def test_a_quoted_multiline_address_keeps_row_numbers_right():
    header = "debtor_id,debtor_name,debtor_address,invoice_number,invoice_date,due_date,amount"
    text = f'{header}\nD1,A,"1 rue X\n69001 Lyon",F1,2026-03-01,2026-03-15,10\nD2,B,,F2,2026-03-01,bad,10\n'
    with pytest.raises(KitError) as caught:
        parse_ledger(text, "l.csv", "b2b", STAGES)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (4, 6)


def test_consumer_company_refuses_professional_debtors():
    (problem,) = errors(GOOD, market="b2c")
    assert problem.rule == "ledger-kind-market" and problem.column == 3


def test_one_debtor_one_kind():
    # A B2B company's ledger refuses any consumer row (ledger-kind-market) before the debtors are compared.
    assert [(p.line, p.rule) for p in errors(GOOD, "D1,Client SAS,b2c,F2,2026-03-01,2026-03-15,10,,open,,")] == \
        [(3, "ledger-kind-market")]
    # The comparison itself, as a company publishing for both markets will rely on it.
    import dataclasses

    from cgvkit.core.errors import Problems
    from cgvkit.dunning.ledger import _check_debtors

    ledger = parse(GOOD)
    first = ledger.rows[0]
    found = Problems()
    _check_debtors(ledger, [first, dataclasses.replace(first, debtor_kind="b2c", line=3)], found)
    assert [(p.line, p.rule) for p in found.items] == [(3, "ledger-debtor-kind")]


def test_bom_and_blank_lines_are_accepted():
    ledger = parse_ledger("\ufeff" + HEADER + "\n\n" + GOOD + "\n\n", "l.csv", "b2b", STAGES)
    assert [r.line for r in ledger.rows] == [3]


def test_payment_date_is_read_and_must_go_with_an_amount_after_the_invoice():
    header = HEADER + ",payment_date"
    (row,) = parse("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,400,open,,,20/04/2026", header=header).rows
    assert (row.paid_amount, row.payment_date) == (Decimal("400"), date(2026, 4, 20))
    (alone,) = errors("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,,open,,,2026-04-20", header=header)
    assert (alone.rule, alone.line, alone.column) == ("ledger-payment-date", 2, 12)
    (early,) = errors("D1,Client SAS,b2b,F1,2026-03-01,2026-03-15,1000.00,10,open,,,2026-02-20", header=header)
    assert early.rule == "ledger-payment-date" and "précède la facture" in early.message
