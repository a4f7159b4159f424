"""Text and HTML for the coding and compare panels: the panel CSS, one-line texts, memo times, who said
a unit (speaker, or survey question and respondent), code colours, and a unit shown in its context.

Pure string helpers (no widgets, no ledger).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

Span = tuple[int, int]  # (start, end) source offsets of a coded passage

PANEL_CSS = """<style>
.cop-wb-turn {white-space: pre-wrap; padding: 4px 8px; margin: 2px 0; color: #666; font-size: 0.92em;}
.cop-wb-current {color: #111; font-size: 1em; background: #f4f8ff; border-left: 4px solid #3b6fd8;}
.cop-wb-who {font-weight: 600; color: #333;}
.cop-wb-chip {display: inline-block; padding: 1px 8px; margin: 2px; border-radius: 10px; font-size: 0.85em;}
.cop-wb-memo {white-space: pre-wrap; font-size: 0.9em; color: #333; margin: 2px 0;}
.cop-wb-context mark {background: #ffe58a;}
.cop-wb-nocode {border: 1px solid #888; color: #333; background: #eeeeee;}
.cop-wb-quote {font-size: 0.9em; color: #111;}
.cop-wb-meta {font-size: 0.85em; color: #555;}
.cop-wb-memo-tag {display: inline-block; padding: 0 6px; margin-right: 4px; border-radius: 4px; font-size: 0.8em;
  background: #fff3bf; border: 1px solid #e0c060; color: #5c4a00;}
.cop-wb-reading {overflow: hidden; border: 1px solid #e3e3e3; border-radius: 4px;}
.cop-wb-reading .cop-wb-scroll {flex: 1 1 auto; min-height: 0; overflow-y: auto; margin: 0;}
.cop-wb-reading .cop-wb-before {display: flex; flex-direction: column-reverse; max-height: 7.5em; overflow-y: auto;}
.cop-wb-before .cop-wb-who {display: block; position: sticky; top: 0; background: var(--jp-layout-color0, #fff);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.cop-wb-before .cop-wb-who + br {display: none;}
</style>"""
NO_CODE_BADGE = "<span class='cop-wb-chip cop-wb-nocode'>&#8856; marked: no code applies</span>"


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _tint(hex_color: str, keep: float = 0.22) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * keep + 255 * (1 - keep)):02x}" for c in (r, g, b))



def short_text(text: str, n: int = 90) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 1] + "…"


def memo_time(created: Any, updated: Any = None) -> str:
    """A memo's time in the kernel's local time zone, short (``1 Dec 14:05``; the year if not this one),
    plus when it was last edited if later."""
    from datetime import datetime

    def local(ts: Any) -> datetime:
        when = pd.Timestamp(ts)
        return (when.tz_localize("UTC") if when.tzinfo is None else when).to_pydatetime().astimezone()

    def short(when: datetime) -> str:
        fmt = "%d %b %H:%M" if when.year == datetime.now().year else "%d %b %Y %H:%M"
        return when.strftime(fmt).lstrip("0")

    if created is None or pd.isna(created):
        return ""
    made = local(created)
    text = short(made)
    if updated is not None and pd.notna(updated) and (local(updated) - made).total_seconds() >= 1:
        text += f", edited {short(local(updated))}"
    return text


def evidence_first(evidence: str) -> str:
    """Suggestion evidence with the matched words first (``a | matched: "x" | b`` -> ``matched: "x" | a | b``)."""
    parts = [p.strip() for p in str(evidence).split(" | ") if p.strip()]
    return " | ".join(sorted(parts, key=lambda p: not p.startswith("matched:")))


def _who_text(row: pd.Series) -> str:
    """The speaker, or the survey question and respondent, of a unit (empty if unknown)."""
    if pd.notna(row["question"]):
        return f"Q: {row['question']}" + (f" ({respondent_name(row['respondent_id'])})"
                                           if pd.notna(row["respondent_id"]) else "")
    return str(row["speaker"]) if pd.notna(row["speaker"]) else ""


def respondent_name(respondent_id: Any) -> str:
    """A respondent id as shown: ``row2`` (a survey without an id column: its line) is ``respondent 2``."""
    rid = str(respondent_id)
    return f"respondent {rid[3:]}" if rid.startswith("row") and rid[3:].isdigit() else rid


def respondent_label(respondent_id: Any) -> str:
    """``respondent R2``; ``respondent 2`` for a survey without an id column (see :func:`respondent_name`)."""
    name = respondent_name(respondent_id)
    return name if name.startswith("respondent ") else f"respondent {name}"


def who_html(row: pd.Series) -> str:
    """The speaker, or the survey question and respondent, of a unit as an HTML line (empty if unknown)."""
    who = _who_text(row)
    return f"<span class='cop-wb-who'>{html.escape(who)}</span><br>" if who else ""


def context_html(before: pd.DataFrame, row: pd.Series, after: pd.DataFrame,
                 marks: Sequence[Span | tuple[Span, str, str]] = ()) -> str:
    """A unit highlighted between its greyed neighbours; ``marks`` (source offsets) are highlighted in it.

    A mark is a span (the selection colour) or ``(span, colour, label)``: a code's colour, with the
    code's name as its tooltip. Where marks overlap (a sentence range and a sentence in it), the text
    takes the colour of the mark that starts first, the next one's colour as a top border, and every
    covering mark's name in the tooltip, so each range stays visible in full; the selection always
    keeps its own colour, with the codes' colours as borders (a sentence chosen inside a retrieved
    passage stays visible, and so does the passage).
    """
    text, off = str(row["text"]), int(row["start"])
    spans = []
    for mark in marks:
        (a, b), color, label = (mark, "", "") if isinstance(mark[0], int) else mark  # type: ignore[misc]
        a, b = max(int(a) - off, 0), min(int(b) - off, len(text))
        if b > a:
            spans.append((a, b, color, label))
    spans.sort(key=lambda m: (m[0], -m[1]))
    cuts = sorted({0, len(text), *(x for m in spans for x in m[:2])})
    pieces: list[tuple[int, int, tuple[tuple[str, str], ...]]] = []
    for a, b in zip(cuts, cuts[1:]):
        on = tuple(dict.fromkeys((c, lab) for x, y, c, lab in spans if x <= a and b <= y))
        on = tuple(sorted(on, key=lambda m: bool(m[0])))  # the selection (no colour) first: it stays visible
        if pieces and pieces[-1][2] == on:  # the same marks go on: one piece
            pieces[-1] = (pieces[-1][0], b, on)
        else:
            pieces.append((a, b, on))
    body = ""
    for a, b, on in pieces:
        if not on:
            body += html.escape(text[a:b])
            continue
        color = on[0][0]  # "" for the selection: it keeps its own colour, the codes' go to the borders
        coloured = [c for c, _ in on if c]
        style = f"background:{_tint(color, 0.45)};" if color else ""
        if coloured:
            style += f"border-bottom:3px solid {coloured[0]}"
            style += "".join(f";border-top:3px solid {c}" for c in coloured[1:2])
        if style:
            names = ", ".join(lab for _, lab in on if lab)
            style = f" style='{style}' title='{html.escape(names, quote=True)}'"
        body += f"<mark{style}>{html.escape(text[a:b])}</mark>"
    parts = [f"<div class='cop-wb-turn'>{who_html(r)}{html.escape(str(r['text']))}</div>" for _, r in before.iterrows()]
    parts = [f"<div class='cop-wb-before'><div>{''.join(parts)}</div></div>"] if parts else []
    parts.append(f"<div class='cop-wb-turn cop-wb-current'>{who_html(row)}{body}</div>")
    parts += [f"<div class='cop-wb-turn'>{who_html(r)}{html.escape(str(r['text']))}</div>" for _, r in after.iterrows()]
    return f"<div class='cop-wb-context'>{''.join(parts)}</div>"

