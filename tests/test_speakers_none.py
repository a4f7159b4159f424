"""``speakers: none`` in project.yml: documents without speakers (field notes, minutes, comments) are
coded by paragraph; each paragraph is a turn without a speaker, and everything keyed on turns works."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import yaml
from ingest_fixtures import VTT, make_project
from workbench_project import CODEBOOK

from cop_analysis.agreement import ledger_agreement
from cop_analysis.compare import CompareSession
from cop_analysis.config import ProjectConfig, TranscriptSpec
from cop_analysis.deidentify import Deidentifier
from cop_analysis.ingest import INGEST_VERSION, _cache_key, _Input, ingest_project, load_segments, load_sources
from cop_analysis.ledger import Ledger
from cop_analysis.report.data import prepare_units
from cop_analysis.report.quotes import unit_context
from cop_analysis.themes.project import default_selections
from cop_analysis.workbench import CodingSession, context_html, who_html

MINUTES = """\
# Steering committee minutes, 3 March

Present: Dana Whitfield, Kwame Asante, Rosa.
Apologies: Tom.

Agenda item 1: budget. The committee agreed that the
budget for outreach stays at last year's level.

Kwame: we should ask residents first.

Kwame: everyone agreed, and Rosa will draft the letter.
"""

INTERVIEW = """\
Kwame Asante: Thanks for coming. How did the budget talks go?

Dana Whitfield: Better than last year. People owned the decision.

