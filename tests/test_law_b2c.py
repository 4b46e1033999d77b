"""Consumer CGV (issue 16 §2): the online withdrawal function, the end of Bloctel, the legal
guarantee box of the D211-2 annex, in-store sales kept apart from distance selling, the closed
list of L221-28 and the e-commerce steps of an online order.

Each case is a copy of the example project, edited as a lawyer or a clerk would, then validated
or printed by the command line; the rendered texts, HTML and PDF are read back.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tinycss2
import yaml
from conftest import edit, run_main
from pypdf import PdfReader

from cgvkit.core.templating import blocks
from cgvkit.documents.pack import articles
from cgvkit.model.project import load_project

BOUTIQUE = "companies/boutique-en-ligne.yaml"

# The annex to article D211-2 of the Code de la consommation, box A (goods other than pets), as
# Légifrance prints it (LEGIARTI000045981314, décret n° 2022-946 du 29 juin 2022). Held here a
# second time, by hand: a test reading the clause file would pass whatever the file says.
ANNEX_D211_2_A = [
    "Le consommateur dispose d'un délai de deux ans à compter de la délivrance du bien pour obtenir la mise en "
    "œuvre de la garantie légale de conformité en cas d'apparition d'un défaut de conformité.",
    "Durant ce délai, le consommateur n'est tenu d'établir que l'existence du défaut de conformité et non la date "
    "d'apparition de celui-ci.",
    "Lorsque le contrat de vente du bien prévoit la fourniture d'un contenu numérique ou d'un service numérique de "
    "manière continue pendant une durée supérieure à deux ans, la garantie légale est applicable à ce contenu "
    "numérique ou ce service numérique tout au long de la période de fourniture prévue.",
    "Durant ce délai, le consommateur n'est tenu d'établir que l'existence du défaut de conformité affectant le "
    "contenu numérique ou le service numérique et non la date d'apparition de celui-ci.",
    "La garantie légale de conformité emporte obligation pour le professionnel, le cas échéant, de fournir toutes "
    "les mises à jour nécessaires au maintien de la conformité du bien.",
    "La garantie légale de conformité donne au consommateur droit à la réparation ou au remplacement du bien dans "
    "un délai de trente jours suivant sa demande, sans frais et sans inconvénient majeur pour lui.",
    "Si le bien est réparé dans le cadre de la garantie légale de conformité, le consommateur bénéficie d'une "
    "extension de six mois de la garantie initiale.",
    "Si le consommateur demande la réparation du bien, mais que le vendeur impose le remplacement, la garantie "
    "légale de conformité est renouvelée pour une période de deux ans à compter de la date de remplacement du bien.",
    "Le consommateur peut obtenir une réduction du prix d'achat en conservant le bien ou mettre fin au contrat en "
    "se faisant rembourser intégralement contre restitution du bien, si :",
    "1° Le professionnel refuse de réparer ou de remplacer le bien ;",
    "2° La réparation ou le remplacement du bien intervient après un délai de trente jours ;",
    "3° La réparation ou le remplacement du bien occasionne un inconvénient majeur pour le consommateur, notamment "
    "lorsque le consommateur supporte définitivement les frais de reprise ou d'enlèvement du bien non conforme, ou "
    "s'il supporte les frais d'installation du bien réparé ou de remplacement ;",
    "4° La non-conformité du bien persiste en dépit de la tentative de mise en conformité du vendeur restée "
    "infructueuse.",
    "Le consommateur a également droit à une réduction du prix du bien ou à la résolution du contrat lorsque le "
    "défaut de conformité est si grave qu'il justifie que la réduction du prix ou la résolution du contrat soit "
    "immédiate.",
    "Le consommateur n'est alors pas tenu de demander la réparation ou le remplacement du bien au préalable.",
    "Le consommateur n'a pas droit à la résolution de la vente si le défaut de conformité est mineur.",
    "Toute période d'immobilisation du bien en vue de sa réparation ou de son remplacement suspend la garantie qui "
    "restait à courir jusqu'à la délivrance du bien remis en état.",
    "Les droits mentionnés ci-dessus résultent de l'application des articles L. 217-1 à L. 217-32 du code de la "
    "consommation.",
    "Le vendeur qui fait obstacle de mauvaise foi à la mise en œuvre de la garantie légale de conformité encourt une "
    "amende civile d'un montant maximal de 300 000 euros, qui peut être porté jusqu'à 10 % du chiffre d'affaires "
    "moyen annuel (article L. 241-5 du code de la consommation).",
    "Le consommateur bénéficie également de la garantie légale des vices cachés en application des articles 1641 à "
    "1649 du code civil, pendant une durée de deux ans à compter de la découverte du défaut.",
    "Cette garantie donne droit à une réduction de prix si le bien est conservé ou à un remboursement intégral "
    "contre restitution du bien.",
]

# The online paragraph of withdrawal/distance_sale, as a clause written before 19 June 2026 lacks it.
ONLINE_PARAGRAPH = re.compile(r"\n  \{% if online_interface %\}\n.*?\n  \{% endif %\}\n", re.S)
BLOCTEL = ("Le client qui ne souhaite pas faire l’objet de prospection commerciale par téléphone peut s’inscrire "
           "gratuitement sur la liste d’opposition au démarchage téléphonique, à l’adresse www.bloctel.gouv.fr.")


def key(text: str) -> str:
    """Text compared as printed: apostrophes straightened, and without spaces or hyphens (line breaks,
    hyphenation and no-break spaces differ between the source and the printed page)."""
    return re.sub(r"[\s\-\u2010\u00ad]", "", text.replace("’", "'"))


AFTER_2026_CHANGES = "2026-09-01"  # the online withdrawal function (19 June) and the end of Bloctel (11 August)


def validate(root: Path):
    """`validate` on a day both 2026 consumer rules apply (tests otherwise run on 15 June 2026)."""
    return run_main(root, "validate", "--date", AFTER_2026_CHANGES)


def found(result, rule: str) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.endswith(f"[{rule}]")]


def set_clauses(root: Path, **entries) -> None:
    """Replace (or add) clause entries of the example B2C profile."""
    path = root / BOUTIQUE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["clauses"].update(entries)
    path.write_text("# yaml-language-server: $schema=../schemas/json/company.schema.json\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def texts(root: Path, slug: str = "boutique-en-ligne") -> dict:
    """Every article of the company's CGV rendered as the pack prints it (family → text), with
    ordinary spaces for the no-break spaces typography adds."""
    project = load_project(root, [root / "companies" / f"{slug}.yaml"])
    (company,) = project.companies
    return {a.family: a.text.replace("\u00a0", " ").replace("\u202f", " ") for a in articles(company)}


def without_online_paragraph(root: Path) -> None:
    path = root / "clauses" / "withdrawal" / "distance_sale.yaml"
    text, count = ONLINE_PARAGRAPH.subn("\n", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


IN_STORE = {"withdrawal": {"variant": "not_applicable"}, "orders": {"variant": "in_store"},
            "delivery": {"variant": "in_store"}}


# --- The example project -----------------------------------------------------------------------

def test_the_example_project_validates_under_the_new_rules(project):
    result = validate(project)
    assert result.returncode == 0, result.stdout + result.stderr
    for rule in ("cgv-withdrawal-online-text", "cgv-bloctel-text", "b2c-in-store-coherence"):
        assert not found(result, rule)


# --- Online withdrawal function (C. conso. L221-21 and D221-5) ---------------------------------

def test_online_withdrawal_text_states_the_function_its_place_and_the_acknowledgement(project):
    plain = texts(project)["withdrawal"]
    assert "« renoncer au contrat ici »" in plain
    assert "« confirmer la rétractation »" in plain
    assert "dans l’espace client, rubrique « Mes commandes », sur le site https://www.comptoir-des-thes.example" in plain
    assert "accusé de réception de la rétractation sur un support durable" in plain
    assert "la date et l’heure de son envoi" in plain


def test_distance_sale_without_the_online_function_is_refused(project):
    without_online_paragraph(project)
    result = validate(project)
    assert result.returncode == 1
    errors = found(result, "cgv-withdrawal-online-text")
    # The company's CGV, and the variant itself with its defaults (an online interface).
    assert any(line.startswith("companies/boutique-en-ligne.yaml") for line in errors), errors
    assert any(line.startswith("clauses/withdrawal/distance_sale.yaml") for line in errors), errors
    assert all("renoncer au contrat ici" in line and "L221-21 et D221-5" in line for line in errors)


def test_distance_sale_without_online_interface_is_exempt(project):
    without_online_paragraph(project)
    path = project / "clauses" / "withdrawal" / "distance_sale.yaml"
    edit(path, "  online_interface:\n    type: boolean\n    default: true", "  online_interface:\n    type: boolean\n"
         "    default: false")
    set_clauses(project, withdrawal={"variant": "distance_sale", "online_interface": False})
    result = validate(project)
    assert not found(result, "cgv-withdrawal-online-text")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "renoncer au contrat ici" not in texts(project)["withdrawal"]


def test_in_store_sale_is_exempt_from_the_online_function(project):
    without_online_paragraph(project)  # the distance-sale variant is wrong, but not used by this company
    set_clauses(project, **IN_STORE)
    result = validate(project)
    assert not [line for line in found(result, "cgv-withdrawal-online-text") if line.startswith("companies/")]


def test_online_function_is_found_whatever_the_spacing(project):
    from cgvkit.law.consumer import online_withdrawal

    figures = {"withdrawal": {"variant": "distance_sale", "online_interface": True}}
    said = ("Bouton «\u00a0Renoncer\u202fau contrat ici\u00a0» … un accusé de réception sur un\nsupport durable.")
    assert list(online_withdrawal({"withdrawal": said}, figures)) == []
    assert [f for f, _ in online_withdrawal({"withdrawal": "Formulaire de rétractation."}, figures)] == ["withdrawal"]


# --- Telephone canvassing: consent, no more Bloctel (loi n° 2025-594) ----------------------------

def test_personal_data_states_the_consent_rule_without_bloctel(project):
    text = texts(project)["personal_data"]
    assert "consentement à faire l’objet de prospections commerciales" in text
    assert "exécution d’un contrat en cours" in text
    assert "bloctel" not in text.lower()


def test_a_cgv_sending_consumers_to_bloctel_is_refused_in_every_market(project):
    path = project / "clauses" / "personal_data" / "standard.yaml"
    edit(path, "  Les données sont destinées", f"  {BLOCTEL}\n\n  Les données sont destinées")
    result = validate(project)
    assert result.returncode == 1
    errors = found(result, "cgv-bloctel-text")
    assert any(line.startswith("companies/boutique-en-ligne.yaml") for line in errors), errors
    assert any(line.startswith("companies/atelier-lyonnais.yaml") for line in errors), errors
    assert all("consentement préalable" in line for line in errors)


# --- The legal guarantee box (annex to D211-2) ---------------------------------------------------

class Boxes(HTMLParser):
    """The text of every `<div class="encadre">` of a page, and the rest of the text."""

    def __init__(self):
        super().__init__()
        self.depth, self.boxes, self.outside = 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "div" and "encadre" in (dict(attrs).get("class") or "").split():
            self.depth += 1
            self.boxes.append([])
        elif self.depth and tag == "div":
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        (self.boxes[-1] if self.depth else self.outside).append(data)


def bordered(css: str, selector: str) -> bool:
    """Does the stylesheet give `selector` a visible border?"""
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == selector:
            for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
                if decl.type == "declaration" and decl.name == "border":
                    value = tinycss2.serialize(decl.value)
                    return "solid" in value and "none" not in value
    return False


@pytest.mark.slow
def test_conformity_box_is_verbatim_in_a_bordered_box_of_the_printed_cgv(project):
    result = run_main(project, "pack", BOUTIQUE, "-o", str(project / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    html = (project / "out" / "cgv.html").read_text(encoding="utf-8")
    parser = Boxes()
    parser.feed(html)
    (box,) = parser.boxes
    inside, outside = key(" ".join(box)), key(" ".join(parser.outside))
    pdf = " ".join(page.extract_text() for page in PdfReader(project / "out" / "cgv.pdf").pages)
    pdf = re.sub(r"Conditions générales de vente · [^\n]*? page \d+ / \d+", " ", pdf)  # running footers
    for sentence in ANNEX_D211_2_A:
        assert key(sentence) in inside, sentence
        assert key(sentence) not in outside, sentence
        assert key(sentence) in key(pdf), sentence
    assert bordered((project / "templates" / "cgv.css").read_text(encoding="utf-8"), "div.encadre")
    assert '<div class="encadre">' in html and html.index("Article 8 —") < html.index('<div class="encadre">')


def test_used_goods_keep_two_years_with_a_twelve_month_presumption(project):
    assert "biens d’occasion" not in texts(project)["warranties"]
    set_clauses(project, warranties={"used_goods": True})
    text = texts(project)["warranties"]
    assert "douze mois, et non de vingt-quatre mois" in text
    assert "La garantie légale de conformité d’un bien d’occasion reste de deux ans" in text
    assert "L217-7" in text


def test_warranty_guidance_cites_the_right_decree():
    from conftest import ROOT

    clause = yaml.safe_load((ROOT / "clauses" / "warranties" / "b2c.yaml").read_text(encoding="utf-8"))
    assert "décret n° 2022-946 du 29 juin 2022" in clause["guidance"]
    assert "25 mars 2022" not in clause["guidance"]


def test_boxes_are_escaped_and_do_not_nest():
    html = str(blocks("Avant\n\n> Un <b>gras</b> ;\n> - 1° premier ;\n>\n> >> pas une boîte\n\nAprès"))
    assert html.count('<div class="encadre">') == 1
    assert "&lt;b&gt;gras&lt;/b&gt;" in html and "<b>" not in html
    assert "<li>1° premier ;</li>" in html
    assert "<p>&gt;&gt; pas une boîte</p>" in html
    assert html.startswith("<p>Avant</p>") and html.endswith("<p>Après</p>")


# --- Closed list of L221-28 exceptions ---------------------------------------------------------

def test_l221_28_exceptions_are_its_closed_list_without_notamment(project):
    text = texts(project)["withdrawal"]
    paragraph = text[text.index("L’article L221-28"):].split("\n\n", 1)[0]
    lead, items = paragraph.split("\n", 1)
    assert "limitative" in lead and "notamment" not in lead
    assert "notamment" not in text
    assert "- de fourniture de biens confectionnés selon les spécifications du consommateur ou nettement " \
           "personnalisés ;" in items
    assert "- de fourniture de biens susceptibles de se détériorer ou de se périmer rapidement ;" in items


# --- E-commerce information of an online order (C. civ. 1127-1) ---------------------------------

def test_online_order_states_steps_corrections_languages_and_archiving(project):
    text = texts(project)["orders"]
    assert "le contrat est conclu selon les étapes suivantes" in text
    assert "corrige d’éventuelles erreurs de saisie avant de confirmer" in text
    assert "« commande avec obligation de paiement »" in text
    assert "Le contrat est conclu en langue française." in text
    assert "archive l’écrit qui constate le contrat" in text and "L213-1" in text
    set_clauses(project, orders={"other_languages": "anglais"})
    assert "en langue française ; il peut aussi l’être en anglais." in texts(project)["orders"]


# --- In-store sales (C. conso. L221-1 and L221-18) ----------------------------------------------

def test_in_store_sale_with_its_own_orders_and_delivery_passes(project):
    set_clauses(project, **IN_STORE)
    result = validate(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not found(result, "b2c-in-store-coherence")
    cgv = texts(project)
    assert "conclues dans le magasin du vendeur" in cgv["orders"]
    assert "commande avec obligation de paiement" not in cgv["orders"]
    assert "remis au client en magasin" in cgv["delivery"]
    assert "livrés à l’adresse indiquée" not in cgv["delivery"]


@pytest.mark.parametrize("online", ["orders", "delivery"])
def test_in_store_sale_beside_an_online_clause_is_refused(project, online):
    set_clauses(project, **{**IN_STORE, online: {"variant": "standard" if online == "orders" else "b2c"}})
    result = validate(project)
    assert result.returncode == 1
    (error,) = found(result, "b2c-in-store-coherence")
    assert error.startswith("companies/boutique-en-ligne.yaml:") and "clauses.withdrawal" in error
    assert "vente conclue en magasin" in error and "in_store" in error and "L221-1 et L221-18" in error


def test_in_store_sale_with_the_default_clauses_is_refused_for_both(project):
    set_clauses(project, withdrawal={"variant": "not_applicable"})
    result = validate(project)
    assert result.returncode == 1
    errors = found(result, "b2c-in-store-coherence")
    assert len(errors) == 2 and any("commandes" in e for e in errors) and any("livraison" in e for e in errors)


@pytest.mark.parametrize("family", ["orders", "delivery"])
def test_in_store_clause_in_distance_selling_cgv_is_refused(project, family):
    set_clauses(project, **{family: {"variant": "in_store"}})
    result = validate(project)
    assert result.returncode == 1
    (error,) = found(result, "b2c-in-store-coherence")
    assert "vente à distance" in error and "not_applicable" in error
