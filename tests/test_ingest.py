"""ingest_project end to end: offsets invariant, units, parents, stable ids, incremental runs, CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from typer.testing import CliRunner

from cop_analysis.cli import app
from cop_analysis.config import ProjectConfig
from cop_analysis.ingest import CODING_UNITS, ingest_project, load_segments, load_sources
from cop_analysis.schema import SEGMENTS, SOURCES
from ingest_fixtures import SRT, TXT_ROLES, full_project, make_project


def assert_offsets(cfg: ProjectConfig) -> pd.DataFrame:
    """Check source_text[start:end] == text for every segment and parent containment; return segments."""
    sources = load_sources(cfg).set_index("source_id")
    segments = load_segments(cfg)
    assert list(segments.columns) == SEGMENTS.names and list(load_sources(cfg).columns) == SOURCES.names
    for row in segments.itertuples():
        assert sources.loc[row.source_id, "text"][row.start:row.end] == row.text, row
        assert row.text == row.text.strip() and row.text
    assert segments["segment_id"].is_unique
    by_id = segments.set_index("segment_id")
    children = segments[segments["parent_id"].notna()]
    parents = by_id.loc[children["parent_id"]]
    assert (parents["source_id"].to_numpy() == children["source_id"].to_numpy()).all()
    assert (parents["start"].to_numpy() <= children["start"].to_numpy()).all()
    assert (parents["end"].to_numpy() >= children["end"].to_numpy()).all()
    expected_parent = {"paragraph": "turn", "sentence": {"transcript": "turn", "survey": "response"}}
    for child, parent_unit in zip(children.itertuples(), parents["unit"]):
        want = expected_parent[child.unit]
        assert parent_unit == (want[child.kind] if isinstance(want, dict) else want)
    assert segments.loc[segments["unit"].isin(["turn", "response", "context"]), "parent_id"].isna().all()
    return segments


def test_full_project(tmp_path: Path) -> None:
    cfg = ProjectConfig.load(full_project(tmp_path))
    report = ingest_project(cfg)
    assert not report.errors and not report.warnings, report.summary()
    assert report.n_sources == 9 and report.written and len(report.changed) == 9
    segments = assert_offsets(cfg)
    assert report.n_segments == len(segments) and report.units == segments["unit"].value_counts().to_dict()
    units = segments.groupby("kind")["unit"].unique().map(set).to_dict()
    assert units == {"transcript": {"turn", "paragraph", "sentence", "context"}, "survey": {"response", "sentence"}}
    assert CODING_UNITS == {"transcript": "turn", "survey": "response"}

    turns = segments[segments["unit"] == "turn"]
    assert turns["speaker"].notna().all() and turns["speaker_role"].notna().all()
    assert segments.loc[segments["unit"] == "context", "speaker"].isna().all()
    who = turns.groupby("source_id")["speaker"].apply(list).to_dict()
    assert who["transcripts/circle.txt"] == ["Maria Reyes", "Luz Hernández", "Maria Reyes", "Luz Hernández",
                                             "Maria Reyes"]
    # 'LUZ' in the SRT is linked to the only 'Luz ...' of the project (circle.txt); no 'Kwame ...' anywhere
    assert who["transcripts/closing.srt"] == ["Kwame", "Luz Hernández", "Kwame"]
    assert report.linked == {"Luz": "Luz Hernández"} and "1 speaker names linked across files" in report.summary()
    assert who["transcripts/call.vtt"] == ["Maria Reyes", "Jerome Baptiste", "Wen Li", "Maria Reyes"]
    assert who["transcripts/interview.docx"] == ["Hannah", "Greg", "Hannah", "Greg"]
    roles = turns.drop_duplicates(["source_id", "speaker"]).set_index(["source_id", "speaker"])["speaker_role"]
    assert roles["transcripts/circle.txt", "Maria Reyes"] == "facilitator"  # speaker_roles key 'MR'
    assert roles["transcripts/circle.txt", "Luz Hernández"] == "member"
    assert roles["transcripts/interview.docx", "Greg"] == "participant"
    assert roles["transcripts/paired.md", "Interviewer 1"] == "interviewer"
    # continuation paragraph belongs to Luz's turn; editorial brackets stay in the text
    luz = turns[(turns["source_id"] == "transcripts/circle.txt")].iloc[1]
    assert "[the consultant]" in luz["text"] and luz["text"].endswith("I stopped trusting the process.")
    context = segments[(segments["unit"] == "context") & (segments["source_id"] == "transcripts/circle.txt")]
    assert context["text"].str[:20].tolist() == ["HARBOR COUNTY OFFICE", "END OF TRANSCRIPT", "Transcriber's note: "]
    stamps = turns.set_index("source_id")["timestamp"]
    assert stamps["transcripts/dashboard.txt"].tolist() == [4209, 4230, 4261, 4263]
    assert stamps["transcripts/closing.srt"].tolist() == [1.0, 10.886, 15.3]
    assert stamps["transcripts/circle.txt"].isna().all()
    sentences = segments[(segments["unit"] == "sentence") & (segments["source_id"] == "transcripts/dashboard.txt")]
    assert "I thought it was a technical project." in sentences["text"].tolist()
    assert (sentences["speaker"].notna()).all()

    responses = segments[segments["unit"] == "response"]
    assert len(responses) == 9 and segments.loc[segments["kind"] == "survey", "speaker"].isna().all()
    r = responses[(responses["respondent_id"] == "R_3ghi") & (responses["question_id"] == "Q5")].iloc[0]
    assert json.loads(r["attributes"]) == {"department": "Health", "role": "member"} and r["wave"] == "1"
    assert r["question"] == "What has changed in how you work with community members?"
    survey_sentences = segments[(segments["kind"] == "survey") & (segments["unit"] == "sentence")]
    assert set(survey_sentences["respondent_id"]) == set(responses["respondent_id"])
    sources = load_sources(cfg).set_index("source_id")
    assert sources.loc["surveys/wave1.csv", "text"].startswith(
        "[R_1abc] Q5: What has changed in how you work with community members?\nWe finally ask residents")
    assert sources["n_segments"].sum() == len(segments)
    assert sources.loc["transcripts/call.vtt", "wave"] == "2024" and sources.loc["surveys/monkey.xlsx", "format"] == "xlsx"
    positions = segments.groupby(["source_id", "unit"])["position"].apply(lambda s: s.tolist() == list(range(len(s))))
    assert positions.all()


def test_incremental_and_stable_ids(tmp_path: Path) -> None:
    root = full_project(tmp_path)
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    outputs = [cfg.processed / "sources.parquet", cfg.processed / "segments.parquet"]
    mtimes = [p.stat().st_mtime_ns for p in outputs]
    before = load_segments(cfg)
    sources_before = load_sources(cfg).set_index("source_id")

    again = ingest_project(cfg)  # unchanged input: nothing rewritten
    assert not again.written and again.changed == [] and [p.stat().st_mtime_ns for p in outputs] == mtimes
    assert again.n_segments == len(before) and again.n_sources == 9

    # append a turn to one file: only it is re-ingested, earlier segment ids survive
    srt = root / "data/raw/transcripts/closing.srt"
    srt.write_text(SRT + "\n6\n00:00:20,000 --> 00:00:22,000\nLUZ: Thank you.\n", encoding="utf-8")
    report = ingest_project(cfg)
    assert report.changed == ["transcripts/closing.srt"] and report.written
    after = load_segments(cfg)
    old_srt = set(before.loc[before["source_id"] == "transcripts/closing.srt", "segment_id"])
    new_srt = set(after.loc[after["source_id"] == "transcripts/closing.srt", "segment_id"])
    kept_turn_ids = set(before.loc[(before["source_id"] == "transcripts/closing.srt") & (before["unit"] == "turn"),
                                   "segment_id"])
    assert kept_turn_ids <= new_srt and len(new_srt) > len(old_srt)
    others_before = before[before["source_id"] != "transcripts/closing.srt"].reset_index(drop=True)
    others_after = after[after["source_id"] != "transcripts/closing.srt"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others_before, others_after)
    sources_after = load_sources(cfg).set_index("source_id")
    unchanged = sources_after.index != "transcripts/closing.srt"
    assert (sources_after.loc[unchanged, "ingested_at"] == sources_before.loc[unchanged, "ingested_at"]).all()
    assert_offsets(cfg)

    # a config change that affects a source (its wave) re-ingests only the sources of that entry
    config = yaml.safe_load((root / "project.yml").read_text())
    config["transcripts"][1]["wave"] = "2025"
    (root / "project.yml").write_text(yaml.safe_dump(config))
    cfg = ProjectConfig.load(root)
    report = ingest_project(cfg)
    assert report.changed == ["transcripts/paired.md"]
    assert set(load_segments(cfg).query("source_id == 'transcripts/paired.md'")["wave"]) == {"2025"}

    # a removed file drops out
    (root / "data/raw/surveys/forms.csv").unlink()
    report = ingest_project(cfg)
    assert report.removed == ["surveys/forms.csv"] and report.changed == [] and report.n_sources == 8
    assert "surveys/forms.csv" not in set(load_segments(cfg)["source_id"])
    assert [str(w) for w in report.warnings] == ["data/raw/surveys/forms.csv: no files match this survey path"]

    # deleting the outputs re-ingests everything with the very same segment ids
    for p in outputs:
        p.unlink()
    ingest_project(cfg)
    assert set(load_segments(cfg)["segment_id"]) == set(after.loc[after["source_id"] != "surveys/forms.csv",
                                                                  "segment_id"])


def test_speaker_roles_change_reingests(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"t/paired.txt": TXT_ROLES}, {"transcripts": [{"path": "t/*.txt"}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    root.joinpath("project.yml").write_text(yaml.safe_dump(
        {"transcripts": [{"path": "t/*.txt", "speaker_roles": {"Participant 3": "co-chair"}}]}))
    cfg = ProjectConfig.load(root)
    assert ingest_project(cfg).changed == ["t/paired.txt"]
    turns = load_segments(cfg).query("unit == 'turn'")
    assert set(turns.loc[turns["speaker"] == "Participant 3", "speaker_role"]) == {"co-chair"}


def test_sample_project(sample_project: Path) -> None:
    cfg = ProjectConfig.load(sample_project)
    report = ingest_project(cfg)
    assert not report.errors, report.summary()
    segments = assert_offsets(cfg)
    sources = load_sources(cfg)
    assert len(sources) >= 10 and set(sources["kind"]) == {"transcript", "survey"}
    turns = segments[segments["unit"] == "turn"]
    assert set(turns["source_id"]) == set(sources.loc[sources["kind"] == "transcript", "source_id"])
    assert turns["speaker"].notna().all() and report.n_respondents >= 200
    # 'Kwame:' (co-chairs docx) and 'KWAME:' (closing SRT) are the Kwame Asante of the reflection circles
    assert report.linked["Kwame"] == "Kwame Asante" and not [w for w in report.warnings if "unlinked" in str(w)]
    assert turns.loc[turns["speaker"] == "Kwame Asante", "source_id"].nunique() == 4
    assert not segments.loc[segments["unit"] == "context", "text"].str.contains(r"^\w+ \w+ \(\w+\):").any()


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    root = make_project(tmp_path / "ok", {"t/a.txt": TXT_ROLES, "t/b.txt": b"\x00\x01binary"},
                        {"transcripts": [{"path": "t/*.txt"}]})
    result = runner.invoke(app, ["ingest", "--project", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.output and "t/b.txt" in result.output and "binary" in result.output
    assert (root / "data/processed/segments.parquet").exists()

    bad = make_project(tmp_path / "bad", {"t/b.txt": b"\x00\x01binary"}, {"transcripts": [{"path": "t/*.txt"}]})
    assert runner.invoke(app, ["ingest", "-p", str(bad), "-q"]).exit_code == 1  # every file failed

    invalid = make_project(tmp_path / "invalid", {}, {"surveys": [{"path": "s.csv", "layout": "sideways"}]})
    result = runner.invoke(app, ["ingest", "-p", str(invalid)])
    assert result.exit_code == 2 and "layout 'sideways'" in result.output
    os.remove(invalid / "project.yml")
    assert runner.invoke(app, ["ingest", "-p", str(invalid)]).exit_code == 2


def test_codings_survive_reingestion_and_vanished_segments_are_orphaned(tmp_path: Path) -> None:
    from cop_analysis.ledger import Ledger

    text = "Ana Ruiz (AR): I trust this group now.\n\nBo Li (BL): The pace is too fast.\n"
    root = make_project(tmp_path, {"t/a.txt": text}, {"transcripts": [{"path": "t/*.txt"}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    turns = load_segments(cfg).query("unit == 'turn'").set_index("speaker")["segment_id"]
    ledger = Ledger(cfg.ledger_path)
    ledger.code(turns["Ana Ruiz"], "trust", "maya")
    ledger.code(turns["Bo Li"], "time_pace", "maya")

    # the file changes: Bo's turn is rewritten (a small edit would re-anchor it), Ana's is untouched
    (root / "data/raw/t/a.txt").write_text(text.replace("The pace is too fast.", "Nobody waits for us."),
                                           encoding="utf-8")
    report = ingest_project(cfg)
    assert report.orphaned_codings == 1 and "1 codings are orphaned" in report.summary()
    codings = ledger.codings().set_index("code_id")
    assert len(codings) == 2  # nothing dropped
    assert not codings.loc["trust", "orphaned"] and codings.loc["time_pace", "orphaned"]
    assert codings.loc["trust", "segment_id"] in set(load_segments(cfg)["segment_id"])


KWAME_ASANTE = "Kwame Asante (KA): Welcome, everyone.\nLuz Hernández (LH): Thanks.\nKA: Let's begin.\nLH: Sure.\n"
KWAME_ONLY = "Kwame: Good morning.\nRosa: Hi Kwame.\nKwame: Shall we start?\nRosa: Yes, we were waiting.\n"
KWAME_MENSAH = "Kwame Mensah: I'm new here.\nBao Tran: Welcome.\nKwame Mensah: Thanks.\n"


def _who(cfg: ProjectConfig, source_id: str) -> list[tuple[str, str]]:
    turns = load_segments(cfg).query("unit == 'turn' and source_id == @source_id")
    return list(zip(turns["speaker"], turns["speaker_role"]))


def test_speakers_linked_across_files_incrementally(tmp_path: Path) -> None:
    config = {"transcripts": [{"path": "one/*.txt", "speaker_roles": {"Kwame Asante": "facilitator"}},
                              {"path": "t/*.txt"}]}
    root = make_project(tmp_path, {"one/b.txt": KWAME_ONLY}, config)
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    assert _who(cfg, "one/b.txt")[:2] == [("Kwame", "participant"), ("Rosa", "participant")]
    ids = set(load_segments(cfg)["segment_id"])

    # a new file introduces 'Kwame Asante': the older file's segments are updated (same ids), and the
    # speaker_roles entry keyed by the full name now applies to its 'Kwame'
    (root / "data/raw/t").mkdir()
    (root / "data/raw/t/a.txt").write_text(KWAME_ASANTE, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.changed == ["one/b.txt", "t/a.txt"] and report.written and not report.warnings
    assert report.linked == {"Kwame": "Kwame Asante"} and report.n_speakers == 3
    assert _who(cfg, "one/b.txt")[:2] == [("Kwame Asante", "facilitator"), ("Rosa", "member")]
    assert ids <= set(load_segments(cfg)["segment_id"])
    assert set(load_segments(cfg).query("source_id == 'one/b.txt' and unit == 'sentence'")["speaker"]) == {
        "Kwame Asante", "Rosa"}

    outputs = [cfg.processed / "sources.parquet", cfg.processed / "segments.parquet"]
    mtimes = [p.stat().st_mtime_ns for p in outputs]
    again = ingest_project(cfg)  # unchanged inputs: nothing rewritten
    assert not again.written and again.changed == [] and [p.stat().st_mtime_ns for p in outputs] == mtimes
    assert again.linked == {"Kwame": "Kwame Asante"}

    # a second 'Kwame ...' makes 'Kwame' ambiguous: unlinked again, with a warning naming the files
    (root / "data/raw/t/c.txt").write_text(KWAME_MENSAH, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.changed == ["one/b.txt", "t/c.txt"] and _who(cfg, "one/b.txt")[0] == ("Kwame", "participant")
    assert [str(w) for w in report.warnings] == [
        "data/raw/one/b.txt: speaker 'Kwame' could be Kwame Asante (data/raw/t/a.txt) or Kwame Mensah "
        "(data/raw/t/c.txt): left unlinked; name the person under speaker_aliases in project.yml to link it"]
    assert report.linked == {} and report.n_speakers == 6
    from cop_analysis.pipeline import input_warnings

    assert input_warnings(cfg) == [{"path": "data/raw/one/b.txt", "message": report.warnings[0].message}]  # for a run

    # an explicit alias settles it: only the file that says 'Kwame' is segmented again
    config["speaker_aliases"] = {"Kwame": "Kwame Asante"}
    (root / "project.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    cfg = ProjectConfig.load(root)
    report = ingest_project(cfg)
    assert report.changed == ["one/b.txt"] and not report.warnings
    assert input_warnings(cfg) == []
    assert _who(cfg, "one/b.txt")[0] == ("Kwame Asante", "facilitator") and report.n_speakers == 5


def test_linked_speakers_share_one_pseudonym(tmp_path: Path) -> None:
    from cop_analysis.deidentify import Deidentifier

    root = make_project(tmp_path, {"t/a.txt": KWAME_ASANTE, "t/b.txt": KWAME_ONLY}, {"transcripts": [{"path": "t/*"}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    turns = load_segments(cfg).query("unit == 'turn'")
    deid = Deidentifier.for_project(cfg, turns)  # as report.build_reports does, with the ingested speakers
    by_file = {sid: {deid.speaker(w, r).split(" (")[0] for w, r in zip(t["speaker"], t["speaker_role"])}
               for sid, t in turns.groupby("source_id")}
    kwame = deid.speaker("Kwame Asante")
    assert kwame in by_file["t/a.txt"] and kwame in by_file["t/b.txt"]
    assert len(by_file["t/a.txt"] | by_file["t/b.txt"]) == 3  # Kwame Asante, Luz Hernández, Rosa
    assert deid.redact("Rosa thanked Kwame.") == "[name] thanked [name]."


# -- re-anchoring codings when a source is edited ----------------------------------------------
THREE = ("Ana Ruiz (AR): I trust this grup now. The county listens.\n\n"
         "Bo Li (BL): The pace is too fast for us.\n\n"
         "Cy Dorn (CD): Budgets decide everything here.\n\n"
         "AR: We keep showing up anyway. That matters to me.\n\n"
         "BL: Agreed, and the stipends help.\n")


def _ledger_state(path: Path) -> dict[str, list[tuple]]:
    import sqlite3

    from cop_analysis.ledger import DERIVED_TABLES

    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in DERIVED_TABLES}


def _covered(cfg: ProjectConfig, codings: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(code, coder) -> the source text each coding covers (its span, else its whole segment)."""
    texts = load_sources(cfg).set_index("source_id")["text"]
    segments = load_segments(cfg).set_index("segment_id")
    out = {}
    for c in codings.itertuples():
        seg = segments.loc[c.segment_id]
        start, end = (seg["start"], seg["end"]) if pd.isna(c.span_start) else (c.span_start, c.span_end)
        out[(c.code_id, c.coder)] = texts[seg["source_id"]][start:end]
    return out