Kwame Asante: Good to hear.
"""


def _project(root: Path, minutes: dict | None = None) -> ProjectConfig:
    make_project(root, {"notes/minutes.md": MINUTES, "interviews/a.txt": INTERVIEW}, {
        "name": "speakers none", "codebook": "codebook.yml",
        "transcripts": [{"path": "interviews/*.txt", "speaker_roles": {"Kwame Asante": "facilitator"}},
                        {"path": "notes/*.md", **(minutes if minutes is not None else {"speakers": "none"})}]})
    (root / "codebook.yml").write_text(yaml.safe_dump(CODEBOOK, sort_keys=False))
    return ProjectConfig.load(root)


def _turns(cfg: ProjectConfig, source_id: str) -> pd.DataFrame:
    segs = load_segments(cfg)
    return segs[(segs["source_id"] == source_id) & (segs["unit"] == "turn")].reset_index(drop=True)


def test_every_paragraph_is_a_turn_without_a_speaker(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    report = ingest_project(cfg)
    assert not report.errors and not report.warnings
    segs = load_segments(cfg)
    notes = segs[segs["source_id"] == "notes/minutes.md"]
    assert set(notes["unit"]) == {"turn", "paragraph", "sentence"}  # no context: the title is a unit too
    turns = _turns(cfg, "notes/minutes.md")
    assert turns["text"].tolist() == [block.strip() for block in MINUTES.split("\n\n")]  # labels kept in the text
    assert turns["speaker"].isna().all() and turns["speaker_role"].isna().all()
    text = load_sources(cfg).set_index("source_id").at["notes/minutes.md", "text"]
    assert all(text[r.start:r.end] == r.text for r in notes.itertuples())
    for unit in ("paragraph", "sentence"):  # sub-units as for a speaker's turn
        rows = notes[notes["unit"] == unit]
        assert set(rows["parent_id"]) == set(turns["segment_id"]) and rows["speaker"].isna().all()
    assert len(notes[notes["unit"] == "sentence"]) > len(turns)
    # 'Kwame:' in the notes is no speaker: not counted, not linked to the interview's Kwame Asante
    assert report.n_speakers == 2 and report.linked == {}
    assert set(_turns(cfg, "interviews/a.txt")["speaker"]) == {"Kwame Asante", "Dana Whitfield"}


def test_paragraphs_lines_and_cue_files(tmp_path: Path) -> None:
    make_project(tmp_path, {"c/comments.txt": "video_title\nKötelező oltás: jöhet?\n@anna\nNa mi van?\n\n@bela\n",
                            "c/call.vtt": VTT}, {"transcripts": [
                                {"path": "c/*.txt", "speakers": "none", "paragraphs": "lines"},
                                {"path": "c/*.vtt", "speakers": "none"}]})
    cfg = ProjectConfig.load(tmp_path)
    assert not ingest_project(cfg).errors
    turns = _turns(cfg, "c/comments.txt")
    assert turns["text"].tolist() == ["video_title", "Kötelező oltás: jöhet?", "@anna", "Na mi van?", "@bela"]
    assert turns["speaker"].isna().all()
    cues = _turns(cfg, "c/call.vtt")  # the cue file's text as with labels; each of its paragraphs a unit
    speaker_turns = load_segments(ingest_labelled(tmp_path / "labelled", VTT))
    assert len(cues) >= 2 and cues["speaker"].isna().all()
    assert cues["timestamp"].tolist()[-1] == speaker_turns.query("unit == 'turn'")["timestamp"].tolist()[-1]
    assert cues["text"].iloc[0] == "Reflection call, recorded on Zoom."  # the NOTE preamble: a unit too
    assert cues["text"].iloc[1:].str.match(r"\[\d\d:\d\d:\d\d\] [A-Z]\w+ \w+: ").all()  # labels kept


def ingest_labelled(root: Path, vtt: str) -> ProjectConfig:
    make_project(root, {"call.vtt": vtt}, {"transcripts": [{"path": "*.vtt"}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    return cfg


def test_switching_to_none_moves_codings_from_context_onto_the_paragraphs(tmp_path: Path) -> None:
    make_project(tmp_path, {"n.txt": "A written reflection on trust.\n\nTrust grew slowly, then all at once.\n"},
                 {"transcripts": [{"path": "n.txt"}]})
    cfg = ProjectConfig.load(tmp_path)
    warning = str(ingest_project(cfg).warnings[0])
    assert warning.endswith("or set `speakers: none` for this file to code its paragraphs)")
    context = load_segments(cfg).query("unit == 'context'")
    with Ledger(cfg.ledger_path) as ledger:
        ledger.code(str(context["segment_id"].iloc[1]), "trust", "ana")
    (tmp_path / "project.yml").write_text(yaml.safe_dump({"transcripts": [{"path": "n.txt", "speakers": "none"}]}))
    cfg = ProjectConfig.load(tmp_path)
    report = ingest_project(cfg)
    assert not report.warnings and report.reanchored_codings == 1 and not report.orphaned_codings
    turns = _turns(cfg, "n.txt")
    with Ledger(cfg.ledger_path) as ledger:
        assert ledger.codings()["segment_id"].tolist() == [turns["segment_id"].iloc[1]]


def test_speakerless_turns_in_workbench_report_themes_and_agreement(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    ingest_project(cfg)
    turns = _turns(cfg, "notes/minutes.md")
    budget = str(turns["segment_id"].iloc[2])

    session = CodingSession(tmp_path, coder="ana")
    session.goto(budget)
    before, after = session.context()
    assert before["segment_id"].tolist() == turns["segment_id"].iloc[:2].tolist()
    assert after["segment_id"].tolist() == turns["segment_id"].iloc[3:5].tolist()
    assert who_html(session.current) == ""
    page = context_html(before, session.current, after)
    assert "None" not in page and "nan" not in page and "Agenda item 1" in page

    with Ledger(cfg.ledger_path) as ledger:
        for coder in ("ana", "ben"):
            ledger.add_coder(coder)
            ledger.code(budget, "trust", coder)
        ledger.code(str(turns["segment_id"].iloc[3]), "power", "ana")
        ledger.mark_reviewed(str(turns["segment_id"].iloc[3]), "ben")
        result = ledger_agreement(ledger, ["ana", "ben"])
    assert len(result.segments) == 2 and len(result.disagreements) == 1
    compare = CompareSession(tmp_path, coders=["ana", "ben"])
    compare.refresh()
    assert len(compare.items) == 1
    assert compare.origin() == ("minutes", "")

    units = prepare_units(load_segments(cfg), load_sources(cfg))
    row = units.set_index("segment_id").loc[budget].to_dict()
    assert unit_context(row) == "minutes"  # no '— None' after a quote
    selections = default_selections(load_segments(cfg))
    assert budget in selections["turns: all speakers"] and budget not in selections["turns: members"]
    assert set(turns["segment_id"]) <= set(selections["turns: all speakers"])

    deid = Deidentifier.for_project(cfg, units)
    assert deid.speaker(None) is None
    assert deid.redact("Kwame: we should ask residents first.").startswith("[name]")  # label names are names


def test_the_default_keeps_the_cache_keys_of_existing_projects() -> None:
    spec = TranscriptSpec("a.txt", wave="1", speaker_roles={"MR": "facilitator"})
    item = _Input("a.txt", Path("a.txt"), "data/raw/a.txt", "transcript", spec, sha256="abc")
    before = {"wave": "1", "date": None, "title": None, "speaker_roles": {"MR": "facilitator"}}  # the spec's fields
    payload = json.dumps([INGEST_VERSION, os.environ.get("COP_SPACY_MODEL", ""), "transcript", before, "abc", []],
                         sort_keys=True, default=str)
    assert _cache_key(item) == hashlib.sha256(payload.encode()).hexdigest()[:24]  # no re-segmenting after upgrade
    plain = dataclasses.replace(item, spec=dataclasses.replace(spec, speakers="none"))
    lines = dataclasses.replace(item, spec=dataclasses.replace(spec, speakers="none", paragraphs="lines"))
    assert len({_cache_key(item), _cache_key(plain), _cache_key(lines)}) == 3


def test_a_document_without_speakers_is_no_interview_in_the_reports(tmp_path: Path) -> None:
    """The shareable report calls such a source 'Document N', its 'About' counts it as a document, the
    overview names paragraphs as units, and its quotes are capped per source like a person's."""
    from cop_analysis import report
    from cop_analysis.report.quotes import QuotePicker

    cfg = _project(tmp_path)
    ingest_project(cfg)
    data = report.load_report_data(cfg)
    shared = report.deidentify_data(data, Deidentifier.for_project(cfg, data.units))
    minutes = shared.units.loc[data.units["source_id"] == "notes/minutes.md", "source_title"].unique().tolist()
    assert len(minutes) == 1 and minutes[0].startswith("Document ")
    about = report.shareable_page(shared, {"run_id": "r1"}).render([])
    assert "1 document without speakers (by paragraph)" in about and "interviews and reflection circles" not in about
    assert "paragraphs of documents without speakers" in dict(report.overview(data))["Coding units"]
    paragraphs = shared.units.loc[shared.units["source_title"] == minutes[0], "segment_id"].tolist()
    picker = QuotePicker(dataclasses.replace(shared, quote_pool=None), per_person=2)
    assert len(picker.take(paragraphs, 10)) <= 2
