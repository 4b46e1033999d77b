"""The ledger as French users save it (French headers, Windows-1252, `;`, « 1 234,56 », JJ/MM/AAAA)
and as other software exports it (the profile's `ledger.columns`): the same plan as the English ledger."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cgvkit.core.errors import KitError
from cgvkit.dunning.ledger import fold, load_ledger, parse_ledger
from cgvkit.dunning.plan import plan
from cgvkit.dunning.run import debtor_json
from cgvkit.model.ladder import load_default
from cgvkit.model.project import load_project
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
LADDER = load_default(ROOT)
NBSP = "\u00a0"
ENGLISH = """debtor_id,debtor_name,debtor_email,debtor_phone,debtor_address,invoice_number,invoice_date,due_date,amount,paid_amount,payment_date
00042,Boulangerie Martin SARL,compta@boulangerie-martin.fr,04 72 10 20 30,"8 place Bellecour, 69002 Lyon",F2026-0101,2026-02-02,2026-03-19,1250.00,,
C003,Hôtel des Terreaux SAS,direction@hotel-terreaux.fr,04 78 44 55 66,"3 rue Constantine, 69001 Lyon",F2026-0031,2026-02-10,2026-03-27,12345.60,2345.60,2026-04-20
C003,Hôtel des Terreaux SAS,direction@hotel-terreaux.fr,04 78 44 55 66,"3 rue Constantine, 69001 Lyon",F2026-0044,2026-03-02,2026-04-16,560.40,,
"""
# What French Excel saves (« CSV (séparateur : point-virgule) »): Windows-1252, `;`, decimal comma,
# thousands grouped by a no-break space, JJ/MM/AAAA, headers as a clerk writes them.
FRENCH = (f"Code client;Client;E-mail;Téléphone;Adresse;N° facture;Date facture;Échéance;Montant TTC;Montant réglé;"
          f"Date de règlement\r\n"
          f"00042;Boulangerie Martin SARL;compta@boulangerie-martin.fr;04 72 10 20 30;8 place Bellecour, 69002 Lyon;"
          f"F2026-0101;02/02/2026;19/03/2026;1{NBSP}250,00;;\r\n"
          f"C003;Hôtel des Terreaux SAS;direction@hotel-terreaux.fr;04 78 44 55 66;3 rue Constantine, 69001 Lyon;"
          f"F2026-0031;10/02/2026;27/03/2026;12{NBSP}345,60;2 345,60;20/04/2026\r\n"
          f"C003;Hôtel des Terreaux SAS;direction@hotel-terreaux.fr;04 78 44 55 66;3 rue Constantine, 69001 Lyon;"
          f"F2026-0044;02/03/2026;16/04/2026;560,40;;\r\n")
# A Sage-like export: its own names, mapped in the profile.
MAPPED = ("Compte;Intitulé;Mail;Tél.;Adresse de facturation;Pièce;Date pièce;Date échéance;Débit;Lettré;Réglé le\r\n"
          + FRENCH.split("\r\n", 1)[1])
MAP = {"debtor_id": "Compte", "debtor_name": "Intitulé", "debtor_email": "Mail", "debtor_phone": "Tél.",
       "invoice_number": "Pièce", "invoice_date": "Date pièce", "due_date": "Date échéance", "amount": "Débit",
       "paid_amount": "Lettré", "payment_date": "Réglé le"}


@pytest.fixture(scope="module")
def company():
    return load_project(ROOT, [ROOT / "companies" / "atelier-lyonnais.yaml"]).companies[0]


def planned(company, ledger, table):
    return [debtor_json(d) for d in plan(company, LADDER, ledger, table, date(2026, 6, 15))]


def test_french_excel_file_gives_the_english_plan(tmp_path, company, rate_table):
    path = tmp_path / "registre.csv"
    path.write_bytes(FRENCH.encode("cp1252"))
    ledger = load_ledger(path, tmp_path, "b2b", LADDER.ids)
    english = parse_ledger(ENGLISH, "en.csv", "b2b", LADDER.ids)
    assert planned(company, ledger, rate_table) == planned(company, english, rate_table)
    assert [r.debtor_name for r in ledger.rows][1] == "Hôtel des Terreaux SAS"
    (warning,) = ledger.warnings
    assert (warning.rule, warning.severity) == ("ledger-encoding", "warning") and "Windows-1252" in warning.message


@pytest.mark.parametrize("written,column", [
    ("N° Facture", "invoice_number"), ("Nº facture", "invoice_number"), ("NUMERO DE FACTURE", "invoice_number"),
    ("Échéance", "due_date"), ("ECHEANCE", "due_date"), ("Date d’échéance", "due_date"), ("E-mail", "debtor_email"),
    ("Téléphone", "debtor_phone"), ("Montant TTC", "amount"), ("Montant réglé", "paid_amount"),
    ("Date de règlement", "payment_date"), ("Raison sociale", "debtor_name"), ("debtor_id", "debtor_id"),
    ("Debtor_ID", "debtor_id"),
])
def test_headers_as_users_write_them(written, column):
    from cgvkit.dunning.ledger import _HEADER_IDS

    assert _HEADER_IDS[fold(written)] == column


def test_a_column_given_twice_under_two_names():
    text = "Code client;Client;N° facture;Date facture;Échéance;Montant TTC;Montant\r\nC1;X;F1;01/03/2026;15/03/2026;10;10\r\n"
    with pytest.raises(KitError) as caught:
        parse_ledger(text, "r.csv", "b2b", LADDER.ids)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.rule) == (1, 7, "ledger-column-twice")


def test_not_a_text_file_at_all(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"debtor_id\x81\x8d\n")  # bytes neither UTF-8 nor Windows-1252 gives
    with pytest.raises(KitError) as caught:
        load_ledger(path, tmp_path, "b2b", LADDER.ids)
    assert caught.value.problems[0].rule == "ledger-encoding"


def profile_map(project: Path, mapping: dict) -> None:
    lines = "".join(f"    {key}: \"{value}\"\n" for key, value in mapping.items())
    path = project / "companies" / "atelier-lyonnais.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"ledger:\n  columns:\n{lines}", encoding="utf-8")


def test_a_mapped_export_gives_the_same_plan(project):
    (project / "ledgers" / "en.csv").write_text(ENGLISH, encoding="utf-8")
    (project / "ledgers" / "sage.csv").write_bytes(MAPPED.encode("cp1252"))
    run = ("dunning", "companies/atelier-lyonnais.yaml", "--date", "2026-06-15")
    english = run_main(project, *run, "--ledger", "ledgers/en.csv", "-o", "dist/en")
    assert english.returncode == 0, english.stderr
    profile_map(project, MAP)
    mapped = run_main(project, *run, "--ledger", "ledgers/sage.csv", "-o", "dist/sage")
    assert mapped.returncode == 0, mapped.stderr
    plans = [json.loads((project / "dist" / name / "plan.json").read_text(encoding="utf-8"))["debtors"]
             for name in ("en", "sage")]
    assert plans[0] == plans[1] and plans[0][0]["debtor_id"] == "00042"


def test_a_mapped_name_absent_from_the_export_is_located_in_the_profile(project):
    (project / "ledgers" / "sage.csv").write_bytes(MAPPED.encode("cp1252"))
    profile_map(project, {**MAP, "amount": "Montant TTC"})
    result = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--ledger", "ledgers/sage.csv",
                      "--date", "2026-06-15", "-o", "dist/sage")
    assert result.returncode == 1
    lines = (project / "companies" / "atelier-lyonnais.yaml").read_text(encoding="utf-8").splitlines()
    line = next(k for k, text in enumerate(lines, start=1) if "Montant TTC" in text)
    assert f"companies/atelier-lyonnais.yaml:{line}:" in result.stderr and "[ledger-column-map]" in result.stderr
    assert "ledger-missing-column" not in result.stderr  # said once, in the profile
    assert "« Montant TTC »" in result.stderr and not (project / "dist" / "sage").exists()


def test_an_unknown_column_id_in_the_map_is_a_profile_error(project):
    profile_map(project, {"montant": "Débit"})
    result = run_main(project, "validate", "companies/atelier-lyonnais.yaml")
    assert result.returncode == 1 and "companies/atelier-lyonnais.yaml:" in result.stderr
    assert "ledger.columns.montant" in result.stderr and "[schema-allowed]" in result.stderr
