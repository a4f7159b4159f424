"""The evaluation reports: section builders from the project's tables, rendered to one HTML file.

``ReportData`` gathers the tables (schemas in :mod:`cop_analysis.schema`); the section
builders below are plain functions of those frames; ``render_html`` turns sections into a
self-contained page (Jinja2 template ``templates/report.html.j2``, plotly.js embedded once,
every figure a JSON block drawn on load, no external URL). ``build_reports`` is what the
``04_report`` notebook calls.

Internal report (``evaluation_report.html``): overview, code frequencies by source, speaker
role, department and wave, co-occurrence heatmap, code x group matrices, themes, change
between waves, intercoder agreement, exemplar quotes, methods appendix.
Shareable report (``lessons_learned.html``): the same data passed through
:class:`cop_analysis.deidentify.Deidentifier`, led by "Lessons learned" narratives.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from .atomic import write_text
from .schema import THEME_INFO, THEMES
from .textnorm import natural_key

UNIT_FOR_KIND = {"transcript": "turn", "survey": "response"}
GROUPS = {"source_title": "Source", "speaker_role": "Speaker role", "department": "Department", "wave": "Wave"}
PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D",
           "#EECA3B", "#BAB0AC"]
FONT = "Inter, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
QUOTE_CHARS = 420
MIN_GROUP = 2  # the shareable report drops a role or department held by fewer people (it would identify them)
REPORT_FILES = {"internal": "evaluation_report.html", "shareable": "lessons_learned.html"}
MEMBERS_SELECTION = "turns: members"  # the shareable report's conversation themes when roles are known


# -- data ----------------------------------------------------------------------------------------
@dataclass
class ReportData:
    """Everything a report shows, as frames. ``units`` are the coding units (turns, responses)
    with ``source_title``, ``who`` (speaker or respondent) and ``department`` added;
    ``assignments`` has one row per (segment_id, code_id) with ``n_coders`` and ``score``."""

    project: str
    sources: pd.DataFrame
    units: pd.DataFrame
    assignments: pd.DataFrame
    codes: pd.DataFrame  # code_id, name, color, definition (codebook order)
    basis: str = "human"  # "human" codings, "suggested" (machine suggestions) or "mixed" (see coding_basis)
    coders: list[str] = field(default_factory=list)
    themes: pd.DataFrame = field(default_factory=THEMES.empty_frame)
    theme_info: pd.DataFrame = field(default_factory=THEME_INFO.empty_frame)
    agreement: pd.DataFrame | None = None
    n_pending: int = 0
    waves: list[str] = field(default_factory=list)


def _department(attributes: Any) -> Any:
    if not isinstance(attributes, str) or not attributes.strip():
        return None
    try:
        data = json.loads(attributes)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if key.lower() in ("department", "dept", "division", "unit") and value not in (None, ""):
            return str(value)
    return None


def _wave_order(sources: pd.DataFrame, waves: pd.Series) -> list[str]:
    values = [str(w) for w in waves.dropna().unique()]
    dates = {}
    if {"wave", "date"} <= set(sources.columns):
        dates = sources.dropna(subset=["wave"]).groupby("wave")["date"].min().to_dict()
    return sorted(values, key=lambda w: (str(dates.get(w) or ""), natural_key(w)))


def prepare_units(segments: pd.DataFrame, sources: pd.DataFrame, waves: list[str] | None = None) -> pd.DataFrame:
    """Coding units of ``segments`` with source title, speaker/respondent and department columns."""
    unit_of = segments["kind"].map(UNIT_FOR_KIND)
    units = segments[segments["unit"] == unit_of].copy()
    if waves:
        units = units[units["wave"].astype(str).isin([str(w) for w in waves])]
    titles = pd.Series(sources["title"].fillna(sources["source_id"]).to_numpy(), index=sources["source_id"])
    units["source_title"] = units["source_id"].map(titles).fillna(units["source_id"])
    units["who"] = units["speaker"].where(units["speaker"].notna(), units["respondent_id"])
    units["person"] = units["who"]  # who, without the role the shareable report appends to pseudonyms
    units["department"] = units["attributes"].map(_department)
    units["quote_len"] = units["text"].str.len()
    return units.reset_index(drop=True)


HUMAN_BASIS_SHARE = 0.5  # basis 'auto': human codings alone once people coded at least this share of the units


def coding_basis(units: pd.DataFrame, codings: pd.DataFrame, suggestions: pd.DataFrame,
                 basis: str = "auto", threshold: float = 0.5) -> tuple[pd.DataFrame, str]:
    """(assignments, basis used). ``basis``: ``human`` (non-orphaned human codings), ``suggested``
    (pending or accepted machine suggestions scoring at least ``threshold``), ``mixed`` (human codings
    on the units a person coded, suggestions on the others) or ``auto``: ``suggested`` before anyone
    coded, ``mixed`` while people coded fewer than ``HUMAN_BASIS_SHARE`` of the units, then ``human``."""
    ids = set(units["segment_id"])
    human = codings[codings["segment_id"].isin(ids)]
    if "orphaned" in human:
        human = human[~human["orphaned"].fillna(False).astype(bool)]
    scores = suggestions[suggestions["segment_id"].isin(ids)].groupby(["segment_id", "code_id"])["score"].max()
    if basis == "auto":
        coded = human["segment_id"].nunique() / max(len(ids), 1)
        basis = "suggested" if human.empty else "human" if coded >= HUMAN_BASIS_SHARE else "mixed"
    if basis not in ("human", "suggested", "mixed"):
        raise ValueError(f"unknown basis {basis!r}: use auto, human, suggested or mixed")
    by_people = human.groupby(["segment_id", "code_id"])["coder"].nunique().rename("n_coders").reset_index()
    by_people["score"] = [scores.get((s, c), 1.0) for s, c in zip(by_people["segment_id"], by_people["code_id"])]
    pending = suggestions[suggestions["segment_id"].isin(ids) & suggestions["status"].isin(["suggested", "accepted"])
                          & (suggestions["score"] >= threshold)]
    by_machine = pending.groupby(["segment_id", "code_id"])["score"].max().reset_index()
    by_machine["n_coders"] = 0
    by_machine = by_machine[["segment_id", "code_id", "n_coders", "score"]]
    if basis == "human":
        return by_people, basis
    if basis == "suggested":
        return by_machine, basis
    unseen = by_machine[~by_machine["segment_id"].isin(set(human["segment_id"]))]
    return pd.concat([by_people, unseen], ignore_index=True), basis


def _read_optional(*paths: Path) -> pd.DataFrame | None:
    for path in paths:
        if path.exists():
            return pd.read_parquet(path)
    return None


def load_themes(cfg: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(themes, theme_info) of the last theme fit, empty frames if there is none."""
    processed = Path(cfg.processed)
    themes = _read_optional(processed / "themes.parquet", processed / "themes" / "themes.parquet")
    info = _read_optional(processed / "theme_info.parquet", processed / "themes" / "theme_info.parquet")
    return (THEMES.empty_frame() if themes is None else themes, THEME_INFO.empty_frame() if info is None else info)


