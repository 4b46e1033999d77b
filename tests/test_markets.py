"""The market of the debtor: a consumer is never dunned under CGV written for professionals, and a
consumer's letter cites the consumer CGV in force, with their own article numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import run_main
from tests.test_dunning_daily import line, write_ledger, write_rates

B2B = "companies/atelier-lyonnais.yaml"
B2C = "companies/boutique-en-ligne.yaml"


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def test_a_consumer_debtor_of_a_b2b_only_company_is_a_located_error_that_says_why(project):
    write_rates(project)
    ledger = write_ledger(project, line(debtor="P1", number="F1"),
                          line(debtor="K1", name="Mme Camille Roux", kind="b2c", number="F2"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-20", "-o", "dist/run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    err = flat(result.stderr)
    assert f"{ledger}:3:3: debtor_kind:" in err and "[ledger-kind-market]" in err
    assert "elles ne lient pas un consommateur" in err and "C. conso. art. L111-1" in err
    assert err.count("[ledger-kind-market]") == 1  # the professional's row is fine
    assert not (project / "dist" / "run").exists()  # nothing written


def test_a_professional_debtor_of_a_consumer_company_is_still_refused(project):
    write_rates(project)
    ledger = write_ledger(project, line(debtor="P1", number="F1", invoice="2026-04-01", due="2026-04-01"))
    result = run_main(project, "dunning", B2C, "--ledger", ledger, "--date", "2026-05-20")
    assert result.returncode == 1 and "[ledger-kind-market]" in result.stderr


@pytest.mark.slow
def test_a_consumers_letter_cites_the_consumer_cgv_in_force_and_their_article(project):
    write_rates(project)
    assert run_main(project, "pack", B2C, "--date", "2026-01-15").returncode == 0  # published: recorded
    record = yaml.safe_load((project / "data" / "cgv" / "boutique-en-ligne.yaml").read_text(encoding="utf-8"))
    (version,) = record["versions"]
    assert version["market"] == "b2c"
    article = next(c["article"] for c in version["clauses"] if c["family"] == "late_penalties")
    ledger = write_ledger(project, line(debtor="K1", name="Mme Camille Roux", kind="b2c", number="F1",
                                        invoice="2026-03-02", due="2026-03-02", amount="500.00",
                                        notice="2026-04-01", last="firm_letter"))
    result = run_main(project, "dunning", B2C, "--ledger", ledger, "--date", "2026-05-20", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    (debtor,) = data["debtors"]
    pdf = next(d for d in debtor["documents"] if d.endswith(".pdf"))
    text = flat(" ".join(p.extract_text() for p in PdfReader(Path(project / "dist" / "run" / pdf)).pages))
    assert (f"l’article {article} de nos conditions générales de vente en vigueur au 1er janvier 2026" in text
            or f"l'article {article} de nos conditions générales de vente en vigueur au 1er janvier 2026" in text), text
    assert "L441-10" not in text and not re.search(r"indemnité forfaitaire", text)
