"""`validate` says everything `pack` would say: for each refusal printing letters can raise, `validate`
(which prints nothing) raises it too, at the same place."""

from __future__ import annotations

import pytest
import yaml
from conftest import copy_project, run_main

B2B = "companies/atelier-lyonnais.yaml"
STAGE = {"id": "relance_speciale", "title": "Relance spéciale", "channel": "letter", "offset_days": 20,
         "markets": ["b2b"], "purpose": "Une étape propre à l’entreprise.", "contains": ["invoices"]}


def own_ladder(**changes):
    def change(data):
        stage = {**STAGE, **changes}
        data["letters"]["ladder"] = {"stages": [
            {"id": "first_reminder", "title": "Première relance", "channel": "email", "offset_days": 7,
             "markets": ["b2b"], "purpose": "Rappel.", "contains": ["invoices"]}, stage]}
    return change


def untitled(data):
    own_ladder()(data)
    del data["letters"]["ladder"]["stages"][1]["title"]


def long_name(data):
    data["company"]["name"] = "Atelier Lyonnais de menuiserie " + "et d ebenisterie generale " * 6


def no_subject(root):
    path = root / "templates" / "letters" / "first_reminder.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Objet", "Sujet", 1), encoding="utf-8")


CASES = {
    "letter-template": (own_ladder(), None),  # no templates/letters/relance_speciale.html
    "ladder-contains": (own_ladder(id="firm_letter", contains=["invoices", "schedule"]), None),
    "ladder-required": (untitled, None),
    "sms-length": (long_name, None),
    "email-subject": (None, no_subject),
}


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(CASES))
def test_validate_refuses_what_pack_refuses(tmp_path, rule):
    root = copy_project(tmp_path / "p")
    profile_change, project_change = CASES[rule]
    if profile_change:
        path = root / B2B
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        profile_change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if project_change:
        project_change(root)
    pack = run_main(root, "pack", B2B, "-o", str(tmp_path / "out"))
    validate = run_main(root, "validate")
    said = {}
    for name, result in (("pack", pack), ("validate", validate)):
        assert result.returncode == 1 and "Traceback" not in result.stderr, (name, result.stderr)
        said[name] = {line.split(": ", 1)[0] for line in result.stderr.splitlines() if line.endswith(f"[{rule}]")}
        assert said[name], (name, rule, result.stderr)
    assert said["pack"] <= said["validate"]  # at the same file, line and column
    assert not (tmp_path / "out").exists()
