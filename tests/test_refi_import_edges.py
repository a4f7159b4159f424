"""REFI-QDA edge cases: selections across turns, codings the file holds but the import cannot place,
codings outside coding units, export of codings whose code left the codebook, duplicate code GUIDs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cop_analysis.config import ProjectConfig
from cop_analysis.ingest import load_segments
from cop_analysis.ledger import Ledger
from cop_analysis.refi import export_qdpx, import_qdpx

NVIVO = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi" / "nvivo-12.6-export.qdpx"
TEXT = ("Interviewer: How did the café meeting go?\n\nRosa: Honestly it was the first time I felt heard. "
        "Trust grew.\n\nInterviewer: And the budget?\n\nRosa: Power stayed with the county. Nothing changed.\n")
NOTES = "Session notes, no speakers.\n\nTrust grew over the year.\n"
USER, TRUST, POWER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", \
    "22222222-2222-2222-2222-222222222223"


def _sel(n: int, a: int | str, b: int | str, code: str = TRUST) -> str:
    return (f'<PlainTextSelection guid="44444444-4444-4444-4444-44444444444{n}" startPosition="{a}" endPosition="{b}">'
            f'<Coding guid="55555555-5555-5555-5555-55555555555{n}" creatingUser="{USER}">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>')


def _archive(path: Path, sels: str, files: dict[str, str] | None = None, codes: str = "", notes_sels: str = "") -> Path:
    """A REFI archive with one interview (``src.txt``), optionally a notes source, and codes Trust and Power."""
    files = {"src.txt": TEXT} if files is None else files
    notes = (f'<TextSource guid="33333333-3333-3333-3333-333333333334" name="notes" plainTextPath="internal://notes.txt">'
             f"{notes_sels}</TextSource>") if notes_sels else ""
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Edge">
<Users><User guid="{USER}" name="Rosa Coder"/></Users>
<CodeBook><Codes><Code guid="{TRUST}" name="Trust" isCodable="true"/><Code guid="{POWER}" name="Power" isCodable="true"/>
{codes}</Codes></CodeBook>
<Sources><TextSource guid="33333333-3333-3333-3333-333333333333" name="interview" plainTextPath="internal://src.txt">
{sels}</TextSource>{notes}</Sources>
</Project>"""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde.encode("utf-8"))
        for name, text in files.items():
            zf.writestr(f"sources/{name}", text.encode("utf-8"))
    return path


def _codings(root: Path):
    cfg = ProjectConfig.load(root)
    return Ledger(cfg.ledger_path).codings().merge(load_segments(cfg), on="segment_id")


def _inside(codings) -> bool:
    starts, ends = codings["span_start"].fillna(codings["start"]), codings["span_end"].fillna(codings["end"])
    return bool(((starts >= codings["start"]) & (ends <= codings["end"]) & (starts < ends)).all())


def test_selection_across_turns_becomes_one_coding_per_turn(tmp_path: Path) -> None:
    a, b = TEXT.index("Trust grew"), TEXT.index("budget?") + len("budget?")
    report = import_qdpx(_archive(tmp_path / "cross.qdpx", _sel(1, a, b, POWER)), tmp_path / "p")
    codings = _codings(tmp_path / "p").sort_values("start")
    assert _inside(codings) and list(codings["unit"]) == ["turn", "turn"]
    first, second = codings.iloc[0], codings.iloc[1]
    assert TEXT[first["span_start"]:first["span_end"]] == "Trust grew."  # clipped to the first turn
    assert second["text"] == "And the budget?" and second.isna()["span_start"]  # the whole second turn
    assert report.n_codings == 1 and not report.mismatches
    assert report.splits == [f"source 'interview' selection {a}-{b} -> 2 segment(s)"]
    assert "split: 1 selection(s) spanning several turns" in report.summary()


def test_selection_from_context_into_a_turn_is_split_and_counted_outside_units(tmp_path: Path) -> None:
    text = "Notes taken by the team.\n\n" + TEXT
    a, b = 0, text.index("café") + len("café")
    c, d = text.index("Power"), text.index("county.") + len("county.")  # half of the codings on turns: turns kept
    report = import_qdpx(_archive(tmp_path / "ctx.qdpx", _sel(1, a, b) + _sel(2, c, d), files={"src.txt": text}),
                         tmp_path / "p")
    codings = _codings(tmp_path / "p").sort_values("start")
    assert _inside(codings) and list(codings["unit"]) == ["context", "turn", "turn"]
    assert len(report.splits) == 1 and report.outside_units == {"interview.txt": 1} and not report.no_speakers


