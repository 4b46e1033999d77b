"""What a company's letters need, resolved from its ladder and the letter templates read as data.

`documents/` only renders the letters. Everything a pack's letters can be refused for that the
ladder and the templates' text tell without rendering is found here, when the project loads, so
`validate` says it and `pack`, `all` and the dunning run say it before writing anything:

- the company's own ladder (`letters.ladder`), its stages and documents;
- each stage's template (`letters/<id>.html` or `.txt`, `letters/<id>.email.txt` for an e-mail
  companion) and the templates it imports or includes, present in `templates/`;
- each element a stage `contains`, marked by `has("element")` where rendering goes: the template, the
  blocks of its parent it keeps or replaces, the macros it calls, followed into the templates it
  imports (a mark behind a name only rendering resolves is left to rendering);
- an e-mail that does not open on « Objet : ».

What only the rendered text tells (an SMS made too long by a company field, a name a template uses
that the letter's context lacks) is checked by rendering the blank letters as the project loads
(model/letters.py, `letter_problems`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateNotFound, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.memo import by_text
from cgvkit.core.templating import environment
from cgvkit.model.company import Company
from cgvkit.model.ladder import Stage, ladder_for

PRINTED = ("letter", "registered_letter")
_PARSER = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)  # core.templating's layout


Call = tuple[str, ...]  # ("name", macro) or ("attr", alias of an imported template, macro)


@dataclass(frozen=True)
class Scope:
    """What one stretch of a template (its top level, a block, a macro) does when it is rendered."""

    marks: frozenset[str]  # elements marked by has("…") with a written name
    calls: tuple[Call, ...]  # what it calls that may be a macro
    blocks: tuple[str, ...]  # the blocks it prints (a child template may replace them)
    includes: tuple[str, ...]
    calls_super: bool  # a block that prints its parent's version too


@dataclass(frozen=True)
class TemplateFacts:
    """What one template's text says, before rendering."""

    top: Scope
    blocks: dict[str, Scope]
    macros: dict[str, Scope]
    imports: dict[str, str]  # alias → template
    from_imports: dict[str, tuple[str, str]]  # name → (template, macro)
    extends: str | None
    references: tuple[str, ...]  # every template it imports, includes or extends
    dynamic: bool  # a has(…), a template name or a macro passed around that only rendering resolves
    subject: bool | None  # its first line opens on « Objet : » something; None: only rendering tells

    @property
    def marks(self) -> frozenset[str]:
        """Every element marked anywhere in the text."""
        scopes = [self.top, *self.blocks.values(), *self.macros.values()]
        return frozenset().union(*(scope.marks for scope in scopes))


def _constant(node: nodes.Expr) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def _scope(body: list[nodes.Node]) -> tuple[Scope, bool]:
    """The scope of `body` (macros and blocks defined in it are scopes of their own), and whether
    something in it only rendering resolves."""
    marks: set[str] = set()
    calls: list[Call] = []
    blocks: list[str] = []
    includes: list[str] = []
    calls_super = dynamic = False
    todo: list[nodes.Node] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, nodes.Macro):
            continue
        if isinstance(node, nodes.Block):
            blocks.append(node.name)
            continue
        if isinstance(node, nodes.Include):
            included = _constant(node.template)
            dynamic = dynamic or included is None
            includes.extend([included] if included else [])
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if node.node.name == "has":
                mark = _constant(node.args[0]) if node.args else None
                dynamic = dynamic or mark is None
                marks.update([mark] if mark else [])
            elif node.node.name == "super":
                calls_super = True
            else:
                calls.append(("name", node.node.name))
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) \
                and isinstance(node.node.node, nodes.Name):
            calls.append(("attr", node.node.node.name, node.node.attr))
        todo.extend(node.iter_child_nodes())
    return Scope(frozenset(marks), tuple(calls), tuple(blocks), tuple(includes), calls_super), dynamic


