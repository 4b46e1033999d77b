"""A company profile resolved against the clause library: which variant, which values."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, cast
from urllib.parse import urlsplit
from xml.etree import ElementTree

from PIL import Image

from cgvkit.core.errors import KitError, Problem, Problems
from cgvkit.core.french import NBSP, NNBSP, typography
from cgvkit.law import identity
from cgvkit.law.rates import HalfYearRates, RateTable
from cgvkit.model.library import Family, Library, Variant
from cgvkit.sources.schemas import french_message, rule_name, schema_errors, schema_file, validate
from cgvkit.sources.yamlsource import Path_, Source, load_file, strings

# The slug (file name without .yaml) names the company's folders in dist/ and on the site.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 64
RESERVED_SLUGS = ("relances", "index", "apercu", "modifications")  # dist/relances/, dist/index.json, dist/apercu/, …
LOGO_SUFFIXES = {".png", ".jpg", ".jpeg", ".svg"}
# Optional identity fields, present as "" so templates can test them under StrictUndefined.
OPTIONAL_IDENTITY = ("vat_number", "website", "iban", "bic", "logo")


# A profile as schemas/company.yaml lets it through.
class Address(TypedDict):
    street: str
    postal_code: str
    city: str


class IdentityFile(TypedDict):
    name: str
    legal_form: str
    capital: int | Decimal
    siren: str
    rcs: str
    address: Address
    email: str
    phone: str
    vat_number: NotRequired[str]
    website: NotRequired[str]
    iban: NotRequired[str]
    bic: NotRequired[str]
    logo: NotRequired[str]


class ProfileFile(TypedDict):
    company: IdentityFile
    market: NotRequired[str]  # one market…
    markets: NotRequired[list[str]]  # …or both: two CGV, `clauses` keyed by market
    effective_date: date
    # family → its entry as written (None: `family:` alone); with `markets`, market → such a block
    clauses: dict[str, dict[str, object] | None]
    letters: dict[str, object]
    ledger: NotRequired[dict[str, object]]  # columns, fec_customer_prefixes, due_dates
    sending: NotRequired[dict[str, dict[str, object] | str]]


def profile(source: Source) -> ProfileFile:
    return cast(ProfileFile, source.data)  # load_company checked it against schemas/company.yaml


@dataclass
class ResolvedClause:
    family: Family
    variant: Variant
    params: dict[str, object]
    number: int = 0  # article number in the CGV, set once all clauses are known


@dataclass
class Company:
    slug: str
    path: Path
    source: Source
    identity: dict[str, object]  # the profile's `company` block, OPTIONAL_IDENTITY present ("" when absent)
    market: str
    effective_date: date
    letters: dict[str, object]
    clauses: list[ResolvedClause] = field(default_factory=list)
    rates: HalfYearRates | None = None  # the rates of the effective date's half-year
    sending: dict[str, Any] = field(default_factory=dict)  # `sending` as written: e-mail server, SMS gateway, invoices
    # Every market the profile publishes CGV for (`markets: [b2b, b2c]`), the first being this view's
    # own when it is the profile's main view; `clause_path` is where this market's clauses are written.
    markets: tuple[str, ...] = ()
    clause_path: tuple[str, ...] = ("clauses",)
    views: dict[str, Company] = field(default_factory=dict, repr=False, compare=False)

    def clause(self, family: str) -> ResolvedClause | None:
        return next((c for c in self.clauses if c.family.name == family), None)

    @property
    def pack_folder(self) -> str:
        """Where this market's CGV and letters sit in the pack: "" (its top) for the profile's first
        market, "b2c/" for a second one."""
        return "" if not self.markets or self.market == self.markets[0] else f"{self.market}/"

    def for_market(self, market: str) -> Company:
        """The company's CGV for a market it publishes (a debtor's market): the same profile, that
        market's clauses and articles. A market it does not publish: this view (the ledger refused it)."""
        return self.views.get(market, self)

    def written_clauses(self) -> dict[str, object]:
        """This market's `clauses` block as the profile writes it ({} when absent)."""
        found: object = self.source.data
        for key in self.clause_path:
            found = found.get(key) if isinstance(found, dict) else None
        return found if isinstance(found, dict) else {}

    @property
    def articles(self) -> dict[str, int]:
        return {c.family.name: c.number for c in self.clauses}


