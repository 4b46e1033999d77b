"""Values that reach e-mail headers and payment codes are checked where they enter, and every header
is built by the e-mail library: a quote, a comma or a line break in a name or an address can neither
add a recipient nor change a sender."""

from __future__ import annotations

import email
import email.policy
import json

import yaml
from conftest import copy_project, run_main

HEADER = ("debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,invoice_date,"
          "due_date,amount,paid_amount,status,promise_date,formal_notice_date,last_stage\n")


def row(debtor: str, address: str) -> str:
    quoted = '"' + address.replace('"', '""') + '"'
    return (f"{debtor},Client {debtor},b2b,{quoted},04 72 10 20 30,\"1 rue X, 69002 Lyon\",F-{debtor},2026-04-20,"
            "2026-05-25,100.00,0,open,,,pre_due\n")  # 21 days late on 15 June: the first reminder, by e-mail


def run(root, ledger: str):
    (root / "ledgers" / "headers.csv").write_text(ledger, encoding="utf-8")
    out = root / "dist" / "run-headers"
    result = run_main(root, "dunning", "companies/atelier-lyonnais.yaml", "--ledger", "ledgers/headers.csv",
                      "--date", "2026-06-15", "-o", str(out))
    return result, out


def test_a_debtor_address_is_one_mailbox_or_that_debtors_warning(tmp_path):
    root = copy_project(tmp_path / "p")
    hostile = {"C1": "compta@client.fr, espion@ailleurs.fr", "C2": '"Patron" <patron@client.fr>',
               "C3": "compta@client.fr\nBcc: espion@ailleurs.fr", "C4": "compta@client.fr"}
    result, out = run(root, HEADER + "".join(row(d, a) for d, a in hostile.items()))
    assert result.returncode == 0, result.stderr
    plan = {d["debtor_id"]: d for d in json.loads((out / "plan.json").read_text(encoding="utf-8"))["debtors"]}
    for debtor in ("C1", "C2", "C3"):
        assert not [p for p in plan[debtor]["documents"] if p.endswith(".eml")], debtor
        assert any("inutilisable" in w for w in plan[debtor]["warnings"]), plan[debtor]["warnings"]
    (eml,) = [p for p in plan["C4"]["documents"] if p.endswith(".eml")]
    message = email.message_from_bytes((out / eml).read_bytes(), policy=email.policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == ["compta@client.fr"]
    assert "Bcc" not in message and "Cc" not in message


def test_a_company_name_with_quotes_stays_a_name_in_from(tmp_path):
    root = copy_project(tmp_path / "p")
    profile = root / "companies" / "atelier-lyonnais.yaml"
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data["company"]["name"] = 'Atelier "Le Bon" <pirate@ailleurs.fr>, "Z'
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result, out = run(root, HEADER + row("C4", "compta@client.fr"))
    assert result.returncode == 0, result.stderr
    (eml,) = (out / "courriels").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    (sender,) = message["From"].addresses
    assert sender.addr_spec == data["company"]["email"]
    assert sender.display_name == data["company"]["name"]


def test_a_line_break_in_a_company_field_is_refused_where_it_is_read(tmp_path):
    root = copy_project(tmp_path / "p")
    profile = root / "companies" / "atelier-lyonnais.yaml"
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data["company"]["name"] = "Atelier\nFR7699999999999999999999999"
    data["letters"]["signatory"]["name"] = "Marie\u202eDupont"
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run_main(root, "validate")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.endswith("[identity-control-character]")]
    assert any(": company.name: " in line and "U+000A" in line for line in lines), result.stderr
    assert any(": letters.signatory.name: " in line and "U+202E" in line for line in lines), result.stderr
    assert "Traceback" not in result.stderr
