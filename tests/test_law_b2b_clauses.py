"""The B2B clause library against the law: the transport cap, the fixed 40 € indemnity, 8-day claim
periods, retention of title accepted before delivery, the tribunaux des activités économiques, the
Vienna Convention, and the new optional families (imputation of payments, suspension on late payment,
the annex for micro-businesses canvassed off premises). Real profiles in, real HTML and PDF out."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import edit, run_main
from pypdf import PdfReader

COMPANY = "companies/atelier-lyonnais.yaml"
LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.\[\]-]+): (?P<message>.+) "
                  r"\[(?P<rule>[a-z0-9-]+)\]$")
FORM = ("Je/Nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du contrat portant sur la "
        "vente du bien (*) ci-dessous")
# The families this work owns (issue 16 §3): their legal bases point at the article, not the whole code.
OWN = ("payment_term", "late_penalties", "jurisdiction", "retention_of_title", "contestation_period",
       "applicable_law", "force_majeure", "liability", "payment_imputation", "payment_suspension",
       "micro_business_off_premises")
OWN_B2B = ("prices/b2b.yaml", "purpose/b2b.yaml", "warranties/b2b.yaml", "delivery/b2b.yaml")
# Where no article identifier could be confirmed, the Légifrance section that holds the article;
# texts that are not codes have their own address.
ARTICLE = re.compile(r"^https://www\.legifrance\.gouv\.fr/codes/article_lc/LEGIARTI\d{12}$")
ALLOWED_OTHERS = {
    "https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000006070721/LEGISCTA000032035235/",  # C. civ. 1342-10
    "https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000006070721/LEGISCTA000032035257/",  # C. civ. 1343-1
    "https://www.legifrance.gouv.fr/codes/id/LEGISCTA000032009921",  # C. civ. 1219 and 1220
    "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000049889657",  # arrêté du 5 juillet 2024
    "https://uncitral.un.org/fr/texts/salegoods/conventions/sale_of_goods/cisg",  # Vienna Convention
    "https://eur-lex.europa.eu/eli/reg/2008/593/oj",  # Rome I
}


def set_clause(project: Path, family: str, entry: str) -> None:
    """Replace (or add) one family's line in the B2B example profile."""
    path = project / COMPANY
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(f"  {family}:"):
            lines[i] = f"  {family}: {entry}"
            break
    else:
        lines.insert(lines.index("clauses:") + 1, f"  {family}: {entry}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def refused(result, rule: str) -> dict:
    """The one located error of `rule` in the example profile; the run failed with exit 1."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    found = [m.groupdict() for m in map(LINE.match, result.stderr.splitlines()) if m and m["rule"] == rule]
    assert len(found) == 1, result.stderr
    assert found[0]["file"] == COMPANY
    return found[0]


def line_of(project: Path, problem: dict) -> str:
    return (project / COMPANY).read_text(encoding="utf-8").splitlines()[int(problem["line"]) - 1]


class Sections(HTMLParser):
    """Each article's text by the id of its clause (`data-clause`)."""

    def __init__(self):
        super().__init__()
        self.texts, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-clause" in attrs:
            self.current = attrs["data-clause"]
            self.texts[self.current] = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.current:
            self.texts[self.current] += data


def flat(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def cgv_sections(project: Path) -> dict:
    """The example's CGV as `pack` renders them to HTML (nothing printed), article texts by clause id."""
    from cgvkit.documents.pack import articles, cgv_html
    from cgvkit.model.project import load_project

    loaded = load_project(project, [project / COMPANY])
    (company,) = loaded.companies
    parser = Sections()
    parser.feed(cgv_html(loaded, company, articles(company)))
    return {key: flat(text) for key, text in parser.texts.items()}


# --- Point 1: the transport cap of C. com. L441-11 II, never more than 30 days -----------------------

def test_the_transport_variant_refuses_45_days_at_the_profile_line(project):
    set_clause(project, "payment_term", "{variant: transport, days: 45}")
    problem = refused(run_main(project, "validate"), "payment-term-sector-cap")
    assert problem["path"] == "clauses.payment_term.days" and "days: 45" in line_of(project, problem)
    assert "45 jours dépasse le plafond de 30 jours" in problem["message"] and "L441-11 II" in problem["message"]


def test_the_transport_variant_prints_the_legal_cap_with_its_article(project):
    set_clause(project, "payment_term", "{variant: transport}")
    result = run_main(project, "validate")
    assert result.returncode == 0, result.stderr
    text = cgv_sections(project)["payment_term/transport"]
    assert "payables à 30 jours à compter de leur date d’émission" in text
    assert "délai maximal de trente jours" in text and "article L441-11 II du Code de commerce" in text
    declared = yaml.safe_load((project / "clauses/payment_term/transport.yaml").read_text(encoding="utf-8"))
    assert declared["parameters"]["days"]["default"] <= 30  # the cap itself is the law's rule (payment-term-sector-cap)


# --- Point 5: D441-5 fixes the indemnity at 40 € --------------------------------------------------------

@pytest.mark.parametrize("variant", ["ecb_plus_10", "three_times_legal"])
def test_the_indemnity_parameter_refuses_50(project, variant):
    set_clause(project, "late_penalties", f"{{variant: {variant}, indemnity: 50}}")
    problem = refused(run_main(project, "validate"), "b2b-indemnity")
    assert problem["path"] == "clauses.late_penalties.indemnity" and "indemnity: 50" in line_of(project, problem)
    assert "fixée à 40 €" in problem["message"] and "D441-5" in problem["message"]


def test_the_indemnity_text_says_fixed_and_the_complementary_indemnity_on_proof(project):
    text = cgv_sections(project)["late_penalties/ecb_plus_10"]
    assert "dont le montant est fixé à 40,00 € par facture payée en retard" in text
    assert "articles L441-10 II et D441-5 du Code de commerce" in text
    assert "sur justification, une indemnisation complémentaire (article L441-10 II du même code)" in text


# --- Point 6: at least 8 days to contest an invoice or to claim at delivery ---------------------------

def test_a_contestation_period_of_5_days_is_refused(project):
    set_clause(project, "contestation_period", "{days: 5}")
    problem = refused(run_main(project, "validate"), "claim-period-min")
    assert problem["path"] == "clauses.contestation_period.days" and "days: 5" in line_of(project, problem)
    assert "au moins 8 jours" in problem["message"] and "L442-1" in problem["message"]


def test_a_claim_period_of_5_days_at_delivery_is_refused(project):
    set_clause(project, "warranties", "{claim_days: 5}")
    problem = refused(run_main(project, "validate"), "claim-period-min")
    assert problem["path"] == "clauses.warranties.claim_days" and "au moins 8 jours" in problem["message"]


def test_eight_days_are_accepted_and_printed(project):
    set_clause(project, "contestation_period", "{days: 8}")
    set_clause(project, "warranties", "{claim_days: 8}")
    assert run_main(project, "validate").returncode == 0
    texts = cgv_sections(project)
    assert "dans un délai de 8 jours à compter de sa réception" in texts["contestation_period/standard"]
    assert "dans un délai de 8 jours suivant la livraison" in texts["warranties/b2b"]


# --- Point 2: retention of title only with CGV accepted in writing at the latest at delivery ----------

def test_retention_of_title_says_when_it_is_enforceable(project):
    text = cgv_sections(project)["retention_of_title/extended"]
    assert "convenue par écrit (article 2368 du Code civil)" in text
    assert "acceptée au plus tard au moment de la livraison (article L624-16 du Code de commerce)" in text


def test_retention_of_title_without_acceptance_before_delivery_is_refused(project):
    set_clause(project, "orders", "{accepted_before_delivery: false}")
    problem = refused(run_main(project, "validate"), "retention-acceptance")
    assert problem["path"] == "clauses.retention_of_title"
    assert "au plus tard à la livraison" in problem["message"]


# --- Point 3: tribunaux des activités économiques; point 7: the Vienna Convention ---------------------

def test_the_example_names_the_tribunal_des_activites_economiques_and_excludes_the_cisg(project):
    text = cgv_sections(project)["jurisdiction/standard"]
    assert "compétence exclusive du Tribunal des activités économiques de Lyon" in text
    assert ("soumises au droit français, à l’exclusion de la Convention des Nations unies sur les contrats de "
            "vente internationale de marchandises conclue à Vienne le 11 avril 1980.") in text


def test_without_exclude_cisg_the_law_clause_says_nothing_of_vienna(project):
    set_clause(project, "jurisdiction", "{court: Tribunal de commerce de Bordeaux}")
    assert run_main(project, "validate").returncode == 0
    text = cgv_sections(project)["jurisdiction/standard"]
    assert "soumises au droit français." in text and "Vienne" not in text


def test_the_old_name_of_the_lyon_court_is_refused(project):
    set_clause(project, "jurisdiction", "{court: Tribunal de commerce de Lyon}")
    problem = refused(run_main(project, "validate"), "jurisdiction-tae")
    assert problem["path"] == "clauses.jurisdiction.court"
    assert "« Tribunal des activités économiques de Lyon »" in problem["message"]


# --- Points 4 and 7: the new optional families ------------------------------------------------------

def test_the_micro_business_annex_contains_the_withdrawal_form_last(project):
    texts = cgv_sections(project)
    assert list(texts)[-1] == "micro_business_off_premises/standard"  # printed last, as an annex
    annex = texts["micro_business_off_premises/standard"]
    assert "cinq salariés au plus" in annex and "article L221-3 du Code de la consommation" in annex
    assert "délai de 14 jours pour exercer son droit de rétractation" in annex
    assert "modèle annexé à l’article R221-1 du Code de la consommation" in annex
    assert FORM in annex
    for line in ("À l’attention de : Atelier Lyonnais de Menuiserie, 12 rue de la Charité, 69002 Lyon",
                 "Commandé le (*) / reçu le (*) :", "Nom du (des) consommateur(s) :",
                 "Signature du (des) consommateur(s) (uniquement en cas de notification du présent formulaire sur "
                 "papier) :", "(*) Rayer la mention inutile."):
        assert line in annex, line


def test_the_new_families_are_optional_and_b2b_only(project):
    edit(project / COMPANY, "  payment_imputation: {}\n", "")
    edit(project / COMPANY, "  payment_suspension: {notice_days: 8}\n", "")
    edit(project / COMPANY, "  micro_business_off_premises: {}\n", "")
    assert run_main(project, "validate").returncode == 0
    texts = cgv_sections(project)
    assert not {"payment_imputation/standard", "payment_suspension/standard",
                "micro_business_off_premises/standard"} & set(texts)
    consumer = project / "companies" / "boutique-en-ligne.yaml"
    edit(consumer, "clauses:\n", "clauses:\n  payment_suspension: {}\n")
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert "la famille « payment_suspension » n’est pas prévue pour le marché b2c" in flat(result.stderr)


def test_suspension_keeps_the_legal_guarantees_and_can_leave_the_contractual_ones(project):
    text = cgv_sections(project)["payment_suspension/standard"]
    assert "mise en demeure de payer restée sans effet pendant 8 jours" in text
    assert "garanties contractuelles" in text and "Les garanties légales dues par le vendeur ne sont pas suspendues." in text
    assert "(article 1219 du Code civil)" in text and "(article 1220 du Code civil)" in text
    set_clause(project, "payment_suspension", "{notice_days: 15, suspend_guarantees: false}")
    text = cgv_sections(project)["payment_suspension/standard"]
    assert "pendant 15 jours" in text and "garanties" not in text


def test_imputation_oldest_invoices_first_accessories_before_principal(project):
    text = cgv_sections(project)["payment_imputation/standard"]
    assert "Conformément à l’article 1342-10 du Code civil" in text
    assert "d’abord sur les factures échues, en commençant par la plus ancienne" in text
    assert ("d’abord sur les pénalités de retard, puis sur l’indemnité forfaitaire pour frais de recouvrement, et "
            "enfin sur le principal ; les pénalités et l’indemnité sont celles de l’article 7") in text


@pytest.mark.slow
def test_the_example_pack_pdf_shows_the_new_families(project, tmp_path):
    out = tmp_path / "pack"
    result = run_main(project, "pack", COMPANY, "-o", str(out))
    assert result.returncode == 0, result.stderr
    pdf = flat(" ".join(page.extract_text() for page in PdfReader(out / "cgv.pdf").pages))
    pdf = re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", pdf)  # words hyphenated at the end of a printed line
    for title in ("Article 8 — Imputation des paiements", "Article 9 — Suspension en cas de retard de paiement",
                  "Article 16 — Annexe : contrats conclus hors établissement avec un professionnel de cinq salariés"):
        assert title in pdf, title
    assert "Tribunal des activités économiques de Lyon" in pdf
    assert "à l’exclusion de la Convention des Nations unies sur les contrats de vente internationale" in pdf
    assert "s’imputent d’abord sur les factures échues" in pdf
    assert "Formulaire de rétractation (modèle annexé à l’article R221-1 du Code de la consommation)" in pdf
    assert "Je/Nous (*) vous notifie/notifions (*)" in pdf and "(*) Rayer la mention inutile." in pdf
    assert "40,00 €" in pdf and "L441-6" not in pdf


# --- Points 8 and 9: the library this work owns -------------------------------------------------------

def own_files(root: Path) -> list[Path]:
    files = [p for family in OWN for p in sorted((root / "clauses" / family).glob("*.yaml"))]
    return files + [root / "clauses" / name for name in OWN_B2B]


def test_legal_bases_point_at_the_article_and_nothing_is_left_to_check(project):
    files = own_files(project)
    assert len(files) > 25
    for path in files:
        raw = path.read_text(encoding="utf-8")
        for marker in ("à vérifier", "à confirmer", "L441-6", "texte_lc/LEGITEXT"):
            assert marker not in raw, (path.name, marker)
        data = yaml.safe_load(raw)
        for basis in data.get("legal_basis", []):
            assert ARTICLE.match(basis["url"]) or basis["url"] in ALLOWED_OTHERS, (path, basis)