def market_view(company: Any, kind: str) -> Any:
    """The company's CGV for a debtor of `kind` (Company.for_market): the company itself when it
    publishes one CGV, or for a plain object standing in for a company."""
    for_market = getattr(company, "for_market", None)
    return for_market(kind) if for_market is not None else company


def default_kind(company: Any) -> str:
    """The kind of a debtor a ledger does not type: the company's market, or "" (none: each row must
    say b2b or b2c) for a company that sells to both."""
    return "" if len(getattr(company, "views", None) or ()) > 1 else str(company.market)


def load_company(path: Path, root: Path, library: Library, table: RateTable, problems: Problems) -> Company | None:
    """Load, validate and resolve one profile; problems are collected, never raised midway."""
    message = slug_problem(path.stem)
    if message:
        problems.add(Problem(_printable(_relative(path, root)), 1, 1, "", message, "company-slug"))
        return None
    try:
        source = load_file(path, root)
    except KitError as exc:
        problems.extend(exc.problems)
        return None
    found = validate(source, schema_file(root, "company"))
    problems.extend(found)
    if found:
        return None
    data = profile(source)
    ident: dict[str, object] = {**dict.fromkeys(OPTIONAL_IDENTITY, ""), **data["company"]}
    markets = tuple(data["markets"]) if "markets" in data else (data["market"],)
    company = Company(slug=path.stem, path=path, source=source, identity=ident,
                      market=markets[0], effective_date=data["effective_date"],
                      letters=data["letters"], sending=data.get("sending") or {}, markets=markets)
    _check_identity(source, data["company"], root, problems)
    _check_sending(source, company.sending, root, problems)
    try:
        company.rates = table.for_date(company.effective_date,
                                       where=source.problem(("effective_date",), "", "rates-missing"))
    except KitError as exc:
        problems.extend(exc.problems)
    if len(markets) == 1:
        company.views[company.market] = company
    elif _check_markets(source, markets, problems):
        for market in markets:  # one view per market, sharing identity, letters and sending
            company.views[market] = dataclasses.replace(company, market=market, clause_path=("clauses", market),
                                                        clauses=[], views=company.views)
        company = company.views[markets[0]]
    else:
        return company
    for view in company.views.values():
        _resolve_clauses(view, library, problems)
    return company


def _check_markets(source: Source, markets: tuple[str, ...], problems: Problems) -> bool:
    """With `markets: [b2b, b2c]`, `clauses` has one block per market, each a block of families."""
    if len(set(markets)) != len(markets):
        problems.add(source.problem(("markets",), typography(
            "un même marché figure deux fois : écrivez « markets: [b2b, b2c] », ou « market: b2b » pour un seul"),
            "company-markets"))
        return False
    written = profile(source)["clauses"]
    ok = True
    for key in written:
        if key not in markets:
            problems.add(source.problem(("clauses", key), typography(
                f"avec « markets », les clauses se rangent par marché : « clauses: {{b2b: {{…}}, b2c: {{…}}}} » ; "
                f"« {key} » n’est pas l’un des marchés {', '.join(markets)}"), "company-markets"))
            ok = False
    for market in markets:
        block = written.get(market)
        for family in block or ():
            if not isinstance(family, str) or not SLUG_FAMILY.fullmatch(family):
                problems.add(source.problem(("clauses", market, family), f"nom de famille de clauses invalide "
                                            f"« {_printable(str(family))} »", "schema-regex"))
                ok = False
            elif not isinstance((block or {})[family], dict | None):
                problems.add(source.problem(("clauses", market, family), "un bloc de clés est attendu ici "
                                            "(ou rien pour la variante par défaut)", "schema-type"))
                ok = False
    return ok


SLUG_FAMILY = re.compile(r"[a-z][a-z0-9_]*")


