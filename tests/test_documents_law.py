"""On-demand documents for one debtor (payment plan, debt acknowledgement, court cover note): the real
command on the example project, its PDF read back (pypdf, ZXing for the QR code) and its HTML parsed.

Figures are worked by hand from the example ledgers and the tests' rate table (2026-H1: ECB 2.15 %,
legal rate « autres cas » 2.62 %), on 15 June 2026:
- C003 (B2B, ledgers/example.csv): F2026-0031 1 000 € due 11 April, 65 days at 12.15 % → 21.64 €;
  F2026-0044 560.40 € due 1 May, 45 days → 8.39 €; 2 × 40 € indemnities; total 1 670.43 €.
- P102 (B2C, ledgers/boutique-en-ligne.csv): 1 249 € − 249 € paid = 1 000 €, formal notice 1 April,
  75 days at 2.62 % → 5.38 €, no indemnity; total 1 005.38 €.
"""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import cssselect2
import pytest
import tinycss2
import tinyhtml5
import zxingcpp
from conftest import run_main
from PIL import Image
from pypdf import PdfReader
from tinycss2 import color3

from cgvkit.dunning.ondemand import amount_in_words

B2B = ("atelier-lyonnais", "ledgers/example.csv")
B2C = ("boutique-en-ligne", "ledgers/boutique-en-ligne.csv")
ON = "2026-06-15"
FORBIDDEN = ("vérifier", "à confirmer", "numérotation")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


def document(project: Path, market, debtor: str, kind: str, *extra: str, ledger: str | None = None) -> dict:
    """Run `dunning document` and read back what it wrote: PDF text per page, HTML tree and text."""
    slug, example = market
    out = f"dist/docs-{debtor}-{kind}"
    result = run_main(project, "dunning", "document", f"companies/{slug}.yaml", debtor, kind,
                      "--ledger", ledger or example, "--date", ON, *extra, "-o", out)
    assert result.returncode == 0, result.stderr
    stem = project / out / f"{debtor}-{kind}-{ON}"
    pages = [flat(page.extract_text()) for page in PdfReader(stem.with_suffix(".pdf")).pages]
    html = stem.with_suffix(".html").read_text(encoding="utf-8")
    root = cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(html))
    return {"pdf": stem.with_suffix(".pdf"), "pages": pages, "text": " ".join(pages), "html": html, "root": root,
            "html_text": flat("".join(root.etree_element.itertext()))}


def texts(root, selector: str) -> list[str]:
    return [flat("".join(e.etree_element.itertext())) for e in root.query_all(selector)]


def lawful_everywhere(doc: dict, consumer: bool) -> None:
    """Nothing left to check in print, and nothing a consumer may not be charged (CPCE L111-8)."""
    for text in (doc["text"], doc["html_text"]):
        for word in FORBIDDEN:
            assert word not in text.lower(), word
        if consumer:
            assert "indemnit" not in text.lower() and "frais de recouvrement" not in text.lower()
            assert not re.search(r"(?<![\d,.])40(,00)? ?€", text)


# --- The sum in words (C. civ. 1376) ----------------------------------------------------------------

