"""Every rule id of the clause-file, template and letter checks, triggered from real files.

Library and template mistakes are planted together in one project copy, company mistakes in
several profiles of another: one `validate` each reports them all at once, and each row of the
tables finds its own problem, located on the line that holds the mistake.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, edit, run_main

LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+):(?: (?P<path>[\w.\[\]-]+):)? (?P<message>.+) "
                  r"\[(?P<rule>[a-z0-9-]+)\]$")

# (file, old, new): one mistake each, in files no other mistake touches the same key of.
LIBRARY_MISTAKES = [
    ("clauses/applicable_law/_family.yaml", "family: applicable_law", "family: applicable_laws"),
    ("clauses/withdrawal/_family.yaml", "required: [b2c]", "required: [b2b, b2c]"),
    ("clauses/force_majeure/_family.yaml", "default: {b2b: standard, b2c: standard}",
     "default: {b2b: inexistante, b2c: standard}"),
    ("clauses/delivery/_family.yaml", "default: {b2b: b2b, b2c: b2c}", "default: {b2b: b2c, b2c: b2c}"),
    ("clauses/prices/_family.yaml", "default: {b2b: b2b, b2c: b2c}", "default: {b2b: b2b}"),
    ("clauses/liability/standard.yaml", "id: liability/standard", "id: liability/autre"),
    ("clauses/mediation/standard.yaml", "family: mediation", "family: jurisdiction"),
    ("clauses/contestation_period/standard.yaml", "markets: [b2b]", "markets: [b2b, b2c]"),
    ("clauses/personal_data/standard.yaml", "valid_from: 2018-05-25", "valid_from: 2018-05-25\nvalid_to: 2018-01-01"),
    ("clauses/warranties/b2b.yaml", "text: |\n", "text: |\n  Premier paragraphe.\n\n  Puis {% if %} ici.\n"),
    ("clauses/orders/standard.yaml", "text: |\n", "text: |\n  Voir {{ inconnu }}.\n"),
    ("clauses/payment_term/standard.yaml", "    allowed: [fin_de_mois_apres, apres_fin_de_mois]\n", ""),
    ("clauses/contestation_period/standard.yaml", "    min: 1\n", "    allowed: [15, 30]\n    min: 1\n"),
    ("clauses/withdrawal/distance_sale.yaml", "    allowed: [consommateur, vendeur]\n",
     "    allowed: [consommateur, vendeur]\n    min: 1\n"),
    ("clauses/late_penalties/fixed_rate.yaml", "    min: 0\n    max: 100\n", "    min: 50\n    max: 10\n"),
    ("clauses/late_penalties/three_times_legal.yaml", "    default: 3\n", "    default: -1\n"),
    ("templates/cgv.html", "</body>", "{% if %}\n</body>"),
]

# rule, file, key path, text of the reported line, words of the message
LIBRARY_RULES = [
    ("family-name", "clauses/applicable_law/_family.yaml", "family", "family: applicable_laws",
     "ne correspond pas au dossier « applicable_law »"),
    ("family-markets", "clauses/withdrawal/_family.yaml", "required", "required: [b2b, b2c]",
     "le marché b2b est exigé mais absent de `markets`"),
    ("family-default", "clauses/force_majeure/_family.yaml", "default.b2b", "inexistante",
     "la variante par défaut « inexistante » n’existe pas"),
    ("family-default", "clauses/delivery/_family.yaml", "default.b2b", "default: {b2b: b2c",
     "la variante « b2c » n’est pas prévue pour le marché b2b"),
    ("family-default", "clauses/prices/_family.yaml", "default", "default: {b2b: b2b}",
     "aucune variante par défaut pour le marché b2c"),
    ("clause-id", "clauses/liability/standard.yaml", "id", "id: liability/autre", "« liability/standard »"),
    ("clause-family", "clauses/mediation/standard.yaml", "family", "family: jurisdiction", "« mediation »"),
    ("clause-markets", "clauses/contestation_period/standard.yaml", "markets[1]", "markets: [b2b, b2c]",
     "le marché b2c n’est pas ouvert pour la famille contestation_period"),
    ("clause-dates", "clauses/personal_data/standard.yaml", "valid_to", "valid_to: 2018-01-01",
     "la date de fin précède la date de début"),
    ("clause-text-syntax", "clauses/warranties/b2b.yaml", "text", "Puis {% if %} ici.", "texte de clause invalide"),
    ("clause-text-unknown-name", "clauses/orders/standard.yaml", "text", "text: |", "« inconnu »"),
    ("parameter-declaration", "clauses/payment_term/standard.yaml", "parameters.eom_method.type", "type: enum",
     "un paramètre enum doit lister ses valeurs dans `allowed`"),
    ("parameter-declaration", "clauses/contestation_period/standard.yaml", "parameters.days.allowed",
     "allowed: [15, 30]", "`allowed` n’a de sens que pour enum ou string"),
    ("parameter-declaration", "clauses/withdrawal/distance_sale.yaml", "parameters.return_costs_paid_by.min",
     "min: 1", "`min` n’a de sens que pour un nombre"),
    ("parameter-declaration", "clauses/late_penalties/fixed_rate.yaml", "parameters.rate.max", "max: 10",
     "le maximum est inférieur au minimum"),
    ("parameter-default", "clauses/late_penalties/three_times_legal.yaml", "parameters.multiplier.default",
     "default: -1", "valeur par défaut invalide"),
    ("template-syntax", "templates/cgv.html", None, "{% if %}", "gabarit invalide"),
]

# (profile file, old, new) applied to the B2B example; one mistake per profile.
COMPANY_MISTAKES = {
    "inconnue": ("  jurisdiction:", "  inconnue: {}\n  jurisdiction:"),
    "famille-b2c": ("  jurisdiction:", "  withdrawal: {}\n  jurisdiction:"),
    "variante-b2c": ("  jurisdiction:", "  prices: {variant: b2c}\n  jurisdiction:"),
    "variante-inconnue": ("{variant: extended}", "{variant: etendue}"),
    "validite": ("effective_date: 2026-01-01", "effective_date: 2021-06-01"),
    "type": ("contestation_period: {days: 15}", "contestation_period: {days: quinze}"),
    "min": ("contestation_period: {days: 15}", "contestation_period: {days: 0}"),
    "max": ("contestation_period: {days: 15}", "contestation_period: {days: 91}"),
    "allowed": ("end_of_month: false}", "end_of_month: false, eom_method: chaque_mois}"),
    "unknown": ("contestation_period: {days: 15}", "contestation_period: {dayz: 15}"),
    "required": ("jurisdiction: {court: Tribunal des activités économiques de Lyon,", "jurisdiction: {"),
    "empty": ("jurisdiction: {court: Tribunal des activités économiques de Lyon,", "jurisdiction: {court: '',"),
}

COMPANY_RULES = [
    ("clause-unknown-family", "inconnue", "clauses.inconnue", "inconnue: {}", "famille de clauses inconnue"),
    ("clause-market", "famille-b2c", "clauses.withdrawal", "withdrawal: {}",
     "la famille « withdrawal » n’est pas prévue pour le marché b2b"),
    ("clause-market", "variante-b2c", "clauses.prices.variant", "prices: {variant: b2c}",
     "la variante prices/b2c n’est pas prévue pour le marché b2b"),
    ("clause-unknown-variant", "variante-inconnue", "clauses.retention_of_title.variant", "etendue",
     "variante inconnue « etendue » pour retention_of_title (variantes : extended, standard)"),
    ("clause-validity", "validite", "effective_date", "effective_date: 2021-06-01",
     "la variante retention_of_title/extended n’est pas en vigueur à cette date"),
    ("parameter-type", "type", "clauses.contestation_period.days", "quinze",
     "« quinze » n’est pas un nombre entier — limite déclarée par clauses/contestation_period/standard.yaml"),
    ("parameter-min", "min", "clauses.contestation_period.days", "days: 0", "« 0 » est inférieur au minimum 1"),
    ("parameter-max", "max", "clauses.contestation_period.days", "days: 91", "« 91 » dépasse le maximum 90"),
    ("parameter-allowed", "allowed", "clauses.payment_term.eom_method", "chaque_mois",
     "« chaque_mois » n’est pas une valeur permise"),
    ("parameter-unknown", "unknown", "clauses.contestation_period.dayz", "dayz: 15", "champ inconnu « dayz »"),
    ("parameter-required", "required", "clauses.jurisdiction.court", "jurisdiction: { exclude_cisg: true}",
     "champ obligatoire « court » manquant — limite déclarée par clauses/jurisdiction/standard.yaml"),
    ("parameter-empty", "empty", "clauses.jurisdiction.court", "court: ''", "ce champ ne peut pas être vide"),
]


def reported(result) -> list[dict]:
    """The problem lines of a run's stderr, parsed; the run must have failed with exit 1."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return [m.groupdict() for m in map(LINE.match, result.stderr.splitlines()) if m]


