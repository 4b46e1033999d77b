"""`validate` says everything `pack` would say: for each refusal printing letters can raise, `validate`
(which prints nothing) raises it too, at the same place. What the ladder and the templates' text tell
is resolved by model/ as the project loads, before anything is written."""

from __future__ import annotations

import ast
import re

import pytest
import yaml
from conftest import copy_project, run_main
from test_layers import imports, modules

from cgvkit.core.errors import KitError
from cgvkit.model.letterchecks import LetterChecks, template_facts
from cgvkit.model.project import load_project

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


def alphabet_name(data):
    # « ç » is outside the GSM alphabet: the pre-due SMS, which prints the name, goes UCS-2 and is too long.
    data["company"]["name"] = "Façades Lyonnaises"


def no_subject(root):
    path = root / "templates" / "letters" / "first_reminder.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Objet", "Sujet", 1), encoding="utf-8")


CASES = {
    "letter-template": (own_ladder(), None),  # no templates/letters/relance_speciale.html
    "ladder-contains": (own_ladder(id="firm_letter", contains=["invoices", "schedule"]), None),
    "ladder-required": (untitled, None),
    "sms-length": (long_name, None),
    "email-subject": (None, no_subject),
    "sms-alphabet": (alphabet_name, None),
}
# The rules the ladder and the templates' text tell: found as the project loads (model/letterchecks.py),
# even without rendering anything.
AT_LOAD = ("letter-template", "ladder-contains", "ladder-required", "email-subject")
# Those only the rendered text tells: found as the project loads too, by rendering the blank letters
# (model/letters.py), nothing written.
RENDERED_AT_LOAD = ("sms-length", "sms-alphabet")
RULE = re.compile(r"[a-z]+(?:-[a-z0-9]+)+")


def pack_rules() -> dict[str, str]:
    """rule id → module, for every refusal a module of documents/ that `pack` uses writes, or the
    letters of model/ it renders through (`Problem(…, "rule")`, `….problem(…, "rule")`, `_with(…, "rule")`)."""
    known = modules()
    reached, todo = set(), ["cgvkit.documents.pack"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(m for m in imports(name, known[name])
                        if m.startswith("cgvkit.documents.") or m == "cgvkit.model.letters")
    found = {}
    for name in sorted(reached):
        for node in ast.walk(ast.parse(known[name].read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if called in ("Problem", "problem", "_with"):
                found.update({a.value: name for a in node.args
                              if isinstance(a, ast.Constant) and isinstance(a.value, str) and RULE.fullmatch(a.value)})
    return found


def test_each_rule_a_pack_can_raise_has_a_validate_case():
    rules = pack_rules()
    assert {"letter-template", "ladder-contains", "sms-length", "email-subject", "sms-alphabet"} <= set(rules)
    assert set(rules) <= set(CASES), {r: m for r, m in rules.items() if r not in CASES}


def changed(root, rule):
    profile_change, project_change = CASES[rule]
    if profile_change:
        path = root / B2B
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        profile_change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if project_change:
        project_change(root)
    return root


@pytest.mark.parametrize("rule", AT_LOAD)
def test_the_model_finds_it_as_the_project_loads(tmp_path, rule):
    root = changed(copy_project(tmp_path / "p"), rule)
    with pytest.raises(KitError) as raised:
        load_project(root, render_checks=False)
    assert rule in {p.rule for p in raised.value.problems}
    # The quick CGV preview prints no letter: it is not refused for them.
    load_project(root, [root / B2B], cgv_only=True)


@pytest.mark.parametrize("rule", RENDERED_AT_LOAD)
def test_the_model_finds_what_only_the_rendered_text_tells_as_the_project_loads(tmp_path, rule):
    root = changed(copy_project(tmp_path / "p"), rule)
    with pytest.raises(KitError) as raised:
        load_project(root)
    assert rule in {p.rule for p in raised.value.problems}
    load_project(root, letter_texts=False)  # `all` and `site`: each pack renders its letters and says it


def test_a_mark_only_rendering_tells_is_left_to_rendering(tmp_path):
    """A `has()` whose element is computed cannot be read from the text: the model does not refuse it,
    the letters' dry render (validate) and the pack still do when it is missing."""
    root = copy_project(tmp_path / "p")
    path = root / "templates" / "letters" / "pre_due.txt"
    text = path.read_text(encoding="utf-8").replace('has("due_date")', 'has(["due", "date"] | join("_"))')
    path.write_text(text, encoding="utf-8")
    load_project(root, render_checks=False)
    path.write_text(text.replace('has(["due", "date"] | join("_"))', 'has(["due", "day"] | join("_"))'),
                    encoding="utf-8")
    load_project(root, render_checks=False)
    for command in (("validate",), ("pack", B2B, "-o", str(tmp_path / "out"))):
        result = run_main(root, *command)
        assert result.returncode == 1 and "[ladder-contains]" in result.stderr, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(CASES))
def test_validate_refuses_what_pack_refuses(tmp_path, rule):
    root = changed(copy_project(tmp_path / "p"), rule)
    pack = run_main(root, "pack", B2B, "-o", str(tmp_path / "out"))
    validate = run_main(root, "validate")
    said = {}
    for name, result in (("pack", pack), ("validate", validate)):
        assert result.returncode == 1 and "Traceback" not in result.stderr, (name, result.stderr)
        said[name] = {line.split(": ", 1)[0] for line in result.stderr.splitlines() if line.endswith(f"[{rule}]")}
        assert said[name], (name, rule, result.stderr)
    assert said["pack"] <= said["validate"]  # at the same file, line and column
    assert not (tmp_path / "out").exists()


def test_an_email_companion_without_subject_is_found_as_the_project_loads(tmp_path):
    root = copy_project(tmp_path / "p")
    path = root / "templates" / "letters" / "second_reminder.email.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Objet :", "Concerne :", 1), encoding="utf-8")
    with pytest.raises(KitError) as raised:
        load_project(root, render_checks=False)
    found = [p for p in raised.value.problems if p.rule == "email-subject"]
    assert found and all(p.file == "ladder/default.yaml" and p.path.endswith(".channel") for p in found), found


