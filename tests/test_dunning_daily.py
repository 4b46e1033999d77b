"""The daily dunning run: rates that run out, the journal, the clerk's outputs.

Every test passes its run date explicitly and writes its own rate table, so none depends on
today's date.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cgvkit.law.rates import RateTable
from tests.conftest import run_main

# A table of our own: two half-years, figures chosen to be worked by hand.
RATES = """\
# Test table: comments must survive `rates add`.
rates:
  - half_year: 2025-H2
    ecb: 2.00
    legal_individual: 6.00
    legal_other: 3.00
    source: "test 2025-H2"
  # the last row
  - half_year: 2026-H1
    ecb: 2.50
    legal_individual: 6.50
    legal_other: 3.50
    source: "test 2026-H1"
"""
HEADER = ("debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,"
          "invoice_date,due_date,amount,paid_amount,status,promise_date,formal_notice_date,last_stage")
B2B = "companies/atelier-lyonnais.yaml"


def write_rates(root: Path, text: str = RATES) -> Path:
    path = root / "data" / "rates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_ledger(root: Path, *rows: str, name: str = "test.csv") -> str:
    (root / "ledgers" / name).write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return f"ledgers/{name}"


def line(debtor="D1", name="Client Un SARL", number="F1", invoice="2026-04-01", due="2026-05-01",
         amount="1000.00", paid="", status="open", promise="", notice="", last="", kind="b2b",
         email="compta@client.fr", phone="06 12 34 56 78"):
    return (f'{debtor},"{name}",{kind},{email},{phone},"1 rue A, 69001 Lyon",{number},{invoice},{due},{amount},'
            f"{paid},{status},{promise},{notice},{last}")


def dunning(root: Path, ledger: str, on: str, *extra: str):
    return run_main(root, "dunning", B2B, "--ledger", ledger, "--date", on, *extra)


def plan_of(folder: Path) -> dict:
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))


# --- Rates that run out ----------------------------------------------------------------------------

def test_run_past_the_table_stops_interest_at_its_last_day_and_says_so(project):
    write_rates(project)
    # Due 20 June 2026, run 15 August 2026: the table stops on 30 June, so interest covers
    # 21–30 June only: 10 days at 2.50 + 10 = 12.50 %: 1 000 × 12.50 % × 10 / 365 = 3.4246… → 3.42 €.
    # 56 days late: the first reminder (J+7), an e-mail: no PDF printed.
    ledger = write_ledger(project, line(due="2026-06-20"))
    result = dunning(project, ledger, "2026-08-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = plan_of(project / "dist" / "run")
    assert data["interest_stopped"] == {"date": "2026-06-30", "note": "intérêts arrêtés au 30 juin 2026, à parfaire"}
    (debtor,) = data["debtors"]
    (invoice,) = debtor["invoices"]
    assert invoice["days_late"] == 56 and invoice["interest"] == "3.42"
    assert invoice["periods"] == [{"from": "2026-06-21", "to": "2026-06-30", "days": 10, "rate": "12.50"}]
    # One warning naming the row to add, its sources and the command; the summary says it once.
    warnings = [w for w in result.stderr.splitlines() if "rates-stale" in w]
    assert len(warnings) == 1 and "[rates-stale]" in warnings[0]
    assert "2026-H2" in warnings[0] and "Journal officiel" in warnings[0] and "BCE" in warnings[0]
    assert "rates add 2026-H2" in warnings[0] and "avertissement" in warnings[0]
    assert result.stdout.count("intérêts arrêtés au 30 juin 2026, à parfaire") == 1
    # The letter says so too.
    (document,) = debtor["documents"]
    text = (project / "dist" / "run" / document).read_text(encoding="utf-8")
    assert "intérêts arrêtés au 30 juin 2026, à parfaire" in text


def test_several_missing_half_years_are_named_in_one_warning(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-06-20"))
    result = dunning(project, ledger, "2027-03-01", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    (warning,) = [w for w in result.stderr.splitlines() if "rates-stale" in w]
    assert "2026-H2 à 2027-H1" in warning


def test_printed_letters_carry_the_note_next_to_the_interest(project):
    from cgvkit.documents.letters import filled_context, render_stage
    from cgvkit.dunning.ledger import parse_ledger
    from cgvkit.dunning.plan import plan
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.project import load_project

    write_rates(project)
    loaded = load_project(project, [project / B2B])
    company = loaded.companies[0]
    ladder = ladder_for(company, project)
    text = "\n".join([HEADER, line(due="2026-05-01", last="firm_letter")]) + "\n"
    ledger = parse_ledger(text, "ledgers/x.csv", "b2b", ladder.ids)
    (debtor,) = plan(company, ladder, ledger, loaded.table, date(2026, 9, 1))
    assert debtor.stage.id == "formal_notice"
    outputs = render_stage(project, debtor.stage, lambda html: filled_context(
        company, debtor, debtor.stage, date(2026, 9, 1), loaded.table.last, html,
        "intérêts arrêtés au 30 juin 2026, à parfaire"))
    html = outputs[0].text
    assert html.count("intérêts arrêtés au 30\u00a0juin 2026, à parfaire") + \
        html.count("intérêts arrêtés au 30 juin 2026, à parfaire") == 2
    assert "jusqu’à complet paiement" in html


def test_a_run_inside_the_table_has_no_note(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    result = dunning(project, ledger, "2026-05-20", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = plan_of(project / "dist" / "run")
    assert data["interest_stopped"] is None and "rates-stale" not in result.stderr
    (document,) = data["debtors"][0]["documents"]
    assert "à parfaire" not in (project / "dist" / "run" / document).read_text(encoding="utf-8")


def test_a_date_before_the_table_is_still_an_error(project):
    write_rates(project)
    ledger = write_ledger(project, line(invoice="2025-01-01", due="2025-03-01"))
    result = dunning(project, ledger, "2026-05-20", "-o", "dist/run")
    assert result.returncode == 1 and "rates-missing" in result.stderr and "2025-H1" in result.stderr
    assert not (project / "dist" / "run").exists()


def test_date_defaults_to_today(project, monkeypatch):
    from cgvkit import cli

    class Today(date):
        @classmethod
        def today(cls):
            return date(2026, 5, 20)

    write_rates(project)
    monkeypatch.setattr(cli, "date", Today)
    ledger = write_ledger(project, line(due="2026-05-01"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    assert plan_of(project / "dist" / "run")["date"] == "2026-05-20"


# --- rates add -------------------------------------------------------------------------------------

def test_rates_add_appends_a_row_and_keeps_the_comments(project):
    path = write_rates(project)
    result = run_main(project, "rates", "add", "2026-H2", "--ecb", "2,15", "--legal-consumer", "6.67",
                      "--legal-other", "2.62", "--source", "https://www.legifrance.gouv.fr/jorf/id/X",
                      "--source", "https://www.ecb.europa.eu/rates")
    assert result.returncode == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith(RATES)  # everything before is kept byte for byte, comments included
    table = RateTable.load(path, project)
    row = table.get("2026-H2")
    assert (str(row.ecb), str(row.legal_individual), str(row.legal_other)) == ("2.15", "6.67", "2.62")
    assert row.source == "https://www.legifrance.gouv.fr/jorf/id/X ; https://www.ecb.europa.eu/rates"


@pytest.mark.parametrize("label,ecb,consumer,other,source,rule", [
    ("2027-H1", "2", "6", "3", "https://x.fr/a", "rates-gap"),         # skips 2026-H2
    ("2026-H1", "2", "6", "3", "https://x.fr/a", "rates-duplicate"),   # already there
    ("2026-H2", "2.155", "6", "3", "https://x.fr/a", "rates-value"),   # three decimals
    ("2026-H2", "abc", "6", "3", "https://x.fr/a", "rates-value"),
    ("2026-H2", "2", "65", "3", "https://x.fr/a", "rates-range"),      # per mille typed as percent
    ("2026-H2", "2", "6", "3", "http://x.fr/a", "rates-source"),       # not https
    ("2026-H2", "2", "6", "3", "arrêté du 1er juin", "rates-source"),  # not an address
])
def test_rates_add_refuses_and_leaves_the_file_untouched(project, label, ecb, consumer, other, source, rule):
    path = write_rates(project)
    before = path.read_bytes()
    result = run_main(project, "rates", "add", label, "--ecb", ecb, "--legal-consumer", consumer,
                      "--legal-other", other, "--source", source)
    assert result.returncode == 1 and f"[{rule}]" in result.stderr and "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_rates_add_restores_the_file_when_the_reloaded_table_is_broken(project, monkeypatch):
    from cgvkit.core.errors import KitError, Problem
    from cgvkit.law import ratefile

    path = write_rates(project)
    before = path.read_bytes()
    real = ratefile.RateTable.load
    calls = []

    def load(cls_path, root):
        calls.append(1)
        if len(calls) == 2:  # the re-validation after appending
            raise KitError([Problem("data/rates.yaml", 1, 1, "", "cassé", "rates-test")])
        return real(cls_path, root)

    monkeypatch.setattr(ratefile.RateTable, "load", staticmethod(load))
    result = run_main(project, "rates", "add", "2026-H2", "--ecb", "2", "--legal-consumer", "6",
                      "--legal-other", "3", "--source", "https://x.fr/a")
    assert result.returncode == 1 and "rates-test" in result.stderr
    assert path.read_bytes() == before


def test_validate_warns_when_todays_half_year_is_missing(project):
    # A table that stopped long ago: whatever today is, its half-year is missing.
    old = ("rates:\n" + "".join(
        f"  - half_year: {label}\n    ecb: 0.05\n    legal_individual: 4.00\n    legal_other: 1.00\n"
        f"    source: \"test\"\n" for label in ("2025-H2", "2026-H1")))
    write_rates(project, old)
    from cgvkit.commands.rates import warn_stale_table
    from cgvkit.model.project import load_project

    loaded = load_project(project)
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        warn_stale_table(loaded, date(2026, 11, 23))
    assert "[rates-stale]" in err.getvalue() and "2026-H2" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        warn_stale_table(loaded, date(2026, 6, 30))
    assert err.getvalue() == ""
    # And through the command: the warning follows today's date, so compare with the table's end.
    result = run_main(project, "validate")
    assert result.returncode == 0
    assert ("[rates-stale]" in result.stderr) == (date.today() > date(2026, 6, 30))