@pytest.mark.parametrize("amount, words", [
    ("1234.56", "mille deux cent trente-quatre euros et cinquante-six centimes"),
    ("1670.43", "mille six cent soixante-dix euros et quarante-trois centimes"),
    ("1", "un euro"), ("0.01", "un centime"), ("1.01", "un euro et un centime"),
    ("80.80", "quatre-vingts euros et quatre-vingts centimes"), ("71", "soixante et onze euros"),
    ("1000000", "un million d’euros"), ("2000000.50", "deux millions d’euros et cinquante centimes"),
    ("1200000", "un million deux cent mille euros"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_refuses_nothing():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("0.00"))


# --- Court cover note ----------------------------------------------------------------------------

def procedure_items(doc: dict) -> list[str]:
    """The bullets under « Quelle procédure, devant qui »."""
    heading = next(h for h in doc["root"].query_all("h2") if "Quelle procédure" in "".join(h.etree_element.itertext()))
    ul = next(e for e in heading.iter_next_siblings() if e.local_name == "ul")
    return [flat("".join(li.etree_element.itertext())) for li in ul.query_all("li")]


def never_says_reminders_suffice(doc: dict) -> None:
    for text in (doc["text"], doc["html_text"]):
        assert not re.search(r"relances[^.]*(en font la preuve|suffisent|valent tentative)", text), text


@pytest.mark.slow
def test_court_note_for_a_business_debtor(project):
    doc = document(project, B2B, "C003", "court_cover_note")
    items = procedure_items(doc)
    injunction = next(i for i in items if i.startswith("Injonction de payer"))
    assert "lieu où demeure le débiteur" in injunction and "1406" in injunction
    assert "président du tribunal de commerce" in injunction and "tribunal des activités économiques" in injunction
    assert "Lyon" in injunction and "président du tribunal judiciaire" in injunction  # a non-trader debtor
    assert any("1407" in i and "décompte" in i and "bordereau" in i for i in items)
    served = next(i for i in items if "1411" in i)
    assert "formule exécutoire" in served and "non avenue" in served and "2021-1322" in served
    assert "six mois" not in served  # the delay changed (décret n° 2026-96): no unconfirmed figure printed
    assert "1416" in served and "dans le mois qui suit la signification" in served
    small = next(i for i in items if i.startswith("Procédure simplifiée de recouvrement des petites créances"))
    assert "L125-1" in small and "accord du débiteur" in small and "R125-1" in small
    assert "à la charge exclusive du créancier" in small
    # CPC 750-1 concerns the tribunal judiciaire, not the injonction de payer nor the commercial court.
    assert "750-1" not in doc["text"] and "750-1" not in doc["html_text"]
    assert any("L110-4" in i and "livraison" in i and "18-25.036" in i for i in items)
    # Décompte per invoice (CPC 1407) and a numbered bordereau naming each invoice.
    assert "Décompte de la créance, facture par facture" in doc["text"]
    pieces = texts(doc["root"], "ul.checklist li")
    assert [p.split(" :")[0] for p in pieces] == [f"Pièce n° {n}" for n in range(1, len(pieces) + 1)]
    assert any("F2026-0031" in p for p in pieces) and any("F2026-0044" in p for p in pieces)
    assert any("mise en demeure" in p and "avis de réception" in p for p in pieces)
    assert 'class="placeholder"' not in doc["html"]
    never_says_reminders_suffice(doc)
    lawful_everywhere(doc, consumer=False)


@pytest.mark.slow
def test_court_note_over_5000_euros_has_no_small_claims_bullet(project):
    doc = document(project, B2B, "C005", "court_cover_note")  # 7 200 € and interest
    assert not any("petites créances" in i for i in procedure_items(doc))
    assert "750-1" not in doc["text"]
    lawful_everywhere(doc, consumer=False)


@pytest.mark.slow
def test_court_note_for_a_consumer_of_5000_euros_or_less(project):
    doc = document(project, B2C, "P102", "court_cover_note")  # 1 005,38 €
    items = procedure_items(doc)
    injunction = next(i for i in items if i.startswith("Injonction de payer"))
    assert "président du tribunal judiciaire" in injunction and "juge des contentieux de la protection" in injunction
    assert "tribunal de commerce" not in doc["text"]
    (prior,) = [i for i in items if "750-1" in i]
    assert "tribunal judiciaire" in prior and "hors injonction de payer" in prior and "5 000 € au plus" in prior
    for way in ("conciliation par un conciliateur de justice", "médiation", "procédure participative",
                "procédure simplifiée de recouvrement des petites créances engagée sans succès en dispense"):
        assert way in prior, way
    assert "Les relances et la mise en demeure ne remplacent pas cette tentative" in prior
    assert any("petites créances" in i and "accord du débiteur" in i for i in items)
    assert any("L218-2" in i and "20-12.520" in i for i in items)
    never_says_reminders_suffice(doc)
    lawful_everywhere(doc, consumer=True)


@pytest.mark.slow
def test_court_note_for_a_consumer_over_5000_euros(project):
    ledger = project / "ledgers" / "gros-panier.csv"
    text = (project / B2C[1]).read_text(encoding="utf-8")
    assert "CMD-2026-1092;2026-02-10;2026-02-10;1 249,00" in text
    ledger.write_text(text.replace("2026-02-10;1 249,00", "2026-02-10;6 249,00"), encoding="utf-8")
    doc = document(project, B2C, "P102", "court_cover_note", ledger="ledgers/gros-panier.csv")
    assert "6 000,00 €" in doc["text"]
    assert "750-1" not in doc["text"] and "750-1" not in doc["html_text"]
    assert not any("petites créances" in i for i in procedure_items(doc))
    lawful_everywhere(doc, consumer=True)


# --- Payment plan --------------------------------------------------------------------------------

def scanned_qr(pdf: Path, page: int, folder: Path) -> list[str]:
    """The lines of the one QR code on a PDF page, printed at 200 dpi and read by ZXing."""
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(folder / "qr")], check=True)
    (code,) = zxingcpp.read_barcodes(Image.open(folder / "qr.png"), formats=zxingcpp.BarcodeFormat.QRCode)
    return code.text.split("\n")


