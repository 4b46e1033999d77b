from decimal import Decimal

import pytest

from cgvkit.core.errors import KitError
from cgvkit.sources.yamlsource import load_text


def test_marks_point_at_values_and_block_keys():
    source = load_text("a: 1\nb:\n  c: 1.50\n  d: [x, {e: 2}]\n", "f.yaml")
    assert source.data == {"a": 1, "b": {"c": Decimal("1.50"), "d": ["x", {"e": 2}]}}
    assert source.where(("a",)) == (1, 4)
    assert source.where(("b",)) == (2, 1)  # a block points at its key
    assert source.where(("b", "c")) == (3, 6)
    assert source.where(("b", "d", 1, "e")) == (4, 14)
    assert source.where(("b", "missing")) == (2, 1)  # nearest existing ancestor


def test_floats_are_decimal_never_float():
    assert load_text("rate: 0.1\n", "f.yaml").data["rate"] == Decimal("0.1")


def test_duplicate_key_is_refused_with_its_line():
    with pytest.raises(KitError) as exc:
        load_text("days: 30\nother: 1\ndays: 45\n", "companies/x.yaml")
    (problem,) = exc.value.problems
    assert (problem.file, problem.line, problem.rule) == ("companies/x.yaml", 3, "yaml-duplicate-key")
    assert "deux fois" in problem.message


def test_python_tags_are_refused():
    with pytest.raises(KitError) as exc:
        load_text("a: !!python/object/apply:os.system ['echo hacked']\n", "f.yaml")
    assert exc.value.problems[0].rule == "yaml-syntax"
    assert "interdite" in exc.value.problems[0].message


def test_syntax_error_is_located_in_french():
    with pytest.raises(KitError) as exc:
        load_text("a: 1\nb: c: d\n", "f.yaml")
    problem = exc.value.problems[0]
    assert problem.line == 2 and "deux-points" in problem.message


def test_problem_format_matches_the_contract():
    source = load_text("clauses:\n  payment_term:\n    days: 75\n", "companies/acme.yaml")
    problem = source.problem(("clauses", "payment_term", "days"), "75 jours dépasse le plafond",
                             "payment-term-max")
    assert str(problem) == ("companies/acme.yaml:3:11: clauses.payment_term.days: "
                            "75 jours dépasse le plafond [payment-term-max]")


@pytest.mark.parametrize("text, line, said", [
    ("a: 1\nb: c: d\n", 2, "deux-points inattendu"),
    ("a:\n\t- 1\n", 2, "tabulation interdite"),
    ("a: 1\n\tb: 2\n", 2, "tabulation interdite"),
    ("a: |\n\tx\n", 2, "tabulation interdite"),
    ("a: @x\n", 1, "caractère « @ » interdit"),
    ("a: [1, 2\n", 2, "« ] » attendu"),
    ("a: {b: 1\n", 2, "« } » attendu"),
    ("a: 'x\n", 2, "n’est pas refermé"),
    ("a:\n  b: 1\n c: 2\n", 3, "vérifiez l’indentation"),
    ("- a\nb: 1\n", 2, "vérifiez l’indentation"),
    ('a: "\\q"\n', 1, "guillemets simples"),
    ("a: 1\n---\nb: 2\n", 2, "un seul document"),
    ("%YAML 1.3\n---\na: 1\n", 1, "version de YAML"),
])
def test_syntax_errors_are_said_in_french_at_their_line(text, line, said):
    with pytest.raises(KitError) as exc:
        load_text(text, "f.yaml")
    (problem,) = exc.value.problems
    assert (problem.line, problem.rule) == (line, "yaml-syntax")
    assert said in problem.message
    assert not any(word in problem.message for word in ("found", "expected", "allowed", "while"))


def test_an_anchor_without_alias_is_plain_data_and_an_alias_is_refused_where_it_stands():
    assert load_text("a: &x 1\nb: 2\n", "f.yaml").data == {"a": 1, "b": 2}
    with pytest.raises(KitError) as exc:
        load_text("a: &x [1, 2]\nb:\n  - *x\n", "f.yaml")
    (problem,) = exc.value.problems
    assert (problem.line, problem.column, problem.rule) == (3, 5, "yaml-alias")


def test_numbers_are_decimal_or_text_never_octal_or_base_sixty():
    data = load_text("postal_code: 01000\ncapital: 190:20:30\ncode: 0x1F\nbig: 1_000\nrate: 12.50\nnone: -0\n",
                     "f.yaml").data
    assert data == {"postal_code": "01000", "capital": "190:20:30", "code": "0x1F", "big": 1000,
                    "rate": Decimal("12.50"), "none": 0}


def test_a_postal_code_without_quotes_is_the_code_written(project):
    from conftest import edit, run_main

    edit(project / "companies" / "atelier-lyonnais.yaml", 'postal_code: "69002"', "postal_code: 01000")
    edit(project / "companies" / "atelier-lyonnais.yaml", "capital: 150000", "capital: 41:40:00")  # 150 000 in base 60
    result = run_main(project, "validate")
    assert result.returncode == 1
    assert "company.capital: « 41:40:00 »" in result.stderr and "n’est pas un nombre" in result.stderr
    assert "postal_code" not in result.stderr and "512" not in result.stderr
