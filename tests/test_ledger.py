"""Coding ledger: actions, undo/redo, suggestions, orphans, rebuild, export, real concurrency and kill -9."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cop_analysis.codebook import STARTER_CODEBOOK, Codebook
from cop_analysis.ledger import _SCHEMA, DERIVED_TABLES, Ledger, LedgerError
from cop_analysis.schema import CODINGS, SUGGESTIONS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def led(tmp_path: Path) -> Ledger:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        yield ledger


def sugg(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"segment_id": s, "code_id": c, "score": p, "method": "rules", "evidence": f"{c}!",
                          "model": "m1", "codebook_version": "v1"} for s, c, p in rows])


def state(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in DERIVED_TABLES}


# -- basic actions ---------------------------------------------------------------------------
def test_code_uncode_and_columns(led: Ledger) -> None:
    with sqlite3.connect(led.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    first = led.code("s1", "trust", "ana")
    assert led.code("s1", "trust", "ana") > first  # logged, but a no-op
    led.code("s1", "trust", "ben")
    led.code("s2", "harm", "ana", span=(5, 12))
    df = led.codings()
    assert list(df.columns) == CODINGS.names and len(df) == 3
    assert str(df["created_at"].dtype).startswith("datetime64") and str(df["created_at"].dt.tz) == "UTC"
    assert df.loc[df.segment_id == "s2", ["span_start", "span_end"]].values.tolist() == [[5, 12]]
    assert len(led.codings(coder="ana")) == 2 and led.coders() == ["ana", "ben"]
    led.uncode("s1", "trust", "ana")
    led.uncode("s1", "trust", "ana")  # no-op
    assert led.codings(coder="ana")["segment_id"].tolist() == ["s2"]
    hist = led.history(segment_id="s1")
    assert hist["action"].tolist() == ["code", "code", "code", "uncode", "uncode"]
    assert hist["effective"].tolist() == [True, False, True, True, False]
    with pytest.raises(LedgerError, match="bad span"):
        led.code("s1", "trust", "ana", span=(4, 2))
    with pytest.raises(LedgerError, match="reserved"):
        led.code("s1", "trust", "machine")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        led._connection().execute("UPDATE events SET coder = 'x'")


def test_a_coding_keeps_the_time_it_was_made_elsewhere(led: Ledger) -> None:
    led.code("s1", "trust", "ana", created_at="2025-06-18T02:06:50Z")
    led.code("s2", "trust", "ana", created_at="2025-06-18T04:06:50+02:00")
    led.code("s3", "trust", "ana")
    times = led.codings().set_index("segment_id")["created_at"]
    assert times["s1"] == times["s2"] == pd.Timestamp("2025-06-18T02:06:50Z")
    assert times["s3"] > pd.Timestamp("2026-01-01T00:00:00Z")  # now
    led.rebuild()
    assert led.codings().set_index("segment_id")["created_at"].equals(times)
    with pytest.raises(LedgerError, match="ISO 8601"):
        led.code("s4", "trust", "ana", created_at="yesterday")
    assert "s4" not in set(led.codings()["segment_id"])


def test_memos_and_roles(led: Ledger) -> None:
    led.add_coder("ana", role="evaluator")
    project = led.memo("Overall: trust is the story.", "ana")
    seg = led.memo("Ask about this.", "ben", segment_id="s1")
    led.memo("Code note", "ana", code_id="trust")
    led.edit_memo(seg, "Ask Dana about this.", "ana")
    memos = led.memos().set_index("memo_id")
    assert memos.loc[seg, "text"] == "Ask Dana about this." and memos.loc[seg, "coder"] == "ben"
    assert pd.isna(memos.loc[project, "segment_id"]) and memos.loc[project, "text"].startswith("Overall")
    with pytest.raises(LedgerError, match="no memo"):
        led.edit_memo(999, "x", "ana")
    with pytest.raises(LedgerError, match="needs text"):
        led.memo("  ", "ana")
    with sqlite3.connect(led.path) as conn:
        assert conn.execute("SELECT role FROM coders WHERE name = 'ana'").fetchone() == ("evaluator",)


# -- undo ------------------------------------------------------------------------------------
def test_undo_reverses_each_action_and_is_logged(led: Ledger) -> None:
    assert led.undo("ana") is None
    led.code("s1", "trust", "ana")
    time.sleep(0.002)
    led.code("s1", "harm", "ben")
    led.uncode("s1", "trust", "ana")
    led.code("s9", "harm", "ana")
    led.code("s9", "harm", "ana")  # no-op: not undoable
    memo = led.memo("first", "ana", segment_id="s1")
    led.edit_memo(memo, "second", "ana")
    led.mark_reviewed("s3", "ana")
    created = led.history(segment_id="s1").iloc[0]["ts"]

    assert set(led.reviewed()["segment_id"]) == {"s3"}
    led.undo("ana")  # review
    assert led.reviewed().empty
    led.undo("ana")  # memo_edit -> text restored
    assert led.memos()["text"].tolist() == ["first"]
    led.undo("ana")  # memo -> deleted
    assert led.memos().empty
    led.undo("ana")  # code s9
    assert led.codings(coder="ana").empty
    led.undo("ana")  # uncode -> coding back with its original created_at
    back = led.codings(coder="ana")
    assert back["segment_id"].tolist() == ["s1"] and back["created_at"].iloc[0] == created
    led.undo("ana")  # the first code
    assert led.codings(coder="ana").empty and led.undo("ana") is None
    assert len(led.codings(coder="ben")) == 1  # another coder's work is untouched
    hist = led.history(coder="ana")
    assert (hist["action"] == "undo").sum() == 6
    assert hist.loc[hist.action != "undo", "undone"].tolist() == [True, True, True, False, True, True, True]


def test_accept_reject_and_undo(led: Ledger) -> None:
    assert led.add_suggestions(sugg(("s1", "trust", 0.9), ("s2", "harm", 0.4), ("s3", "trust", 0.7))) == 3
    ids = dict(zip(led.suggestions()["segment_id"], led.suggestions()["suggestion_id"]))
    led.accept(ids["s1"], "ana")
    led.reject(ids["s2"], "ana")
    sug = led.suggestions().set_index("segment_id")
    assert list(led.suggestions().columns) == SUGGESTIONS.names
    assert sug.loc["s1", "status"] == "accepted" and sug.loc["s1", "decided_by"] == "ana"
    assert sug.loc["s2", "status"] == "rejected" and led.codings()["segment_id"].tolist() == ["s1"]
    assert led.history(segment_id="s2")["effective"].tolist() == [True]
    led.accept(ids["s2"], "ben")  # already decided: the status stays, but ben's decision is his coding
    assert led.suggestions(status="rejected")["segment_id"].tolist() == ["s2"]
    assert led.codings(coder="ben")[["segment_id", "code_id", "coder"]].values.tolist() == [["s2", "harm", "ben"]]
    hist = led.history(segment_id="s2")
    assert hist[["action", "coder", "effective"]].values.tolist()[1:] == [["accept", "ben", False],
                                                                        ["code", "ben", True]]
    assert '"accept_event": ' + str(int(hist["event_id"].iloc[1])) in hist["payload"].iloc[2]
    led.accept(ids["s2"], "ben")  # he holds it already: nothing more is written
    assert len(led.codings(coder="ben")) == 1 and led.history(segment_id="s2")["effective"].tolist()[-1] is False
    led.undo("ben")  # his undo removes that coding; the suggestion stays rejected by ana
    assert led.codings(coder="ben").empty and len(led.suggestions(status="rejected")) == 1
    led.undo("ana")  # reject -> back to suggested
    led.undo("ana")  # accept -> back to suggested, coding removed
    assert set(led.suggestions(status="suggested")["segment_id"]) == {"s1", "s2", "s3"} and led.codings().empty
    # accepting a pair the coder already coded keeps the coding when the accept is undone
    led.code("s3", "trust", "ben")
    led.accept(ids["s3"], "ben")
    led.undo("ben")
    assert led.codings(coder="ben")["segment_id"].tolist() == ["s3"]
    with pytest.raises(LedgerError, match="no suggestion 42"):
        led.accept(42, "ana")


def test_a_coding_can_replace_the_no_code_applies_mark_in_one_event(led: Ledger) -> None:
    led.mark_reviewed("s1", "ana")
    led.mark_reviewed("s1", "ben")
    marked_at = led.reviewed("ana")["reviewed_at"].iloc[0]
    led.code("s1", "trust", "ben")  # the plain call (imports, scripts) keeps a review: it also means "seen"
    assert len(led.reviewed("ben")) == 1
    n = len(led.history())
    led.code("s1", "harm", "ana", span=(0, 4), clear_review=True)
    assert len(led.history()) == n + 1  # one event, one transaction
    assert led.reviewed("ana").empty and led.codings("ana")["code_id"].tolist() == ["harm"]
    assert json.loads(led.history().iloc[-1]["payload"])["cleared_review"]
    led.undo("ana")  # the mark is back, with its first time
    assert led.codings("ana").empty and led.reviewed("ana")["reviewed_at"].tolist() == [marked_at]
    led.redo("ana")
    assert led.reviewed("ana").empty and len(led.codings("ana")) == 1
    led.add_suggestions(sugg(("s2", "trust", 0.9), ("s3", "trust", 0.8)))
    ids = dict(zip(led.suggestions()["segment_id"], led.suggestions()["suggestion_id"]))
    led.mark_reviewed("s2", "ana")
    led.mark_reviewed("s3", "ana")
    led.accept(ids["s2"], "ana", clear_review=True)
    led.reject(ids["s3"], "ben")
    led.accept(ids["s3"], "ana", clear_review=True)  # decided meanwhile: the code event clears the mark
    assert led.reviewed("ana").empty
    assert sorted(led.codings("ana")["segment_id"]) == ["s1", "s2", "s3"]
    before = state(led.path)
    assert led.rebuild() == int(led.history()["effective"].sum())
    assert state(led.path) == before
    led.undo("ana")
    led.undo("ana")
    assert sorted(led.reviewed("ana")["segment_id"]) == ["s2", "s3"]
    assert led.suggestions().set_index("segment_id").loc["s2", "status"] == "suggested"


# -- redo ------------------------------------------------------------------------------------
def own_state(led: Ledger, coder: str) -> dict[str, list[tuple]]:
    """``coder``'s codings, memos and review marks and all suggestion decisions, without times a redo restamps."""
    with sqlite3.connect(led.path) as conn:
        return {
            "codings": conn.execute("SELECT segment_id, code_id, IFNULL(span_start, -1), IFNULL(span_end, -1),"
                                    " created_at, orphaned FROM codings WHERE coder = ? ORDER BY 1, 2, 3",
                                    (coder,)).fetchall(),
            "memos": conn.execute("SELECT memo_id, segment_id, text, created_at FROM memos WHERE coder = ?"
                                  " ORDER BY 1", (coder,)).fetchall(),
            "suggestions": conn.execute("SELECT suggestion_id, status, decided_by FROM suggestions"
                                        " ORDER BY 1").fetchall(),
            "reviews": conn.execute("SELECT segment_id FROM reviews WHERE coder = ? ORDER BY 1", (coder,)).fetchall()}


