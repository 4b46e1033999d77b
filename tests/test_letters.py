"""Letters in the packs and from the dunning run: read back, and checked against the company's CGV."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from conftest import run_main
from PIL import Image
from pypdf import PdfReader

from cgvkit.core.french import money, percent
from cgvkit.core.sms import segments
from cgvkit.law.penalties import indemnity_amount, rate_rule
from cgvkit.model.project import load_project

B2B, B2C = "atelier-lyonnais", "boutique-en-ligne"
PRINTED = ("firm_letter", "formal_notice", "final_notice", "payment_plan", "debt_acknowledgement", "court_cover_note")
TEXTS = ("pre_due", "first_reminder", "second_reminder", "second_reminder-email")


def pdf_text(path: Path) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def company(root: Path, slug: str):
    return load_project(root, [root / "companies" / f"{slug}.yaml"]).companies[0]


@pytest.mark.parametrize("slug", [B2B, B2C])
def test_every_pack_has_the_ladder_letters(built_packs, slug):
    letters = built_packs / "dist" / slug / "letters"
    for stem in PRINTED:
        assert (letters / f"{stem}.html").is_file() and (letters / f"{stem}.pdf").is_file()
    for stem in TEXTS:
        assert (letters / f"{stem}.txt").is_file()
    manifest = json.loads((built_packs / "dist" / slug / "manifest.json").read_text(encoding="utf-8"))
    assert "letters/formal_notice.pdf" in manifest["outputs"]


def test_b2b_letters_quote_the_same_rate_and_indemnity_as_the_cgv(built_packs):
    co = company(built_packs, B2B)
    rate = flat(percent(rate_rule(co).annual_rate(co.rates)))
    indemnity = flat(money(indemnity_amount(co)))
    cgv = pdf_text(built_packs / "dist" / B2B / "cgv.pdf")
    assert rate in cgv and indemnity in cgv
    for stem in ("firm_letter", "formal_notice", "final_notice"):
        text = pdf_text(built_packs / "dist" / B2B / "letters" / f"{stem}.pdf")
        assert rate in text and indemnity in text, stem
        assert f"article {co.articles['late_penalties']}" in text
        assert "365 jours" in text  # the computation convention (cgvkit/law/interest.py)
    email = flat((built_packs / "dist" / B2B / "letters" / "first_reminder.txt").read_text(encoding="utf-8"))
    assert rate in email and indemnity in email


def test_formal_notice_says_what_the_law_requires(built_packs):
    text = pdf_text(built_packs / "dist" / B2B / "letters" / "formal_notice.pdf")
    for words in ("MISE EN DEMEURE", "1344 du Code civil", "avis de réception", "à compter de la réception",
                  "SIREN", "[Nom du débiteur]"):
        assert words.lower() in text.lower(), words


def without_identity(text: str, co) -> str:
    ident = co.identity
    for value in (ident["siren"], ident["rcs"], ident["phone"], ident["iban"], ident["address"]["postal_code"],
                  ident["address"]["street"], ident.get("vat_number", "")):
        if value:
            text = text.replace(value, "").replace(" ".join(value[i:i + 4] for i in range(0, len(value), 4)), "")
    return text


def test_b2c_letters_never_claim_the_indemnity_nor_fees(built_packs):
    co = company(built_packs, B2C)
    letters = built_packs / "dist" / B2C / "letters"
    texts = [pdf_text(letters / f"{s}.pdf") for s in PRINTED] + \
            [flat((letters / f"{s}.txt").read_text(encoding="utf-8")) for s in TEXTS]
    for text in texts:
        clean = without_identity(text, co)
        assert not re.search(r"(?<![\d,])40(?![\d])", clean), clean
        assert "indemnité forfaitaire" not in text and "frais de recouvrement" not in text
    assert "taux légal" in pdf_text(letters / "formal_notice.pdf")


def test_blank_text_templates(built_packs):
    letters = built_packs / "dist" / B2B / "letters"
    sms = (letters / "pre_due.txt").read_text(encoding="utf-8")
    assert segments(sms)[0] <= 2 and "\u00a0" not in sms
    for stem in ("first_reminder", "second_reminder-email"):
        first = (letters / f"{stem}.txt").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("Objet") and len(first) > 10
    assert "[Nom du débiteur]" in (letters / "second_reminder.txt").read_text(encoding="utf-8")
    html = (letters / "formal_notice.html").read_text(encoding="utf-8")
    assert '<span class="placeholder">[Nom du débiteur]</span>' in html


@pytest.fixture(scope="module")
def dunning(built_packs):
    result = run_main(built_packs, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/example.csv",
                      "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    return built_packs / "dist" / "run"


def test_dunning_run_writes_plan_and_letters(dunning, built_packs):
    data = json.loads((dunning / "plan.json").read_text(encoding="utf-8"))
    debtors = {d["debtor_id"]: d for d in data["debtors"]}
    assert {d["action"] for d in debtors.values()} == {"send", "suspended", "none"}
    for debtor in debtors.values():
        assert (debtor["action"] == "send") == bool(debtor["documents"])
        for doc in debtor["documents"]:
            assert (dunning / doc).is_file()
        total = sum(float(debtor["totals"][k]) for k in ("outstanding", "interest", "indemnity"))
        assert abs(total - float(debtor["totals"]["total"])) < 0.005
    with (dunning / "plan.csv").open(encoding="utf-8-sig") as handle:  # French Excel: BOM, « ; », totals line
        assert [r["Référence débiteur"] for r in csv.DictReader(handle, delimiter=";")][:-1] == list(debtors)


def test_filled_formal_notice_shows_the_cgv_rate_and_a_payment_qr(dunning, built_packs, tmp_path):
    co = company(built_packs, B2B)
    data = json.loads((dunning / "plan.json").read_text(encoding="utf-8"))
    notice = next(d for d in data["debtors"] if d["stage"] == "formal_notice")
    pdf = next(doc for doc in notice["documents"] if doc.endswith(".pdf"))
    text = pdf_text(dunning / pdf)
    assert notice["debtor_name"] in text and "MISE EN DEMEURE" in text
    assert flat(percent(rate_rule(co).annual_rate(co.rates))) in text
    assert flat(money(notice["totals"]["total"])) in text
    html = (dunning / pdf.replace(".pdf", ".html")).read_text(encoding="utf-8")
    assert co.identity["iban"]  # the example company has one: the transfer details and the QR code follow
    assert 'src="data:image/svg+xml' in html and "IBAN" in text
    assert "http://" not in html and "https://" not in html.split("<footer")[0]
    # The printed code scans, as a banking app reads it: an EPC credit transfer of the letter's total.
    lines = scanned_qr(dunning / pdf, tmp_path).split("\n")
    assert lines[:4] == ["BCD", "002", "2", "SCT"] and lines[4] == co.identity["bic"].replace(" ", "")
    assert lines[5] == co.identity["name"] and lines[6] == co.identity["iban"].replace(" ", "")
    assert Decimal(lines[7].removeprefix("EUR")) == Decimal(notice["totals"]["total"])
    assert all(i["number"] in lines[-1] for i in notice["invoices"])


def scanned_qr(pdf: Path, folder: Path) -> str:
    """The text of the one QR code on the PDF's first page, printed at 200 dpi and read by ZXing."""
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(folder / "page")], check=True)
    (code,) = zxingcpp.read_barcodes(Image.open(folder / "page.png"), formats=zxingcpp.BarcodeFormat.QRCode)
    return code.text


