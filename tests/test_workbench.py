"""The coding workbench: widget clicks go straight to a real SQLite ledger; filters, progress, reopening."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import workbench_project
from workbench_project import make_project

import cop_analysis.autocode as autocode
from cop_analysis.config import ProjectConfig
from cop_analysis.ledger import Ledger
from cop_analysis.workbench import CodingSession, CodingWorkbench, Filters, find_project_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def ledger(root: Path) -> Ledger:
    """A fresh Ledger connection, as another process would open it."""
    return Ledger(ProjectConfig.load(root).ledger_path)


def turn_of(wb: CodingWorkbench, speaker: str, contains: str) -> str:
    units = wb.session.units
    hit = units[(units["speaker"] == speaker) & units["text"].str.contains(contains, regex=False)]
    return str(hit.index[0])


def test_click_codes_and_uncodes_at_once(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = turn_of(wb, "Maya", "I trust")
    wb.session.goto(sid)
    wb.render()
    wb.code_buttons["trust"].click()
    rows = ledger(project).codings()
    assert rows[["segment_id", "code_id", "coder"]].values.tolist() == [[sid, "trust", "ana"]]
    assert rows["span_start"].isna().all()
    assert wb.code_buttons["trust"].style.button_color == "#1F77B4"
    assert wb.code_buttons["trust"].icon == "check"
    assert wb.code_buttons["harm"].icon == ""
    assert "Trust" in wb.coded_html.value
    wb.code_buttons["trust"].click()
    assert ledger(project).codings().empty
    assert wb.code_buttons["trust"].icon == ""
    assert wb.status.value == ""


def test_no_coder_refuses_then_typing_a_name_enables(project: Path) -> None:
    wb = CodingWorkbench(project)
    wb.code_buttons["harm"].click()
    assert "choose a coder" in wb.status.value
    assert ledger(project).codings().empty
    wb.coder.value = "  ben "
    assert wb.session.coder == "ben"
    assert "ben" in ledger(project).coders()
    wb.code_buttons["harm"].click()
    assert ledger(project).codings()["coder"].tolist() == ["ben"]
    assert wb.status.value == ""


def test_narrow_coding_to_a_sentence(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = turn_of(wb, "Maya", "I trust")
    wb.session.goto(sid)
    wb.render()
    labels = [label for label, _ in wb.sentence.options]
    assert labels[0] == "whole turn" and len(labels) == 3
    wb.sentence.value = 2
    second = wb.scope
    assert "<mark>We finally named the harm in the hiring process.</mark>" in wb.context_html.value
    wb.code_buttons["harm"].click()
    row = ledger(project).codings().iloc[0]
    assert (row["segment_id"], row["code_id"], int(row["span_start"]), int(row["span_end"])) == (sid, "harm", *second)
    seg = wb.session.sentences(sid).iloc[1]
    assert (int(seg["start"]), int(seg["end"])) == second
    assert wb.code_buttons["harm"].icon == "check"
    wb.sentence.value = 0  # back to the whole turn: harm is not applied to the whole turn
    assert wb.code_buttons["harm"].icon == ""
    assert "We finally named the harm" in wb.coded_html.value  # the sentence coding is listed
    assert wb.session.progress()[0] == 1
    wb.sentence.value = 1
    wb.next_btn.click()  # a new unit starts with the whole unit selected
    assert wb.scope is None and wb.sentence.value == 0 and len(wb.sentence.options) == 2


def test_code_a_range_of_sentences(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = turn_of(wb, "Maya", "I trust")
    wb.session.goto(sid)
    wb.render()
    first, second = [(int(a), int(b)) for a, b in wb.session.sentences(sid)[["start", "end"]].to_numpy()]
    assert wb.sentence_to.layout.display == "none"  # the whole turn: no range to choose
    wb.sentence.value = 1
    assert wb.sentence_to.layout.display == "" and wb.sentence_to.value == 1 and wb.scope == first
    assert [v for _, v in wb.sentence_to.options] == [1, 2]  # a range never runs back
    wb.sentence_to.value = 2  # sentences 1 to 2: one sub-span coding from 1's start to 2's end
    assert wb.scope == (first[0], second[1])
    assert "<mark>I trust the group more now. We finally named the harm in the hiring process.</mark>" \
        in wb.context_html.value
    wb.code_buttons["power"].click()
    rows = ledger(project).codings()
    assert rows[["code_id", "span_start", "span_end"]].values.tolist() == [["power", first[0], second[1]]]
    assert wb.code_buttons["power"].icon == "check"
    wb.sentence.value = 2  # a new first sentence starts a new choice: that sentence alone
    assert wb.sentence_to.value == 2 and wb.scope == second and wb.code_buttons["power"].icon == ""
    wb.code_buttons["harm"].click()
    wb.sentence.value = 0  # the whole turn shows both sub-span codings, the range in full
    value = wb.context_html.value
    assert "title='Power &amp; positionality'>I trust the group more now. </mark>" in value  # the range, in full ...
    assert "border-top:3px solid #D62728' title='Power &amp; positionality, Harm'>We finally named the harm in the" \
        " hiring process.</mark>" in value  # ... and the sentence in it: both colours, both names
    assert "Power" in wb.coded_html.value
    wb.select_span(1, 2)  # single-sentence codings still work alongside, and undo takes the range back
    wb.code_buttons["power"].click()
    assert ledger(project).codings()["code_id"].tolist() == ["harm"]
    wb.undo_btn.click()
    assert wb.status.value == "Undid: uncode Power &amp; positionality"
    got = ledger(project).codings().sort_values("code_id")
    assert got[["code_id", "span_start", "span_end"]].values.tolist() == [
        ["harm", *second], ["power", first[0], second[1]]]
    wb.retrieve_code.value = "power"  # a range coding found by retrieval is selected again on Go
    wb.retrieval.selected_index = 0
    wb.sentence.value = 0
    wb.retrieve_box.children[1].children[0].click()
    assert (wb.sentence.value, wb.sentence_to.value, wb.scope) == (1, 2, (first[0], second[1]))
    wb.next_btn.click()  # a new unit: the whole unit again
    assert wb.scope is None and wb.sentence_to.layout.display == "none"


def test_filters_and_progress(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    assert wb.session.progress() == (0, 9)
    assert wb.progress_label.value.startswith("0 / 9")
    wb.source.value = "transcripts/interview_a.txt"
    assert len(wb.session.order) == 5
    wb.speaker.value = "Maya"
    assert [wb.session.units.loc[s, "speaker"] for s in wb.session.order] == ["Maya", "Maya"]
    wb.code_buttons["ownership"].click()
    assert wb.session.progress() == (1, 2)
    assert (wb.progress.value, wb.progress.max) == (1, 2)
    wb.source.value = ""
    wb.speaker.value = ""
    wb.wave.value = "2025"
    assert len(wb.session.order) == 2
    wb.wave.value = ""
    wb.code_filter.value = "ownership"
    assert len(wb.session.order) == 1
    wb.code_filter.value = ""
    wb.uncoded.value = True
    assert len(wb.session.order) == 8
    wb.uncoded.value = False
    wb.has_suggestion.value = True
    assert wb.session.order == [] and "No segments match" in wb.position.value
    wb.code_buttons["trust"].click()  # nothing selected: refused, nothing written
    assert len(ledger(project).codings()) == 1
    wb.session.goto(turn_of(wb, "Sam", "Senior"))  # a unit outside the filters clears them, widgets follow
    wb.render()
    assert wb.has_suggestion.value is False and len(wb.session.order) == 9


def test_reopening_shows_saved_state(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = turn_of(wb, "Sam", "Senior staff")
    wb.session.goto(sid)
    wb.render()
    wb.code_buttons["power"].click()
    wb.code_buttons["pressure"].click()
    wb.memo_text.value = "Consulted, not partners: compare with wave 1."
    wb.add_memo.click()
    del wb
    again = CodingWorkbench(project, coder="ana")
    again.session.goto(sid)
    again.render()
    on = {c for c, b in again.code_buttons.items() if b.icon == "check"}
    assert on == {"power", "pressure"}
    assert again.code_buttons["power"].style.button_color == "#FFD700"
    assert again.code_buttons["power"].style.text_color == "#111111"  # dark text on a light colour
    assert again.code_buttons["pressure"].style.text_color == "#ffffff"
    assert "compare with wave 1" in again.memos_html.value
    other = CodingWorkbench(project, coder="ben")  # another coder's view is independent
    other.session.goto(sid)
    other.render()
    assert not any(b.icon == "check" for b in other.code_buttons.values())


def test_segment_text_is_escaped(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.session.goto(turn_of(wb, "Jordan", "rushed"))
    wb.render()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in wb.context_html.value
    assert "<script>" not in wb.context_html.value
    wb.memo_text.value = "<img src=x onerror=alert(1)>"
    wb.add_memo.click()
    assert "<img" not in wb.memos_html.value and "&lt;img" in wb.memos_html.value
    wb.sentence.value = 2
    assert "<script>" not in wb.context_html.value


def test_context_shows_neighbouring_turns_of_the_same_source(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana", context=2)
    wb.session.goto(turn_of(wb, "Maya", "People owned"))
    before, after = wb.session.context()
    assert before["text"].str[:5].tolist() == ["I tru", "What "]
    assert after["speaker"].tolist() == ["Jordan"]
    wb.render()
    value = wb.context_html.value
    assert value.index("What changed?") < value.index("People owned") < value.index("I still feel rushed")
    assert "Tell me about power" not in value  # another source
    wb.session.goto(turn_of(wb, "Facilitator", "Tell me about power"))
    assert wb.session.context()[0].empty


def test_suggestions_accept_and_reject(project: Path) -> None:
    led = ledger(project)
    wb = CodingWorkbench(project, coder="ana")
    sid, other = turn_of(wb, "Maya", "I trust"), turn_of(wb, "Jordan", "rushed")
    led.add_suggestions(pd.DataFrame({
        "segment_id": [sid, sid, other], "code_id": ["trust", "harm", "pressure"], "score": [0.91, 0.42, 0.77],
        "method": ["rules"] * 3, "evidence": ["matched: trust", "matched: harm", "closest example: timeline"],
        "model": ["test"] * 3, "codebook_version": ["v1"] * 3}))
    wb.session.refresh()
    wb.has_suggestion.value = True
    assert set(wb.session.order) == {sid, other}
    wb.session.goto(sid)
    wb.render()
    rows = wb.suggestions_box.children[1:]
    assert "Trust" in rows[0].children[0].value and "0.91" in rows[0].children[0].value
    assert "matched: trust" in rows[0].children[3].value  # the evidence: on its own line under the chip
    rows[0].children[1].click()  # accept trust
    rows = wb.suggestions_box.children[1:]
    assert len(rows) == 1 and "Harm" in rows[0].children[0].value
    rows[0].children[2].click()  # reject harm
    assert wb.suggestions_box.children == ()
    wb.session.goto(other)
    wb.render()
    assert len(wb.suggestions_box.children) == 2
    wb.code_buttons["pressure"].click()  # coding it by hand hides the suggestion (it stays pending)
    assert wb.suggestions_box.children == ()
    wb.session.goto(sid)
    fresh = ledger(project)
    status = fresh.suggestions().set_index("code_id")
    assert status.loc["trust", "status"] == "accepted" and status.loc["trust", "decided_by"] == "ana"
    assert status.loc["harm", "status"] == "rejected" and status.loc["pressure", "status"] == "suggested"
    assert fresh.codings()[["segment_id", "code_id", "coder"]].values.tolist() == [
        [sid, "trust", "ana"], [other, "pressure", "ana"]]
    wb.render()
    assert wb.code_buttons["trust"].icon == "check"
    wb.has_suggestion.value = False
    wb.has_suggestion.value = True  # only units with suggestions this coder has not dealt with
    assert wb.session.order == []


def test_memo_and_undo(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = wb.session.current_id
    wb.add_memo.click()
    assert "empty" in wb.note.value and wb.status.value == ""  # next to the memo box, a screen below the top
    wb.memo_text.value = "Check the tone here."
    wb.add_memo.click()
    memos = ledger(project).memos()
    assert memos[["coder", "segment_id", "text"]].values.tolist() == [["ana", sid, "Check the tone here."]]
    assert wb.memo_text.value == ""
    wb.code_buttons["trust"].click()
    wb.code_buttons["harm"].click()
    wb.next_btn.click()  # undo brings the coder back to the unit it changed
    wb.undo_btn.click()
    assert wb.status.value == "Undid: code Harm" and wb.session.current_id == sid
    assert ledger(project).codings()["code_id"].tolist() == ["trust"]
    assert wb.code_buttons["harm"].icon == "" and wb.code_buttons["trust"].icon == "check"
    wb.code_buttons["trust"].click()  # uncode, then undo the uncode: trust is back
    wb.undo_btn.click()
    assert ledger(project).codings()["code_id"].tolist() == ["trust"]


def test_edit_and_delete_own_memos_with_their_time(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cop_analysis.workbench import memo_time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time as _time
    _time.tzset()
    try:
        year = pd.Timestamp.now().year
        assert memo_time(pd.Timestamp(f"{year}-01-15T13:05:00Z")) == "15 Jan 14:05"  # local time, short
        assert memo_time(pd.Timestamp("2020-07-04T08:00:00Z")) == "4 Jul 2020 10:00"  # summer time; another year
        assert memo_time(pd.Timestamp(f"{year}-01-05T13:05:00Z"), pd.Timestamp(f"{year}-01-05T15:00:00Z")) == \
            "5 Jan 14:05, edited 5 Jan 16:00"
    finally:
        monkeypatch.delenv("TZ")
        _time.tzset()
    ledger(project).memo("ben's note", "ben", segment_id=None)
    wb = CodingWorkbench(project, coder="ana")
    sid = wb.session.current_id
    ledger(project).memo("Ben was here.", "ben", segment_id=sid)
    wb.memo_text.value = "First thought."
    wb.add_memo.click()
    memo_id = int(ledger(project).memos().query("coder == 'ana'")["memo_id"].iloc[0])
    assert list(wb.memo_buttons) == [memo_id]  # buttons for ana's own memo only, not ben's
    assert "&#128221;" not in wb.memos_html.value and "cop-wb-memo-tag" in wb.memos_html.value
    created = ledger(project).memos().set_index("memo_id").loc[memo_id, "created_at"]
    assert memo_time(created) in wb.memos_html.value  # each memo shows its time
    edit, delete = wb.memo_buttons[memo_id]
    assert (edit.description, delete.description, delete.icon) == ("Edit memo", "Delete memo", "trash")
    edit.click()  # the text goes into the memo box; Add memo becomes Save memo
    assert wb.memo_text.value == "First thought." and wb.add_memo.description == "Save memo"
    assert wb.cancel_edit.layout.display == ""
    wb.memo_text.value = "Second thought."
    wb.add_memo.click()
    memos = ledger(project).memos().set_index("memo_id")
    assert memos.loc[memo_id, "text"] == "Second thought." and len(memos) == 3
    assert wb.add_memo.description == "Add memo" and wb.memo_text.value == ""
    assert "Second thought." in wb.memos_html.value
    wb.undo_btn.click()
    assert wb.status.value == "Undid: edit memo" and "First thought." in wb.memos_html.value
    wb.redo_btn.click()
    wb.memo_buttons[memo_id][1].click()  # delete
    assert memo_id not in set(ledger(project).memos()["memo_id"]) and "Second thought" not in wb.memos_html.value
    assert wb.memo_buttons == {} and "Undo brings it back" in wb.note.value
    assert "Ben was here." in wb.memos_html.value  # another coder's memo stays
    wb.undo_btn.click()  # the memo is back as it was: same id, text and time
    back = ledger(project).memos().set_index("memo_id").loc[memo_id]
    assert wb.status.value == "Undid: delete memo" and back["text"] == "Second thought."
    assert back["created_at"] == created and list(wb.memo_buttons) == [memo_id]
    ben = int(ledger(project).memos().query("coder == 'ben' and segment_id == @sid")["memo_id"].iloc[0])
    with pytest.raises(Exception, match="only your own memos"):
        wb.session.delete_memo(ben)
    wb.memo_buttons[memo_id][0].click()  # editing, then Cancel: nothing changes
    wb.memo_text.value = "never saved"
    wb.cancel_edit.click()
    assert wb.memo_text.value == "" and wb.add_memo.description == "Add memo"
    assert ledger(project).memos().set_index("memo_id").loc[memo_id, "text"] == "Second thought."
    wb.memo_buttons[memo_id][0].click()
    wb.memo_text.value = "  "
    wb.add_memo.click()
    assert "empty" in wb.note.value
    led = ledger(project)
    before = led.memos()
    led.rebuild()
    assert led.memos().equals(before)


def test_layout_puts_navigation_on_top_and_codes_beside_the_text(project: Path) -> None:
    wb = CodingWorkbench(project)
    parts = list(wb.widget.children)
    assert parts.index(wb.actions_box) < parts.index(wb.main_box)  # nav, position and messages first
    assert list(wb.actions_box.children[:3]) == [wb.nav_box, wb.position, wb.status]
    assert list(wb.main_box.children) == [wb.reading_box, wb.coding_box]  # the codes right of the text ...
    assert wb.main_box.layout.flex_flow == "row wrap"  # ... or under it on a narrow screen
    assert wb.codes_box in wb.coding_box.children and wb.sentence in wb.coding_box.children
    assert wb.reading_box.layout.height and "cop-wb-reading" in wb.reading_box._dom_classes  # its own scroll
    assert all(b.disabled and b.tooltip.startswith("choose a coder first") for b in wb.code_buttons.values())
    assert wb.no_code_btn.disabled
    wb.coder.value = "ana"
    assert not any(b.disabled for b in wb.code_buttons.values())
    assert wb.code_buttons["trust"].tooltip == "trust: Confidence in others. (key 1)"


def test_undo_then_redo_walks_back_and_forward(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    assert wb.undo_btn.disabled and wb.redo_btn.disabled  # nothing done yet
    assert wb.redo_btn.icon == "repeat" and wb.redo_btn in wb.nav_box.children
    sid = wb.session.current_id
    wb.code_buttons["trust"].click()
    wb.code_buttons["harm"].click()
    assert not wb.undo_btn.disabled and wb.redo_btn.disabled
    wb.next_btn.click()
    second = wb.session.current_id
    wb.memo_text.value = "Compare with the first turn."
    wb.add_memo.click()
    for expected in ("memo", "code Harm", "code Trust"):
        wb.undo_btn.click()
        assert wb.status.value == f"Undid: {expected}"
    assert ledger(project).codings().empty and ledger(project).memos().empty
    assert wb.undo_btn.disabled and not wb.redo_btn.disabled
    wb.redo_btn.click()
    assert wb.status.value == "Redid: code Trust" and wb.session.current_id == sid
    assert wb.code_buttons["trust"].icon == "check" and wb.code_buttons["harm"].icon == ""
    again = CodingWorkbench(project, coder="ana")  # the redo chain is in the ledger: a reopened panel has it
    assert not again.redo_btn.disabled and not again.undo_btn.disabled
    wb.redo_btn.click()
    assert wb.status.value == "Redid: code Harm" and wb.code_buttons["harm"].icon == "check"
    wb.redo_btn.click()
    assert wb.status.value == "Redid: memo" and wb.session.current_id == second
    assert "Compare with the first turn." in wb.memos_html.value
    assert ledger(project).codings()["code_id"].tolist() == ["trust", "harm"]
    assert wb.redo_btn.disabled
    wb.redo_btn.click()
    assert wb.status.value == "Nothing to redo."
    wb.undo_btn.click()  # Undo, then a new action: the undone memo can no longer be redone
    assert not wb.redo_btn.disabled
    wb.code_buttons["ownership"].click()
    assert wb.redo_btn.disabled and wb.session.redo() is None
    assert ledger(project).memos().empty
    assert [c for c, _ in wb.session.codings(second)] == ["ownership"]


def test_redo_that_no_longer_applies_is_reported(project: Path) -> None:
    wb = CodingWorkbench(project)
    assert wb.undo_btn.disabled and wb.redo_btn.disabled and not wb.session.can_redo()
    with pytest.raises(ValueError, match="choose a coder"):
        wb.session.redo()
    wb.coder.value = "ana"
    sid = wb.session.current_id
    led = ledger(project)
    led.add_suggestions(pd.DataFrame({"segment_id": [sid], "code_id": ["trust"], "score": [0.8], "method": ["rules"]}))
    wb.session.refresh()
    wb.render()
    wb.suggestions_box.children[1].children[1].click()  # accept
    wb.undo_btn.click()
    assert wb.status.value == "Undid: accept Trust" and len(wb.suggestions_box.children) == 2
    led.accept(int(led.suggestions()["suggestion_id"].iloc[0]), "ben")  # ben decides it meanwhile
    wb.redo_btn.click()
    assert "could not redo accept Trust" in wb.status.value and "b00020" in wb.status.value
    sug = ledger(project).suggestions().iloc[0]
    assert (sug["status"], sug["decided_by"]) == ("accepted", "ben")
    assert ledger(project).codings()["coder"].tolist() == ["ben"] and wb.code_buttons["trust"].icon == ""
    assert wb.redo_btn.disabled and wb.undo_btn.disabled


def test_no_code_applies_counts_as_done_and_as_seen(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    first = wb.session.current_id
    wb.no_code_btn.click()
    assert wb.session.index == 1
    assert ledger(project).reviewed()[["segment_id", "coder"]].values.tolist() == [[first, "ana"]]
    assert ledger(project).codings().empty
    assert wb.progress_label.value.startswith("1 / 9")
    wb.uncoded.value = True
    assert first not in wb.session.order and len(wb.session.order) == 8
    wb.undo_btn.click()
    assert wb.status.value == "Undid: no code applies" and ledger(project).reviewed().empty
    assert wb.session.progress() == (0, 8)  # the filtered list is kept until the filters change


def test_navigation(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    s = wb.session
    wb.prev_btn.click()
    assert s.index == 0
    wb.next_btn.click()
    assert s.index == 1 and wb.position.value.startswith("<b>2 / 9</b>")
    wb.code_buttons["trust"].click()
    wb.prev_btn.click()
    wb.next_uncoded_btn.click()
    assert s.index == 2  # skips the coded unit 1
    for _ in range(20):
        wb.next_btn.click()
    assert s.index == 8
    assert (wb.informative_btn is not None) == hasattr(autocode, "next_informative_segments")


def test_session_without_widgets(project: Path) -> None:
    s = CodingSession(project, coder="cy")
    s.apply_filters(Filters(source="surveys/wave1.csv"))
    assert s.units.loc[s.current_id, "unit"] == "response"
    span = (int(s.sentences().iloc[0]["start"]), int(s.sentences().iloc[0]["end"]))
    assert s.toggle("trust", span) is True
    assert s.codes(span) == {"trust"} and s.codes() == set()
    assert s.toggle("trust", span) is False
    with pytest.raises(ValueError, match="not a codable code"):
        s.toggle("nope")
    with pytest.raises(ValueError, match="unknown segment"):
        s.goto("missing")


def test_project_root_found_from_notebooks_folder(project: Path) -> None:
    (project / "notebooks").mkdir()
    assert find_project_root(project / "notebooks") == project.resolve()
    with pytest.raises(FileNotFoundError, match="project.yml"):
        find_project_root(project.parent)


def test_notebook_is_thin_and_parameterised() -> None:
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / "coding_workbench.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "project_dir = None" in code[0].source and "coder = None" in code[0].source
    assert code[1].source.strip().endswith("workbench(project_dir, coder)")
    assert code[2].source.strip().endswith("compare(project_dir)")  # the "Compare coders" panel


@pytest.mark.slow
def test_most_informative_button_moves_to_the_unit_autocode_picks(project: Path) -> None:
    cfg = ProjectConfig.load(project)
    wb = CodingWorkbench(project, coder="ana")
    assert wb.informative_btn is not None and wb.informative_btn.description == "Most informative next"
    expected = autocode.next_informative_segments(cfg, "ana", 3)
    assert len(expected) == 3 and set(expected) <= set(wb.session.units.index)
    wb.session.goto(next(s for s in wb.session.order if s != expected[0]))
    wb.informative_btn.click()
    assert wb.status.value == "" and wb.session.current_id == expected[0]
    assert html.escape(wb.session.units.loc[expected[0], "text"]) in wb.context_html.value
    wb.code_buttons["trust"].click()  # a new human code: the next click refits and skips the coded unit
    wb.informative_btn.click()
    second = wb.session.current_id
    assert wb.status.value == "" and second != expected[0] and second not in wb.session.done()
    assert [second] == autocode.next_informative_segments(cfg, "ana", 1)
    for sid in wb.session.units.index:  # everything done: a click stays on the current unit
        ledger(project).mark_reviewed(sid, "ana")
    assert autocode.next_informative_segments(cfg, "ana", 1) == []
    wb.informative_btn.click()
    assert wb.session.current_id == second


def test_accepting_a_suggestion_another_coder_rejected_still_records_the_coding(project: Path) -> None:
    led = ledger(project)
    wb = CodingWorkbench(project, coder="qa")
    sid = turn_of(wb, "Maya", "I trust")
    led.add_suggestions(pd.DataFrame({"segment_id": [sid], "code_id": ["harm"], "score": [0.8], "method": ["rules"],
                                      "evidence": ['matched: "harm"']}))
    wb.session.refresh()
    wb.session.goto(sid)
    wb.render()
    accept = wb.suggestions_box.children[1].children[1]  # the panel is open; ben rejects meanwhile
    led.reject(int(led.suggestions()["suggestion_id"].iloc[0]), "ben")
    accept.click()
    assert "already rejected by ben" in wb.status.value and "Harm is recorded as your own coding" in wb.status.value
    fresh = ledger(project)
    assert fresh.codings()[["segment_id", "code_id", "coder"]].values.tolist() == [[sid, "harm", "qa"]]
    sug = fresh.suggestions().iloc[0]
    assert (sug["status"], sug["decided_by"]) == ("rejected", "ben")
    assert wb.code_buttons["harm"].icon == "check" and "Harm" in wb.coded_html.value
    assert fresh.rebuild() == int(fresh.history()["effective"].sum())
    assert fresh.codings()[["segment_id", "code_id", "coder"]].values.tolist() == [[sid, "harm", "qa"]]
    wb.undo_btn.click()  # qa's own undo takes the coding back
    assert wb.status.value == "Undid: code Harm" and ledger(project).codings().empty


def test_consensus_and_reserved_names_are_refused_as_coders(project: Path) -> None:
    ledger(project).code(turn_of(CodingWorkbench(project), "Maya", "I trust"), "trust", "consensus")
    ledger(project).add_coder("ana")
    wb = CodingWorkbench(project, coder="ana")
    assert "consensus" in ledger(project).coders() and list(wb.coder.options) == ["ana"]
    for name in ("consensus", " Consensus ", "MACHINE"):
        wb.coder.value = name
        assert "is not a person" in wb.status.value and "Compare coders" in wb.status.value
        assert wb.session.coder == "ana" and wb.coder.value == "ana"
    with pytest.raises(ValueError, match="not a person"):
        CodingWorkbench(project, coder="consensus")
    wb.undo_btn.click()  # ana's undo never touches the adjudication
    assert ledger(project).codings("consensus")["code_id"].tolist() == ["trust"]


def test_coder_names_match_case_insensitively(project: Path) -> None:
    wb = CodingWorkbench(project, coder="qa")
    wb.code_buttons["trust"].click()
    wb.coder.value = "QA"
    assert wb.session.coder == "qa" and wb.coder.value == "qa" and wb.status.value == ""
    assert ledger(project).coders() == ["qa"]
    assert wb.code_buttons["trust"].icon == "check"  # the same coder's work
    assert CodingSession(project, coder=" Qa").coder == "qa"


def test_no_code_applies_shows_a_badge_and_a_code_replaces_it(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    first = wb.session.current_id
    wb.no_code_btn.click()
    wb.prev_btn.click()  # back on the marked unit: the mark is visible
    assert wb.session.current_id == first and "marked: no code applies" in wb.coded_html.value
    n = len(ledger(project).history())
    wb.code_buttons["trust"].click()  # a code replaces the mark, in the same event
    assert len(ledger(project).history()) == n + 1
    assert ledger(project).reviewed().empty and ledger(project).codings()["code_id"].tolist() == ["trust"]
    assert "marked: no code applies" not in wb.coded_html.value and wb.session.progress()[0] == 1
    wb.no_code_btn.click()  # coded: marking "no code applies" is refused
    assert "remove your codes" in wb.status.value and "Trust" in wb.status.value
    assert ledger(project).reviewed().empty and wb.session.current_id == first
    wb.undo_btn.click()  # undoing the code brings the mark back
    assert wb.status.value == "Undid: code Trust" and ledger(project).codings().empty
    assert ledger(project).reviewed()["segment_id"].tolist() == [first]
    assert "marked: no code applies" in wb.coded_html.value


def test_menus_and_messages_use_display_names(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    labels = dict((v, k) for k, v in wb.code_filter.options)
    assert labels["trust"] == "Trust" and labels["pressure"].strip() == "Institutional pressure"
    assert not any("/" in k for k, _ in wb.code_filter.options)
    sources = dict((v, k) for k, v in wb.source.options)
    assert sources["transcripts/interview_a.txt"] == "interview_a" and sources["surveys/wave1.csv"] == "wave1"
    assert [v for _, v in wb.speaker.options] == ["", "Facilitator", "Jordan", "Maya", "Sam"]
    wb.speaker.value = "Sam"
    wb.source.value = "transcripts/interview_a.txt"  # Sam is not in it: the speaker choice is dropped
    assert [v for _, v in wb.speaker.options] == ["", "Facilitator", "Jordan", "Maya"]
    assert wb.speaker.value == "" and len(wb.session.order) == 5 and wb.status.value == ""
    assert "interview_a" in wb.position.value and "transcripts/" not in wb.position.value
    wb.speaker.value = "Maya"
    assert len(wb.session.order) == 2
    wb.source.value = ""
    assert "Sam" in [v for _, v in wb.speaker.options] and wb.speaker.value == "Maya"


def test_suggestion_evidence_shows_matched_words_first_and_buttons_keep_their_width(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = wb.session.current_id
    long = "like human-coded \"" + "x" * 150 + "\" (cos 0.71) | closest example: a timeline (cos 0.50)"
    ledger(project).add_suggestions(pd.DataFrame({
        "segment_id": [sid], "code_id": ["harm"], "score": [0.7], "method": ["combined"],
        "evidence": [long + ' | matched: "repair", "moved on"']}))
    wb.session.refresh()
    wb.render()
    row = wb.suggestions_box.children[1]
    chip, accept, reject, chip_evidence = row.children
    assert "Harm 0.70" in chip.value and "matched" not in chip.value  # the evidence is not squeezed beside it
    assert row.layout.flex_flow == "row wrap" and chip_evidence.layout.flex == "0 0 100%"
    chip = chip_evidence
    shown = chip.value.split("title=", 1)[1].split(">", 1)[1]
    assert "matched: &quot;repair&quot;, &quot;moved on&quot;" in shown  # visible, before the cut
    assert "title='matched: &quot;repair&quot;, &quot;moved on&quot; | like human-coded" in chip.value
    assert "closest example: a timeline (cos 0.50)" in chip.value  # the full evidence is in the tooltip
    assert accept.layout.width == reject.layout.width == "96px" and accept.layout.min_width == "96px"


def test_whole_turn_shows_sentence_codings_in_colour_and_sentences_show_whole_turn_codes(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.session.goto(turn_of(wb, "Maya", "I trust"))
    wb.render()
    wb.sentence.value = 2
    wb.code_buttons["harm"].click()  # harm on sentence 2
    wb.sentence.value = 0
    value = wb.context_html.value
    assert "border-bottom:3px solid #D62728' title='Harm'>We finally named the harm in the hiring process.</mark>" \
        in value and value.count("<mark") == 1
    wb.code_buttons["trust"].click()  # trust on the whole turn
    wb.sentence.value = 1
    assert wb.code_buttons["trust"].icon == "check-square-o" and wb.code_buttons["trust"].style.font_style == "italic"
    assert wb.code_buttons["trust"].tooltip.startswith("Applied to the whole segment.")
    assert wb.code_buttons["harm"].icon == "" and wb.code_buttons["ownership"].icon == ""
    assert wb.context_html.value.count("<mark>") == 1  # only the selection is highlighted then
    wb.sentence.value = 2
    assert wb.code_buttons["harm"].icon == "check" and wb.code_buttons["trust"].icon == "check-square-o"
    wb.sentence.value = 0
    assert wb.code_buttons["trust"].icon == "check" and wb.code_buttons["trust"].style.font_style == "normal"


def test_most_informative_stays_within_the_filters_and_shows_it_is_busy(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wb = CodingWorkbench(project, coder="ana")
    units = wb.session.units
    ranking = list(reversed(units.index))  # the auto-coder's pick overall is in interview_b
    seen: list[tuple[bool, str]] = []

    def ranked(cfg: ProjectConfig, coder: str, n: int = 10) -> list[str]:  # stands in for the slow model
        seen.append((wb.informative_btn.disabled, wb.status.value))
        done = set(ledger(project).codings(coder)["segment_id"]) | set(ledger(project).reviewed(coder)["segment_id"])
        return [sid for sid in ranking if sid not in done][:n]

    monkeypatch.setattr(autocode, "next_informative_segments", ranked)
    btn = wb.informative_btn
    assert btn is not None and btn.layout.width == "auto"  # the whole label shows
    wb.source.value = "transcripts/interview_a.txt"
    wb.speaker.value = "Maya"
    maya = list(wb.session.order)
    btn.click()
    assert seen[-1] == (True, "<i>Finding the most informative segment…</i>")  # busy while ranking
    assert not btn.disabled and btn.icon == "lightbulb-o" and wb.status.value == ""
    best = next(sid for sid in ranking if sid in maya)
    assert wb.session.current_id == best and ranking[0] not in maya  # the filter's best, not the overall best
    assert (wb.source.value, wb.speaker.value) == ("transcripts/interview_a.txt", "Maya")
    assert wb.session.filters.speaker == "Maya" and wb.session.order == maya
    for sid in maya:
        ledger(project).mark_reviewed(sid, "ana")
    wb.session.refresh()
    btn.click()  # nothing left to code in the filter: said so, the filter and position are kept
    assert "No other segment left to code in the current filter" in wb.status.value
    assert wb.session.current_id == best and wb.session.filters.speaker == "Maya"
    assert not btn.disabled
    wb.speaker.value = ""
    wb.source.value = ""
    for sid in units.index:
        ledger(project).mark_reviewed(sid, "ana")
    wb.session.refresh()
    btn.click()
    assert "coded or marked every other segment" in wb.status.value


def state_file(project: Path) -> Path:
    return ProjectConfig.load(project).processed / "workbench_state.json"


def test_position_and_filters_are_remembered_per_coder(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.source.value = "transcripts/interview_a.txt"
    wb.speaker.value = "Maya"
    wb.next_btn.click()
    ana_at = wb.session.current_id
    assert ana_at == turn_of(wb, "Maya", "People owned")
    state = json.loads(state_file(project).read_text())
    assert state["last_coder"] == "ana" and state["coders"]["ana"]["segment_id"] == ana_at
    assert state["coders"]["ana"]["filters"]["speaker"] == "Maya"
    assert not [p.name for p in state_file(project).parent.iterdir() if p.name.startswith(".workbench_state")]
    assert ledger(project).history().empty  # navigation is not a ledger event
    ben = CodingWorkbench(project, coder="ben")  # ben starts fresh, then moves
    assert ben.session.index == 0 and ben.source.value == ""
    ben.wave.value = "2025"
    ben.next_btn.click()
    ben_at = ben.session.current_id

    again = CodingWorkbench(project)  # re-running the cell: the last coder, their filters and position
    assert again.session.coder == "ben" and again.coder.value == "ben"
    assert again.wave.value == "2025" and again.session.current_id == ben_at
    assert again.position.value.startswith("<b>2 / 2</b>")
    again.coder.value = "ana"  # switching coder brings back that coder's place
    assert (again.source.value, again.speaker.value) == ("transcripts/interview_a.txt", "Maya")
    assert again.session.current_id == ana_at and again.status.value == ""
    assert json.loads(state_file(project).read_text())["last_coder"] == "ana"

    state = json.loads(state_file(project).read_text())
    state["coders"]["ana"]["segment_id"] = "gone-since-reingest"
    state["coders"]["ana"]["filters"]["source"] = "transcripts/removed.txt"
    state_file(project).write_text(json.dumps(state))
    reopened = CodingWorkbench(project, coder="ana")  # unknown segment and source are ignored
    assert reopened.source.value == "" and reopened.speaker.value == "Maya"
    assert reopened.session.index == 0 and reopened.status.value == ""
    assert CodingSession(project, coder="ana").filters == Filters()  # the bare session does not restore

    reopened.code_filter.value, reopened.uncoded.value = "trust", True  # ana's own codes and to-do list
    reopened.coder.value = "eva"  # a new coder: the source and speaker filters stay, ana's own ones do not
    assert reopened.session.filters == Filters(speaker="Maya") and reopened.code_filter.value == ""
    assert reopened.uncoded.value is False and reopened.session.order
    assert CodingWorkbench(project, coder="ana", restore=False).session.filters == Filters()


def test_restored_uncoded_filter_opens_at_the_next_unit_to_do(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.uncoded.value = True
    wb.next_btn.click()
    wb.next_btn.click()
    third = wb.session.current_id
    wb.code_buttons["trust"].click()  # coded: the unit stays listed until the filters change
    assert wb.session.current_id == third
    again = CodingWorkbench(project)
    assert again.uncoded.value is True and third not in again.session.order
    assert again.session.current_id == wb.session.order[3] and again.session.index == 2
    state_file(project).write_text("{not json")
    assert CodingWorkbench(project).session.coder is None  # a broken file is ignored


def _save_positions(project: Path, coder: str, times: int, barrier: Any, done: Any) -> None:
    """A second kernel: ``coder`` moves and saves ``times`` times, each save at the same moment as the other
    process's (the barrier); ``done`` gets the position it saved last."""
    session = CodingSession(project, coder=coder)
    for i in range(times):
        session.goto(i % len(session.order))
        barrier.wait(timeout=60)
        assert session.save_state()
    done.put((coder, session.current_id))


