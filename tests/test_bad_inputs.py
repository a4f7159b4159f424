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
    "stray quote in CSV": ("s/stray.csv", 'id,comment\n1,"fine" really\n', {"path": "s/*.csv", "open_ended": ["comment"]},
                           r"s/stray.csv:2: malformed quoted field"),
    "Qualtrics missing ImportId row": ("s/q2.csv", csv_text(QUALTRICS_ROWS[:2] + QUALTRICS_ROWS[3:]), QUALTRICS,
                                       r"s/q2.csv:3: wrong header layout: a Qualtrics export needs 3 header rows"),
    "wrong header layout": ("s/forms.csv", csv_text(GOOGLE_ROWS), QUALTRICS,
                            r"s/forms.csv:3: wrong header layout"),
    "open-ended column missing": ("s/q.csv", csv_text(QUALTRICS_ROWS), {**QUALTRICS, "open_ended": ["Q5", "Q9"]},
                                  r"s/q.csv:1: configured open-ended column 'Q9' not found \(columns: StartDate"),
    "attribute column missing": ("s/q.csv", csv_text(QUALTRICS_ROWS), {**QUALTRICS, "attributes": {"dept": "Q77"}},
                                 r"s/q.csv:1: configured attribute 'dept' column 'Q77' not found"),
    "duplicate respondent ids": ("s/dup.csv", csv_text(DUPLICATE), QUALTRICS,
                                 r"s/dup.csv:8: duplicate respondent id 'R_2def' \(first at line 6\)"),
    "too many fields": ("s/wide.csv", "id,comment\n1,fine\n2,too,many,fields\n",
                        {"path": "s/*.csv", "open_ended": ["comment"]}, r"s/wide.csv:3: row has 4 fields but the header has 2"),
    "50 MB single line": ("t/huge.txt", lambda p: b"word " * (10 * 2**20), None,
                          r"t/huge.txt: file is 50\.0 MiB, above the 20 MiB limit"),
    "one enormous paragraph": ("t/long.txt", lambda p: b"Dana: hi\nDana: " + b"word " * 60_000, None,
                               r"t/long.txt:2: paragraph of 299,999 characters exceeds the 100,000 character limit"),
    "VTT missing WEBVTT header": ("t/nohead.vtt", VTT.replace("WEBVTT\n", "", 1), None,
                                  r"t/nohead.vtt:1: missing 'WEBVTT' header"),
    "VTT broken timing": ("t/timing.vtt", VTT.replace("00:00:03.708 --> 00:00:11.400", "00:00:03.708 -> 11"), None,
                          r"t/timing.vtt:11: malformed cue timing line '00:00:03.708 -> 11'"),
    "Teams VTT broken timing after a cue id": (
        "t/teams.vtt", TEAMS_VTT.replace("07.450 --> 00:00:10.000", "07.450 --> 10"), None,
        r"t/teams.vtt:9: malformed cue timing line '00:00:07.450 --> 10'"),
    "Zoom VTT without cue text": ("t/silent.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Wen Li></v>\n", None,
                                  r"t/silent.vtt:1: no cues with text found"),
    "SRT broken timing line": ("t/bad.srt", SRT.replace("00:00:04,157 --> 00:00:10,586", "00:00:04,157 -> 10,586"),
                               None, r"t/bad.srt:6: malformed SRT timing line '00:00:04,157 -> 10,586'"),
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
        "labels or list the speakers under speaker_roles)",
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
