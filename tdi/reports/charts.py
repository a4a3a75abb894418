"""Charts drawn on the server as accessible SVG, the same on the pages and in the PDFs.

Each chart has a <title> that is its text alternative, the title followed by its data (its
accessible name on the pages; the /Alt of its Figure in a tagged PDF, where WeasyPrint reads
the <title> alone), and a <desc> that reads out its data; the pages put the data table beside
it. Labels are escaped here: the markup can be inserted as is.

A bar chart compares amounts of one measure: every bar has the same colour (the blue of the
data), since a colour of its own would say that a bar differs in kind — or, in rust, that it is
an alert. What tells bars apart is their label and length.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.utils.html import escape

from tdi.formats import euros, format_number

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 120
ROW = 26
BAR = 16
# Funders shown one by one in a chart; the others are added up on one bar.
CHART_FUNDERS = 8
BAR_COLOUR = "#2f6f9f"  # 5.4:1 against white (WCAG 1.4.11 asks 3:1)


def _format(value, *, unit: str, money: bool) -> str:
    if money:
        return euros(value)
    text = format_number(value)
    return f"{text}\u00a0{unit}" if unit else text


def bar_chart(
    title: str, items: list[tuple[str, Decimal | int]], *, unit: str = "", money: bool = False
) -> str:
    """Horizontal bars, one per (label, value), longest first as given."""
    chart_id = "graphique-" + hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:8]
    height = max(len(items), 1) * ROW + 10
    largest = max((float(v) for _, v in items), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    description = "; ".join(
        f"{label} : {_format(value, unit=unit, money=money)}" for label, value in items
    )
    description = description or "Aucune donnée."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-titre">',
        f'<title id="{chart_id}-titre">{escape(f"{title} : {description}")}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, (label, value) in enumerate(items):
        y = index * ROW + 5
        length = max(span * float(value) / largest, 1 if value else 0)
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 3}" text-anchor="end" '
            f'font-size="12" fill="#1b1f24">{escape(shown)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" '
            f'fill="{BAR_COLOUR}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR - 3}" font-size="12" '
            f'fill="#1b1f24">{escape(_format(value, unit=unit, money=money))}</text>'
        )
    if not items:
        parts.append('<text x="0" y="20" font-size="12" fill="#4a525c">Aucune donnée.</text>')
    parts.append("</svg>")
    return "".join(parts)


def figure_charts(figures: dict) -> dict:
    """The charts of the dashboard and the reports page, from key_figures()."""
    return {
        "stages": bar_chart(
            "Projets par étape", [(s["label"], s["count"]) for s in figures["by_stage"]]
        ),
        "axes": bar_chart(
            "Investissement par axe",
            [(a["label"], a["cost"]) for a in figures["by_axis"]],
            money=True,
        ),
        "funders": bar_chart(
            "Financements par financeur (hors refus)",
            funder_chart_items(figures["by_funder"]),
            money=True,
        ),
    }


def funder_chart_items(by_funder: list[dict]) -> list[tuple[str, Decimal]]:
    items = [(f["funder"], f["total"]) for f in by_funder if f["total"]]
    if len(items) > CHART_FUNDERS:
        rest = sum((amount for _, amount in items[CHART_FUNDERS - 1 :]), Decimal(0))
        count = len(items) - CHART_FUNDERS + 1
        items = items[: CHART_FUNDERS - 1] + [(f"{count} autres financeurs", rest)]
    return items