def test_undo_redo_walks_back_and_forward_over_every_action(led: Ledger) -> None:
    led.add_suggestions(sugg(("s1", "trust", 0.9), ("s2", "harm", 0.4), ("s4", "power", 0.8)))
    ids = dict(zip(led.suggestions()["segment_id"], led.suggestions()["suggestion_id"]))
    led.code("s4", "power", "ana")
    memo: list[int] = []
    actions = [
        lambda: led.code("s1", "harm", "ana"),
        lambda: led.code("s1", "harm", "ana", span=(3, 9)),
        lambda: led.uncode("s4", "power", "ana"),
        lambda: memo.append(led.memo("first", "ana", segment_id="s1")),
        lambda: led.edit_memo(memo[0], "second", "ana"),
        lambda: led.accept(ids["s1"], "ana"),  # creates a coding
        lambda: led.reject(ids["s2"], "ana"),
        lambda: led.mark_reviewed("s3", "ana"),  # "no code applies"
        lambda: led.delete_memo(memo[0], "ana"),
    ]
    states = [own_state(led, "ana")]
    for i, act in enumerate(actions):
        act()
        led.code(f"b{i}", "trust", "ben")  # another coder works in between
        states.append(own_state(led, "ana"))
    assert len({repr(st) for st in states}) == len(states)  # every action changed something
    n, ben = len(actions), led.codings(coder="ben")
    assert led.can_undo("ana") and not led.can_redo("ana") and led.redo("ana") is None

    for k in range(n, 0, -1):  # all the way back ...
        assert led.undo("ana") is not None and own_state(led, "ana") == states[k - 1]
    assert led.undo("ana") is not None  # the coding made before the actions
    assert led.redo("ana") is not None and own_state(led, "ana") == states[0]
    assert led.can_redo("ana") and led.can_undo("ana")
    for k in range(1, n + 1):  # ... and all the way forward
        assert led.redo("ana") is not None and own_state(led, "ana") == states[k]
    assert not led.can_redo("ana") and led.redo("ana") is None
    pos = n
    for move in (-3, 2, -5, 1, -3, 7, -1):  # zigzag: Undo x3, Redo x2, ...
        for _ in range(abs(move)):
            assert (led.undo if move < 0 else led.redo)("ana") is not None
        pos += move
        assert own_state(led, "ana") == states[pos]
    assert pos == n - 2 and led.can_redo("ana")

    assert led.codings(coder="ben").equals(ben) and not led.can_redo("ben")  # ben untouched
    hist = led.history()
    assert set(hist.loc[hist.coder == "ben", "action"]) == {"code"} and hist["effective"].all()
    assert (hist.action == "redo").sum() == 1 + n + 2 + 1 + 7
    redo = hist[hist.action == "redo"].iloc[0]  # a redo points to the undo it reverses
    assert hist.set_index("event_id").loc[redo["undoes_event_id"], "action"] == "undo"
    before = state(led.path)
    assert led.rebuild() == int(hist["effective"].sum())
    assert state(led.path) == before  # replay gives the same state, times included