@by_text(maxsize=256)
def template_facts(text: str, name: str) -> TemplateFacts | None:
    """The facts of one template's text; None when it does not parse (`template-syntax` says why)."""
    try:
        tree = _PARSER.parse(text, name=name)
    except TemplateSyntaxError:
        return None
    top, dynamic = _scope(tree.body)
    scopes: dict[str, dict[str, Scope]] = {"blocks": {}, "macros": {}}
    defined: list[tuple[str, nodes.Block | nodes.Macro]] = [("blocks", n) for n in tree.find_all(nodes.Block)]
    defined += [("macros", n) for n in tree.find_all(nodes.Macro)]
    for kind, node in defined:
        scope, unknown = _scope(node.body)
        scopes[kind][node.name] = scope
        dynamic = dynamic or unknown
    imports: dict[str, str] = {}
    for imported in tree.find_all(nodes.Import):
        target = _constant(imported.template)
        dynamic = dynamic or target is None
        imports.update({imported.target: target} if target else {})
    from_imports: dict[str, tuple[str, str]] = {}
    for picked in tree.find_all(nodes.FromImport):
        target = _constant(picked.template)
        dynamic = dynamic or target is None
        if target is None:
            continue
        for entry in picked.names:
            macro, alias = entry if isinstance(entry, tuple) else (entry, entry)
            from_imports[alias] = (target, macro)
    extends = None
    for parent in tree.find_all(nodes.Extends):
        extends = _constant(parent.template)
        dynamic = dynamic or extends is None
    # has(), a macro or an imported template named other than to call it (stored, passed, `self.…`): not followed.
    callees = {id(c.node if isinstance(c.node, nodes.Name) else c.node.node) for c in tree.find_all(nodes.Call)
               if isinstance(c.node, nodes.Name) or (isinstance(c.node, nodes.Getattr)
                                                     and isinstance(c.node.node, nodes.Name))}
    bound = {"has", "self", *imports, *from_imports, *scopes["macros"]}
    dynamic = dynamic or any(n.name in bound and id(n) not in callees for n in tree.find_all(nodes.Name))
    references = [r for r in meta.find_referenced_templates(tree) if r is not None]
    return TemplateFacts(top, scopes["blocks"], scopes["macros"], imports, from_imports, extends,
                         tuple(references), dynamic, _subject(tree))


def _subject(tree: nodes.Template) -> bool | None:
    """Whether the text opens on « Objet : » followed by a subject, when written text opens it."""
    for node in tree.body:
        if isinstance(node, (nodes.Import, nodes.FromImport, nodes.Macro, nodes.Assign)):
            continue  # prints nothing
        if not isinstance(node, nodes.Output):
            return None  # a block, a condition: only rendering tells
        for item in node.nodes:
            if not isinstance(item, nodes.TemplateData):
                return None
            text = item.data.lstrip()
            if not text:
                continue
            line, ends, _ = text.partition("\n")
            if not line.startswith("Objet"):
                return None if not ends and "Objet".startswith(line) else False
            if line.partition(":")[2].strip():
                return True
            return False if ends else None  # « Objet : » then a value: only rendering tells
    return False  # an empty e-mail


