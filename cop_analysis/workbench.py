"""Interactive coding workbench: the coding logic (:class:`CodingSession`) and its ipywidgets view.

Every action (toggle a code, accept/reject a suggestion, add a memo, undo, redo) is written to the
ledger at once, in its own transaction; there is no Save button. The view only renders the
session's state, so reopening the workbench shows what was saved.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cop_analysis.agreement import CONSENSUS
from cop_analysis.atomic import write_text
from cop_analysis.config import CONFIG_NAME, ProjectConfig
from cop_analysis.ledger import RESERVED_CODERS
from cop_analysis.schema import SOURCES

Span = tuple[int, int]
log = logging.getLogger(__name__)


class WorkbenchError(ValueError):
    """A user action cannot be done (no coder chosen, empty memo, no segment selected, ...)."""


@dataclass(frozen=True)
class Filters:
    """Which coding units to show. ``None`` / ``False`` means no restriction."""

    source: str | None = None
    speaker: str | None = None
    wave: str | None = None
    code: str | None = None  # units this coder coded with this code
    uncoded: bool = False  # units this coder has not done yet (neither coded nor marked "no code applies")
    has_suggestion: bool = False  # units with pending suggestions for codes this coder has not applied


def find_project_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) holding project.yml."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).exists():
            return folder
    raise FileNotFoundError(f"{here}: no {CONFIG_NAME} here or in any parent folder; pass project_dir")


def span_of(start: Any, end: Any) -> Span | None:
    """A stored (start, end) pair as a span, None when either is missing."""
    return None if pd.isna(start) or pd.isna(end) else (int(start), int(end))


_NOT_CODERS = {CONSENSUS, *RESERVED_CODERS}  # lower-case names the coding panel refuses
STATE_NAME = "workbench_state.json"  # under data/processed/: each coder's last position and filters
SURVEY_CONTEXTS = ("respondent", "question")  # a survey answer's context: the same person, or the same question


class CodingSession:
    """One coder's pass over the project's coding units (transcript turns, survey responses)."""

    def __init__(self, project_dir: str | Path, coder: str | None = None, context: int = 2,
                 restore: bool = False) -> None:
        """Open the session; ``restore``: reopen where the coder (default: the last one) left off (:meth:`restore`)."""
        from cop_analysis.codebook import load_project_codebook
        from cop_analysis.ingest import CODING_UNITS, load_segments, load_sources
        from cop_analysis.ledger import Ledger

        self.cfg = ProjectConfig.load(project_dir)
        self.codebook = load_project_codebook(self.cfg)
        self.ledger = Ledger(self.cfg.ledger_path)
        self.n_context = context
        segments = load_segments(self.cfg)
        try:  # titles and dates are cosmetic: without them the panel shows paths in config order
            self._sources = load_sources(self.cfg)
        except Exception:  # noqa: BLE001
            log.warning("could not read the sources' titles and dates", exc_info=True)
            self._sources = SOURCES.empty_frame()
        units = segments[segments["unit"].isin(list(CODING_UNITS.values()))]
        rank = self._source_order(units["source_id"].astype(str).unique())
        self.units = (units.assign(_rank=units["source_id"].astype(str).map(rank)).sort_values(["_rank", "start"])
                      .drop(columns="_rank").set_index("segment_id", drop=False))
        sentences = segments[(segments["unit"] == "sentence") & segments["parent_id"].notna()]
        self._sentences = {k: g.sort_values("start") for k, g in sentences.groupby("parent_id")}
        self.coder: str | None = None
        self.filters = Filters()
        self.order: list[str] = []
        self.index = 0
        self._codings = pd.DataFrame(columns=["segment_id", "code_id", "span_start", "span_end"])
        self._reviewed: set[str] = set()
        self._pending = self.ledger.suggestions(status="suggested")
        self.survey_context = SURVEY_CONTEXTS[0]
        self._saved: dict[str, Any] | None = None  # this coder's entry as last written (skip identical writes)
        if restore and not coder:
            last = self.load_state().get("last_coder")
            try:  # the last coder of this project, if still a valid name
                self.set_coder(str(last)) if isinstance(last, str) and last.strip() else None
            except WorkbenchError:
                log.warning("ignoring the remembered coder %r", last)
        if coder:
            self.set_coder(coder)
        self.apply_filters(Filters())
        if restore and self.coder:
            self.restore()

    def _source_order(self, source_ids: Sequence[str]) -> dict[str, int]:
        """Each source's place in reading order: as project.yml lists them (transcripts, then surveys), a glob's
        files by date then name; sources no entry matches (e.g. removed from project.yml) come last, by name."""
        from fnmatch import fnmatch

        sources = self._sources
        dates = {str(i): str(d) for i, d in zip(sources["source_id"], sources["date"]) if pd.notna(d)}
        specs = [str(spec.path) for spec in (*self.cfg.transcripts, *self.cfg.surveys)]

        def key(sid: str) -> tuple[int, str, str]:
            at = next((i for i, path in enumerate(specs) if sid == path or fnmatch(sid, path)), len(specs))
            return at, dates.get(sid, "") if at < len(specs) else "", sid

        return {sid: i for i, sid in enumerate(sorted(map(str, source_ids), key=key))}

    # -- state -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read this coder's codings and review marks and the pending suggestions from the ledger."""
        if self.coder:
            codings = self.ledger.codings(coder=self.coder)
            self._codings = codings[codings["segment_id"].isin(self.units.index)]
            self._reviewed = set(self.ledger.reviewed(self.coder)["segment_id"])
        self._pending = self.ledger.suggestions(status="suggested")

    def done(self) -> set[str]:
        """Units this coder has coded or marked "no code applies"."""
        return set(self._codings["segment_id"]) | self._reviewed

    def coder_choices(self) -> list[str]:
        """The people one can code as: ledger coders minus ``consensus`` (Compare coders' adjudication)."""
        return [c for c in self.ledger.coders() if c.lower() not in _NOT_CODERS]

    def set_coder(self, name: str) -> str:
        """Switch to coder ``name`` (registered in the ledger if new); returns the name used.

        Names match existing coders case-insensitively (``QA`` is the existing ``qa``). ``consensus``
        (written by Compare coders) and the machine names are refused: coding or undoing as them
        would silently change the adjudication.
        """
        name = name.strip()
        if not name:
            raise WorkbenchError("the coder name is empty")
        if name.lower() in _NOT_CODERS:
            raise WorkbenchError(f"'{name}' is not a person: '{CONSENSUS}' holds the Compare coders adjudication"
                                 " (change it there) and 'machine'/'system' are reserved; type your own name")
        known = {c.lower(): c for c in reversed(self.ledger.coders())}  # the first spelling wins
        name = known.get(name.lower(), name)
        if name not in known.values():
            self.ledger.add_coder(name)
        if name != self.coder:
            self._saved = None  # another coder's entry in the state file
        self.coder = name
        self.refresh()
        return name

    # -- remembered position (data/processed/workbench_state.json, never the ledger) ---------
    @property
    def state_path(self) -> Path:
        return self.cfg.processed / STATE_NAME

    def load_state(self) -> dict[str, Any]:
        """The remembered state: ``{"last_coder": name, "coders": {name: {"segment_id", "filters"}}}``.

        A missing or unreadable file is an empty state (the panel then opens at the start).
        """
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ignoring the unreadable %s", self.state_path, exc_info=True)
            return {}
        return state if isinstance(state, dict) else {}

    def state(self) -> dict[str, Any]:
        """This coder's position (segment id) and filters, as remembered between sessions."""
        return {"segment_id": self.current_id, "filters": dataclasses.asdict(self.filters),
                "survey_context": self.survey_context}

    def save_state(self) -> bool:
        """Remember this coder's position and filters (atomic write); True if the file was written.

        Cheap to call after every action: nothing is written unless the position or filters changed.
        Only this coder's entry (and ``last_coder``) is replaced, so coders in other kernels keep theirs.
        """
        if not self.coder:
            return False
        mine = self.state()
        if mine == self._saved:
            return False
        state = self.load_state()
        coders = state.get("coders") if isinstance(state.get("coders"), dict) else {}
        state = {**state, "last_coder": self.coder, "coders": {**coders, self.coder: mine}}
        try:
            write_text(self.state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
        except OSError:  # a read-only project folder: coding still works, the position is just not kept
            log.warning("could not write %s", self.state_path, exc_info=True)
            return False
        self._saved = mine
        return True

    def restore(self) -> bool:
        """Go back to this coder's remembered filters and position; True if there was something to restore.

        Filter values that no longer exist (a removed source or code) are dropped; a remembered segment
        that no longer exists is ignored. If the segment is no longer in the filtered list (e.g. "uncoded
        by me" and it was coded), the panel opens at the next listed unit after it.
        """
        coders = self.load_state().get("coders")
        entry = coders.get(self.coder) if isinstance(coders, dict) and self.coder else None
        if not isinstance(entry, dict):
            return False
        saved = entry.get("filters") if isinstance(entry.get("filters"), dict) else {}
        opts = self.options()
        known = {"source": opts["source_id"], "speaker": opts["speaker"], "wave": opts["wave"],
                 "code": [c.id for c in self.codebook.codes if c.codable]}
        values: dict[str, Any] = {}
        for name, allowed in known.items():
            value = saved.get(name)
            values[name] = value if isinstance(value, str) and value in allowed else None
        for name in ("uncoded", "has_suggestion"):
            values[name] = saved.get(name) is True
        if entry.get("survey_context") in SURVEY_CONTEXTS:
            self.survey_context = str(entry["survey_context"])
        self.apply_filters(Filters(**values))
        sid = entry.get("segment_id")
        if isinstance(sid, str) and sid in self.units.index and self.order:
            if sid in self.order:
                self.index = self.order.index(sid)
            else:  # the first listed unit at or after it in reading order (wrapping)
                at = self.units.index.get_loc(sid)
                listed = set(self.order)
                later = [u for u in self.units.index[at:] if u in listed] or self.order
                self.index = self.order.index(later[0])
        return True

    def source_titles(self) -> dict[str, str]:
        """Each source's title (sources.parquet ``title``) by source id; sources without one are left out."""
        sources = self._sources
        return {str(i): str(t).strip() for i, t in zip(sources["source_id"], sources["title"])
                if pd.notna(t) and str(t).strip()}

    def options(self) -> dict[str, list[str]]:
        """Values the source, speaker and wave filters can take."""
        values = {col: sorted(set(self.units[col].dropna().astype(str)) - {""}) for col in ("speaker", "wave")}
        return {"source_id": list(dict.fromkeys(self.units["source_id"].astype(str))), **values}  # reading order

    def apply_filters(self, filters: Filters) -> None:
        """Select the units to step through; stays on the current unit if it still matches."""
        if (filters.code or filters.uncoded) and not self.coder:
            raise WorkbenchError("choose a coder before filtering by your codes")
        current = self.current_id
        units = self.units
        for column, value in (("source_id", filters.source), ("speaker", filters.speaker), ("wave", filters.wave)):
            if value is not None:
                units = units[units[column].astype(str) == value]
        if filters.code:
            units = units[units.index.isin(self._codings.loc[self._codings["code_id"] == filters.code, "segment_id"])]
        if filters.uncoded:
            units = units[~units.index.isin(self.done())]
        if filters.has_suggestion:  # units this coder marked "no code applies" are done with: left out
            units = units[units.index.isin(self._open_suggestions()["segment_id"]) & ~units.index.isin(self._reviewed)]
        self.filters = filters
        self.order = list(units.index)
        self.index = self.order.index(current) if current in self.order else 0

    # -- navigation ----------------------------------------------------------------------
    @property
    def current_id(self) -> str | None:
        return self.order[self.index] if self.order else None

    @property
    def current(self) -> pd.Series:
        if self.current_id is None:
            raise WorkbenchError("no segment matches the filters")
        return self.units.loc[self.current_id]

    def goto(self, target: int | str) -> None:
        """Go to a position in the filtered list, or to a segment id (clearing filters if needed)."""
        if isinstance(target, str):
            if target not in self.units.index:
                raise WorkbenchError(f"unknown segment {target!r}")
            if target not in self.order:
                self.apply_filters(Filters())
            self.index = self.order.index(target)
        elif self.order:
            self.index = max(0, min(int(target), len(self.order) - 1))

    def next(self) -> None:
        self.goto(self.index + 1)

    def previous(self) -> None:
        self.goto(self.index - 1)

    def next_uncoded(self) -> bool:
        """Go to the next unit (after the current one, wrapping) this coder has not done; False if none."""
        coded = self.done()
        n = len(self.order)
        for step in range(1, n + 1):
            i = (self.index + step) % n
            if self.order[i] not in coded:
                self.index = i
                return True
        return False

    def informative_available(self) -> bool:
        """True when the auto-coder offers active learning (``autocode.next_informative_segments``)."""
        import cop_analysis.autocode as autocode

        return hasattr(autocode, "next_informative_segments")

    def next_informative(self) -> str | None:
        """Go to the listed segment the auto-coder would learn most from having coded (active learning).

        Only units in the current filtered list (other than the current one) are candidates; returns
        None, staying put and keeping the filters, when none of them is left to code.
        """
        import cop_analysis.autocode as autocode

        self._require_coder()
        listed = set(self.order) - {self.current_id}
        if not listed:
            return None
        # ranked over every unit not yet done (cached by the auto-coder; ranking them all costs no refit)
        picked = autocode.next_informative_segments(self.cfg, self.coder, len(self.units))
        ids = list(picked["segment_id"]) if isinstance(picked, pd.DataFrame) else list(picked)
        best = next((str(i) for i in ids if str(i) in listed), None)
        if best is None:
            return None
        self.index = self.order.index(best)
        return best

    # -- what is on screen --------------------------------------------------------------
    def is_survey_answer(self, row: pd.Series | None = None) -> bool:
        """Whether a unit (default: the current one) is a survey answer with a known respondent."""
        row = self.current if row is None else row
        return row["unit"] == "response" and pd.notna(row.get("respondent_id")) and str(row["respondent_id"]) != ""

    def context(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The units shown around the current one: (before, after).

        A transcript turn: up to ``n_context`` turns before and after it in the same source. A survey
        answer: the same respondent's other answers in that source (one person in context), or with
        ``survey_context = "question"`` up to ``n_context`` other respondents' answers to the same question.
        """
        row = self.current
        same = self.units[self.units["source_id"] == row["source_id"]]
        n = self.n_context
        if self.is_survey_answer(row):
            if self.survey_context == "question" and pd.notna(row.get("question_id")):
                same = same[same["question_id"].astype(str) == str(row["question_id"])]
            else:
                same = same[same["respondent_id"].astype(str) == str(row["respondent_id"])]
                n = len(same)
        at = same.index.get_loc(row["segment_id"])
        assert isinstance(at, int)
        return same.iloc[max(0, at - n):at], same.iloc[at + 1:at + 1 + n]

    def code_counts(self) -> dict[str, int]:
        """How many units this coder coded with each code (whole unit or a sentence of it)."""
        if not self.coder or self._codings.empty:
            return {}
        return {str(k): int(v) for k, v in self._codings.groupby("code_id")["segment_id"].nunique().items()}

    def retrieve(self, code_id: str, all_coders: bool = False) -> pd.DataFrame:
        """The passages coded with ``code_id`` by this coder (or by every coder), in reading order.

        Columns: segment_id, span_start, span_end (missing: the whole unit), coder, source_id, who
        (speaker, or respondent and question) and quote (the coded text: the sentence, or the unit).
        """
        columns = ["segment_id", "span_start", "span_end", "coder", "source_id", "who", "quote"]
        if all_coders:
            rows = self.ledger.codings()
            rows = rows[rows["segment_id"].isin(self.units.index)]
        else:
            self._require_coder()
            rows = self._codings.assign(coder=self.coder)
        rows = rows[rows["code_id"] == code_id]
        if rows.empty:
            return pd.DataFrame(columns=columns)
        units = self.units.loc[rows["segment_id"]]
        out = pd.DataFrame({"segment_id": rows["segment_id"].to_numpy(), "span_start": rows["span_start"].to_numpy(),
                            "span_end": rows["span_end"].to_numpy(), "coder": rows["coder"].astype(str).to_numpy(),
                            "source_id": units["source_id"].astype(str).to_numpy()})
        out["who"] = [_who_text(u) for _, u in units.iterrows()]
        quotes = []
        for (_, u), a, b in zip(units.iterrows(), out["span_start"], out["span_end"]):
            text, off, span = str(u["text"]), int(u["start"]), span_of(a, b)
            quotes.append(text if span is None else text[span[0] - off:span[1] - off])
        out["quote"] = quotes
        reading = {sid: i for i, sid in enumerate(self.units.index)}
        out["_at"] = [(reading[s], -1 if pd.isna(a) else int(a)) for s, a in zip(out["segment_id"], out["span_start"])]
        return out.sort_values(["_at", "coder"]).drop(columns="_at").reset_index(drop=True)[columns]

    def sentences(self, segment_id: str | None = None) -> pd.DataFrame:
        """The sentence segments inside a unit (what a coding can be narrowed to)."""
        sid = segment_id or self.current["segment_id"]
        empty = self.units.iloc[0:0]
        return self._sentences.get(sid, empty)

    def codings(self, segment_id: str | None = None) -> list[tuple[str, Span | None]]:
        """This coder's (code_id, span) codings of a unit; span None means the whole unit."""
        sid = segment_id or self.current["segment_id"]
        rows = self._codings[self._codings["segment_id"] == sid]
        return [(str(r.code_id), span_of(r.span_start, r.span_end)) for r in rows.itertuples()]

    def codes(self, span: Span | None = None, segment_id: str | None = None) -> set[str]:
        """Codes this coder applied to a unit at exactly ``span`` (None: the whole unit)."""
        return {code for code, s in self.codings(segment_id) if s == span}

    def _open_suggestions(self) -> pd.DataFrame:
        """Pending suggestions, minus those for a code this coder already applied to that unit."""
        done = set(zip(self._codings["segment_id"], self._codings["code_id"]))
        keep = [(s, c) not in done for s, c in zip(self._pending["segment_id"], self._pending["code_id"])]
        return self._pending[pd.Series(keep, index=self._pending.index, dtype=bool)]

    def suggestions(self, segment_id: str | None = None) -> pd.DataFrame:
        """Pending machine suggestions for a unit, best first (not those for codes this coder applied)."""
        sid = segment_id or self.current["segment_id"]
        rows = self._open_suggestions()
        return rows[rows["segment_id"] == sid].sort_values("score", ascending=False)

    def memos(self, segment_id: str | None = None) -> pd.DataFrame:
        """Memos written on a unit (by any coder), oldest first."""
        sid = segment_id or self.current["segment_id"]
        memos = self.ledger.memos()
        return memos[memos["segment_id"] == sid].sort_values("created_at")

    def progress(self) -> tuple[int, int]:
        """(units this coder has done, units) over the filtered list; see :meth:`done`."""
        coded = self.done()
        return sum(sid in coded for sid in self.order), len(self.order)

    # -- actions (each one is a ledger transaction) ------------------------------------------
    def _require_coder(self) -> str:
        if not self.coder:
            raise WorkbenchError("choose a coder first")
        return self.coder

    def toggle(self, code_id: str, span: Span | None = None) -> bool:
        """Apply ``code_id`` to the current unit (or a sentence ``span`` in it), or remove it; True if now applied."""
        coder = self._require_coder()
        if code_id not in self.codebook or not self.codebook[code_id].codable:
            raise WorkbenchError(f"{code_id!r} is not a codable code of the codebook")
        sid = self.current["segment_id"]
        applied = code_id in self.codes(span)
        if applied:
            self.ledger.uncode(sid, code_id, coder, span=span)
        else:  # a code replaces this coder's "no code applies" mark (same event; undo restores it)
            self.ledger.code(sid, code_id, coder, span=span, clear_review=True)
        self.refresh()
        return not applied

    def code_name(self, code_id: str) -> str:
        """A code's display name (its id, marked, if it is no longer in the codebook)."""
        return self.codebook[code_id].name if code_id in self.codebook else f"{code_id} (not in codebook)"

    def marked_no_code(self, segment_id: str | None = None) -> bool:
        """Whether this coder marked a unit "no code applies" (and holds no coding on it)."""
        sid = segment_id or self.current_id
        return sid in self._reviewed and not self.codings(sid)

    def accept(self, suggestion_id: int) -> str:
        """Accept a machine suggestion: it becomes this coder's coding; returns a note for the status line.

        If another coder rejected (or accepted) it meanwhile, or the auto-coder withdrew it, the
        suggestion keeps that status but the accept still records this coder's coding of the code.
        """
        coder = self._require_coder()
        self.ledger.accept(int(suggestion_id), coder, clear_review=True)
        self.refresh()
        row = self.ledger.suggestions().set_index("suggestion_id").loc[int(suggestion_id)]
        if row["status"] == "accepted" and row["decided_by"] == coder:
            return ""
        name = self.code_name(str(row["code_id"]))
        by = "the auto-coder" if row["decided_by"] == "machine" else str(row["decided_by"])
        return (f"This suggestion was already {row['status']} by {by}; {name} is recorded as your own coding"
                " of this segment.")

    def reject(self, suggestion_id: int) -> None:
        """Reject a machine suggestion (it is kept in the ledger as rejected)."""
        self.ledger.reject(int(suggestion_id), self._require_coder())
        self.refresh()

    def memo(self, text: str, code_id: str | None = None) -> int:
        """Write a memo on the current unit (optionally about one code)."""
        coder = self._require_coder()
        if not text.strip():
            raise WorkbenchError("the memo is empty")
        return self.ledger.memo(text.strip(), coder, segment_id=self.current["segment_id"], code_id=code_id)

    def _own_memo(self, memo_id: int) -> pd.Series:
        """This coder's memo ``memo_id`` (a memo by another coder is theirs to change)."""
        coder = self._require_coder()
        memos = self.ledger.memos().set_index("memo_id")
        if int(memo_id) not in memos.index:
            raise WorkbenchError(f"memo {memo_id} no longer exists (undone or deleted)")
        memo = memos.loc[int(memo_id)]
        if memo["coder"] != coder:
            raise WorkbenchError(f"this memo is {memo['coder']}'s: you can edit or delete only your own memos")
        return memo

    def edit_memo(self, memo_id: int, text: str) -> int:
        """Replace the text of one of this coder's memos (an undoable ``memo_edit`` event)."""
        self._own_memo(memo_id)
        if not text.strip():
            raise WorkbenchError("the memo is empty (delete it instead)")
        return self.ledger.edit_memo(int(memo_id), text.strip(), self._require_coder())

    def delete_memo(self, memo_id: int) -> int:
        """Delete one of this coder's memos (an undoable ``memo_delete`` event: Undo brings it back)."""
        self._own_memo(memo_id)
        return self.ledger.delete_memo(int(memo_id), self._require_coder())

    def mark_no_code(self) -> None:
        """Record that no code applies to the current unit (counts as done and as seen for agreement).

        Refused while this coder has codes on the unit (remove them first): a unit is either coded
        or marked, never both.
        """
        coder = self._require_coder()
        mine = self.codings()
        if mine:
            names = ", ".join(sorted({self.code_name(c) for c, _ in mine}))
            raise WorkbenchError(f"you applied {names} here: remove your codes before marking \"no code applies\"")
        self.ledger.mark_reviewed(self.current["segment_id"], coder)
        self.refresh()

    def undo(self) -> str | None:
        """Undo this coder's last action (in any unit) and go to that unit if listed; returns what was undone."""
        event_id = self.ledger.undo(self._require_coder())
        self.refresh()
        return None if event_id is None else self._go_to_event(event_id)[0]

    def redo(self) -> str | None:
        """Redo this coder's most recently undone action and go to that unit if listed; returns what was redone.

        Raises :class:`WorkbenchError` if it no longer applies because someone changed it meanwhile
        (e.g. another coder decided the suggestion): that redo is logged as a no-op and skipped.
        """
        event_id = self.ledger.redo(self._require_coder())
        self.refresh()
        if event_id is None:
            return None
        what, effective = self._go_to_event(event_id)
        if not effective:
            raise WorkbenchError(f"could not redo {what}: someone changed it meanwhile (skipped)")
        return what

    def can_undo(self) -> bool:
        """Whether :meth:`undo` has something to undo for this coder."""
        return bool(self.coder) and self.ledger.can_undo(self.coder)

    def can_redo(self) -> bool:
        """Whether :meth:`redo` has something to redo for this coder (a new action clears the redo chain)."""
        return bool(self.coder) and self.ledger.can_redo(self.coder)

    def _go_to_event(self, event_id: int) -> tuple[str, bool]:
        """Go to the unit of an undo/redo event if listed; returns ('code harm'-style description, took effect)."""
        event = self.ledger.history(coder=self.coder).set_index("event_id").loc[event_id]
        if event["segment_id"] in self.order:
            self.goto(str(event["segment_id"]))
        action = json.loads(event["payload"]).get("action", "action")
        names = {"review": "no code applies", "memo_edit": "edit memo", "memo_delete": "delete memo"}
        action = names.get(action, action)
        what = f"{action} {self.code_name(str(event['code_id']))}" if pd.notna(event["code_id"]) else str(action)
        return what, bool(event["effective"])


# -- view --------------------------------------------------------------------------------
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
</style>"""
KEY_LEGEND = ("Keys (pointer over the codes or buttons): j/k next/prev · 1-9 code · u undo · r redo"
              " · n no code · a/x accept/reject")
TEXT_TAGS = {"INPUT", "TEXTAREA", "SELECT"}  # a key typed into one of these is text, not a shortcut
NO_CODE_BADGE = "<span class='cop-wb-chip cop-wb-nocode'>&#8856; marked: no code applies</span>"


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _tint(hex_color: str, keep: float = 0.22) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * keep + 255 * (1 - keep)):02x}" for c in (r, g, b))


def widget_action(action: Callable[..., Any], status: Any, render: Callable[[], None],
                  logger: logging.Logger) -> Callable[..., None]:
    """Wrap a button/field action: run it, show any error in ``status`` (not just the browser log), re-render."""

    def run(*_args: Any) -> None:
        status.value = ""
        try:
            action()
        except Exception as exc:
            if isinstance(exc, ValueError):  # the user's to fix (WorkbenchError, LedgerError, ...): the message says how
                logger.debug("panel action refused", exc_info=True)
            else:  # a bug: keep the traceback
                logger.exception("panel action failed")
            status.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
        render()

    return run


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
    covering mark's name in the tooltip, so each range stays visible in full.
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
        if pieces and pieces[-1][2] == on:  # the same marks go on: one piece
            pieces[-1] = (pieces[-1][0], b, on)
        else:
            pieces.append((a, b, on))
    body = ""
    for a, b, on in pieces:
        if not on:
            body += html.escape(text[a:b])
            continue
        color, label = on[0]
        style = ""
        if color:
            style = f"background:{_tint(color, 0.45)};border-bottom:3px solid {color}"
            style += "".join(f";border-top:3px solid {c}" for c, _ in on[1:2] if c)
            names = ", ".join(lab for _, lab in on if lab)
            style = f" style='{style}' title='{html.escape(names, quote=True)}'"
        body += f"<mark{style}>{html.escape(text[a:b])}</mark>"
    parts = [f"<div class='cop-wb-turn'>{who_html(r)}{html.escape(str(r['text']))}</div>" for _, r in before.iterrows()]
    parts = [f"<div class='cop-wb-before'><div>{''.join(parts)}</div></div>"] if parts else []
    parts.append(f"<div class='cop-wb-turn cop-wb-current'>{who_html(row)}{body}</div>")
    parts += [f"<div class='cop-wb-turn'>{who_html(r)}{html.escape(str(r['text']))}</div>" for _, r in after.iterrows()]
    return f"<div class='cop-wb-context'>{''.join(parts)}</div>"


class CodingWorkbench:
    """The ipywidgets coding panel over a :class:`CodingSession`; ``show()`` returns the widget."""

    def __init__(self, project_dir: str | Path | None = None, coder: str | None = None, context: int = 2,
                 restore: bool = True) -> None:
        import ipywidgets as w

        self.w = w
        root = Path(project_dir) if project_dir else find_project_root()
        self.session = s = CodingSession(root, coder, context, restore=restore)
        self.status = w.HTML(layout=w.Layout(min_height="28px"))  # a message does not push the panel down
        self.coder = w.Combobox(value=s.coder or "", options=s.coder_choices(), placeholder="your name",
                                description="Coder", ensure_option=False, continuous_update=False)
        opts = s.options()
        self._titles = titles = s.source_titles()
        self.source = w.Dropdown(options=[("all sources", "")] + [(titles.get(v, v), v) for v in opts["source_id"]],
                                 description="Source")
        self.speaker = w.Dropdown(options=self._speaker_options(None), description="Speaker")
        self.wave = w.Dropdown(options=[("all waves", "")] + [(v, v) for v in opts["wave"]], description="Wave")
        self.code_filter = w.Dropdown(options=[("any code", "")]
                                      + [(self._filter_label(c.id), c.id) for c in s.codebook.codes if c.codable],
                                      description="Coded with")
        self.uncoded = w.Checkbox(description="uncoded by me", indent=False)
        self.has_suggestion = w.Checkbox(description="has suggestions", indent=False)
        self.position = w.HTML()
        self.survey_context = w.ToggleButtons(  # shown for survey answers only
            options=[("this respondent", "respondent"), ("this question", "question")],
            value=s.survey_context, description="Context", style={"button_width": "auto"},
            tooltips=["The same person's other answers, with their questions",
                      "Other respondents' answers to the same question"])
        self.context_html = self._context_widget()  # a fresh one for every segment: it opens scrolled to the top
        self._context_unit: str | None = None  # the segment context_html was made for
        self._jump: tuple[str, Span | None, str, str] | None = None  # Go: (segment, span, code, coders) to mark
        self.sentence = w.Dropdown(description="Apply to", layout=w.Layout(width="98%"))  # value: index
        self.sentence_to = w.Dropdown(description="to", layout=w.Layout(width="98%", display="none"),
                                      tooltip="The last sentence of the span: code several sentences at once")
        self._spans: list[Span | None] = [None]  # option index -> span (None: the whole unit)
        self._sentence_texts: list[str] = [""]  # option index -> the sentence's text
        self._scope_unit: str | None = None  # the unit the sentence options belong to
        self.code_buttons: dict[str, Any] = {}
        self.codes_box = w.VBox(self._code_groups())
        self.coded_html = w.HTML()
        self.suggestions_box = w.VBox()
        self.memos_html = w.HTML()
        self.memo_buttons: dict[int, tuple[Any, Any]] = {}  # memo id -> (edit, delete): this coder's memos
        self.memo_buttons_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self._memo_key: tuple[Any, ...] | None = None  # what the memo buttons were built for
        self._editing: tuple[str, int] | None = None  # (segment, memo id) being edited in the memo box
        self.memo_text = w.Textarea(placeholder="Memo on this segment (saved when you click Add memo)",
                                    layout=w.Layout(flex="1 1 auto", height="70px"))
        self.add_memo = w.Button(description="Add memo", icon="pencil")
        self.cancel_edit = w.Button(description="Cancel", icon="times", layout=w.Layout(display="none"),
                                    tooltip="Stop editing: the memo keeps its text")
        self.prev_btn = w.Button(description="Prev", icon="arrow-left", tooltip="Previous segment")
        self.next_btn = w.Button(description="Next", icon="arrow-right", tooltip="Next segment")
        self.next_uncoded_btn = w.Button(description="Next uncoded", icon="forward")
        self.no_code_btn = w.Button(description="No code applies", icon="ban",
                                    tooltip="Mark this segment done without a code, then go to the next")
        self.undo_btn = w.Button(description="Undo", icon="undo", tooltip="Undo your last action")
        self.redo_btn = w.Button(description="Redo", icon="repeat", tooltip="Redo the action you last undid")
        self.progress = w.IntProgress(min=0, description="Coded", layout=w.Layout(flex="0 1 220px", min_width="140px"))
        self.progress_label = w.Label(layout=w.Layout(flex="0 0 auto", width="auto"))
        # Undo/Redo right after the everyday buttons: in a narrow panel the optional one wraps, not they
        nav = [self.prev_btn, self.next_btn, self.next_uncoded_btn, self.no_code_btn, self.undo_btn, self.redo_btn]
        self.informative_btn = None
        if s.informative_available():  # appears once the auto-coder offers active learning
            self.informative_btn = w.Button(
                description="Most informative next", icon="lightbulb-o", layout=w.Layout(width="auto"),
                tooltip="Go to the segment in the current filter the auto-coder would learn most from")
            self.informative_btn.on_click(self._handler(self._on_informative))
            nav.append(self.informative_btn)
        self.nav_box = w.HBox(nav, layout=w.Layout(flex_flow="row wrap"))

        # retrieval: every passage coded with one code, click to jump to it
        self.retrieve_code = w.Dropdown(options=[("choose a code", "")]
                                        + [(self._filter_label(c.id), c.id) for c in s.codebook.codes if c.codable],
                                        description="Code")
        self.retrieve_all = w.ToggleButtons(options=[("mine", False), ("all coders", True)], value=False,
                                            style={"button_width": "auto"})
        self.retrieve_box = w.VBox()
        self.retrieval = w.Accordion(children=[w.VBox([w.HBox([self.retrieve_code, self.retrieve_all]),
                                                       self.retrieve_box])], selected_index=None)
        self.retrieval.set_title(0, "Retrieve coded passages")
        self._retrieved: tuple[Any, ...] | None = None  # what the listed rows show (rebuilt only on change)
        on_retrieve = self._handler(lambda: None)  # render() lists the passages while the fold-out is open
        for box in (self.retrieve_code, self.retrieve_all):
            box.observe(lambda _c: on_retrieve(), "value")
        self.retrieval.observe(lambda _c: on_retrieve(), "selected_index")
        on_survey = self._handler(self._on_survey_context)
        self.survey_context.observe(lambda _c: None if self._syncing else on_survey(), "value")

        self._syncing = False
        self.coder.observe(self._handler(self._on_coder), "value")
        on_filters = self._handler(self._on_filters)
        for box in (self.source, self.speaker, self.wave, self.code_filter, self.uncoded, self.has_suggestion):
            box.observe(lambda _c: None if self._syncing else on_filters(), "value")
        self.sentence.observe(lambda _c: self._on_sentence(), "value")
        self.sentence_to.observe(lambda _c: self._render_scope(), "value")
        self.add_memo.on_click(self._handler(self._on_memo))
        self.cancel_edit.on_click(self._handler(self._stop_editing))
        self.prev_btn.on_click(self._handler(s.previous))
        self.next_btn.on_click(self._handler(s.next))
        self.next_uncoded_btn.on_click(self._handler(s.next_uncoded))
        self.no_code_btn.on_click(self._handler(self._on_no_code))
        self.undo_btn.on_click(self._handler(self._on_undo))
        self.redo_btn.on_click(self._handler(self._on_redo))

        # keyboard shortcuts work over the parts without text fields (see _attach_keys)
        self.key_legend = w.HTML(f"<span class='cop-wb-meta'>{KEY_LEGEND}</span>")
        for box in (self.source, self.speaker, self.wave, self.code_filter):  # the filters: one wrapping row
            box.layout.width, box.style.description_width = "auto", "initial"
        for btn in nav:
            btn.layout.width = "auto"
        self._suggestion_rows: list[tuple[Any, Any]] = []  # (accept, reject) buttons, best suggestion first
        # layout: navigation, position and messages on top; below, the segment (a fixed-height box with its own
        # scroll, so nothing under it moves from one segment to the next) with the code buttons to its right
        # (under it when the panel is narrow)
        self.reading_box = w.VBox([self.survey_context, self.context_html],
                                  layout=w.Layout(flex="3 1 360px", min_width="300px", height="44vh",
                                                  min_height="260px", margin="0 8px 4px 0", overflow="hidden"))
        self.reading_box.add_class("cop-wb-reading")
        self.review_box = w.VBox([self.coded_html, self.suggestions_box, self.memos_html, self.memo_buttons_box])
        self.position.layout.min_height = "1.6em"
        self.actions_box = w.VBox([self.nav_box, self.position, self.status, self.key_legend])
        self.key_events = self._attach_keys()
        self.coding_box = w.VBox([self.sentence, self.sentence_to, self.codes_box, self.review_box],
                                 layout=w.Layout(flex="2 1 260px", min_width="240px"))
        self.main_box = w.HBox([self.reading_box, self.coding_box],
                               layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))

        self.widget = w.VBox([
            w.HTML(PANEL_CSS),
            w.HBox([self.coder, self.progress, self.progress_label],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            w.HBox([self.source, self.speaker, self.wave, self.code_filter, self.uncoded, self.has_suggestion],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.actions_box, self.main_box,
            w.HBox([self.memo_text, self.add_memo, self.cancel_edit], layout=w.Layout(align_items="flex-start")),
            self.retrieval,
        ], layout=w.Layout(max_width="1100px"))
        self.render()

    @property
    def scope(self) -> Span | None:
        """The span the code buttons apply to: from the chosen sentence to the "to" sentence (the same one by
        default), or None for the whole unit."""
        index = self.sentence.value or 0
        if not 0 < index < len(self._spans):
            return None
        last = self.sentence_to.value if isinstance(self.sentence_to.value, int) else index
        first, end = self._spans[index], self._spans[max(index, min(last, len(self._spans) - 1))]
        assert first is not None and end is not None
        return first[0], end[1]

    def select_span(self, first: int, last: int | None = None) -> None:
        """Choose sentences ``first`` to ``last`` (1-based, inclusive; default ``first`` alone; 0: whole unit)."""
        self.sentence.value = first
        if first and last is not None:
            self.sentence_to.value = last

    def show(self) -> Any:
        """The panel widget (display it, or leave it as a notebook cell's last expression)."""
        return self.widget

    # -- building ------------------------------------------------------------------------
    def _context_widget(self) -> Any:
        """The segment and its neighbours, scrolling on its own inside the reading box."""
        html_widget = self.w.HTML()
        html_widget.add_class("cop-wb-scroll")
        return html_widget

    def _code_groups(self) -> list[Any]:
        """Code buttons grouped under their top-level code; childless top-level codes share one group."""
        w, cb = self.w, self.session.codebook

        def buttons(code_id: str) -> list[Any]:
            code = cb[code_id]
            own: list[Any] = []
            if code.codable:  # non-codable codes (folders from other QDA tools) are headings only
                # wide enough from the start for its key, a count "(99)" in bold and the check mark: coding
                # re-wraps no row (em, not ch: a ch grows when the label turns bold)
                label = f"{len(self.code_buttons) + 1} {code.name} (99)"
                btn = w.Button(description=code.name, tooltip=f"{cb.path(code_id)}: {code.definition}",
                               layout=w.Layout(width="auto", min_width=f"calc({len(label) * 0.7:.1f}em + 40px)"))
                btn.on_click(self._handler(lambda c=code_id: self._on_code(c)))
                self.code_buttons[code_id] = btn
                own = [btn]
            return own + [b for child in cb.children(code_id) for b in buttons(child.id)]

        flat = [r for r in cb.roots() if not cb.children(r.id)]
        groups = [("Codes", [b for r in flat for b in buttons(r.id)])] if flat else []
        groups += [(r.name, buttons(r.id)) for r in cb.roots() if cb.children(r.id)]
        return [w.VBox([w.HTML(f"<b>{html.escape(name)}</b>"),
                        w.HBox(btns, layout=w.Layout(flex_flow="row wrap"))]) for name, btns in groups]

    def _handler(self, action: Callable[..., Any]) -> Callable[..., None]:
        return widget_action(action, self.status, self.render, log)

    def _attach_keys(self) -> list[Any]:
        """Keyboard shortcuts (:meth:`_on_key`) over the code buttons, the codes/suggestions and the
        navigation buttons: the parts of the panel without a text field, and not the segment text, where
        selecting and copying a quote (Ctrl+C) must keep working.

        ipyevents listens while the pointer is over one of these parts: it focuses that part and catches
        every keydown at the document (capture phase), sends it to the kernel and stops it there
        (``stopPropagation`` + ``preventDefault``), so JupyterLab's notebook shortcuts (``b`` new cell,
        ``j``/``k`` move, ...) do not fire. It does so for every key, so the coder box, the filters and
        the memo box are left out: there keys type text as usual.
        """
        from ipyevents import Event

        events = []
        for zone in (self.codes_box, self.review_box, self.actions_box):
            zone.add_class("cop-wb-keys")
            event = Event(source=zone, watched_events=["keydown"], prevent_default_action=True,
                          ignore_modifier_key_events=True)  # a lone Shift is no key; Shift+U arrives as "U"
            event.on_dom_event(self._on_key)
            events.append(event)
        return events

    def _key_button(self, key: str, shift: bool) -> Any:
        """The button a key stands for (None: no shortcut); see KEY_LEGEND."""
        if key in ("ArrowDown", "ArrowUp"):
            return self.next_btn if key == "ArrowDown" else self.prev_btn
        if key.isdigit() and key != "0":
            buttons = list(self.code_buttons.values())  # in the order shown (the labels carry the digit)
            return buttons[int(key) - 1] if int(key) <= len(buttons) else None
        letter = key.lower() if len(key) == 1 else ""  # caps lock: "J" is j; Shift+U is redo
        if letter == "u":
            return self.redo_btn if shift else self.undo_btn
        if letter in ("a", "x"):
            if not self._suggestion_rows:
                return None
            accept, reject = self._suggestion_rows[0]
            return accept if letter == "a" else reject
        return {"j": self.next_btn, "k": self.prev_btn, "r": self.redo_btn, "n": self.no_code_btn}.get(letter)

    def _on_key(self, event: dict[str, Any]) -> None:
        """A keydown delivered by ipyevents: click the button the key stands for (the same handler, so the
        ledger write, undo and messages are those of a click). Keys typed in a text field, keys with
        Ctrl/Alt/Meta and unknown keys do nothing; a held-down key repeats navigation only."""
        if event.get("type", event.get("event")) != "keydown":
            return
        target = event.get("target") if isinstance(event.get("target"), dict) else {}
        if str(target.get("tagName", "")).upper() in TEXT_TAGS:
            return
        if event.get("ctrlKey") or event.get("altKey") or event.get("metaKey"):
            return
        key = str(event.get("key", ""))
        button = self._key_button(key, bool(event.get("shiftKey")))
        if button is None:
            if key.lower() in ("a", "x") and self.session.current_id is not None:
                self.status.value = "No machine suggestion on this segment."
            return
        if event.get("repeat") and button not in (self.next_btn, self.prev_btn):
            return  # a held-down digit would apply and remove the code again and again
        button.click()

    # -- handlers ------------------------------------------------------------------------
    def _speaker_options(self, source: str | None) -> list[tuple[str, str]]:
        """"all speakers" plus the speakers of ``source`` (None: of every source)."""
        units = self.session.units
        if source:
            units = units[units["source_id"].astype(str) == source]
        names = sorted(set(units["speaker"].dropna().astype(str)) - {""})
        return [("all speakers", "")] + [(v, v) for v in names]

    def _filter_label(self, code_id: str) -> str:
        """A code's name for the "Coded with" menu, indented under its parent (parents' names if ambiguous)."""
        cb = self.session.codebook
        code, depth, names = cb[code_id], cb.path(code_id).count("/"), [c.name for c in cb.codes]
        if names.count(code.name) > 1 and code.parent is not None:
            return "\u2003" * depth + f"{code.name} ({cb[code.parent].name})"
        return "\u2003" * depth + code.name

    def _on_coder(self) -> None:
        if self.coder.value.strip():
            try:
                name = self.session.set_coder(self.coder.value)
            except WorkbenchError:
                self.coder.value = self.session.coder or ""  # do not leave a refused name on screen
                raise
            if not self.session.restore():  # this coder's remembered filters and position, if any
                self.session.apply_filters(self.session.filters)
            self.coder.options = self.session.coder_choices()
            if self.coder.value != name:  # "QA" typed next to an existing "qa": show the name used
                self.coder.value = name

    def _on_filters(self) -> None:
        speaker = self.speaker.value or None  # a speaker not in the newly chosen source is dropped
        if speaker and speaker not in {v for _, v in self._speaker_options(self.source.value or None)}:
            speaker = None
        self.session.apply_filters(Filters(self.source.value or None, speaker,
                                           self.wave.value or None, self.code_filter.value or None,
                                           self.uncoded.value, self.has_suggestion.value))

    def _on_code(self, code_id: str) -> None:
        self.session.toggle(code_id, self.scope)

    def _on_informative(self) -> None:
        """Active learning within the current filter; the button shows it is busy while the model ranks."""
        btn, s = self.informative_btn, self.session
        s._require_coder()
        btn.disabled, btn.icon = True, "hourglass-half"
        self.status.value = "<i>Finding the most informative segment…</i>"
        try:
            found = s.next_informative()
        finally:
            btn.disabled, btn.icon = False, "lightbulb-o"
        if found is not None:
            self.status.value = ""
        elif s.filters != Filters():
            self.status.value = ("No other segment left to code in the current filter (the filters are kept);"
                                 " clear or change them to look further.")
        else:
            self.status.value = "No other segment left to code: you have coded or marked every other segment."

    def _on_survey_context(self, change: Any = None) -> None:
        self.session.survey_context = self.survey_context.value

    def _on_jump(self, segment_id: str, span: Span | None, code_id: str = "", coders: str = "") -> None:
        """Show a retrieved passage in the coding panel: the segment box at its top, the passage marked in
        its code's colour (whoever coded it), its sentences selected when it is a run of whole sentences."""
        s = self.session
        filtered = s.filters != Filters()
        s.goto(segment_id)
        self._jump = (segment_id, span, code_id, coders)
        self._context_unit = None  # a fresh segment box, scrolled to the top
        self.render()
        starts = [sp[0] if sp else None for sp in self._spans]
        ends = [sp[1] if sp else None for sp in self._spans]
        if span is not None and span[0] in starts and span[1] in ends:  # one sentence, or a run of them
            self.select_span(starts.index(span[0]), ends.index(span[1]))
        if filtered and s.filters == Filters():
            self.status.value = "The filters were cleared to show this passage."
        self.sentence.focus()  # the browser scrolls the page up to the coding panel

    def _on_no_code(self) -> None:
        self.session.mark_no_code()
        self.session.next()

    def _on_accept(self, suggestion_id: int) -> None:
        note = self.session.accept(suggestion_id)
        if note:
            self.status.value = html.escape(note)

    def _on_undo(self) -> None:
        undone = self.session.undo()
        self.status.value = f"Undid: {html.escape(undone)}" if undone else "Nothing to undo."

    def _on_redo(self) -> None:
        redone = self.session.redo()
        self.status.value = f"Redid: {html.escape(redone)}" if redone else "Nothing to redo."

    def _on_sentence(self) -> None:
        """A new first sentence: the "to" menu offers it (the default: just this sentence) and the ones after it."""
        first = self.sentence.value or 0
        texts = self._sentence_texts if len(self._sentence_texts) == len(self._spans) else [""] * len(self._spans)
        self.sentence_to.options = [(f"sentence {i}" + (" (just this one)" if i == first else "")
                                     + f": {short_text(texts[i], 60)}", i)
                                    for i in range(first, len(self._spans))] if first else []
        self.sentence_to.value = first or None
        self.sentence_to.layout.display = "" if first and len(self._spans) > first + 1 else "none"
        self._render_scope()

    def _on_memo(self) -> None:
        """Add a memo, or save the one being edited."""
        if self._editing and self._editing[0] == self.session.current_id:
            self.session.edit_memo(self._editing[1], self.memo_text.value)
            self.status.value = "Memo saved (Undo restores the previous text)."
        else:
            self.session.memo(self.memo_text.value)
        self._stop_editing()

    def _start_editing(self, memo_id: int, text: str) -> None:
        """Load one of this coder's memos into the memo box; Save memo replaces its text."""
        self._editing = (str(self.session.current_id), int(memo_id))
        self.memo_text.value = text

    def _stop_editing(self) -> None:
        self._editing = None
        self.memo_text.value = ""

    def _on_delete_memo(self, memo_id: int) -> None:
        self.session.delete_memo(memo_id)
        if self._editing and self._editing[1] == memo_id:
            self._stop_editing()
        self.status.value = "Memo deleted (Undo brings it back)."

    # -- rendering -----------------------------------------------------------------------
    def render(self) -> None:
        """Redraw everything from the session state."""
        s = self.session
        self._syncing = True  # the session may have cleared its filters (goto a unit outside them)
        try:
            f = s.filters
            speakers = self._speaker_options(f.source)
            if list(self.speaker.options) != speakers:  # only the chosen source's speakers
                self.speaker.options = speakers
            for box, value in ((self.source, f.source), (self.speaker, f.speaker), (self.wave, f.wave),
                               (self.code_filter, f.code)):
                box.value = value or ""  # "" is "all" (a None value would show an empty dropdown)
            self.uncoded.value, self.has_suggestion.value = f.uncoded, f.has_suggestion
            self.survey_context.value = s.survey_context  # a switched-to coder's remembered choice
        finally:
            self._syncing = False
        coded, total = s.progress()
        self.progress.max, self.progress.value = max(total, 1), coded
        self.progress_label.value = f"{coded} / {total} coded" + ("" if s.coder else " (choose a coder)")
        self.undo_btn.disabled, self.redo_btn.disabled = not s.can_undo(), not s.can_redo()
        if self.retrieval.selected_index == 0:
            self._render_retrieval()
        s.save_state()  # cheap: written only when the position or the filters changed
        if s.current_id is None:
            self.position.value = "<i>No segments match the filters.</i>"
            self.context_html.value = self.coded_html.value = self.memos_html.value = ""
            self._context_unit = None
            self.suggestions_box.children, self._suggestion_rows = (), []
            self.survey_context.layout.display = "none"
            self._scope_unit, self._spans, self.sentence.options = None, [None], [("whole segment", 0)]
            self._render_codes()
            self._render_memos()
            return
        self.survey_context.layout.display = "" if s.is_survey_answer() else "none"
        row = s.current
        title = self._titles.get(str(row["source_id"]), str(row["source_id"]))
        self.position.value = (f"<b>{s.index + 1} / {len(s.order)}</b> &nbsp; {html.escape(title)}"
                               + (f" &middot; wave {html.escape(str(row['wave']))}" if pd.notna(row["wave"]) else ""))
        self._render_context()
        unit = "turn" if row["unit"] == "turn" else "response"
        if self._scope_unit != s.current_id:  # a new unit: offer its sentences, start with the whole unit
            sentences = s.sentences()
            labels = [f"whole {unit}"] + [f"sentence {i}: {short_text(t)}" for i, t in enumerate(sentences["text"], 1)]
            self._scope_unit, self._spans = s.current_id, [None] + [
                (int(a), int(b)) for a, b in zip(sentences["start"], sentences["end"])]
            self._sentence_texts = [""] + [str(t) for t in sentences["text"]]
            self.sentence.options = list(zip(labels, range(len(labels))))
            self.sentence.value = 0
            self._on_sentence()
        self._render_codes()
        self._render_suggestions()
        self._render_memos()

    def _render_memos(self) -> None:
        """The memos on the segment, each with its time; Edit and Delete buttons for this coder's own."""
        w, s = self.w, self.session
        memos = s.memos() if s.current_id is not None else pd.DataFrame(columns=["memo_id", "coder", "text"])
        if self._editing and (self._editing[0] != s.current_id or self._editing[1] not in set(memos["memo_id"])):
            self._stop_editing()  # another segment, or the memo was undone/deleted
        editing = self._editing is not None
        self.add_memo.description, self.add_memo.icon = (
            ("Save memo", "floppy-o") if editing else ("Add memo", "pencil"))
        self.cancel_edit.layout.display = "" if editing else "none"
        own = [m for m in memos.itertuples() if s.coder and m.coder == s.coder]
        number = {int(m.memo_id): i for i, m in enumerate(own, 1)}
        self.memos_html.value = "".join(
            f"<div class='cop-wb-memo'><span class='cop-wb-memo-tag'>"
            f"{'memo' if int(m.memo_id) not in number else f'your memo {number[int(m.memo_id)]}'}</span>"
            f"<b>{html.escape(str(m.coder))}</b> <span class='cop-wb-meta'>{memo_time(m.created_at, m.updated_at)}"
            f"</span>: {html.escape(str(m.text))}</div>" for m in memos.itertuples())
        key = (s.current_id, s.coder, tuple(number), tuple(m.text for m in own))
        if key == self._memo_key:
            return
        self._memo_key, old, self.memo_buttons = key, self.memo_buttons, {}
        buttons: list[Any] = []
        for m in own:
            n, label = number[int(m.memo_id)], f"your memo {number[int(m.memo_id)]}" if len(own) > 1 else "your memo"
            edit = w.Button(description=f"Edit {n}" if len(own) > 1 else "Edit memo", icon="pencil",
                            tooltip=f"Load {label} into the memo box to change it", layout=w.Layout(width="auto"))
            delete = w.Button(description=f"Delete {n}" if len(own) > 1 else "Delete memo", icon="trash",
                              tooltip=f"Delete {label} (Undo brings it back)", layout=w.Layout(width="auto"))
            edit.on_click(self._handler(lambda mid=int(m.memo_id), t=str(m.text): self._start_editing(mid, t)))
            delete.on_click(self._handler(lambda mid=int(m.memo_id): self._on_delete_memo(mid)))
            self.memo_buttons[int(m.memo_id)] = (edit, delete)
            buttons += [edit, delete]
        self.memo_buttons_box.children = tuple(buttons)
        for pair in old.values():
            for btn in pair:
                btn.close()

    def _render_scope(self) -> None:
        """Redraw what depends on the chosen scope (whole unit or one sentence)."""
        if self.session.current_id is not None:
            self._render_context()
        self._render_codes()

    def _render_context(self, fresh: bool = False) -> None:
        """Draw the segment between its neighbours; a new segment (or ``fresh``) gets a new widget, so the
        box opens at its top, on the segment, wherever the last one was scrolled to."""
        s = self.session
        if fresh or self._context_unit != s.current_id:
            old, self.context_html = self.context_html, self._context_widget()
            self.reading_box.children = (self.survey_context, self.context_html)
            old.close()
            self._context_unit = s.current_id
        if self._jump is not None and self._jump[0] != s.current_id:
            self._jump = None  # the retrieved passage is marked until one leaves its segment
        row = s.current
        text, off, sel = str(row["text"]), int(row["start"]), self.scope
        inside = (lambda sp: off <= sp[0] <= sp[1] <= off + len(text))
        marks: list[Any] = [sel] if sel is not None and inside(sel) else []
        if sel is None and s.coder:  # the whole turn: this coder's sentence codings in their codes' colours
            for code_id, span in sorted(s.codings(), key=lambda c: (c[1] or (-1, -1), c[0])):
                if span is not None and inside(span):
                    code = s.codebook[code_id] if code_id in s.codebook else None
                    marks.append((span, code.color if code and code.color else "#888888", s.code_name(code_id)))
        if self._jump is not None and self._jump[1] is not None and inside(self._jump[1]):  # Go: the passage
            _, span, code_id, coders = self._jump
            code = s.codebook[code_id] if code_id in s.codebook else None
            marks.append((span, code.color if code and code.color else "#888888",
                          f"retrieved: {s.code_name(code_id)} ({coders})"))
        before, after = s.context()
        self.context_html.value = context_html(before, row, after, marks)

    def _render_codes(self) -> None:
        s = self.session
        on = s.codes(self.scope) if s.current_id and s.coder else set()
        whole = s.codes(None) if s.current_id and s.coder and self.scope is not None else set()
        counts = s.code_counts()
        for number, (code_id, btn) in enumerate(self.code_buttons.items(), 1):
            n = counts.get(code_id, 0)  # units this coder coded with it
            digit = f"{number} " if number <= 9 else ""  # the key that applies it (see KEY_LEGEND)
            btn.description = digit + (f"{s.codebook[code_id].name} ({n})" if n else s.codebook[code_id].name)
            color = s.codebook[code_id].color
            applied = code_id in on
            btn.style.button_color = color if applied else _tint(color)
            btn.style.text_color = _text_color(color) if applied else "#222222"
            btn.style.font_weight = "bold" if applied else "normal"
            on_turn = code_id in whole and not applied  # applied to the whole unit, a sentence is selected
            btn.style.font_style = "italic" if on_turn else "normal"
            btn.icon = "check" if applied else ("check-square-o" if on_turn else "")
            tip = f"{s.codebook.path(code_id)}: {s.codebook[code_id].definition}" + (
                f" (you coded {n} segment{'s' * (n != 1)} with it)" if n else "")
            tip += f" (key {number})" if number <= 9 else ""
            btn.tooltip = f"Applied to the whole segment. {tip}" if on_turn else tip
            btn.disabled = s.current_id is None or not s.coder
            if not s.coder:
                btn.tooltip = "choose a coder first (type your name in the Coder box)"
        self.no_code_btn.disabled = s.current_id is None or not s.coder
        if not (s.current_id and s.coder):
            self.coded_html.value = ""
            return
        offset, text = int(s.current["start"]), str(s.current["text"])
        chips = []
        for code_id, span in sorted(s.codings(), key=lambda c: (c[1] or (-1, -1), c[0])):
            code = s.codebook[code_id] if code_id in s.codebook else None
            color, name = (code.color, code.name) if code else ("#888888", f"{code_id} (not in codebook)")
            where = "" if span is None else f" — “{short_text(text[span[0] - offset:span[1] - offset], 50)}”"
            chips.append(f"<span class='cop-wb-chip' style='background:{color};color:{_text_color(color)}'>"
                         f"{html.escape(name)}{html.escape(where)}</span>")
        if s.marked_no_code():
            chips.append(NO_CODE_BADGE)
        self.coded_html.value = "Your codes: " + ("".join(chips) or "<i>none yet</i>")

    RETRIEVE_MAX = 200  # rows listed at most (the count says how many there are)
    QUOTE_MAX = 600  # characters of a retrieved passage shown (all of it in the tooltip)

    def _span_label(self, segment_id: str, span: Span | None) -> str:
        """Where in its unit a coded span lies: "sentence 2", "sentences 2–4", "part of a sentence" ("" if whole)."""
        if span is None:
            return ""
        sentences = self.session.sentences(segment_id)
        starts, ends = [int(x) for x in sentences["start"]], [int(x) for x in sentences["end"]]
        if span[0] in starts and span[1] in ends:
            first, last = starts.index(span[0]) + 1, ends.index(span[1]) + 1
            return f"sentence {first}" if first == last else f"sentences {first}\u2013{last}"
        if any(a <= span[0] and span[1] <= b for a, b in zip(starts, ends)):
            return "part of a sentence"
        return "part of the " + ("turn" if self.session.units.loc[segment_id, "unit"] == "turn" else "response")

    def _render_retrieval(self) -> None:
        """The passages coded with the chosen code: quote, source, speaker/respondent, coder; Go jumps to one."""
        w, s = self.w, self.session
        code_id = self.retrieve_code.value
        everyone = bool(self.retrieve_all.value)
        if not code_id or self.retrieval.selected_index != 0:
            self._set_retrieved(None, [])
            return
        if not everyone and not s.coder:
            self._set_retrieved(None, [w.HTML("<i>Choose a coder to see your passages, or pick all coders.</i>")])
            return
        rows = s.retrieve(code_id, all_coders=everyone)
        key = (code_id, everyone, s.coder, tuple(map(tuple, rows.astype(str).to_numpy())))
        if key == self._retrieved:  # unchanged: keep the widgets (no new ones at every click)
            return
        passages: dict[tuple[str, Span | None], list[Any]] = {}  # the same passage coded by several coders: one row
        for r in rows.itertuples():
            passages.setdefault((str(r.segment_id), span_of(r.span_start, r.span_end)), []).append(r)
        n_units = rows["segment_id"].nunique()
        head = (f"<b>{len(passages)}</b> passage{'s' * (len(passages) != 1)} in <b>{n_units}</b> segment"
                f"{'s' * (n_units != 1)} coded <b>{html.escape(s.code_name(code_id))}</b>"
                + (" by any coder" if everyone else " by you"))
        if len(passages) > self.RETRIEVE_MAX:
            head += f" (the first {self.RETRIEVE_MAX} listed)"
        items: list[Any] = [w.HTML(head)]
        for (sid, span), coded in list(passages.items())[:self.RETRIEVE_MAX]:
            r, coders = coded[0], ", ".join(dict.fromkeys(str(c.coder) for c in coded))
            go = w.Button(description="Go", icon="arrow-right", tooltip="Show this passage in the coding panel",
                          layout=w.Layout(width="64px", min_width="64px", flex="0 0 auto"))
            go.on_click(self._handler(lambda sid=sid, sp=span, who=coders: self._on_jump(sid, sp, code_id, who)))
            title = self._titles.get(str(r.source_id), str(r.source_id))
            meta = " · ".join(x for x in (title, short_text(r.who, 60), coders) if x)
            where = self._span_label(sid, span)
            quote = w.HTML(f"<span class='cop-wb-quote' title='{html.escape(str(r.quote), quote=True)}'>"
                           f"“{html.escape(short_text(r.quote, self.QUOTE_MAX))}”</span>"
                           + (f" <span class='cop-wb-meta'>({where})</span>" if where else ""),
                           layout=w.Layout(flex="1 1 auto"))
            place = w.HTML(f"<span class='cop-wb-meta'>{html.escape(meta)}</span>",
                           layout=w.Layout(width="340px", min_width="200px", flex="0 1 auto"))
            items.append(w.HBox([go, quote, place], layout=w.Layout(align_items="center")))
        self._set_retrieved(key, items)

    def _set_retrieved(self, key: tuple[Any, ...] | None, items: list[Any]) -> None:
        """Replace the listed passages, closing the old row widgets (they would stay in the kernel)."""
        old, self.retrieve_box.children, self._retrieved = self.retrieve_box.children, tuple(items), key
        for row in old:
            for child in getattr(row, "children", ()):
                child.close()
            row.close()

    def _render_suggestions(self) -> None:
        w, s = self.w, self.session
        rows, self._suggestion_rows = [], []
        for sug in s.suggestions().itertuples():
            code = s.codebook[sug.code_id] if sug.code_id in s.codebook else None
            color, name = (code.color, code.name) if code else ("#888888", f"{sug.code_id} (not in codebook)")
            full = evidence_first(sug.evidence) if isinstance(sug.evidence, str) else ""
            chip = w.HTML(f"<span class='cop-wb-chip' style='border:2px dashed {color}'>"
                          f"{html.escape(name)} {sug.score:.2f}</span>", layout=w.Layout(flex="1 1 auto"))
            tip = html.escape(full, quote=True)
            evidence = w.HTML(f"<div class='cop-wb-meta' style='margin:0 0 4px 8px' title='{tip}'>"
                              f"{html.escape(short_text(full, 200))}</div>" if full else "")
            accept = w.Button(description="Accept", icon="check", button_style="success",
                              layout=w.Layout(width="96px", min_width="96px", flex="0 0 auto"))
            reject = w.Button(description="Reject", icon="times",
                              layout=w.Layout(width="96px", min_width="96px", flex="0 0 auto"))
            accept.on_click(self._handler(lambda sid=int(sug.suggestion_id): self._on_accept(sid)))
            reject.on_click(self._handler(lambda sid=int(sug.suggestion_id): s.reject(sid)))
            evidence.layout = w.Layout(flex="0 0 100%")  # a line of its own, under the chip and the buttons
            rows.append(w.HBox([chip, accept, reject, evidence], layout=w.Layout(flex_flow="row wrap",
                                                                                  align_items="center")))
            self._suggestion_rows.append((accept, reject))
        self.suggestions_box.children = ([w.HTML("<b>Machine suggestions</b>")] + rows) if rows else []


def workbench(project_dir: str | Path | None = None, coder: str | None = None, context: int = 2,
              restore: bool = True) -> Any:
    """Open the coding panel for a project (default: the nearest folder with project.yml above the cwd).

    ``restore``: reopen where the coder (default: the last one) left off: position and filters are
    remembered in ``data/processed/workbench_state.json``.
    """
    return CodingWorkbench(project_dir, coder, context, restore).show()
