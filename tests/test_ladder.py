"""The ladder is data: the default file, its schema, a company's own ladder, SMS segments."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cgvkit.core.errors import KitError
from cgvkit.core.sms import plain, segments, too_long
from cgvkit.model.ladder import ladder_for, load_default
from cgvkit.sources.yamlsource import load_text

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK_IDS = ("pre_due", "first_reminder", "second_reminder", "firm_letter", "formal_notice", "final_notice")


def test_default_ladder_has_the_playbook_stages_in_order():
    ladder = load_default(ROOT)
    assert ladder.ids == PLAYBOOK_IDS
    assert [s.offset_days for s in ladder.stages] == [-5, 7, 15, 30, 45, 60]
    channels = {s.id: s.channel for s in ladder.stages}
    assert channels == {"pre_due": "sms", "first_reminder": "email", "second_reminder": "phone",
                        "firm_letter": "letter", "formal_notice": "registered_letter", "final_notice": "letter"}
    assert ladder.get("second_reminder").companion == "email"
    assert [d.id for d in ladder.documents] == ["payment_plan", "debt_acknowledgement", "court_cover_note",
                                                  "penalty_claim", "statement_of_account",
                                                  "promise_confirmation", "dispute_reply", "missed_instalment_notice",
                                                  "claim_declaration", "injunction_request"]
    notice = ladder.get("formal_notice")
    assert {"formal_notice", "deadline", "consequence", "interest", "signature"} <= set(notice.contains)


def company_with(ladder_yaml: str):
    text = "letters:\n  signatory: {name: A, title: B}\n  ladder:\n" + "".join(
        f"    {line}\n" for line in ladder_yaml.strip("\n").splitlines())
    source = load_text(text, "companies/case.yaml")
    return SimpleNamespace(source=source, letters=source.data["letters"])


OWN = """
stages:
  - {id: first_reminder, title: Relance, channel: email, offset_days: 10, markets: [b2b],
     purpose: Relancer., contains: [invoices]}
  - {id: formal_notice, title: Mise en demeure, channel: registered_letter, offset_days: 40, markets: [b2b],
     purpose: Mettre en demeure., contains: [formal_notice]}
"""


def test_a_company_replaces_the_stages_and_keeps_the_default_documents():
    ladder = ladder_for(company_with(OWN), ROOT)
    assert ladder.ids == ("first_reminder", "formal_notice")
    assert [d.id for d in ladder.documents] == [d.id for d in load_default(ROOT).documents]


def test_no_ladder_means_the_default():
    assert ladder_for(SimpleNamespace(letters={"signatory": {}}), ROOT).ids == PLAYBOOK_IDS


@pytest.mark.parametrize("change,rule,path", [
    (("channel: email", "channel: fax"), "ladder-allowed", "letters.ladder.stages[0].channel"),
    (("contains: [invoices]", "contains: [jokes]"), "ladder-allowed", "letters.ladder.stages[0].contains[0]"),
    (("offset_days: 40", "offset_days: 10"), "ladder-offset", "letters.ladder.stages[1].offset_days"),
    (("id: formal_notice", "id: first_reminder"), "ladder-duplicate-id", "letters.ladder.stages[1].id"),
])
def test_a_bad_company_ladder_is_located_in_the_profile(change, rule, path):
    with pytest.raises(KitError) as caught:
        ladder_for(company_with(OWN.replace(*change)), ROOT)
    problems = [p for p in caught.value.problems if p.rule == rule]
    assert problems and problems[0].path == path and problems[0].file == "companies/case.yaml"
    assert problems[0].line > 3


def test_sms_segments_gsm_and_unicode():
    assert segments("a" * 160) == (1, "GSM-7", 160)
    assert segments("a" * 161) == (2, "GSM-7", 161)  # 153 + 8
    assert segments("€" * 80) == (1, "GSM-7", 160)  # the euro sign takes two septets
    assert segments("€" * 81) == (2, "GSM-7", 162)
    assert segments("é" * 160)[1] == "GSM-7"  # é is in the GSM alphabet
    assert segments("ê" * 70) == (1, "UCS-2", 70)
    assert segments("ê" * 71) == (2, "UCS-2", 71)
    assert too_long("a" * 306) is None and "3 segments" in too_long("a" * 307)
    assert too_long("ê" * 134) is None and too_long("ê" * 135)


def test_sms_text_uses_plain_spaces_and_quotes():
    assert plain("Déjà réglé\u202f? «\u00a0oui\u00a0» l’an") == "Déjà réglé ? \" oui \" l'an"