def terms_and_signatures_on_one_page(doc: dict, signatory: str, debtor: str) -> None:
    (page,) = [p for p in doc["pages"] if "Déchéance du terme" in p]
    for words in ("Reconnaissance de la dette", "Bon pour accord, le débiteur", signatory, debtor,
                  "Date et signature"):
        assert words in page, words


@pytest.mark.slow
def test_payment_plan_asks_for_the_first_instalment_business(project, tmp_path):
    doc = document(project, B2B, "C003", "payment_plan", "--schedule", "2026-07-15:600", "--schedule", "2026-09-15")
    text = doc["text"]
    assert "15 juillet 2026 600,00 €" in text and "15 septembre 2026 1 070,43 €" in text and "1 670,43 €" in text
    assert "Première échéance par virement de 600,00 €, au plus tard le 15 juillet 2026" in text
    lines = scanned_qr(doc["pdf"], 1, tmp_path)
    assert lines[:4] == ["BCD", "002", "2", "SCT"]
    assert Decimal(lines[7].removeprefix("EUR")) == Decimal("600.00")  # the first instalment, not 1 670,43 €
    # Acceleration after a formal notice left unanswered for the letters' delay; penalties during the plan.
    (acceleration,) = [p for p in texts(doc["root"], ".box p") if p.startswith("Déchéance du terme")]
    assert "Si elle reste sans effet pendant 8 jours à compter de sa réception" in acceleration
    penalties = next(p for p in texts(doc["root"], ".box p") if p.startswith("Pénalités de retard pendant"))
    assert "continuent de courir de plein droit sur le solde restant dû" in penalties
    assert "tant que chaque échéance est payée à sa date, nous renonçons" in penalties
    assert "cette renonciation prend fin : ces pénalités sont dues" in penalties
    assert "2240" in text and "reconnaît devoir" in text
    terms_and_signatures_on_one_page(doc, "Claire Martin", "Hôtel des Terreaux SAS")
    assert 'class="placeholder"' not in doc["html"]
    lawful_everywhere(doc, consumer=False)


@pytest.mark.slow
def test_payment_plan_for_a_consumer(project, tmp_path):
    doc = document(project, B2C, "P102", "payment_plan", "--schedule", "2026-07-15:250,50", "--schedule", "2026-08-15")
    text = doc["text"]
    assert "15 juillet 2026 250,50 €" in text and "15 août 2026 754,88 €" in text
    lines = scanned_qr(doc["pdf"], 1, tmp_path)
    assert Decimal(lines[7].removeprefix("EUR")) == Decimal("250.50")
    # Acceleration only after a formal notice left unanswered 30 days (8 and 15 days held abusive).
    # (Sentences are read in the HTML: the PDF hyphenates long words at line ends.)
    (acceleration,) = [p for p in texts(doc["root"], ".box p") if p.startswith("Déchéance du terme")]
    assert "mise en demeure par lettre recommandée avec avis de réception" in acceleration
    assert "Si elle reste sans effet pendant 30 jours à compter de sa réception" in acceleration
    assert "30 jours" in text and "8 jours" not in text and "15 jours" not in text
    (delays,) = [p for p in texts(doc["root"], ".box p") if "1343-5" in p]
    assert "dans la limite de deux années" in delays and "reporter ou échelonner" in delays
    assert "1343-5" in text and "L111-8" in text and "intérêts au taux légal" in text and "nous renonçons" in text
    terms_and_signatures_on_one_page(doc, "Julien Moreau", "M. Julien Petit")
    lawful_everywhere(doc, consumer=True)


