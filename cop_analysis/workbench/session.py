"""The coding workbench's logic without widgets: :class:`CodingSession` (one coder's pass over the coding
units: filters, navigation, context, codings, suggestions, memos, undo/redo) and the remembered
per-coder position in ``data/processed/workbench_state.json``.

Every action is written to the ledger at once, in its own transaction. Nothing here imports ipywidgets:
the panel (:mod:`cop_analysis.workbench.panel`) only renders a session's state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cop_analysis.agreement import CONSENSUS
from cop_analysis.atomic import atomic_path, write_text
from cop_analysis.config import CONFIG_NAME, ProjectConfig
from cop_analysis.ledger import RESERVED_CODERS, neutralise
from cop_analysis.schema import SOURCES
from cop_analysis.workbench.markup import Span, _who_text

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
STATE_LOCK = STATE_NAME + ".lock"  # beside it: held while one kernel updates the state file
SURVEY_CONTEXTS = ("respondent", "question")  # a survey answer's context: the same person, or the same question
EXPORT_COLUMNS = ["source_id", "source", "who", "code_id", "code", "coder", "text", "segment_id", "span_start",
                  "span_end"]  # the retrieval list's Export CSV (CodingSession.export_retrieved)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the block; other processes wait.

    ``fcntl.flock`` on a sidecar file: the lock goes with the open file, so it is released when the block
    ends and also when the process dies in it (no stale lock to clean up). The file itself stays, empty.
    """
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


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
        Only this coder's entry (and ``last_coder``) is replaced, so coders in other kernels keep theirs:
        the file is read, merged and written under an exclusive lock (``workbench_state.json.lock``), so
        two kernels saving at the same moment do not overwrite each other's update.
        """
        if not self.coder:
            return False
        mine = self.state()
        if mine == self._saved:
            return False
        try:
            with _locked(self.state_path.with_name(STATE_LOCK)):
                state = self.load_state()
                coders = state.get("coders") if isinstance(state.get("coders"), dict) else {}
                state = {**state, "last_coder": self.coder, "coders": {**coders, self.coder: mine}}
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

    def export_retrieved(self, code_id: str, all_coders: bool = False) -> tuple[Path, int]:
        """Write the passages :meth:`retrieve` finds to a CSV under ``reports/`` (atomically): (path, passages).

        One row per passage, as the retrieval list shows them (a passage several coders coded is one row,
        their names in ``coder``), all of them in reading order; columns :data:`EXPORT_COLUMNS` (``source``:
        the title, ``who``: speaker, or survey question and respondent; empty span: the whole unit). The file
        is ``coded_passages_<code>.csv`` for every coder's passages, ``coded_passages_<code>_by_<coder>.csv``
        for this coder's. Text starting with ``= + - @`` gets a ``'`` (spreadsheets would run it as a formula).
        """
        if not code_id:
            raise WorkbenchError("choose a code to export its passages")
        rows = self.retrieve(code_id, all_coders=all_coders)
        if rows.empty:
            raise WorkbenchError(f"no passages coded {self.code_name(code_id)} to export")
        titles, passages = self.source_titles(), {}
        for r in rows.itertuples():
            span = span_of(r.span_start, r.span_end)
            passage = passages.setdefault((str(r.segment_id), span), {
                "source_id": r.source_id, "source": titles.get(str(r.source_id), str(r.source_id)), "who": r.who,
                "code_id": code_id, "code": self.code_name(code_id), "coder": {}, "text": r.quote,
                "segment_id": r.segment_id, "span_start": span[0] if span else None,
                "span_end": span[1] if span else None})
            passage["coder"][str(r.coder)] = None  # a dict: each coder once, in order
        frame = pd.DataFrame(list(passages.values()), columns=EXPORT_COLUMNS)
        frame["coder"] = frame["coder"].map(", ".join)
        for col in EXPORT_COLUMNS:
            frame[col] = frame[col].astype("Int64") if col.startswith("span_") else frame[col].map(neutralise)

        def safe(part: str) -> str:  # a file name part (a coder's name may hold spaces or slashes)
            return re.sub(r"[^\w.-]+", "_", part).strip("_.") or "_"

        name = safe(code_id) if all_coders else f"{safe(code_id)}_by_{safe(self._require_coder())}"
        path = self.cfg.reports / f"coded_passages_{name}.csv"
        with atomic_path(path, suffix=".csv") as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        return path, len(frame)

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

    def code_color(self, code_id: str) -> str:
        """A code's colour (grey if it has none or is no longer in the codebook)."""
        code = self.codebook[code_id] if code_id in self.codebook else None
        return code.color if code and code.color else "#888888"

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
