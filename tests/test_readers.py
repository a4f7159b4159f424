"""Readers: text decoding/normalisation, txt/md, docx, vtt, srt, and the survey layouts."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pandas as pd
import pytest

from cop_analysis import textnorm
from cop_analysis.config import ProjectConfig, SurveySpec
from cop_analysis.ingest import ingest_project, load_segments
from cop_analysis.readers import ReadError
from cop_analysis.readers.surveys import detect_layout, read_grid, read_survey, responses
from cop_analysis.readers.transcripts import parse_srt, parse_vtt, read_transcript
from ingest_fixtures import (DOCX_PARAGRAPHS, EXPORTS, GOOGLE_ROWS, QUALTRICS_ROWS, SRT, SURVEYMONKEY_ROWS, TEAMS_VTT,
                             TXT_ABBREV, VTT, csv_text, exports_project, write_docx, write_xlsx)

TEXT = "Luz Hernández: “Trust” is slow — café.\r\nSecond line\rThird"
NORMAL = "Luz Hernández: “Trust” is slow — café.\nSecond line\nThird"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("utf-16-le"), "utf-16-le"),
    (TEXT.encode("utf-16-be"), "utf-16-be"),
    (TEXT.encode("cp1252"), "cp1252"),
])
def test_decode_and_normalize(data: bytes, encoding: str) -> None:
    decoded = textnorm.decode_normalized(data)
    assert decoded.text == NORMAL and decoded.encoding == encoding
    assert (decoded.fallback_bytes > 0) == (encoding == "cp1252")


def test_mixed_encoding_and_nfc() -> None:
    mixed = "Luz Hernández said ".encode("utf-8") + "“ouch”".encode("cp1252") + " twice.".encode("utf-8")
    decoded = textnorm.decode_normalized(mixed)
    assert decoded.text == "Luz Hernández said “ouch” twice." and decoded.encoding == "utf-8+cp1252"
    assert decoded.fallback_bytes == 2
    assert textnorm.normalize("Herna\u0301ndez\ufeff") == "Hernández"


def test_txt_and_md(tmp_path: Path) -> None:
    path = tmp_path / "circle.md"
    path.write_bytes(codecs.BOM_UTF8 + TXT_ABBREV.replace("\n", "\r\n").encode("utf-8"))
    doc = read_transcript(path)
    assert doc.text == TXT_ABBREV and doc.encoding == "utf-8-sig" and not doc.warnings
    assert [p.label.label for p in doc.paragraphs if p.label][:2] == ["Maria Reyes", "Luz Hernández"]


def test_docx(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "i.docx", DOCX_PARAGRAPHS + ["", "Hannah: Thank you.\nGreg: Thanks."],
                      table=[["Greg", "A table row is a turn too."], ["a", "b", ][:1] + ["c"]])
    doc = read_transcript(path)
    assert doc.text.split("\n\n")[:3] == DOCX_PARAGRAPHS[:3]
    assert "Hannah: Thank you.\nGreg: Thanks.\n\nGreg: A table row is a turn too.\n\na: c" in doc.text
    turns = [(p.label.label, doc.text[p.start:p.end]) for p in doc.paragraphs if p.label]
    assert turns[0] == ("Hannah", "Thanks for making time, Greg.")
    assert ("Greg", "Thanks.") in turns and ("Greg", "A table row is a turn too.") in turns


def test_vtt(tmp_path: Path) -> None:
    cues = parse_vtt(VTT)
    assert [(c.voice, c.start) for c in cues] == [(None, 0.0), ("Maria Reyes", 1.0), ("Maria Reyes", 3.708),
                                                  ("Jerome Baptiste", 11.8), ("Wen Li", 11.8), ("Maria Reyes", 62.0)]
    assert cues[0].note and cues[2].text == "This is a short reflection call & no decisions."
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    doc = read_transcript(path)
    assert doc.text == (
        "Reflection call, recorded on Zoom.\n\n"
        "[00:00:01] Maria Reyes: Hi everyone, thanks for jumping on. This is a short reflection call & no decisions."
        "\n\n[00:00:11] Jerome Baptiste: I'm tired, Maria.\n\n[00:00:11] Wen Li: Me too.\n\n"
        "[00:01:02] Maria Reyes: Thank you, all of you.")
    assert [(p.label.label if p.label else None, p.timestamp, p.line) for p in doc.paragraphs] == [
        (None, None, 3), ("Maria Reyes", 1.0, 8), ("Jerome Baptiste", 11.8, 16), ("Wen Li", 11.8, 16),
        ("Maria Reyes", 62.0, 21)]
    assert doc.text[doc.paragraphs[2].start:doc.paragraphs[2].end] == "I'm tired, Maria."


def test_vtt_zoom_style_labels(tmp_path: Path) -> None:
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nDana Whitfield: Hello there.\n\n"
            "2\n00:00:03.000 --> 00:00:04.000\nstill Dana talking\n\n"
            "3\n00:00:05.000 --> 00:00:06.000\nMarcus Bell: Hi.\n")
    path = tmp_path / "zoom.vtt"
    path.write_text(text, encoding="utf-8")
    assert read_transcript(path).text == ("[00:00:01] Dana Whitfield: Hello there. still Dana talking\n\n"
                                          "[00:00:05] Marcus Bell: Hi.")


def test_srt(tmp_path: Path) -> None:
    cues = parse_srt(SRT)
    assert len(cues) == 5 and cues[3].text == "I went first at the very first circle." and cues[1].start == 4.157
    path = tmp_path / "closing.srt"
    path.write_text(SRT.replace("\n", "\r\n"), encoding="utf-8")
    doc = read_transcript(path)
    assert doc.text == ("[00:00:01] KWAME: Welcome to the last circle of the year. And for some of us, the last "
                        "circle, full stop.\n\n[00:00:10] LUZ: Can I go first? I went first at the very first "
                        "circle.\n\n[00:00:15] KWAME: Go ahead, Luz.")
    assert [p.label.label for p in doc.paragraphs if p.label] == ["KWAME", "LUZ", "KWAME"]


def test_qualtrics(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes(codecs.BOM_UTF8 + csv_text(QUALTRICS_ROWS).encode("utf-8"))
    table = read_survey(path)
    assert table.layout == "qualtrics" and table.header_line == 1 and [line for line, _ in table.rows] == [4, 6, 7]
    q5 = table.find("What has changed in how you work with community members?")
    assert q5 is not None and q5.id == "Q5" and table.find("q5 ") == q5
    answers, warnings = responses(table, SurveySpec(path="q.csv", wave="1", open_ended=["Q5", "Q6"],
                                                    attributes={"role": "Q1", "department": "Department"}))
    assert not warnings
    assert [(r.respondent_id, r.question_id) for r in answers] == [
        ("R_1abc", "Q5"), ("R_1abc", "Q6"), ("R_2def", "Q5"), ("R_3ghi", "Q5"), ("R_3ghi", "Q6")]
    assert answers[1].text == "Stop rushing the agenda, it pushes\nthe community voices out."
    assert answers[3].attributes == {"role": "member", "department": "Health"} and answers[3].wave == "1"
    assert answers[3].text.startswith('I feel safer saying "ouch"')


def test_google_forms_and_plain(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(csv_text(GOOGLE_ROWS), encoding="utf-8")
    table = read_survey(path)
    assert table.layout == "google_forms"
    answers, warnings = responses(table, SurveySpec(path="g.csv"))  # open-ended column detected
    assert warnings == ["open_ended not configured; detected: What did the reflection circles change for you?"]
    assert [r.respondent_id for r in answers] == ["row2", "row3"]

    plain = tmp_path / "p.csv"
    plain.write_text(csv_text([["id", "group", "wave", "comment"], ["7", "A", "w1", "Too fast; we need pauses."],
                               ["8", "B", "w2", "More food at meetings, please."]], delimiter=";"), encoding="utf-8")
    table = read_survey(plain)
    assert table.layout == "plain"
    answers, _ = responses(table, SurveySpec(path="p.csv", wave="x", wave_column="wave", open_ended=["comment"],
                                             attributes={"group": "group"}))
    assert [(r.respondent_id, r.wave, r.attributes["group"]) for r in answers] == [("7", "w1", "A"), ("8", "w2", "B")]


def test_survey_bad_rows_are_skipped_and_listed(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"  # trailing blank header cells: a row may leave those fields out
    path.write_text("id\tcomment\t\t\n1\tfine\n2\tcut\tx\t\t\textra\n1\tagain\n3\n4\t\"ok\" no\t\n5\tlast\t\t\n",
                    encoding="utf-8")
    table = read_survey(path)
    assert [line for line, _ in table.rows] == [2, 4, 7] and all(len(cells) == 4 for _, cells in table.rows)
    assert [(e.line, e.message.split(" (")[0]) for e in table.errors] == [
        (3, "row has 6 fields but the header has 4"), (5, "row has 1 fields but the header has 4"),
        (6, "malformed quoted field")]
    spec = SurveySpec(path="p.tsv", open_ended=["comment"])
    for _ in range(2):  # calling responses() again does not repeat the duplicate
        answers, _ = responses(table, spec)
        assert [(r.line, r.respondent_id, r.text) for r in answers] == [(2, "1", "fine"), (7, "5", "last")]
        assert [e.line for e in table.errors] == [3, 4, 5, 6]
    with pytest.raises(ReadError, match="malformed quoted field") as raised:  # without an error list: raised
        read_grid(path)
    assert raised.value.line == 6
    path.write_text('"id" x,comment\n1,fine\n', encoding="utf-8")  # in the header: the file fails
    with pytest.raises(ReadError, match="malformed quoted field"):
        read_survey(path)


def test_surveymonkey_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", SURVEYMONKEY_ROWS, sheet="Responses")
    rows, encoding, _ = read_grid(path, "Responses")
    assert encoding == "xlsx" and rows[2] == (3, ["1001", "55", "2024-06-01", "Member", "", SURVEYMONKEY_ROWS[2][5]])
    assert detect_layout(rows) == "surveymonkey"
    table = read_survey(path, "auto", 0)
    assert [c.id for c in table.columns] == ["Respondent ID", "Collector ID", "Start Date", "What is your role? - Member",
                                             "What is your role? - Staff", "What would you keep?"]
    answers, _ = responses(table, SurveySpec(path="m.xlsx", open_ended=["What would you keep?"],
                                             attributes={"staff": "What is your role? - Staff"}))
    assert [(r.respondent_id, r.attributes) for r in answers] == [("1001", {"staff": ""}), ("1002", {"staff": "Staff"})]
    with pytest.raises(ReadError, match="sheet 'Nope' not found"):
        read_survey(path, "auto", "Nope")


def test_tool_exports_ingest(tmp_path: Path) -> None:
    """Zoom, Teams, Otter, Rev, Descript/Trint, Google Meet, interview notes: speakers, times, clean text."""
    cfg = ProjectConfig.load(exports_project(tmp_path))
    report = ingest_project(cfg)
    assert not report.errors and not report.warnings, report.summary()
    segments = load_segments(cfg)
    for name, (_, expected) in EXPORTS.items():
        rows = segments[segments["source_id"] == f"t/{name}"]
        turns = rows[rows["unit"] == "turn"]
        got = [(s, None if pd.isna(t) else round(t, 2)) for s, t in zip(turns["speaker"], turns["timestamp"])]
        assert got == expected, name
        for unit, text in zip(rows["unit"], rows["text"]):
            assert not re.search(r"WEBVTT|-->|<|&amp;|\(Guest\)", text), (name, text)  # no markup anywhere
            assert unit != "paragraph" or not re.search(r"^\W*(Maria|Jerome|Wen|Speaker|Q|A)\b|\d:\d\d\s*$", text,
                                                        re.M), (name, text)  # no speaker header in what was said
        context = " ".join(rows.loc[rows["unit"] == "context", "text"])
        assert "honestly" not in context and "Thank" not in context.replace("Transcribed", ""), (name, context)
    teams = segments.query("source_id == 't/teams.docx' and unit == 'paragraph'")
    assert teams["timestamp"].tolist()[:2] == [3.0, 7.0]  # one turn, each paragraph keeps its own time
    assert teams["text"].tolist()[:2] == ["Okay, I think we're good to start. Thanks everyone for joining.",
                                          "Let's go round the room."]
    roles = segments.query("source_id == 't/notes_qa.txt' and unit == 'turn'")["speaker_role"].tolist()
    assert roles[:2] == ["interviewer", "participant"]
    last = segments[segments["unit"] != "sentence"].groupby("source_id")["text"].last()  # the tools' closing lines
    assert [last[f"t/{n}"] for n in ("otter.txt", "meet.txt", "teams.docx")] == [
        "Transcribed by https://otter.ai", "Meeting ended after 00:45:12 👋", "Maria Reyes stopped transcription"]


def test_vtt_labels_on_every_cue_are_all_speakers(tmp_path: Path) -> None:
    """Zoom puts 'Name:' on every cue, so a one-word name heard once is still a speaker."""
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nMaria Reyes: Hello.\n\n"
            "2\n00:00:03.000 --> 00:00:04.000\nWen: Hi &lt;3\n\n3\n00:00:05.000 --> 00:00:06.000\nMaria Reyes: Bye.\n")
    path = tmp_path / "zoom.vtt"
    path.write_text(text, encoding="utf-8")
    assert read_transcript(path).text == ("[00:00:01] Maria Reyes: Hello.\n\n[00:00:03] Wen: Hi <3\n\n"
                                          "[00:00:05] Maria Reyes: Bye.")
    srt = tmp_path / "plain.srt"  # a subtitle line that happens to start with 'Word:' is no speaker
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nWe waited.\n\n2\n00:00:03,000 --> 00:00:04,000\n"
                   "Honestly: it stung.\n\n3\n00:00:05,000 --> 00:00:06,000\nThen we left.\n", encoding="utf-8")
    assert not [p for p in read_transcript(srt).paragraphs if p.label]


def test_teams_vtt_cues(tmp_path: Path) -> None:
    cues = parse_vtt(TEAMS_VTT)
    assert [c.voice for c in cues] == ["Maria Reyes", "Maria Reyes", "Jerome Baptiste", "Wen Li"]
    assert cues[0].text == "Okay, I think we're good to start. Thanks everyone for joining."
    assert cues[2].text == "I'll start. The budget hearing & the vote were hard." and cues[2].line == 14


def test_one_colon_cue_among_voice_tags_is_no_speaker(tmp_path: Path) -> None:
    text = TEAMS_VTT + "\nx/40-0\n00:00:19.000 --> 00:00:20.000\nHonestly: it stung.\n"
    path = tmp_path / "teams.vtt"
    path.write_text(text, encoding="utf-8")
    assert read_transcript(path).text.endswith("[00:00:15] Wen Li: Same for me, honestly. Honestly: it stung.")
