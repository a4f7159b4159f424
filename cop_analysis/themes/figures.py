"""Plotly figures from the published theme tables (no BERTopic import needed).

>>> from cop_analysis.themes import figures, load_table
>>> figures.barchart(load_table(cfg, "theme_info"), "turns: members")
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd

from ..config import ProjectConfig


def _one(frame: pd.DataFrame, selection: str) -> pd.DataFrame:
    rows = frame[frame.selection == selection]
    if rows.empty:
        raise KeyError(f"no themes for selection {selection!r}; known: {sorted(frame.selection.unique())}")
    return rows


def barchart(info: pd.DataFrame, selection: str, n_words: int = 5) -> Any:
    """Horizontal bars of theme sizes, labelled with the theme label and its top keywords."""
    import plotly.graph_objects as go

    rows = _one(info, selection).sort_values("size")
    words = rows.keywords.map(lambda k: ", ".join(k.split(", ")[:n_words]))
    fig = go.Figure(go.Bar(x=rows["size"], y=rows.label, orientation="h", text=words, textposition="auto",
                           hovertemplate="%{y}<br>%{x} segments<br>%{text}<extra></extra>"))
    fig.update_layout(title=f"Themes: {selection}", xaxis_title="segments", yaxis_title=None,
                      height=max(300, 32 * len(rows) + 120), margin={"l": 10})
    return fig


def documents_map(themes: pd.DataFrame, selection: str, segments: pd.DataFrame | None = None) -> Any:
    """Scatter of the stored 2-D coordinates, one colour per theme; hover shows the text if ``segments`` given."""
    import plotly.graph_objects as go

    rows = _one(themes, selection)
    if segments is not None:
        rows = rows.merge(segments[["segment_id", "text"]], on="segment_id", how="left")
    fig = go.Figure()
    for label, part in rows.groupby("theme_label", sort=True):
        hover = (part.text.fillna("").map(lambda t: "<br>".join(textwrap.wrap(t, 80)[:4]))
                 if "text" in part else part.segment_id)
        fig.add_trace(go.Scattergl(x=part.x, y=part.y, mode="markers", name=str(label), text=hover,
                                   marker={"size": 6, "opacity": 0.75},
                                   hovertemplate="%{text}<extra>" + str(label) + "</extra>"))
    fig.update_layout(title=f"Segments by theme: {selection}", xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def hierarchy(cfg: ProjectConfig, selection: str) -> Any:
    """Dendrogram of theme centroids (cosine, average linkage), leaves named by current labels."""
    import plotly.figure_factory as ff

    from .project import _raw, load_table, slug

    info = _one(load_table(cfg, "theme_info"), selection)
    raw = _raw(cfg, selection)
    assert raw is not None
    centroids = np.load(cfg.processed / "themes" / slug(selection) / "centroids.npy")
    raw_ids = raw[1].theme_id.tolist()
    current = load_table(cfg, "themes")
    pairs = current[current.selection == selection][["segment_id", "theme_id"]].merge(
        raw[0][["segment_id", "theme_id"]], on="segment_id", suffixes=("", "_raw"))
    vectors, names = [], []
    for theme, label in zip(info.theme_id, info.label):
        members = [raw_ids.index(r) for r in pairs[pairs.theme_id == theme].theme_id_raw.unique() if r in raw_ids]
        if members:  # a merged theme averages its fitted themes' centroids
            vectors.append(centroids[members].mean(axis=0))
            names.append(f"{theme}: {label}")
    if len(vectors) < 2:
        raise ValueError(f"selection {selection!r} has fewer than two themes: no hierarchy to draw")
    fig = ff.create_dendrogram(np.stack(vectors), orientation="left", labels=names,
                               distfun=lambda v: _cosine_distances(v), linkagefun=lambda d: _average(d))
    fig.update_layout(title=f"Theme hierarchy: {selection}", height=max(300, 28 * len(names) + 120))
    return fig


def _cosine_distances(v: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import pdist

    return pdist(v, metric="cosine")


def _average(d: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import linkage

    return linkage(d, method="average")


def wave_change(groups: pd.DataFrame, info: pd.DataFrame, selection: str) -> Any:
    """Share of segments per theme in each wave (grouped bars); needs at least two waves."""
    import plotly.graph_objects as go

    rows = groups[(groups.selection == selection) & (groups.group_by == "wave")]
    if rows.empty:
        raise ValueError(f"selection {selection!r} spans fewer than two waves")
    labels = dict(zip(_one(info, selection).theme_id, _one(info, selection).label))
    fig = go.Figure()
    for wave, part in rows.groupby("group", sort=True):
        part = part.sort_values("theme_id")
        fig.add_trace(go.Bar(name=f"wave {wave}", x=part.theme_id.map(labels), y=part.share))
    fig.update_layout(barmode="group", title=f"Theme shares by wave: {selection}", yaxis_tickformat=".0%")
    return fig


def groups_heatmap(groups: pd.DataFrame, info: pd.DataFrame, selection: str, group_by: str = "role") -> Any:
    """Heatmap of theme shares per group (role, department or wave)."""
    import plotly.graph_objects as go

    rows = groups[(groups.selection == selection) & (groups.group_by == group_by)]
    if rows.empty:
        raise ValueError(f"selection {selection!r} has no '{group_by}' groups")
    labels = dict(zip(_one(info, selection).theme_id, _one(info, selection).label))
    table = rows.pivot_table(index="group", columns="theme_id", values="share", fill_value=0)
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=[labels.get(t, str(t)) for t in table.columns],
                               y=table.index.tolist(), colorscale="Blues", zmin=0))
    fig.update_layout(title=f"Themes by {group_by}: {selection}")
    return fig