def load_report_data(cfg: Any, waves: list[str] | None = None, basis: str = "auto") -> ReportData:
    """Read sources, segments, ledger, codebook and themes of a project into a ``ReportData``."""
    from .agreement import agreement
    from .codebook import load_project_codebook
    from .ingest import load_segments, load_sources, spoken_text
    from .ledger import Ledger
    from .schema import CODINGS, SUGGESTIONS

    sources, segments = load_sources(cfg), load_segments(cfg)
    segments["text"] = spoken_text(segments)  # quotes without labels inside merged turns
    units = prepare_units(segments, sources, waves)
    if Path(cfg.ledger_path).exists():
        with Ledger(cfg.ledger_path) as ledger:
            codings, suggestions = ledger.codings(), ledger.suggestions()
    else:
        codings, suggestions = CODINGS.empty_frame(), SUGGESTIONS.empty_frame()
    codebook = load_project_codebook(cfg)
    codes = pd.DataFrame([{"code_id": c.id, "name": c.name, "color": c.color, "definition": c.definition}
                          for c in codebook.codes if c.codable])  # category headings are never applied
    assignments, used = coding_basis(units, codings, suggestions, basis)
    agree = None
    human = codings[codings["segment_id"].isin(set(units["segment_id"]))]
    if human["coder"].nunique() >= 2:
        agree = agreement(human).per_code
    themes, info = load_themes(cfg)
    return ReportData(
        project=cfg.name, sources=sources.drop(columns=["text"], errors="ignore"), units=units,
        assignments=assignments, codes=codes, basis=used, coders=sorted(codings["coder"].unique().tolist()),
        themes=themes, theme_info=info,
        agreement=agree, n_pending=int((suggestions["status"] == "suggested").sum()),
        waves=_wave_order(sources, units["wave"]),
    )


# -- section builders (pure functions of ReportData) --------------------------------------------
def code_names(data: ReportData) -> dict[str, str]:
    names = dict(zip(data.codes["code_id"], data.codes["name"]))
    for code in data.assignments["code_id"].unique():
        names.setdefault(code, code)
    return names


def overview(data: ReportData) -> list[tuple[str, str]]:
    """Headline numbers: sources, waves, speakers/respondents, units, coders, coverage."""
    units = data.units
    kinds = data.sources["kind"].value_counts() if len(data.sources) else pd.Series(dtype=int)
    coded = data.assignments["segment_id"].nunique()
    people = units.loc[units["kind"] == "transcript", "person"].nunique()
    respondents = units.loc[units["kind"] == "survey", "person"].nunique()
    coverage = f"{coded / len(units):.0%}" if len(units) else "–"
    return [
        ("Sources", f"{len(data.sources)} ({int(kinds.get('transcript', 0))} transcripts, "
                    f"{int(kinds.get('survey', 0))} surveys)"),
        ("Waves", ", ".join(data.waves) or "–"),
        ("Speakers", str(people)),
        ("Survey respondents", str(respondents)),
        ("Coding units", f"{len(units)} (speaker turns and survey answers)"),
        ("Coders", ", ".join(data.coders) if data.coders else "none yet"),
        ("Coded units", f"{coded} of {len(units)} ({coverage})"),
        ("Basis", basis_text(data)),
    ]


def basis_text(data: ReportData) -> str:
    """What the counts of ``data`` rest on, for readers."""
    if data.basis == "human":
        return "human coding"
    if data.basis == "mixed":
        people = data.assignments.loc[data.assignments["n_coders"] > 0, "segment_id"].nunique()
        return f"human coding on {people} units, machine suggestions on the others"
    return f"machine suggestions not yet reviewed ({data.n_pending} pending)"


def code_totals(data: ReportData) -> pd.DataFrame:
    """code_id, name, color, n_units (distinct coding units with the code), codebook order."""
    counts = data.assignments.groupby("code_id")["segment_id"].nunique()
    codes = data.codes.copy()
    extra = sorted(set(counts.index) - set(codes["code_id"]))
    if extra:
        codes = pd.concat([codes, pd.DataFrame({"code_id": extra, "name": extra, "color": None})])
    codes["n_units"] = codes["code_id"].map(counts).fillna(0).astype(int)
    return codes.reset_index(drop=True)