def test_two_kernels_saving_at_once_keep_both_coders(project: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, as two notebook kernels
    barrier, done = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_save_positions, args=(project, coder, 150, barrier, done))
               for coder in ("ana", "ben")]
    for proc in workers:
        proc.start()
    last = dict(done.get(timeout=120) for _ in workers)
    for proc in workers:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    state = json.loads(state_file(project).read_text())
    assert set(state["coders"]) == {"ana", "ben"} and state["last_coder"] in last
    assert {c: e["segment_id"] for c, e in state["coders"].items()} == last  # nobody's last save was lost
    assert (state_file(project).parent / "workbench_state.json.lock").exists()
    assert not [p.name for p in state_file(project).parent.iterdir() if p.name.startswith(".workbench_state")]


def test_retrieve_passages_by_code_and_jump_to_them(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    maya, sam = turn_of(wb, "Maya", "I trust"), turn_of(wb, "Sam", "Senior")
    survey = wb.session.units[wb.session.units["respondent_id"] == "R1"].index[0]
    wb.session.goto(maya)
    wb.render()
    wb.code_buttons["trust"].click()
    wb.sentence.value = 2
    wb.code_buttons["harm"].click()
    harm_span = wb.scope
    wb.session.goto(survey)
    wb.render()
    wb.code_buttons["trust"].click()
    ledger(project).code(sam, "trust", "ben")
    assert wb.code_buttons["trust"].description == "1 Trust (2)"  # its key, then the units ana coded with it
    assert wb.code_buttons["harm"].description == "2 Harm (1)" and wb.code_buttons["power"].description.startswith(
        "3 Power") and "(" not in wb.code_buttons["power"].description
    assert "you coded 2 segments" in wb.code_buttons["trust"].tooltip

    assert wb.retrieval.get_title(0) == "Retrieve coded passages" and wb.retrieval in wb.widget.children
    wb.retrieval.selected_index = 0
    wb.retrieve_code.value = "trust"
    head, *rows = wb.retrieve_box.children
    assert "<b>2</b> passages in <b>2</b> segments coded <b>Trust</b> by you" in head.value
    texts = [" ".join(c.value for c in r.children[1:]) for r in rows]  # in the panel's reading order
    assert "Honest check-ins" in texts[0] and "wave1 · Q: What built trust? (R1) · ana" in texts[0]
    assert "I trust the group more now." in texts[1] and "interview_a · Maya · ana" in texts[1]
    wb.retrieve_all.value = True
    head, *rows = wb.retrieve_box.children
    assert "by any coder" in head.value and len(rows) == 3
    assert "Senior staff still decide" in rows[2].children[1].value and "Sam · ben" in rows[2].children[2].value
    wb.speaker.value = "Jordan"
    kept = wb.retrieve_box.children
    rows[2].children[0].click()  # Go: Sam's turn is outside the filter, so the filters are cleared
    assert wb.retrieve_box.children == kept  # the list did not change: its widgets are not rebuilt
    assert wb.session.current_id == sam and wb.speaker.value == ""
    assert wb.status.value == "The filters were cleared to show this passage."
    assert "Senior staff still decide" in wb.context_html.value

    wb.retrieve_code.value = "harm"
    wb.retrieve_all.value = False
    head, row = wb.retrieve_box.children
    assert "We finally named the harm in the hiring process." in row.children[1].value
    assert "(sentence 2)" in row.children[1].value and "I trust" not in row.children[1].value
    row.children[0].click()  # a sentence coding: the jump selects that sentence
    assert wb.session.current_id == maya and wb.scope == harm_span and wb.code_buttons["harm"].icon == "check"
    wb.code_buttons["harm"].click()  # uncoding updates the open list and the count
    assert wb.retrieve_box.children[0].value.startswith("<b>0</b> passages")
    assert wb.code_buttons["harm"].description == "2 Harm"


def test_export_csv_writes_the_retrieved_passages(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    maya, sam = turn_of(wb, "Maya", "I trust"), turn_of(wb, "Sam", "Senior")
    wb.session.goto(maya)
    wb.render()
    wb.code_buttons["trust"].click()  # the whole turn
    wb.sentence.value = 2
    wb.code_buttons["trust"].click()  # and its second sentence
    second = wb.session.sentences(maya).iloc[1]
    ledger(project).code(maya, "trust", "ben")  # the same passage as ana's: one row naming both
    ledger(project).code(sam, "trust", "@lex")  # a name a spreadsheet would take for a formula
    wb.retrieval.selected_index = 0
    assert wb.export_btn.disabled  # no code chosen yet
    wb.retrieve_code.value = "trust"
    assert not wb.export_btn.disabled
    wb.export_btn.click()
    reports = ProjectConfig.load(project).reports
    path = reports / "coded_passages_trust_by_ana.csv"
    assert wb.note.value == f"Exported 2 passages to <code>{html.escape(str(path))}</code>"
    read = (lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    mine = read(path)
    assert list(mine.columns) == ["source_id", "source", "who", "code_id", "code", "coder", "text", "segment_id",
                                  "span_start", "span_end"]
    assert mine[["source_id", "source", "who", "code_id", "code", "coder", "segment_id"]].drop_duplicates(
        ).values.tolist() == [["transcripts/interview_a.txt", "interview_a", "Maya", "trust", "Trust", "ana", maya]]
    assert mine["text"].tolist() == [wb.session.units.loc[maya, "text"], second["text"]]  # reading order
    assert mine[["span_start", "span_end"]].values.tolist() == [["", ""], [str(second["start"]), str(second["end"])]]

    wb.retrieve_all.value = True  # what the list shows for every coder: 3 passages
    assert "<b>3</b> passages" in wb.retrieve_box.children[0].value
    wb.export_btn.click()
    every = read(reports / "coded_passages_trust.csv")
    assert every[["segment_id", "coder"]].values.tolist() == [[maya, "ana, ben"], [maya, "ana"], [sam, "'@lex"]]
    assert every["who"].tolist()[2] == "Sam" and every["text"].tolist()[2].startswith("Senior staff still decide")
    assert "Exported 3 passages" in wb.note.value
    assert sorted(p.name for p in reports.iterdir()) == ["coded_passages_trust.csv", "coded_passages_trust_by_ana.csv"]

    wb.coder.value = "dee"  # a coder with no passages: a message, no file
    wb.retrieve_all.value = False
    wb.export_btn.click()
    assert "no passages coded Trust to export" in wb.note.value
    wb.next_btn.click()  # the next action's message line clears the other one
    assert wb.note.value == ""
    assert not (reports / "coded_passages_trust_by_dee.csv").exists()


def test_retrieved_quotes_are_escaped(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.session.goto(turn_of(wb, "Jordan", "rushed"))
    wb.render()
    wb.code_buttons["pressure"].click()
    wb.retrieval.selected_index = 0
    wb.retrieve_code.value = "pressure"
    row = wb.retrieve_box.children[1]
    assert "<script>" not in row.children[1].value and "&lt;script&gt;" in row.children[1].value


def keydown(key: str, shift: bool = False, tag: str = "DIV", repeat: bool = False, ctrl: bool = False) -> dict:
    """A keydown as ipyevents 2 sends it to the kernel (the browser event's fields and its target's)."""
    return {"altKey": False, "ctrlKey": ctrl, "metaKey": False, "shiftKey": shift, "type": "keydown",
            "timeStamp": 1234.5, "code": f"Key{key.upper()}" if key.isalpha() and len(key) == 1 else key,
            "key": key, "location": 0, "repeat": repeat,
            "target": {"tagName": tag, "id": "", "className": "widget-box widget-vbox cop-wb-keys"},
            "event": "keydown"}


def press(wb: CodingWorkbench, key: str, **kw: Any) -> None:
    """Deliver a keydown the way ipyevents does: a custom comm message to the Event widget."""
    wb.key_events[0]._handle_mouse_msg(None, keydown(key, **kw), [])


def test_keys_code_navigate_undo_and_redo_like_clicks(project: Path) -> None:
    import ipywidgets as w

    wb = CodingWorkbench(project, coder="ana")
    s, sid = wb.session, wb.session.current_id
    zones = [e.source for e in wb.key_events]
    assert zones == [wb.codes_box, wb.review_box, wb.actions_box]  # not the segment text: copying works there
    assert all(e.watched_events == ["keydown"] and e.prevent_default_action for e in wb.key_events)
    assert "Keys" in wb.key_legend.value and wb.key_legend in wb.actions_box.children
    assert [b.description for b in wb.code_buttons.values()] == [
        "1 Trust", "2 Harm", "3 Power & positionality", "4 Ownership", "5 Institutional pressure"]

    def inside(box: Any) -> list[Any]:
        return [box] + [x for c in getattr(box, "children", ()) for x in inside(c)]
    fields = (w.Text, w.Textarea, w.Combobox, w.Dropdown, w.Checkbox)
    assert not [x for z in zones for x in inside(z) if isinstance(x, fields)]  # keys type text there

    press(wb, "1")
    assert ledger(project).codings()[["segment_id", "code_id", "coder"]].values.tolist() == [[sid, "trust", "ana"]]
    assert wb.code_buttons["trust"].icon == "check" and wb.code_buttons["trust"].description == "1 Trust (1)"
    press(wb, "2")
    assert ledger(project).codings()["code_id"].tolist() == ["trust", "harm"]
    press(wb, "j")  # undo brings the coder back, as the button does
    assert s.index == 1 and wb.position.value.startswith("<b>2 / 9</b>")
    press(wb, "u")
    assert wb.status.value == "Undid: code Harm" and s.current_id == sid
    assert ledger(project).codings()["code_id"].tolist() == ["trust"]
    press(wb, "U", shift=True)  # Shift+U: redo
    assert wb.status.value == "Redid: code Harm"
    assert ledger(project).codings()["code_id"].tolist() == ["trust", "harm"]
    press(wb, "u")
    press(wb, "r")  # r: redo too
    assert wb.status.value == "Redid: code Harm"
    press(wb, "1")  # a digit toggles: trust is removed
    assert ledger(project).codings()["code_id"].tolist() == ["harm"] and wb.code_buttons["trust"].icon == ""
    press(wb, "u")
    assert wb.status.value == "Undid: uncode Trust"
    assert sorted(ledger(project).codings()["code_id"]) == ["harm", "trust"]

    press(wb, "ArrowDown")
    press(wb, "ArrowDown")
    assert s.index == 2 and wb.position.value.startswith("<b>3 / 9</b>")
    press(wb, "k")
    press(wb, "ArrowUp")
    assert s.index == 0
    press(wb, "j")
    unit = s.current_id
    press(wb, "n")  # no code applies, then the next segment
    assert unit in set(ledger(project).reviewed("ana")["segment_id"]) and s.index == 2
    press(wb, "u")
    assert wb.status.value == "Undid: no code applies" and s.current_id == unit
    assert unit not in set(ledger(project).reviewed("ana")["segment_id"])
    before = len(ledger(project).history())
    for key in ("9", "0", "q", "Enter", "Tab"):  # no 9th code; no shortcut
        press(wb, key)
    assert len(ledger(project).history()) == before and s.current_id == unit


def test_keys_are_ignored_in_text_fields_with_modifiers_and_when_held(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    s = wb.session
    for tag in ("TEXTAREA", "INPUT", "SELECT", "textarea"):
        press(wb, "1", tag=tag)
        press(wb, "j", tag=tag)
    press(wb, "1", ctrl=True)  # Ctrl+1 is the browser's, not a code
    press(wb, "1", repeat=True)  # a held-down digit would toggle the code on and off
    wb.key_events[0]._handle_mouse_msg(None, {**keydown("1"), "type": "keyup", "event": "keyup"}, [])
    assert ledger(project).codings().empty and s.index == 0 and wb.status.value == ""
    press(wb, "j", repeat=True)  # a held-down j keeps moving
    assert s.index == 1
    fresh = CodingWorkbench(project, restore=False)  # no coder: the key is refused like the click, same message
    press(fresh, "1")
    assert "choose a coder" in fresh.status.value and ledger(project).codings().empty


def test_keys_accept_and_reject_the_first_suggestion(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid = turn_of(wb, "Maya", "I trust")
    ledger(project).add_suggestions(pd.DataFrame({
        "segment_id": [sid, sid], "code_id": ["trust", "harm"], "score": [0.91, 0.42], "method": ["rules"] * 2,
        "evidence": ["matched: trust", "matched: harm"]}))
    wb.session.refresh()
    wb.session.goto(sid)
    wb.render()
    press(wb, "a")  # the best suggestion (listed first): trust
    status = ledger(project).suggestions().set_index("code_id")
    assert status.loc["trust", "status"] == "accepted" and status.loc["trust", "decided_by"] == "ana"
    assert ledger(project).codings()[["segment_id", "code_id"]].values.tolist() == [[sid, "trust"]]
    press(wb, "x")  # now harm is first
    assert ledger(project).suggestions().set_index("code_id").loc["harm", "status"] == "rejected"
    assert wb.suggestions_box.children == ()
    press(wb, "a")
    assert wb.status.value == "No machine suggestion on this segment."
    press(wb, "u")  # undo the reject: harm is pending again
    assert ledger(project).suggestions().set_index("code_id").loc["harm", "status"] == "suggested"
    assert len(wb.suggestions_box.children) == 2


@pytest.fixture
def survey_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two respondents' answers stored question by question (a respondent's neighbours are other people)."""
    monkeypatch.setattr(workbench_project, "SURVEY", ("surveys/wave1.csv", "1", [
        ("R1", "Q1", "What built trust?", "Honest check-ins."),
        ("R2", "Q1", "What built trust?", "Being paid for our time."),
        ("R1", "Q2", "What got in the way?", "Deadlines from the county."),
        ("R2", "Q2", "What got in the way?", "Nobody answered our emails."),
        ("R1", "Q3", "Anything else?", "I would do it again."),
    ]))
    return make_project(tmp_path / "survey")


def test_survey_context_shows_the_same_respondent_or_the_same_question(survey_project: Path) -> None:
    wb = CodingWorkbench(survey_project, coder="ana")
    wb.session.goto(turn_of(wb, "Maya", "I trust"))
    wb.render()
    assert wb.survey_context.layout.display == "none"  # a transcript turn: no survey toggle
    units = wb.session.units
    r1q2 = units[(units["respondent_id"] == "R1") & (units["question_id"] == "Q2")].index[0]
    wb.session.goto(r1q2)
    wb.render()
    assert wb.survey_context.layout.display == "" and wb.survey_context.value == "respondent"
    before, after = wb.session.context()
    assert before["text"].tolist() == ["Honest check-ins."] and after["text"].tolist() == ["I would do it again."]
    value = wb.context_html.value
    assert value.index("Q: What built trust? (R1)") < value.index("Deadlines from the county") \
        < value.index("Q: Anything else? (R1)")
    assert "Being paid" not in value and "Nobody answered" not in value  # R2's answers
    wb.survey_context.value = "question"  # other respondents' answers to the same question
    value = wb.context_html.value
    assert "Nobody answered our emails." in value and "(R2)" in value
    assert "Honest check-ins" not in value and "I would do it again" not in value
    assert json.loads(state_file(survey_project).read_text())["coders"]["ana"]["survey_context"] == "question"
    assert CodingWorkbench(survey_project, coder="ana").survey_context.value == "question"


def test_a_new_segment_gets_a_fresh_segment_box_and_go_marks_any_coders_passage(project: Path) -> None:
    """The segment box is a new widget for every segment (the browser opens it at its top, not where the last
    one was scrolled to); on Go the retrieved passage is marked in its code's colour, whoever coded it."""
    wb = CodingWorkbench(project, coder="ana")
    maya = turn_of(wb, "Maya", "I trust")
    wb.session.goto(maya)
    wb.render()
    box = wb.context_html
    assert wb.reading_box.children == (wb.survey_context, box) and "cop-wb-scroll" in box._dom_classes
    wb.sentence.value = 2  # the same segment: the box (and its scroll position) stays
    wb.code_buttons["harm"].click()
    assert wb.context_html is box
    wb.next_btn.click()
    assert wb.context_html is not box and wb.reading_box.children[1] is wb.context_html
    assert box.comm is None  # the old one is closed, not left in the kernel
    span = wb.session.sentences(maya)[["start", "end"]].to_numpy()[0]
    part = (int(span[0]) + 2, int(span[0]) + 7)  # "trust" inside the first sentence: no sentence boundary
    ledger(project).code(maya, "trust", "ben", span=part)
    wb.retrieval.selected_index = 0
    wb.retrieve_code.value = "trust"
    wb.retrieve_all.value = True
    head, row = wb.retrieve_box.children
    assert "(part of a sentence)" in row.children[1].value and "Maya · ben" in row.children[2].value
    before = wb.context_html
    row.children[0].click()  # Go
    assert wb.session.current_id == maya and wb.context_html is not before and wb.scope is None
    assert "title='retrieved: Trust (ben)'>trust</mark>" in wb.context_html.value
    assert "#1F77B4" in wb.context_html.value  # Trust's colour
    row.children[0].click()  # Go again on the segment shown: a fresh box all the same (back to its top)
    assert wb.session.current_id == maya and "retrieved: Trust (ben)" in wb.context_html.value
    wb.next_btn.click()
    wb.prev_btn.click()  # once one leaves the segment, the mark goes
    assert "retrieved:" not in wb.context_html.value
    ledger(project).code(maya, "harm", "ben")  # a whole-segment coding: Go marks the whole text
    wb.retrieve_code.value = "harm"
    whole = next(r for r in wb.retrieve_box.children[1:] if "Maya · ben" in r.children[2].value)
    whole.children[0].click()
    assert "title='retrieved: Harm (ben)'>" in wb.context_html.value
    wb.sentence.value = 2  # a sentence chosen inside the retrieved passage keeps the selection's own colour
    chosen = re.search(r"<mark([^>]*)>We finally named", wb.context_html.value).group(1)
    assert "background:" not in chosen and "retrieved: Harm (ben)" in chosen


def test_retrieval_labels_ranges_shows_long_passages_and_merges_coders(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    maya = turn_of(wb, "Maya", "I trust")
    jordan = turn_of(wb, "Jordan", "rushed")
    (a, _), (_, b) = wb.session.sentences(maya)[["start", "end"]].to_numpy()
    led = ledger(project)
    for coder in ("ana", "ben"):  # the same range by two coders: one row
        led.code(maya, "power", coder, span=(int(a), int(b)))
        led.code(jordan, "power", coder)
    wb.session.refresh()
    wb.retrieval.selected_index = 0
    wb.retrieve_code.value = "power"
    wb.retrieve_all.value = True
    head, *rows = wb.retrieve_box.children
    assert "<b>2</b> passages in <b>2</b> segments" in head.value and len(rows) == 2
    assert "(sentences 1\u20132)" in rows[0].children[1].value and "Maya · ana, ben" in rows[0].children[2].value
    assert "Jordan · ana, ben" in rows[1].children[2].value
    assert "alert(1)&lt;/script&gt;.”" in rows[1].children[1].value  # the whole turn, not its first 110 characters
    assert wb._span_label(maya, (int(a), int(b))) == "sentences 1\u20132"
    assert wb._span_label(maya, (int(a), int(a) + 3)) == "part of a sentence"
    assert wb._span_label(maya, (int(a) + 3, int(b))) == "part of the turn"


def test_sentence_range_menu_shows_an_excerpt_of_each_sentence(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    wb.session.goto(turn_of(wb, "Maya", "I trust"))
    wb.render()
    wb.sentence.value = 1
    assert [label for label, _ in wb.sentence_to.options] == [
        "sentence 1 (just this one): I trust the group more now.",
        "sentence 2: We finally named the harm in the hiring process."]


def test_no_code_applies_takes_the_unit_out_of_has_suggestions(project: Path) -> None:
    wb = CodingWorkbench(project, coder="ana")
    sid, other = turn_of(wb, "Maya", "I trust"), turn_of(wb, "Jordan", "rushed")
    ledger(project).add_suggestions(pd.DataFrame({
        "segment_id": [sid, other], "code_id": ["trust", "pressure"], "score": [0.9, 0.8], "method": ["rules"] * 2,
        "evidence": ["matched: trust", "matched: timeline"]}))
    wb.session.refresh()
    wb.has_suggestion.value = True
    assert wb.session.order == [sid, other]
    wb.no_code_btn.click()  # on sid: no code applies, its suggestion stays pending in the ledger
    assert ledger(project).suggestions(status="suggested")["segment_id"].tolist() == [sid, other]
    wb.has_suggestion.value = False
    wb.has_suggestion.value = True
    assert wb.session.order == [other]
    ben = CodingSession(project, coder="ben")
    ben.apply_filters(Filters(has_suggestion=True))
    assert ben.order == [sid, other]


def test_units_follow_the_project_yml_order_and_row_ids_read_as_respondents(project: Path) -> None:
    import yaml

    config = yaml.safe_load((project / "project.yml").read_text())
    config["surveys"] = [{"path": "surveys/wave1.csv"}]  # listed first in the file, still after transcripts
    config["transcripts"] = [{"path": "transcripts/interview_b.txt"}, {"path": "transcripts/*.txt"}]
    (project / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    session = CodingSession(project)
    sources = list(dict.fromkeys(session.units["source_id"]))
    assert sources == ["transcripts/interview_b.txt", "transcripts/interview_a.txt", "surveys/wave1.csv"]
    assert session.options()["source_id"] == sources  # the Source menu lists them in the same order
    assert session.current["source_id"] == "transcripts/interview_b.txt"
    from cop_analysis.workbench.markup import _who_text, respondent_name

    assert respondent_name("row2") == "respondent 2" and respondent_name("R7") == "R7"
    assert respondent_name("rowing") == "rowing"
    row = session.units[session.units["respondent_id"] == "R1"].iloc[0].copy()
    row["respondent_id"] = "row12"
    assert _who_text(row) == "Q: What built trust? (respondent 12)"


def test_messages_and_counts_do_not_move_the_code_buttons(project: Path) -> None:
    """A status line is reserved (a message does not push the codes down); every code button is wide enough
    for its count and check mark from the start (no re-wrapping as they appear). In the browser: see
    test_workbench_browser.py::test_segment_box_opens_at_the_top_and_the_buttons_stay_put."""
    wb = CodingWorkbench(project, coder="ana")
    assert wb.status.layout.min_height == "28px"
    assert wb.code_buttons["trust"].layout.min_width == "calc(8.4em + 40px)"  # "1 Trust (99)" in bold + the icon
    label = "5 Institutional pressure (99)"
    assert wb.code_buttons["pressure"].layout.min_width == f"calc({len(label) * 0.7:.1f}em + 40px)"
