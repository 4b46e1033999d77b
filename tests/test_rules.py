"""Each rule of law, on both sides of its bound, through a real profile file."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from conftest import copy_project

from cgvkit.core.errors import KitError
from cgvkit.law.rules import listing
from cgvkit.model.project import load_project

B2B, B2C = "atelier-lyonnais", "boutique-en-ligne"


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """One project copy for the module's profiles (each test rewrites companies/case.yaml).

    No test using it edits the clause library, so `load_project` gets the library it loaded
    first for this folder instead of parsing 70 YAML files again for every case (~1 s each).
    """
    import cgvkit.model.project

    root = copy_project(tmp_path_factory.mktemp("rules") / "project")
    loaded = {}

    def load_library_once(folder):
        if folder != root:
            return real(folder)
        if "library" not in loaded:
            loaded["library"] = real(folder)
        return loaded["library"]

    real = cgvkit.model.project.load_library
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cgvkit.model.project, "load_library", load_library_once)
        yield root


def profile(root, base: str, change) -> Path:
    """Write companies/case.yaml: the example `base` with `change(data)` applied."""
    data = yaml.safe_load((root / "companies" / f"{base}.yaml").read_text(encoding="utf-8"))
    change(data)
    path = root / "companies" / "case.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(root, base, change):
    """Every problem (errors and warnings) reported for the changed profile."""
    path = profile(root, base, change)
    project = load_project(root, [path], lenient=True)
    return project.failed.get(path, []) + [p for p in project.warnings if p.file == "companies/case.yaml"]


def rules_of(found, severity=None):
    return {p.rule for p in found if severity is None or p.severity == severity}


def clause(name, **values):
    def change(data):
        data["clauses"][name] = values
    return change


def chain(*changes):
    def change(data):
        for c in changes:
            c(data)
    return change


def effective(day):
    def change(data):
        data["effective_date"] = day
    return change


@pytest.mark.parametrize("days,end_of_month,rule", [(60, False, "payment-term-max"), (45, True, "payment-term-eom-max")])
def test_payment_term_caps_allow_the_bound(cases, days, end_of_month, rule):
    found = problems(cases, B2B, clause("payment_term", days=days, end_of_month=end_of_month))
    assert rule not in rules_of(found)


@pytest.mark.parametrize("days,end_of_month,rule", [(61, False, "payment-term-max"), (46, True, "payment-term-eom-max")])
def test_payment_term_caps_refuse_one_day_more(cases, days, end_of_month, rule):
    found = problems(cases, B2B, clause("payment_term", days=days, end_of_month=end_of_month))
    (problem,) = [p for p in found if p.rule == rule]
    assert problem.severity == "error" and problem.path == "clauses.payment_term.days"
    assert "L441-10" in problem.message and f"{days} jours" in problem.message
    text = (cases / "companies" / "case.yaml").read_text(encoding="utf-8").splitlines()
    assert "days:" in text[problem.line - 1]


@pytest.mark.parametrize("days,expected", [(30, False), (31, True)])
def test_transport_sector_cap_is_an_error(cases, days, expected):
    found = problems(cases, B2B, clause("payment_term", variant="transport", days=days))
    assert ("payment-term-sector-cap" in rules_of(found, "error")) is expected
    assert all(p.path == "clauses.payment_term.days" and "L441-11 II" in p.message for p in found
               if p.severity == "error")


# 2026-H1: legal rate (other cases) 2.62 → floor 3 × 2.62 = 7.86 %.
@pytest.mark.parametrize("rate,expected", [("7.86", False), ("7.85", True)])
def test_fixed_rate_floor(cases, rate, expected):
    found = problems(cases, B2B, clause("late_penalties", variant="fixed_rate", rate=float(rate)))
    assert ("penalty-rate-floor" in rules_of(found, "error")) is expected


@pytest.mark.parametrize("multiplier,expected", [(3, False), (2.9, True)])
def test_legal_multiple_floor(cases, multiplier, expected):
    found = problems(cases, B2B, clause("late_penalties", variant="three_times_legal", multiplier=multiplier))
    assert ("penalty-rate-floor" in rules_of(found, "error")) is expected


# 2024-H1: ECB 4.50 → ECB + 10 = 14.50 %, below 3 × 5.07 = 15.21 %: a warning, not an error.
def test_ecb_plus_10_below_floor_in_2024_is_a_warning(cases):
    found = problems(cases, B2B, chain(effective(datetime.date(2024, 3, 1)), clause("late_penalties", variant="ecb_plus_10")))
    assert "penalty-ecb10-below-floor" in rules_of(found, "warning")
    assert "penalty-rate-floor" not in rules_of(found)
    message = next(p.message for p in found if p.rule == "penalty-ecb10-below-floor")
    assert "14,50" in message and "15,21" in message


def test_ecb_plus_10_in_2026_passes(cases):
    found = problems(cases, B2B, clause("late_penalties", variant="ecb_plus_10"))
    assert not rules_of(found) & {"penalty-ecb10-below-floor", "penalty-rate-floor"}


@pytest.mark.parametrize("margin,expected", [(11, False), (10.5, True)])
def test_other_ecb_margins_must_reach_the_floor(cases, margin, expected):
    # 2024-H1: 4.50 + 11 = 15.50 ≥ 15.21; 4.50 + 10.5 = 15.00 < 15.21.
    found = problems(cases, B2B, chain(effective(datetime.date(2024, 3, 1)),
                                         clause("late_penalties", variant="ecb_plus_10", margin=margin)))
    assert ("penalty-rate-floor" in rules_of(found, "error")) is expected


def test_contract_rate_shorthand_selects_the_variant(cases):
    found = problems(cases, B2B, clause("late_penalties", rate="2x-legal"))
    assert "penalty-rate-floor" in rules_of(found, "error")
    assert not problems(cases, B2B, clause("late_penalties", rate="ecb+10"))


@pytest.mark.parametrize("indemnity,expected", [(40, False), (39, True)])
def test_b2b_indemnity(cases, indemnity, expected):
    found = problems(cases, B2B, clause("late_penalties", variant="ecb_plus_10", indemnity=indemnity))
    assert ("b2b-indemnity" in rules_of(found, "error")) is expected


def test_b2c_jurisdiction_names_cpc_48_and_nothing_generic(cases):
    found = problems(cases, B2C, clause("jurisdiction", court="Tribunal de commerce de Paris"))
    assert rules_of(found, "error") == {"b2c-jurisdiction"}
    assert "art. 48" in found[0].message


def test_b2c_without_mediator_website(cases):
    def change(data):
        data["clauses"]["mediation"].pop("url")
    found = problems(cases, B2C, change)
    assert rules_of(found, "error") == {"b2c-mediation"}
    assert found[0].path == "clauses.mediation.url" and "L612-1" in found[0].message


def test_b2c_with_mediator_passes(cases):
    assert not rules_of(problems(cases, B2C, lambda data: None), "error")


def test_link_to_closed_odr_platform(cases):
    def change(data):
        data["clauses"]["mediation"]["url"] = "https://ec.europa.eu/consumers/odr/main/"
    found = problems(cases, B2C, change)
    assert "odr-link" in rules_of(found, "error")


def test_retention_of_title_without_acceptance_before_delivery(cases):
    found = problems(cases, B2B, clause("orders", accepted_before_delivery=False))
    assert "retention-acceptance" in rules_of(found, "error")
    found = problems(cases, B2B, clause("orders", accepted_before_delivery=True))
    assert "retention-acceptance" not in rules_of(found)


def test_effective_date_without_rates_names_the_row_to_add(cases):
    found = problems(cases, B2B, effective(datetime.date(2026, 7, 1)))
    (problem,) = [p for p in found if p.rule == "rates-missing"]
    assert "2026-H2" in problem.message and "data/rates.yaml" in problem.message
    assert problem.file == "companies/case.yaml" and problem.path == "effective_date"


def test_clause_citing_l441_6_warns_and_is_an_error_in_the_printed_text(project):
    path = project / "clauses" / "late_penalties" / "fixed_rate.yaml"
    original = path.read_text(encoding="utf-8")
    # The number alone, about something else than late payment, is not the outdated citation.
    path.write_text(original.replace("text: |\n", "text: |\n  Voir l’article L441-6 du Code de commerce.\n", 1),
                    encoding="utf-8")
    assert not [p for p in load_project(project, []).warnings if "l441-6" in p.rule]
    path.write_text(original.replace("text: |\n", "text: |\n  Pénalités de retard : article L441-6 du Code de "
                                     "commerce.\n", 1), encoding="utf-8")
    with pytest.raises(KitError) as exc:
        load_project(project, [])
    found = exc.value.problems
    assert any(p.rule == "outdated-l441-6" and p.severity == "warning" for p in found)
    assert [p.file for p in found if p.rule == "cgv-l441-6-text"] == ["clauses/late_penalties/fixed_rate.yaml"]


@pytest.mark.parametrize("key,value,rule", [
    ("siren", "123456788", "identity-siren"),
    ("vat_number", "FR00123456789", "identity-vat"),
    ("iban", "FR7630006000011234567890188", "identity-iban"),
    ("email", "compta@", "identity-email"),
    ("logo", "../../etc/passwd", "identity-logo"),
    ("logo", "https://example.com/logo.png", "identity-logo"),
    ("logo", "/etc/hosts", "identity-logo"),
])
def test_identity_checks(cases, key, value, rule):
    def change(data):
        data["company"][key] = value
    found = problems(cases, B2B, change)
    assert rule in rules_of(found, "error")
    assert next(p for p in found if p.rule == rule).path == f"company.{key}"


def test_every_error_of_a_file_is_reported_at_once(cases):
    def change(data):
        data["company"]["siren"] = "123"
        data["clauses"]["payment_term"] = {"days": 90}
        data["clauses"]["unknown_family"] = {}
    found = problems(cases, B2B, change)
    assert {"identity-siren", "payment-term-max", "clause-unknown-family"} <= rules_of(found, "error")


def test_parameter_declared_by_the_clause_is_enforced(cases):
    found = problems(cases, B2B, clause("contestation_period", days="quinze"))
    (problem,) = found
    assert problem.rule == "parameter-type" and "clauses/contestation_period/standard.yaml" in problem.message


def test_strict_load_raises_with_every_error(cases):
    path = profile(cases, B2B, clause("payment_term", days=75))
    with pytest.raises(KitError) as exc:
        load_project(cases, [path])
    assert any(p.rule == "payment-term-max" for p in exc.value.problems)


def readme_rules_table() -> str:
    """The README's table of rules, as the code lists them (with the dates they apply from)."""
    severity = {"error": "erreur", "warning": "avertissement"}
    rows = ["| rule | severity | article | in force | what it checks |", "|---|---|---|---|---|"]
    rows += [f"| `{rid}` | {severity[sev]} | {article} | {in_force or '—'} | {summary} |"
             for rid, sev, article, summary, in_force in listing()]
    return "\n".join(rows)


def test_every_rule_is_listed_in_the_readme_with_its_dates():
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules:start -->\n", 1)[1].split("\n<!-- rules:end -->", 1)[0]
    assert table == readme_rules_table(), "README.md, table des règles attendue :\n" + readme_rules_table()


def test_legal_bases_point_at_the_article_not_the_whole_code():
    """A `legal_basis` link opens the article (or, for a text that is not a code, that text): never the
    whole code, where a lawyer would have to search."""
    root = Path(__file__).resolve().parent.parent
    urls = []
    for path in sorted((root / "clauses").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        urls += [(path.name, entry["url"]) for entry in (data or {}).get("legal_basis", []) if entry.get("url")]
    assert len(urls) > 50
    for name, url in urls:
        assert "/texte_lc/" not in url and not url.rstrip("/").endswith("LEGITEXT000006069565"), (name, url)
        if "legifrance.gouv.fr/codes/" in url:
            assert "/article_lc/LEGIARTI" in url or "LEGISCTA" in url, (name, url)