def test_codings_the_import_cannot_place_still_count_in_the_file(tmp_path: Path) -> None:
    a, b = TEXT.index("Honestly"), TEXT.index("heard.") + len("heard.")
    c, d = TEXT.index("Power"), TEXT.index("county.") + len("county.")
    report = import_qdpx(_archive(tmp_path / "missing.qdpx", _sel(1, a, b) + _sel(2, c, d, POWER), files={}),
                         tmp_path / "missing")
    assert report.n_codings_in_file == 2 and "0/2 codings" in report.summary()
    assert any("source 'interview' (2 codings)" in w and "not in the archive" in w for w in report.warnings)
    report = import_qdpx(_archive(tmp_path / "pos.qdpx", _sel(1, a, b) + _sel(2, "abc", 10)), tmp_path / "pos")
    assert report.n_codings_in_file == 2 and "1/2 codings" in report.summary()
    assert report.mismatches == ["source 'interview': selection 44444444-4444-4444-4444-444444444442 has no valid "
                                 "positions; 1 coding(s) not imported"]


def test_codings_outside_coding_units_are_reported(tmp_path: Path) -> None:
    text = "Notes taken by the team.\n\n" + TEXT
    sels = _sel(1, 0, len("Notes taken")) + _sel(2, text.index("Honestly"), text.index("heard.") + 6) \
        + _sel(3, text.index("Power"), text.index("county.") + 7)
    report = import_qdpx(_archive(tmp_path / "pre.qdpx", sels, files={"src.txt": text}), tmp_path / "p")
    assert report.n_codings == 3 and report.outside_units == {"interview.txt": 1} and not report.no_speakers
    line = [x for x in report.summary().splitlines() if "outside coding units" in x]
    assert line == ["  warning: 1 of 3 codings are on text outside coding units (interview.txt: 1): no speaker turn or "
                    "survey answer there, so they are kept in the ledger but the workbench and reports show coding "
                    "units only"]
    assert sorted(_codings(tmp_path / "p")["unit"]) == ["context", "turn", "turn"]


def test_source_without_speakers_is_coded_by_paragraph(tmp_path: Path) -> None:
    a = NOTES.index("Trust")
    sels = _sel(1, TEXT.index("Honestly"), TEXT.index("heard.") + 6)
    path = _archive(tmp_path / "notes.qdpx", sels, files={"src.txt": TEXT, "notes.txt": NOTES},
                    notes_sels=_sel(2, a, a + len("Trust grew")))
    report = import_qdpx(path, tmp_path / "p")
    assert report.n_codings == 2 and not report.outside_units and not report.mismatches
    assert report.no_speakers == {"notes.txt": "lines"}
    assert "coded by paragraph (speakers: none: their codings do not fit speaker turns, or, without codings, " \
           "those of the file's other sources did not): notes.txt (paragraphs: lines)" in report.summary()
    assert "outside coding units" not in report.summary()
    specs = {t.path: t for t in ProjectConfig.load(tmp_path / "p").transcripts}
    assert specs["notes.txt"].speakers == "none" and specs["interview.txt"].speakers == "labels"
    codings = _codings(tmp_path / "p").set_index("source_id")
    assert _inside(codings) and codings.at["notes.txt", "text"] == "Trust grew over the year."
    assert pd.isna(codings.at["notes.txt", "speaker"]) and codings.at["interview.txt", "speaker"] == "Rosa"


def test_paragraphs_of_several_lines_stay_whole_when_codings_span_their_lines(tmp_path: Path) -> None:
    notes = "Minutes of the March meeting.\n\nThe board decided the budget\nwithout asking the members.\n"
    a = notes.index("The board")
    path = _archive(tmp_path / "multi.qdpx", _sel(1, TEXT.index("Honestly"), TEXT.index("heard.") + 6),
                    files={"src.txt": TEXT, "notes.txt": notes}, notes_sels=_sel(2, a, len(notes) - 1, POWER))
    report = import_qdpx(path, tmp_path / "p")
    assert report.no_speakers == {"notes.txt": "blank-lines"} and not report.splits and not report.outside_units
    coded = _codings(tmp_path / "p").set_index("code_id").loc["power"]
    assert coded["unit"] == "turn" and coded["text"] == notes[a:].strip() and pd.isna(coded["span_start"])


def test_real_nvivo_export_codes_its_comments_by_line(tmp_path: Path) -> None:
    if not NVIVO.exists():
        pytest.skip(f"{NVIVO} not available")
    report = import_qdpx(NVIVO, tmp_path / "nvivo")
    assert report.n_codings == 303 and not report.outside_units and not report.splits and not report.mismatches
    # the uncoded second file follows the coded one: no 'speakers' read from colons in its video titles
    assert report.no_speakers == {"videos_10_selected.txt": "lines", "videos_selection.txt": "lines"}
    assert "outside coding units" not in report.summary()
    codings = _codings(tmp_path / "nvivo")
    assert len(codings) == 303 and set(codings["unit"]) == {"turn"} and codings["speaker"].isna().all()
    assert _inside(codings) and not codings["text"].str.contains("\n").any()  # one comment line each
    specs = {t.path: t for t in ProjectConfig.load(tmp_path / "nvivo").transcripts}
    assert (specs["videos_10_selected.txt"].speakers, specs["videos_10_selected.txt"].paragraphs) == ("none", "lines")
    assert (specs["videos_selection.txt"].speakers, specs["videos_selection.txt"].paragraphs) == ("none", "lines")


