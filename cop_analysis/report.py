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
from collections import Counter
from collections.abc import Iterable, Mapping
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
    quote_pool: set[str] | None = None  # de-identified data: the only units NER read, so the only ones to quote


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
    units["quotable"] = units["text"].map(quotable)
    units["self_described"] = units["text"].map(lambda t: bool(SELF_DESCRIBED.search(str(t))))
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
    keywords, size (units in the report), share, representative segment ids, ``coded`` (share of its
    units carrying a code) and ``renamed`` (a person edited its label); largest first."""
    cols = ["selection", "theme_id", "label", "keywords", "size", "share", "representatives", "coded", "renamed"]
    themes = data.themes[data.themes["segment_id"].isin(set(data.units["segment_id"]))
                         & (data.themes["theme_id"] >= 0)]
    if themes.empty:
        return pd.DataFrame(columns=cols)
    themes = themes.assign(coded=themes["segment_id"].isin(set(data.assignments["segment_id"])))
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


MIN_QUOTE_WORDS = 6
SHAREABLE_QUOTES_PER_PERSON = 2  # the shareable report quotes one person at most this often
# a theme is a lesson when at least this share of its units carry a code, or a person named it: clusters of
# small talk ("Good / great / hear", 1 of 53 coded) stay in the charts but are no lesson
LESSON_MIN_CODED = 0.1
MIN_WAVE_UNITS = 10  # a theme's change between waves is told only from waves with this many units of its selection
# "As the director of ...", "I'm a department lead", "I run the ...": a job or position that names its holder
SELF_DESCRIBED = re.compile(
    r"(?i)\b(?:as|i'm|i am|i was|i've been)\s+(?:the|a|an|our|their)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:director|head|chair|chairperson|co-chair|lead|leader|manager|commissioner|supervisor|coordinator|president|"
    r"founder|administrator|superintendent|mayor|executive|officer|pastor|principal|only)\b"
    r"|\bi\s+(?:run|direct|chair|manage|head|founded)\s+(?:the|a|an|our|this)\b")


def quotable(text: Any) -> bool:
    """A unit worth quoting: a statement of at least ``MIN_QUOTE_WORDS`` words, not a question."""
    words = str(text).split()
    return len(words) >= MIN_QUOTE_WORDS and not str(text).rstrip().endswith("?")


class QuotePicker:
    """Chooses the quotes of one page: each unit (and each wording) once, statements before
    questions and short replies (``quotable``); for a shareable page at most ``per_person``
    quotes of one person, no self-descriptions by position (``SELF_DESCRIBED``) and only units
    of ``data.quote_pool``."""

    def __init__(self, data: ReportData, per_person: int | None = None) -> None:
        self.units = data.units.drop_duplicates("segment_id").set_index("segment_id")
        self.pool, self.per_person = data.quote_pool, per_person
        self.seen: set[str] = set()
        self.people: Counter[str] = Counter()

    def take(self, segment_ids: Iterable[str], n: int) -> list[dict[str, str]]:
        quotes: list[dict[str, str]] = []
        for seg in segment_ids:
            if len(quotes) == n:
                break
            if seg not in self.units.index or (self.pool is not None and seg not in self.pool):
                continue
            row = self.units.loc[seg].to_dict()
            text, person = _quote(row["text"]), row.get("person")
            if text.casefold() in self.seen or seg in self.seen:
                continue
            if self.per_person is not None and (row.get("self_described") or _opens_redacted(text) or (
                    isinstance(person, str) and self.people[person] >= self.per_person)):
                continue
            self.seen.update({seg, text.casefold()})
            if isinstance(person, str):
                self.people[person] += 1
            quotes.append({"text": text, "context": unit_context(row)})
        return quotes


def _opens_redacted(text: str) -> bool:
    """A de-identified quote that opens with two redaction marks ("[name]. [name]. At the first ...") reads badly."""
    from .deidentify import MARKS

    head = text.lstrip(" \"'\u201c\u2018")[:40]
    return head.startswith(MARKS) and sum(head.count(mark) for mark in MARKS) >= 2


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def _exemplar_ranking(data: ReportData) -> pd.DataFrame:
    """Coded units per code, best quote first: statements (``quotable``), most coders, then score, then
    a readable length (``quote_len`` and ``quotable`` come from the original text, so redaction does
    not change the order)."""
    merged = data.assignments.merge(data.units[["segment_id", "text", "quote_len", "quotable"]], on="segment_id")
    merged["fit"] = -(merged["quote_len"] - 220).abs()
    return merged.sort_values(["quotable", "n_coders", "score", "fit"], ascending=False, kind="stable")


def exemplars(data: ReportData, per_code: int = 3,
              picker: QuotePicker | None = None) -> dict[str, list[dict[str, str]]]:
    """Code name -> up to ``per_code`` quotes {text, context} (see ``_exemplar_ranking``); a unit
    quoted for one code is not quoted again for the next."""
    picker = picker or QuotePicker(data)
    ranked = _exemplar_ranking(data)
    out: dict[str, list[dict[str, str]]] = {}
    names = code_names(data)
    for code in [c for c in data.codes["code_id"]] + sorted(set(ranked["code_id"]) - set(data.codes["code_id"])):
        quotes = picker.take(ranked.loc[ranked["code_id"] == code, "segment_id"], per_code)
        if quotes:
            out[names[code]] = quotes
    return out


def _theme_rankings(data: ReportData, table: pd.DataFrame) -> list[list[str]]:
    """Per theme row of ``theme_table``, its units to quote: the model's representatives, then by
    closeness; statements (``quotable``) first."""
    statements = set(data.units.loc[data.units["quotable"], "segment_id"])
    out = []
    for selection, theme_id, representatives in zip(table["selection"], table["theme_id"], table["representatives"]):
        members = data.themes[(data.themes["selection"] == selection) & (data.themes["theme_id"] == theme_id)]
        ranked = list(dict.fromkeys(list(representatives) + members.sort_values(
            "probability", ascending=False, kind="stable")["segment_id"].tolist()))
        out.append([s for s in ranked if s in statements] + [s for s in ranked if s not in statements])
    return out


def quote_candidates(data: ReportData, per_code: int = 3, per_theme: int = 2, margin: int = 5) -> set[str]:
    """Segment ids any report may quote (with a margin): the only texts de-identification runs NER on."""
    ids = set(_exemplar_ranking(data).groupby("code_id").head(per_code * margin)["segment_id"])
    for ranked in _theme_rankings(data, theme_table(data)):
        ids.update(ranked[:per_theme * margin])
    return ids


def theme_quotes(data: ReportData, table: pd.DataFrame, per_theme: int = 2,
                 picker: QuotePicker | None = None) -> list[list[dict[str, str]]]:
    """Representative quotes per theme row of ``theme_table`` (see ``_theme_rankings``)."""
    picker = picker or QuotePicker(data)
    return [picker.take(ranked, per_theme) for ranked in _theme_rankings(data, table)]


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
    # change between waves, within what the theme was found in (one question's answers, the conversations)
    selection = data.themes.loc[data.themes["selection"] == row["selection"], "segment_id"]
    pool = data.units[data.units["segment_id"].isin(set(selection))]
    totals = pool.groupby("wave")["segment_id"].nunique()
    waves = [w for w in data.waves if totals.get(w, 0) >= MIN_WAVE_UNITS]
    if len(waves) >= 2:
        per_wave = units.groupby("wave")["segment_id"].nunique()
        first, last = waves[0], waves[-1]
        a, b = per_wave.get(first, 0) / totals[first], per_wave.get(last, 0) / totals[last]
        if abs(b - a) >= 0.02:
            text += (f" It {'grew' if b > a else 'shrank'} from {a:.0%} of the {selection_title(row['selection'])} "
                     f"in wave {first} to {b:.0%} in wave {last}.")
    return text


# -- figures ---------------------------------------------------------------------------------------
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

    themes = data.themes[data.themes["segment_id"].isin(set(data.units["segment_id"]))].dropna(subset=["x", "y"])
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


# -- HTML pieces -----------------------------------------------------------------------------------
def table_html(frame: pd.DataFrame, heat: bool = False, percent: bool = False, index: bool = True,
               formats: Mapping[str, str] | None = None, flag_below: Mapping[str, float] | None = None) -> Markup:
    """An escaped HTML table; ``heat`` shades numeric cells by value (row-independent). ``formats``:
    column -> format string for its numbers ('{:.0%}'); ``flag_below``: column -> threshold, cells
    below it get class 'low' (and say so in a tooltip)."""
    formats, flag_below = formats or {}, flag_below or {}
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
                shown = formats[column].format(value) if column in formats else (
                    f"{value:.1f}%" if percent and "Change" not in str(column) else (
                        f"{value:+.1f}" if "Change" in str(column) else (
                            f"{value:.2f}" if isinstance(value, float) else str(value))))
                style = ""
                if heat and peak > 0 and "Change" not in str(column):
                    style = f" style='background: rgba(76,120,168,{0.08 + 0.72 * float(value) / peak:.2f})'"
                low = column in flag_below and float(value) < flag_below[column]
                if low:
                    style += f" title='below {flag_below[column]:g}'"
                cells.append(Markup("<td class='num{}'{}>{}</td>").format(" low" if low else "", Markup(style), shown))
            else:
                cells.append(Markup("<td>{}</td>").format(value))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return Markup("<div class='table-wrap'><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>").format(
        Markup("").join(Markup("<th>{}</th>").format(h) for h in head), Markup("").join(rows))


AGREEMENT_FLAG = 0.6  # kappa and alpha below this are flagged in the agreement table


def agreement_table(data: ReportData) -> Markup:
    """``data.agreement`` (per code) for readers: code names, readable headings, agreement in %,
    no all-empty column, kappa and alpha below ``AGREEMENT_FLAG`` flagged."""
    from .agreement import COLUMN_LABELS

    agree = data.agreement.copy()
    agree.insert(0, "Code", agree["code_id"].map(code_names(data)).fillna(agree["code_id"]))
    agree = agree.drop(columns=["code_id"]).set_index("Code")
    empty = [c for c in agree.columns if agree[c].isna().all() or agree[c].astype(str).str.strip().eq("").all()]
    agree = agree.drop(columns=empty).rename(columns=COLUMN_LABELS)
    formats = {COLUMN_LABELS["n_segments"]: "{:.0f}", COLUMN_LABELS["n_applied"]: "{:.0f}",
               COLUMN_LABELS["percent_agreement"]: "{:.0%}", COLUMN_LABELS["cohen_kappa"]: "{:.2f}",
               COLUMN_LABELS["krippendorff_alpha"]: "{:.2f}"}
    flags = {COLUMN_LABELS[c]: AGREEMENT_FLAG for c in ("cohen_kappa", "krippendorff_alpha")}
    return table_html(agree, formats=formats, flag_below=flags)


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


def _coverage_note(data: ReportData, by: str) -> str:
    """'' when every unit has a ``by`` value, else which units a chart by ``by`` covers."""
    known = data.units[by].notna() & (data.units[by].astype(str).str.strip() != "")
    if known.all():
        return ""
    kinds = sorted(set(data.units.loc[known, "kind"]))
    scope = {"transcript": "Transcripts only", "survey": "Surveys only"}.get(kinds[0], "") if len(kinds) == 1 else ""
    what = f"{int(known.sum()):,} of {len(known):,} units have a {GROUPS.get(by, by).lower()}"
    return f"{scope}: {what}" if scope else f"Covers the {what}"


def _frequency_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("frequencies", "Code frequencies",
                          "How many coding units (speaker turns, survey answers) carry each code, overall and by group.")
    page.figure(blocks, fig_code_totals(data))
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            matrix = code_by_group(data, by)
            title, note = f"Codes by {label.lower()}", _coverage_note(data, by)
            if by == "wave":  # waves differ in size: shares, as in 'Change between waves'
                fig = fig_grouped(code_by_group(data, by, share=True), title, "% of the wave's units", counts=matrix,
                                  subtitle=note)
            elif len(matrix.columns) <= 4:
                fig = fig_grouped(matrix, title, subtitle=note)
            else:
                fig = fig_heatmap(matrix, title, subtitle=note)
            page.figure(blocks, fig)


def _matrix_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("matrix", "Code × group matrix",
                          "Share of each group's units that carry the code; darker cells mean more.")
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            note = _coverage_note(data, by)
            blocks.append({"type": "html", "title": f"{label} ({note.lower()})" if note else label,
                           "html": table_html(code_by_group(data, by, share=True), heat=True, percent=True)})


def _theme_blocks(page: Page, data: ReportData, table: pd.DataFrame, map_: bool = True) -> None:
    blocks = page.section("themes", "Themes",
                          "Clusters of similar contributions found with BERTopic on sentence embeddings.")
    if table.empty:
        blocks.append({"type": "text", "text": "No themes were found for the units in this report."})
        return
    page.figure(blocks, fig_theme_sizes(table))
    if map_ and data.themes[["x", "y"]].notna().any().all():
        page.figure(blocks, fig_theme_map(data, table), "Each dot is one contribution; nearby dots say similar things.")
    quotes = theme_quotes(data, table)
    order = table.groupby("selection", sort=False)["size"].sum().sort_values(ascending=False).index
    for selection in order:  # one group of cards per selection (a question's answers, the conversations)
        rows = [i for i in table.index if table.at[i, "selection"] == selection]
        suffix = f" · {selection_title(selection)}"
        cards = [{"title": str(table.at[i, "label"]).removesuffix(suffix),
                  "meta": f"{table.at[i, 'size']} units · {percent(table.at[i, 'share'])} · "
                          f"{percent(table.at[i, 'coded'])} coded · keywords: {table.at[i, 'keywords']}",
                  "quotes": quotes[i]} for i in rows]
        title = selection_title(selection)
        blocks.append({"type": "cards", "title": title[:1].upper() + title[1:], "cards": cards})
    cross = theme_code_crosstab(data)
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross, "Themes × codes", colorscale="Purples", x_title="Code", y_title="Theme"))


def _wave_blocks(page: Page, data: ReportData) -> None:
    change = wave_change(data)
    blocks = page.section("waves", "Change between waves",
                          "Share of each wave's units carrying each code, and the change from the first to the last wave.")
    if change.empty:
        blocks.append({"type": "text", "text": "Only one wave in this report: nothing to compare yet."})
        return
    page.figure(blocks, fig_wave_lines(change, data.waves, "Codes across waves", colors=code_colors(data),
                                       counts=code_by_group(data, "wave")))
    blocks.append({"type": "html", "title": "", "html": table_html(change, heat=True, percent=True)})


def _quote_blocks(page: Page, data: ReportData, title: str, lead: str, picker: QuotePicker | None = None) -> None:
    blocks = page.section("quotes", title, lead)
    quotes = exemplars(data, picker=picker)
    colors = code_colors(data)
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
        page.figure(blocks, fig_heatmap(cooccurrence(data), "Codes applied together", x_title="Code", y_title="Code"))
    _matrix_blocks(page, data)
    _theme_blocks(page, data, theme_table(data))
    _wave_blocks(page, data)
    blocks = page.section("agreement", "Intercoder agreement",
                          "Per code, over units coded by at least two coders.")
    if data.agreement is None or data.agreement.empty:
        blocks.append({"type": "text", "text": "Fewer than two coders have coded the same units yet."})
    else:
        blocks.append({"type": "html", "title": "", "html": agreement_table(data)})
        blocks.append({"type": "text", "text": f"Agreement: share of double-coded units on which the coders agree; "
                                               f"Cohen's κ and Krippendorff's α correct it for chance. Values below "
                                               f"{AGREEMENT_FLAG:g} are highlighted: the code needs a clearer "
                                               f"definition or more coder training."})
    _quote_blocks(page, data, "Exemplar quotes", "Up to three quotes per code, with source and speaker.")
    _methods_blocks(page, data, manifest or {}, shareable=False)
    return page


def _methods_blocks(page: Page, data: ReportData, manifest: dict[str, Any], shareable: bool) -> None:
    blocks = page.section("methods", "Methods appendix" if not shareable else "About this report")
    if shareable:
        _about_blocks(blocks, data, manifest)
        return
    params = manifest.get("parameters", {})
    rows = [("Run", str(manifest.get("run_id", "–"))), ("Waves", ", ".join(data.waves) or "all"),
            ("Seed", str(params.get("seed", "–"))),
            ("Embedding model", str(manifest.get("models", {}).get("embedding", "–"))),
            ("spaCy model", str(manifest.get("models", {}).get("spacy", "–"))),
            ("Codebook version", str(manifest.get("codebook_version", "–"))),
            ("Basis of counts", basis_text(data))]
    blocks.append({"type": "stats", "stats": rows})
    steps = manifest.get("steps", [])
    if steps:
        frame = pd.DataFrame([{"Step": s["name"], "Status": "this report" if s["status"] == "running" else s["status"],
                               "Seconds": None if s["status"] == "running" else s.get("seconds")} for s in steps])
        blocks.append({"type": "html", "title": "Pipeline steps", "html": table_html(frame.set_index("Step"))})
    inputs = manifest.get("inputs", {})
    if inputs:
        frame = pd.DataFrame([{"File": k, "SHA-256": v[:16]} for k, v in inputs.items()]).set_index("File")
        blocks.append({"type": "html", "title": "Inputs", "html": table_html(frame)})
    packages = manifest.get("packages", {})
    if packages:
        frame = pd.DataFrame([{"Package": k, "Version": v} for k, v in packages.items()]).set_index("Package")
        blocks.append({"type": "html", "title": "Package versions", "html": table_html(frame)})


def _about_blocks(blocks: list[dict[str, Any]], data: ReportData, manifest: dict[str, Any]) -> None:
    """How the shareable report was made, in plain words for readers outside the project."""
    kinds = data.sources["kind"].value_counts() if len(data.sources) else pd.Series(dtype=int)
    model = str(manifest.get("models", {}).get("embedding", "")) or "a sentence-embedding model"
    rows = [("Evidence", f"{_plural(int(kinds.get('transcript', 0)), 'recorded conversation')} (interviews and "
                         f"reflection circles, as speaker turns) and {_plural(int(kinds.get('survey', 0)), 'survey')} "
                         "(open-ended answers)"),
            ("Waves", ", ".join(data.waves) or "one"),
            ("Coding", "people applied the codes of a shared codebook" + (
                "; where nobody had coded yet, machine suggestions stand in" if data.basis != "human" else "")),
            ("Basis of counts", basis_text(data)),
            ("Themes", f"contributions grouped by similarity of meaning (BERTopic on {model} embeddings), "
                       "guided by the codebook")]
    selections = list(dict.fromkeys(data.theme_info["selection"].dropna()))
    if selections:
        rows.append(("Themes found in", "; ".join(selection_title(s) for s in selections)))
    rows.append(("De-identification", "speakers replaced by pseudonyms; names, e-mails, phone numbers, links, "
                                      "organisation and place names redacted; roles only one person had left out; "
                                      f"at most {SHAREABLE_QUOTES_PER_PERSON} quotes from one person"))
    rows.append(("Made with", f"cop-analysis, run {manifest.get('run_id', '–')}"))
    blocks.append({"type": "stats", "stats": rows})


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
    from .textnorm import natural_key

    # numbered in wave order (then path), so "Survey 1" is the first wave's survey
    waves = dict(zip(data.sources["source_id"], data.sources["wave"].fillna("") if "wave" in data.sources else ""))
    ordered = sorted(data.sources["source_id"], key=lambda s: (
        waves.get(s, "") == "", natural_key(str(waves.get(s, ""))), natural_key(str(s))))
    aliases = {s: deid.source(s, kinds.get(s, "transcript")) for s in ordered}
    units["person"] = [deid.speaker(w) if k == "transcript" else deid.respondent(w)
                       for w, k in zip(units["who"], units["kind"])]
    units["who"] = [deid.speaker(w, r) if k == "transcript" else deid.respondent(w)
                    for w, r, k in zip(units["who"], units["speaker_role"], units["kind"])]
    units["speaker_role"] = units["speaker_role"].map(deid.redact)
    units["source_title"] = units["source_id"].map(aliases)
    themes, info = data.themes.copy(), data.theme_info.copy()
    pool = quote_candidates(data)
    shown = units["segment_id"].isin(pool)
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
                   sources=sources, codes=codes, coders=[], agreement=None, quote_pool=pool)


def shareable_page(data: ReportData, manifest: dict[str, Any] | None = None, top: int = 5) -> Page:
    """The de-identified lessons-learned report (``data`` must already be de-identified); themes of
    :func:`distinct_selections` only."""
    data = distinct_selections(data)
    page = Page(data.project, "Lessons learned (shareable, de-identified)", "shareable")
    table = theme_table(data)
    cross = theme_code_crosstab(data)
    picker = QuotePicker(data, per_person=SHAREABLE_QUOTES_PER_PERSON)
    blocks = page.section("lessons", "Lessons learned",
                          "The biggest themes in what participants said, each with a short summary and their own words.")
    if table.empty:
        totals = code_totals(data).sort_values("n_units", ascending=False)
        quotes = exemplars(data, per_code=2, picker=picker)
        for name, n in zip(totals["name"].head(top), totals["n_units"].head(top)):
            if n:
                blocks.append({"type": "lesson", "title": name, "quotes": quotes.get(name, []),
                               "text": f"{name} came up in {_plural(n, 'contribution')}."})
    else:
        lessons = table[(table["coded"] >= LESSON_MIN_CODED) | table["renamed"]]
        lessons = (lessons if len(lessons) else table).head(top)
        quotes = theme_quotes(data, lessons, picker=picker)
        for i, (_, row) in enumerate(lessons.iterrows()):
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
        page.figure(blocks, fig_wave_lines(change, data.waves, "How the conversation shifted between waves", top=6,
                                           colors=code_colors(data), counts=code_by_group(data, "wave")))
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross.head(12), "Which topics the largest themes touch", colorscale="Purples",
                                        x_title="Topic", y_title="Theme"))
    _quote_blocks(page, data, "In their words", "A few quotes for each topic (names and contact details removed; "
                  f"at most {SHAREABLE_QUOTES_PER_PERSON} from one person).", picker)
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