def slug_problem(slug: str) -> str | None:
    """Why a file name cannot name a company (its folder in dist/ and on the site), or None."""
    refused = f"nom de fichier refusé{NBSP}: «{NBSP}{_printable(slug)}{NBSP}»"  # the name as it is, spaces kept
    if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
        return refused + typography(f"{NNBSP}; le nom du fichier d’une entreprise (sans .yaml) ne contient que des lettres "
                                    f"minuscules sans accent, des chiffres et des tirets, {SLUG_MAX} caractères au "
                                    "plus, par exemple « atelier-lyonnais.yaml »")
    if slug in RESERVED_SLUGS or slug.startswith("index-"):
        return refused + typography(f"{NNBSP}; ce nom est réservé par le kit dans dist/ (relances, index…) : renommez le "
                                    "fichier")
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _printable(text: str) -> str:
    """A name as one line: control characters shown as escapes (\\n, \\t…)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _check_one_line_fields(source: Source, problems: Problems) -> None:
    """Names, addresses and the signatory print in letters, e-mail headers and payment codes: one line
    each, without control or invisible characters."""
    data = profile(source)
    signatory = (data.get("letters") or {}).get("signatory")
    for path, text in (*strings(data["company"], ("company",)), *strings(signatory, ("letters", "signatory"))):
        message = identity.check_one_line(text, f"le champ {'.'.join(map(str, path))}")
        if message:
            problems.add(source.problem(path, message, "identity-control-character"))


def _check_identity(source: Source, ident: IdentityFile, root: Path, problems: Problems) -> None:
    _check_one_line_fields(source, problems)
    checks: list[tuple[Literal["siren", "email", "iban", "bic", "phone"], Callable[[object], str | None], str]] = [
        ("siren", identity.check_siren, "identity-siren"),
        ("email", identity.check_email, "identity-email"),
        ("iban", identity.check_iban, "identity-iban"),
        ("bic", identity.check_bic, "identity-bic"),
        ("phone", identity.check_phone_fr, "identity-phone"),
    ]
    for key, check, rule in checks:
        if key in ident:
            message = check(ident[key])
            if message:
                problems.add(source.problem(("company", key), message, rule))
    message = identity.check_postal_code_fr(ident["address"]["postal_code"])
    if message:
        problems.add(source.problem(("company", "address", "postal_code"), message, "identity-postal-code"))
    if "vat_number" in ident:
        message = identity.check_vat_fr(ident["vat_number"], ident["siren"])
        if message:
            problems.add(source.problem(("company", "vat_number"), message, "identity-vat"))
    if "logo" in ident:
        message = logo_problem(ident["logo"], root)
        if message:
            problems.add(source.problem(("company", "logo"), message, "identity-logo"))


def loopback(host: str) -> bool:
    """`localhost` or a loopback address: the only hosts spoken to without encryption."""
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_sending(source: Source, sending: dict[str, Any], root: Path, problems: Problems) -> None:
    """What the schema cannot say: no clear text off this machine, invoices inside the project."""
    email, sms = sending.get("email") or {}, sending.get("sms") or {}
    if email.get("security") == "none" and not loopback(email["host"]):
        problems.add(source.problem(("sending", "email", "security"), typography(
            f"« none » n’est permis que pour un serveur local (127.0.0.1, localhost), pas pour « {email['host']} » : "
            "sans chiffrement, le mot de passe et les courriels des débiteurs circuleraient en clair sur le réseau ; "
            "choisissez starttls ou ssl"), "sending-security"))
    for key in ("host", "user", "from", "reply_to", "bcc"):  # e-mail headers and SMTP commands: one line
        message = identity.check_one_line(email[key], f"le champ sending.email.{key}") if key in email else None
        if message:
            problems.add(source.problem(("sending", "email", key), message, "identity-control-character"))
            return
    for key in ("from", "reply_to", "bcc"):
        if key in email and identity.check_email(_addr_spec(email[key])):
            problems.add(source.problem(("sending", "email", key), typography(
                f"« {email[key]} » : une adresse nom@domaine est attendue, éventuellement précédée d’un nom "
                "(« Atelier Lyonnais <relances@exemple.fr> »)"), "sending-address"))
    if sms:
        host = urlsplit(sms["url"]).hostname or ""
        if not sms["url"].startswith("https://") and not loopback(host):
            problems.add(source.problem(("sending", "sms", "url"), typography(
                "la passerelle SMS doit être en https:// (le jeton et les numéros des débiteurs circuleraient en "
                "clair) ; http:// n’est permis que pour un serveur local"), "sending-security"))
    folder = sending.get("invoices_dir")
    if folder is not None:
        target = (root / folder).resolve()
        if Path(folder).is_absolute() or not target.is_relative_to(root.resolve()):
            problems.add(source.problem(("sending", "invoices_dir"), typography(
                f"« {folder} » sort du projet : indiquez un dossier du projet, par exemple data/factures"),
                "sending-invoices"))


def _addr_spec(text: str) -> str:
    """`Name <a@b>` → `a@b`; a bare address as it is."""
    return text.rpartition("<")[2].rstrip(">").strip() if "<" in text else text.strip()


def logo_path(value: str, root: Path) -> Path:
    return (root / value).resolve()


def logo_problem(value: str, root: Path) -> str | None:
    """A logo is a file inside the project; never a URL, an absolute path or a way out."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or value.startswith(("/", "\\")):
        return f"le logo « {value} » doit être un chemin relatif au projet, pas une adresse ni un chemin absolu"
    target = logo_path(value, root)
    if not target.is_relative_to(root.resolve()):
        return f"le logo « {value} » sort du projet : seuls les fichiers du projet sont autorisés"
    if target.suffix.lower() not in LOGO_SUFFIXES:
        return f"le logo « {value} » doit être une image PNG, JPEG ou SVG"
    if not target.is_file():
        return f"le logo « {value} » est introuvable"
    if target.stat().st_size > LOGO_MAX_BYTES:
        return f"le logo « {value} » pèse plus de {LOGO_MAX_BYTES // 1_000_000} Mo : un logo en pèse quelques dizaines de Ko"
    if target.suffix.lower() == ".svg":
        return _svg_problem(value, target)
    return _bitmap_problem(value, target)