def test_a_new_action_clears_redo_but_no_ops_and_other_coders_do_not(led: Ledger) -> None:
    led.code("s1", "trust", "ana")
    led.code("s2", "trust", "ana")
    led.undo("ana")
    led.code("s3", "harm", "ben")  # another coder's action leaves ana's redo chain alone
    led.undo("ben")
    led.code("s1", "trust", "ana")  # a logged no-op changes nothing, so it clears nothing either
    assert led.can_redo("ana") and led.can_redo("ben")
    led.redo("ana")
    assert sorted(led.codings(coder="ana")["segment_id"]) == ["s1", "s2"]
    led.undo("ana")
    led.undo("ana")
    led.redo("ana")  # s1 back; s2 could be redone next ...
    led.code("s9", "harm", "ana")  # ... but a new action clears the chain
    assert not led.can_redo("ana") and led.redo("ana") is None
    assert sorted(led.codings(coder="ana")["segment_id"]) == ["s1", "s9"]
    led.undo("ana")  # undoing after the new action starts a new chain: only s9 can be redone
    led.redo("ana")
    assert not led.can_redo("ana") and sorted(led.codings(coder="ana")["segment_id"]) == ["s1", "s9"]
    assert led.codings(coder="ben").empty and led.redo("ben") is not None
    assert led.codings(coder="ben")["segment_id"].tolist() == ["s3"]
    with pytest.raises(LedgerError, match="reserved"):
        led.redo("machine")


