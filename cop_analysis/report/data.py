"""Report data: the project's tables gathered into a ``ReportData`` and the tables computed from it.

``load_report_data`` reads sources, segments, ledger, codebook and themes (schemas in
:mod:`cop_analysis.schema`); ``prepare_units`` picks the coding units (turns, survey answers) and
marks which are worth quoting (``quotable``, ``SELF_DESCRIBED``); ``coding_basis`` decides whether
counts rest on human codings, machine suggestions or both. The section builders below
(``overview``, ``code_totals``, ``code_by_group``, ``cooccurrence``, ``theme_table``,
``theme_code_crosstab``, ``wave_change``, ...) are plain functions of a ``ReportData`` returning
frames; quotes, charts and pages are built from them and nothing here imports those modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..ledger import without_orphans
from ..schema import THEME_INFO, THEMES
from ..textnorm import natural_key

UNIT_FOR_KIND = {"transcript": "turn", "survey": "response"}
GROUPS = {"source_title": "Source", "speaker_role": "Speaker role", "department": "Department", "wave": "Wave"}
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
    quote_pool: set[str] | None = None  # de-identified data: the only units NER read, so the only ones to quote


def among(column: pd.Series, values: Any) -> pd.Series:
    """``column.isin(values)`` for many ids: pandas' Arrow-backed string ``isin`` turns every value into
    a pyarrow scalar (~30 ms per 10k values, and the report asks dozens of times); a set lookup is ~10x faster."""
    wanted = values if isinstance(values, (set, frozenset)) else set(values)
    return pd.Series([v in wanted for v in column.tolist()], index=column.index, dtype=bool)


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


# -- units worth quoting: prepare_units marks them, quotes.QuotePicker picks among them --------
MIN_QUOTE_WORDS = 6
# "As the director of ...", "I'm a department lead", "I run the ...", "I'm with the <union>", "I work for
# Commissioner ...", "I've managed them for twelve years": a job, position or affiliation that names its holder
SELF_DESCRIBED = re.compile(
    r"(?i)\b(?:as|i['’]m|i am|i was|i['’]ve been)\s+(?:the|a|an|our|their)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:director|head|chair|chairperson|co-chair|lead|leader|manager|commissioner|supervisor|coordinator|president|"
    r"founder|administrator|superintendent|mayor|executive|officer|pastor|principal|only)\b"
    r"|\bi\s+(?:run|direct|chair|manage|head|founded)\s+(?:the|a|an|our|this)\b"
    r"|\bi(?:['’]m| am)\s+(?:here\s+)?(?:with|from|representing)\s+the\s+(?-i:[A-Z])"  # the <Union>, not the kids
    r"|\bi\s+work(?:ed)?\s+(?:for|at)\s+(?:the\s+)?(?-i:[A-Z])"  # for Commissioner ..., not at night
    r"|\bi(?:['’]ve| have)\s+(?:managed|run|led|directed|chaired|supervised)\s+(?!to\b|into\b)")


def quotable(text: Any) -> bool:
    """A unit worth quoting: a statement of at least ``MIN_QUOTE_WORDS`` words, not a question."""
    words = str(text).split()
    return len(words) >= MIN_QUOTE_WORDS and not str(text).rstrip().endswith("?")


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
    units["quotable"] = units["text"].map(quotable)
    units["self_described"] = units["text"].map(lambda t: bool(SELF_DESCRIBED.search(str(t))))
    return units.reset_index(drop=True)


def speakerless_sources(units: pd.DataFrame) -> set[str]:
    """Transcripts none of whose coding units has a speaker (``speakers: none``: documents coded by paragraph)."""
    if not {"kind", "source_id", "speaker"} <= set(units.columns):
        return set()
    turns = units[units["kind"] == "transcript"]
    spoken = turns.groupby("source_id")["speaker"].agg(lambda s: s.notna().any())
    return set(spoken.index[~spoken.astype(bool)])


HUMAN_BASIS_SHARE = 0.5  # basis 'auto': human codings alone once people coded at least this share of the units


def coding_basis(units: pd.DataFrame, codings: pd.DataFrame, suggestions: pd.DataFrame,
                 basis: str = "auto", threshold: float = 0.5) -> tuple[pd.DataFrame, str]:
    """(assignments, basis used). ``basis``: ``human`` (non-orphaned human codings), ``suggested``
    (pending or accepted machine suggestions scoring at least ``threshold``), ``mixed`` (human codings
    on the units a person coded, suggestions on the others) or ``auto``: ``suggested`` before anyone
    coded, ``mixed`` while people coded fewer than ``HUMAN_BASIS_SHARE`` of the units, then ``human``."""
    ids = set(units["segment_id"])
    human = without_orphans(codings[among(codings["segment_id"], ids)])
    scores = suggestions[among(suggestions["segment_id"], ids)].groupby(["segment_id", "code_id"])["score"].max()
    if basis == "auto":
        coded = human["segment_id"].nunique() / max(len(ids), 1)
        basis = "suggested" if human.empty else "human" if coded >= HUMAN_BASIS_SHARE else "mixed"
    if basis not in ("human", "suggested", "mixed"):
        raise ValueError(f"unknown basis {basis!r}: use auto, human, suggested or mixed")
    by_people = human.groupby(["segment_id", "code_id"])["coder"].nunique().rename("n_coders").reset_index()
    by_people["score"] = [scores.get((s, c), 1.0) for s, c in zip(by_people["segment_id"], by_people["code_id"])]
    pending = suggestions[among(suggestions["segment_id"], ids) & suggestions["status"].isin(["suggested", "accepted"])
                          & (suggestions["score"] >= threshold)]
    by_machine = pending.groupby(["segment_id", "code_id"])["score"].max().reset_index()
    by_machine["n_coders"] = 0
    by_machine = by_machine[["segment_id", "code_id", "n_coders", "score"]]
    if basis == "human":
        return by_people, basis
    if basis == "suggested":
        return by_machine, basis
    unseen = by_machine[~among(by_machine["segment_id"], human["segment_id"])]
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
    from ..agreement import agreement
    from ..codebook import load_project_codebook
    from ..ingest import load_segments, load_sources, spoken_text
    from ..ledger import Ledger
    from ..schema import CODINGS, SUGGESTIONS

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
    human = codings[among(codings["segment_id"], units["segment_id"])]
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
        ("Coding units", f"{len(units)} (speaker turns, "
                         + ("paragraphs of documents without speakers, " if speakerless_sources(units) else "")
                         + "survey answers)"),
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
    keywords, size (units in the report), share, representative segment ids, ``coded`` (share of its
    units carrying a code) and ``renamed`` (a person edited its label); largest first."""
    cols = ["selection", "theme_id", "label", "keywords", "size", "share", "representatives", "coded", "renamed"]
    themes = data.themes[among(data.themes["segment_id"], data.units["segment_id"])
                         & (data.themes["theme_id"] >= 0)]
    if themes.empty:
        return pd.DataFrame(columns=cols)
    themes = themes.assign(coded=among(themes["segment_id"], data.assignments["segment_id"]))
    grouped = themes.groupby(["selection", "theme_id"])
    sizes = pd.concat([grouped.size().rename("size"), grouped["coded"].mean()], axis=1).reset_index()
    info = data.theme_info.drop(columns=["size"], errors="ignore")
    out = sizes.merge(info, on=["selection", "theme_id"], how="left")
    out["renamed"] = out["label"].notna() & out["auto_label"].notna() & (out["label"] != out["auto_label"])
    fallback = themes.groupby(["selection", "theme_id"])["theme_label"].first()
    out["label"] = [pretty_label(lab if isinstance(lab, str) and lab else fallback[(s, t)])
                    for lab, s, t in zip(out["label"], out["selection"], out["theme_id"])]
    out["keywords"] = out["keywords"].fillna("")
    out["share"] = out["size"] / len(data.units)
    out["representatives"] = [json.loads(r) if isinstance(r, str) and r else [] for r in out["representative_ids"]]
    if out["selection"].nunique() > 1:
        out["label"] = [f"{lab} · {selection_title(s)}" for lab, s in zip(out["label"], out["selection"])]
    return out.sort_values("size", ascending=False)[cols].reset_index(drop=True)


def distinct_selections(data: ReportData) -> ReportData:
    """``data`` with only theme selections that share no unit, so no contribution (and no theme such
    as 'Trust') is counted twice: 'turns: members' first (the members' conversations, without
    facilitators and interviewers), then the others in fit order ('turns: all speakers' only where
    no members' themes exist, and every survey question); a selection without a theme in the
    report's units is skipped. The shareable report shows these; the internal one shows all."""
    themes = data.themes[among(data.themes["segment_id"], data.units["segment_id"])]
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


def percent(share: float) -> str:
    """'12%'; '<1%' rather than a misleading '0%' for a small but non-empty share."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"
