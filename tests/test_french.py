from datetime import date
from decimal import Decimal

from cgvkit.core.french import NBSP, NNBSP, date_fr, money, percent, typography
from cgvkit.core.templating import blocks


def test_money_percent_and_dates_in_french():
    assert money(Decimal("1234.5")) == f"1{NNBSP}234,50{NBSP}€"
    assert percent(Decimal("12.15")) == f"12,15{NBSP}%"
    assert date_fr(date(2026, 11, 22)) == "22 novembre 2026"
    assert date_fr(date(2026, 1, 1)) == "1er janvier 2026"


def test_typography_adds_no_break_spaces_but_spares_urls():
    text = typography("Attention : voir « ici » ; payez ! https://example.fr/?a=1 l'article")
    assert f"Attention{NBSP}:" in text
    assert f"«{NBSP}ici{NBSP}»{NNBSP};" in text
    assert f"payez{NNBSP}!" in text
    assert "https://example.fr/?a=1" in text
    assert "l’article" in text


def test_blocks_escape_everything_and_build_lists():
    html = str(blocks("Intro <script>x</script>\n\n- un\n- deux\n\n{{ 7*7 }}"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<ul><li>un</li><li>deux</li></ul>" in html
    assert "{{ 7*7 }}" in html
