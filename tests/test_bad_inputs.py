"""Malformed inputs: each gives one clear `path:line: message` and the other files still go through."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cop_analysis.config import ProjectConfig
from cop_analysis.ingest import ingest_project, load_segments, load_sources
from ingest_fixtures import (DOCX_PARAGRAPHS, GOOGLE_ROWS, QUALTRICS_ROWS, SRT, TEAMS_VTT, TXT_ROLES, VTT, csv_text,
                             make_project, write_docx, write_xlsx)


def _docx_bytes(tmp_path: Path) -> bytes:
    return write_docx(tmp_path / "src.docx", DOCX_PARAGRAPHS).read_bytes()


def _xlsx_bytes(tmp_path: Path) -> bytes:
    return write_xlsx(tmp_path / "src.xlsx", GOOGLE_ROWS).read_bytes()


QUALTRICS = {"path": "s/*.csv", "layout": "qualtrics", "open_ended": ["Q5"]}
DUPLICATE = [*QUALTRICS_ROWS, ["2024-04-04", "2024-04-04", "True", "R_2def", "x", "y", "Again me.", ""]]
LATE = ["2024-04-07", "2024-04-07", "True", "R_7stu", "member", "Parks", "Meetings moved to the evening, finally.", ""]
# Qualtrics export: lines 1-3 header, 4-5 R_1abc (a quoted line break), 6 R_2def, 7 R_3ghi, bad rows 8-11, 12 R_7stu
BAD_ROWS = (csv_text(QUALTRICS_ROWS)
            + csv_text([["2024-04-04", "2024-04-04", "True", "R_4jkl", "member", "Health", "Too", "many", "fields"]])
            + csv_text([DUPLICATE[-1]])
            + csv_text([["2024-04-05", "2024-04-05", "True", "R_5mno"]])  # truncated: 4 of 8 fields
            + '2024-04-06,2024-04-06,True,R_6pqr,staff,Health,"He said "hi" to me",\r\n'
            + csv_text([LATE]))
BROKEN_QUOTES = 'id,comment\n1,"fine"\n2,"never closed\n3,more text\n'
# name -> (file under data/raw, content or builder, survey spec or None, expected message regex)
ERRORS: dict[str, tuple[str, Any, dict | None, str]] = {
    "empty": ("t/empty.txt", b"", None, r"t/empty.txt: empty file"),
    "whitespace only": ("t/blank.txt", b" \r\n\t\n", None, r"t/blank.txt: empty file"),
    "binary with NUL": ("t/bin.txt", bytes(range(256)) * 40, None, r"t/bin.txt:1: binary data \(NUL byte at offset 0\)"),
    "binary without NUL": ("t/ctl.txt", bytes(range(1, 32)) * 200, None, r"t/ctl.txt: binary data \(\d+ control"),
    "truncated docx": ("t/cut.docx", lambda p: _docx_bytes(p)[:len(_docx_bytes(p)) // 2], None,
                       r"t/cut.docx: not a valid \.docx file"),
    "docx not a zip": ("t/fake.docx", b"Dana: I am really a text file", None,
                       r"t/fake.docx: not a valid \.docx file \(not a zip archive"),
    "docx without document.xml": ("t/empty.docx", lambda p: _xlsx_bytes(p), None,
                                  r"t/empty.docx: not a valid \.docx file"),
    "broken CSV quoting": ("s/quotes.csv", BROKEN_QUOTES, {"path": "s/*.csv", "open_ended": ["comment"]},
                           r"s/quotes.csv:3: unterminated quoted field"),
    "Qualtrics missing ImportId row": ("s/q2.csv", csv_text(QUALTRICS_ROWS[:2] + QUALTRICS_ROWS[3:]), QUALTRICS,
                                       r"s/q2.csv:3: wrong header layout: a Qualtrics export needs 3 header rows"),
    "wrong header layout": ("s/forms.csv", csv_text(GOOGLE_ROWS), QUALTRICS,
                            r"s/forms.csv:3: wrong header layout"),
    "open-ended column missing": ("s/q.csv", csv_text(QUALTRICS_ROWS), {**QUALTRICS, "open_ended": ["Q5", "Q9"]},
                                  r"s/q.csv:1: configured open-ended column 'Q9' not found \(columns: StartDate"),
    "attribute column missing": ("s/q.csv", csv_text(QUALTRICS_ROWS), {**QUALTRICS, "attributes": {"dept": "Q77"}},
                                 r"s/q.csv:1: configured attribute 'dept' column 'Q77' not found"),
    "50 MB single line": ("t/huge.txt", lambda p: b"word " * (10 * 2**20), None,
                          r"t/huge.txt: file is 50\.0 MiB, above the 20 MiB limit"),
    "one enormous paragraph": ("t/long.txt", lambda p: b"Dana: hi\nDana: " + b"word " * 60_000, None,
                               r"t/long.txt:2: paragraph of 299,999 characters exceeds the 100,000 character limit"),
    "VTT missing WEBVTT header": ("t/nohead.vtt", VTT.replace("WEBVTT\n", "", 1), None,
                                  r"t/nohead.vtt:1: missing 'WEBVTT' header"),
    "Zoom VTT without cue text": ("t/silent.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Wen Li></v>\n", None,
                                  r"t/silent.vtt:1: no cues with text found"),
    "corrupt XLSX": ("s/broken.xlsx", lambda p: _xlsx_bytes(p)[:3000], {"path": "s/*.xlsx", "open_ended": ["x"]},
                     r"s/broken.xlsx: not a valid \.xlsx workbook"),
    "XLSX that is text": ("s/text.xlsx", b"id,comment\n1,hello\n", {"path": "s/*.xlsx", "open_ended": ["x"]},
                          r"s/text.xlsx: not a valid \.xlsx workbook"),
    "unsupported extension": ("t/notes.pdf", b"%PDF-1.4", None,
                              r"t/notes.pdf: unsupported extension '\.pdf' for a transcript"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error(tmp_path: Path, name: str) -> None:
    rel, content, survey, pattern = ERRORS[name]
    if callable(content):
        content = content(tmp_path)
    config: dict[str, Any] = {"transcripts": [{"path": "t/*"}]}
    if survey:
        config["surveys"] = [survey]
    cfg = ProjectConfig.load(make_project(tmp_path / "p", {"t/good.txt": TXT_ROLES, rel: content}, config))
    report = ingest_project(cfg)
    assert len(report.errors) == 1, report.summary()
    message = str(report.errors[0])
    assert re.fullmatch("data/raw/" + pattern + r".*", message) and "\n" not in message, message
    assert f"ERROR data/raw/{rel}" in report.summary()
    assert list(load_sources(cfg)["source_id"]) == ["t/good.txt"] and report.n_sources == 1
    assert len(load_segments(cfg)) == report.n_segments > 0


# name -> (file under data/raw, content, expected warning regex, a text that stays in the transcript)
TIMING_WARNINGS: dict[str, tuple[str, str, str, str]] = {
    "VTT broken timing": ("t/timing.vtt", VTT.replace("00:00:03.708 --> 00:00:11.400", "00:00:03.708 -> 11"),
                          r"line 11: malformed cue timing line '00:00:03.708 -> 11'", "short reflection call & no decisions"),
    "VTT impossible time": ("t/time.vtt", VTT.replace("00:00:03.708 --> 00:00:11.400", "99:99:99.999 --> 99:99:99.999"),
                            r"line 11: malformed cue timing line '99:99:99.999 --> 99:99:99.999'",
                            "short reflection call & no decisions"),
    "Teams VTT broken timing after a cue id": (
        "t/teams.vtt", TEAMS_VTT.replace("07.450 --> 00:00:10.000", "07.450 --> 10"),
        r"line 9: malformed cue timing line '00:00:07.450 --> 10'", "Let's go round the room."),
    "SRT broken timing line": ("t/bad.srt", SRT.replace("00:00:04,157 --> 00:00:10,586", "00:00:04,157 -> 10,586"),
                               r"line 6: malformed SRT timing line '00:00:04,157 -> 10,586'",
                               "And for some of us, the last circle, full stop."),
}


@pytest.mark.parametrize("name", list(TIMING_WARNINGS))
def test_a_cue_whose_timing_cannot_be_read_is_kept_with_a_warning(tmp_path: Path, name: str) -> None:
    """One garbled timing line used to skip the whole transcript (and name only the first problem); now
    that cue keeps its text with the time of the cue before it, and the file gets a warning per line."""
    rel, content, pattern, kept = TIMING_WARNINGS[name]
    cfg = ProjectConfig.load(make_project(tmp_path / "p", {rel: content}, {"transcripts": [{"path": "t/*"}]}))
    report = ingest_project(cfg)
    assert not report.errors, report.summary()
    warned = [w.message for w in report.warnings if w.path == f"data/raw/{rel}"]
    assert len(warned) == 1 and re.match(pattern, warned[0]) and "text is kept" in warned[0], warned
    text = load_sources(cfg)["text"].iloc[0]
    assert kept in text and "-> 1" not in text and "99:99" not in text


def _survey_project(tmp_path: Path, rel: str, content: Any, survey: dict) -> ProjectConfig:
    config = {"transcripts": [{"path": "t/*"}], "surveys": [survey]}
    return ProjectConfig.load(make_project(tmp_path, {"t/good.txt": TXT_ROLES, rel: content}, config))


def _responses(cfg: ProjectConfig) -> dict[tuple[str, str], tuple[str, str]]:
    """(respondent, question) -> (segment id, text) of the survey responses."""
    rows = load_segments(cfg).query("unit == 'response'")
    return {(r.respondent_id, r.question_id): (r.segment_id, r.text) for r in rows.itertuples()}


def test_bad_survey_rows_are_all_reported_and_the_rest_ingested(tmp_path: Path) -> None:
    from cop_analysis.ledger import Ledger

    cfg = _survey_project(tmp_path, "s/q.csv", BAD_ROWS, QUALTRICS)
    report = ingest_project(cfg)
    assert [str(e) for e in report.errors] == [
        "data/raw/s/q.csv:8: row has 9 fields but the header has 8 (an unquoted delimiter inside an answer?); "
        "row skipped",
        "data/raw/s/q.csv:9: duplicate respondent id 'R_2def' (first at line 6); row skipped, the first one is kept",
        "data/raw/s/q.csv:10: row has 4 fields but the header has 8 (truncated row, or a line break inside an "
        "unquoted answer?); row skipped",
        "data/raw/s/q.csv:11: malformed quoted field (',' expected after '\"'; a quote inside a quoted field must be "
        "doubled); row skipped"]
    assert report.n_sources == 2 and report.n_respondents == 4 and "ERROR data/raw/s/q.csv:10: " in report.summary()
    got = _responses(cfg)
    assert sorted(got) == [("R_1abc", "Q5"), ("R_2def", "Q5"), ("R_3ghi", "Q5"), ("R_7stu", "Q5")]
    assert got[("R_2def", "Q5")][1].startswith("Honestly")  # the first R_2def is kept
    Ledger(cfg.ledger_path).code(got[("R_7stu", "Q5")][0], "time_pace", "maya")

    written = (cfg.processed / "segments.parquet").stat().st_mtime_ns
    again = ingest_project(cfg)  # unchanged and still broken: the same errors again, nothing rewritten
    assert [str(e) for e in again.errors] == [str(e) for e in report.errors] and _responses(cfg) == got
    assert not again.written and (cfg.processed / "segments.parquet").stat().st_mtime_ns == written

    lines = BAD_ROWS.split("\r\n")  # fix bad rows 8-11 (lines 4-5 are one): 3 new respondents come before R_7stu
    lines[6:10] = ["2024-04-04,2024-04-04,True,R_4jkl,member,Health,Too many fields,",  # the duplicate row removed
                   "2024-04-05,2024-04-05,True,R_5mno,staff,Parks,Not cut off any more.,",
                   '2024-04-06,2024-04-06,True,R_6pqr,staff,Health,"He said ""hi"" to me",']
    (cfg.raw / "s/q.csv").write_text("\r\n".join(lines), encoding="utf-8", newline="")
    fixed = ingest_project(cfg)
    assert not fixed.errors and fixed.changed == ["s/q.csv"] and fixed.n_respondents == 7
    now = _responses(cfg)
    assert now[("R_6pqr", "Q5")][1] == 'He said "hi" to me' and now[("R_4jkl", "Q5")][1] == "Too many fields"
    assert all(now[k] == got[k] for k in got if k[0] != "R_7stu")  # rows before the inserted ones keep their ids
    assert now[("R_7stu", "Q5")][1] == got[("R_7stu", "Q5")][1] != now[("R_7stu", "Q5")][0]  # its offset moved...
    assert fixed.reanchored_codings == 1 and fixed.orphaned_codings == 0  # ...and its coding followed it
    assert Ledger(cfg.ledger_path).codings()["segment_id"].tolist() == [now[("R_7stu", "Q5")][0]]


def test_bad_rows_are_still_reported_after_an_ingest_stopped_once_its_tables_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged files report their bad rows from input_errors.json; it is written before the tables, so
    an ingest killed after writing them (here: in the ledger step that follows) cannot hide the errors."""
    from cop_analysis import ingest

    cfg = _survey_project(tmp_path, "s/q.csv", BAD_ROWS, QUALTRICS)

    def killed(*args: Any, **kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "_flag_orphaned_codings", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_project(cfg)
    monkeypatch.undo()
    assert (cfg.processed / "segments.parquet").exists()
    again = ingest_project(cfg)  # unchanged files now: their errors come from input_errors.json
    assert not again.written and len(again.errors) == 4 and again.errors[0].line == 8


def test_duplicate_respondent_id_keeps_the_first(tmp_path: Path) -> None:
    cfg = _survey_project(tmp_path, "s/dup.csv", csv_text(DUPLICATE), QUALTRICS)
    report = ingest_project(cfg)
    assert [str(e) for e in report.errors] == ["data/raw/s/dup.csv:8: duplicate respondent id 'R_2def' (first at "
                                               "line 6); row skipped, the first one is kept"]
    assert report.n_respondents == 3
    assert [t for (rid, _), (_, t) in _responses(cfg).items() if rid == "R_2def"] == [
        "Honestly, not much, the deadlines still win."]


def test_short_survey_rows(tmp_path: Path) -> None:
    """A truncated row (8 of 28 fields) and the tail of an answer broken by an unquoted line break."""
    header = ["Timestamp", "Email Address", *[f"Question {i}" for i in range(1, 26)], "Comment"]
    full = ["2024/05/01 10:00:00", "a@example.org", *["3"] * 25, "I learned to hold my anger at the table."]
    content = csv_text([header, full, full[:8], [*full[:27], "They gave me words for what my"],
                        ["department does to people."], full])
    cfg = _survey_project(tmp_path, "s/forms.csv", content, {"path": "s/*.csv", "open_ended": ["Comment"]})
    report = ingest_project(cfg)
    assert [(e.line, e.message.split(" (")[0]) for e in report.errors] == [
        (3, "row has 8 fields but the header has 28"), (5, "row has 1 fields but the header has 28")]
    assert sorted(rid for rid, _ in _responses(cfg)) == ["row2", "row4", "row6"]  # row4 kept: its 28 fields are there


def test_bad_xlsx_rows(tmp_path: Path) -> None:
    from ingest_fixtures import SURVEYMONKEY_ROWS

    rows = [*SURVEYMONKEY_ROWS, ["1001", "56", "2024-06-03", "", "Staff", "Me again."],
            ["1003", "55", "2024-06-04", "Member", "", "Stipends.", "", "", "a note in column I"],
            ["1004", "55", "2024-06-05", "Member"]]  # empty trailing cells: nothing missing in a spreadsheet
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    cfg = _survey_project(tmp_path / "p", "s/m.xlsx", path.read_bytes(),
                          {"path": "s/*.xlsx", "open_ended": ["What would you keep?", "What is your role? - Member"]})
    report = ingest_project(cfg)
    assert [str(e) for e in report.errors] == [  # spreadsheet row numbers
        "data/raw/s/m.xlsx:5: duplicate respondent id '1001' (first at line 3); row skipped, the first one is kept"]
    assert sorted(_responses(cfg)) == [  # a note in a column without a header is no error in a spreadsheet
        ("1001", "What is your role? - Member"), ("1001", "What would you keep?"), ("1002", "What would you keep?"),
        ("1003", "What is your role? - Member"), ("1003", "What would you keep?"),
        ("1004", "What is your role? - Member")]
    assert _responses(cfg)[("1001", "What would you keep?")][1].startswith("The circles.")


def test_mixed_encoding_is_a_warning(tmp_path: Path) -> None:
    content = TXT_ROLES.encode("utf-8").replace(b"Same.", "Same — “ouch”.".encode("cp1252"))
    cfg = ProjectConfig.load(make_project(tmp_path, {"t/mixed.txt": content}, {"transcripts": [{"path": "t/*"}]}))
    report = ingest_project(cfg)
    assert not report.errors and len(report.warnings) == 1
    assert re.fullmatch(r"data/raw/t/mixed\.txt: 3 byte\(s\) were not valid UTF-8 and were decoded as cp1252.*",
                        str(report.warnings[0]))
    assert load_sources(cfg).loc[0, "encoding"] == "cp1252"  # the only non-ASCII bytes were cp1252
    assert "Same — “ouch”. The story" in load_segments(cfg).query("unit == 'turn'")["text"].tolist()[2]
    assert [str(w) for w in ingest_project(cfg).warnings] == [str(w) for w in report.warnings]  # cached warning kept


def test_utf16_and_unlabelled_and_empty_glob(tmp_path: Path) -> None:
    files = {"t/u16.txt": TXT_ROLES.replace("\n", "\r\n").encode("utf-16"),
             "t/essay.txt": "A written reflection.\n\nTrust: it grew slowly.\n"}
    cfg = ProjectConfig.load(make_project(tmp_path, files, {"transcripts": [{"path": "t/*"}, {"path": "x/*.vtt"}],
                                                            "surveys": [{"path": "s/*.csv"}]}))
    report = ingest_project(cfg)
    assert not report.errors and report.n_sources == 2
    assert sorted(str(w) for w in report.warnings) == [
        "data/raw/s/*.csv: no files match this survey path",
        "data/raw/t/essay.txt: no speaker labels found: 2 paragraph(s) kept as context, no turns (add 'Name:' "
        "labels, list the speakers under speaker_roles, or set `speakers: none` for this file to code its "
        "paragraphs)",
        "data/raw/x/*.vtt: no files match this transcript path"]
    sources = load_sources(cfg).set_index("source_id")
    assert sources.loc["t/u16.txt", "text"] == TXT_ROLES and sources.loc["t/u16.txt", "encoding"] == "utf-16"
    segments = load_segments(cfg)
    essay = segments[segments["source_id"] == "t/essay.txt"]
    assert essay["unit"].tolist() == ["context", "context"] and essay["speaker"].isna().all()
    assert segments.query("source_id == 't/u16.txt' and unit == 'turn'")["speaker"].tolist()[0] == "Interviewer 1"


def test_fixed_file_recovers(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"t/a.txt": TXT_ROLES, "t/b.vtt": "no header"}, {"transcripts": [{"path": "t/*"}]})
    cfg = ProjectConfig.load(root)
    assert [e.line for e in ingest_project(cfg).errors] == [1]
    assert not ingest_project(cfg).written  # still broken, nothing else changed
    (root / "data/raw/t/b.vtt").write_text(VTT, encoding="utf-8")
    report = ingest_project(cfg)
    assert not report.errors and report.changed == ["t/b.vtt"] and report.n_sources == 2


