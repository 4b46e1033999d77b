"""The CGV versions a company published, kept with the project in `data/cgv/<slug>.yaml`.

`pack` and `all` record the resolved CGV (effective date, clauses: id, version, parameters, article
number; a content hash) whenever it is a new version. The record is the project's memory, not git's
(a firm's folder may not be a repository): `validate` and `pack` compare the profile with it
(`cgv-retroactive`, `cgv-backdated`), and the dunning run computes each invoice under the version in
force on its invoice date.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import replace_file
from cgvkit.core.french import date_fr
from cgvkit.law.interest import RateRule
from cgvkit.law.penalties import indemnity_amount, rate_rule
from cgvkit.law.rates import HalfYearRates
from cgvkit.model.company import Company
from cgvkit.sources.yamlsource import Source

FOLDER = ("data", "cgv")
HEADER = ("# Versions des CGV publiées, enregistrées par « build.py pack » et « build.py all » : ne pas modifier\n"
          "# à la main. Une facture est calculée selon la version en vigueur à sa date.\n")
@dataclass(frozen=True)
class Version:
    effective_date: date
    market: str
    sha256: str
    clauses: tuple[dict[str, Any], ...]  # {family, id, variant, version, article, params}

    def record(self) -> dict[str, object]:
        return {"effective_date": self.effective_date, "market": self.market, "sha256": self.sha256,
                "clauses": [dict(c) for c in self.clauses]}

    @property
    def in_force(self) -> str:
        return f"en vigueur au {date_fr(self.effective_date)}"


def _plain(value: object) -> object:
    """A parameter as YAML and JSON keep it: Decimal as text, dates as ISO dates, containers walked."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _hash(clauses: list[dict[str, Any]]) -> str:
    text = json.dumps(clauses, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot(company: Company) -> Version:
    """The company's resolved CGV as a version (its hash covers the clauses, not the date)."""
    clauses = [{"family": c.family.name, "id": c.variant.id, "variant": c.variant.name, "version": c.variant.version,
                "article": c.number, "params": _plain(dict(sorted(c.params.items())))} for c in company.clauses]
    return Version(company.effective_date, company.market, _hash(clauses), tuple(clauses))


def path_of(root: Path, slug: str) -> Path:
    return root.joinpath(*FOLDER, f"{slug}.yaml")


def load(root: Path, slug: str) -> list[Version]:
    """The recorded versions, by market then effective date ([] without a file)."""
    path = path_of(root, slug)
    if not path.is_file():
        return []
    shown = "/".join((*FOLDER, path.name))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found = [Version(v["effective_date"], str(v["market"]), str(v["sha256"]), tuple(v["clauses"]))
                 for v in data.get("versions") or ()]
        if not all(isinstance(v.effective_date, date) for v in found):
            raise TypeError
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise KitError([Problem(shown, 1, 1, "", "registre des versions des CGV illisible : il est écrit par "
                                "« build.py pack » ; restaurez-le depuis votre sauvegarde plutôt que de le corriger "
                                "à la main", "cgv-versions-file")]) from None
    return sorted(found, key=lambda v: (v.market, v.effective_date))


def record(root: Path, company: Company) -> bool:
    """Add the company's current CGV to its record when it is a new version; True when written.

    A version with the same effective date is replaced (validate and pack have refused the change
    already when that date has passed); the same clauses under a later date are no new version."""
    versions = load(root, company.slug)
    current = snapshot(company)
    mine = [v for v in versions if v.market == current.market]
    same = next((v for v in mine if v.effective_date == current.effective_date), None)
    if same is not None and same.sha256 == current.sha256:
        return False
    if same is None and mine and mine[-1].sha256 == current.sha256 and current.effective_date > mine[-1].effective_date:
        return False
    kept = [v for v in versions if v is not same] + [current]
    kept.sort(key=lambda v: (v.market, v.effective_date))
    text = HEADER + yaml.safe_dump({"company": company.slug, "versions": [v.record() for v in kept]},
                                   allow_unicode=True, sort_keys=False, default_flow_style=False)
    replace_file(path_of(root, company.slug), text)
    return True


def changes(old: Version, new: Version) -> list[str]:
    """What differs between two versions, in French: clauses added, removed, variants, parameters."""
    before = {c["family"]: c for c in old.clauses}
    after = {c["family"]: c for c in new.clauses}
    found = []
    for family in sorted(before.keys() | after.keys()):
        a, b = before.get(family), after.get(family)
        if a is None:
            found.append(f"clause {family} ajoutée")
        elif b is None:
            found.append(f"clause {family} retirée")
        elif (a["id"], a["version"]) != (b["id"], b["version"]):
            found.append(f"clause {family} : {a['id']} {a['version']} → {b['id']} {b['version']}")
        else:
            for key in sorted(a["params"].keys() | b["params"].keys()):
                x, y = a["params"].get(key), b["params"].get(key)
                if x != y:
                    found.append(f"{family}.{key} : {_value_fr(x)} → {_value_fr(y)}")
    return found


def _value_fr(value: object) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    return "(aucun)" if value is None else str(value)


def _at(versions: list[Version], day: date) -> Version | None:
    """The version in force on `day` (the latest effective on or before it), or None."""
    dates = [v.effective_date for v in versions]
    index = bisect.bisect_right(dates, day)
    return versions[index - 1] if index else None


def retroactive(company: Company, versions: list[Version]) -> tuple[Version, list[str]] | None:
    """(the recorded version the profile rewrites, what changed) when the profile changes recorded CGV
    without a new, later effective date; None otherwise."""
    mine = [v for v in versions if v.market == company.market]
    if not mine:
        return None
    current = snapshot(company)
    if current.effective_date > mine[-1].effective_date:
        return None
    base = _at(mine, current.effective_date) or mine[0]
    if base.sha256 == current.sha256 and base.effective_date == current.effective_date:
        return None
    if base.sha256 == current.sha256 and current.effective_date > base.effective_date:
        return None  # same clauses, a later date within the recorded span: nothing rewritten
    said = changes(base, current) or [f"date d’effet ramenée du {date_fr(base.effective_date)} au "
                                      f"{date_fr(current.effective_date)}"]
    return base, said


def check(company: Company, root: Path, today: date | None) -> list[Problem]:
    """`cgv-retroactive` and `cgv-backdated` on the profile, against the record (nothing without one)."""
    versions = load(root, company.slug)
    mine = [v for v in versions if v.market == company.market]
    if not mine:
        return []
    where = ("effective_date",)
    found = retroactive(company, versions)
    if found is not None:
        base, said = found
        passed = today is None or base.effective_date <= today
        tail = (" : elles sont opposables depuis cette date, une modification ne vaut que pour l’avenir"
                if passed else " : cette version n’est pas encore en vigueur, publiez-la corrigée avant cette date")
        message = (f"CGV modifiées sans nouvelle date d’effet ({' ; '.join(said)}) alors que la version en vigueur au "
                   f"{date_fr(base.effective_date)} est enregistrée dans data/cgv/{company.slug}.yaml{tail} ; donnez "
                   "aux CGV modifiées une date d’effet postérieure (Code civil, art. 1103 et 1119)")
        return [company.source.problem(where, message, "cgv-retroactive", "error" if passed else "warning")]
    current = snapshot(company)
    last = mine[-1]
    if (current.effective_date > last.effective_date and current.sha256 != last.sha256
            and today is not None and current.effective_date < today):
        message = (f"nouvelle version des CGV datée du {date_fr(current.effective_date)}, date déjà passée "
                   f"({' ; '.join(changes(last, current))}) : les ventes conclues avant le {date_fr(today)} restent "
                   f"sous la version en vigueur lorsqu’elles ont été faites ; la relance les calcule ainsi "
                   "(Code civil, art. 1103 et 1119)")
        return [company.source.problem(where, message, "cgv-backdated", "warning")]
    return []


# The dunning run: each invoice under the version in force on its invoice date.

@dataclass(frozen=True)
class _Variant:
    name: str
    id: str
    version: str


@dataclass(frozen=True)
class _Family:
    name: str
    title: str


@dataclass(frozen=True)
class _Clause:
    """A recorded clause, read as law/ reads a resolved one (law.subjects.Clause)."""

    family: _Family
    variant: _Variant
    params: dict[str, object]
    number: int


@dataclass
class Terms:
    """One CGV version as letters and the plan read a company: market, articles, clause(family)."""

    version: Version
    market: str
    source: Source  # the company's profile (law.subjects.Company reads it; nothing here is located in it)
    rates: HalfYearRates | None = None
    _clauses: dict[str, _Clause | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def effective_date(self) -> date:
        return self.version.effective_date

    @property
    def articles(self) -> dict[str, int]:
        return {str(c["family"]): int(c["article"]) for c in self.version.clauses}

    def clause(self, family: str) -> _Clause | None:
        if family not in self._clauses:  # read once per version: a run asks for each debtor
            c = next((c for c in self.version.clauses if c["family"] == family), None)
            self._clauses[family] = None if c is None else _Clause(
                _Family(family, family), _Variant(str(c["variant"]), str(c["id"]), str(c["version"])),
                dict(c["params"]), int(c["article"]))
        return self._clauses[family]


class Book:
    """A company's versions for one run: the record, plus its current CGV when newer than the record."""

    def __init__(self, company: Company, versions: list[Version]):
        current = snapshot(company)
        self.current = Terms(current, company.market, company.source)
        mine = [v for v in versions if v.market == company.market]
        if not mine or current.effective_date > mine[-1].effective_date:
            mine.append(current)
        self.terms = [Terms(v, company.market, company.source) for v in mine]
        self.dates = [v.effective_date for v in mine]
        self.fallback: list[str] = []  # invoices no recorded version covers (computed under the current CGV)
        self._penalties: dict[int, tuple[RateRule | None, Decimal]] = {}
        self.said: list[Problem] = []  # the run's warnings about the record (cgv-backdated…)
        self._by_date: dict[date, Terms | None] = {}

    def penalties(self, terms: Terms) -> tuple[RateRule | None, Decimal]:
        """(the stipulated RateRule or None, the indemnity) of one version's late-penalties clause."""
        found = self._penalties.get(id(terms))
        if found is None:
            found = self._penalties[id(terms)] = (rate_rule(terms), indemnity_amount(terms))
        return found

    def at(self, row: Any) -> Terms:
        """The version in force on the ledger row's invoice date (the current CGV when none is)."""
        found = self._by_date.get(row.invoice_date)  # a ledger has a few hundred distinct dates
        if found is None:
            index = bisect.bisect_right(self.dates, row.invoice_date)
            found = self._by_date[row.invoice_date] = self.terms[index - 1] if index else None
        if found is None:
            self.fallback.append(row.invoice_number)
            return self.current
        return found


def letter_terms(company: Any, invoices: Iterable[Any]) -> tuple[Any, str]:
    """The CGV a letter about `invoices` cites: the version of its latest invoice (a company view with
    its articles and clauses), and « en vigueur au … » naming every version its invoices fall under."""
    found = {id(t): t for t in (getattr(i, "cgv", None) for i in invoices) if t is not None}
    if not found:
        return company, f"en vigueur au {date_fr(company.effective_date)}"
    chosen = sorted(found.values(), key=lambda t: t.effective_date)
    dates = [date_fr(t.effective_date) for t in chosen]
    said = "en vigueur au " + (dates[0] if len(dates) == 1 else f"{', au '.join(dates[:-1])} et au {dates[-1]}")
    return chosen[-1], said


def concerned(rows: Iterable[Any], base: Version) -> list[str]:
    """The invoices a retroactive change would rewrite: dated on or after the recorded version's date."""
    return [r.invoice_number for r in rows if r.invoice_date >= base.effective_date]


def run_problems(company: Company, root: Path, rows: Iterable[Any], run_date: date) -> list[Problem]:
    """What the dunning run says of the record on `run_date`: `cgv-retroactive` naming the invoices
    it concerns, `cgv-backdated`."""
    versions = load(root, company.slug)
    problems = check(company, root, run_date)
    found = retroactive(company, versions)
    if found is None:
        return problems
    numbers = concerned(rows, found[0])
    if not numbers:
        return problems
    shown = ", ".join(numbers[:20]) + (f" et {len(numbers) - 20} autre(s)" if len(numbers) > 20 else "")
    return [dataclasses.replace(p, message=f"{p.message} ; factures concernées : {shown}")
            if p.rule == "cgv-retroactive" else p for p in problems]


def fallback_problem(book: Book, ledger: Any) -> Problem | None:
    """The invoices no recorded version covers, computed under the current CGV: one warning."""
    if not book.fallback:
        return None
    numbers = book.fallback
    shown = ", ".join(numbers[:20]) + (f" et {len(numbers) - 20} autre(s)" if len(numbers) > 20 else "")
    return Problem(ledger.file, 1, 1, "", f"{'factures' if len(numbers) > 1 else 'facture'} {shown} : "
                   f"{'antérieures' if len(numbers) > 1 else 'antérieure'} à toute version des CGV enregistrée dans "
                   f"data/cgv/ (la première est en vigueur au {date_fr(book.dates[0])}) ; calculées selon les CGV "
                   "actuelles, vérifiez les conditions sous lesquelles ces ventes ont été conclues",
                   "cgv-version-missing", "warning")


class Books(Book):
    """The books of a company selling to both markets: each invoice read in the CGV of its debtor's
    market (`row.debtor_kind`), never a B2B version for a consumer."""

    def __init__(self, books: dict[str, Book], main: str):
        self.books, self.main = books, main
        first = books[main]
        self.current, self.terms, self.dates = first.current, first.terms, first.dates
        self.said = [p for book in books.values() for p in book.said]
        self.fallback = []
        for book in books.values():  # one list: the invoices either market's record does not cover
            book.fallback = self.fallback
        self._penalties, self._by_date = {}, {}

    def penalties(self, terms: Terms) -> tuple[RateRule | None, Decimal]:
        return self.books.get(terms.market, self.books[self.main]).penalties(terms)

    def at(self, row: Any) -> Terms:
        return self.books.get(row.debtor_kind, self.books[self.main]).at(row)


def for_run(company: Company, root: Path, rows: Iterable[Any], run_date: date) -> Book:
    """The company's versions for a dunning run or document on `run_date`, by market when it sells to
    both: a retroactive change of CGV already in force stops it (KitError naming the invoices
    concerned); its warnings are in `said`."""
    views = company.views if len(company.views) > 1 else {company.market: company}
    rows = list(rows) if len(views) > 1 else rows
    books, found, versions = {}, [], load(root, company.slug)
    for market, view in views.items():
        mine = [r for r in rows if r.debtor_kind == market] if len(views) > 1 else rows
        said = run_problems(view, root, mine, run_date)
        found += said
        books[market] = Book(view, versions)
        books[market].said = said
    if any(p.severity == "error" for p in found):
        raise KitError(found)
    return books[company.market] if len(books) == 1 else Books(books, company.market)