def located(root: Path, problems: list[dict], rule, file, path, text, words) -> dict:
    """The one problem of `rule` in `file` at `path`; its line holds `text`, its message `words`."""
    (problem,) = [p for p in problems if (p["rule"], p["file"], p["path"]) == (rule, file, path)]
    line = (root / file).read_text(encoding="utf-8").splitlines()[int(problem["line"]) - 1]
    assert text in line, (line, problem)
    assert words in problem["message"].replace("\u00a0", " "), problem
    return problem


@pytest.fixture(scope="module")
def library_run(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("library") / "project")
    for file, old, new in LIBRARY_MISTAKES:
        edit(root / file, old, new)
    (root / "clauses" / "sans_famille").mkdir()
    shutil.copy2(root / "clauses" / "liability" / "standard.yaml", root / "clauses" / "sans_famille" / "texte.yaml")
    return root, reported(run_main(root, "validate"))


@pytest.mark.parametrize("rule,file,path,text,words", LIBRARY_RULES, ids=[f"{r[0]}:{r[1]}" for r in LIBRARY_RULES])
def test_library_and_template_rule(library_run, rule, file, path, text, words):
    root, problems = library_run
    located(root, problems, rule, file, path, text, words)


def test_folder_without_family_file(library_run):
    _, problems = library_run
    (problem,) = [p for p in problems if p["rule"] == "family-missing"]
    assert (problem["file"], problem["line"], problem["path"]) == ("clauses/sans_famille/_family.yaml", "1", None)
    assert "fichier de famille manquant" in problem["message"]