def test_codings_of_a_skipped_row_follow_it_when_it_is_fixed_with_an_edit(tmp_path: Path) -> None:
    from cop_analysis.ledger import Ledger

    cfg = _survey_project(tmp_path, "s/q.csv", csv_text([*QUALTRICS_ROWS, LATE]), QUALTRICS)
    ingest_project(cfg)
    coded = _responses(cfg)[("R_7stu", "Q5")][0]
    Ledger(cfg.ledger_path).code(coded, "time_pace", "maya")
    (cfg.raw / "s/q.csv").write_text(csv_text([*QUALTRICS_ROWS, LATE[:4]]), encoding="utf-8", newline="")
    broken = ingest_project(cfg)  # the row is skipped: its coding is orphaned, the old text archived
    assert len(broken.errors) == 1 and broken.orphaned_codings == 1 and broken.archived == ["s/q.csv"]
    fixed_row = [*LATE[:6], "Meetings moved to the evenings, finally.", ""]  # fixed, and edited a little
    (cfg.raw / "s/q.csv").write_text(csv_text([*QUALTRICS_ROWS, fixed_row]), encoding="utf-8", newline="")
    fixed = ingest_project(cfg)
    now = _responses(cfg)[("R_7stu", "Q5")][0]
    assert now != coded and fixed.restored_codings == 1 and fixed.orphaned_codings == 0 and fixed.archived == []
    assert Ledger(cfg.ledger_path).codings()["segment_id"].tolist() == [now]
