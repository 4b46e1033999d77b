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