def test_bad_ledger_exit_1_and_nothing_written(built_packs):
    bad = built_packs / "ledgers" / "bad.csv"
    lines = (built_packs / "ledgers" / "example.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2026-05-08", "2026-02-30")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_main(built_packs, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/bad.csv",
                      "--date", "2026-06-15", "-o", "dist/run-bad")
    assert result.returncode == 1
    assert "ledgers/bad.csv:3:9: due_date: date illisible « 2026-02-30 »" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (built_packs / "dist" / "run-bad").exists()


def test_date_before_the_rate_table_exit_1(built_packs):
    bad = built_packs / "ledgers" / "old.csv"
    lines = (built_packs / "ledgers" / "example.csv").read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], lines[1].replace("2026-06-18", "2014-06-18").replace("2026-04-02", "2014-04-02")])
                   + "\n", encoding="utf-8")
    result = run_main(built_packs, "dunning", f"companies/{B2B}.yaml", "--ledger", "ledgers/old.csv",
                     "--date", "2015-02-15", "-o", "dist/run-h2")
    assert result.returncode == 1 and "rates-missing" in result.stderr and "Traceback" not in result.stderr
    assert not (built_packs / "dist" / "run-h2").exists()


@pytest.mark.parametrize("args", [("--ledger", "ledgers/none.csv", "--date", "2026-06-15"),
                                  ("--ledger", "ledgers/example.csv", "--date", "15/06/2026"),
                                  ("--date", "2026-06-15")])
def test_wrong_usage_exit_2(built_packs, args):
    result = run_main(built_packs, "dunning", f"companies/{B2B}.yaml", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def fake_company(name: str, table):
    from datetime import date
    from decimal import Decimal
    from types import SimpleNamespace as NS

    rates = table.for_date(date(2026, 1, 1))
    penalties = NS(family=NS(name="late_penalties"), variant=NS(name="ecb_plus_10"),
                   params={"margin": Decimal(10), "indemnity": Decimal(40)})
    identity = {"name": name, "legal_form": "SAS", "capital": Decimal(1000), "siren": "732829320", "rcs": "RCS Lyon",
                "address": {"street": "1 rue X", "postal_code": "69001", "city": "Lyon"}, "email": "a@b.fr",
                "phone": "04 78 00 00 00", "vat_number": "", "website": "", "iban": "", "bic": "", "logo": ""}
    return NS(market="b2b", identity=identity, letters={"signatory": {"name": "A", "title": "B"}}, rates=rates,
              articles={"late_penalties": 4}, clause=lambda f: penalties if f == "late_penalties" else None)


def test_a_too_long_sms_is_an_error(rate_table):
    from cgvkit.core.errors import KitError
    from cgvkit.model.ladder import load_default
    from cgvkit.model.letters import blank_context, render_stage

    root = Path(__file__).resolve().parent.parent
    stage = load_default(root).get("pre_due")
    short = fake_company("Atelier", rate_table)
    (out,) = render_stage(root, stage, lambda html: blank_context(short, stage, html))
    assert segments(out.text)[0] <= 2
    long = fake_company("Société des fêtes lyonnaises", rate_table)  # ê forces UCS-2: 134 characters for two segments
    with pytest.raises(KitError) as caught:
        render_stage(root, stage, lambda html: blank_context(long, stage, html))
    (problem,) = caught.value.problems
    assert problem.rule == "sms-length" and "UCS-2" in problem.message
    assert problem.file == "ladder/default.yaml"
