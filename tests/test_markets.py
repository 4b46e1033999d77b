"""A company selling to professionals and consumers (`markets: [b2b, b2c]`): two CGV in one profile,
each checked under its market's rules, both in the pack, and every letter citing the CGV of its
debtor's market, never a B2B article or the 40 € indemnity to a consumer."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import edit, run_main
from tests.test_dunning_daily import line, write_ledger, write_rates

B2B = "companies/atelier-lyonnais.yaml"

# The consumer block: what the example consumer company (boutique-en-ligne.yaml) chooses.
CONSUMER_BLOCK = """ b2c:
  payment_term: {variant: on_order, when: commande}
  late_penalties: {variant: consumer}
  withdrawal: {variant: distance_sale, days: 14, return_costs_paid_by: consommateur, online_interface: true,
               function_location: "dans l’espace client, rubrique « Mes commandes »"}
  mediation: {name: CM2C, url: "https://www.cm2c.net"}
"""


def two_markets(root: Path) -> Path:
    """The example B2B profile turned into a company selling to both markets: its clauses under `b2b`,
    the example consumer clauses under `b2c`."""
    path = root / B2B
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8").replace("market: b2b\n", "markets: [b2b, b2c]\n")
    head, _, tail = text.partition("clauses:\n")
    block, _, rest = tail.partition("letters:\n")  # the families stay at two spaces, under ` b2b:` at one
    path.write_text(f"{head}clauses:\n b2b:\n{block}{CONSUMER_BLOCK}letters:\n{rest}", encoding="utf-8")
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["clauses"]["b2b"] == data["clauses"] and set(written["clauses"]) == {"b2b", "b2c"}
    return path


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2019", "'").split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return flat(" ".join(parser.parts))


def pdf_text(path: Path) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(path).pages))


def test_validate_checks_each_market_under_its_own_rules(project):
    two_markets(project)
    assert run_main(project, "validate").returncode == 0
    # A jurisdiction clause is void against a consumer: refused in the b2c block only, located there.
    edit(project / B2B, "  mediation: {name: CM2C", "  jurisdiction: {court: Tribunal judiciaire de Lyon}\n"
                                                  "  mediation: {name: CM2C")
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert "clauses.b2c.jurisdiction: une clause attributive de juridiction" in result.stderr
    assert "[b2c-jurisdiction]" in result.stderr and "Traceback" not in result.stderr
    assert "clauses.b2b.jurisdiction" not in result.stderr


def test_a_consumer_block_without_its_mediator_is_an_error_in_that_block(project):
    two_markets(project)
    edit(project / B2B, '  mediation: {name: CM2C, url: "https://www.cm2c.net"}\n', "")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "clauses.b2c.mediation.name" in result.stderr
    assert "[b2c-mediation]" in result.stderr


def test_clauses_must_be_sorted_by_market_and_market_excludes_markets(project):
    path = two_markets(project)
    edit(path, " b2c:\n", " b2x:\n")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "clauses.b2x" in result.stderr and "[company-markets]" in result.stderr
    edit(path, " b2x:\n", " b2c:\n")
    edit(path, "markets: [b2b, b2c]\n", "markets: [b2b, b2c]\nmarket: b2b\n")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "s’excluent" in result.stderr and "[schema-excludes]" in result.stderr
    edit(path, "markets: [b2b, b2c]\nmarket: b2b\n", "")
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert result.stderr.count("[schema-required]") == 1 and "« market » (ou « markets ») manquant" in result.stderr


def test_the_pack_holds_both_cgv_and_records_both_versions(project, no_pdf):
    two_markets(project)
    result = run_main(project, "pack", B2B)
    assert result.returncode == 0, result.stderr
    pack = project / "dist" / "atelier-lyonnais"
    b2b, b2c = html_text(pack / "cgv.html"), html_text(pack / "b2c" / "cgv.html")
    assert "Ventes entre professionnels" in b2b and "Ventes aux consommateurs" not in b2b
    assert "Ventes aux consommateurs" in b2c and "rétractation" in b2c and "CM2C" in b2c
    assert "40 €" not in b2c and "40,00 €" not in b2c and "attributive de juridiction" not in b2c
    assert (pack / "b2c" / "letters" / "formal_notice.pdf").is_file()
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert {m: v["folder"] for m, v in manifest["markets"].items()} == {"b2b": "", "b2c": "b2c/"}
    assert "b2c/cgv.html" in manifest["outputs"] and "cgv.html" in manifest["outputs"]
    blank = html_text(pack / "b2c" / "letters" / "formal_notice.html")
    assert "indemnité forfaitaire" not in blank and "taux légal" in blank
    record = yaml.safe_load((project / "data" / "cgv" / "atelier-lyonnais.yaml").read_text(encoding="utf-8"))
    assert sorted(v["market"] for v in record["versions"]) == ["b2b", "b2c"]
    assert "(b2c)" in result.stdout


def test_each_debtor_letter_cites_the_cgv_of_its_market(project):
    """A professional debtor: article 7 of the B2B CGV (late penalties) and the 40 € indemnity. A
    consumer debtor: article 6 of the consumer CGV, the legal rate from the formal notice, no
    indemnity, never a B2B article."""
    write_rates(project)
    two_markets(project)
    ledger = write_ledger(project, line(debtor="P1", number="F-P1", invoice="2026-03-01", due="2026-04-15",
                                        last="firm_letter"),
                          line(debtor="C1", name="Jeanne Martin", kind="b2c", number="F-C1", invoice="2026-03-01",
                               due="2026-03-01", amount="500.00", notice="2026-04-20", last="firm_letter"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    debtors = {d["debtor_id"]: d for d in data["debtors"]}
    assert {d: debtors[d]["stage"] for d in debtors} == {"P1": "formal_notice", "C1": "formal_notice"}
    assert debtors["P1"]["invoices"][0]["indemnity"] == "40.00"
    assert debtors["C1"]["invoices"][0]["indemnity"] == "0.00"
    letters = {d: pdf_text(project / "dist" / "run" / next(f for f in debtors[d]["documents"] if f.endswith(".pdf")))
               for d in debtors}
    assert "article 7 de nos conditions générales de vente" in letters["P1"] and "40,00 €" in letters["P1"]
    assert "article 6 de nos conditions générales de vente" in letters["C1"]
    assert "article 7" not in letters["C1"] and "40,00 €" not in letters["C1"]
    assert "taux légal à compter de la mise en demeure" in letters["C1"]


def test_a_debtor_without_a_kind_is_refused_when_the_company_sells_to_both(project):
    two_markets(project)
    ledger = write_ledger(project, line(debtor="X1", kind=""))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ledgers/test.csv:2:3: debtor_kind: type de débiteur manquant" in result.stderr
    assert "[ledger-kind-missing]" in result.stderr and not (project / "dist" / "run").exists()


def test_the_editor_schema_accepts_a_profile_with_two_markets(project):
    from tests.test_jsonschema_help import as_editor_sees, errors, generate

    two_markets(project)
    schemas = generate(project)
    data = as_editor_sees(yaml.safe_load((project / B2B).read_text(encoding="utf-8")))
    assert errors(data, schemas["company"]) == []
    assert errors({**data, "market": "b2b"}, schemas["company"])  # one of the two, never both


@pytest.mark.slow
def test_the_company_page_offers_both_cgv(built_packs, tmp_path, no_pdf):
    root = tmp_path / "project"
    shutil.copytree(built_packs, root, ignore=lambda folder, names: [n for n in names if n == "__pycache__" or (
        Path(folder) == built_packs and n == "site")])
    two_markets(root)
    result = run_main(root, "site")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = root / "site" / "generated" / "entreprises"
    assert (folder / "atelier-lyonnais" / "b2c" / "cgv.pdf").is_file()
    assert (folder / "atelier-lyonnais" / "b2c" / "lettres" / "formal_notice.pdf").is_file()
    page = html_text(folder / "atelier-lyonnais.html")
    assert "CGV entre professionnels (B2B)" in page and "CGV consommateurs (B2C)" in page
    assert "Télécharger les CGV consommateurs (B2C) (PDF)" in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "atelier-lyonnais/b2c/cgv.pdf" in index


def test_a_consumer_of_a_company_selling_to_both_gets_the_mediator_of_the_consumer_cgv(project):
    """The mediator is a clause of the consumer CGV only: the dispute reply to a consumer debtor reads
    it there (C. conso. L612-1, L616-1), not in the B2B CGV of the same profile, which have none."""
    write_rates(project)
    two_markets(project)
    ledger = write_ledger(project, line(debtor="M", name="Marie Dupont", number="W1", due="2026-04-30", kind="b2c"))
    result = run_main(project, "dunning", "note", B2B, "M", "--date", "2026-05-18", "--by", "Claire",
                      "--dispute", "Colis reçu endommagé")
    assert result.returncode == 0, result.stderr
    result = run_main(project, "dunning", "document", B2B, "M", "dispute_reply", "--ledger", ledger,
                      "--date", "2026-05-19", "-o", "dist/docs")
    assert result.returncode == 0, result.stderr
    reply = pdf_text(project / "dist" / "docs" / "M-dispute_reply-2026-05-19.pdf")
    assert "médiateur de la consommation" in reply and "CM2C" in reply and "https://www.cm2c.net" in reply


def test_the_example_selling_to_both_markets_runs_as_make_demo_runs_it(project):
    """companies/cave-des-halles.yaml and its ledger, as `make demo` uses them: a restaurant's letter
    cites the B2B CGV with the 40 € indemnity; a private customer's, the consumer CGV, without it."""
    from tests.conftest import ROOT, TWO_MARKETS_EXAMPLE

    shutil.copy2(ROOT / "companies" / TWO_MARKETS_EXAMPLE, project / "companies" / TWO_MARKETS_EXAMPLE)
    write_rates(project)
    assert run_main(project, "validate").returncode == 0
    profile = f"companies/{TWO_MARKETS_EXAMPLE}"
    result = run_main(project, "dunning", profile, "--ledger", "ledgers/cave-des-halles.csv", "--date", "2026-12-04",
                      "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    debtors = {d["debtor_id"]: d for d in data["debtors"]}
    assert {d["kind"] for d in debtors.values()} == {"b2b", "b2c"}
    restaurant = pdf_text(project / "dist" / "run" / next(f for f in debtors["R01"]["documents"] if f.endswith(".pdf")))
    private = pdf_text(project / "dist" / "run" / next(f for f in debtors["P01"]["documents"] if f.endswith(".pdf")))
    assert "40,00 €" in restaurant and "40,00 €" not in private
    assert "taux légal" in private and "article 6 de nos conditions générales de vente" in private
