"""Which themes become lessons, and how a lesson tells change between waves."""

from __future__ import annotations

import json

import pandas as pd

from cop_analysis import report
from cop_analysis.report.quotes import _opens_redacted
from cop_analysis.schema import CODINGS, SEGMENTS, SOURCES, SUGGESTIONS, THEME_INFO, THEMES


def _data() -> report.ReportData:
    """Survey Q5 asked in waves 1 and 2 (20 answers each); 100 conversation turns in wave 1 only."""
    sources = SOURCES.conform(pd.DataFrame({"source_id": ["s1", "s2", "t1"], "kind": ["survey", "survey", "transcript"],
                                            "wave": ["1", "2", "1"], "title": ["W1", "W2", "Circle"]}))
    rows = [{"segment_id": f"a{w}_{i}", "source_id": f"s{w}", "kind": "survey", "unit": "response", "position": i,
             "start": 0, "end": 1, "text": f"Answer number {i} about the stipend and the budget.",
             "respondent_id": f"R{w}_{i}", "wave": str(w)} for w in (1, 2) for i in range(20)]
    rows += [{"segment_id": f"t{i}", "source_id": "t1", "kind": "transcript", "unit": "turn", "position": i,
              "start": 0, "end": 1, "text": "Good. Great to hear." if i < 30 else f"We talked about trust, turn {i}.",
              "speaker": f"P{i % 7}", "wave": "1"} for i in range(100)]
    units = report.prepare_units(SEGMENTS.conform(pd.DataFrame(rows)), sources)
    # theme 0 of Q5: 6 answers of wave 1, 2 of wave 2; theme 0 of the turns: small talk, uncoded
    q5 = [f"a1_{i}" for i in range(6)] + ["a2_0", "a2_1"]
    themes = THEMES.conform(pd.DataFrame(
        [{"selection": "survey Q5: Why?", "segment_id": s, "theme_id": 0 if s in q5 else 1, "theme_label": "x",
          "probability": 0.9} for s in units.loc[units["kind"] == "survey", "segment_id"]]
        + [{"selection": "turns: all speakers", "segment_id": f"t{i}", "theme_id": 0 if i < 30 else 1,
            "theme_label": "x", "probability": 0.9} for i in range(100)]))
    info = THEME_INFO.conform(pd.DataFrame({
        "selection": ["survey Q5: Why?"] * 2 + ["turns: all speakers"] * 2, "theme_id": [0, 1, 0, 1],
        "label": ["Stipends", "Budget / answer / number", "Good / great / hear", "Trust / turn / talked"],
        "auto_label": ["Budget / stipend", "Budget / answer / number", "Good / great / hear", "Trust / turn / talked"],
        "keywords": "x", "size": [8, 32, 30, 70], "representative_ids": "[]"}))
    coded = [f"t{i}" for i in range(30, 100)] + [f"a1_{i}" for i in range(10, 20)]
    codings = CODINGS.conform(pd.DataFrame({"segment_id": coded, "code_id": "trust", "coder": "ana", "orphaned": False}))
    assignments, basis = report.coding_basis(units, codings, SUGGESTIONS.empty_frame())
    codes = pd.DataFrame({"code_id": ["trust"], "name": ["Trust"], "color": ["#4C78A8"], "definition": ""})
    return report.ReportData("P", sources, units, assignments, codes, basis, ["ana"], themes, info, None, 0, ["1", "2"])


def test_theme_table_knows_coded_share_and_human_names() -> None:
    table = report.theme_table(_data()).set_index("theme_id", append=True)
    by_label = table.reset_index().set_index("label")
    assert by_label.loc["Good / great / hear · conversations", "coded"] == 0
    assert by_label.loc["Trust / turn / talked · conversations", "coded"] == 1
    assert bool(by_label.loc["Stipends · answers to “Why?”", "renamed"])  # a person renamed it
    assert not by_label.loc["Budget / answer / number · answers to “Why?”", "renamed"]


def test_small_talk_is_no_lesson_but_a_theme_a_person_named_is() -> None:
    page = report.shareable_page(_data())
    lessons = [b["title"] for b in page.sections[0]["blocks"] if b["type"] == "lesson"]
    assert not [t for t in lessons if "Good / great / hear" in t]  # largest theme of its selection, 0% coded
    assert any("Stipends" in t for t in lessons)  # uncoded, but named by a person
    html = page.render([])
    assert "Good \\u002f great \\u002f hear" in html  # still charted among the themes (JSON-escaped)


def test_change_between_waves_is_told_within_the_question() -> None:
    data = _data()
    table = report.theme_table(data)
    row = table[table["label"].str.startswith("Stipends")].iloc[0]
    text = report.theme_narrative(data, row, pd.DataFrame())
    # of the Q5 answers: 6/20 = 30% in wave 1, 2/20 = 10% in wave 2 (of all units: 5% -> 10%, "grew")
    assert "It shrank from 30% of the answers to “Why?” in wave 1 to 10% in wave 2." in text
    turns = table[table["label"].str.startswith("Trust")].iloc[0]
    assert "wave" not in report.theme_narrative(data, turns, pd.DataFrame())  # conversations of one wave only
    assert json.dumps(text)  # plain text


def test_about_section_speaks_plainly() -> None:
    manifest = {"run_id": "20261201-0300", "models": {"embedding": "all-MiniLM-L6-v2", "spacy": "en_core_web_sm"},
                "steps": [{"name": "01_ingest", "status": "ok", "seconds": 1.0}], "inputs": {"data/raw/a.csv": "ab" * 32}}
    page = report.shareable_page(_data(), manifest)
    about = page.sections[-1]
    text = json.dumps(about["blocks"])
    assert about["title"] == "About this report"
    assert "1 recorded conversation" in text and "2 surveys" in text and "all-MiniLM-L6-v2" in text
    assert "01_ingest" not in text and "en_core_web_sm" not in text and "a.csv" not in text and "abab" not in text


def test_internal_theme_cards_are_grouped_by_selection() -> None:
    page = report.internal_page(_data(), {})
    themes = next(s for s in page.sections if s["id"] == "themes")
    groups = [b for b in themes["blocks"] if b["type"] == "cards"]
    assert [g["title"] for g in groups] == ["Conversations", "Answers to “Why?”"]  # largest selection first
    conversations = {c["title"]: c["meta"] for c in groups[0]["cards"]}
    assert set(conversations) == {"Good / great / hear", "Trust / turn / talked"}  # no ' · conversations'
    assert "0% coded" in conversations["Good / great / hear"] and "100% coded" in conversations["Trust / turn / talked"]


def test_shareable_sources_are_numbered_in_wave_order_and_quotes_do_not_open_redacted() -> None:
    from dataclasses import replace

    from cop_analysis.deidentify import Deidentifier

    data = _data()
    sources = data.sources.copy()
    sources["wave"] = ["2", "1", "1"]  # s1 (first by path) is the later wave's survey
    shared = report.deidentify_data(replace(data, sources=sources), Deidentifier())
    titles = dict(zip(data.sources["source_id"], shared.sources["title"]))
    assert titles == {"s1": "Survey 2", "s2": "Survey 1", "t1": "Interview 1"}
    assert _opens_redacted("[name]. [name]. At the first reflection circle he said")
    assert not _opens_redacted("At the first reflection circle [name] said [name] gets paid")
