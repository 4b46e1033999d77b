"""Rules of law carry their dates: a company's CGV are checked against the law on their effective
date and on the run date (`--date`, read once by the command line), each dated rule on both sides
of the day it takes effect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import copy_project, run_main

from cgvkit.core.french import date_fr
from cgvkit.law import dated
from cgvkit.law.rules import RULES
from cgvkit.law.textrules import TEXT_RULES

B2B, B2C = "atelier-lyonnais", "boutique-en-ligne"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("dated") / "project")


def case(root, base: str, change) -> str:
    """companies/case.yaml: the example `base` changed by `change(data)`; returns its path as typed."""
    data = yaml.safe_load((root / "companies" / f"{base}.yaml").read_text(encoding="utf-8"))
    change(data)
    (root / "companies" / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                  encoding="utf-8")
    return "companies/case.yaml"


def errors(result, rule: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.endswith(f"[{rule}]")]


def old_court(data, root=None):
    data["effective_date"] = "2024-07-01"
    data["clauses"]["jurisdiction"] = {"court": "Tribunal de commerce de Lyon"}


@pytest.mark.parametrize("command", [("validate",), ("pack", "--only", "cgv")])
def test_cgv_lawful_on_their_effective_date_fail_once_the_law_changed(root, command):
    path = case(root, B2B, old_court)
    before = run_main(root, *command, path, "--date", "2024-12-31")
    assert before.returncode == 0, before.stderr
    assert not errors(before, "jurisdiction-tae")
    after = run_main(root, *command, path, "--date", "2025-01-01")
    assert after.returncode == 1
    (line,) = errors(after, "jurisdiction-tae")
    assert line.startswith("companies/case.yaml:") and "clauses.jurisdiction.court" in line
    assert "« Tribunal des activités économiques de Lyon »" in line
    # The message names the change and its date, after the CGV's own.
    assert "règle en vigueur depuis le 1er janvier 2025, après la date d’effet des CGV (1er juillet 2024)" in line


def test_cgv_that_took_effect_after_the_change_are_told_without_a_since_note(root):
    path = case(root, B2B, lambda d: d["clauses"].update(jurisdiction={"court": "tribunal de commerce du havre"}))
    (line,) = errors(run_main(root, "validate", path, "--date", "2026-06-15"), "jurisdiction-tae")
    assert "« Tribunal des activités économiques du Havre »" in line and "après la date d’effet" not in line


@pytest.mark.parametrize("court", ["Tribunal des activités économiques de Lyon", "Tribunal de commerce de Bordeaux",
                                   "Tribunal de commerce de Lyon-Villeurbanne"])
def test_other_courts_and_new_names_pass(root, court):
    path = case(root, B2B, lambda d: d["clauses"].update(jurisdiction={"court": court}))
    assert not errors(run_main(root, "validate", path, "--date", "2026-06-15"), "jurisdiction-tae")


def test_all_checks_the_law_of_its_date_too(root, tmp_path):
    project = copy_project(tmp_path / "p")
    case(project, B2B, old_court)
    result = run_main(project, "all", "--no-site", "--date", "2025-01-01", "--jobs", "1")
    assert result.returncode == 1 and errors(result, "jurisdiction-tae")


# The 3× floor moves each half-year: a fixed 10 % rate was lawful in 2023-H1 (3 × 2,06 = 6,18 %) and
# is not from 2023-H2 (3 × 4,22 = 12,66 %).
def test_the_rate_floor_is_checked_for_the_run_dates_half_year(root):
    path = case(root, B2B, lambda d: (d.update(effective_date="2023-01-01"),
                                      d["clauses"].update(late_penalties={"rate": 10})))
    assert not errors(run_main(root, "validate", path, "--date", "2023-06-30"), "penalty-rate-floor")
    (line,) = errors(run_main(root, "validate", path, "--date", "2023-07-01"), "penalty-rate-floor")
    assert "2023-H2" in line and "12,66" in line


def test_a_run_date_past_the_rate_table_guesses_no_floor(root):
    path = case(root, B2B, lambda d: d["clauses"].update(late_penalties={"rate": 10}))
    result = run_main(root, "validate", path, "--date", "2027-03-01")
    # 2026-H1 (the effective date's): 3 × 2,62 = 7,86 % ≤ 10 %; 2027-H1 is not in the table: no guess.
    assert not errors(result, "penalty-rate-floor") and "[rates-stale]" in result.stderr


@pytest.mark.parametrize("days,fails", [(7, True), (8, False)])
def test_contestation_and_claim_periods_of_at_least_eight_days(root, days, fails):
    path = case(root, B2B, lambda d: d["clauses"].update(contestation_period={"days": days}))
    found = errors(run_main(root, "validate", path), "claim-period-min")
    assert bool(found) is fails
    assert all("clauses.contestation_period.days" in line and "L442-1" in line for line in found)


@pytest.mark.parametrize("amount,fails", [(40, False), (50, True), (30, True)])
def test_the_indemnity_is_forty_euros_exactly(root, amount, fails):
    path = case(root, B2B, lambda d: d["clauses"].update(late_penalties={"rate": "ecb+10", "indemnity": amount}))
    found = errors(run_main(root, "validate", path), "b2b-indemnity")
    assert bool(found) is fails
    if fails:  # the article's message, not a bound's
        assert "fixée à 40 €" in found[0] and "clauses.late_penalties.indemnity" in found[0] and "D441-5" in found[0]


# Every dated rule: a profile (and, for a rule on the printed text, the library) made lawful before the
# rule, checked the day before it takes effect and on that day. A new dated rule without its case fails.
def consumer_text_of(family: str, variant: str):
    """The consumer example with a clause text lawful before 2026 (tests/data/clauses/)."""
    def change(data, root):
        source = DATA / f"{family}-{variant}.yaml"
        (root / "clauses" / family / f"{variant}.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        data["clauses"][family] = {"variant": variant}
    return change


DATA = Path(__file__).parent / "data" / "clauses"
DATED_CASES = {
    "jurisdiction-tae": (B2B, old_court),
    "cgv-withdrawal-online-text": (B2C, consumer_text_of("withdrawal", "distance_sale_2016")),
    "cgv-bloctel-text": (B2C, consumer_text_of("personal_data", "standard_2018")),
}


@pytest.mark.parametrize("rule", [r for r in (*RULES, *TEXT_RULES) if r.since], ids=lambda r: r.id)
def test_each_dated_rule_the_day_before_and_the_day_it_takes_effect(root, rule):
    assert rule.id in DATED_CASES, f"règle datée sans cas de test : {rule.id}"
    base, change = DATED_CASES[rule.id]
    project = copy_project(root.parent / f"dated-{rule.id}")  # its own library: a case may add a variant
    path = case(project, base, lambda data: change(data, project))
    before = rule.since.fromordinal(rule.since.toordinal() - 1).isoformat()
    assert run_main(project, "validate", path, "--date", before).returncode == 0
    after = run_main(project, "validate", path, "--date", rule.since.isoformat())
    assert after.returncode == 1
    (line,) = [line for line in errors(after, rule.id) if line.startswith("companies/case.yaml:")]
    assert f"depuis le {date_fr(rule.since)}" in line
    assert dated.period_fr(rule) == f"depuis le {date_fr(rule.since)}"


@pytest.mark.real_today
def test_the_example_companies_are_lawful_today(tmp_path):
    """`make demo` runs on today's law: the examples must pass it (warnings allowed: the rate table)."""
    result = run_main(copy_project(tmp_path / "p"), "validate")
    assert result.returncode == 0, result.stderr
