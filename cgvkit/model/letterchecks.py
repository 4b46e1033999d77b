"""What a company's letters need, resolved from its ladder and the letter templates read as data.

`documents/` only renders the letters. Everything a pack's letters can be refused for that the
ladder and the templates' text tell without rendering is found here, when the project loads, so
`validate` says it and `pack`, `all` and the dunning run say it before writing anything:

- the company's own ladder (`letters.ladder`), its stages and documents;
- each stage's template (`letters/<id>.html` or `.txt`, `letters/<id>.email.txt` for an e-mail
  companion) and the templates it imports or includes, present in `templates/`;
- each element a stage `contains`, marked in its templates by `has("element")`;
- an e-mail that does not open on « Objet : ».

What only the rendered text tells (an SMS made too long by a company field, a name a template uses
that the letter's context lacks) is checked when the letters are rendered (documents/letters.py).
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


@dataclass(frozen=True)
class TemplateFacts:
    """What one template's text says, before rendering."""

    marks: frozenset[str]  # elements marked by has("…") with a written name
    dynamic: bool  # a has(…) or an import whose name is computed: only rendering tells
    references: tuple[str, ...]  # templates it imports, includes or extends
    subject: bool | None  # its first line opens on « Objet : » something; None: only rendering tells


@by_text(maxsize=256)
def template_facts(text: str, name: str) -> TemplateFacts | None:
    """The facts of one template's text; None when it does not parse (`template-syntax` says why)."""
    try:
        tree = _PARSER.parse(text, name=name)
    except TemplateSyntaxError:
        return None
    marks, dynamic = set(), False
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "has":
            first = call.args[0] if call.args else None
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                marks.add(first.value)
            else:
                dynamic = True
    references = []
    for reference in meta.find_referenced_templates(tree):
        if reference is None:
            dynamic = True
        else:
            references.append(reference)
    return TemplateFacts(frozenset(marks), dynamic, tuple(references), _subject(tree))


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

    def _read(self, name: str) -> TemplateFacts | None | str:
        """The template's facts; None when it does not parse; a French reason when it cannot be read."""
        if name not in self._facts:
            try:
                assert self.env.loader is not None  # environment() always gives a FolderLoader
                text = self.env.loader.get_source(self.env, name)[0]
            except TemplateNotFound as exc:  # FolderLoader says why a link is refused
                self._facts[name] = str(exc).removeprefix(name).strip(" ()") or "introuvable"
            except (OSError, UnicodeDecodeError) as exc:
                self._facts[name] = f"illisible ({exc.__class__.__name__})"
            else:
                self._facts[name] = template_facts(text, name)
        return self._facts[name]

    def _gather(self, name: str) -> tuple[set[str], bool, list[str]]:
        """(marks, dynamic, unreadable « templates/x : why » lines) of `name` and what it references."""
        marks: set[str] = set()
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
                marks |= facts.marks
                dynamic = dynamic or facts.dynamic
                todo.extend(facts.references)
        return marks, dynamic, unreadable

    def stage_problems(self, company: Company, stage: Stage) -> list[Problem]:
        problems: list[Problem] = []
        channels = [(stage.channel, "")] + ([(stage.companion, ".email")] if stage.companion else [])
        marks: set[str] = set()
        dynamic = False
        for channel, suffix in channels:
            name = f"letters/{stage.id}{suffix}.{'html' if channel in PRINTED else 'txt'}"
            found, unknown, unreadable = self._gather(name)
            marks |= found
            dynamic = dynamic or unknown
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
