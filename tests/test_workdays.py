"""French working days: the eleven holidays of Code du travail L3133-1 (and the two of Alsace-Moselle,
L3134-13), and deadlines moved to the next working day (CPC 642)."""

from __future__ import annotations

from datetime import date

import pytest

from cgvkit.law.workdays import closed, deadline, next_working_day, public_holidays, quiet


def test_the_eleven_holidays_of_2026_worked_by_hand():
    # Easter Sunday 2026: 5 April → Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May.
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14),
        date(2026, 5, 25), date(2026, 7, 14), date(2026, 8, 15), date(2026, 11, 1), date(2026, 11, 11),
        date(2026, 12, 25)]
    # Alsace-Moselle adds Good Friday (3 April 2026) and 26 December.
    assert set(public_holidays(2026, True)) - set(public_holidays(2026)) == {date(2026, 4, 3), date(2026, 12, 26)}
    assert date(2027, 3, 29) in public_holidays(2027)  # Easter 2027: 28 March


@pytest.mark.parametrize("day,reason", [
    (date(2026, 12, 4), None),                      # a Friday
    (date(2026, 12, 5), "samedi"),
    (date(2026, 12, 6), "dimanche"),
    (date(2026, 12, 25), "jour férié (Noël)"),
    (date(2026, 5, 14), "jour férié (Ascension)"),
])
def test_closed_days(day, reason):
    assert closed(day) == reason


def test_calls_and_sms_wait_for_sundays_and_holidays_not_saturdays():
    assert quiet(date(2026, 12, 5)) is None
    assert quiet(date(2026, 12, 6)) == "dimanche"
    assert quiet(date(2026, 12, 26)) is None and quiet(date(2026, 12, 26), True) == "jour férié (Saint-Étienne)"


def test_a_deadline_ending_on_a_closed_day_runs_to_the_next_working_day():
    assert deadline(date(2026, 12, 4), 8) == date(2026, 12, 14)  # Saturday 12 → Monday 14
    assert deadline(date(2026, 12, 17), 8) == date(2026, 12, 28)  # Friday 25 (Noël) → Monday 28
    assert deadline(date(2026, 12, 17), 9, alsace_moselle=True) == date(2026, 12, 28)  # Saturday 26
    assert deadline(date(2026, 12, 2), 8) == date(2026, 12, 10)  # a Thursday: unchanged
    assert next_working_day(date(2026, 5, 1)) == date(2026, 5, 4)  # Friday 1 May → Monday 4


# --- the daily run follows the calendar --------------------------------------------------------------

from conftest import edit  # noqa: E402
from test_dunning_daily import B2B, RUNS, dunning, line, plan_of, write_ledger, write_rates  # noqa: E402


def proposals(project, on: str, *rows: str) -> dict:
    write_rates(project)
    assert dunning(project, write_ledger(project, *rows), on).returncode == 0
    return {d["debtor_id"]: d for d in plan_of(project / RUNS / on)["debtors"]}


def test_no_call_on_a_sunday_no_letter_on_a_saturday_e_mails_any_day(project):
    rows = (line(debtor="CALL", number="F1", due="2026-04-30", last="first_reminder"),      # 17 days late
            line(debtor="MAIL", number="F2", due="2026-05-08"),                            # 9 days late
            line(debtor="POST", number="F3", due="2026-04-10", last="second_reminder"))    # 37 days late
    sunday = proposals(project, "2026-05-17", *rows)
    assert (sunday["CALL"]["action"], sunday["MAIL"]["stage"]) == ("none", "first_reminder")
    assert "dimanche" in sunday["CALL"]["reason"] and "reporté au 18 mai 2026" in sunday["CALL"]["reason"]
    assert sunday["POST"]["action"] == "none" and "reporté au 18 mai 2026" in sunday["POST"]["reason"]
    saturday = proposals(project, "2026-05-16", *rows)
    assert saturday["CALL"]["stage"] == "second_reminder"  # Saturday: calls are allowed
    assert saturday["POST"]["action"] == "none" and "samedi" in saturday["POST"]["reason"]
    monday = proposals(project, "2026-05-18", *rows)
    assert (monday["CALL"]["stage"], monday["POST"]["stage"]) == ("second_reminder", "firm_letter")


def test_no_sms_on_a_public_holiday(project):
    due = line(debtor="SMS", number="F1", invoice="2026-04-01", due="2026-05-18")
    ascension = proposals(project, "2026-05-14", due)["SMS"]
    assert ascension["action"] == "none" and "jour férié (Ascension)" in ascension["reason"]
    assert "reporté au 15 mai 2026" in ascension["reason"]
    assert proposals(project, "2026-05-15", due)["SMS"]["stage"] == "pre_due"


def test_alsace_moselle_holidays_are_the_companys_choice(project):
    call = line(debtor="CALL", number="F1", invoice="2025-11-01", due="2025-12-08", last="first_reminder")
    assert proposals(project, "2025-12-26", call)["CALL"]["stage"] == "second_reminder"
    edit(project / B2B, "  signatory:", "  alsace_moselle: true\n  signatory:")
    (project / RUNS / "2025-12-26").rename(project / "dist" / "autre")
    moved = proposals(project, "2025-12-26", call)["CALL"]
    assert moved["action"] == "none" and "Saint-Étienne" in moved["reason"]


def test_the_deadline_a_letter_gives_runs_to_the_next_working_day(project):
    # Friday 4 December 2026 + 8 days = Saturday 12 → Monday 14 December.
    debtor = proposals(project, "2026-12-04", line(debtor="POST", number="F3", due="2026-11-01",
                                                   last="second_reminder"))["POST"]
    assert debtor["stage"] == "firm_letter"
    html = (project / RUNS / "2026-12-04" / debtor["documents"][0]).read_text(encoding="utf-8")
    assert "14 décembre 2026" in html and "12 décembre 2026" not in html
