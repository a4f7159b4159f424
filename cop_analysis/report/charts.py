"""Report charts: the plotly figures and the colours they share.

One colour per code across every figure (``code_colors``: the codebook's colour unless an earlier
code took it), themes named after a code in that code's colour (``theme_colors``), the others and
groups in ``CODE_PALETTE`` / neutral ``GROUP_SHADES``; ``_layout`` gives every figure the same
look and ``_short`` / ``_cut`` shorten axis labels (whole in the hover). The ``fig_*`` functions
take a ``ReportData`` or the frames of :mod:`cop_analysis.report.data` and return a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .data import ReportData, among, code_names, code_totals, percent, selection_title

FONT = "Inter, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


# colours for codes the codebook gives none (or a taken one) and for themes not named after a code:
# 24 qualitative colours, distinct from one another
CODE_PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#EECA3B", "#9D755D",
                "#FF9DA6", "#1B9E77", "#7570B3", "#E7298A", "#66A61E", "#A6761D", "#17BECF", "#393B79",
                "#AD494A", "#637939", "#8C6D31", "#CE6DBD", "#3182BD", "#E6550D", "#31A354", "#843C39"]
OUTLIER_COLOR = "#c9c9c9"  # theme -1: contributions in no theme
GROUP_SHADES = ("#B7C4D1", "#1F2F3F")  # bars by wave/role: neutral slate shades, never a code's colour


def code_colors(data: ReportData) -> dict[str, str]:
    """Code name -> colour, one per code across every figure: the codebook's colour (the one the
    workbench and the quote cards show) unless an earlier code took it, else a ``CODE_PALETTE``
    colour far from the others (:func:`_spare_colors`); codebook order, then codes only the codings
    name (sorted)."""
    names = code_names(data)
    given = dict(zip(data.codes["code_id"], data.codes["color"]))
    ids = list(data.codes["code_id"]) + sorted(set(names) - set(data.codes["code_id"]))
    chosen: dict[str, str] = {}
    for code in ids:  # codebook colours first, first come first served
        color = given.get(code)
        if isinstance(color, str) and color.strip() and color.upper() not in {c.upper() for c in chosen.values()}:
            chosen[code] = color
    rest = [c for c in ids if c not in chosen]
    chosen.update(zip(rest, _spare_colors(list(chosen.values()), len(rest))))
    return {names.get(code, code): chosen[code] for code in ids}


def theme_colors(labels: list[str], codes: Mapping[str, str]) -> dict[str, str]:
    """Theme label -> colour, distinct within ``labels``: a theme named after a code has the code's
    colour (``codes``: :func:`code_colors`), the others a ``CODE_PALETTE`` colour no code has, far
    from the codes' and the other themes' colours (:func:`_spare_colors`)."""
    by_name = {str(name).casefold(): color for name, color in codes.items()}
    out: dict[str, str] = {}
    for label in labels:
        color = by_name.get(str(label).casefold())
        if color and color.upper() not in {c.upper() for c in out.values()}:
            out[label] = color
    rest = [lab for lab in labels if lab not in out]
    out.update(zip(rest, _spare_colors(list(out.values()) + list(codes.values()), len(rest))))
    return out


def _spare_colors(taken: list[str], n: int) -> list[str]:
    """``n`` colours of ``CODE_PALETTE`` not in ``taken``, each the one farthest from ``taken`` and
    the ones picked before it (so it is told apart from them); palette order breaks ties."""
    def rgb(color: str) -> tuple[int, ...]:
        return tuple(int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))

    def distance(a: tuple[int, ...], b: tuple[int, ...]) -> float:  # 'redmean' approximation of perceived difference
        r = (a[0] + b[0]) / 2
        return ((2 + r / 256) * (a[0] - b[0]) ** 2 + 4 * (a[1] - b[1]) ** 2
                + (2 + (255 - r) / 256) * (a[2] - b[2]) ** 2) ** .5

    near = [rgb(c) for c in taken if isinstance(c, str) and len(c.lstrip("#")) == 6]
    pool = [c for c in CODE_PALETTE if c.upper() not in {t.upper() for t in taken if isinstance(t, str)}]
    out: list[str] = []
    for i in range(n):
        if not pool:  # more codes than colours: repeat the palette
            out.append(CODE_PALETTE[i % len(CODE_PALETTE)])
            continue
        best = max(pool, key=lambda c: (min((distance(rgb(c), t) for t in near), default=0.0), -pool.index(c)))
        pool.remove(best)
        near.append(rgb(best))
        out.append(best)
    return out


def _layout(fig: Any, title: str, height: int | None = None, subtitle: str = "") -> Any:
    heading: dict[str, Any] = {"text": title, "x": 0, "y": 0.995, "yanchor": "top", "font": {"size": 16}}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 12.5, "color": "#57606a"}}
    fig.update_layout(title=heading,
                      template="simple_white",
                      font={"family": FONT, "size": 13, "color": "#24292f"},
                      margin={"l": 10, "r": 10, "t": 72 if subtitle else 50, "b": 10},
                      height=height, paper_bgcolor="white", plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0})
    return fig


def _hover_text(text: Any) -> str:
    """``text`` for plotly hover labels: its HTML-like characters as entities (plotly would read tags)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _snippet(text: Any, limit: int = 120, width: int = 60) -> str:
    """At most ``limit`` characters of ``text`` (cut at a word, '…' appended), wrapped for a hover label."""
    import textwrap

    flat = " ".join(str(text if isinstance(text, str) else "").split())
    if len(flat) > limit:
        head = flat[:limit - 1]
        if flat[limit - 1] != " " and " " in head:
            head = head.rsplit(" ", 1)[0]
        flat = head.rstrip(" ,;:") + "…"
    return "<br>".join(_hover_text(line) for line in textwrap.wrap(flat, width)) if flat else ""