def _ingested_project(tmp_path: Path, files: dict[str, str]) -> tuple[ProjectConfig, pd.DataFrame, Any]:
    """A transcript project, ingested: (config, its turns, its ledger)."""
    from cop_analysis.ledger import Ledger

    cfg = ProjectConfig.load(make_project(tmp_path, files, {"transcripts": [{"path": "t/*.txt"}]}))
    ingest_project(cfg)
    return cfg, load_segments(cfg).query("unit == 'turn'").reset_index(drop=True), Ledger(cfg.ledger_path)


def _coded_project(tmp_path: Path, files: dict[str, str]) -> tuple[ProjectConfig, pd.DataFrame, Any]:
    """:func:`_ingested_project` with each turn coded ``code<i>`` by maya."""
    cfg, turns, ledger = _ingested_project(tmp_path, files)
    for i, row in turns.iterrows():
        ledger.code(row["segment_id"], f"code{i}", "maya")
    return cfg, turns, ledger


def test_typo_fix_keeps_later_codings_on_their_words(tmp_path: Path) -> None:
    cfg, turns, ledger = _coded_project(tmp_path, {"t/a.txt": THREE})
    root = cfg.root
    ledger.code(turns.loc[1, "segment_id"], "pace", "ben", created_at="2025-01-02T03:04:05Z")
    sub = THREE.index("That matters to me.")
    ledger.code(turns.loc[3, "segment_id"], "belonging", "maya", span=(sub, sub + len("That matters to me.")))
    ledger.memo("ask about stipends", "maya", segment_id=turns.loc[4, "segment_id"])
    before = ledger.codings().set_index(["code_id", "coder"]).sort_index()
    covered = _covered(cfg, ledger.codings())

    (root / "data/raw/t/a.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    report = ingest_project(cfg)
    assert report.reanchored_codings == 7 and report.reanchored_memos == 1 and report.orphaned_codings == 0
    assert "7 codings and 1 memos re-anchored" in report.summary()
    after = ledger.codings().set_index(["code_id", "coder"]).sort_index()
    assert list(after.index) == list(before.index) and not after["orphaned"].any()
    assert (after["coding_id"] == before["coding_id"]).all() and (after["created_at"] == before["created_at"]).all()
    new_turns = load_segments(cfg).query("unit == 'turn'").reset_index(drop=True)
    assert set(after["segment_id"]) == set(new_turns["segment_id"])
    assert not set(after["segment_id"]) & set(turns["segment_id"][1:])  # the ids after the edit all changed
    whole = after.drop(("belonging", "maya"))
    assert whole["span_start"].isna().all()  # whole-turn codings stay whole
    now = _covered(cfg, ledger.codings())
    assert now.pop(("code0", "maya")) == covered.pop(("code0", "maya")).replace("grup", "group")
    assert now == covered and now[("belonging", "maya")] == "That matters to me."
    assert ledger.memos()["segment_id"].tolist() == [new_turns.loc[4, "segment_id"]]
    moves = ledger.history().query("action == 'reanchor'")
    assert len(moves) == 8 and set(moves["coder"]) == {"system"}
    assert json.loads(moves.iloc[0]["payload"])["coder"] == "maya"

    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state
    n_events = len(ledger.history())
    again = ingest_project(cfg)  # nothing changed: nothing moves, nothing is logged
    assert again.reanchored_codings == 0 and not again.written and len(ledger.history()) == n_events

    # undo after the move acts on the moved coding; redo puts it back there
    assert ledger.undo("maya") is not None  # the memo
    assert ledger.undo("maya") is not None  # the sub-span coding
    assert ("belonging", "maya") not in set(ledger.codings().set_index(["code_id", "coder"]).index)
    ledger.redo("maya")
    moved = ledger.codings().set_index(["code_id", "coder"]).loc[("belonging", "maya")]
    assert moved["segment_id"] == after.loc[("belonging", "maya"), "segment_id"] and not moved["orphaned"]
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state


def test_deleted_turn_stays_orphaned_and_merged_turns_keep_both_codings(tmp_path: Path) -> None:
    cfg, turns, ledger = _coded_project(tmp_path, {"t/a.txt": THREE})  # code0 .. code4
    root = cfg.root
    covered = _covered(cfg, ledger.codings())

    # Cy's turn is deleted (it sat between Bo and Ana: nothing merges); the turns after it move
    edited = THREE.replace("Cy Dorn (CD): Budgets decide everything here.\n\n", "")
    (root / "data/raw/t/a.txt").write_text(edited, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.reanchored_codings == 2 and report.orphaned_codings == 1
    codings = ledger.codings().set_index("code_id")
    assert codings["orphaned"].tolist() == [False, False, True, False, False]
    assert codings.loc["code2", "segment_id"] == turns.loc[2, "segment_id"]  # kept, detached
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v for k, v in covered.items() if k[0] != "code2"}

    # Bo's first turn goes too: Ana's two turns become one turn; both codings stay, as sub-spans
    merged = edited.replace("Bo Li (BL): The pace is too fast for us.\n\n", "")
    (root / "data/raw/t/a.txt").write_text(merged, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.reanchored_codings == 3 and report.orphaned_codings == 2
    new_turns = load_segments(cfg).query("unit == 'turn'").reset_index(drop=True)
    assert new_turns["speaker"].tolist() == ["Ana Ruiz", "BL"]  # no "Bo Li (BL)" line left to expand BL
    codings = ledger.codings().set_index("code_id")
    assert codings.loc[["code0", "code3"], "segment_id"].tolist() == [new_turns.loc[0, "segment_id"]] * 2
    assert codings.loc[["code0", "code3"], "span_start"].notna().all()
    assert codings.loc["code4", "segment_id"] == new_turns.loc[1, "segment_id"]
    assert pd.isna(codings.loc["code4", "span_start"])
    assert codings.loc[["code1", "code2"], "orphaned"].all()
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v for k, v in covered.items() if k[0] not in ("code1", "code2")}
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state


def test_renamed_file_keeps_its_codings_and_a_removed_one_orphans_them(tmp_path: Path) -> None:
    other = "Di Park (DP): Our parks need shade trees and benches.\n\nEd Wu (EW): And water fountains.\n"
    cfg, turns, ledger = _coded_project(tmp_path, {"t/a.txt": THREE, "t/b.txt": other})
    root = cfg.root
    covered = _covered(cfg, ledger.codings())

    # a.txt renamed (and a typo fixed on the way), b.txt deleted, an unrelated c.txt added
    (root / "data/raw/t/a.txt").unlink()
    (root / "data/raw/t/b.txt").unlink()
    (root / "data/raw/t/2023-03-14_circle.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    (root / "data/raw/t/c.txt").write_text("Fay Ng (FN): The pace is fine now.\n", encoding="utf-8")
    report = ingest_project(cfg)
    assert report.renamed == {"t/a.txt": "t/2023-03-14_circle.txt"} and report.removed == ["t/b.txt"]
    assert "1 files renamed or moved, their codings follow: t/a.txt -> t/2023-03-14_circle.txt" in report.summary()
    assert report.reanchored_codings == 5 and report.orphaned_codings == 2
    codings = ledger.codings().set_index("code_id")
    assert codings["orphaned"].tolist() == [False] * 5 + [True] * 2  # b.txt's two turns
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v.replace("grup", "group") for k, v in covered.items() if k[0] not in ("code5", "code6")}
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state


def _stat(path: Path) -> tuple[int, int]:
    """(inode, mtime): an atomic rewrite changes both."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


OTHER = "Di Park (DP): Our parks need shade trees and benches.\n\nEd Wu (EW): And water fountains.\n"


def test_orphans_of_a_removed_file_follow_it_when_it_comes_back_renamed(tmp_path: Path) -> None:
    from cop_analysis.ingest import load_vanished_sources

    cfg, turns, ledger = _coded_project(tmp_path, {"t/interview_03.txt": THREE, "t/parks.txt": OTHER})  # code0..6
    raw = cfg.root / "data/raw/t"
    sub = THREE.index("That matters to me.")
    ledger.code(turns.loc[3, "segment_id"], "belonging", "maya", span=(sub, sub + len("That matters to me.")))
    ledger.memo("ask about stipends", "maya", segment_id=turns.loc[4, "segment_id"])
    ledger.mark_reviewed(turns.loc[2, "segment_id"], "ben")
    before = ledger.codings().set_index(["code_id", "coder"]).sort_index()
    covered = _covered(cfg, ledger.codings())
    archive_path = cfg.processed / "vanished_sources.parquet"

    # run 1: the coded transcript is deleted: its 6 codings are orphaned, its text is archived
    (raw / "interview_03.txt").unlink()
    report = ingest_project(cfg)
    assert report.removed == ["t/interview_03.txt"] and report.orphaned_codings == 6
    assert report.archived == ["t/interview_03.txt"] and "the last text of 1 removed files is kept" in report.summary()
    assert "t/interview_03.txt" not in set(load_sources(cfg)["source_id"])
    archive = load_vanished_sources(cfg)
    assert archive["source_id"].tolist() == ["t/interview_03.txt"] and archive.loc[0, "text"] == THREE
    assert {s[0] for s in json.loads(archive.loc[0, "segments"])} >= set(turns["segment_id"][:5])
    stat = _stat(archive_path)

    # run 2: an unrelated new file does not capture the orphans; the archive is not rewritten
    (raw / "c.txt").write_text("Fay Ng (FN): The library hours changed in May.\n", encoding="utf-8")
    report = ingest_project(cfg)
    assert report.written and report.changed == ["t/c.txt"] and report.renamed == {} and report.restored == {}
    assert report.orphaned_codings == 6 and report.archived == ["t/interview_03.txt"]
    assert _stat(archive_path) == stat and ledger.codings()["orphaned"].sum() == 6

    # run 3: the file is back, renamed, with a typo fixed: everything follows it
    (raw / "interview_03_final.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    report = ingest_project(cfg)
    assert report.restored == {"t/interview_03.txt": "t/interview_03_final.txt"}
    assert report.restored_codings == 6 and report.restored_memos == 1 and report.orphaned_codings == 0
    assert ("1 files removed earlier are back: 6 orphaned codings and 1 memos re-anchored onto them: "
            "t/interview_03.txt -> t/interview_03_final.txt") in report.summary()
    assert report.reanchored_codings == 0 and report.renamed == {}  # nothing vanished in this run
    after = ledger.codings().set_index(["code_id", "coder"]).sort_index()
    assert list(after.index) == list(before.index) and not after["orphaned"].any()
    assert (after["coding_id"] == before["coding_id"]).all() and (after["created_at"] == before["created_at"]).all()
    now = _covered(cfg, ledger.codings())
    assert now == {k: v.replace("grup", "group") for k, v in covered.items()}
    assert now[("belonging", "maya")] == "That matters to me."
    new_turns = load_segments(cfg).query("source_id == 't/interview_03_final.txt' and unit == 'turn'")
    new_turns = new_turns.reset_index(drop=True)
    assert ledger.memos()["segment_id"].tolist() == [new_turns.loc[4, "segment_id"]]
    assert ledger.reviewed()["segment_id"].tolist() == [new_turns.loc[2, "segment_id"]]
    moves = ledger.history().query("action == 'reanchor'")
    assert len(moves) == 8 and set(moves["coder"]) == {"system"}
    assert {json.loads(p)["from_segment"] for p in moves["payload"]} <= set(turns["segment_id"])
    # nothing points at the archived text any more: it is dropped
    assert report.archived == [] and not archive_path.exists() and "removed files is kept" not in report.summary()
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*.txt")) == [
        "c.txt", "interview_03_final.txt", "parks.txt"]  # data/raw is only read

    n_events = len(ledger.history())
    again = ingest_project(cfg)  # unchanged: nothing moves, nothing is written or logged
    assert not again.written and again.restored == {} and len(ledger.history()) == n_events
    assert not archive_path.exists()


def test_archive_of_a_removed_file_is_kept_unchanged_and_dropped_once_nothing_points_at_it(tmp_path: Path) -> None:
    cfg, turns, ledger = _ingested_project(tmp_path, {"t/a.txt": THREE, "t/b.txt": OTHER, "t/c.txt": TXT_ROLES})
    raw, archive_path = cfg.root / "data/raw/t", cfg.processed / "vanished_sources.parquet"
    b_turns = turns.query("source_id == 't/b.txt'")["segment_id"].tolist()
    ledger.code(b_turns[0], "shade", "maya")
    ledger.code(b_turns[1], "water", "maya", span=(OTHER.index("water"), OTHER.index("water") + 5))
    memo_id = ledger.memo("parks again", "maya", segment_id=b_turns[1])
    ledger.code(turns.query("source_id == 't/a.txt'")["segment_id"].iloc[0], "trust", "maya")

    # b.txt (coded) and c.txt (nobody coded it) are removed: only b.txt is archived
    (raw / "b.txt").unlink()
    (raw / "c.txt").unlink()
    report = ingest_project(cfg)
    assert report.removed == ["t/b.txt", "t/c.txt"] and report.archived == ["t/b.txt"]
    assert report.orphaned_codings == 2
    stat = _stat(archive_path)

    # unchanged reruns, and a run where a coder removed some (not all) of what points at it: not rewritten
    again = ingest_project(cfg)
    assert not again.written and again.archived == ["t/b.txt"] and _stat(archive_path) == stat
    ledger.uncode(b_turns[0], "shade", "maya")
    assert ingest_project(cfg).archived == ["t/b.txt"] and _stat(archive_path) == stat

    # the last coding and the memo go: the next run, even an unchanged one, drops the archive
    ledger.uncode(b_turns[1], "water", "maya", span=(OTHER.index("water"), OTHER.index("water") + 5))
    ledger.delete_memo(memo_id, "maya")
    report = ingest_project(cfg)
    assert not report.written and report.archived == [] and not archive_path.exists()
    assert report.orphaned_codings == 0 and "removed files is kept" not in report.summary()

    # b.txt comes back: nothing was kept, nothing to restore (and no archive appears)
    (raw / "b.txt").write_text(OTHER, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.restored == {} and report.archived == [] and not archive_path.exists()


def test_orphans_of_a_removed_file_follow_it_back_under_its_own_name(tmp_path: Path) -> None:
    cfg, turns, ledger = _coded_project(tmp_path, {"t/a.txt": THREE, "t/b.txt": OTHER})
    raw = cfg.root / "data/raw/t"
    covered = _covered(cfg, ledger.codings())
    (raw / "a.txt").unlink()
    assert ingest_project(cfg).orphaned_codings == 5

    # a.txt is put back under its old name, edited: Cy's turn is gone, a typo is fixed
    edited = THREE.replace("grup", "group").replace("Cy Dorn (CD): Budgets decide everything here.\n\n", "")
    (raw / "a.txt").write_text(edited, encoding="utf-8")
    report = ingest_project(cfg)
    assert report.restored == {"t/a.txt": "t/a.txt"} and report.restored_codings == 4
    assert report.orphaned_codings == 1 and report.archived == ["t/a.txt"]  # Cy's coding still points at it
    codings = ledger.codings().set_index("code_id")
    assert codings["orphaned"].tolist() == [False, False, True, False, False, False, False]
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v.replace("grup", "group") for k, v in covered.items() if k[0] != "code2"}

    # Cy's turn is restored by a later edit: its coding comes back from the archive, which is then dropped
    (raw / "a.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    report = ingest_project(cfg)
    assert report.restored == {"t/a.txt": "t/a.txt"} and report.restored_codings == 1
    assert report.orphaned_codings == 0 and report.archived == []
    assert _covered(cfg, ledger.codings()) == {k: v.replace("grup", "group") for k, v in covered.items()}
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state


def test_an_edited_file_and_a_removed_copy_of_it_each_keep_their_own_old_text(tmp_path: Path) -> None:
    copy = THREE.replace("Budgets decide everything here.", "Nobody asked the residents first.")
    cfg, turns, ledger = _coded_project(tmp_path, {"t/a.txt": THREE, "t/b.txt": copy})  # a: code0-4, b: code5-9
    covered = _covered(cfg, ledger.codings())

    # a.txt gets a typo fix; b.txt, its near copy, is deleted: b pairs with the edited a.txt
    (cfg.root / "data/raw/t/a.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    (cfg.root / "data/raw/t/b.txt").unlink()
    report = ingest_project(cfg)
    assert report.renamed == {"t/b.txt": "t/a.txt"} and report.changed == ["t/a.txt"]
    assert report.reanchored_codings == 9 and report.orphaned_codings == 1  # b's rewritten turn (code7)
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v.replace("grup", "group") for k, v in covered.items() if k[0] != "code7"}


def test_spoken_text_cuts_labels_inside_merged_turns(tmp_path: Path) -> None:
    from cop_analysis.ingest import spoken_text

    text = ("[00:00:05] Ana Ruiz: We decided. I'll send it round.\n"
            "[00:00:12] Ana Ruiz: One more round, then we close.\n\n"
            "And a second paragraph.\n"
            "[00:00:20] Bo Li: Agreed.\n")
    root = make_project(tmp_path, {"t/a.txt": text}, {"transcripts": [{"path": "t/*.txt"}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    segments = load_segments(cfg)
    spoken = spoken_text(segments)
    turns = segments["unit"] == "turn"
    assert segments.loc[turns, "text"].tolist()[0].count("Ana Ruiz") == 1  # the span keeps the second label
    assert spoken[turns].tolist() == ["We decided. I'll send it round.\nOne more round, then we close.\n\n"
                                      "And a second paragraph.", "Agreed."]
    assert spoken[~turns].equals(segments.loc[~turns, "text"])


def test_rename_pairing_is_one_to_one_best_first_and_within_a_kind() -> None:
    from types import SimpleNamespace

    from cop_analysis.ingest import _renamed_sources

    words = [f"w{i}" for i in range(400)]
    a, b = " ".join(words[:200]), " ".join(words[200:])
    gone = pd.DataFrame({"source_id": ["old_a", "old_b", "old_s"], "text": [a, b, a],
                         "kind": ["transcript", "transcript", "survey"]})
    parsed = {"new_a": SimpleNamespace(source={"text": a + " and a closing remark", "kind": "transcript"}),
              "new_a2": SimpleNamespace(source={"text": " ".join(words[:120]), "kind": "transcript"}),  # J = 0.6
              "new_c": SimpleNamespace(source={"text": "an unrelated text " * 20, "kind": "transcript"})}
    assert _renamed_sources(gone, parsed) == {"old_a": "new_a"}  # old_b and the survey have no successor
    del parsed["new_a"]
    assert _renamed_sources(gone, parsed) == {"old_a": "new_a2"}
    parsed["new_a2"].source["text"] = " ".join(words[:90])  # J < 0.5: not a rename
    assert _renamed_sources(gone, parsed) == {}


def test_survey_answer_edit_keeps_codings_on_the_other_answers(tmp_path: Path) -> None:
    from cop_analysis.ledger import Ledger
    from ingest_fixtures import QUALTRICS_ROWS, csv_text

    config = {"surveys": [{"path": "s/wave1.csv", "open_ended": ["Q5", "Q6"]}]}
    root = make_project(tmp_path, {"s/wave1.csv": csv_text(QUALTRICS_ROWS)}, config)
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    answers = load_segments(cfg).query("unit == 'response'").reset_index(drop=True)
    ledger = Ledger(cfg.ledger_path)
    for i in range(len(answers)):
        ledger.code(answers.loc[i, "segment_id"], f"code{i}", "maya")
    covered = _covered(cfg, ledger.codings())

    rows = [list(r) for r in QUALTRICS_ROWS]
    rows[3][6] = "Nothing changed for me."  # R_1abc's Q5 answer rewritten
    (root / "data/raw/s/wave1.csv").write_text(csv_text(rows), encoding="utf-8")
    report = ingest_project(cfg)
    assert report.orphaned_codings == 1 and report.reanchored_codings == len(answers) - 1
    codings = ledger.codings().set_index("code_id")
    assert codings["orphaned"].tolist() == [True] + [False] * (len(answers) - 1)
    now = _covered(cfg, ledger.codings().query("not orphaned"))
    assert now == {k: v for k, v in covered.items() if k[0] != "code0"}


def test_text_map_of_a_200_kb_transcript_is_fast_and_exact() -> None:
    import random
    import time

    from cop_analysis.anchoring import TextMap

    rng = random.Random(3)
    vocab = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    paras = [f"{rng.choice(['AR', 'BL', 'CD'])}: " + " ".join(rng.choices(vocab, k=rng.randint(5, 80)))
             for _ in range(730)]
    old = "\n\n".join(paras)
    assert len(old) > 200_000
    chars, deleted = list(old), set()
    for p in sorted(rng.sample(range(len(old) - 10), 60), reverse=True):  # 60 edits all over the text
        chars[p:p + 4] = list("QZ")
        deleted.update(range(p, p + 4))
    new = "".join(chars)
    started = time.perf_counter()
    tm = TextMap(old, new)
    assert time.perf_counter() - started < 1.0
    for pos in rng.sample(range(len(old)), 2000):
        mapped = tm.char(pos)
        if pos in deleted:
            assert mapped is None
        elif mapped is not None:
            assert new[mapped] == old[pos]
    kept = [pos for pos in range(len(old)) if pos not in deleted]
    assert sum(tm.char(pos) is not None for pos in kept) > 0.99 * len(kept)
    clean = next(i for i in range(0, len(old) - 50, 50) if not deleted & set(range(i - 1, i + 51)))
    start, end = tm.span(clean, clean + 50)
    assert new[start:end] == old[clean:clean + 50]
    edit = min(deleted)
    assert tm.span(edit, edit + 2) is None and tm.span(10, 10) is None


def test_text_map_keeps_a_kept_line_s_last_characters_next_to_an_inserted_or_deleted_line() -> None:
    from cop_analysis.anchoring import TextMap

    # a typo fixed and a turn deleted: the common suffix must not take Bo's "." from Cy's "here."
    edited = THREE.replace("grup", "group").replace("Cy Dorn (CD): Budgets decide everything here.\n\n", "")
    tm = TextMap(THREE, edited)
    for line in filter(None, THREE.splitlines()):
        start = THREE.index(line)
        span = tm.span(start, start + len(line))
        if line.startswith("Cy Dorn"):
            assert span is None
        else:
            assert span is not None and edited[span[0]:span[1]] == line.replace("grup", "group")
    # a line inserted before one it starts like: the common prefix must not take "Bo" from "Bob"
    old, new = "x\nBo: hi\n", "x\nBob: yo\nBo: hi\n"
    assert TextMap(old, new).span(2, 8) == (new.index("Bo: hi"), new.index("Bo: hi") + 6)
    # the old last line (no line break after it) now followed by more turns that end the same way
    old = "A: alpha beta gamma.\n\nB: we need a lot more money here."
    new = "A: alpha beta gamma!\n\nB: we need a lot more money here.\n\nC: the council said no.\n\nD: not here."
    tm = TextMap(old, new)
    assert tm.span(len(old) - 5, len(old)) == (50, 55) and tm.span(old.index("B:"), len(old)) == (22, 55)
    # the text's own first or last character changed: the span still starts or ends with the text
    old, new = '"Hi all.\n\nB: we moved it, finally.', 'Hi all.\n\nB: we moved it, finally!'
    tm = TextMap(old, new)
    assert tm.span(0, 8) == (0, 7) and tm.span(old.index("B:"), len(old)) == (new.index("B:"), len(new))


def test_text_map_does_not_stretch_a_span_over_words_inserted_after_its_changed_last_character() -> None:
    from cop_analysis.anchoring import TextMap

    def moved(old: str, new: str, text: str) -> str | None:
        span = TextMap(old, new).span(old.index(text), old.index(text) + len(text))
        return new[span[0]:span[1]] if span else None

    # "." -> "!" and words inserted after it: the "." is not the inserted sentence's final "."
    old, new = "A: we moved it, finally.\n\nB: ok.", "A: we moved it, finally! And more words here.\n\nB: ok."
    assert moved(old, new, "we moved it, finally.") == "we moved it, finally"
    old, new = "A: finally. Then\n", "A: finally! And more here. Then\n"
    assert moved(old, new, "finally.") == "finally"
    old, new = 'A: we said "hi there" ok\n', "A: we said, then more: 'hi there' ok\n"
    assert moved(old, new, '"hi there"') == "hi there"
    # changed in place, nothing inserted: the span keeps its neighbours' places
    assert moved("A: finally. Then\n", "A: finally! Then\n", "finally.") == "finally!"
    assert moved("A: the grup ok\n", "A: the group ok\n", "the grup") == "the group"
    assert moved("A: the grup.\n", "A: the group!\n", "the grup.") == "the group!"
    # a changed letter at the end, words inserted after it: no place for the end that would not cut a word
    assert moved("A: the grup.\n", "A: the group! And more here.\n", "the grup.") is None
    # a short last word is a whole word: words inserted or deleted after it keep the span where it was
    assert moved("A: we did it\n\nB: ok.", "A: we did it, and more words here.\n\nB: ok.", "we did it") == "we did it"
    assert moved("A: so I\n\nB: ok.", "A: so I think more about it.\n\nB: ok.", "so I") == "so I"
    assert moved("A: then it yes.", "A: then it.", "then it yes.") == "then it."
    assert moved("A: we and ok. online", "A: we and. online", "we and ok.") == "we and."
    # a changed edge never cuts a word; a typo in the edge word keeps the span when words were inserted next to it
    assert moved("A: time here itin?", "A: time here iting? Group more", "time here itin?") == "time here iting"
    assert moved("A: the? ixing here,", "A: the? we group ok iting here,", "ixing here,") == "iting here,"
    assert moved("A: that so group project", "A: that so project", "that so group") is None


def test_no_code_marks_follow_an_edit_but_not_into_a_merged_turn(tmp_path: Path) -> None:
    cfg, turns, ledger = _ingested_project(tmp_path, {"t/a.txt": THREE})
    root = cfg.root
    for i in (1, 3, 4):
        ledger.mark_reviewed(turns.loc[i, "segment_id"], "maya")

    (root / "data/raw/t/a.txt").write_text(THREE.replace("grup", "group"), encoding="utf-8")
    ingest_project(cfg)
    new_turns = load_segments(cfg).query("unit == 'turn'").reset_index(drop=True)
    assert sorted(ledger.reviewed("maya")["segment_id"]) == sorted(new_turns.loc[[1, 3, 4], "segment_id"])
    ledger.undo("maya")  # the last mark, on turn 4: undone where it now is
    assert sorted(ledger.reviewed("maya")["segment_id"]) == sorted(new_turns.loc[[1, 3], "segment_id"])
    ledger.redo("maya")
    assert new_turns.loc[4, "segment_id"] in set(ledger.reviewed("maya")["segment_id"])
    state = _ledger_state(cfg.ledger_path)
    ledger.rebuild()
    assert _ledger_state(cfg.ledger_path) == state

    # Bo's and Cy's turns go: Ana's two turns merge; her merged turn holds text the mark never covered
    merged = THREE.replace("grup", "group").replace("Bo Li (BL): The pace is too fast for us.\n\n", "").replace(
        "Cy Dorn (CD): Budgets decide everything here.\n\n", "")
    (root / "data/raw/t/a.txt").write_text(merged, encoding="utf-8")
    ingest_project(cfg)
    last = load_segments(cfg).query("unit == 'turn'").reset_index(drop=True)
    reviewed = set(ledger.reviewed("maya")["segment_id"])
    assert last.loc[0, "segment_id"] not in reviewed and new_turns.loc[3, "segment_id"] in reviewed  # left behind
    assert last.loc[1, "segment_id"] in reviewed  # the last turn only shifted
