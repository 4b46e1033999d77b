"""The half-year rate table: every figure of the published rates (arrêtés au Journal officiel, BCE), located errors, and the row-to-add message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import TEST_RATES

from cgvkit.core.errors import KitError, Problem
from cgvkit.law.rates import MissingRateError, RateTable, half_year_bounds, half_year_of

ROOT = Path(__file__).resolve().parent.parent

# The published rates (Journal officiel arrêtés, ECB), figure by figure: half-year, ECB, legal (individual creditor), legal (other cases).
LAW_MD = """
2015-H1 0.05 4.06 0.93 | 2015-H2 0.05 4.29 0.99 | 2016-H1 0.05 4.54 1.01 | 2016-H2 0.00 4.35 0.93
2017-H1 0.00 4.16 0.90 | 2017-H2 0.00 3.94 0.90 | 2018-H1 0.00 3.73 0.89 | 2018-H2 0.00 3.60 0.88
2019-H1 0.00 3.40 0.86 | 2019-H2 0.00 3.26 0.87 | 2020-H1 0.00 3.15 0.87 | 2020-H2 0.00 3.11 0.84
2021-H1 0.00 3.14 0.79 | 2021-H2 0.00 3.12 0.76 | 2022-H1 0.00 3.13 0.76 | 2022-H2 0.00 3.15 0.77
2023-H1 2.50 4.47 2.06 | 2023-H2 4.00 6.82 4.22 | 2024-H1 4.50 8.01 5.07 | 2024-H2 4.25 8.16 4.92
2025-H1 3.15 7.21 3.71 | 2025-H2 2.15 6.65 2.76 | 2026-H1 2.15 6.67 2.62
"""
EXPECTED = [cell.split() for cell in LAW_MD.replace("\n", "|").split("|") if cell.strip()]


@pytest.fixture(scope="module")
def table(rate_table):
    return rate_table  # tests/data/rates.yaml: stops at 2026-H1 whatever data/rates.yaml holds


def figures(table):
    return [[r.half_year, str(r.ecb), str(r.legal_individual), str(r.legal_other)] for r in table.rows()]


def test_every_law_md_row_with_exact_figures(table):
    assert figures(table) == EXPECTED  # same rows, same order, same decimals (no 2026-H2)


def test_the_project_table_keeps_these_rows_and_may_grow():
    """data/rates.yaml starts with the tests' rows, figure for figure and source for source; a
    half-year added after them (the yearly maintenance step) is allowed."""
    project = RateTable.load(ROOT / "data" / "rates.yaml", ROOT)
    frozen = RateTable.load(TEST_RATES, ROOT)
    assert figures(project)[:len(EXPECTED)] == EXPECTED
    assert [r.source for r in project.rows()][:len(EXPECTED)] == [r.source for r in frozen.rows()]


def test_a_few_rows_against_law_md(table):
    h = table.get("2024-H1")
    assert (h.ecb, h.legal_individual, h.legal_other) == (D("4.50"), D("8.01"), D("5.07"))
    assert (h.start, h.end) == (date(2024, 1, 1), date(2024, 6, 30))
    assert table.get("2024-H2").ecb == D("4.25") and table.get("2025-H1").ecb == D("3.15")
    assert table.get("2025-H2").legal_other == D("2.76") and table.last.half_year == "2026-H1"
    assert table.get("2026-H2") is None
    assert all(isinstance(r.ecb, D) and isinstance(r.legal_other, D) for r in table.rows())


def test_every_row_names_its_sources(table):
    for row in table.rows():
        assert "BCE" in row.source, row.half_year
        assert ("1er janvier" if row.half_year.endswith("H1") else "1er juillet") in row.source
        assert "intérêt légal" in row.source
    assert "arrêté du 15 décembre 2025" in table.get("2026-H1").source
    assert "26 décembre 2025" in table.get("2026-H1").source


def test_half_year_helpers():
    assert half_year_of(date(2026, 6, 30)) == "2026-H1" and half_year_of(date(2026, 7, 1)) == "2026-H2"
    assert half_year_bounds("2024-H2") == (date(2024, 7, 1), date(2024, 12, 31))
    with pytest.raises(ValueError):
        half_year_bounds("2024-S2")


def test_for_date_picks_the_half_year(table):
    assert table.for_date(date(2024, 6, 30)).half_year == "2024-H1"
    assert table.for_date(date(2024, 7, 1)).ecb == D("4.25")


def test_missing_half_year_names_the_row_and_the_file(table):
    with pytest.raises(MissingRateError) as caught:
        table.for_date(date(2026, 7, 1))
    (problem,) = caught.value.problems
    assert isinstance(caught.value, KitError)
    assert (problem.file, problem.rule, problem.path) == ("data/rates.yaml", "rates-missing", "rates")
    assert "2026-H2" in problem.message and "half_year: 2026-H2" in problem.message
    assert "data/rates.yaml" in problem.message and "sa source" in problem.message
    assert "du 1er juillet 2026 au 31 décembre 2026" in problem.message
    assert "\u00a0: ajoutez" in problem.message  # no-break space before the colon
    lines = TEST_RATES.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1].strip() == "- half_year: 2026-H1"  # the last row: add the new one below


def test_missing_half_year_can_blame_the_input_that_asked(table):
    where = Problem("companies/acme.yaml", 4, 17, "effective_date", "", "")
    with pytest.raises(MissingRateError) as caught:
        table.for_date(date(2014, 12, 31), where=where)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.path) == ("companies/acme.yaml", 4, 17,
                                                                          "effective_date")
    assert problem.rule == "rates-missing" and "half_year: 2014-H2" in problem.message


# A small table written by hand: line numbers below are those of this text.
GOOD = """\
rates:
  - half_year: 2025-H1
    ecb: 3.15
    legal_individual: 7.21
    legal_other: 3.71
    source: "BCE ; arrêté"
  - half_year: 2025-H2
    ecb: 2.15
    legal_individual: 6.65
    legal_other: 2.76
    source: "BCE ; arrêté"
