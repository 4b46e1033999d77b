"""The lawyers' loop: quick CGV previews and versions a lawyer recognises."""

from __future__ import annotations

import json

import pytest
from conftest import run_main
from pypdf import PdfReader

from cgvkit.documents.pack import Article, versions_fr


def article(number: int, version: str) -> Article:
    return Article(number, "f", f"f/v{number}", version, "Titre", "texte", False, "0" * 64)


def test_versions_on_the_cover_name_the_exceptions():
    assert versions_fr([article(1, "1.0.0"), article(2, "1.0.0")]) == "clauses en version 1.0.0"
    assert versions_fr([article(1, "1.0.0"), article(2, "1.2.0"), article(3, "1.0.0")]) == \
        "clauses en version 1.0.0, sauf article 2 en 1.2.0"


@pytest.mark.slow
def test_only_cgv_prints_the_cgv_alone_apart_from_the_pack(project):
    result = run_main(project, "pack", "companies/boutique-en-ligne.yaml", "--only", "cgv")
    assert result.returncode == 0, result.stderr
    out = project / "dist" / "apercu" / "boutique-en-ligne"
    assert sorted(p.name for p in out.iterdir()) == ["cgv.html", "cgv.pdf", "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["only"] == "cgv" and "build_key" not in manifest
    assert sorted(manifest["outputs"]) == ["cgv.html", "cgv.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(out / "cgv.pdf").pages)
    assert "clauses en version 1.0.0" in text
    assert not (project / "dist" / "boutique-en-ligne").exists()


def test_only_cgv_leaves_the_letters_checks_to_the_whole_pack(project, no_pdf):
    replace(project / "ladder" / "default.yaml", "channel: sms", "channel: pigeon")
    letter = project / "templates" / "letters" / "formal_notice.html"
    letter.write_text(letter.read_text(encoding="utf-8") + "{% if %}\n", encoding="utf-8")
    preview = run_main(project, "pack", "companies/boutique-en-ligne.yaml", "--only", "cgv")
    assert preview.returncode == 0, preview.stderr
    assert (project / "dist" / "apercu" / "boutique-en-ligne" / "cgv.html").is_file()
    whole = run_main(project, "pack", "companies/boutique-en-ligne.yaml")
    assert whole.returncode == 1
    assert [f for f, *_ in located(whole, "template-syntax")] == ["templates/letters/formal_notice.html"]
    assert [f for f, *_ in located(whole, "ladder-allowed")] == ["ladder/default.yaml"]


def test_only_cgv_still_checks_the_cgv_template_and_the_company_texts(project, no_pdf):
    template = project / "templates" / "cgv.html"
    original = template.read_text(encoding="utf-8")
    template.write_text(original.replace("{% endfor %}", "", 1), encoding="utf-8")
    broken = run_main(project, "pack", "companies/boutique-en-ligne.yaml", "--only", "cgv")
    assert [f for f, *_ in located(broken, "template-syntax")] == ["templates/cgv.html"]
    template.write_text(original, encoding="utf-8")
    CASES["no-mediator-site"][0](project)
    unlawful = run_main(project, "pack", "companies/boutique-en-ligne.yaml", "--only", "cgv")
    assert unlawful.returncode == 1
    assert "companies/boutique-en-ligne.yaml" in [f for f, *_ in located(unlawful, "cgv-mediator-text")]
    assert not (project / "dist" / "apercu" / "boutique-en-ligne").exists()


# --- validate catches what a lawyer gets wrong -------------------------------------------------

ENGLISH = ("unexpected", "undefined", "attribute", "expected token", "No filter", "Encountered")


def clause(project, family: str, variant: str):
    return project / "clauses" / family / f"{variant}.yaml"


def replace(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def remove_paragraph(path, start: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(start)]
    assert len(kept) == len(lines) - 1, f"no single paragraph starting {start!r} in {path}"
    path.write_text("".join(kept), encoding="utf-8")


def located(result, rule: str) -> list[tuple[str, int, int, str]]:
    """(file, line, column, message) of each error with this rule id."""
    found = []
    for line in result.stderr.splitlines():
        if line.endswith(f"[{rule}]"):
            file, row, column, rest = line.split(":", 3)
            found.append((file, int(row), int(column), rest))
    return found


CASES = {
    "unknown-name": (lambda p: replace(clause(p, "purpose", "b2b"), "{{ company.name }}", "{{ company.nom }}"),
                     "clause-text-unknown-name", "clauses/purpose/b2b.yaml", "nom inconnu `company.nom`"),
    "unknown-filter": (lambda p: replace(clause(p, "purpose", "b2b"), "{{ company.capital|money }}",
                                         "{{ company.capital|pourcent }}"),
                       "clause-text-unknown-filter", "clauses/purpose/b2b.yaml", "filtre inconnu `pourcent`"),
    "syntax": (lambda p: replace(clause(p, "purpose", "b2b"), "{% endif %}", ""),
               "clause-text-syntax", "clauses/purpose/b2b.yaml", "texte de clause invalide"),
    "no-40-euros": (lambda p: remove_paragraph(clause(p, "late_penalties", "three_times_legal"), "Tout professionnel"),
                    "cgv-indemnity-text", "clauses/late_penalties/three_times_legal.yaml", "40 €"),
    "no-conformity": (lambda p: replace(clause(p, "warranties", "b2c"), "garantie légale de conformité",
                                        "garantie du vendeur", count=99),
                      "cgv-conformity-text", "clauses/warranties/b2c.yaml", "garantie légale de conformité"),
    "no-mediator-site": (lambda p: replace(clause(p, "mediation", "standard"), "{{ name }}, {{ url }}", "{{ name }}"),
                         "cgv-mediator-text", "companies/boutique-en-ligne.yaml", "site internet du médiateur"),
    "no-withdrawal-form": (lambda p: replace(clause(p, "withdrawal", "distance_sale"), "formulaire", "modèle", count=99),
                           "cgv-withdrawal-text", "clauses/withdrawal/distance_sale.yaml", "rétractation"),
    "l441-6": (lambda p: replace(clause(p, "late_penalties", "ecb_plus_10"), "(article L441-10 II du Code de commerce)",
                                 "(article L441-6 du Code de commerce)"),
               "cgv-l441-6-text", "clauses/late_penalties/ecb_plus_10.yaml", "L441-6"),
    "odr-link": (lambda p: replace(clause(p, "mediation", "standard"), "{{ name }}, {{ url }}",
                                   "{{ name }}, {{ url }} (https://ec.europa.eu/consumers/odr)"),
                 "odr-link", "clauses/mediation/standard.yaml", "plateforme européenne"),
    "default-against-the-law": (lambda p: replace(clause(p, "payment_term", "standard"), "default: 30", "default: 75"),
                                "payment-term-max", "clauses/payment_term/standard.yaml",
                                "valeur par défaut contraire à la loi"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_catches_mistakes_in_clause_texts(project, case):
    change, rule, file, words = CASES[case]
    change(project)
    result = run_main(project, "validate")
    assert result.returncode == 1, result.stderr
    found = located(result, rule)
    assert [f for f in found if f[0] == file], result.stderr
    assert any(words in message for f, _, _, message in found if f == file), result.stderr
    assert "Traceback" not in result.stderr
    assert not any(word in result.stderr for word in ENGLISH), result.stderr


def test_the_shipped_library_passes_every_text_check(project):
    result = run_main(project, "validate")
    assert result.returncode == 0, result.stderr
    assert "cgv-" not in result.stderr and "clause-text" not in result.stderr


def test_unknown_name_is_located_at_its_line_and_column(project):
    path = clause(project, "purpose", "b2b")
    replace(path, "{{ company.name }}", "{{ company.nom }}")
    lines = path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, 1) if "company.nom" in line)
    column = lines[row - 1].index("company.nom") + 1
    found = located(run_main(project, "validate"), "clause-text-unknown-name")
    assert [(f, r, c) for f, r, c, _ in found] == [("clauses/purpose/b2b.yaml", row, column)]
    assert "les noms disponibles sont name, legal_form" in found[0][3]


def test_default_against_the_law_points_at_the_default(project):
    path = clause(project, "payment_term", "standard")
    replace(path, "default: 30", "default: 75")
    row = next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "default: 75" in line)
    found = located(run_main(project, "validate"), "payment-term-max")
    assert ("clauses/payment_term/standard.yaml", row) in [(f, r) for f, r, _, _ in found]


def test_a_broken_variant_gives_no_false_error_in_its_family_file(project):
    replace(clause(project, "payment_term", "standard"), "type: integer", "type: entier")
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert "clauses/payment_term/standard.yaml" in result.stderr
    assert "clauses/payment_term/_family.yaml" not in result.stderr


def test_range_errors_cite_no_unrelated_article(project):
    replace(project / "companies" / "atelier-lyonnais.yaml", "contestation_period:", "contestation_period: {days: 500}\n  x_contestation_period:")
    text = (project / "companies" / "atelier-lyonnais.yaml").read_text(encoding="utf-8")
    (project / "companies" / "atelier-lyonnais.yaml").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("  x_contestation_period")) + "\n",
        encoding="utf-8")
    result = run_main(project, "validate")
    lines = [line for line in result.stderr.splitlines() if "[parameter-" in line]
    assert lines, result.stderr
    assert all("limite déclarée par clauses/contestation_period/" in line and "art." not in line for line in lines)
