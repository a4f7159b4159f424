"""The coding ledger: the durable, append-only record of human coding work (SQLite, WAL).

Every public method is one ``BEGIN IMMEDIATE`` transaction that appends an event to ``events``
and updates the derived state tables (``codings``, ``memos``, ``suggestions``, ``reviews``,
``segments_seen``) in the same transaction, so the state can always be rebuilt from the log
(:meth:`Ledger.rebuild`). See ``docs/ledger.md``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cop_analysis.atomic import atomic_path
from cop_analysis.schema import CODINGS, SUGGESTIONS

SCHEMA_VERSION = 2  # 2: suggestion status 'withdrawn'
BUSY_TIMEOUT_S = 30.0
MACHINE = "machine"  # coder name of suggestion events
SYSTEM = "system"  # coder name of orphan-marking and re-anchoring events
RESERVED_CODERS = (MACHINE, SYSTEM)
# a person's own actions
UNDOABLE = ("code", "uncode", "memo", "memo_edit", "memo_delete", "accept", "reject", "review")
DERIVED_TABLES = ("codings", "memos", "suggestions", "reviews", "segments_seen")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_SUGGESTIONS_TABLE = """CREATE TABLE IF NOT EXISTS suggestions (
    suggestion_id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL, code_id TEXT NOT NULL,
    score REAL NOT NULL, method TEXT NOT NULL, evidence TEXT, model TEXT, codebook_version TEXT,
    status TEXT NOT NULL DEFAULT 'suggested'
        CHECK (status IN ('suggested', 'accepted', 'rejected', 'withdrawn')),
    decided_by TEXT, created_at TEXT NOT NULL, decided_at TEXT, UNIQUE (segment_id, code_id));"""

_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS coders (
    name TEXT PRIMARY KEY, role TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, coder TEXT NOT NULL,
    action TEXT NOT NULL, segment_id TEXT, code_id TEXT, span_start INTEGER, span_end INTEGER,
    payload TEXT NOT NULL DEFAULT '{{}}', undoes_event_id INTEGER REFERENCES events(event_id),
    effective INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS events_by_coder ON events(coder, event_id);
CREATE INDEX IF NOT EXISTS events_by_segment ON events(segment_id);
CREATE UNIQUE INDEX IF NOT EXISTS events_undone_once ON events(undoes_event_id)
    WHERE undoes_event_id IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS codings (
    coding_id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL, code_id TEXT NOT NULL,
    coder TEXT NOT NULL, span_start INTEGER, span_end INTEGER, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, orphaned INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS codings_key
    ON codings(segment_id, code_id, coder, IFNULL(span_start, -1), IFNULL(span_end, -1));
CREATE TABLE IF NOT EXISTS memos (
    memo_id INTEGER PRIMARY KEY, coder TEXT NOT NULL, segment_id TEXT, code_id TEXT,
    text TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
{_SUGGESTIONS_TABLE}
CREATE TABLE IF NOT EXISTS reviews (
    segment_id TEXT NOT NULL, coder TEXT NOT NULL, reviewed_at TEXT NOT NULL,
    PRIMARY KEY (segment_id, coder));
CREATE TABLE IF NOT EXISTS segments_seen (
    segment_id TEXT PRIMARY KEY, present INTEGER NOT NULL, first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL);
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""

# version 1 -> 2: the suggestions CHECK constraint gains 'withdrawn' (SQLite cannot alter a CHECK)
_MIGRATE_1 = f"""
BEGIN IMMEDIATE;
ALTER TABLE suggestions RENAME TO suggestions_v1;
{_SUGGESTIONS_TABLE}
INSERT INTO suggestions SELECT * FROM suggestions_v1;
DROP TABLE suggestions_v1;
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""

_KEY = "segment_id = ? AND code_id = ? AND coder = ? AND IFNULL(span_start, -1) = ? AND IFNULL(span_end, -1) = ?"
_ORPHANED = "(SELECT COUNT(*) > 0 FROM segments_seen WHERE segment_id = ? AND present = 0)"
Locate = Callable[[str, int | None, int | None], tuple[str, int | None, int | None] | None]


class LedgerError(ValueError):
    """An invalid ledger call (unknown suggestion or memo, bad span, reserved coder name...)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def utc_iso(value: str) -> str:
    """An ISO 8601 time (``Z`` or offset; naive means UTC) in the ledger's UTC format."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LedgerError(f"not an ISO 8601 time: {value!r}") from exc
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat(
        timespec="microseconds")


def _span(span: tuple[int, int] | None) -> tuple[int | None, int | None]:
    if span is None:
        return None, None
    start, end = (int(v) for v in span)
    if not 0 <= start < end:
        raise LedgerError(f"bad span {span!r}: need 0 <= start < end")
    return start, end


def _key(segment_id: str, code_id: str, coder: str, start: int | None, end: int | None) -> tuple[Any, ...]:
    return (segment_id, code_id, coder, -1 if start is None else start, -1 if end is None else end)


