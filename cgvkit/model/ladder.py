"""The dunning ladder as data: stages (in order of their offset) and stand-alone documents.

The default ladder lives in `ladder/default.yaml`; a company may replace its stages (and
documents) under `letters.ladder` in its profile. Both are validated by `schemas/ladder.yaml`
and every problem is located in the file the stage came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from cgvkit.core.errors import KitError, Problem, Problems
from cgvkit.core.memo import by_text
from cgvkit.model.company import Company
from cgvkit.sources.schemas import Schema, schema_file, schema_from_text, validate
from cgvkit.sources.yamlsource import Path_, Source, load_file, load_text

DEFAULT = Path("ladder") / "default.yaml"
LETTER_CHANNELS = ("letter", "registered_letter")
CHANNEL_NAMES = {"sms": "SMS", "email": "courriel", "phone": "appel téléphonique", "letter": "lettre",
                 "registered_letter": "lettre recommandée avec accusé de réception"}


# A ladder as schemas/ladder.yaml lets it through (a stand-alone document has no offset_days).
class StageEntry(TypedDict):
    id: str
    title: str
    channel: str
    companion: NotRequired[str]
    automatic: NotRequired[bool]
    offset_days: NotRequired[int]
    min_gap_days: NotRequired[int]
    postal_days: NotRequired[int]
    call_wait_days: NotRequired[int]
    markets: list[str]
    purpose: str
    contains: list[str]


class CatchUpEntry(TypedDict):
    days_late: int
    stage: str


class LadderFile(TypedDict):
    stages: list[StageEntry]
    documents: list[StageEntry]
    catch_up: NotRequired[list[CatchUpEntry]]


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    channel: str
    offset_days: int | None  # None for stand-alone documents
    markets: tuple[str, ...]
    purpose: str
    contains: tuple[str, ...]
    companion: str | None
    source: Source
    where: Path_  # key path of the stage in its source
    min_gap_days: int | None = None  # days to wait after this stage before the next; None: the letters' deadline
    postal_days: int = 2  # registered letters: working days from sending to receipt when none is noted
    call_wait_days: int = 2  # a call with an e-mail companion: working days to wait for its noted outcome
    automatic: bool = False  # sent by `dunning … --send-automatic` (e-mail and SMS stages only)

    @property
    def printed(self) -> bool:
        """Letters are printed (HTML + PDF); SMS, e-mail and phone scripts are text."""
        return self.channel in LETTER_CHANNELS

    def problem(self, key: str, message: str, rule: str) -> Problem:
        return self.source.problem(self.where + ((key,) if key else ()), message, rule)


@dataclass(frozen=True)
class Ladder:
    stages: tuple[Stage, ...]  # sorted by offset_days
    documents: tuple[Stage, ...]
    catch_up: tuple[tuple[int, str], ...] = ()  # (days late, stage id): a first contact long overdue

    def for_market(self, market: str) -> Ladder:
        stages = tuple(s for s in self.stages if market in s.markets)
        kept = {s.id for s in stages}
        return Ladder(stages, tuple(d for d in self.documents if market in d.markets),
                      tuple(entry for entry in self.catch_up if entry[1] in kept))

    def index(self, stage_id: str) -> int:
        return self._positions[stage_id]

    @cached_property
    def _positions(self) -> dict[str, int]:  # the plan asks for a stage's rank once per invoice
        return {s.id: i for i, s in enumerate(self.stages)}

    def get(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages + self.documents if s.id == stage_id), None)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)


def load_default(root: Path) -> Ladder:
    """The project's ladder/default.yaml, built once per process for the same text and schema."""
    try:
        text = (root / DEFAULT).read_text(encoding="utf-8")
        schema = (root / "schemas" / "ladder.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = load_file(root / DEFAULT, root)  # raises the located French error
        return _build(source, (), source.data, schema_file(root, "ladder"))
    return _default_from(text, schema)


@by_text(maxsize=8)
def _default_from(text: str, schema: str) -> Ladder:
    source = load_text(text, DEFAULT.as_posix())
    return _build(source, (), source.data, schema_from_text(schema, "schemas/ladder.yaml"))


def ladder_for(company: Company, root: Path) -> Ladder:
    """The company's ladder: its own `letters.ladder` if present, else the project default."""
    own = (company.letters or {}).get("ladder")
    if not own or not isinstance(own, dict):  # a block of keys when present (schemas/company.yaml)
        return load_default(root)
    base = ("letters", "ladder")
    if "documents" not in own:
        default = load_default(root)
        own = {**own, "documents": []}
        ladder = _build(company.source, base, own, schema_file(root, "ladder"))
        return Ladder(ladder.stages, default.documents, ladder.catch_up)
    return _build(company.source, base, own, schema_file(root, "ladder"))


def _build(source: Source, base: Path_, document: object, schema: Schema) -> Ladder:
    problems = Problems()
    problems.extend(validate(source, schema, base=base, document=document, rule_prefix="ladder"))
    problems.raise_if_errors()
    data = cast(LadderFile, document)  # it passed schemas/ladder.yaml
    stages = [_stage(source, base + ("stages", i), entry) for i, entry in enumerate(data["stages"])]
    documents = [_stage(source, base + ("documents", i), entry) for i, entry in enumerate(data["documents"])]
    _check(stages, documents, problems)
    catch_up = tuple((entry["days_late"], entry["stage"]) for entry in data.get("catch_up", []))
    after_due = {s.id for s in stages if (s.offset_days or 0) >= 0}
    for i, (_, stage_id) in enumerate(catch_up):
        if stage_id not in after_due:
            problems.add(source.problem(base + ("catch_up", i, "stage"), f"« {stage_id} » n’est pas une étape de "
                                        f"l’échelle après l’échéance ({', '.join(sorted(after_due))})",
                                        "ladder-catch-up"))
    problems.raise_if_errors()
    stages.sort(key=lambda s: s.offset_days or 0)  # every stage has its offset (schema): `or 0` is for mypy
    return Ladder(tuple(stages), tuple(documents), tuple(sorted(catch_up)))


def _stage(source: Source, where: Path_, entry: StageEntry) -> Stage:
    return Stage(entry["id"], entry["title"], entry["channel"], entry.get("offset_days"),
                 tuple(entry["markets"]), entry["purpose"], tuple(entry["contains"]),
                 entry.get("companion"), source, where, entry.get("min_gap_days"), entry.get("postal_days", 2),
                 entry.get("call_wait_days", 2), entry.get("automatic", False))


def _check(stages: list[Stage], documents: list[Stage], problems: Problems) -> None:
    seen: dict[str, Stage] = {}
    for stage in stages + documents:
        if stage.id in seen:
            problems.add(stage.problem("id", f"l’identifiant « {stage.id} » est déjà utilisé par une autre "
                                       "étape ou un autre document", "ladder-duplicate-id"))
        seen[stage.id] = stage
        if len(set(stage.contains)) != len(stage.contains):
            problems.add(stage.problem("contains", "un élément est listé deux fois", "ladder-contains"))
    offsets: dict[tuple[str, int | None], str] = {}
    for stage in stages:
        for market in stage.markets:
            key = (market, stage.offset_days)
            if key in offsets:
                problems.add(stage.problem("offset_days", f"deux étapes au même jour ({stage.offset_days}) "
                                           f"pour le marché {market} : « {offsets[key]} » et « {stage.id} »",
                                           "ladder-offset"))
            offsets[key] = stage.id
        if stage.automatic and stage.channel not in ("email", "sms"):
            problems.add(stage.problem("automatic", "seules les étapes par courriel ou SMS partent d’elles-mêmes : "
                                       "une lettre ou un appel attend une personne", "ladder-automatic"))
        if stage.companion and stage.channel == stage.companion:
            problems.add(stage.problem("companion", "le document d’accompagnement doit utiliser un autre "
                                       "canal que l’étape", "ladder-companion"))
    if not any((s.offset_days or 0) > 0 for s in stages):  # every stage has its offset (schema)
        where = stages[0] if stages else None
        if where:
            problems.add(where.problem("offset_days", "l’échelle doit compter au moins une étape après "
                                       "l’échéance", "ladder-offset"))


def check_ladder(root: Path) -> list[Problem]:
    """Problems of the default ladder file (for `validate`)."""
    try:
        load_default(root)
    except KitError as exc:
        return list(exc.problems)
    return []
