"""The dunning ladder as a vertical timeline picture (SVG), drawn from the ladder's data.

Vertical so that it reads the same on a phone as on a desktop; each stage is a link to its page.
Every text comes from the ladder file and is XML-escaped.
"""

from __future__ import annotations

from markupsafe import escape

WIDTH = 640
ROW = 76
TOP = 34
AXIS_X = 132
COLORS = {"sms": "#2e7d32", "email": "#1565c0", "phone": "#6a1b9a", "letter": "#ef6c00",
          "registered_letter": "#c62828"}


def day_label(offset: int | None) -> str:
    """-5 → « J−5 », 0 → « Échéance », 7 → « J+7 »."""
    if offset is None:
        return "à tout moment"
    if offset == 0:
        return "Échéance"
    return f"J{'+' if offset > 0 else '−'}{abs(offset)}"


def timeline_svg(stages, channel_names: dict, href) -> str:
    """One row per stage, in order; `href(stage)` gives each stage's link (relative URL)."""
    height = TOP + ROW * len(stages) + 12
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder-timeline" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-labelledby="ladder-title" font-family="system-ui, -apple-system, Segoe UI, '
             f'Roboto, Helvetica, Arial, sans-serif">',
             '<title id="ladder-title">Échelle de relance : les étapes, jour par jour</title>',
             f'<line x1="{AXIS_X}" y1="{TOP - 14}" x2="{AXIS_X}" y2="{height - 14}" stroke="#9e9e9e" '
             f'stroke-width="3"/>']
    for i, stage in enumerate(stages):
        y = TOP + ROW * i + 10
        color = COLORS.get(stage.channel, "#455a64")
        channel = channel_names.get(stage.channel, stage.channel)
        if stage.companion:
            channel += " + " + channel_names.get(stage.companion, stage.companion)
        parts += [
            f'<a href="{escape(href(stage))}">',
            f'<text x="{AXIS_X - 22}" y="{y + 7}" text-anchor="end" font-size="22" font-weight="700" '
            f'fill="#37474f">{escape(day_label(stage.offset_days))}</text>',
            f'<circle cx="{AXIS_X}" cy="{y}" r="11" fill="{color}" stroke="#fff" stroke-width="3"/>',
            f'<text x="{AXIS_X + 26}" y="{y + 2}" font-size="22" font-weight="600" fill="#263238" '
            f'text-decoration="underline">{escape(stage.title)}</text>',
            f'<text x="{AXIS_X + 26}" y="{y + 28}" font-size="18" fill="{color}">{escape(channel)}</text>',
            '</a>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)
