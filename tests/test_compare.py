"""Compare coders: agreement per code from a real SQLite ledger, disagreements, consensus decisions, the panel."""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd
import pytest
from workbench_project import make_project

from cop_analysis.compare import ComparePanel, CompareSession, compare
from cop_analysis.config import ProjectConfig
from cop_analysis.ledger import Ledger
from cop_analysis.workbench import CodingSession, WorkbenchError


def ledger(root: Path) -> Ledger:
    """A fresh Ledger connection, as another process would open it."""
    return Ledger(ProjectConfig.load(root).ledger_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """ana and ben double-coded all 9 units: trust on 4 each (3 shared), harm by ana on one sentence."""
    root = make_project(tmp_path / "proj")
    units = list(CodingSession(root).units.index)  # 2 survey responses, then 5 + 2 turns
    led = ledger(root)
    for coder, trust in (("ana", [0, 3, 4, 5]), ("ben", [0, 3, 4, 6])):
        for i in trust:
            led.code(units[i], "trust", coder)
        for sid in units:
            led.mark_reviewed(sid, coder)
    sentence = CodingSession(root).sentences(units[8]).iloc[1]  # "We are consulted, not partners."
    led.code(units[8], "harm", "ana", span=(int(sentence["start"]), int(sentence["end"])))
    led.memo("tokenism, not harm?", "ben", segment_id=units[8], code_id="harm")
    led.add_suggestions(pd.DataFrame({"segment_id": [units[7]], "code_id": ["power"], "score": [0.9],
                                      "method": ["rules"], "evidence": ["matched: decide"]}))
    return root


def units_of(root: Path) -> list[str]:
    return list(CodingSession(root).units.index)


def item(s: CompareSession, segment_id: str, code_id: str) -> int:
    hit = s.items.index[(s.items["segment_id"] == segment_id) & (s.items["code_id"] == code_id)]
    assert len(hit) == 1
    return int(hit[0])


def test_per_code_figures_match_hand_computed_values(project: Path) -> None:
    s = CompareSession(project)
    assert s.available_coders() == ["ana", "ben"]  # no "machine" though a suggestion is pending
    res = s.refresh()
    assert res.coders == ["ana", "ben"] and len(res.segments) == 9
    table = s.table.set_index("code_id")
    trust = table.loc["trust"]
    # ana 1111 0000 0 vs ben 1110 1000 0 (reordered): po 7/9, pe 41/81 -> kappa 22/40; alpha 1 - (4/18)/(160/306)
    assert (trust["code"], trust["n_segments"], trust["n_applied"], trust["n_disagreements"]) == ("Trust", 9, 8, 2)
    assert trust["percent_agreement"] == pytest.approx(7 / 9)
    assert trust["cohen_kappa"] == pytest.approx(0.55)
    assert trust["krippendorff_alpha"] == pytest.approx(0.575)
    harm = table.loc["harm"]  # one coder once, the other never: kappa 0 (pe = po = 8/9), alpha 0
    assert harm["cohen_kappa"] == pytest.approx(0.0) and harm["krippendorff_alpha"] == pytest.approx(0.0)
    assert harm["n_disagreements"] == 1
    power = table.loc["power"]
    assert math.isnan(power["cohen_kappa"]) and power["note"] == "no coder applied it on the shared segments"
    assert list(table.index) == ["trust", "harm", "power", "ownership", "pressure"]  # codebook order
    # pooled over the 18 trust+harm units: po 15/18, pe 202/324 -> kappa 68/122
    assert res.overall["percent_agreement"] == pytest.approx(15 / 18)
    assert res.overall["cohen_kappa"] == pytest.approx(68 / 122)


def test_disagreements_are_listed_with_text_and_who(project: Path) -> None:
    units = units_of(project)
    s = CompareSession(project)
    s.refresh()
    got = s.items[["segment_id", "code_id", "applied_by", "not_applied_by"]].values.tolist()
    assert sorted(got) == sorted([[units[5], "trust", "ana", "ben"], [units[6], "trust", "ben", "ana"],
                                  [units[8], "harm", "ana", "ben"]])
    assert s.items["decision"].isna().all() and s.progress() == (0, 3)
    s.select(item(s, units[8], "harm"))
    assert s.current["text"] == "Senior staff still decide. We are consulted, not partners."
    sentence = CodingSession(project).sentences(units[8]).iloc[1]
    assert s.coder_decisions() == [("ana", True, [(int(sentence["start"]), int(sentence["end"]))]),
                                   ("ben", False, [])]
    assert s.memos()[["coder", "code_id", "text"]].values.tolist() == [["ben", "harm", "tokenism, not harm?"]]
    before, unit, after = s.context()
    assert unit["segment_id"] == units[8] and list(before.index) == [units[7]] and after.empty
    with pytest.raises(WorkbenchError, match="no disagreement 7"):
        s.select(6)


def test_consensus_decisions_are_recorded_at_once_and_marked(project: Path) -> None:
    units = units_of(project)
    before = ledger(project).codings()[["segment_id", "code_id", "coder"]].values.tolist()
    s = CompareSession(project)
    s.refresh()
    s.select(item(s, units[5], "trust"))
    assert s.decide(True) == "consensus: apply Trust"
    rows = ledger(project).codings("consensus")  # another connection: the decision is in SQLite already
    assert rows[["segment_id", "code_id"]].values.tolist() == [[units[5], "trust"]] and rows["span_start"].isna().all()
    assert s.items.loc[item(s, units[5], "trust"), "decision"] == "apply"
    assert s.current is not None and pd.isna(s.current["decision"])  # moved on to an open one
    s.select(item(s, units[6], "trust"))
    assert s.decide(False) == "consensus: do not apply Trust"
    assert len(ledger(project).codings("consensus")) == 1
    assert s.progress() == (2, 3)
    assert s.next_open() and (s.current["segment_id"], s.current["code_id"]) == (units[8], "harm")
    after = ledger(project).codings()
    assert after[after["coder"] != "consensus"][["segment_id", "code_id", "coder"]].values.tolist() == before

    again = CompareSession(project)  # reopened: the ledger is the source of truth
    again.refresh()
    assert again.available_coders() == ["ana", "ben", "consensus"]
    assert again.result is not None and again.result.coders == ["ana", "ben"]  # consensus left out by default
    assert dict(zip(zip(again.items["segment_id"], again.items["code_id"]), again.items["decision"])) == {
        (units[5], "trust"): "apply", (units[6], "trust"): "do not apply", (units[8], "harm"): None}
    assert len(again.items) == 3  # consensus decisions do not change the coders' disagreements
    again.select(item(again, units[6], "trust"))  # change one's mind both ways
    again.decide(True)
    assert again.decisions()[(units[6], "trust")] == "apply"
    again.select(item(again, units[5], "trust"))
    again.decide(False)
    assert again.decisions()[(units[5], "trust")] == "do not apply"
    assert ledger(project).codings("consensus")["segment_id"].tolist() == [units[6]]
    assert ledger(project).undo("consensus") is not None  # undoing the removal brings the code back
    again.refresh()
    assert again.items.loc[item(again, units[5], "trust"), "decision"] == "apply"
    assert ledger(project).redo("consensus") is not None  # and redoing it refuses it again
    assert again.decisions()[(units[5], "trust")] == "do not apply"
    assert ledger(project).undo("consensus") is not None  # undoing the redo: applied again
    assert again.decisions()[(units[5], "trust")] == "apply"


def test_agreed_codes_complete_the_consensus_without_overriding_decisions(project: Path) -> None:
    units = units_of(project)
    s = CompareSession(project)
    with pytest.raises(WorkbenchError, match="press Refresh"):
        s.record_agreed()
    s.refresh()
    led = ledger(project)
    led.uncode(units[0], "trust", "consensus")  # the adjudicator already refused one agreed code
    assert s.record_agreed() == 2
    held = ledger(project).codings("consensus")
    assert sorted(held["segment_id"]) == sorted([units[3], units[4]])
    assert s.record_agreed() == 0


def test_coder_choice_and_scope(project: Path) -> None:
    units = units_of(project)
    led = ledger(project)
    led.code(units[0], "harm", "cy")
    s = CompareSession(project)
    assert s.available_coders() == ["ana", "ben", "cy"]
    assert s.default_coders() == ["ana", "ben"]  # cy barely started: not compared unless chosen
    s.coders = ["ana", "ben", "cy"]
    assert s.refresh().overall["n_segments"] == 1  # cy saw only one segment
    s.coders = ["ana", "ben"]
    assert s.refresh().overall["n_segments"] == 9
    s.kind = "survey"
    s.refresh()
    table = s.table.set_index("code_id")
    assert table.loc["trust", "n_segments"] == 2 and table.loc["trust", "cohen_kappa"] == pytest.approx(1.0)
    assert s.items.empty and s.current is None
    s.kind, s.source = None, "transcripts/interview_b.txt"
    s.refresh()
    assert s.items[["segment_id", "code_id"]].values.tolist() == [[units[8], "harm"]]
    s.coders = ["ana"]
    with pytest.raises(WorkbenchError, match="at least two coders .*coders with codings: ana, ben, cy"):
        s.refresh()
    assert s.result is None and s.items.empty
    with pytest.raises(WorkbenchError, match="no disagreement selected"):
        s.decide(True)


def test_panel_clicks_go_to_the_ledger(project: Path) -> None:
    units = units_of(project)
    panel = ComparePanel(project)
    assert panel.status.value == ""
    assert [b.description for b in panel.coder_boxes.values()] == ["ana", "ben"]
    assert all(b.value for b in panel.coder_boxes.values())
    assert "<td>Trust</td><td>9</td><td>8</td><td>78%</td><td>0.55</td><td>0.57</td><td>2</td>" in \
        panel.table_html.value
    assert "0 / 3 adjudicated" in panel.progress.value
    labels = [label for label, _ in panel.disagreements.options]
    assert len(labels) == 3 and all(label.startswith("[open] ") for label in labels)
    jordan = item(panel.session, units[6], "trust")
    panel.disagreements.value = jordan  # a click in the list shows the segment in context
    assert panel.session.index == jordan
    assert html.escape("<script>alert(1)</script>") in panel.context_html.value
    assert "<script>" not in panel.context_html.value
    assert "<b>ana</b>: did not apply" in panel.decisions_html.value
    assert "<b>ben</b>: applied" in panel.decisions_html.value
    panel.apply_btn.click()
    assert panel.status.value == "Recorded consensus: apply Trust."
    assert ledger(project).codings("consensus")["segment_id"].tolist() == [units[6]]
    label = panel.disagreements.options[jordan][0]
    assert label.startswith(f"[✓ applied] {jordan + 1} · Trust · ana ✗ ben ✓ · “")
    assert "1 / 3 adjudicated" in panel.progress.value and panel.session.index != jordan
    harm = item(panel.session, units[8], "harm")
    panel.disagreements.value = harm
    assert "<mark>We are consulted, not partners.</mark>" in panel.context_html.value
    assert "<b>ben</b> on Harm: tokenism, not harm?" in panel.memos_html.value
    panel.not_apply_btn.click()
    assert panel.disagreements.options[harm][0].startswith(f"[✗ not applied] {harm + 1} · Harm · ana ✓ ben ✗")
    assert panel.session.current["segment_id"] == units[5]  # the one still open
    panel.apply_btn.click()
    assert panel.status.value == "Recorded consensus: apply Trust. All disagreements are adjudicated."
    assert "3 / 3 adjudicated" in panel.progress.value
    panel.coder_boxes["ben"].value = False  # one coder left: a message, no table
    assert "at least two coders" in panel.status.value and panel.disagreements.options == ()
    panel.coder_boxes["ben"].value = True
    panel.kind.value = "survey"
    assert "No disagreements." in panel.position.value and panel.apply_btn.disabled
    panel.agreed_btn.click()
    assert panel.status.value == "Added 1 agreed coding to consensus."
    assert sorted(ledger(project).codings("consensus")["segment_id"]) == sorted([units[6], units[5], units[0]])


def test_refresh_picks_up_new_coders_and_codings(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    panel = ComparePanel(root)
    assert "at least two coders" in panel.status.value and "none yet" in panel.status.value
    units = units_of(root)
    led = ledger(root)
    led.code(units[0], "trust", "ana")
    led.code(units[0], "harm", "ben")
    panel.refresh_btn.click()
    assert panel.status.value == "" and list(panel.coder_boxes) == ["ana", "ben"]
    assert "2 / 2" not in panel.progress.value and "0 / 2 adjudicated" in panel.progress.value
    assert type(compare(root)).__name__ == "VBox"


def test_refresh_keeps_the_ticks_and_warns_on_few_shared_segments(project: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import cop_analysis.compare as compare_module

    units = units_of(project)
    panel = ComparePanel(project)
    assert "Only 9 segments seen by all 2 ticked coders (fewer than 10)" in panel.overall.value
    monkeypatch.setattr(compare_module, "MIN_SHARED", 9)
    panel.render()
    assert "9 segments seen by all" in panel.overall.value and "not reliable" not in panel.overall.value
    ledger(project).code(units[0], "trust", "cy")  # a new coder, one segment
    panel.refresh_btn.click()
    assert list(panel.coder_boxes) == ["ana", "ben", "cy"] and not panel.coder_boxes["cy"].value
    assert panel.session.result.coders == ["ana", "ben"] and "9 segments seen by all" in panel.overall.value
    panel.coder_boxes["cy"].value = True  # ticked on purpose: 1 shared segment, flagged
    assert "Only 1 segment seen by all 3 ticked coders" in panel.overall.value
    assert "not reliable" in panel.overall.value
    panel.coder_boxes["ana"].value = False
    panel.refresh_btn.click()  # the user's ticks survive a refresh
    assert [c for c, b in panel.coder_boxes.items() if b.value] == ["ben", "cy"]
    ledger(project).code(units[1], "trust", "consensus")
    panel.refresh_btn.click()
    assert not panel.coder_boxes["consensus"].value and panel.session.result.coders == ["ben", "cy"]


def test_header_names_the_source_and_speaker_or_respondent(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    units = units_of(project)
    ledger(project).code(units[1], "harm", "ana")  # a survey answer (R2) becomes a disagreement too
    panel = ComparePanel(project)
    s = panel.session
    panel.disagreements.value = item(s, units[6], "trust")
    assert s.origin() == ("interview_a", "Jordan")
    assert "interview_a &middot; Jordan &middot; <b>Trust</b> &middot; not adjudicated yet" in panel.position.value
    panel.disagreements.value = item(s, units[1], "harm")
    assert s.origin() == ("wave1", "respondent R2 · Q: What built trust?")
    from cop_analysis.workbench import respondent_label

    assert respondent_label("row18") == "respondent 18" and respondent_label("R2") == "respondent R2"  # as in context
    assert "wave1 &middot; respondent R2 · Q: What built trust? &middot; <b>Harm</b>" in panel.position.value
    fresh = CompareSession(project)  # a source without a title: its path
    monkeypatch.setattr(fresh.view, "source_titles", lambda: {})
    fresh.refresh()
    fresh.select(item(fresh, units[8], "harm"))
    assert fresh.origin() == ("transcripts/interview_b.txt", "Sam")


def test_code_filter_restricts_the_disagreements_with_counts(project: Path) -> None:
    units = units_of(project)
    panel = ComparePanel(project)
    s = panel.session
    assert [label for label, _ in panel.code_filter.options] == [
        "all codes (3, 3 open)", "Trust (2, 2 open)", "Harm (1, 1 open)"]
    panel.code_filter.value = "harm"
    assert s.code_filter == "harm" and [v for _, v in panel.disagreements.options] == [item(s, units[8], "harm")]
    assert s.current["code_id"] == "harm" and panel.position.value.startswith("<b>1 / 1</b>")
    assert "0 / 3 adjudicated" in panel.progress.value  # the overall count
    panel.apply_btn.click()  # no other open Harm disagreement: the selection stays in the filter
    assert s.current["code_id"] == "harm" and not s.next_open()
    assert [label for label, _ in panel.code_filter.options][2] == "Harm (1, all adjudicated)"
    assert "1 / 3 adjudicated" in panel.progress.value
    with pytest.raises(WorkbenchError, match="not about Harm"):
        s.select(item(s, units[5], "trust"))
    panel.code_filter.value = "trust"
    trust = sorted([item(s, units[5], "trust"), item(s, units[6], "trust")])
    assert sorted(v for _, v in panel.disagreements.options) == trust and s.index in trust
    assert panel.position.value.startswith(f"<b>{trust.index(s.index) + 1} / 2</b>")
    panel.refresh_btn.click()  # Refresh keeps the filter
    assert panel.code_filter.value == "trust" and len(panel.disagreements.options) == 2
    panel.kind.value = "survey"  # no Trust disagreements there: back to all codes
    assert panel.code_filter.value == "" and s.code_filter is None
    with pytest.raises(WorkbenchError, match="no disagreements on Trust"):
        s.set_code_filter("trust")
    panel.kind.value = ""
    panel.code_filter.value = ""
    assert len(panel.disagreements.options) == 3


def test_undo_last_consensus_decision(project: Path) -> None:
    units = units_of(project)
    panel = ComparePanel(project)
    s = panel.session
    assert panel.undo_btn.disabled
    jordan = item(s, units[6], "trust")
    panel.disagreements.value = jordan
    panel.apply_btn.click()
    assert "1 / 3 adjudicated" in panel.progress.value and not panel.undo_btn.disabled and s.index != jordan
    panel.undo_btn.click()
    assert panel.status.value == "Undid consensus: apply Trust."
    assert ledger(project).codings("consensus").empty and "0 / 3 adjudicated" in panel.progress.value
    assert s.index == jordan and panel.disagreements.value == jordan  # back on the undone one
    assert panel.disagreements.options[jordan][0].startswith(f"[open] {jordan + 1} · Trust")
    assert panel.undo_btn.disabled
    panel.apply_btn.click()  # change of mind: apply, then do not apply; undo brings "apply" back
    panel.disagreements.value = jordan
    panel.not_apply_btn.click()
    assert s.decisions()[(units[6], "trust")] == "do not apply"
    panel.undo_btn.click()
    assert panel.status.value == "Undid consensus: do not apply Trust."
    assert s.items.loc[jordan, "decision"] == "apply" and "1 / 3 adjudicated" in panel.progress.value
    assert ledger(project).codings("consensus")["segment_id"].tolist() == [units[6]]
    panel.undo_btn.click()
    assert s.undo() is None and ledger(project).codings("consensus").empty
    panel.undo_btn.disabled = False  # a stale button: says so
    panel.undo_btn.click()
    assert panel.status.value == "Nothing to undo."
    ledger(project).redo("consensus")  # redo elsewhere, then undo the redo here
    assert s.undo() == "consensus: apply Trust"


def test_apply_keeps_the_sentence_the_coders_applied_the_code_to(project: Path) -> None:
    units = units_of(project)
    panel = ComparePanel(project)
    s = panel.session
    panel.disagreements.value = item(s, units[8], "harm")  # ana coded one sentence, ben nothing
    panel.apply_btn.click()
    sentence = CodingSession(project).sentences(units[8]).iloc[1]
    held = ledger(project).codings("consensus")
    assert held[["segment_id", "code_id", "span_start", "span_end"]].values.tolist() == [
        [units[8], "harm", int(sentence["start"]), int(sentence["end"])]]
    panel.disagreements.value = item(s, units[8], "harm")
    panel.not_apply_btn.click()  # removes the sentence coding, and counts as "do not apply"
    assert ledger(project).codings("consensus").empty
    assert s.decisions()[(units[8], "harm")] == "do not apply"
    panel.disagreements.value = item(s, units[5], "trust")  # ana coded the whole turn
    panel.apply_btn.click()
    assert ledger(project).codings("consensus")["span_start"].isna().all()


def test_decision_buttons_sit_above_a_scrolling_context_box(project: Path) -> None:
    units = units_of(project)
    ledger(project).code(units[8], "power", "ben")  # a second disagreement on the same segment
    panel = ComparePanel(project)
    s = panel.session
    children = list(panel.widget.children)
    buttons = next(i for i, c in enumerate(children) if panel.apply_btn in getattr(c, "children", ()))
    assert children.index(panel.disagreements) < children.index(panel.position) < buttons
    assert children.index(panel.decisions_html) < buttons < children.index(panel.status)
    assert children.index(panel.status) < children.index(panel.context_html) < children.index(panel.memos_html)
    style = children[0].value  # the panel's CSS: the context scrolls in a box of its own
    assert ".cop-cmp-ctx {max-height: 45vh; min-height: 240px; overflow-y: auto;" in style
    harm, power = item(s, units[8], "harm"), item(s, units[8], "power")
    panel.disagreements.value = harm
    assert panel.context_html.value.startswith(
        f"<div class='cop-cmp-ctx' data-item='{harm}'><div class='cop-wb-context'>")
    assert "<mark>We are consulted, not partners.</mark>" in panel.context_html.value
    panel.disagreements.value = power  # same segment, another code: a new box, scrolled to its top
    assert panel.context_html.value.startswith(f"<div class='cop-cmp-ctx' data-item='{power}'>")
    assert "<b>ana</b>: did not apply" in panel.decisions_html.value and not panel.apply_btn.disabled
    panel.kind.value = "survey"  # nothing to decide: no empty box left behind
    assert panel.context_html.value == "" and panel.apply_btn.disabled


def test_default_ticks_the_largest_group_sharing_enough_segments(project: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import cop_analysis.compare as compare_module

    units = units_of(project)
    led = ledger(project)
    led.code(units[0], "harm", "cy")  # cy barely started: 1 segment
    for sid in units[:7]:
        led.mark_reviewed(sid, "dee")  # dee saw 7 of the 9 segments ana and ben saw
    monkeypatch.setattr(compare_module, "MIN_SHARED", 5)
    panel = ComparePanel(project)
    assert {c: b.value for c, b in panel.coder_boxes.items()} == {"ana": True, "ben": True, "cy": False, "dee": True}
    assert panel.session.result.coders == ["ana", "ben", "dee"]
    assert panel.overall.value.startswith("<b>3 coders</b> (ana, ben, dee) &middot; 7 segments seen by all")
    assert "not reliable" not in panel.overall.value
    panel.coder_boxes["cy"].value = True  # still there to tick on purpose
    assert panel.session.result.coders == ["ana", "ben", "cy", "dee"] and "Only 1 segment" in panel.overall.value
    panel.refresh_btn.click()  # Refresh keeps the user's ticks
    assert [c for c, b in panel.coder_boxes.items() if b.value] == ["ana", "ben", "cy", "dee"]
    monkeypatch.setattr(compare_module, "MIN_SHARED", 8)  # adding dee would leave 7: the pair only
    assert CompareSession(project).default_coders() == ["ana", "ben"]
    monkeypatch.setattr(compare_module, "MIN_SHARED", 20)  # no pair shares enough: the pair sharing most
    assert CompareSession(project).default_coders() == ["ana", "ben"]
    survey = CompareSession(project, kind="survey")  # counted within the scope: 2 survey answers each
    assert survey.default_coders() == ["ana", "ben"]


def test_default_pair_need_not_include_the_first_coder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cop_analysis.compare as compare_module

    root = make_project(tmp_path / "proj")
    units = units_of(root)
    led = ledger(root)
    led.code(units[3], "trust", "rita")  # rita first in the ledger, 2 segments
    led.mark_reviewed(units[4], "rita")
    for coder in ("ana", "ben"):
        for sid in units[2:9]:
            led.mark_reviewed(sid, coder)
    monkeypatch.setattr(compare_module, "MIN_SHARED", 5)
    panel = ComparePanel(root)
    assert [c for c, b in panel.coder_boxes.items() if b.value] == ["ana", "ben"]
    assert not panel.coder_boxes["rita"].value and panel.session.result.coders == ["ana", "ben"]


def test_disagreement_labels_are_short_and_name_who_first(project: Path) -> None:
    units = units_of(project)
    ledger(project).mark_reviewed(units[8], "cy")  # a third coder who saw the Harm segment only
    panel = ComparePanel(project, coders=["ana", "ben", "cy"])
    s = panel.session
    assert s.result.coders == ["ana", "ben", "cy"]
    labels = dict((v, label) for label, v in panel.disagreements.options)
    assert labels[item(s, units[8], "harm")] == (
        "[open] 1 · Harm · ana ✓ ben ✗ cy ✗ · “Senior staff still decide. We are c…”")
    panel.coder_boxes["cy"].value = False
    labels = [label for label, _ in panel.disagreements.options]
    trust = item(s, units[6], "trust")  # ben applied it, ana did not: the coders keep their order
    assert labels[trust].startswith(f"[open] {trust + 1} · Trust · ana ✗ ben ✓ · “")
    assert all(len(label) <= 90 for label in labels)
    panel.code_filter.value = "trust"  # numbered within the list shown, like the "n / m" above the context
    assert [label.split(" · ")[0] for label, _ in panel.disagreements.options] == ["[open] 1", "[open] 2"]