def code_by_group(data: ReportData, by: str, share: bool = False) -> pd.DataFrame:
    """Code x group matrix: distinct units with the code per group value (``share``: % of the
    group's units). Rows are code names (codebook order), columns group values."""
    units = data.units.dropna(subset=[by])
    merged = data.assignments.merge(units[["segment_id", by]], on="segment_id")
    table = merged.groupby(["code_id", by])["segment_id"].nunique().unstack(fill_value=0)
    order = [c for c in data.codes["code_id"] if c in table.index] + \
            [c for c in table.index if c not in set(data.codes["code_id"])]
    columns = data.waves if by == "wave" else sorted(units[by].astype(str).unique())
    table = table.reindex(index=order, columns=[c for c in columns if c in set(units[by].astype(str))],
                          fill_value=0)
    if share:
        sizes = units.groupby(by)["segment_id"].nunique()
        table = (table / sizes.reindex(table.columns).to_numpy() * 100).round(1)
    table.index = [code_names(data).get(c, c) for c in table.index]
    table.index.name, table.columns.name = "Code", GROUPS.get(by, by)
    return table


def cooccurrence(data: ReportData) -> pd.DataFrame:
    """Code x code matrix: number of units coded with both codes (diagonal: with the code)."""
    pairs = data.assignments[["segment_id", "code_id"]].drop_duplicates()
    onehot = pd.crosstab(pairs["segment_id"], pairs["code_id"]).clip(upper=1)
    order = [c for c in data.codes["code_id"] if c in onehot.columns]
    onehot = onehot[order]
    matrix = onehot.T @ onehot
    names = code_names(data)
    matrix.index = matrix.columns = [names[c] for c in order]
    return matrix


def pretty_label(label: str) -> str:
    """'3_trust_meeting_county' (BERTopic style) -> 'trust, meeting, county'; other labels unchanged."""
    match = re.match(r"^-?\d+_(.+)$", str(label))
    return ", ".join(w for w in match.group(1).split("_") if w) if match else str(label)


def selection_title(selection: str) -> str:
    """A theme selection (:func:`cop_analysis.themes.project.default_selections` names) as a reader
    would say it: 'turns: members' -> 'conversations (members)', 'survey Q5: Why?' -> 'answers to “Why?”'."""
    match = re.match(r"^survey (\S+?)(?:: (.+))?$", selection)
    if match:
        question = match.group(2)
        return f"answers to “{question}”" if question else f"answers to survey question {match.group(1)}"
    if selection.startswith("turns: "):
        who = selection.removeprefix("turns: ")
        return "conversations" if who == "all speakers" else f"conversations ({who})"
    return selection


def theme_table(data: ReportData) -> pd.DataFrame:
    """One row per theme (not the -1 outliers) of the report's units: selection, theme_id, label,
    keywords, size (units in the report), share, representative segment ids; largest first."""
    themes = data.themes[data.themes["segment_id"].isin(set(data.units["segment_id"]))
                         & (data.themes["theme_id"] >= 0)]
    if themes.empty:
        return pd.DataFrame(columns=["selection", "theme_id", "label", "keywords", "size", "share", "representatives"])
    sizes = themes.groupby(["selection", "theme_id"]).size().rename("size").reset_index()
    info = data.theme_info.drop(columns=["size"], errors="ignore")
    out = sizes.merge(info, on=["selection", "theme_id"], how="left")
    fallback = themes.groupby(["selection", "theme_id"])["theme_label"].first()
    out["label"] = [pretty_label(lab if isinstance(lab, str) and lab else fallback[(s, t)])
                    for lab, s, t in zip(out["label"], out["selection"], out["theme_id"])]
    out["keywords"] = out["keywords"].fillna("")
    out["share"] = out["size"] / len(data.units)
    out["representatives"] = [json.loads(r) if isinstance(r, str) and r else [] for r in out["representative_ids"]]
    if out["selection"].nunique() > 1:
        out["label"] = [f"{lab} · {selection_title(s)}" for lab, s in zip(out["label"], out["selection"])]
    cols = ["selection", "theme_id", "label", "keywords", "size", "share", "representatives"]
    return out.sort_values("size", ascending=False)[cols].reset_index(drop=True)


def distinct_selections(data: ReportData) -> ReportData:
    """``data`` with only theme selections that share no unit, so no contribution (and no theme such
    as 'Trust') is counted twice: 'turns: members' first (the members' conversations, without
    facilitators and interviewers), then the others in fit order ('turns: all speakers' only where
    no members' themes exist, and every survey question); a selection without a theme in the
    report's units is skipped. The shareable report shows these; the internal one shows all."""
    themes = data.themes[data.themes["segment_id"].isin(set(data.units["segment_id"]))]
    fitted = list(dict.fromkeys(themes.loc[themes["theme_id"] >= 0, "selection"]))
    kept: list[str] = []
    seen: set[str] = set()
    for selection in sorted(fitted, key=lambda s: (s != MEMBERS_SELECTION, fitted.index(s))):
        ids = set(themes.loc[themes["selection"] == selection, "segment_id"])
        if not ids & seen:
            kept.append(selection)
            seen |= ids
    return replace(data, themes=data.themes[data.themes["selection"].isin(kept)],
                   theme_info=data.theme_info[data.theme_info["selection"].isin(kept)])


def theme_code_crosstab(data: ReportData) -> pd.DataFrame:
    """Theme label x code name: units of the theme coded with the code."""
    table = theme_table(data)
    if table.empty:
        return pd.DataFrame()
    labels = {(s, t): lab for s, t, lab in zip(table["selection"], table["theme_id"], table["label"])}
    themes = data.themes[data.themes["theme_id"] >= 0].copy()
    themes["theme"] = [labels.get((s, t)) for s, t in zip(themes["selection"], themes["theme_id"])]
    merged = themes.dropna(subset=["theme"]).merge(data.assignments, on="segment_id")
    if merged.empty:
        return pd.DataFrame()
    cross = pd.crosstab(merged["theme"], merged["code_id"])
    order = [c for c in data.codes["code_id"] if c in cross.columns]
    cross = cross.reindex(index=[lab for lab in table["label"] if lab in cross.index], columns=order)
    cross.columns = [code_names(data)[c] for c in order]
    return cross