LOGO_MAX_BYTES = 5_000_000
LOGO_MAX_PIXELS = 16_000_000  # 4000 × 4000: far more than a printed logo needs, far less than a bomb
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def _bitmap_problem(value: str, target: Path) -> str | None:
    """A PNG or JPEG that Pillow reads, of sane dimensions, checked without decoding its pixels."""
    expected = _FORMATS[target.suffix.lower()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(target) as image:  # reads the header only
                kind, (width, height) = image.format, image.size
                if width * height <= LOGO_MAX_PIXELS:
                    image.load()  # every pixel decodes: a truncated file would print no logo
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"le logo « {value} » déclare une image démesurée (bombe de décompression) : il est refusé"
    except Exception:  # Pillow raises many kinds (UnidentifiedImageError, SyntaxError, OSError…)
        return f"le logo « {value} » n’est pas une image {expected} lisible (fichier endommagé ou d’un autre type)"
    if kind != expected:
        return f"le logo « {value} » est une image {kind}, pas {expected} comme son extension l’annonce"
    if width * height > LOGO_MAX_PIXELS:
        return (f"le logo « {value} » mesure {width} × {height} pixels : au plus "
                f"{LOGO_MAX_PIXELS // 1_000_000} millions de pixels (bombe de décompression ?)")
    return None


_SVG_REFERENCES = ("href", "{http://www.w3.org/1999/xlink}href", "src")


def _svg_problem(value: str, target: Path) -> str | None:
    """An SVG is XML without DTD, scripts, event handlers or references to anything outside itself."""
    try:
        text = target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"le logo « {value} » n’est pas un SVG en UTF-8"
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return f"le logo « {value} » contient une DTD ou des entités XML : elles sont refusées dans un SVG"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return f"le logo « {value} » n’est pas un SVG valide (XML illisible ligne {exc.position[0]})"
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        return f"le logo « {value} » n’est pas un SVG (l’élément racine n’est pas <svg>)"
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2]
        if name in ("script", "foreignObject", "iframe", "object", "embed"):
            return f"le logo « {value} » contient un élément <{name}> : un logo est une image, sans programme"
        for attribute, content in element.attrib.items():
            if attribute.rpartition("}")[2].lower().startswith("on"):
                return f"le logo « {value} » contient un gestionnaire d’événement ({attribute}) : refusé"
            if attribute in _SVG_REFERENCES and not content.strip().startswith("#"):
                return f"le logo « {value} » fait référence à « {content[:60]} » : un logo ne charge rien d’extérieur"
        styles = f"{element.text or '' if name == 'style' else ''} {element.attrib.get('style', '')}"
        if re.search(r"@import|url\(\s*['\"]?(?!#)", styles):
            return f"le logo « {value} » charge une ressource depuis son style : un logo ne charge rien d’extérieur"
    return None


