"""Injection: what clause texts, guidance and names can do to the documents and the site.

- a clause text cannot change the data it prints, nor exhaust the machine: refused at
  `validate` with a located error, and bounded again while rendering;
- guidance and names reach the site as inert text (no handler, no script link, no remote image,
  no Markdown block from a line break);
- `&`, `<`, `>` and `"` in a name print as themselves in letters, CGV and PDF titles.
"""

from __future__ import annotations

import copy
import dataclasses
import faulthandler
import hashlib
import json
import re
import resource
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import copy_project, run_main

CLAUSE = "clauses/force_majeure/standard.yaml"
NAME = 'Martin & Fils <SARL> "Le Bon"'


@pytest.fixture
def bounded():
    """If a guard ever fails, fail fast instead of hanging or swapping the machine.

    The address space is capped 1 GiB above what the process already uses (a huge string
    raises MemoryError), and a watchdog thread ends the process after 60 s even if it is stuck
    inside one C call such as `9 ** 3486784401`.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(re.search(r"VmSize:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024
    cap = used + (1 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    faulthandler.dump_traceback_later(60, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def insert_text_line(root: Path, snippet: str) -> int:
    """Put `snippet` as the second line of the clause's text; return its line in the file."""
    path = root / CLAUSE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("text: |")) + 1
    lines.insert(first + 1, "  " + snippet + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return first + 2


# --- clause texts refused at validate time -----------------------------------------------------

HOSTILE_TEXTS = {
    "update": ("{{ company.update({'iban': 'FR7630006000011234567890189'}) }}", "clause-text-forbidden"),
    "nested-update": ("{{ company.address.update({'city': 'Ailleurs'}) }}", "clause-text-forbidden"),
    "append": ("{{ company.values().append(1) }}", "clause-text-forbidden"),
    "pop": ("{{ company.pop('iban') }}", "clause-text-forbidden"),
    "setitem": ("{{ company.__setitem__('iban', 'FR00') }}", "clause-text-forbidden"),
    "class": ("{{ company.__class__ }}", "clause-text-forbidden"),
    "class-item": ("{{ company['__class__'] }}", "clause-text-forbidden"),
    "attr-filter": ("{{ company|attr('update') }}", "clause-text-unknown-filter"),
    "huge-string": ("{{ 'x' * 3000000000 }}", "clause-text-forbidden"),
    "huge-list": ("{{ [1] * 3000000000 }}", "clause-text-forbidden"),
    "range-loop": ("{% for i in range(10**9) %}x{% endfor %}", "clause-text-forbidden"),
    "huge-power": ("{{ 9 ** (9 ** 10) }}", "clause-text-forbidden"),
    "huge-product": ("{{ (9 ** 1000) * (9 ** 1000) * (9 ** 1000) }}", "clause-text-forbidden"),
    "center": ("{{ 'a'|center(3000000000) }}", "clause-text-forbidden"),
    "map-center": ("{{ company.name|map('center', 3000000000)|join }}", "clause-text-forbidden"),
    "number-digits": ("{{ 1|number(3000000000) }}", "clause-text-forbidden"),
    "batch-fill": ("{{ company.name|batch(3000000000, 'x')|map('join')|join }}", "clause-text-forbidden"),
    "printf": ("{{ '%0999999999d' % 1 }}", "clause-text-forbidden"),
    "method-width": ("{{ company.name.ljust(3000000000) }}", "clause-text-forbidden"),
    "recursive-macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "clause-text-forbidden"),
    "call-block": ("{% call has('orders') %}x{% endcall %}", "clause-text-forbidden"),
    "include": ("{% include 'cgv.html' %}", "clause-text-forbidden"),
    "import": ("{% import 'letters/_parts.html' as parts %}", "clause-text-forbidden"),
    "from-import": ("{% from 'letters/_parts.html' import signature %}", "clause-text-forbidden"),
    "extends": ("{% extends 'cgv.html' %}", "clause-text-forbidden"),
    "set": ("{% set x = company.name ~ company.name %}{{ x }}", "clause-text-forbidden"),
    "lipsum": ("{{ lipsum(1000000) }}", "clause-text-forbidden"),
    "cycler": ("{{ cycler(1, 2).next() }}", "clause-text-forbidden"),
    "joiner": ("{{ joiner(',')() }}", "clause-text-forbidden"),
    "namespace": ("{{ namespace(a=1).a }}", "clause-text-forbidden"),
    "dict": ("{{ dict(a=1) }}", "clause-text-forbidden"),
    "self": ("{{ self }}", "clause-text-forbidden"),
    "long-literal": ("{{ " + "9" * 5000 + " }}", "clause-text-syntax"),
    "deep-nesting": ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "clause-text-syntax"),
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One project copy for the table below; each case starts from the original clause file."""
    root = copy_project(tmp_path_factory.mktemp("validate") / "project")
    original = (root / CLAUSE).read_bytes()
    yield root
    (root / CLAUSE).write_bytes(original)


@pytest.fixture
def clean(shared):
    original = (shared / CLAUSE).read_bytes()
    yield shared
    (shared / CLAUSE).write_bytes(original)


@pytest.mark.parametrize("case", sorted(HOSTILE_TEXTS))
def test_hostile_clause_text_refused_at_validate(clean, bounded, case):
    snippet, rule = HOSTILE_TEXTS[case]
    line = insert_text_line(clean, snippet)
    result = run_main(clean, "validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    located = [p for p in result.stderr.splitlines() if p.startswith(f"{CLAUSE}:")]
    assert located and all(f"[{rule}]" in p or "[clause-text-unknown-name]" in p or "[clause-text-unknown-filter]" in p
                           for p in located), result.stderr
    # Unreadable text: its first line; a forbidden construct: its line, column 1; a filter: its column.
    expected = line - 1 if rule == "clause-text-syntax" else line
    column = ":" if rule == "clause-text-unknown-filter" else ":1: text:"
    assert any(p.startswith(f"{CLAUSE}:{expected}{column}") and f"[{rule}]" in p for p in located), result.stderr


def test_refusals_are_french_and_name_the_construct(project):
    line = insert_text_line(project, "{{ company.update({'iban': 'FR00'}) }} {% for c in company.name %}{% endfor %}")
    result = run_main(project, "validate")
    assert result.returncode == 1
    messages = [p for p in result.stderr.splitlines() if p.startswith(f"{CLAUSE}:{line}:")]
    assert any("seules les fonctions article(…) et has(…) peuvent être appelées" in m for m in messages)
    assert any("l’instruction {% for %} n’est pas admise dans un texte de clause\u00a0:" in m for m in messages)


def test_documented_constructs_still_validate(project):
    """What the README allows: parameters, company, rates, article(), has(), filters, arithmetic."""
    insert_text_line(project, "{% if has('orders') %}Voir l’article {{ article('orders') }}.{% endif %} "
                     "{{ company.name|upper }} {{ (termination_days * 2)|number }} {{ rates.ecb|percent }} "
                     "{{ company.iban|replace(' ', '')|batch(4)|map('join')|join(' ') }} {{ 2 ** 10 }}")
    result = run_main(project, "validate")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("document", ["README.md", "docs/manuels/juriste.md"])
def test_readme_lists_the_filters_a_clause_text_may_use(document):
    """The README's security section and the lawyers' manual list them (error messages point to the README)."""
    from cgvkit.core.templating import CLAUSE_ENV

    readme = (Path(__file__).resolve().parent.parent / document).read_text(encoding="utf-8")
    listed = re.search(r"filtres permis à un texte de clause\s*:\s*(.+?)\.\s", readme, re.S)
    assert listed, f"{document}: the list of clause-text filters is missing"
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == set(CLAUSE_ENV.filters)


# --- the same bounds while rendering (data from a profile, texts built at run time) --------------

@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example project, loaded once: the tests below render altered copies of one clause."""
    from cgvkit.model.project import load_project

    return load_project(copy_project(tmp_path_factory.mktemp("render") / "project"))


def _render(project, text: str, **params):
    """A copy of atelier-lyonnais (identity included) and of its force majeure clause with `text`."""
    from cgvkit.model.clausetext import render_text

    company = next(c for c in project.companies if c.slug == "atelier-lyonnais")
    company = dataclasses.replace(company, identity=copy.deepcopy(company.identity))
    clause = company.clause("force_majeure")
    variant = dataclasses.replace(clause.variant, text=text)
    return company, dataclasses.replace(clause, variant=variant, params={**clause.params, **params}), render_text


RUNTIME_TEXTS = {
    "update": "{{ company.update({'iban': 'FR7600000000000000000000000'}) }}",
    "nested-update": "{{ company.address.update({'city': 'Ailleurs'}) }}",
    "built-name": "{{ company['upd' ~ 'ate']({'iban': 'FR00'}) }}",
    "setitem": "{{ company.__setitem__('iban', 'FR00') }}",
    "pop": "{{ company.pop('iban') }}",
    "class": "{{ company.__class__.__init__ }}",
    "string-times-param": "{{ 'x' * termination_days }}",
    "power-of-param": "{{ 9 ** termination_days }}",
    "printf-param": "{{ '%0*d' % (termination_days, 1) }}",
    "replace-grows": "{{ company.name|replace('', company.name * 1000) }}",
    "join-grows": "{{ company.name|join(company.name * 1000) }}",
    "batch-param": "{{ company.name|batch(termination_days, 'x')|map('join')|join }}",
    "number-param": "{{ 1|number(termination_days) }}",
    "too-long-output": "{{ company.name * 1600 }}{{ company.name * 1600 }}",
    "zero-division": "{{ 1 // (termination_days - termination_days) }}",
}


@pytest.mark.parametrize("case", sorted(RUNTIME_TEXTS))
def test_render_refuses_and_leaves_the_data_alone(example, bounded, case):
    from cgvkit.model.clausetext import ClauseRenderError

    company, clause, render_text = _render(example, RUNTIME_TEXTS[case], termination_days=3_000_000_000)
    before = copy.deepcopy(company.identity)
    profile = yaml.safe_load(company.path.read_text(encoding="utf-8"))
    with pytest.raises(ClauseRenderError) as raised:
        render_text(company, clause)
    problem = raised.value.problem
    assert (problem.file, problem.rule) == (CLAUSE, "clause-text-render")
    assert "atelier-lyonnais" in problem.message
    assert company.identity == before and company.identity["iban"] == profile["company"]["iban"]


def test_clause_context_is_read_only(example):
    from cgvkit.model.clausetext import clause_context

    company, clause, _ = _render(example, "x")
    context = clause_context(company, clause)
    with pytest.raises(TypeError):
        context["company"]["iban"] = "FR00"
    with pytest.raises(TypeError):
        context["company"]["address"]["city"] = "Ailleurs"
    assert not hasattr(context["company"], "update")


def test_line_breaks_in_data_do_not_restructure_the_cgv(example):
    """A name with a blank line and a dash cannot add a paragraph or a list item to a clause."""
    company, clause, render_text = _render(example, "Le vendeur est {{ company.name }}, établi à Lyon.")
    company.identity["name"] = "ACME\n\n- article ajouté"
    text = render_text(company, clause)
    assert text == "Le vendeur est ACME - article ajouté, établi à Lyon."


# --- names with &, <, > and " in letters and CGV (HTML, no PDF) ----------------------------------

class _Named(HTMLParser):
    """Text of <title> and of every element with class "company-name"."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.names, self.title, self._in = [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "title" or "company-name" in (dict(attrs).get("class") or "").split():
            self._in = [tag, ""]

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            if tag == "title":
                self.title = self._in[1]
            else:
                self.names.append(self._in[1])
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._in[1] += data


def rename(root: Path, slug: str, name: str) -> None:
    path = root / "companies" / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    old = re.search(r"^  name: .*$", text, re.M).group()
    path.write_text(text.replace(old, "  name: " + json.dumps(name), 1), encoding="utf-8")


def test_special_characters_print_as_themselves_in_cgv_and_letters(project):
    from cgvkit.documents.pack import articles, cgv_html
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.letters import blank_context, render_stage
    from cgvkit.model.project import load_project

    rename(project, "atelier-lyonnais", NAME)
    loaded = load_project(project)
    company = next(c for c in loaded.companies if c.slug == "atelier-lyonnais")
    cgv = _Named(cgv_html(loaded, company, articles(company)))
    assert cgv.names == [NAME] and cgv.title == f"Conditions générales de vente — {NAME}"
    ladder = ladder_for(company, project).for_market(company.market)
    printed = 0
    for stage in ladder.stages + ladder.documents:
        for out in render_stage(project, stage, lambda html, s=stage: blank_context(company, s, html)):
            if out.kind == "html":
                letter = _Named(out.text)
                assert letter.names == [NAME], (stage.id, letter.names)
                assert letter.title == f"{stage.title} — {NAME}"
                assert "&amp\u202f;" not in out.text and "&amp ;" not in out.text
                printed += 1
            elif out.channel != "sms":
                assert NAME in out.text, stage.id
    assert printed >= 3


def test_html_typography_runs_on_text():
    from cgvkit.model.letters import html_typography

    html = '<p title="a : b">Martin &amp; Fils ; &lt;SARL&gt; : « x » l\'été</p><style>a:hover{color:red}</style>'
    assert html_typography(html) == ('<p title="a : b">Martin &amp; Fils\u202f; &lt;SARL&gt;\u00a0: «\u00a0x\u00a0» l’été</p>'
                                     '<style>a:hover{color:red}</style>')


# --- the site: one build of a hostile project -----------------------------------------------------

GUIDANCE = """\
  Voir [x](javascript:alert(1)), [y](<JaVa&#115;cript:alert(2)>), [z][piege] et [a [b] c](vbscript:alert(3)).
  Image distante <img src="https://evil.example/x.png"> et ![pixel](https://evil.example/y.png) et <script>alert(4)</script>.
  Données ![d](data:image/png;base64,AAAA) et [lien](data:text/html,<b>x</b>).

  Paragraphe piégé
  { onmouseover="alert(5)" }

  [clic](#ancre){ onclick="alert(6)" } et `{ onclick="code" }`.

  [piege]: javascript:alert(7)

"""
NEWLINE_NAME = "Le Comptoir\n# Titre\n"  # refused where it is read (identity-control-character)
MARKDOWN_NAME = "# Titre !!! danger Le Comptoir"  # Markdown marks that would open a block at a line start


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("injection") / "project")
    path = root / "clauses" / "late_penalties" / "ecb_plus_10.yaml"
    text = path.read_text(encoding="utf-8")
    assert "guidance: |\n" in text
    path.write_text(text.replace("guidance: |\n", "guidance: |\n" + GUIDANCE, 1), encoding="utf-8")
    rename(root, "atelier-lyonnais", NAME)
    rename(root, "boutique-en-ligne", MARKDOWN_NAME)
    result = run_main(root, "all", "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


class _Scan(HTMLParser):
    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.bad, self.headings, self.text, self._heading = [], [], [], None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            normal = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.lower().startswith("on"):
                self.bad.append((tag, name, value))
            if name in ("href", "src", "action", "formaction", "xlink:href") and \
                    re.match(r"(javascript|vbscript|data|file):", normal):
                self.bad.append((tag, name, value))
            if name in ("src", "srcset", "poster", "data") and re.match(r"([a-z][a-z0-9+.\-]*:|//)", normal):
                self.bad.append((tag, name, value))
        if tag in ("h1", "h2", "h3"):
            self._heading = tag
            self.headings.append([tag, ""])

    def handle_endtag(self, tag):
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data):
        if self._heading:
            self.headings[-1][1] += data
        self.text.append(data)


@pytest.mark.slow
def test_site_carries_no_handler_script_link_or_remote_image(hostile_site):
    pages = sorted((hostile_site / "site").rglob("*.html"))
    assert len(pages) > 30
    bad = [(p.relative_to(hostile_site / "site").as_posix(), *b) for p in pages for b in _Scan(p).bad]
    assert bad == []
    guidance = _Scan(hostile_site / "site" / "generated" / "clauses" / "late_penalties.html")
    text = " ".join("".join(guidance.text).split())
    assert "<script>alert(4)</script>" in text and "Paragraphe piégé" in text  # shown, not run
    assert "onmouseover" in text  # the attribute list is text on the page


@pytest.mark.slow
def test_markdown_marks_in_a_name_open_no_markdown_block(hostile_site):
    site = hostile_site / "site"
    page = _Scan(site / "generated" / "entreprises" / "boutique-en-ligne.html")
    h1 = [text for tag, text in page.headings if tag == "h1"]
    assert len(h1) == 1 and h1[0].startswith("# Titre !!! danger Le Comptoir"), page.headings
    for path in sorted((site / "generated").rglob("*.html")):
        headings = [" ".join(text.replace("¶", "").split()) for _, text in _Scan(path).headings]
        assert "Titre" not in headings, path


@pytest.mark.slow
def test_pack_prints_the_profile_name_iban_and_hash(hostile_site):
    from pypdf import PdfReader

    pack = hostile_site / "dist" / "atelier-lyonnais"
    profile = hostile_site / "companies" / "atelier-lyonnais.yaml"
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["company_file"]["sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()
    iban = yaml.safe_load(profile.read_text(encoding="utf-8"))["company"]["iban"]
    grouped = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    html = (pack / "cgv.html").read_text(encoding="utf-8")
    assert grouped in html and _Named(html).names == [NAME]
    assert _Named((pack / "letters" / "firm_letter.html").read_text(encoding="utf-8")).names == [NAME]
    reader = PdfReader(pack / "cgv.pdf")
    assert reader.metadata.title == f"Conditions générales de vente — {NAME}"
    assert reader.metadata.author == NAME
    assert NAME in " ".join(reader.pages[0].extract_text().split())
    letter = PdfReader(pack / "letters" / "firm_letter.pdf")
    assert letter.metadata.title.endswith(f" — {NAME}") and letter.metadata.author == NAME


def test_markdown_extension_makes_any_page_inert():
    """Hand-written pages too: handlers, script links and remote images never reach the HTML."""
    import markdown

    from cgvkit.site.safemarkdown import SafeMarkdownExtension, inert_html

    source = ('<div markdown="1" onclick="alert(1)">**gras**</div>\n\n<p onmouseover="alert(2)">t</p>\n\n'
              'Para\n{ onclick="alert(3)" }\n\n![loin](https://evil.example/x.png) ![ici](img/local.png) '
              '[j](javascript:alert(4)) [ok](https://www.legifrance.gouv.fr/) [m](mailto:a@b.fr)\n\n'
              '<img src="//evil.example/y.png" alt="y"><a href=" JAVA\tscript:alert(5)">a</a>\n\n<svg><a xlink:href="data:x">s</a></svg>')
    html = markdown.markdown(source, extensions=["attr_list", "md_in_html", SafeMarkdownExtension()])
    assert not re.search(r"\son\w+=", html), html
    assert "javascript" not in html.lower().replace("\t", "") and "evil.example" not in html, html
    assert 'xlink:href="data' not in html
    assert '<img alt="ici" src="img/local.png"' in html and "loin" in html and "<strong>gras</strong>" in html
    assert 'href="https://www.legifrance.gouv.fr/"' in html and 'href="mailto:a@b.fr"' in html
    assert inert_html('<p class="x">a &amp; b</p><img src=x onerror=alert(1)') == \
        '<p class="x">a &amp; b</p>&lt;img src=x onerror=alert(1)'


def test_markdown_writer_keeps_data_on_one_line_and_targets_inert():
    from cgvkit.site.markdown import code, link, markdown_text, md

    for hostile in (NEWLINE_NAME, "A\r\n\r\n!!! danger \"x\"", "A\u2028    code", "    indenté", "Agence ##"):
        assert "\n" not in md(hostile) and "\r" not in md(hostile) and "\u2028" not in md(hostile)
        assert not re.match(r"\s|[#!?]", md(hostile)) and "#" not in re.sub(r"&#\d+;", "", md(hostile))
    assert "\n" not in code("a\n# b")
    assert link("x", "javascript:alert(1)") == md("x") and link("x", "data:text/html,x") == md("x")
    assert link("x", "a\nb") == "[x](<a%0Ab>)"
    guidance = markdown_text("[a](javascript:x) [b](https://ok.fr) `{ code }` { onclick=y }\n\n[r]: vbscript:z")
    assert "](javascript" not in guidance and "[b](https://ok.fr)" in guidance and "`{ code }`" in guidance
    assert "{ onclick" not in guidance and "vbscript" not in guidance