def test_redo_of_something_changed_meanwhile_is_a_logged_no_op(led: Ledger) -> None:
    led.add_suggestions(sugg(("s1", "trust", 0.9)))
    sid = int(led.suggestions()["suggestion_id"].iloc[0])
    led.accept(sid, "ana")
    led.undo("ana")
    led.accept(sid, "ben")  # ben decides the suggestion while ana's accept is undone
    skipped = led.redo("ana")
    event = led.history().set_index("event_id").loc[skipped]
    assert event["action"] == "redo" and not event["effective"]
    sug = led.suggestions().iloc[0]
    assert (sug["status"], sug["decided_by"]) == ("accepted", "ben")  # ben's decision stands
    assert led.codings()["coder"].tolist() == ["ben"]
    assert not led.can_redo("ana") and led.undo("ana") is None  # the skipped redo left nothing to undo
    memo = led.memo("note", "ben", segment_id="s1")
    led.edit_memo(memo, "ana's note", "ana")
    led.undo("ana")
    led.undo("ben")  # ben's memo is gone, so ana's edit cannot come back
    skipped = led.redo("ana")
    assert not led.history().set_index("event_id").loc[skipped, "effective"] and led.memos().empty
    before = state(led.path)
    led.rebuild()
    assert state(led.path) == before


def test_add_suggestions_is_idempotent_and_respects_humans(led: Ledger) -> None:
    led.code("s0", "trust", "ana")
    assert led.add_suggestions(sugg(("s0", "trust", 0.8), ("s1", "trust", 0.5), ("s2", "harm", 0.6))) == 2
    assert led.add_suggestions(sugg(("s0", "trust", 0.8), ("s1", "trust", 0.5), ("s2", "harm", 0.6))) == 0
    n_events = len(led.history())
    s2 = int(led.suggestions().set_index("segment_id").loc["s2", "suggestion_id"])
    led.reject(s2, "ana")
    assert led.add_suggestions(sugg(("s1", "trust", 0.75), ("s2", "harm", 0.99))) == 1
    sug = led.suggestions().set_index("segment_id")
    assert sug.loc["s1", "score"] == 0.75 and sug.loc["s2", "score"] == 0.6 and sug.loc["s2", "status"] == "rejected"
    assert "s0" not in sug.index and len(led.history()) == n_events + 2
    with pytest.raises(LedgerError, match=r"score 1\.5"):
        led.add_suggestions(sugg(("s1", "trust", 1.5)))
    with pytest.raises(LedgerError, match="method"):
        led.add_suggestions(pd.DataFrame({"segment_id": ["a"], "code_id": ["b"], "score": [0.1]}))