def _resolve_clauses(company: Company, library: Library, problems: Problems) -> None:
    source, market, at = company.source, company.market, company.clause_path
    chosen = cast(dict[str, dict[str, object] | None], company.written_clauses())
    for name, entry in chosen.items():
        family = library.families.get(name)
        if family is None:
            known = ", ".join(sorted(library.families))
            problems.add(source.problem(at + (name,), f"famille de clauses inconnue « {name} » "
                                        f"(familles connues : {known})", "clause-unknown-family"))
            continue
        if market not in family.markets:
            problems.add(source.problem(at + (name,), f"la famille « {name} » n’est pas prévue pour "
                                        f"le marché {market}", "clause-market"))
            continue
        _resolve_one(company, family, dict(entry or {}), at + (name,), problems)
    for family in library.ordered():
        if market in family.required and family.name not in chosen:
            _resolve_one(company, family, {}, at + (family.name,), problems)
    company.clauses.sort(key=lambda c: (c.family.order, c.family.name))
    for number, clause in enumerate(company.clauses, start=1):
        clause.number = number


def _resolve_one(company: Company, family: Family, entry: dict[str, object], where: Path_, problems: Problems) -> None:
    source = company.source
    _expand_rate_shorthand(family.name, entry)
    name = entry.pop("variant", None) or family.default[company.market]
    variant = family.variants.get(str(name))
    if variant is None:
        known = ", ".join(sorted(family.variants))
        problems.add(source.problem(where + ("variant",), f"variante inconnue « {name} » pour "
                                    f"{family.name} (variantes : {known})", "clause-unknown-variant"))
        return
    if company.market not in variant.markets:
        problems.add(source.problem(where + ("variant",), f"la variante {variant.id} n’est pas prévue "
                                    f"pour le marché {company.market}", "clause-market"))
        return
    schema = {p.name: p.cerberus_rule() for p in variant.parameters.values()}
    errors = schema_errors(schema, entry)
    if errors:
        for error in errors:
            key = where + tuple(error.document_path)
            # No article here: the bound is the clause's own choice; rules of law cite theirs.
            message = f"{french_message(error)} — limite déclarée par {variant.source.file}"
            problems.add(source.problem(key, message, f"parameter-{rule_name(error)}"))
        return
    if not (variant.valid_from <= company.effective_date
            and (variant.valid_to is None or company.effective_date <= variant.valid_to)):
        problems.add(source.problem(("effective_date",), f"la variante {variant.id} n’est pas en vigueur "
                                    f"à cette date (validité à partir du {variant.valid_from})", "clause-validity"))
    params = {**variant.defaults(), **entry}
    company.clauses.append(ResolvedClause(family, variant, params))


_RATE = re.compile(r"^ecb\s*\+\s*(\d+(?:[.,]\d+)?)$|^(\d+(?:[.,]\d+)?)\s*x-legal$")


def _expand_rate_shorthand(family: str, entry: dict[str, object]) -> None:
    """`late_penalties: {rate: ecb+10 | 3x-legal | 12.5}` (the profile contract) → a variant."""
    if family != "late_penalties" or "variant" in entry or "rate" not in entry:
        return
    rate = entry["rate"]
    match = _RATE.match(str(rate).strip().lower())
    if match and match.group(1):
        entry.pop("rate")
        entry.update(variant="ecb_plus_10", margin=Decimal(match.group(1).replace(",", ".")))
    elif match:
        entry.pop("rate")
        entry.update(variant="three_times_legal", multiplier=Decimal(match.group(2).replace(",", ".")))
    else:
        entry["variant"] = "fixed_rate"