def test_export_warns_about_codings_of_codes_not_in_the_codebook(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cop_analysis.cli import app

    a, b = TEXT.index("Honestly"), TEXT.index("heard.") + len("heard.")
    c, d = TEXT.index("Power"), TEXT.index("county.") + len("county.")
    import_qdpx(_archive(tmp_path / "in.qdpx", _sel(1, a, b) + _sel(2, c, d, POWER)), tmp_path / "p")
    book = tmp_path / "p" / "data" / "raw" / "codebook.yml"
    data = yaml.safe_load(book.read_text(encoding="utf-8"))
    data["codes"] = [code for code in data["codes"] if code["id"] != "power"]
    book.write_text(yaml.safe_dump(data), encoding="utf-8")
    warnings: list[str] = []
    export_qdpx(ProjectConfig.load(tmp_path / "p"), tmp_path / "out.qdpx", warnings=warnings)
    assert warnings == ["1 coding(s) left out: their code is not in the codebook (power: 1)"]
    result = CliRunner().invoke(app, ["export-qdpx", "--project", str(tmp_path / "p"), str(tmp_path / "cli.qdpx")])
    assert result.exit_code == 0 and "warning: 1 coding(s) left out" in result.output, result.output


def test_duplicate_code_guid_keeps_the_first_code(tmp_path: Path) -> None:
    from cop_analysis.codebook import load_project_codebook

    a, b = TEXT.index("Honestly"), TEXT.index("heard.") + len("heard.")
    dup = f'<Code guid="{{{TRUST.upper()}}}" name="Trust again" isCodable="true"/>'
    report = import_qdpx(_archive(tmp_path / "dup.qdpx", _sel(1, a, b), codes=dup), tmp_path / "p")
    assert list(_codings(tmp_path / "p")["code_id"]) == ["trust"]  # the code the GUID first named
    dups = [w for w in report.warnings if "share the GUID" in w]
    assert len(dups) == 1 and "'Trust' (trust) and 'Trust again' (trust_again)" in dups[0]
    cfg = ProjectConfig.load(tmp_path / "p")
    guids = {c.id: c.guid for c in load_project_codebook(cfg).codes}
    assert guids["trust"] == TRUST and len(set(guids.values())) == 3
    again = import_qdpx(_archive(tmp_path / "dup2.qdpx", _sel(1, a, b), codes=dup), tmp_path / "p2")
    assert [w for w in again.warnings if "share the GUID" in w] == [w.replace("dup.qdpx", "dup2.qdpx") for w in dups]
    with zipfile.ZipFile(export_qdpx(cfg, tmp_path / "out.qdpx")) as zf:
        qde = zf.read("project.qde").decode("utf-8")
    assert qde.count(f'guid="{TRUST}"') == 1


def test_a_duplicate_code_guid_is_not_replaced_by_a_guid_another_code_has(tmp_path: Path) -> None:
    """The replacement GUID (from the code's path) may already be another code's: it must not collide."""
    import uuid

    from cop_analysis.codebook import GUID_NAMESPACE, load_project_codebook

    taken = str(uuid.uuid5(GUID_NAMESPACE, "trust_again"))  # what 'Trust again' would get
    codes = (f'<Code guid="{taken}" name="Early" isCodable="true"/>'
             f'<Code guid="{TRUST}" name="Trust again" isCodable="true"/>')
    a, b = TEXT.index("Honestly"), TEXT.index("heard.") + len("heard.")
    import_qdpx(_archive(tmp_path / "dup.qdpx", _sel(1, a, b, code=taken), codes=codes), tmp_path / "p")
    guids = {c.id: c.guid for c in load_project_codebook(ProjectConfig.load(tmp_path / "p")).codes}
    assert len(set(guids.values())) == len(guids) == 4 and guids["early"] == taken
    assert list(_codings(tmp_path / "p")["code_id"]) == ["early"]


def test_whole_source_coding_codes_every_turn_and_passage(tmp_path: Path) -> None:
    whole = f'<Coding guid="66666666-6666-6666-6666-666666666666" creatingUser="{USER}"><CodeRef targetGUID="{TRUST}"/></Coding>'
    path = _archive(tmp_path / "whole.qdpx", whole, files={"src.txt": TEXT, "notes.txt": NOTES},
                    notes_sels=whole)
    report = import_qdpx(path, tmp_path / "p")
    codings = _codings(tmp_path / "p")
    assert sorted(codings["unit"]) == ["turn"] * 6  # the notes have no speakers: coded by paragraph
    assert report.n_codings == 2 and not report.splits and codings["span_start"].isna().all()
    assert not report.outside_units and report.no_speakers == {"notes.txt": "blank-lines"}