class LetterChecks:
    """The letter checks of one project load: each template is read once for all its companies."""

    def __init__(self, root: Path):
        self.root = root
        self.env = environment(str((root / "templates").resolve()))
        self._facts: dict[str, TemplateFacts | None | str] = {}
        self._stages: dict[str, tuple[bool, list[str], set[str]]] = {}

    def _read(self, name: str) -> TemplateFacts | None | str:
        """The template's facts; None when it does not parse; a French reason when it cannot be read."""
        if name not in self._facts:
            try:
                assert self.env.loader is not None  # environment() always gives a FolderLoader
                text = self.env.loader.get_source(self.env, name)[0]
            except TemplateNotFound as exc:  # FolderLoader says why a link is refused: « name (why) »
                said = str(exc)
                self._facts[name] = said.removeprefix(name).strip(" ()") if said.startswith(f"{name} (") \
                    else "introuvable"
            except (OSError, UnicodeDecodeError) as exc:
                self._facts[name] = f"illisible ({exc.__class__.__name__})"
            else:
                self._facts[name] = template_facts(text, name)
        return self._facts[name]

    def _gather(self, name: str) -> tuple[bool, list[str]]:
        """(dynamic, unreadable « templates/x » lines) of `name` and every template it references:
        rendering loads them all."""
        dynamic, unreadable, seen, todo = False, [], set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            facts = self._read(current)
            if isinstance(facts, str):
                unreadable.append(f"« templates/{current} » {facts}")
            elif facts is None:
                dynamic = True  # a syntax error: check_templates reports it
            else:
                dynamic = dynamic or facts.dynamic
                todo.extend(facts.references)
        return dynamic, unreadable

    def _template(self, name: str) -> tuple[bool, list[str], set[str]]:
        """(dynamic, unreadable, marks) of a stage's template, worked out once for all companies."""
        if name not in self._stages:
            dynamic, unreadable = self._gather(name)
            self._stages[name] = (dynamic, unreadable, set() if dynamic or unreadable else self.marks(name))
        return self._stages[name]

    def _parsed(self, name: str) -> TemplateFacts:
        facts = self._read(name)
        assert isinstance(facts, TemplateFacts)  # _gather found every template readable and parsed
        return facts

    def marks(self, name: str) -> set[str]:
        """The elements rendering `name` marks: its own text, the blocks that end up printed (a child
        template's, else its parent's) and the macros they call, followed into imported templates."""
        found: set[str] = set()
        done: set[tuple[str, ...]] = set()

        def template(current: str) -> None:
            chain = [current]  # the template, its parent, the parent's parent…
            while (parent := self._parsed(chain[-1]).extends) is not None and parent not in chain:
                chain.append(parent)
            for link in chain:  # an imported template's top level runs when it is imported
                facts = self._parsed(link)
                for imported in {*facts.imports.values(), *(t for t, _ in facts.from_imports.values())}:
                    if ("template", imported) not in done:
                        done.add(("template", imported))
                        template(imported)
            scope(chain[-1], self._parsed(chain[-1]).top, chain)

        def scope(where: str, part: Scope, chain: list[str]) -> None:
            found.update(part.marks)
            for call in part.calls:
                macro(where, call)
            for included in part.includes:
                if ("template", included) not in done:
                    done.add(("template", included))
                    template(included)
            for name_ in part.blocks:
                block(name_, chain, 0)

        def block(name_: str, chain: list[str], start: int) -> None:
            for i in range(start, len(chain)):
                part = self._parsed(chain[i]).blocks.get(name_)
                if part is not None:
                    if ("block", *chain, name_, str(i)) not in done:
                        done.add(("block", *chain, name_, str(i)))
                        scope(chain[i], part, chain)
                        if part.calls_super:
                            block(name_, chain, i + 1)
                    return

        def macro(where: str, call: Call) -> None:
            facts = self._parsed(where)
            if call[0] == "attr":
                if call[1] in facts.imports:
                    macro(facts.imports[call[1]], ("name", call[2]))
            elif call[1] in facts.from_imports:
                source, name_ = facts.from_imports[call[1]]
                macro(source, ("name", name_))
            elif call[1] in facts.macros and ("macro", where, call[1]) not in done:
                done.add(("macro", where, call[1]))
                scope(where, facts.macros[call[1]], [])

        template(name)
        return found

    def stage_problems(self, company: Company, stage: Stage) -> list[Problem]:
        problems: list[Problem] = []
        channels = [(stage.channel, "")] + ([(stage.companion, ".email")] if stage.companion else [])
        marks: set[str] = set()
        dynamic = False
        for channel, suffix in channels:
            name = f"letters/{stage.id}{suffix}.{'html' if channel in PRINTED else 'txt'}"
            unknown, unreadable, found = self._template(name)
            dynamic = dynamic or unknown
            marks |= found
            if unreadable:
                problems.append(stage.problem("id", f"gabarit « templates/{name} » inutilisable pour l’étape "
                                              f"« {stage.id} » : {' ; '.join(unreadable)}", "letter-template"))
                continue
            facts = self._read(name)
            if channel == "email" and isinstance(facts, TemplateFacts) and facts.subject is False:
                problems.append(stage.problem("channel", "le courriel doit commencer par « Objet : » suivi "
                                              "de son objet", "email-subject"))
        if problems or dynamic:
            return problems  # a template missing, or marks only rendering can tell
        skip = set()
        if company.market != "b2b":
            skip.add("indemnity")  # never claimed from a consumer (C. conso. L111-8)
        contestation = company.clause("contestation_period")
        if contestation is None or contestation.params.get("days") is None:
            skip.add("contestation")  # the CGV have no contestation clause
        return [stage.problem("contains", f"le gabarit de l’étape « {stage.id} » ne contient pas l’élément "
                              f"« {element} » exigé par l’échelle", "ladder-contains")
                for element in stage.contains if element not in marks and element not in skip]

    def company_problems(self, company: Company) -> list[Problem]:
        """Everything the company's letters would be refused for that the ladder and templates tell."""
        try:
            ladder = ladder_for(company, self.root).for_market(company.market)
        except KitError as exc:
            return list(exc.problems)
        return [p for stage in ladder.stages + ladder.documents for p in self.stage_problems(company, stage)]
