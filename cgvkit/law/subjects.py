"""What law/ reads of the companies and clause variants it judges, and nothing more.

model/ builds them (model/company.py, model/library.py); law/ never imports model/: its classes match
these protocols by their shape, and mypy checks that they do wherever model/ hands one to law/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import Field
from datetime import date
from typing import ClassVar, Protocol

from cgvkit.law.rates import HalfYearRates
from cgvkit.sources.yamlsource import Source


class Sourced(Protocol):
    """Anything read from a user file: a company profile, a clause variant (rules read its YAML and
    locate their problems in it)."""

    @property
    def source(self) -> Source: ...


class Variant(Protocol):
    """The variant a company chose for a clause: rules and penalties go by its name."""

    @property
    def name(self) -> str: ...


class Family(Protocol):
    """A clause family: its title names the article in messages."""

    @property
    def title(self) -> str: ...


class Clause(Protocol):
    """One clause of a company's CGV: its family, its variant and its parameters, defaults included."""

    @property
    def family(self) -> Family: ...
    @property
    def variant(self) -> Variant: ...
    @property
    def params(self) -> Mapping[str, object]: ...


class Terms(Protocol):
    """A set of CGV as the penalties read it: its clauses (a company, or one recorded version of its CGV)."""

    def clause(self, family: str) -> Clause | None: ...


class Company(Sourced, Protocol):
    """A company profile resolved against the library, as the rules of law judge it."""

    # A dataclass: `rules._as_of` judges a copy of it with another half-year's rates (dataclasses.replace).
    __dataclass_fields__: ClassVar[dict[str, Field[object]]]

    @property
    def market(self) -> str: ...
    @property
    def effective_date(self) -> date: ...
    @property
    def rates(self) -> HalfYearRates | None: ...
    @property
    def clause_path(self) -> tuple[str, ...]: ...  # where its clauses are written: ("clauses",) or ("clauses", market)
    def clause(self, family: str) -> Clause | None: ...
    def written_clauses(self) -> Mapping[str, object]: ...


class Library(Protocol):
    """The clause library, whose variants the library-scope rules read."""

    def all_variants(self) -> Iterable[Sourced]: ...
