"""De-identification of report data for the shareable lessons-learned report.

``deidentify_data`` turns a ``ReportData`` into a copy with pseudonymous speakers and sources,
redacted text, labels, keywords and theme selections, and no role or department that fewer than
``MIN_GROUP`` people share (``_common_only``); it runs NER only on the units a report may quote
(:func:`cop_analysis.report.quotes.quote_candidates`), never on theme labels or keywords (they are
only redacted). ``shareable_title`` reads the shareable report's title from ``project.yml``. The
redaction itself is :mod:`cop_analysis.deidentify`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pandas as pd

from .data import ReportData, among, speakerless_sources
from .quotes import QUOTE_CHARS, quote_candidates

MIN_GROUP = 2  # the shareable report drops a role or department held by fewer people (it would identify them)


def _common_only(units: pd.DataFrame, column: str, min_people: int = MIN_GROUP) -> pd.Series:
    """``column`` with the values fewer than ``min_people`` people (``who``) share blanked out."""
    people = units.dropna(subset=[column]).groupby(column)["who"].nunique()
    return units[column].where(~units[column].isin(set(people[people < min_people].index)))


def shareable_title(cfg: Any) -> str | None:
    """The ``report: {shareable_title: ...}`` option of project.yml: the shareable report's title, used
    as written (default: the project name, redacted)."""
    from ..config import CONFIG_NAME, ConfigError

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
    documents = speakerless_sources(data.units)
    kinds = {s: "document" if s in documents else k for s, k in zip(data.sources["source_id"], data.sources["kind"])}
    from ..textnorm import natural_key

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
    shown = among(units["segment_id"], pool)
    # names are learned from the quotable texts only: theme labels and keywords are redacted with what
    # they teach, never a source (a label capitalises its first keyword: 'Budget / board decides')
    deid.keep_groups(data.units["department"].dropna().unique())  # group names, not people ('the Parks board')
    deid.learn_names([t[:QUOTE_CHARS + 80] for t in units.loc[shown, "text"].dropna()], context=units["text"].dropna())
    units["text"] = units["text"].map(deid.redact)
    units["department"] = units["department"].map(deid.redact)
    def label(text: Any) -> Any:  # BERTopic-style '3_word_word' labels lose wholly redacted words
        return deid.redact_terms(text, "_") if re.match(r"^-?\d+_", str(text)) else deid.redact(text)

    themes["theme_label"] = themes["theme_label"].map(label)
    themes["selection"], info["selection"] = themes["selection"].map(deid.redact), info["selection"].map(deid.redact)
    for column in ("label", "auto_label", "keyword_label"):
        if column in info:
            info[column] = info[column].map(label)
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
