"""Report quotes: which coding units a report quotes, in which order, and how a quote reads.

``QuotePicker`` chooses the quotes of one page (each unit and wording once, statements first;
on a shareable page at most ``SHAREABLE_QUOTES_PER_PERSON`` per person, no self-descriptions by
position and only units of ``ReportData.quote_pool``); ``exemplars`` ranks them per code and
``theme_quotes`` per theme, and ``quote_candidates`` lists every unit a report may quote (the
only texts de-identification runs NER on). Builds on :mod:`cop_analysis.report.data`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .data import ReportData, code_names, theme_table

QUOTE_CHARS = 420
SHAREABLE_QUOTES_PER_PERSON = 2  # the shareable report quotes one person at most this often


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


class QuotePicker:
    """Chooses the quotes of one page: each unit (and each wording) once, statements before
    questions and short replies (``quotable``); for a shareable page at most ``per_person``
    quotes of one person (of one source, for units without a speaker), no self-descriptions by
    position (``SELF_DESCRIBED``) and only units of ``data.quote_pool``."""

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
            if not isinstance(person, str) and isinstance(row.get("source_id"), str):
                person = f"source {row['source_id']}"  # units without a speaker (speakers: none): capped per source
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
    from ..deidentify import MARKS

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