def fig_code_totals(data: ReportData, title: str = "How often each code was applied") -> Any:
    import plotly.graph_objects as go

    totals = code_totals(data).sort_values("n_units", kind="stable")
    colors = code_colors(data)
    names = totals["name"].astype(str).tolist()
    fig = go.Figure(go.Bar(x=totals["n_units"], y=_short(names, 40), orientation="h",
                           marker_color=[colors.get(n, CODE_PALETTE[0]) for n in names],
                           text=totals["n_units"], textposition="outside", customdata=[_hover_text(n) for n in names],
                           hovertemplate="<b>%{customdata}</b>: %{x} units<extra></extra>"))
    fig.update_xaxes(title="coded units", showgrid=True, gridcolor="#eee")
    return _layout(fig, title, height=max(260, 28 * len(totals) + 90))


def fig_grouped(matrix: pd.DataFrame, title: str, unit: str = "units", counts: pd.DataFrame | None = None,
                subtitle: str = "") -> Any:
    """Bars per row of ``matrix`` (codes), one per column (group) in neutral shades (a code's colour
    means that code everywhere). With ``counts`` (same shape), ``matrix`` holds % of each group's
    units: a percent axis, and the hover shows the share and the count."""
    import plotly.graph_objects as go
    from plotly.colors import sample_colorscale

    group = _hover_text(matrix.columns.name or "group")
    n = len(matrix.columns)
    shades = sample_colorscale([[0, GROUP_SHADES[0]], [1, GROUP_SHADES[1]]], n if n > 1 else [0.6])
    labels = _short(matrix.index, 40)
    fig = go.Figure()
    for i, column in enumerate(matrix.columns):
        custom = [[_hover_text(name), _hover_text(column)] for name in matrix.index]
        if counts is not None:
            custom = [row + [int(counts.loc[name, column])] for row, name in zip(custom, matrix.index)]
            hover = (f"<b>%{{customdata[0]}}</b><br>{group} %{{customdata[1]}}: %{{x:.1f}}% of its units "
                     f"(%{{customdata[2]}} units)<extra></extra>")
        else:
            hover = f"<b>%{{customdata[0]}}</b><br>{group} %{{customdata[1]}}: %{{x}} {unit}<extra></extra>"
        fig.add_bar(name=str(column), y=labels, x=matrix[column].tolist(), orientation="h", marker_color=shades[i],
                    customdata=custom, hovertemplate=hover)
    fig.update_layout(barmode="group", bargap=0.25, legend_title_text=str(matrix.columns.name or ""))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title=unit, showgrid=True, gridcolor="#eee", ticksuffix="%" if counts is not None else "")
    return _layout(fig, title, height=max(300, (14 + 8 * len(matrix.columns)) * len(matrix) + 120), subtitle=subtitle)


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, '…' at the end."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    if text[limit - 1] != " " and not head.endswith(" ") and " " in head.strip():  # mid-word: drop the part word
        head = head.rstrip().rsplit(" ", 1)[0]
    return head.rstrip(" ,;:·–-/(“\"'") + "…"


