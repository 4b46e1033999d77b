"""The ladder's pages: the timeline, a page per stage and per stand-alone document, with letters."""

from __future__ import annotations

from pathlib import Path

from cgvkit.model import ladder as ladder_module
from cgvkit.site.lettertext import letter_html
from cgvkit.site.timeline import day_label, timeline_svg

# The elements a stage's message must contain (ladder `contains`), as staff call them.
ELEMENTS = {
    "invoices": "les factures concernées", "amount_due": "le montant dû", "due_date": "la date d’échéance",
    "payment_term": "le délai de paiement des CGV", "penalty_terms": "le taux des pénalités de retard",
    "indemnity": "l’indemnité forfaitaire de 40 € (B2B)", "contestation": "le délai de contestation",
    "payment_instructions": "les moyens de paiement", "signature": "la signature",
    "call_script": "le script d’appel", "deadline": "la date limite de paiement",
    "interest": "le calcul des intérêts", "formal_notice": "les mots « mise en demeure »",
    "consequence": "la suite en cas de non-paiement", "schedule": "l’échéancier",
    "acceleration": "la déchéance du terme", "acknowledgement": "la reconnaissance de la dette",
    "court": "la juridiction compétente", "checklist": "la liste des pièces à joindre",
}
KINDS = {".pdf": "PDF", ".txt": "texte"}


def load(root: Path):
    """The project's default ladder (stages in order, then stand-alone documents)."""
    return ladder_module.load_default(root)


def channel_fr(channel: str) -> str:
    return ladder_module.CHANNEL_NAMES.get(channel, channel)


def documents(letters: Path, stage_id: str) -> list[Path]:
    """A pack's files for one stage: the letter (PDF) or message (text), then its companion."""
    names = (f"{stage_id}.pdf", f"{stage_id}.txt", f"{stage_id}-email.pdf", f"{stage_id}-email.txt")
    return [letters / n for n in names if (letters / n).is_file()]


def stage_view(stage, published: list) -> dict:
    """What a stage's page shows; `published` are the companies whose packs are on the site."""
    files = []
    preview, preview_company = [], ""
    for pub in published:
        found = documents(pub.pack / "letters", stage.id)
        if found:
            files.append({"company": pub.company, "links": [
                {"href": f"../entreprises/{pub.slug}/lettres/{path.name}", "kind": KINDS[path.suffix],
                 "companion": path.stem.endswith("-email")} for path in found]})
        if found and not preview:
            preview_company = pub.company.identity["name"]
            for path in found:
                html = path.with_suffix(".html")
                preview.append({"companion": path.stem.endswith("-email"),
                                "html": letter_html(html if html.is_file() else path)})
    return {"stage": stage, "day": day_label(stage.offset_days), "channel": channel_fr(stage.channel),
            "companion": channel_fr(stage.companion) if stage.companion else "",
            "markets": list(stage.markets), "contains": [ELEMENTS.get(e, e) for e in stage.contains],
            "files": files, "preview": preview, "preview_company": preview_company}


def timeline(ladder) -> str:
    """The inline SVG of the stages; links are relative to echelle/index.html."""
    return timeline_svg(ladder.stages, ladder_module.CHANNEL_NAMES, lambda s: f"{s.id}.html")
