"""Charts a person reads without hovering: the note pyramid and the odor-family composition with labels on
their segments, and what moved between two versions.

Colours are stable so versions can be compared at a glance: each position has its own palette (top bright
yellows and greens, heart pinks and violets, base browns) and each material keeps one shade of it, chosen
from its id, in every version and every chart; each odor family has one colour.
"""

from __future__ import annotations

import zlib

import plotly.graph_objects as go

from perfumery.catalog import Catalog
from perfumery.diff import IngredientChange, RecipeDiff
from perfumery.models import FAMILY_KO, Family, NotePosition
from perfumery.recipe import Ingredient, Recipe
from perfumery.vocabulary import POSITION_KO

PALETTES: dict[NotePosition, tuple[str, ...]] = {
    NotePosition.top: ("#f6c445", "#e0a526", "#c5d65b", "#9ccc65", "#ffd166", "#f4a259", "#d4e157", "#7fc97f"),
    NotePosition.heart: ("#ec7aa6", "#d6568f", "#f3a6c8", "#b57edc", "#c77dba", "#f48fb1", "#9575cd", "#e57373"),
    NotePosition.base: ("#8d6e63", "#a1887f", "#6d4c41", "#c08a5b", "#b5835a", "#7e5a3c", "#d7a86e", "#9c6b4e"),
}
# The segment that gathers a position's small lines: a pale tint of the position's palette.
GATHERED: dict[NotePosition, str] = {NotePosition.top: "#f3ecc8", NotePosition.heart: "#f5dbe7",
                                     NotePosition.base: "#e3d5cc"}
FAMILY_COLOURS: dict[Family, str] = {
    Family.citrus: "#f6c445", Family.aromatic: "#7cb342", Family.green: "#43a047", Family.floral: "#ec7aa6",
    Family.fruity: "#ff8a65", Family.spicy: "#d84315", Family.gourmand: "#a1665e", Family.woody: "#8d6e63",
    Family.amber: "#d4942f", Family.resinous: "#b5651d", Family.musk: "#b0a8c9", Family.aldehydic: "#90caf9",
    Family.marine: "#29b6f6", Family.leather: "#5d4037", Family.animalic: "#795548", Family.earthy: "#827717",
    Family.mossy: "#558b2f", Family.powdery: "#d7bde2",
}
UNKNOWN_COLOUR = "#bdbdbd"  # a line the knowledge base does not know (an imported formula's unknown material)
BEFORE_COLOUR = "#c7c7c7"
SMALL_PERCENT = 3.0  # lines below this share of the concentrate join their position's gathered segment
SMALL_FAMILY = 4.0  # families below this share of the concentrate are one "그 외" slice
LABEL_CHARS = 14  # longer names are shortened on a segment (the whole name is in the hover and the table)
MIN_LABEL_SIZE = 9  # a label that would need a smaller font is hidden rather than shrunk to a smudge
MOST_CHANGES = 10


def material_colour(material_id: str, note: NotePosition) -> str:
    """The material's shade of its position's palette: the same in every version and chart."""
    palette = PALETTES[note]
    return palette[zlib.crc32(material_id.encode()) % len(palette)]


def pyramid_figure(recipe: Recipe) -> go.Figure:
    """The note pyramid as one layered column, base at the bottom and top above: one labelled segment per
    material (name and %), its position named with its share beside it.

    One column rather than a bar per position: every segment then spans the chart's width, so a line of a
    few percent still carries its name on a phone.
    """
    figure = go.Figure()
    floor = 0.0
    for position in reversed(NotePosition):  # stacked from the bottom: base, heart, top
        lines = sorted((i for i in recipe.ingredients if i.note == position), key=lambda i: -i.percent)
        for ing in (i for i in lines if i.percent >= SMALL_PERCENT):
            colour = material_colour(ing.material_id, position)
            figure.add_bar(x=[0], y=[ing.percent], name=_name(ing), marker_color=colour,
                           text=[f"{_short(_name(ing))} {_pct(ing.percent)}%"], insidetextfont={"color": _ink(colour)},
                           hovertemplate=f"{_name(ing)} {_pct(ing.percent)}%<extra></extra>")
        small = [i for i in lines if i.percent < SMALL_PERCENT]
        if small:
            share = sum(i.percent for i in small)
            listed = "<br>".join(f"{_name(i)} {_pct(i.percent)}%" for i in small)
            figure.add_bar(x=[0], y=[share], name=f"그 외 {len(small)}종", marker_color=GATHERED[position],
                           text=[f"그 외 {len(small)}종 {_pct(share)}%"], insidetextfont={"color": "#333333"},
                           hovertemplate=f"{listed}<extra></extra>")
        total = sum(i.percent for i in lines)
        if total:
            figure.add_annotation(x=0, xref="paper", xanchor="right", xshift=-6, y=floor + total / 2, yref="y",
                                  text=f"<b>{POSITION_KO[position]}</b><br>{total:.0f}%", showarrow=False, align="right")
            floor += total
            figure.add_shape(type="line", xref="paper", x0=0, x1=1, y0=floor, y1=floor, line={"color": "white", "width": 3})
    figure.update_traces(textposition="inside", insidetextanchor="middle", textangle=0, width=1,
                         marker_line={"color": "white", "width": 1})
    _style(figure, f"향 피라미드 — {recipe.name or '새 향수'} v{recipe.version}", height=480)
    figure.update_layout(barmode="stack", margin={"l": 64, "r": 16, "t": 50, "b": 16}, bargap=0)
    figure.update_xaxes(visible=False, range=[-0.5, 0.5])
    figure.update_yaxes(visible=False, range=[0, max(floor, 1)])
    return figure