@pytest.mark.parametrize(("text", "subject"), [
    ("Objet : Relance\n\nMadame,", True),
    ('{% import "letters/_parts.txt" as parts with context %}\nObjet : {{ sender.name }} — facture', None),
    ("{% set x = 1 %}\n  Objet : Relance {{ x }}", True),
    ("Sujet : Relance", False),
    ("Objet :\nMadame,", False),
    ("{% if blank %}Objet : A{% else %}Objet : B{% endif %}", None),  # only rendering tells
    ("Obj{{ 'et' }} : A", None),
    ("{{ subject }}", None),
])
def test_the_subject_line_read_from_the_template(text, subject):
    facts = template_facts(text, "letters/x.txt")
    assert facts is not None and facts.subject is subject


def test_marks_read_from_the_template_and_what_it_imports():
    facts = template_facts('{% import "letters/_parts.txt" as parts %}{% call has("a") %}x{% endcall %}'
                           '{{ has("b") }}{% include name %}', "letters/x.txt")
    assert facts is not None and facts.marks == {"a", "b"} and facts.references == ("letters/_parts.txt",)
    assert facts.dynamic  # `include name`: only rendering tells which template


@pytest.mark.slow
@pytest.mark.parametrize(("template", "old", "new", "element"), [
    ("final_notice.html", "{{ parts.interest() }}", "", "interest"),  # a macro no longer called
    ("final_notice.html", "{% block body %}", "{% block signature %}{% endblock %}{% block body %}", "signature"),
    ("first_reminder.txt", "{{ parts.signature() }}", "{{ parts.signature }}", "signature"),  # named, not called
])
def test_a_mark_the_rendered_letter_would_lack_is_found_as_the_project_loads(tmp_path, template, old, new, element):
    """The marks are followed as rendering goes: through the blocks a child template replaces and the
    macros actually called, not every macro the imported building blocks define."""
    root = copy_project(tmp_path / "p")
    path = root / "templates" / "letters" / template
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    stage = template.split(".")[0]
    if new.startswith("{{ parts.signature }}"):  # a macro passed around: only rendering tells
        load_project(root, render_checks=False)
    else:
        with pytest.raises(KitError) as raised:
            load_project(root, render_checks=False)
        lacking = [re.search(r"l’élément « (\w+) »", p.message) for p in raised.value.problems
                   if p.rule == "ladder-contains" and f"« {stage} »" in p.message]
        assert [m.group(1) for m in lacking if m] == [element], raised.value.problems
    pack = run_main(root, "pack", B2B, "-o", str(tmp_path / "out"))
    assert pack.returncode == 1 and f"« {stage} »" in pack.stderr and "[ladder-contains]" in pack.stderr, pack.stderr


def test_has_passed_around_is_left_to_rendering():
    facts = template_facts('{% set mark = has %}{{ mark("signature") }}', "letters/x.txt")
    assert facts is not None and facts.dynamic


def test_a_missing_or_linked_letter_template_is_said_in_french(tmp_path):
    root = copy_project(tmp_path / "p")
    (root / "templates" / "letters" / "final_notice.html").unlink()
    with pytest.raises(KitError) as raised:
        load_project(root, render_checks=False)
    missing = [p.message for p in raised.value.problems if p.rule == "letter-template"]
    assert any("« templates/letters/final_notice.html » introuvable" in m for m in missing), missing
    assert all("not found" not in m for m in missing), missing
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    (root / "templates" / "letters" / "final_notice.html").symlink_to(outside)
    with pytest.raises(KitError) as raised:
        load_project(root, render_checks=False)
    assert "template-link" in {p.rule for p in raised.value.problems}  # check_templates refuses the link
    company = load_project(root, [root / B2B], cgv_only=True).companies[0]  # letters not checked
    linked = [p.message for p in LetterChecks(root).company_problems(company) if p.rule == "letter-template"]
    assert linked and "lien symbolique" in linked[0] and "secret" not in linked[0], linked