def wave_change(data: ReportData) -> pd.DataFrame:
    """% of each wave's units with each code, plus the change (points) from first to last wave."""
    if len(data.waves) < 2:
        return pd.DataFrame()
    share = code_by_group(data, "wave", share=True)
    share["Change (points)"] = (share[data.waves[-1]] - share[data.waves[0]]).round(1)
    return share


def unit_context(row: Mapping[str, Any]) -> str:
    """'Source · Speaker (role) · wave' for a quote."""
    who = row.get("who")
    role = row.get("speaker_role")
    parts = [str(row["source_title"])]
    if isinstance(who, str) and who:
        if row.get("kind") == "survey":
            parts.append(f"respondent {who}" if not who.startswith("Respondent") else who)
        else:
            parts.append(who if not isinstance(role, str) or not role or f"({role}" in who else f"{who} ({role})")
    if isinstance(row.get("wave"), str) and row["wave"]:
        parts.append(f"wave {row['wave']}")
    return " · ".join(parts)


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def _exemplar_ranking(data: ReportData) -> pd.DataFrame:
    """Coded units per code, best quote first: most coders, then score, then a readable length
    (``quote_len``: the original length, so redaction does not change the order)."""
    merged = data.assignments.merge(data.units[["segment_id", "text", "quote_len"]], on="segment_id")
    merged["fit"] = -(merged["quote_len"] - 220).abs()
    return merged.sort_values(["n_coders", "score", "fit"], ascending=False, kind="stable")


def exemplars(data: ReportData, per_code: int = 3) -> dict[str, list[dict[str, str]]]:
    """Code name -> up to ``per_code`` quotes {text, context} (see ``_exemplar_ranking``)."""
    units = data.units.set_index("segment_id")
    ranked = _exemplar_ranking(data)
    out: dict[str, list[dict[str, str]]] = {}
    names = code_names(data)
    for code in [c for c in data.codes["code_id"]] + sorted(set(ranked["code_id"]) - set(data.codes["code_id"])):
        rows = ranked[ranked["code_id"] == code].drop_duplicates("text").head(per_code)
        if len(rows):
            out[names[code]] = [{"text": _quote(t), "context": unit_context(units.loc[s].to_dict())}
                                for s, t in zip(rows["segment_id"], rows["text"])]
    return out


def _theme_ranking(data: ReportData, selection: str, theme_id: int, representatives: list[str]) -> list[str]:
    members = data.themes[(data.themes["selection"] == selection) & (data.themes["theme_id"] == theme_id)]
    return list(dict.fromkeys(list(representatives) + members.sort_values(
        "probability", ascending=False, kind="stable")["segment_id"].tolist()))


def quote_candidates(data: ReportData, per_code: int = 3, per_theme: int = 2, margin: int = 3) -> set[str]:
    """Segment ids any report may quote (with a margin): the only texts de-identification runs NER on."""
    ranked = _exemplar_ranking(data)
    ids = set(ranked.groupby("code_id").head(per_code * margin)["segment_id"])
    table = theme_table(data)
    for selection, theme_id, reps in zip(table["selection"], table["theme_id"], table["representatives"]):
        ids.update(_theme_ranking(data, selection, theme_id, reps)[:per_theme * margin])
    return ids


def theme_quotes(data: ReportData, table: pd.DataFrame, per_theme: int = 2) -> list[list[dict[str, str]]]:
    """Representative quotes per theme row of ``theme_table`` (model representatives first)."""
    units = data.units.set_index("segment_id")
    out = []
    for selection, theme_id, reps in zip(table["selection"], table["theme_id"], table["representatives"]):
        quotes = []
        for seg in _theme_ranking(data, selection, theme_id, reps):
            if seg in units.index and len(quotes) < per_theme:
                row = units.loc[seg].to_dict()
                quotes.append({"text": _quote(row["text"]), "context": unit_context(row)})
        out.append(quotes)
    return out