def composition_figure(recipe: Recipe, catalog: Catalog) -> go.Figure:
    """A ring of odor families by their share of the concentrate, each slice labelled with family and %."""
    shares: dict[Family | None, float] = {}
    for ing in recipe.ingredients:
        family = catalog.material(ing.material_id).family if ing.material_id in catalog else None
        shares[family] = shares.get(family, 0.0) + ing.percent
    ordered = sorted(((f, v) for f, v in shares.items() if f is not None and v >= SMALL_FAMILY), key=lambda kv: -kv[1])
    labels = [FAMILY_KO[f] for f, _ in ordered]
    values = [v for _, v in ordered]
    colours = [FAMILY_COLOURS[f] for f, _ in ordered]
    rest = [(f, v) for f, v in shares.items() if f is None or v < SMALL_FAMILY]
    if rest:  # unknown lines and the smallest families, named in the hover
        labels.append("그 외")
        values.append(sum(v for _, v in rest))
        colours.append(UNKNOWN_COLOUR)
    hover = {"그 외": ", ".join(f"{FAMILY_KO[f] if f else '미등록 재료'} {v:.1f}%" for f, v in rest)}
    figure = go.Figure(go.Pie(
        labels=labels, values=values, hole=0.45, sort=False, direction="clockwise",
        customdata=[hover.get(label, f"{label} {value:.1f}%") for label, value in zip(labels, values, strict=True)],
        marker={"colors": colours, "line": {"color": "white", "width": 1}},
        texttemplate="%{label}<br>%{value:.0f}%", textposition="inside", insidetextorientation="horizontal",
        hovertemplate="%{customdata}<extra></extra>", showlegend=False))
    _style(figure, "향 계열 구성 (농축액 중 %)", height=340)
    figure.update_layout(margin={"l": 30, "r": 30, "t": 50, "b": 30})
    return figure


def diff_figure(change: RecipeDiff, catalog: Catalog) -> go.Figure | None:
    """Paired bars per material that moved, the older version grey above the newer in the material's own
    colour, each labelled with its %; None when only the load or the concentration changed."""
    moved = sorted([*change.changed, *change.added, *change.removed], key=lambda c: -abs(c.delta))[:MOST_CHANGES]
    if not moved:
        return None
    names = [c.name_ko or c.material_id for c in moved]
    figure = go.Figure()
    # A horizontal group draws its first trace at the bottom: the newer version first puts the older on top.
    figure.add_bar(y=names, x=[c.after for c in moved], orientation="h", name=f"v{change.to_version}",
                   marker_color=[_change_colour(c, catalog) for c in moved], text=[f"{_pct(c.after)}%" for c in moved],
                   hovertemplate=f"%{{y}} v{change.to_version} %{{x:.2f}}%<extra></extra>")
    figure.add_bar(y=names, x=[c.before for c in moved], orientation="h", name=f"v{change.from_version}",
                   marker_color=BEFORE_COLOUR, text=[f"{_pct(c.before)}%" for c in moved],
                   hovertemplate=f"%{{y}} v{change.from_version} %{{x:.2f}}%<extra></extra>")
    figure.update_traces(textposition="outside", cliponaxis=False, textangle=0)
    _style(figure, f"바뀐 재료 — v{change.from_version}(회색) → v{change.to_version}", height=110 + 46 * len(moved))
    figure.update_layout(barmode="group", xaxis_title="농축액 중 %",
                         yaxis={"categoryorder": "array", "categoryarray": list(reversed(names)), "automargin": True},
                         xaxis_range=[0, max(max(c.before, c.after) for c in moved) * 1.35 + 0.5])
    return figure


def _style(figure: go.Figure, title: str, height: int) -> None:
    """What every chart shares: a readable title, labels hidden rather than shrunk below legibility, and no
    zoom or drag (a page scrolls on a phone without moving the chart)."""
    figure.update_layout(title={"text": title, "x": 0.02, "xanchor": "left", "font": {"size": 15}}, height=height,
                         margin={"l": 60, "r": 24, "t": 50, "b": 44}, showlegend=False, dragmode=False,
                         uniformtext={"minsize": MIN_LABEL_SIZE, "mode": "hide"},
                         modebar={"remove": ["zoom", "pan", "select", "lasso", "zoomIn", "zoomOut", "autoScale",
                                             "resetScale"]})
    figure.update_xaxes(fixedrange=True, showgrid=False)
    figure.update_yaxes(fixedrange=True)


def _change_colour(change: IngredientChange, catalog: Catalog) -> str:
    if change.material_id not in catalog:
        return UNKNOWN_COLOUR
    return material_colour(change.material_id, catalog.material(change.material_id).note)


def _name(ing: Ingredient) -> str:
    return ing.name_ko or ing.material_id


def _short(name: str) -> str:
    """A segment's label: the name, or its first word when the name is long ("디메틸 벤질 카비닐 아세테이트" →
    "디메틸…")."""
    if len(name) <= LABEL_CHARS:
        return name
    first = name.split()[0]
    return (first if len(first) <= LABEL_CHARS else first[:LABEL_CHARS - 1]) + "…"


def _pct(value: float) -> str:
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _ink(colour: str) -> str:
    """Dark text on light segments and white on dark ones (relative luminance of the sRGB colour)."""
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#1f1f1f" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.55 else "#ffffff"