def _short(labels: Any, limit: int = 28) -> list[str]:
    """Labels longer than ``limit`` cut at a word boundary with a trailing '…' ('Reflection circle 3:
    repair…'); labels that would then look alike keep more words, up to the whole label."""
    full = [str(label) for label in labels]
    limits = [limit] * len(full)
    short = [_cut(t, limit) for t in full]
    while True:
        seen: dict[str, int] = {}
        for s in short:
            seen[s] = seen.get(s, 0) + 1
        clash = [i for i, s in enumerate(short) if seen[s] > 1 and s != full[i]]
        if not clash:
            return short
        for i in clash:
            limits[i] += 6
            short[i] = _cut(full[i], limits[i])


def fig_heatmap(matrix: pd.DataFrame, title: str, colorscale: str = "Blues", unit: str = "units",
                x_title: str | None = None, y_title: str | None = None, subtitle: str = "") -> Any:
    """Heatmap of ``matrix`` with its values written in the cells; labels shortened on the axes
    (:func:`_short`), whole in the hover. Axis titles: ``x_title``/``y_title``, else the names of
    the matrix's columns/index."""
    import plotly.graph_objects as go

    z = matrix.to_numpy(dtype=float)
    columns = _short(matrix.columns)
    rows = [_hover_text(r) for r in matrix.index]
    custom = [[[r, _hover_text(c)] for c in matrix.columns] for r in rows]
    x_title = str(matrix.columns.name or "") if x_title is None else x_title
    y_title = str(matrix.index.name or "") if y_title is None else y_title
    # room above the plot for the slanted column labels, so they never run into the title
    top = (60 + int(0.6 * 7 * max((len(c) for c in columns), default=0))
           + (24 if x_title else 0) + (22 if subtitle else 0))
    fig = go.Figure(go.Heatmap(z=z, x=columns, y=_short(matrix.index, 40), customdata=custom,
                               colorscale=colorscale, text=matrix.to_numpy(), texttemplate="%{text}",
                               hovertemplate=f"<b>%{{customdata[0]}}</b> × <b>%{{customdata[1]}}</b>: %{{z}} {unit}"
                                             "<extra></extra>", showscale=False,
                               xgap=2, ygap=2))
    fig.update_yaxes(autorange="reversed", automargin=True, title=y_title or None)
    fig.update_xaxes(side="top", tickangle=-35, automargin=True, title=x_title or None)
    fig = _layout(fig, title, height=max(320, 34 * len(matrix) + 110 + top), subtitle=subtitle)
    return fig.update_layout(margin={"t": top})


def fig_theme_sizes(table: pd.DataFrame, title: str = "Themes by size") -> Any:
    """The 12 largest themes as % of all coding units (bar, label and axis alike); hover: the whole
    label, units and keywords."""
    import plotly.graph_objects as go

    table = table.head(12).iloc[::-1]
    custom = [[_hover_text(lab), int(size), _hover_text(kw)]
              for lab, size, kw in zip(table["label"], table["size"], table["keywords"])]
    fig = go.Figure(go.Bar(x=(table["share"] * 100).round(2), y=_short(table["label"], 60), orientation="h",
                           marker_color=CODE_PALETTE[0], text=[percent(s) for s in table["share"]],
                           textposition="outside", customdata=custom,
                           hovertemplate="<b>%{customdata[0]}</b><br>%{x:.1f}% of all units (%{customdata[1]} units)"
                                         "<br>%{customdata[2]}<extra></extra>"))
    fig.update_xaxes(title="% of all coding units", ticksuffix="%", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(260, 34 * len(table) + 100))