def percent(share: float) -> str:
    """'12%'; '<1%' rather than a misleading '0%' for a small but non-empty share."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def theme_narrative(data: ReportData, row: pd.Series, cross: pd.DataFrame) -> str:
    """A short, template-built paragraph about one theme from counts, codes and keywords."""
    members = data.themes[(data.themes["selection"] == row["selection"]) & (data.themes["theme_id"] == row["theme_id"])]
    units = data.units[data.units["segment_id"].isin(set(members["segment_id"]))]
    people = units["person"].nunique()
    sources = units["source_id"].nunique()
    text = (f"This theme came up in {_plural(int(row['size']), 'contribution')} ({percent(row['share'])} of everything "
            f"said) from {people} {'person' if people == 1 else 'people'} across {_plural(sources, 'source')}.")
    if not cross.empty and row["label"] in cross.index:
        top = cross.loc[row["label"]].sort_values(ascending=False)
        top = top[top > 0].head(2)
        if len(top):
            codes = " and ".join(f"{name.lower()} ({int(n)})" for name, n in top.items())
            text += f" It was most often coded as {codes}."
    keywords = [k.strip() for k in str(row["keywords"]).split(",") if k.strip()][:4]
    if keywords:
        text += f" People used words like {', '.join(keywords)}."
    if len(data.waves) >= 2:
        per_wave = units.groupby("wave")["segment_id"].nunique()
        totals = data.units.groupby("wave")["segment_id"].nunique()
        first, last = data.waves[0], data.waves[-1]
        a = per_wave.get(first, 0) / max(totals.get(first, 0), 1)
        b = per_wave.get(last, 0) / max(totals.get(last, 0), 1)
        if abs(b - a) >= 0.02:
            text += f" It {'grew' if b > a else 'shrank'} from {a:.0%} of wave {first} to {b:.0%} of wave {last}."
    return text


# -- figures ---------------------------------------------------------------------------------------
def _layout(fig: Any, title: str, height: int | None = None) -> Any:
    fig.update_layout(title={"text": title, "x": 0, "y": 0.995, "yanchor": "top", "font": {"size": 16}},
                      template="simple_white",
                      font={"family": FONT, "size": 13, "color": "#24292f"}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      height=height, paper_bgcolor="white", plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0})
    return fig


def fig_code_totals(data: ReportData, title: str = "How often each code was applied") -> Any:
    import plotly.graph_objects as go

    totals = code_totals(data).sort_values("n_units")
    colors = [c if isinstance(c, str) and c else PALETTE[i % len(PALETTE)] for i, c in enumerate(totals["color"])]
    fig = go.Figure(go.Bar(x=totals["n_units"], y=totals["name"], orientation="h", marker_color=colors,
                           text=totals["n_units"], textposition="outside",
                           hovertemplate="%{y}: %{x} units<extra></extra>"))
    fig.update_xaxes(title="coded units", showgrid=True, gridcolor="#eee")
    return _layout(fig, title, height=max(260, 28 * len(totals) + 90))


def fig_grouped(matrix: pd.DataFrame, title: str, unit: str = "units") -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, column in enumerate(matrix.columns):
        fig.add_bar(name=str(column), y=list(matrix.index), x=matrix[column].tolist(), orientation="h",
                    marker_color=PALETTE[i % len(PALETTE)],
                    hovertemplate=f"{column} · %{{y}}: %{{x}} {unit}<extra></extra>")
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=unit, showgrid=True, gridcolor="#eee")
    return _layout(fig, title, height=max(300, (14 + 8 * len(matrix.columns)) * len(matrix) + 120))


def _short(labels: Any, limit: int = 28) -> list[str]:
    """Axis labels shortened in the middle ('CoP reflection…survey, wave 1'), unless that makes two equal."""
    full = [str(label) for label in labels]
    half = limit // 2
    short = [t if len(t) <= limit else t[:half - 1].rstrip() + "…" + t[-half:].lstrip() for t in full]
    return short if len(set(short)) == len(short) else full


def fig_heatmap(matrix: pd.DataFrame, title: str, colorscale: str = "Blues", unit: str = "units") -> Any:
    import plotly.graph_objects as go

    z = matrix.to_numpy(dtype=float)
    columns = _short(matrix.columns)
    # room above the plot for the slanted column labels, so they never run into the title
    top = 60 + int(0.6 * 7 * max((len(c) for c in columns), default=0))
    fig = go.Figure(go.Heatmap(z=z, x=columns, y=_short(matrix.index, 40),
                               colorscale=colorscale, text=matrix.to_numpy(), texttemplate="%{text}",
                               hovertemplate=f"%{{y}} × %{{x}}: %{{z}} {unit}<extra></extra>", showscale=False,
                               xgap=2, ygap=2))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top", tickangle=-35, automargin=True)
    fig = _layout(fig, title, height=max(320, 34 * len(matrix) + 110 + top))
    return fig.update_layout(margin={"t": top})


def fig_theme_sizes(table: pd.DataFrame, title: str = "Themes by size") -> Any:
    import plotly.graph_objects as go

    table = table.head(12).iloc[::-1]
    fig = go.Figure(go.Bar(x=table["size"], y=_short(table["label"], 60), orientation="h", marker_color=PALETTE[0],
                           text=[percent(s) for s in table["share"]], textposition="outside",
                           customdata=table["keywords"],
                           hovertemplate="%{y}<br>%{x} units<br>%{customdata}<extra></extra>"))
    fig.update_xaxes(title="units", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(260, 34 * len(table) + 100))


def fig_wave_lines(share: pd.DataFrame, waves: list[str], title: str, top: int = 8) -> Any:
    import plotly.graph_objects as go

    share = share.loc[share[waves].max(axis=1).sort_values(ascending=False).index[:top]]
    fig = go.Figure()
    for i, (name, row) in enumerate(share.iterrows()):
        fig.add_scatter(x=waves, y=row[waves].tolist(), name=str(name), mode="lines+markers",
                        line={"width": 3, "color": PALETTE[i % len(PALETTE)]}, marker={"size": 9},
                        hovertemplate=f"{name} · wave %{{x}}: %{{y}}% of units<extra></extra>")
    fig.update_xaxes(title="wave", type="category")
    fig.update_yaxes(title="% of the wave's units", ticksuffix="%", showgrid=True, gridcolor="#eee", rangemode="tozero")
    return _layout(fig, title, height=420)


def fig_theme_map(data: ReportData, table: pd.DataFrame, title: str = "Map of what was said") -> Any:
    import plotly.graph_objects as go

    themes = data.themes[data.themes["segment_id"].isin(set(data.units["segment_id"]))].dropna(subset=["x", "y"])
    selection = themes["selection"].value_counts().index[0]  # each selection has its own 2-D map
    themes = themes[themes["selection"] == selection]
    if table["selection"].nunique() > 1:
        title = f"{title}: {selection_title(selection)}"
    labels = {(s, t): lab.removesuffix(f" · {selection_title(s)}")
              for s, t, lab in zip(table["selection"], table["theme_id"], table["label"])}
    fig = go.Figure()
    for i, ((sel, tid), group) in enumerate(themes.groupby(["selection", "theme_id"])):
        name = labels.get((sel, tid), "not in a theme")
        fig.add_scatter(x=group["x"], y=group["y"], mode="markers", name=name,
                          marker={"size": 7, "opacity": 0.75,
                                  "color": "#c9c9c9" if tid < 0 else PALETTE[i % len(PALETTE)]},
                          hovertemplate=f"{name}<extra></extra>")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig = _layout(fig, title, height=520)
    fig.update_layout(showlegend=len(fig.data) <= 12)
    return fig


# -- HTML pieces -----------------------------------------------------------------------------------
def table_html(frame: pd.DataFrame, heat: bool = False, percent: bool = False, index: bool = True) -> Markup:
    """An escaped HTML table; ``heat`` shades numeric cells by value (row-independent)."""
    numeric = frame.select_dtypes("number")
    peak = float(numeric.to_numpy().max()) if heat and numeric.size else 0.0
    head = ([escape(frame.index.name or "")] if index else []) + [escape(str(c)) for c in frame.columns]
    rows = []
    for label, row in frame.iterrows():
        cells = [Markup("<th>{}</th>").format(label)] if index else []
        for column, value in row.items():
            if isinstance(value, float) and pd.isna(value):
                cells.append(Markup("<td class='num'>–</td>"))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                shown = f"{value:.1f}%" if percent and "Change" not in str(column) else (
                    f"{value:+.1f}" if "Change" in str(column) else (f"{value:.2f}" if isinstance(value, float) else str(value)))
                style = ""
                if heat and peak > 0 and "Change" not in str(column):
                    style = f" style='background: rgba(76,120,168,{0.08 + 0.72 * float(value) / peak:.2f})'"
                cells.append(Markup("<td class='num'{}>{}</td>").format(Markup(style), shown))
            else:
                cells.append(Markup("<td>{}</td>").format(value))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return Markup("<div class='table-wrap'><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>").format(
        Markup("").join(Markup("<th>{}</th>").format(h) for h in head), Markup("").join(rows))


class Page:
    """Sections and figures of one report; ``render`` produces the HTML page."""

    def __init__(self, title: str, subtitle: str, audience: str) -> None:
        self.title, self.subtitle, self.audience = title, subtitle, audience
        self.sections: list[dict[str, Any]] = []
        self.figures: list[Any] = []

    def section(self, id: str, title: str, lead: str = "") -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        self.sections.append({"id": id, "title": title, "lead": lead, "blocks": blocks})
        return blocks

    def figure(self, blocks: list[dict[str, Any]], fig: Any, caption: str = "") -> None:
        self.figures.append(fig)
        blocks.append({"type": "figure", "id": f"fig-{len(self.figures)}", "caption": caption,
                       "spec": Markup(fig.to_json().replace("<", "\\u003c").replace(">", "\\u003e")
                                      .replace("&", "\\u0026"))})

    def render(self, meta: list[tuple[str, str]]) -> str:
        import jinja2
        import plotly.offline

        env = jinja2.Environment(loader=jinja2.PackageLoader("cop_analysis", "templates"),
                                 autoescape=True, trim_blocks=True, lstrip_blocks=True)
        return env.get_template("report.html.j2").render(
            page=self, meta=meta, plotlyjs=Markup(plotly.offline.get_plotlyjs()),
            generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


def _frequency_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("frequencies", "Code frequencies",
                          "How many coding units (speaker turns, survey answers) carry each code, overall and by group.")
    page.figure(blocks, fig_code_totals(data))
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            matrix = code_by_group(data, by)
            title = f"Codes by {label.lower()}"
            page.figure(blocks, fig_grouped(matrix, title) if len(matrix.columns) <= 4 else fig_heatmap(matrix, title))


def _matrix_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("matrix", "Code × group matrix",
                          "Share of each group's units that carry the code; darker cells mean more.")
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            blocks.append({"type": "html", "title": label, "html": table_html(code_by_group(data, by, share=True),
                                                                               heat=True, percent=True)})


def _theme_blocks(page: Page, data: ReportData, table: pd.DataFrame, map_: bool = True) -> None:
    blocks = page.section("themes", "Themes",
                          "Clusters of similar contributions found with BERTopic on sentence embeddings.")
    if table.empty:
        blocks.append({"type": "text", "text": "No themes were found for the units in this report."})
        return
    page.figure(blocks, fig_theme_sizes(table))
    if map_ and data.themes[["x", "y"]].notna().any().all():
        page.figure(blocks, fig_theme_map(data, table), "Each dot is one contribution; nearby dots say similar things.")
    cards = [{"title": lab, "meta": f"{size} units · {percent(share)} · keywords: {kw}", "quotes": quotes}
             for lab, size, share, kw, quotes in zip(table["label"], table["size"], table["share"], table["keywords"],
                                                     theme_quotes(data, table))]
    blocks.append({"type": "cards", "cards": cards})
    cross = theme_code_crosstab(data)
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross, "Themes × codes", colorscale="Purples"))


def _wave_blocks(page: Page, data: ReportData) -> None:
    change = wave_change(data)
    blocks = page.section("waves", "Change between waves",
                          "Share of each wave's units carrying each code, and the change from the first to the last wave.")
    if change.empty:
        blocks.append({"type": "text", "text": "Only one wave in this report: nothing to compare yet."})
        return
    page.figure(blocks, fig_wave_lines(change, data.waves, "Codes across waves"))
    blocks.append({"type": "html", "title": "", "html": table_html(change, heat=True, percent=True)})


def _quote_blocks(page: Page, data: ReportData, title: str, lead: str) -> None:
    blocks = page.section("quotes", title, lead)
    quotes = exemplars(data)
    colors = dict(zip(data.codes["name"], data.codes["color"]))
    cards = [{"title": name, "color": colors.get(name), "quotes": qs} for name, qs in quotes.items()]
    blocks.append({"type": "cards", "cards": cards} if cards else {"type": "text", "text": "No coded units yet."})


def internal_page(data: ReportData, manifest: dict[str, Any] | None = None) -> Page:
    """The internal evaluation report."""
    page = Page(data.project, "Evaluation report (internal: contains names and quotes)", "internal")
    blocks = page.section("overview", "Overview")
    blocks.append({"type": "stats", "stats": overview(data)})
    if data.basis == "suggested":
        blocks.append({"type": "note", "text": "No human coding yet: counts below use the machine suggestions "
                                                "(score ≥ 0.5) that coders have not reviewed."})
    elif data.basis == "mixed":
        blocks.append({"type": "note", "text": "Coding is in progress: counts below use the human codings where "
                                                "a person coded the unit and the machine suggestions (score ≥ 0.5) "
                                                "on all other units."})
    _frequency_blocks(page, data)
    if len(data.assignments):
        blocks = page.section("cooccurrence", "Code co-occurrence",
                              "Units coded with both codes; the diagonal is the number of units with the code.")
        page.figure(blocks, fig_heatmap(cooccurrence(data), "Codes applied together"))
    _matrix_blocks(page, data)
    _theme_blocks(page, data, theme_table(data))
    _wave_blocks(page, data)
    blocks = page.section("agreement", "Intercoder agreement",
                          "Per code, over units coded by at least two coders.")
    if data.agreement is None or data.agreement.empty:
        blocks.append({"type": "text", "text": "Fewer than two coders have coded the same units yet."})
    else:
        agree = data.agreement.copy()
        agree.insert(0, "Code", agree["code_id"].map(code_names(data)).fillna(agree["code_id"]))
        agree = agree.drop(columns=["code_id"]).set_index("Code")
        blocks.append({"type": "html", "title": "", "html": table_html(agree)})
    _quote_blocks(page, data, "Exemplar quotes", "Up to three quotes per code, with source and speaker.")
    _methods_blocks(page, data, manifest or {}, shareable=False)
    return page


def _methods_blocks(page: Page, data: ReportData, manifest: dict[str, Any], shareable: bool) -> None:
    blocks = page.section("methods", "Methods appendix" if not shareable else "About this report")
    params = manifest.get("parameters", {})
    rows = [("Run", str(manifest.get("run_id", "–"))), ("Waves", ", ".join(data.waves) or "all"),
            ("Seed", str(params.get("seed", "–"))),
            ("Embedding model", str(manifest.get("models", {}).get("embedding", "–"))),
            ("spaCy model", str(manifest.get("models", {}).get("spacy", "–"))),
            ("Codebook version", str(manifest.get("codebook_version", "–"))),
            ("Basis of counts", basis_text(data))]
    if shareable:
        rows.append(("De-identification", "speakers replaced by pseudonyms; names, e-mails, phone numbers, "
                                          "links, organisation and place names redacted; roles only one "
                                          "person had left out"))
        selections = list(dict.fromkeys(data.theme_info["selection"].dropna()))
        if selections:
            rows.append(("Themes found in", "; ".join(selection_title(s) for s in selections)))
    blocks.append({"type": "stats", "stats": rows})
    steps = manifest.get("steps", [])
    if steps:
        frame = pd.DataFrame([{"Step": s["name"], "Status": "this report" if s["status"] == "running" else s["status"],
                               "Seconds": None if s["status"] == "running" else s.get("seconds")} for s in steps])
        blocks.append({"type": "html", "title": "Pipeline steps", "html": table_html(frame.set_index("Step"))})
    if not shareable:
        inputs = manifest.get("inputs", {})
        if inputs:
            frame = pd.DataFrame([{"File": k, "SHA-256": v[:16]} for k, v in inputs.items()]).set_index("File")
            blocks.append({"type": "html", "title": "Inputs", "html": table_html(frame)})
        packages = manifest.get("packages", {})
        if packages:
            frame = pd.DataFrame([{"Package": k, "Version": v} for k, v in packages.items()]).set_index("Package")
            blocks.append({"type": "html", "title": "Package versions", "html": table_html(frame)})


# -- shareable --------------------------------------------------------------------------------------
def _common_only(units: pd.DataFrame, column: str, min_people: int = MIN_GROUP) -> pd.Series:
    """``column`` with the values fewer than ``min_people`` people (``who``) share blanked out."""
    people = units.dropna(subset=[column]).groupby(column)["who"].nunique()
    return units[column].where(~units[column].isin(set(people[people < min_people].index)))


def shareable_title(cfg: Any) -> str | None:
    """The ``report: {shareable_title: ...}`` option of project.yml: the shareable report's title, used
    as written (default: the project name, redacted)."""
    from .config import CONFIG_NAME, ConfigError

    title = cfg.option("report", "shareable_title", "<text>")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise ConfigError(f"{cfg.root / CONFIG_NAME}: report.shareable_title must be non-empty text, not {title!r}")
    return title.strip() if title else None


def deidentify_data(data: ReportData, deid: Any, title: str | None = None) -> ReportData:
    """A copy of ``data`` with pseudonymous speakers/sources, redacted text, labels, keywords and
    theme selections, and no role or department that only one person has (``MIN_GROUP``); the
    project name is ``title`` when given, else redacted."""
    units = data.units.copy()
    units["speaker_role"] = _common_only(units, "speaker_role")
    units["department"] = _common_only(units, "department")
    kinds = dict(zip(data.sources["source_id"], data.sources["kind"]))
    aliases = {s: deid.source(s, kinds.get(s, "transcript")) for s in data.sources["source_id"]}
    units["person"] = [deid.speaker(w) if k == "transcript" else deid.respondent(w)
                       for w, k in zip(units["who"], units["kind"])]
    units["who"] = [deid.speaker(w, r) if k == "transcript" else deid.respondent(w)
                    for w, r, k in zip(units["who"], units["speaker_role"], units["kind"])]
    units["speaker_role"] = units["speaker_role"].map(deid.redact)
    units["source_title"] = units["source_id"].map(aliases)
    themes, info = data.themes.copy(), data.theme_info.copy()
    shown = units["segment_id"].isin(quote_candidates(data))
    deid.learn_names([t[:QUOTE_CHARS + 80] for t in units.loc[shown, "text"].dropna()] + list(info["label"].dropna())
                     + list(info["keywords"].dropna()) + list(themes["theme_label"].unique()),
                     context=units["text"].dropna())
    units["text"] = units["text"].map(deid.redact)
    units["department"] = units["department"].map(deid.redact)
    def label(text: Any) -> Any:  # BERTopic-style '3_word_word' labels lose wholly redacted words
        return deid.redact_terms(text, "_") if re.match(r"^-?\d+_", str(text)) else deid.redact(text)

    themes["theme_label"] = themes["theme_label"].map(label)
    themes["selection"], info["selection"] = themes["selection"].map(deid.redact), info["selection"].map(deid.redact)
    info["label"], info["auto_label"] = info["label"].map(label), info["auto_label"].map(label)
    info["keywords"] = info["keywords"].map(deid.redact_terms)
    sources = data.sources.copy()
    sources["title"] = sources["source_id"].map(aliases)
    sources["source_id"] = sources["title"]
    sources["path"] = None
    units["source_id"] = units["source_title"]
    codes = data.codes.copy()
    for column in ("name", "definition"):
        codes[column] = codes[column].map(deid.redact)
    return replace(data, project=title or deid.redact(data.project), units=units, themes=themes, theme_info=info,
                   sources=sources, codes=codes, coders=[], agreement=None)


def shareable_page(data: ReportData, manifest: dict[str, Any] | None = None, top: int = 5) -> Page:
    """The de-identified lessons-learned report (``data`` must already be de-identified); themes of
    :func:`distinct_selections` only."""
    data = distinct_selections(data)
    page = Page(data.project, "Lessons learned (shareable, de-identified)", "shareable")
    table = theme_table(data)
    cross = theme_code_crosstab(data)
    blocks = page.section("lessons", "Lessons learned",
                          "The biggest themes in what participants said, each with a short summary and their own words.")
    if table.empty:
        totals = code_totals(data).sort_values("n_units", ascending=False)
        quotes = exemplars(data, per_code=2)
        for name, n in zip(totals["name"].head(top), totals["n_units"].head(top)):
            if n:
                blocks.append({"type": "lesson", "title": name, "quotes": quotes.get(name, []),
                               "text": f"{name} came up in {_plural(n, 'contribution')}."})
    else:
        quotes = theme_quotes(data, table.head(top))
        for i, (_, row) in enumerate(table.head(top).iterrows()):
            blocks.append({"type": "lesson", "title": f"{i + 1}. {row['label']}", "text": theme_narrative(data, row, cross),
                           "quotes": quotes[i]})
    blocks = page.section("charts", "At a glance")
    blocks.append({"type": "stats", "stats": [s for s in overview(data) if s[0] not in ("Coders",)]})
    if not table.empty:
        page.figure(blocks, fig_theme_sizes(table, "What people talked about most"))
    if len(data.assignments):
        page.figure(blocks, fig_code_totals(data, "Topics in the coding framework"))
    change = wave_change(data)
    if not change.empty:
        page.figure(blocks, fig_wave_lines(change, data.waves, "How the conversation shifted between waves", top=6))
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross.head(12), "Which topics the largest themes touch", colorscale="Purples"))
    _quote_blocks(page, data, "In their words", "A few quotes for each topic (names and contact details removed).")
    _methods_blocks(page, data, manifest or {}, shareable=True)
    return page


@dataclass
class BuiltReport:
    path: Path
    page: Page


def build_reports(project_dir: str | Path, audience: str = "internal", output_dir: str | Path | None = None,
                  waves: list[str] | None = None, manifest: dict[str, Any] | None = None) -> dict[str, BuiltReport]:
    """Write ``evaluation_report.html`` and/or ``lessons_learned.html`` to ``output_dir``
    (default: the project's reports dir); return {audience: BuiltReport(path, page)}. ``audience``: internal,
    shareable or both. The shareable run also saves the pseudonym key to ``data/processed/``."""
    from .config import ProjectConfig
    from .deidentify import Deidentifier
    from .models import load_spacy

    cfg = ProjectConfig.load(project_dir)
    out = Path(output_dir) if output_dir else cfg.reports
    audiences = ["internal", "shareable"] if audience == "both" else [audience]
    unknown = set(audiences) - set(REPORT_FILES)
    if unknown:
        raise ValueError(f"unknown audience {audience!r}: use internal, shareable or both")
    title = shareable_title(cfg)
    data = load_report_data(cfg, waves=waves)
    written: dict[str, BuiltReport] = {}
    for which in audiences:
        if which == "internal":
            page = internal_page(data, manifest)
        else:
            deid = Deidentifier.for_project(cfg, data.units, load_nlp=load_spacy)
            page = shareable_page(deidentify_data(data, deid, title), manifest)
            deid.save_key(cfg.processed)
        meta = [("Generated", dt.datetime.now().strftime("%Y-%m-%d %H:%M")), ("Figures", str(len(page.figures)))]
        path = out / REPORT_FILES[which]
        write_text(path, page.render(meta))
        written[which] = BuiltReport(path, page)
    return written