# --- Debt acknowledgement ------------------------------------------------------------------------

YELLOW_SHEETS = ("print.css", "letters/letter.css")


def yellow_background(declarations) -> bool:
    for decl in declarations:
        if decl.type == "declaration" and decl.lower_name in ("background", "background-color"):
            for token in decl.value:
                color = color3.parse_color(token)
                if isinstance(color, color3.RGBA) and color.alpha > 0 and color.red >= 0.85 \
                        and color.green >= 0.75 and color.red - color.blue >= 0.2:
                    return True
    return False


def yellow_matcher(project: Path) -> tuple[cssselect2.Matcher, list[str]]:
    """The selectors of the letters' style sheets that paint a yellow background (highlighted blanks)."""
    matcher, found = cssselect2.Matcher(), []

    def walk(rules):
        for rule in rules:
            if rule.type == "qualified-rule":
                if yellow_background(tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)):
                    found.append(tinycss2.serialize(rule.prelude).strip())
                    for selector in cssselect2.compile_selector_list(rule.prelude):
                        matcher.add_selector(selector, found[-1])
            elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword == "media":
                walk(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True))

    for name in YELLOW_SHEETS:
        css = (project / "templates" / name).read_text(encoding="utf-8")
        walk(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True))
    return matcher, found


def yellow_elements(root, matcher) -> list[str]:
    return [f"<{e.local_name} class={sorted(e.classes)}>" for e in root.iter_subtree() if matcher.match(e)]


def test_the_yellow_detector_sees_the_placeholders(project):
    matcher, found = yellow_matcher(project)
    assert ".placeholder" in found
    root = cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(
        '<p>Signé par <span class="placeholder">[nom]</span> et <span class="keep">x</span></p>'))
    assert yellow_elements(root, matcher) == ["<span class=['placeholder']>"]


@pytest.mark.slow
def test_debt_acknowledgement_of_a_business(project):
    doc = document(project, B2B, "C003", "debt_acknowledgement")
    (box,) = texts(doc["root"], ".box")
    assert "la somme de 1 670,43 € (mille six cent soixante-dix euros et quarante-trois centimes)" in box
    assert "1 560,40 € de principal" in box
    assert "30,03 € de pénalités de retard" in box
    assert "80,00 € d’indemnités forfaitaires pour frais de recouvrement, soit 40,00 € par facture" in box
    assert "somme à parfaire" in box and "D441-5" in box
    assert "dûment habilité(e)" in box and "représentée par ……" in box
    assert "article 1376 du Code civil" in box and "en toutes lettres et en chiffres" in box
    assert len(list(doc["root"].query_all(".box .handwritten"))) >= 2  # lines for the sum and the signature
    assert "2240" in doc["text"]
    matcher, _ = yellow_matcher(project)
    assert yellow_elements(doc["root"], matcher) == []
    assert "style=" not in doc["html"]
    assert "mille six cent soixante-dix euros et quarante-trois centimes" in doc["text"]
    lawful_everywhere(doc, consumer=False)


@pytest.mark.slow
def test_debt_acknowledgement_of_a_consumer(project):
    doc = document(project, B2C, "P102", "debt_acknowledgement")
    (box,) = texts(doc["root"], ".box")
    assert "Je soussigné(e) M. Julien Petit" in box
    assert "la somme de 1 005,38 € (mille cinq euros et trente-huit centimes)" in box
    assert "5,38 € d’intérêts au taux légal depuis la mise en demeure du 1er avril 2026" in box
    assert "somme à parfaire" in box and "1376" in box
    assert "habilité" not in box
    matcher, _ = yellow_matcher(project)
    assert yellow_elements(doc["root"], matcher) == []
    lawful_everywhere(doc, consumer=True)