"""


def load_text(tmp_path: Path, text: str) -> RateTable:
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "schemas" / "rates.yaml").write_text((ROOT / "schemas" / "rates.yaml").read_text(encoding="utf-8"),
                                                     encoding="utf-8")
    (tmp_path / "data" / "rates.yaml").write_text(text, encoding="utf-8")
    return RateTable.load(tmp_path / "data" / "rates.yaml", tmp_path)


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    with pytest.raises(KitError) as caught:
        load_text(tmp_path, text)
    return caught.value.problems


def test_hand_written_table_loads(tmp_path):
    table = load_text(tmp_path, GOOD)
    assert [r.half_year for r in table.rows()] == ["2025-H1", "2025-H2"]
    assert table.anchor == (7, 5)  # "half_year" of the last row


@pytest.mark.parametrize("old,new,rule,line,path", [
    ("ecb: 2.15", "ecb: beaucoup", "rates-type", 8, "rates[1].ecb"),
    ("ecb: 2.15", "ecb: -0.50", "rates-min", 8, "rates[1].ecb"),
    ("    legal_other: 3.71\n", "    legal_other: 3.71\n    commentaire: ok\n", "rates-unknown", 6,
     "rates[0].commentaire"),
    ("    source: \"BCE ; arrêté\"\n  - half_year: 2025-H2", "  - half_year: 2025-H2", "rates-required", 2,
     "rates[0].source"),
    ("    source: \"BCE ; arrêté\"\n  - half_year: 2025-H2", "    source: \"  \"\n  - half_year: 2025-H2",
     "rates-regex", 6, "rates[0].source"),
    ("half_year: 2025-H2", "half_year: 2025-S2", "rates-regex", 7, "rates[1].half_year"),
    ("half_year: 2025-H2", "half_year: 2025-H1", "rates-duplicate", 7, "rates[1].half_year"),
    ("half_year: 2025-H2", "half_year: 2024-H2", "rates-order", 7, "rates[1].half_year"),
    ("half_year: 2025-H2", "half_year: 2026-H2", "rates-gap", 7, "rates[1].half_year"),
])
def test_bad_rows_are_located(tmp_path, old, new, rule, line, path):
    assert old in GOOD
    found = problems_of(tmp_path, GOOD.replace(old, new, 1))
    assert [(p.file, p.line, p.path, p.rule) for p in found] == [("data/rates.yaml", line, path, rule)]
    assert found[0].message and found[0].severity == "error"


def test_gap_message_names_every_missing_half_year(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("half_year: 2025-H2", "half_year: 2027-H1"))
    assert "2025-H2 à 2026-H2" in problem.message and "entre 2025-H1 et 2027-H1" in problem.message


def test_duplicate_message_points_at_the_first_row(tmp_path):
    (problem,) = problems_of(tmp_path, GOOD.replace("half_year: 2025-H2", "half_year: 2025-H1"))
    assert "déjà ligne 2" in problem.message


def test_all_problems_reported_at_once(tmp_path):
    text = GOOD.replace("ecb: 3.15", "ecb: beaucoup").replace("half_year: 2025-H2", "half_year: 2026-H2")
    assert {(p.line, p.rule) for p in problems_of(tmp_path, text)} == {(3, "rates-type"), (7, "rates-gap")}


def test_rates_key_is_required(tmp_path):
    found = problems_of(tmp_path, "taux: []\n")
    assert {p.rule for p in found} == {"rates-unknown", "rates-required"}


# --- rates add: primary sources only, never a half-year long before it starts ---------------------

def _add(project, *args):
    from tests.conftest import run_main
    from tests.test_dunning_daily import write_rates

    path = write_rates(project)
    before = path.read_bytes()
    result = run_main(project, "rates", "add", "2026-H2", "--ecb", "2", "--legal-consumer", "6", "--legal-other", "3",
                      *args)
    return result, path.read_bytes() != before


@pytest.mark.parametrize("source", [
    "https://www.service-public.fr/particuliers/actualites/A15081",  # a secondary site, however reliable
    "https://legifrance.gouv.fr.example.com/jorf/id/X",               # a look-alike host
    "https://www.blog-juridique.fr/taux-legal-2026",
])
def test_rates_add_refuses_a_source_that_is_not_primary(project, source):
    result, changed = _add(project, "--source", source)
    assert result.returncode == 1 and not changed and "Traceback" not in result.stderr
    assert "[rates-source]" in result.stderr and "seules les sources officielles" in result.stderr


@pytest.mark.parametrize("source", ["https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000000000000",
                                    "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html",
                                    "https://www.banque-france.fr/fr/statistiques/taux-et-cours"])
def test_rates_add_accepts_the_primary_sources(project, source):
    result, changed = _add(project, "--source", source, "--date", "2026-06-15")
    assert result.returncode == 0 and changed, result.stderr


def test_rates_add_refuses_a_half_year_starting_more_than_45_days_later(project):
    # 2026-H2 starts on 1 July 2026: 46 days after 16 May, 45 after 17 May.
    result, changed = _add(project, "--source", "https://www.legifrance.gouv.fr/jorf/id/X", "--date", "2026-05-16")
    assert result.returncode == 1 and not changed
    assert "[rates-future]" in result.stderr and "plus de 45 jours" in result.stderr.replace("\u00a0", " ")
    result, changed = _add(project, "--source", "https://www.legifrance.gouv.fr/jorf/id/X", "--date", "2026-05-17")
    assert result.returncode == 0 and changed, result.stderr


def test_readme_and_manual_rates_add_examples_show_placeholders_not_figures():
    import re

    for name in ("README.md", "docs/manuels/relance.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for example in re.findall(r"rates add \S+ (--ecb .*)", text):
            assert not re.search(r"--(ecb|legal-consumer|legal-other) \d", example), (name, example)


@pytest.mark.slow
def test_a_formal_notice_printed_past_the_table_says_a_parfaire_and_the_run_advises_waiting(project):
    from pypdf import PdfReader

    from tests.conftest import run_main
    from tests.test_dunning_daily import line, write_ledger, write_rates

    write_rates(project)  # stops at 2026-H1
    ledger = write_ledger(project, line(debtor="P1", number="F1", invoice="2026-03-01", due="2026-04-01",
                                        last="firm_letter"),
                          line(debtor="P2", name="Client Deux SAS", number="F2", invoice="2026-07-01", due="2026-08-01"))
    result = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--ledger", ledger, "--date",
                      "2026-08-14", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    err = " ".join(result.stderr.replace("\u00a0", " ").replace("\u202f", " ").split())
    assert "[rates-stale-document]" in err and "Client Un SARL" in err and "Client Deux SAS" not in err
    assert "attendez si possible la table des taux" in err
    import json

    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    notice = next(d for d in data["debtors"] if d["debtor_id"] == "P1")
    assert notice["stage"] == "formal_notice"
    pdf = next(d for d in notice["documents"] if d.endswith(".pdf"))
    text = " ".join(p.extract_text() for p in PdfReader(project / "dist" / "run" / pdf).pages)
    assert "à parfaire" in " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