def fig_wave_lines(share: pd.DataFrame, waves: list[str], title: str, top: int = 8,
                   colors: Mapping[str, str] | None = None, counts: pd.DataFrame | None = None) -> Any:
    """% of each wave's units per code (``share``: :func:`wave_change`) for the ``top`` codes whose
    share changed most from the first to the last wave (ties: the larger code), in that order;
    ``colors``: :func:`code_colors`; ``counts`` (:func:`code_by_group` by wave) adds units to the hover."""
    import plotly.graph_objects as go

    first, last = waves[0], waves[-1]
    change = share["Change (points)"] if "Change (points)" in share else (share[last] - share[first]).round(1)
    size = counts[waves].sum(axis=1) if counts is not None else share[waves].mean(axis=1)
    order = sorted(range(len(share)), key=lambda i: (-abs(float(change.iloc[i])), -float(size.iloc[i]), i))
    chosen = share.iloc[order[:top]]
    fig = go.Figure()
    for i, (name, row) in enumerate(chosen.iterrows()):
        custom = [[_hover_text(name), int(counts.loc[name, w]) if counts is not None else ""] for w in waves]
        units = " (%{customdata[1]} units)" if counts is not None else ""
        color = (colors or {}).get(name) or CODE_PALETTE[i % len(CODE_PALETTE)]
        fig.add_scatter(x=waves, y=row[waves].tolist(), name=f"{name} ({float(change[name]):+.1f})",
                        mode="lines+markers", line={"width": 3, "color": color}, marker={"size": 9},
                        customdata=custom,
                        hovertemplate=f"<b>%{{customdata[0]}}</b><br>wave %{{x}}: %{{y:.1f}}% of the wave's units"
                                      f"{units}<extra></extra>")
    fig.update_xaxes(title="wave", type="category")
    fig.update_yaxes(title="% of the wave's units", ticksuffix="%", showgrid=True, gridcolor="#eee", rangemode="tozero")
    which = (f"the {len(chosen)} codes (of {len(share)}) whose share changed most" if len(chosen) < len(share)
             else "every code, largest change first")
    fig = _layout(fig, title, height=440,
                  subtitle=f"Shown: {which} from wave {first} to wave {last}; change in points in the legend")
    return fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top",
                                     "title": {"text": "Code (change)"}})


def fig_theme_map(data: ReportData, table: pd.DataFrame, title: str = "Map of what was said") -> Any:
    """The contributions of the largest theme selection on its 2-D map, one colour per theme (a
    theme named after a code in the code's colour); hover: theme, a snippet of the text (as
    ``data`` holds it: de-identified in the shareable report) and the source."""
    import plotly.graph_objects as go

    themes = data.themes[among(data.themes["segment_id"], data.units["segment_id"])].dropna(subset=["x", "y"])
    selection = themes["selection"].value_counts().index[0]  # each selection has its own 2-D map
    themes = themes[themes["selection"] == selection]
    if table["selection"].nunique() > 1:
        title = f"{title}: {selection_title(selection)}"
    labels = {(s, t): lab.removesuffix(f" · {selection_title(s)}")
              for s, t, lab in zip(table["selection"], table["theme_id"], table["label"])}
    units = data.units.drop_duplicates("segment_id").set_index("segment_id")
    groups = list(themes.groupby(["selection", "theme_id"]))
    names = [labels.get(key, "not in a theme") for key, _ in groups]
    colors = theme_colors([n for (key, _), n in zip(groups, names) if key[1] >= 0], code_colors(data))
    fig = go.Figure()
    for ((sel, tid), group), name in zip(groups, names):
        ids = group["segment_id"]
        custom = [[_hover_text(name), snippet, source] for snippet, source in zip(
            ids.map(units["text"]).map(_snippet), ids.map(units["source_title"]).fillna("").map(_hover_text))]
        fig.add_scatter(x=group["x"], y=group["y"], mode="markers", name=name, customdata=custom,
                        marker={"size": 7, "opacity": 0.75, "color": OUTLIER_COLOR if tid < 0 else colors[name]},
                        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br><i>%{customdata[2]}</i>"
                                      "<extra></extra>")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig = _layout(fig, title, height=520)
    fig.update_layout(showlegend=len(fig.data) <= 12, hoverlabel={"align": "left"})
    return fig