def test_replace_pending_withdraws_only_stale_pending_suggestions(led: Ledger) -> None:
    assert led.add_suggestions(sugg(*[(f"s{i}", "trust", 0.5 + i / 20) for i in range(6)])) == 6
    ids = led.suggestions().set_index("segment_id")["suggestion_id"]
    led.accept(int(ids["s0"]), "ana")
    led.reject(int(ids["s1"]), "ana")
    led.code("s2", "harm", "ben")
    decided = led.suggestions().set_index("segment_id").loc[["s0", "s1"]]
    codings = led.codings()
    # a rerun that only proposes s3 (rescored) and s9: s2, s4, s5 are pending and stale
    assert led.add_suggestions(sugg(("s3", "trust", 0.99), ("s9", "trust", 0.7)), replace_pending=True) == 2 + 3
    now = led.suggestions().set_index("segment_id")
    assert now["status"].to_dict() == {"s0": "accepted", "s1": "rejected", "s2": "withdrawn", "s3": "suggested",
                                       "s4": "withdrawn", "s5": "withdrawn", "s9": "suggested"}
    assert (now.loc[["s2", "s4", "s5"], "decided_by"] == "machine").all() and now.loc["s3", "score"] == 0.99
    assert now.loc[["s0", "s1"]].equals(decided)  # accepted/rejected untouched
    assert led.codings().equals(codings)  # human codings untouched
    withdraw = led.history().query("action == 'withdraw'")
    assert withdraw["coder"].tolist() == ["machine"] and '"s4"' in withdraw["payload"].iloc[0]
    # accepting a withdrawn suggestion (e.g. from a stale screen) leaves it withdrawn but records ana's coding
    led.accept(int(ids["s4"]), "ana")
    assert led.suggestions().set_index("segment_id").loc["s4", "status"] == "withdrawn"
    assert led.codings().iloc[-1][["segment_id", "code_id", "coder"]].tolist() == ["s4", "trust", "ana"]
    before = state(led.path)
    assert led.rebuild() == int(led.history()["effective"].sum()) and state(led.path) == before
    led.undo("ana")
    assert led.codings().equals(codings)
    # suggested again -> pending again, same id; scope limits what is withdrawn; pair lists work too
    assert led.add_suggestions(sugg(("s4", "trust", 0.6), ("s7", "harm", 0.6), ("s8", "harm", 0.6))) == 3
    now = led.suggestions().set_index("segment_id")
    assert now.loc["s4", "status"] == "suggested" and now.loc["s4", "suggestion_id"] == ids["s4"]
    assert pd.isna(now.loc["s4", "decided_by"])
    assert led.withdraw_suggestions([("s9", "trust")], scope=["s7", "s9"]) == 1
    assert set(led.suggestions(status="suggested")["segment_id"]) == {"s3", "s4", "s8", "s9"}
    assert led.add_suggestions(sugg(("s3", "trust", 0.99))) == 0  # the plain call withdraws nothing
    assert led.withdraw_suggestions(sugg(("s3", "trust", 0.99))) == 3
    assert led.suggestions(status="suggested")["segment_id"].tolist() == ["s3"]
    n_events = len(led.history())
    assert led.add_suggestions(sugg(("s3", "trust", 0.99)), replace_pending=True) == 0
    assert len(led.history()) == n_events  # nothing to do: nothing logged
    before = state(led.path)
    assert led.rebuild() == int(led.history()["effective"].sum())
    assert state(led.path) == before