def neutralise(value: Any) -> Any:
    """Prefix ``'`` to text starting with ``= + - @`` (or tab/CR) so spreadsheets do not run it as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def without_orphans(codings: Any) -> Any:
    """The codings (a :meth:`Ledger.codings` frame) whose segment still exists (``orphaned`` not set)."""
    return codings[~codings["orphaned"].fillna(False).astype(bool)] if "orphaned" in codings else codings


class Ledger:
    """A coding ledger file; safe to use from several processes at once (WAL + busy timeout)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._connection()

    # -- connection and transactions -------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                try:
                    conn.executescript(_MIGRATE_1 if version == 1 else _SCHEMA)
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- the event log ---------------------------------------------------------------------
    def _record(self, conn: sqlite3.Connection, action: str, coder: str, segment_id: str | None = None,
                code_id: str | None = None, span: tuple[int | None, int | None] = (None, None),
                payload: dict[str, Any] | None = None, undoes: int | None = None, effective: bool = True) -> int:
        """Append one event and apply it to the state tables (same transaction)."""
        if coder not in RESERVED_CODERS:
            conn.execute("INSERT OR IGNORE INTO coders(name, role, created_at) VALUES (?, NULL, ?)", (coder, _now()))
        ts = _now()
        cur = conn.execute(
            "INSERT INTO events(ts, coder, action, segment_id, code_id, span_start, span_end, payload,"
            " undoes_event_id, effective) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ts, coder, action, segment_id, code_id, span[0], span[1], json.dumps(payload or {}), undoes,
             int(effective)))
        event_id = int(cur.lastrowid or 0)
        if effective:
            self._apply(conn, {"event_id": event_id, "ts": ts, "coder": coder, "action": action,
                               "segment_id": segment_id, "code_id": code_id, "span_start": span[0],
                               "span_end": span[1], "payload": payload or {}, "undoes_event_id": undoes})
        return event_id

    def _apply(self, conn: sqlite3.Connection, ev: dict[str, Any]) -> None:
        """Apply one effective event to the derived state (used live and by :meth:`rebuild`)."""
        action, p, ts = ev["action"], ev["payload"], ev["ts"]
        key = (ev["segment_id"], ev["code_id"], ev["coder"], ev["span_start"], ev["span_end"])
        if p.get("cleared_review") and (action == "code" or p.get("created_coding")):
            conn.execute("DELETE FROM reviews WHERE segment_id = ? AND coder = ?", (ev["segment_id"], ev["coder"]))
        if action == "code":
            self._insert_coding(conn, ev["event_id"], key, p.get("created_at", ts), ts)
        elif action == "uncode":
            conn.execute(f"DELETE FROM codings WHERE {_KEY}", _key(*key))
        elif action == "memo":
            conn.execute("INSERT INTO memos VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (ev["event_id"], ev["coder"], ev["segment_id"], ev["code_id"], p["text"],
                          p.get("created_at", ts), ts))
        elif action == "memo_edit":
            conn.execute("UPDATE memos SET text = ?, updated_at = ? WHERE memo_id = ?", (p["text"], ts, p["memo_id"]))
        elif action == "memo_delete":
            conn.execute("DELETE FROM memos WHERE memo_id = ?", (p["memo_id"],))
        elif action in ("accept", "reject"):
            status = "accepted" if action == "accept" else "rejected"
            conn.execute("UPDATE suggestions SET status = ?, decided_by = ?, decided_at = ? WHERE suggestion_id = ?",
                         (status, ev["coder"], ts, p["suggestion_id"]))
            if p.get("created_coding"):
                self._insert_coding(conn, ev["event_id"], key, p.get("created_at", ts), ts)
        elif action == "review":
            conn.execute("INSERT INTO reviews VALUES (?, ?, ?)", (ev["segment_id"], ev["coder"], ts))
        elif action == "suggest":
            conn.executemany(
                "INSERT INTO suggestions(segment_id, code_id, score, method, evidence, model, codebook_version,"
                " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'suggested', ?)"
                " ON CONFLICT(segment_id, code_id) DO UPDATE SET score = excluded.score,"
                " method = excluded.method, evidence = excluded.evidence, model = excluded.model,"
                " codebook_version = excluded.codebook_version, status = 'suggested', decided_by = NULL,"
                " decided_at = NULL WHERE status IN ('suggested', 'withdrawn')",
                [(*row, ts) for row in p["rows"]])
        elif action == "withdraw":
            conn.executemany("UPDATE suggestions SET status = 'withdrawn', decided_by = ?, decided_at = ?"
                             " WHERE segment_id = ? AND code_id = ? AND status = 'suggested'",
                             [(MACHINE, ts, *pair) for pair in p["pairs"]])
        elif action == "orphans":
            for present, ids in ((1, p["present"]), (0, p["missing"])):
                conn.executemany("INSERT INTO segments_seen VALUES (?, ?, ?, ?) ON CONFLICT(segment_id)"
                                 " DO UPDATE SET present = excluded.present, changed_at = excluded.changed_at",
                                 [(sid, present, ts, ts) for sid in ids])
            conn.execute("UPDATE codings SET orphaned = segment_id IN"
                         " (SELECT segment_id FROM segments_seen WHERE present = 0)")
        elif action == "reanchor":
            if "memo_id" in p:
                conn.execute("UPDATE memos SET segment_id = ? WHERE memo_id = ?", (ev["segment_id"], p["memo_id"]))
            elif "review_coder" in p:
                conn.execute("UPDATE reviews SET segment_id = ? WHERE segment_id = ? AND coder = ?",
                             (ev["segment_id"], p["from_segment"], p["review_coder"]))
            else:
                old = (p["from_segment"], ev["code_id"], p["coder"], *(p["from_span"] or (None, None)))
                conn.execute(f"UPDATE codings SET segment_id = ?, span_start = ?, span_end = ?, updated_at = ?,"
                             f" orphaned = {_ORPHANED} WHERE {_KEY}",
                             (ev["segment_id"], ev["span_start"], ev["span_end"], ts, ev["segment_id"], *_key(*old)))
        elif action == "import":
            return  # the record of an imported file; its rows are the code/memo/review events after it
        elif action == "undo":
            self._apply_undo(conn, ev)
        elif action == "redo":
            self._apply_redo(conn, ev)
        else:
            raise LedgerError(f"unknown event action {action!r}")

    def _apply_undo(self, conn: sqlite3.Connection, ev: dict[str, Any]) -> None:
        """Reverse the action an undo points to (directly, or through the ``redo`` event that re-applied it)."""
        target = self._original(conn, ev["undoes_event_id"])
        p, ts = target["payload"], ev["ts"]
        key = self._follow(conn, target, ev["event_id"])
        action = target["action"]
        if action == "code" or (action == "accept" and p.get("created_coding")):
            conn.execute(f"DELETE FROM codings WHERE {_KEY}", _key(*key))
            if p.get("cleared_review"):  # the "no code applies" mark the coding replaced is back
                conn.execute("INSERT OR IGNORE INTO reviews VALUES (?, ?, ?)", (key[0], key[2], p["cleared_review"]))
        elif action == "uncode":
            self._insert_coding(conn, ev["event_id"], key, p["created_at"], ts)
        elif action == "memo":
            conn.execute("DELETE FROM memos WHERE memo_id = ?", (target["event_id"],))
        elif action == "memo_edit":
            conn.execute("UPDATE memos SET text = ?, updated_at = ? WHERE memo_id = ?",
                         (p["old_text"], ts, p["memo_id"]))
        elif action == "memo_delete":  # the memo is back as it was: same id, author, text and times
            conn.execute("INSERT OR IGNORE INTO memos VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (p["memo_id"], p["author"], target["segment_id"], target["code_id"], p["text"],
                          p["created_at"], p["updated_at"]))
        elif action == "review":
            conn.execute("DELETE FROM reviews WHERE segment_id = ? AND coder = ?", (key[0], target["coder"]))
        if action in ("accept", "reject"):
            conn.execute("UPDATE suggestions SET status = 'suggested', decided_by = NULL, decided_at = NULL"
                         " WHERE suggestion_id = ?", (p["suggestion_id"],))

    def _apply_redo(self, conn: sqlite3.Connection, ev: dict[str, Any]) -> None:
        """Re-apply the action behind the undo a redo points to, as that action (same row ids), at the redo's time.

        Codings and memos keep the time they were first made (``created_at``); ``updated_at``,
        ``decided_at`` and ``reviewed_at`` are the redo's time.
        """
        target = self._original(conn, ev["undoes_event_id"])
        payload = {**target["payload"], "created_at": target["payload"].get("created_at", target["ts"])}
        segment_id, _, _, start, end = self._follow(conn, target, ev["event_id"])
        self._apply(conn, {**target, "ts": ev["ts"], "payload": payload, "segment_id": segment_id,
                           "span_start": start, "span_end": end})

    @staticmethod
    def _follow(conn: sqlite3.Connection, action: dict[str, Any], before: int | None = None) -> tuple[Any, ...]:
        """The coding key of ``action`` as re-anchoring events after it (and before event ``before``) moved it.

        Undoing or redoing a coding action after a re-ingest moved its coding acts on the moved coding.
        """
        segment_id, code_id, coder, start, end = (action["segment_id"], action["code_id"], action["coder"],
                                                  action["span_start"], action["span_end"])
        rows = conn.execute("SELECT segment_id, span_start, span_end, payload FROM events WHERE action = 'reanchor'"
                            " AND effective = 1 AND code_id IS ? AND event_id > ? AND event_id < ? ORDER BY event_id",
                            (code_id, action["event_id"], before if before is not None else 2**62)).fetchall()
        review = action["action"] == "review"
        for to_segment, to_start, to_end, payload in rows:
            p = json.loads(payload)
            if p["from_segment"] != segment_id:
                continue
            if review and p.get("review_coder") == coder:
                segment_id = to_segment
            elif not review and p.get("coder") == coder and tuple(p["from_span"] or (None, None)) == (start, end):
                segment_id, start, end = to_segment, to_start, to_end
        return segment_id, code_id, coder, start, end

    def _original(self, conn: sqlite3.Connection, event_id: int) -> dict[str, Any]:
        """The person's action behind an event: follows ``undo``/``redo`` links back to the action they reverse."""
        event = self._event(conn, event_id)
        while event["action"] in ("undo", "redo"):
            event = self._event(conn, event["undoes_event_id"])
        return event

    @staticmethod
    def _insert_coding(conn: sqlite3.Connection, coding_id: int, key: tuple[Any, ...], created: str, updated: str) -> None:
        conn.execute(f"INSERT INTO codings VALUES (?, ?, ?, ?, ?, ?, ?, ?, {_ORPHANED})",
                     (coding_id, *key, created, updated, key[0]))

    @staticmethod
    def _event(conn: sqlite3.Connection, event_id: int) -> dict[str, Any]:
        cur = conn.execute("SELECT * FROM events WHERE event_id = ?", (event_id,))
        row = cur.fetchone()
        if row is None:
            raise LedgerError(f"no event {event_id}")
        event = dict(zip([d[0] for d in cur.description], row))
        event["payload"] = json.loads(event["payload"])
        return event

    @staticmethod
    def _check_coder(coder: str) -> str:
        if not isinstance(coder, str) or not coder.strip():
            raise LedgerError("a coder name is required")
        if coder in RESERVED_CODERS:
            raise LedgerError(f"'{coder}' is reserved for machine events; use a person's name")
        return coder

    @staticmethod
    def _coding_exists(conn: sqlite3.Connection, key: tuple[Any, ...]) -> tuple[Any, ...] | None:
        return conn.execute(f"SELECT coding_id, created_at FROM codings WHERE {_KEY}", _key(*key)).fetchone()

    # -- human actions ---------------------------------------------------------------------
    def add_coder(self, name: str, role: str | None = None) -> None:
        """Register a coder (idempotent; a given role replaces the stored one)."""
        self._check_coder(name)
        with self._tx() as conn:
            conn.execute("INSERT INTO coders(name, role, created_at) VALUES (?, ?, ?) ON CONFLICT(name)"
                         " DO UPDATE SET role = COALESCE(excluded.role, role)", (name, role, _now()))

    def code(self, segment_id: str, code_id: str, coder: str, span: tuple[int, int] | None = None,
             created_at: str | None = None, clear_review: bool = False) -> int:
        """Apply ``code_id`` to a segment (optionally a sub-span); returns the event id.

        ``created_at`` (ISO 8601) keeps the time a coding was made elsewhere, e.g. in a REFI-QDA
        import; the event itself is stamped now. Coding an already-coded key is logged as a no-op
        event (``effective = 0``). ``clear_review=True`` (the workbench): the same event also
        removes the coder's "no code applies" mark (review) on the segment, if any (payload
        ``cleared_review``: the mark's time); undoing the coding puts the mark back.
        """
        self._check_coder(coder)
        start, end = _span(span)
        key = (str(segment_id), str(code_id), coder, start, end)
        payload: dict[str, Any] = {"created_at": utc_iso(created_at)} if created_at else {}
        with self._tx() as conn:
            exists = self._coding_exists(conn, key) is not None
            if clear_review and not exists:
                payload.update(self._cleared_review(conn, key[0], coder))
            return self._record(conn, "code", coder, key[0], key[1], (start, end), payload, effective=not exists)

    def uncode(self, segment_id: str, code_id: str, coder: str, span: tuple[int, int] | None = None) -> int:
        """Remove a coding; returns the event id (a no-op event if there was nothing to remove)."""
        self._check_coder(coder)
        start, end = _span(span)
        key = (str(segment_id), str(code_id), coder, start, end)
        with self._tx() as conn:
            row = self._coding_exists(conn, key)
            payload = {"coding_id": row[0], "created_at": row[1]} if row else {}
            return self._record(conn, "uncode", coder, key[0], key[1], (start, end), payload, effective=row is not None)

    def memo(self, text: str, coder: str, segment_id: str | None = None, code_id: str | None = None,
             created_at: str | None = None) -> int:
        """Write a memo on a segment, a code, a coding (both) or the project (neither); returns the memo id.

        ``created_at`` (ISO 8601) keeps the time a memo was written elsewhere, e.g. a REFI-QDA Note's
        ``creationDateTime``; the event itself (and ``updated_at``) is stamped now.
        """
        self._check_coder(coder)
        if not str(text).strip():
            raise LedgerError("a memo needs text")
        payload: dict[str, Any] = {"text": str(text), **({"created_at": utc_iso(created_at)} if created_at else {})}
        with self._tx() as conn:
            return self._record(conn, "memo", coder, segment_id, code_id, payload=payload)

    def edit_memo(self, memo_id: int, text: str, coder: str) -> int:
        """Replace a memo's text (any coder may edit; the editor is logged); returns the event id."""
        self._check_coder(coder)
        with self._tx() as conn:
            row = conn.execute("SELECT text, segment_id, code_id FROM memos WHERE memo_id = ?", (memo_id,)).fetchone()
            if row is None:
                raise LedgerError(f"no memo {memo_id}")
            payload = {"memo_id": int(memo_id), "text": str(text), "old_text": row[0]}
            return self._record(conn, "memo_edit", coder, row[1], row[2], payload=payload, effective=row[0] != text)

    def delete_memo(self, memo_id: int, coder: str) -> int:
        """Delete a memo (the deleter is logged; undo brings it back as it was); returns the event id."""
        self._check_coder(coder)
        with self._tx() as conn:
            row = conn.execute("SELECT coder, segment_id, code_id, text, created_at, updated_at FROM memos"
                               " WHERE memo_id = ?", (memo_id,)).fetchone()
            if row is None:
                raise LedgerError(f"no memo {memo_id}")
            payload = {"memo_id": int(memo_id), "author": row[0], "text": row[3], "created_at": row[4],
                       "updated_at": row[5]}
            return self._record(conn, "memo_delete", coder, row[1], row[2], payload=payload)

    def mark_reviewed(self, segment_id: str, coder: str) -> int:
        """Record that ``coder`` looked at a segment (even without coding it); used by agreement."""
        self._check_coder(coder)
        with self._tx() as conn:
            done = conn.execute("SELECT 1 FROM reviews WHERE segment_id = ? AND coder = ?",
                                (segment_id, coder)).fetchone()
            return self._record(conn, "review", coder, str(segment_id), effective=done is None)

    # -- imported files ---------------------------------------------------------------------
    def imports(self) -> list[dict[str, Any]]:
        """Files imported by :meth:`record_import` (oldest first): the ``import`` event payloads plus ``ts``."""
        with self._lock:
            rows = self._connection().execute(
                "SELECT ts, payload FROM events WHERE action = 'import' ORDER BY event_id").fetchall()
        return [{**json.loads(payload), "ts": ts} for ts, payload in rows]

    def record_import(self, sha256: str, file: str, codings: Iterable[tuple[Any, ...]] = (),
                      memos: Iterable[tuple[Any, ...]] = (), reviews: Iterable[tuple[str, str]] = (),
                      errors: Iterable[str] = ()) -> dict[str, int] | None:
        """Write one imported file's rows in ONE transaction; None (nothing written) if ``sha256`` was imported.

        ``codings``: (segment_id, code_id, coder, span or None, created_at or None); ``memos``:
        (text, coder, segment_id, code_id); ``reviews``: (segment_id, coder). First an ``import``
        event by ``system`` (payload: sha256, file, counts, errors), then an ordinary ``code``,
        ``memo`` or ``review`` event per new row (payload ``import_event``), so :meth:`rebuild`
        reproduces it. Never removes or changes anything: a coding key the coder already has, or
        had and removed (any earlier code/uncode/accept/undo/redo event), a memo with the same text
        and a segment the coder already reviewed are skipped. Returns counts: codings, memos,
        reviews, skipped.
        """
        rows = [(str(s), str(c), self._check_coder(who), _span(span), utc_iso(t) if t else None)
                for s, c, who, span, t in codings]
        notes = [(str(text), self._check_coder(who), seg, code) for text, who, seg, code in memos]
        seen = [(str(s), self._check_coder(who)) for s, who in reviews]
        with self._tx() as conn:
            done = conn.execute("SELECT payload FROM events WHERE action = 'import'").fetchall()
            if any(json.loads(r[0]).get("sha256") == sha256 for r in done):
                return None
            known = {_key(*r) for r in conn.execute("SELECT segment_id, code_id, coder, span_start, span_end"
                                                    " FROM codings")}
            known |= {_key(*r) for r in conn.execute(
                "SELECT segment_id, code_id, coder, span_start, span_end FROM events WHERE effective = 1 AND action"
                " IN ('code', 'uncode', 'accept', 'undo', 'redo') AND code_id IS NOT NULL")}
            old_memos = {(json.loads(p)["text"], who, seg, code) for p, who, seg, code in conn.execute(
                "SELECT payload, coder, segment_id, code_id FROM events WHERE action = 'memo'")}
            reviewed = set(conn.execute("SELECT segment_id, coder FROM events WHERE action = 'review'"))
            new_codings, new_memos, new_reviews = [], [], []
            for segment_id, code_id, coder, (start, end), created in rows:
                key = _key(segment_id, code_id, coder, start, end)
                if key not in known:
                    known.add(key)
                    new_codings.append((segment_id, code_id, coder, (start, end), created))
            for note in notes:
                if note not in old_memos:
                    old_memos.add(note)
                    new_memos.append(note)
            for pair in seen:
                if pair not in reviewed:
                    reviewed.add(pair)
                    new_reviews.append(pair)
            counts = {"codings": len(new_codings), "memos": len(new_memos), "reviews": len(new_reviews),
                      "skipped": len(rows) + len(notes) + len(seen) - len(new_codings) - len(new_memos)
                      - len(new_reviews)}
            event = self._record(conn, "import", SYSTEM, payload={"sha256": sha256, "file": str(file), **counts,
                                                                   "errors": list(errors)})
            for segment_id, code_id, coder, span, created in new_codings:
                payload = {"import_event": event, **({"created_at": created} if created else {})}
                self._record(conn, "code", coder, segment_id, code_id, span, payload)
            for text, coder, segment_id, code_id in new_memos:
                self._record(conn, "memo", coder, segment_id, code_id, payload={"text": text, "import_event": event})
            for segment_id, coder in new_reviews:
                self._record(conn, "review", coder, segment_id, payload={"import_event": event})
            return counts

    # -- undo and redo ----------------------------------------------------------------------
    @staticmethod
    def _undo_target(conn: sqlite3.Connection, coder: str) -> int | None:
        """The top of ``coder``'s undo stack: their last effective action or redo that is not undone."""
        marks = ",".join("?" * (len(UNDOABLE) + 1))
        row = conn.execute(
            f"SELECT event_id FROM events e WHERE coder = ? AND effective = 1 AND action IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM events u WHERE u.undoes_event_id = e.event_id)"
            " ORDER BY event_id DESC LIMIT 1", (coder, *UNDOABLE, "redo")).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _redo_target(conn: sqlite3.Connection, coder: str) -> int | None:
        """The top of ``coder``'s redo stack: their last undo not yet redone, made after their last new action."""
        marks = ",".join("?" * len(UNDOABLE))
        row = conn.execute(
            "SELECT event_id FROM events e WHERE coder = ? AND action = 'undo' AND effective = 1"
            " AND event_id > IFNULL((SELECT event_id FROM events WHERE coder = ? AND effective = 1"
            f" AND action IN ({marks}) ORDER BY event_id DESC LIMIT 1), 0)"
            " AND NOT EXISTS (SELECT 1 FROM events r WHERE r.undoes_event_id = e.event_id)"
            " ORDER BY event_id DESC LIMIT 1", (coder, coder, *UNDOABLE)).fetchone()
        return None if row is None else int(row[0])

    def _still_applies(self, conn: sqlite3.Connection, action: dict[str, Any]) -> bool:
        """Whether re-applying an undone action would change the state as it first did (else the redo is a no-op)."""
        p, name = action["payload"], action["action"]
        key = self._follow(conn, action)
        if name in ("accept", "reject"):
            row = conn.execute("SELECT status FROM suggestions WHERE suggestion_id = ?",
                               (p["suggestion_id"],)).fetchone()
            return row == ("suggested",) and not (p.get("created_coding") and self._coding_exists(conn, key))
        if name == "code":
            return self._coding_exists(conn, key) is None
        if name == "uncode":
            return self._coding_exists(conn, key) is not None
        if name in ("memo_edit", "memo_delete"):
            return conn.execute("SELECT 1 FROM memos WHERE memo_id = ?", (p["memo_id"],)).fetchone() is not None
        if name == "memo":  # free unless someone brought the memo back meanwhile (undid its deletion)
            return conn.execute("SELECT 1 FROM memos WHERE memo_id = ?", (action["event_id"],)).fetchone() is None
        if name == "review":
            return conn.execute("SELECT 1 FROM reviews WHERE segment_id = ? AND coder = ?",
                                (key[0], action["coder"])).fetchone() is None

    def undo(self, coder: str) -> int | None:
        """Reverse ``coder``'s last effective action (or redo) not yet undone; returns the undo event id.

        Returns None when there is nothing to undo. Walking back further is calling it again.
        """
        return self._step(coder, "undo")

    def redo(self, coder: str) -> int | None:
        """Re-apply ``coder``'s most recently undone action; returns the redo event id (None: nothing to redo).

        Only undos made since the coder's last new action can be redone (a new action clears the
        redo chain). If someone else changed what the action touched meanwhile (e.g. decided the
        suggestion), the redo is logged as a no-op (``effective = 0``) and drops off the chain.
        """
        return self._step(coder, "redo")

    def _step(self, coder: str, kind: str) -> int | None:
        """Record an ``undo`` or ``redo`` of ``coder``'s target event, in one transaction."""
        self._check_coder(coder)
        with self._tx() as conn:
            target = (self._undo_target if kind == "undo" else self._redo_target)(conn, coder)
            if target is None:
                return None
            action = self._original(conn, target)
            span = (action["span_start"], action["span_end"])
            return self._record(conn, kind, coder, action["segment_id"], action["code_id"], span,
                                {"action": action["action"]}, undoes=target,
                                effective=kind == "undo" or self._still_applies(conn, action))

    def can_undo(self, coder: str) -> bool:
        """Whether :meth:`undo` would reverse something for ``coder`` now."""
        with self._lock:
            return self._undo_target(self._connection(), coder) is not None

    def can_redo(self, coder: str) -> bool:
        """Whether :meth:`redo` would re-apply something for ``coder`` now."""
        with self._lock:
            return self._redo_target(self._connection(), coder) is not None

    # -- machine suggestions ---------------------------------------------------------------
    def add_suggestions(self, df: Any, replace_pending: bool = False, scope: Iterable[str] | None = None) -> int:
        """Upsert machine suggestions; returns how many rows were inserted, changed or withdrawn.

        Columns: segment_id, code_id, score (0-1), method, and optionally evidence, model,
        codebook_version. Pending (``suggested``) rows get the new values and ``withdrawn`` ones are
        suggested again; accepted/rejected rows are never touched; pairs any human already coded are
        skipped. Re-running with the same rows is a no-op. ``replace_pending=True`` also withdraws, in
        the same transaction, every pending suggestion not in ``df`` (only those on the segment ids in
        ``scope``, if given): see :meth:`withdraw_suggestions`.
        """
        missing = [c for c in ("segment_id", "code_id", "score", "method") if c not in df.columns]
        if missing:
            raise LedgerError(f"suggestions need column(s) {', '.join(missing)}")
        fields = ("segment_id", "code_id", "score", "method", "evidence", "model", "codebook_version")
        rows: dict[tuple[str, str], tuple[Any, ...]] = {}
        for i, rec in enumerate(df.to_dict("records")):
            score = float(rec["score"])
            if not (math.isfinite(score) and 0.0 <= score <= 1.0):
                raise LedgerError(f"suggestions row {i}: score {rec['score']!r} is not in [0, 1]")
            values = [rec.get(f) for f in fields]
            values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
            values[0], values[1], values[2], values[3] = str(values[0]), str(values[1]), score, str(values[3])
            rows[(values[0], values[1])] = tuple(values)
        with self._tx() as conn:
            coded = set(conn.execute("SELECT DISTINCT segment_id, code_id FROM codings").fetchall())
            existing = {(r[0], r[1]): r for r in conn.execute(f"SELECT {', '.join(fields)}, status FROM suggestions")}
            todo = [v for k, v in rows.items() if k not in coded and (k not in existing or existing[k][-1] == "withdrawn"
                    or (existing[k][-1] == "suggested" and tuple(existing[k][:-1]) != v))]
            if todo:
                self._record(conn, "suggest", MACHINE, payload={"rows": todo})
            withdrawn = self._withdraw(conn, set(rows), scope) if replace_pending else 0
            return len(todo) + withdrawn

    def withdraw_suggestions(self, keep: Any, scope: Iterable[str] | None = None) -> int:
        """Mark pending suggestions whose segment+code pair is not in ``keep`` ``withdrawn``; returns how many.

        ``keep``: a frame with segment_id and code_id columns, or (segment_id, code_id) pairs.
        ``scope``: only pending suggestions on these segment ids are considered (default: all).
        Accepted and rejected suggestions and human codings are never touched; the withdrawn
        pairs are logged as one ``withdraw`` event by ``machine``. A withdrawn suggestion keeps
        its id (accepting it is a logged no-op) and becomes pending again if suggested again.
        """
        pairs = zip(keep["segment_id"], keep["code_id"]) if hasattr(keep, "columns") else keep
        with self._tx() as conn:
            return self._withdraw(conn, {(str(s), str(c)) for s, c in pairs}, scope)

    def _withdraw(self, conn: sqlite3.Connection, keep: set[tuple[str, str]], scope: Iterable[str] | None) -> int:
        segments = None if scope is None else {str(s) for s in scope}
        stale = sorted(r for r in conn.execute("SELECT segment_id, code_id FROM suggestions WHERE status = 'suggested'")
                       if r not in keep and (segments is None or r[0] in segments))
        if stale:
            self._record(conn, "withdraw", MACHINE, payload={"pairs": [list(r) for r in stale]})
        return len(stale)

    def _decide(self, action: str, suggestion_id: int, coder: str, clear_review: bool = False) -> int:
        self._check_coder(coder)
        with self._tx() as conn:
            row = conn.execute("SELECT segment_id, code_id, status FROM suggestions WHERE suggestion_id = ?",
                               (int(suggestion_id),)).fetchone()
            if row is None:
                raise LedgerError(f"no suggestion {suggestion_id}")
            effective = row[2] == "suggested"
            new = action == "accept" and self._coding_exists(conn, (row[0], row[1], coder, None, None)) is None
            cleared = self._cleared_review(conn, row[0], coder) if new and clear_review else {}
            payload: dict[str, Any] = {"suggestion_id": int(suggestion_id), "created_coding": new and effective,
                                       **(cleared if effective else {})}
            event = self._record(conn, action, coder, row[0], row[1], payload=payload, effective=effective)
            if new and not effective:  # decided (or withdrawn) meanwhile: the person's accept is still their coding
                self._record(conn, "code", coder, row[0], row[1],
                             payload={"suggestion_id": int(suggestion_id), "accept_event": event, **cleared})
            return event

    @staticmethod
    def _cleared_review(conn: sqlite3.Connection, segment_id: str, coder: str) -> dict[str, Any]:
        """The payload that makes a coding event also remove ``coder``'s "no code applies" mark on the segment."""
        row = conn.execute("SELECT reviewed_at FROM reviews WHERE segment_id = ? AND coder = ?",
                           (segment_id, coder)).fetchone()
        return {} if row is None else {"cleared_review": row[0]}

    def accept(self, suggestion_id: int, coder: str, clear_review: bool = False) -> int:
        """Accept a suggestion: one transaction writes the human coding and sets status ``accepted``.

        Returns the ``accept`` event id. A suggestion already decided by someone else (or withdrawn)
        keeps its status (the ``accept`` is a logged no-op), but the person's decision is not lost:
        the same transaction records their whole-segment coding of the code as a ``code`` event
        (payload ``suggestion_id``, ``accept_event``) unless they already hold it.
        ``clear_review``: the coding also removes the coder's "no code applies" mark on the segment
        (see :meth:`code`).
        """
        return self._decide("accept", suggestion_id, coder, clear_review)

    def reject(self, suggestion_id: int, coder: str) -> int:
        """Reject a pending suggestion (deciding an already decided one is a logged no-op)."""
        return self._decide("reject", suggestion_id, coder)

    # -- re-ingestion ----------------------------------------------------------------------
    def reanchor(self, segment_ids: Iterable[str], locate: Locate) -> tuple[int, int]:
        """Move codings, memos and "no code applies" marks off vanished segments to where their text now is;
        returns (codings, memos) moved.

        ``locate(segment_id, span_start, span_end)`` gives the new ``(segment_id, span_start,
        span_end)`` of a coding's text (span None: the whole segment), or None when it cannot be
        placed (the coding is then left where it is, to be flagged orphaned). Each move is one
        ``reanchor`` event by ``system`` (payload: the human ``coder``, ``from_segment``,
        ``from_span``, or ``memo_id`` for a memo), all in one transaction; the coding keeps its
        id, coder and ``created_at``. A move onto a coding that already exists is skipped.
        """
        vanished = {str(s) for s in segment_ids}
        with self._tx() as conn:
            codings = [r for r in conn.execute("SELECT segment_id, code_id, coder, span_start, span_end FROM codings"
                                               " ORDER BY coding_id") if r[0] in vanished]
            n_codings = 0
            for segment_id, code_id, coder, start, end in codings:
                target = locate(segment_id, start, end)
                if target is None or self._coding_exists(conn, (target[0], code_id, coder, *target[1:])):
                    continue
                payload = {"coder": coder, "from_segment": segment_id,
                           "from_span": None if start is None else [start, end]}
                self._record(conn, "reanchor", SYSTEM, target[0], code_id, target[1:], payload)
                n_codings += 1
            memos = [r for r in conn.execute("SELECT memo_id, segment_id, code_id FROM memos ORDER BY memo_id")
                     if r[1] in vanished]
            n_memos = 0
            for memo_id, segment_id, code_id in memos:
                target = locate(segment_id, None, None)
                if target is not None:
                    self._record(conn, "reanchor", SYSTEM, target[0], code_id,
                                 payload={"memo_id": memo_id, "from_segment": segment_id})
                    n_memos += 1
            # "no code applies" marks move only onto a unit that is the whole old one (a merged turn is not)
            reviews = [r for r in conn.execute("SELECT segment_id, coder FROM reviews ORDER BY segment_id, coder")
                       if r[0] in vanished]
            for segment_id, coder in reviews:
                target = locate(segment_id, None, None)
                if target is None or target[1] is not None or conn.execute(
                        "SELECT 1 FROM reviews WHERE segment_id = ? AND coder = ?", (target[0], coder)).fetchone():
                    continue
                self._record(conn, "reanchor", SYSTEM, target[0],
                             payload={"review_coder": coder, "from_segment": segment_id})
            return n_codings, n_memos

    def mark_orphans(self, valid_segment_ids: Iterable[str]) -> int:
        """Flag codings whose segment vanished (and unflag returning ones); returns the number orphaned.

        Orphaned codings are kept, never deleted. Only changes are logged.
        """
        valid = {str(s) for s in valid_segment_ids}
        with self._tx() as conn:
            present = {r[0] for r in conn.execute("SELECT segment_id FROM segments_seen WHERE present = 1")}
            unknown = {r[0] for r in conn.execute(
                "SELECT DISTINCT segment_id FROM codings WHERE segment_id NOT IN (SELECT segment_id FROM segments_seen)")}
            added, missing = sorted(valid - present), sorted((present | unknown) - valid)
            if added or missing:
                self._record(conn, "orphans", SYSTEM, payload={"present": added, "missing": missing})
            return int(conn.execute("SELECT COUNT(*) FROM codings WHERE orphaned = 1").fetchone()[0])

    def rebuild(self) -> int:
        """Recompute all state tables from the event log (one transaction); returns events replayed."""
        with self._tx() as conn:
            for table in DERIVED_TABLES:
                conn.execute(f"DELETE FROM {table}")
            cur = conn.execute("SELECT * FROM events WHERE effective = 1 ORDER BY event_id")
            names = [d[0] for d in cur.description]
            events = [dict(zip(names, row)) for row in cur.fetchall()]
            for event in events:
                event["payload"] = json.loads(event["payload"])
                self._apply(conn, event)
            return len(events)

    # -- reading ---------------------------------------------------------------------------
    def _frame(self, sql: str, params: tuple[Any, ...] = (), times: tuple[str, ...] = ()) -> Any:
        import pandas as pd

        with self._lock:
            cur = self._connection().execute(sql, params)
            frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        for col in times:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        return frame

    def coders(self) -> list[str]:
        """Coder names in order of first appearance."""
        with self._lock:
            return [r[0] for r in self._connection().execute("SELECT name FROM coders ORDER BY created_at, name")]

    def codings(self, coder: str | None = None) -> Any:
        """Current codings (CODINGS columns), optionally of one coder."""
        where, params = ("WHERE coder = ?", (coder,)) if coder else ("", ())
        frame = self._frame(f"SELECT {', '.join(CODINGS.names)} FROM codings {where} ORDER BY coding_id",
                            params, ("created_at", "updated_at"))
        frame["orphaned"] = frame["orphaned"].astype(bool)
        for col in ("span_start", "span_end"):
            frame[col] = frame[col].astype("Int64")
        return frame

    def memos(self) -> Any:
        """All memos: memo_id, coder, segment_id, code_id, text, created_at, updated_at."""
        return self._frame("SELECT * FROM memos ORDER BY memo_id", times=("created_at", "updated_at"))

    def suggestions(self, status: str | None = None) -> Any:
        """Machine suggestions (SUGGESTIONS columns), optionally only one status."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return self._frame(f"SELECT {', '.join(SUGGESTIONS.names)} FROM suggestions {where} ORDER BY suggestion_id",
                           params, ("created_at", "decided_at"))

    def reviewed(self, coder: str | None = None) -> Any:
        """Segments marked reviewed: segment_id, coder, reviewed_at."""
        where, params = ("WHERE coder = ?", (coder,)) if coder else ("", ())
        return self._frame(f"SELECT * FROM reviews {where} ORDER BY reviewed_at", params, ("reviewed_at",))

    def history(self, segment_id: str | None = None, coder: str | None = None) -> Any:
        """The append-only event log (oldest first) with an ``undone`` flag per event.

        ``undone``: a later event reverses this one (an ``undo`` for an action or a ``redo``, a
        ``redo`` for an ``undo``).
        """
        conds, params = [], []
        if segment_id is not None:
            conds.append("e.segment_id = ?")
            params.append(segment_id)
        if coder is not None:
            conds.append("e.coder = ?")
            params.append(coder)
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        frame = self._frame(
            "SELECT e.*, EXISTS (SELECT 1 FROM events u WHERE u.undoes_event_id = e.event_id) AS undone"
            f" FROM events e {where} ORDER BY e.event_id", tuple(params), ("ts",))
        for col in ("effective", "undone"):
            frame[col] = frame[col].astype(bool)
        for col in ("span_start", "span_end", "undoes_event_id"):
            frame[col] = frame[col].astype("Int64")
        return frame

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` result (``'ok'`` when the file is sound)."""
        with self._lock:
            return str(self._connection().execute("PRAGMA integrity_check").fetchone()[0])

    # -- export ----------------------------------------------------------------------------
    def export_codings(self, path: str | os.PathLike[str], segments: Any = None, codebook: Any = None) -> Path:
        """Write codings to ``.csv`` or ``.xlsx`` (atomically), with segment text/source/speaker if given.

        Text cells starting with ``= + - @`` (or tab/CR) are prefixed with ``'`` against formula injection.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise LedgerError(f"{path}: export format must be .csv or .xlsx")
        frame = self.codings()
        if codebook is not None:
            frame.insert(3, "code_name", [codebook[c].name if c in codebook else None for c in frame["code_id"]])
            frame.insert(4, "code_path", [codebook.path(c) if c in codebook else None for c in frame["code_id"]])
        if segments is not None:
            cols = [c for c in ("segment_id", "source_id", "speaker", "wave", "text") if c in segments.columns]
            frame = frame.merge(segments[cols].drop_duplicates("segment_id"), on="segment_id", how="left")
        for col in ("created_at", "updated_at"):
            frame[col] = frame[col].map(lambda t: t.isoformat())
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
                frame[col] = frame[col].map(neutralise)
        if suffix == ".csv":
            with atomic_path(path, suffix=".csv") as tmp:
                frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            for col in frame.columns:
                if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
                    frame[col] = frame[col].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
            with atomic_path(path, suffix=".xlsx") as tmp:
                frame.to_excel(tmp, index=False, sheet_name="codings", engine="openpyxl")
        return path