def test_library_run_reports_every_mistake_and_nothing_else(library_run):
    _, problems = library_run
    expected = {(rule, file, path) for rule, file, path, *_ in LIBRARY_RULES}
    expected.add(("family-missing", "clauses/sans_famille/_family.yaml", None))
    assert len(problems) == len(expected)
    assert {(p["rule"], p["file"], p["path"]) for p in problems} == expected


@pytest.fixture(scope="module")
def company_run(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("companies") / "project")
    example = (root / "companies" / "atelier-lyonnais.yaml").read_text(encoding="utf-8")
    for name, (old, new) in COMPANY_MISTAKES.items():
        assert old in example, old
        (root / "companies" / f"{name}.yaml").write_text(example.replace(old, new, 1), encoding="utf-8")
    return root, reported(run_main(root, "validate"))


@pytest.mark.parametrize("rule,name,path,text,words", COMPANY_RULES, ids=[r[0] + ":" + r[1] for r in COMPANY_RULES])
def test_company_rule(company_run, rule, name, path, text, words):
    root, problems = company_run
    located(root, problems, rule, f"companies/{name}.yaml", path, text, words)


def test_company_run_reports_one_problem_per_profile(company_run):
    _, problems = company_run
    assert sorted(p["file"] for p in problems) == sorted(f"companies/{name}.yaml" for name in COMPANY_MISTAKES)


# --- checks made while rendering: clause texts, letter templates ------------------------------

def test_clause_text_that_cannot_render_for_a_company(project):
    """`article("withdrawal")` compiles, but a B2B CGV has no withdrawal article."""
    edit(project / "clauses" / "liability" / "standard.yaml", "text: |\n",
         "text: |\n  Voir l’article {{ article(\"withdrawal\") }}.\n")
    problems = reported(run_main(project, "pack", "companies/atelier-lyonnais.yaml"))
    # Found twice at validate time: with the variant's defaults, and for the company that uses it.
    for words in ("avec les valeurs par défaut (CGV entre professionnels)", "pour atelier-lyonnais"):
        located(project, [p for p in problems if words in p["message"].replace("\u00a0", " ")], "clause-text-render",
                "clauses/liability/standard.yaml", "text", "{{ article(\"withdrawal\") }}",
                "le texte ne peut pas être rendu")
    assert not (project / "dist").exists()


def test_letter_template_that_cannot_render(project, no_pdf):
    edit(project / "templates" / "letters" / "firm_letter.html", "{% block object %}", "{% block object %}{{ nom_inconnu }}")
    problems = reported(run_main(project, "pack", "companies/atelier-lyonnais.yaml"))
    located(project, problems, "letter-template", "ladder/default.yaml", "stages[3].id", "id: firm_letter",
            "gabarit « templates/letters/firm_letter.html » inutilisable pour l'étape « firm_letter »")
    assert not (project / "dist" / "atelier-lyonnais").exists()


def test_email_without_subject_line(project, no_pdf):
    path = project / "templates" / "letters" / "first_reminder.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Objet", "Sujet", 1), encoding="utf-8")
    problems = reported(run_main(project, "pack", "companies/atelier-lyonnais.yaml"))
    located(project, problems, "email-subject", "ladder/default.yaml", "stages[1].channel", "channel: email",
            "le courriel doit commencer par « Objet : »")


def test_merge_refuses_a_pack_in_two_shards(project):
    dist = project / "dist"
    dist.mkdir()
    for index in (1, 2):
        (dist / f"index-shard-{index}-of-2.json").write_text(json.dumps(
            {"shard": [index, 2], "packs": {"atelier-lyonnais": {"status": "rendered"}}}), encoding="utf-8")
    problems = reported(run_main(project, "merge"))
    (problem,) = problems
    assert problem["rule"] == "shard-overlap" and problem["path"] == "atelier-lyonnais"
    assert problem["file"].endswith("dist/index-shard-2-of-2.json")  # (printed as an absolute path today)
    assert "figure dans deux lots" in problem["message"]
    assert not (dist / "index.json").exists()