def test_version_1_ledger_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as conn:
        v1 = _SCHEMA.replace("'rejected', 'withdrawn'", "'rejected'").replace("user_version = 2", "user_version = 1")
        assert v1 != _SCHEMA and "'withdrawn'" not in v1
        conn.executescript(v1)
        conn.executescript("""
            INSERT INTO suggestions VALUES (7, 's1', 'trust', 0.9, 'rules', NULL, 'm', 'v', 'rejected', 'ana',
                                            '2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00');
            INSERT INTO suggestions VALUES (8, 's2', 'trust', 0.8, 'rules', NULL, 'm', 'v', 'suggested', NULL,
                                            '2024-01-01T00:00:00+00:00', NULL);""")
    with Ledger(path) as led:
        assert led.suggestions()[["suggestion_id", "status"]].values.tolist() == [[7, "rejected"], [8, "suggested"]]
        assert led.withdraw_suggestions([]) == 1
        assert led.suggestions()["status"].tolist() == ["rejected", "withdrawn"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'suggestions_v1'").fetchone() is None


def test_orphans_are_kept_and_reported(led: Ledger) -> None:
    for seg in ("s1", "s2", "s3"):
        led.code(seg, "trust", "ana")
    led.code("s2", "harm", "ben")
    assert led.mark_orphans(["s1", "s2", "s3", "s4"]) == 0
    assert led.mark_orphans(["s1", "s3", "s4"]) == 2
    n_events = len(led.history())
    assert led.mark_orphans(["s1", "s3", "s4"]) == 2 and len(led.history()) == n_events  # unchanged: not logged
    df = led.codings()
    assert len(df) == 4 and set(df.loc[df.orphaned, "segment_id"]) == {"s2"}
    led.code("s2", "ownership", "ana")  # coding a vanished segment is flagged at once
    assert led.codings().query("code_id == 'ownership'")["orphaned"].all()
    assert led.mark_orphans(["s1", "s2", "s3"]) == 0  # the segment came back


def test_reanchor_moves_codings_and_memos_and_undo_follows_them(led: Ledger) -> None:
    led.code("old1", "trust", "ana", created_at="2024-01-01T00:00:00Z")
    led.code("old1", "harm", "ana", span=(10, 20))
    led.code("old2", "trust", "ben")
    led.code("new3", "trust", "ben")  # ben already has this coding where old2's would go
    led.code("gone", "trust", "ana")
    memo = led.memo("see old1", "ana", segment_id="old1")
    led.memo("project memo", "ana")
    places = {("old1", None, None): ("new1", None, None), ("old1", 10, 20): ("new1", 12, 22),
              ("old2", None, None): ("new3", None, None)}
    calls = []

    def locate(segment_id: str, start: int | None, end: int | None) -> tuple | None:
        calls.append((segment_id, start, end))
        return places.get((segment_id, start, end))

    before = led.codings().set_index(["segment_id", "code_id", "coder"])
    assert led.reanchor(["old1", "old2", "gone"], locate) == (2, 1)
    assert ("gone", None, None) in calls and ("new3", None, None) not in calls
    after = led.codings().set_index("coding_id")
    moved = after.loc[before.loc[("old1", "trust", "ana"), "coding_id"]]
    assert (moved["segment_id"], moved["coder"], pd.isna(moved["span_start"])) == ("new1", "ana", True)
    assert moved["created_at"] == pd.Timestamp("2024-01-01", tz="UTC")
    sub = after.loc[before.loc[("old1", "harm", "ana"), "coding_id"]]
    assert (sub["segment_id"], sub["span_start"], sub["span_end"]) == ("new1", 12, 22)
    assert set(after.loc[after["segment_id"] == "old2", "coder"]) == {"ben"}  # not merged into ben's new3 coding
    assert led.memos().set_index("memo_id").loc[memo, "segment_id"] == "new1"
    assert led.memos()["segment_id"].isna().sum() == 1
    moves = led.history().query("action == 'reanchor'")
    assert len(moves) == 3 and set(moves["coder"]) == {"system"}
    assert json.loads(moves.iloc[1]["payload"]) == {"coder": "ana", "from_segment": "old1", "from_span": [10, 20]}
    assert led.mark_orphans(["new1", "new3"]) == 2  # old2 (ben) and gone stay, orphaned

    led.undo("ana")  # the project memo
    led.undo("ana")  # the memo, now on new1
    led.undo("ana")  # the coding of 'gone'
    led.undo("ana")  # the span coding: removed where it now is
    assert set(led.codings(coder="ana")["segment_id"]) == {"new1"} and len(led.codings(coder="ana")) == 1
    assert led.can_redo("ana")
    led.redo("ana")
    sub = led.codings(coder="ana").query("code_id == 'harm'").iloc[0]
    assert (sub["segment_id"], sub["span_start"], sub["span_end"], sub["orphaned"]) == ("new1", 12, 22, False)
    snapshot = state(led.path)
    led.rebuild()
    assert state(led.path) == snapshot
    assert led.reanchor(["old1"], locate) == (0, 0)  # nothing left there: no events
    assert len(led.history().query("action == 'reanchor'")) == 3


def test_delete_memo_is_undoable_and_replayed(led: Ledger) -> None:
    memo = led.memo("first", "ana", segment_id="s1", code_id="trust")
    time.sleep(0.002)
    led.edit_memo(memo, "second", "ana")
    kept = led.memos()
    event = led.delete_memo(memo, "ana")
    assert led.memos().empty and led.history().set_index("event_id").loc[event, "action"] == "memo_delete"
    with pytest.raises(LedgerError, match="no memo"):
        led.delete_memo(memo, "ana")
    led.undo("ana")  # back as it was: same id, author, text, segment, code and times
    assert led.memos().equals(kept)
    led.redo("ana")
    assert led.memos().empty
    led.undo("ana")
    before = state(led.path)
    assert led.rebuild() == int(led.history()["effective"].sum()) and state(led.path) == before
    # another coder's delete, undone after the author undid the memo: the author's redo is a no-op
    other = led.memo("ben's", "ben", segment_id="s2")
    led.delete_memo(other, "ana")
    led.undo("ben")  # ben's memo: already gone
    led.undo("ana")  # ana's delete: the memo is back
    skipped = led.redo("ben")
    assert not led.history().set_index("event_id").loc[skipped, "effective"]
    assert sorted(led.memos()["text"]) == ["ben's", "second"]
    before = state(led.path)
    assert led.rebuild() == int(led.history()["effective"].sum()) and state(led.path) == before


def test_rebuild_equals_incremental_state(led: Ledger) -> None:
    rng = random.Random(7)
    coders, segs, codes = ["ana", "ben", "cy"], [f"s{i}" for i in range(12)], ["trust", "harm", "ownership"]
    led.add_suggestions(sugg(*[(s, c, round(rng.random(), 3)) for s in segs for c in codes]))
    for _ in range(300):
        coder, seg, code = rng.choice(coders), rng.choice(segs), rng.choice(codes)
        op = rng.choice(["code", "code", "code", "uncode", "undo", "redo", "memo", "edit", "accept", "reject",
                         "review", "suggest", "orphans", "span", "delete"])
        if op == "code":
            led.code(seg, code, coder)
        elif op == "span":
            led.code(seg, code, coder, span=(rng.randint(0, 5), rng.randint(6, 9)))
        elif op == "uncode":
            led.uncode(seg, code, coder)
        elif op == "undo":  # a few Undo clicks, then maybe a few Redo clicks
            for _ in range(rng.randint(1, 3)):
                led.undo(coder)
            for _ in range(rng.randint(0, 3)):
                led.redo(coder)
        elif op == "redo":  # later, after other coders' actions
            led.redo(coder)
        elif op == "memo":
            led.memo(f"memo {rng.random()}", coder, segment_id=seg)
        elif op == "edit" and not led.memos().empty:
            led.edit_memo(int(rng.choice(led.memos()["memo_id"].tolist())), f"edit {rng.random()}", coder)
        elif op == "delete" and len(led.memos()) > 3:
            led.delete_memo(int(rng.choice(led.memos()["memo_id"].tolist())), coder)
        elif op in ("accept", "reject"):
            sid = int(rng.choice(led.suggestions()["suggestion_id"].tolist()))
            (led.accept if op == "accept" else led.reject)(sid, coder)
        elif op == "review":
            led.mark_reviewed(seg, coder)
        elif op == "suggest":
            led.add_suggestions(sugg((seg, code, round(rng.random(), 3))), replace_pending=rng.random() < 0.3)
        elif op == "orphans":
            led.mark_orphans(rng.sample(segs, 9))
    before = state(led.path)
    assert sum(len(rows) for rows in before.values()) > 50 and before["codings"] and before["memos"]
    assert (led.history().query("action == 'redo'")["effective"]).sum() > 10
    assert led.rebuild() == int(led.history()["effective"].sum())
    assert state(led.path) == before


# -- export ----------------------------------------------------------------------------------
def test_export_neutralises_formulas(led: Ledger, tmp_path: Path) -> None:
    cb = Codebook.load(STARTER_CODEBOOK)
    led.code("s1", "trust", "=cmd|' /C calc'!A0")
    led.code("s2", "harm", "ana")
    led.code("gone", "harm", "ana")
    segments = pd.DataFrame({"segment_id": ["s1", "s2"], "source_id": ["a.txt", "b.txt"],
                             "speaker": ["@Dana", "Lee"], "text": ["+1 to that", "-- fine\x01 really"]})
    csv_df = pd.read_csv(led.export_codings(tmp_path / "c.csv", segments=segments, codebook=cb), encoding="utf-8-sig")
    assert csv_df["coder"].tolist()[0] == "'=cmd|' /C calc'!A0" and csv_df["speaker"].tolist()[:2] == ["'@Dana", "Lee"]
    assert csv_df["text"].tolist()[0] == "'+1 to that" and csv_df["code_path"].tolist()[0] == "relational/trust"
    assert pd.isna(csv_df["text"].tolist()[2])  # an orphan without segment text is still exported
    wb = openpyxl.load_workbook(led.export_codings(tmp_path / "c.xlsx", segments=segments, codebook=cb))
    cells = [c for row in wb["codings"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    values = [c.value for c in cells]
    assert "'=cmd|' /C calc'!A0" in values and "'-- fine really" in values
    with pytest.raises(LedgerError, match="must be .csv or .xlsx"):
        led.export_codings(tmp_path / "c.json")


# -- real concurrent processes ---------------------------------------------------------------
def _writer(path: str, worker: int, n: int, start: "mp.synchronize.Event") -> None:
    ledger = Ledger(path)
    start.wait()
    coder = f"coder{worker}"
    for i in range(n):
        ledger.code(f"s{worker}-{i}", "trust", coder)
        ledger.code("shared", "trust", coder)
        if i % 5 == 0:
            ledger.memo(f"memo {worker}-{i}", coder, segment_id=f"s{worker}-{i}")
            ledger.add_suggestions(sugg((f"m{worker}-{i}", "harm", 0.5)))


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path, k, n = tmp_path / "ledger.sqlite", 4, 40
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(path), w, n, start)) for w in range(k)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every process open the (new) file and wait at the barrier
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join(60)
    elapsed = time.perf_counter() - t0
    assert [p.exitcode for p in procs] == [0] * k  # a "database is locked" error would exit 1
    with Ledger(path) as led:
        codings, memos = led.codings(), led.memos()
        assert len(codings) == k * n + k and (codings.segment_id == "shared").sum() == k
        assert len(memos) == k * ((n + 4) // 5) and len(led.suggestions()) == k * ((n + 4) // 5)
        assert led.integrity_check() == "ok"
        print(f"\nconcurrency: {k} processes x {n} codings (+ memos, suggestions): {len(led.history())} events "
              f"in {elapsed:.1f} s, 0 lost, 0 lock errors")


# -- kill -9 ---------------------------------------------------------------------------------
CRASH_WRITER = textwrap.dedent("""
    import sqlite3, sys
    from cop_analysis.ledger import Ledger
    led, run = Ledger(sys.argv[1]), int(sys.argv[2])
    with sqlite3.connect(sys.argv[1]) as conn:  # plain read: no pandas import, fast start
        sugg = [r[0] for r in conn.execute("SELECT suggestion_id FROM suggestions WHERE status = 'suggested'")]
    print("ready", flush=True)
    i = 0
    while True:
        print(led.code(f"r{run}-{i}", "trust", "w"), flush=True)
        if sugg and i % 3 == 0:
            print(led.accept(int(sugg.pop()), "w"), flush=True)
        if i % 4 == 0:
            print(led.memo("note " * 50, "w", segment_id=f"r{run}-{i}"), flush=True)
        i += 1
""")


def test_kill_dash_nine_loses_at_most_the_action_in_flight(tmp_path: Path) -> None:
    path, kills = tmp_path / "ledger.sqlite", 20
    rng = random.Random(20)
    with Ledger(path) as led:
        led.add_suggestions(sugg(*[(f"x{i}", "harm", 0.5) for i in range(400)]))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    acknowledged, in_flight_committed = 0, 0
    for run in range(kills):
        with sqlite3.connect(path) as conn:
            last = conn.execute("SELECT MAX(event_id) FROM events").fetchone()[0]
        proc = subprocess.Popen([sys.executable, "-c", CRASH_WRITER, str(path), str(run)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        acked = [int(line) for line in proc.stdout.read().split()]
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        with sqlite3.connect(path) as conn:
            committed = [r[0] for r in conn.execute("SELECT event_id FROM events WHERE event_id > ?", (last,))]
        assert set(acked) <= set(committed)  # no acknowledged action is lost
        assert len(committed) - len(acked) <= 1  # at most the action in flight committed unacknowledged
        acknowledged += len(acked)
        in_flight_committed += len(committed) - len(acked)
    with Ledger(path) as led:
        assert led.integrity_check() == "ok"
        hist, codings = led.history(), led.codings()
        n_code = int(((hist.action == "code") & hist.effective).sum())
        n_accept = int(((hist.action == "accept") & hist.effective).sum())
        assert len(codings) == n_code + n_accept
        assert len(led.suggestions(status="accepted")) == n_accept  # accept = coding + status, atomically
        assert set(led.suggestions(status="accepted")["segment_id"]) == set(codings.query("code_id == 'harm'").segment_id)
        assert len(led.memos()) == int((hist.action == "memo").sum())
        before = state(path)
        led.rebuild()
        assert state(path) == before
        print(f"\nkill -9: {kills} kills, {acknowledged} acknowledged actions all present, "
              f"{in_flight_committed} in-flight actions committed without acknowledgement, "
              f"{len(codings)} codings == {n_code} code + {n_accept} accept events, integrity ok")


def test_a_memo_keeps_the_time_it_was_made_elsewhere(led: Ledger) -> None:
    old = led.memo("Written in NVivo.", "ana", segment_id="s1", created_at="2020-01-02T05:04:05+02:00")
    led.memo("Written now.", "ana")
    times = led.memos().set_index("memo_id")["created_at"]
    assert times[old] == pd.Timestamp("2020-01-02T03:04:05Z")
    assert times.drop(old).iloc[0] > pd.Timestamp("2026-01-01T00:00:00Z")  # now
    assert led.memos().set_index("memo_id").at[old, "updated_at"] > pd.Timestamp("2026-01-01T00:00:00Z")
    led.rebuild()
    assert led.memos().set_index("memo_id")["created_at"].equals(times)
    led.delete_memo(old, "ana")
    led.undo("ana")  # the delete undone: the memo is back with its original time
    assert led.memos().set_index("memo_id").at[old, "created_at"] == times[old]
    again = led.memo("Written in ATLAS.ti.", "ben", created_at="2021-05-06T07:08:09Z")
    led.undo("ben")
    led.redo("ben")  # the memo is back, same id, with the time it was written elsewhere
    assert led.memos().set_index("memo_id").at[again, "created_at"] == pd.Timestamp("2021-05-06T07:08:09Z")
    with pytest.raises(LedgerError, match="ISO 8601"):
        led.memo("Bad time.", "ana", created_at="yesterday")
    assert "Bad time." not in set(led.memos()["text"])
