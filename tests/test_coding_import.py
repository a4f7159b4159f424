"""Importing human codings from CSV/XLSX into the ledger: locators, errors per row, idempotence, CLI, config."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cop_analysis.codebook import load_project_codebook
from cop_analysis.coding_import import CodingImportError, import_codings, import_project_codings
from cop_analysis.config import ConfigError, ProjectConfig
from cop_analysis.ingest import load_segments, load_sources
from cop_analysis.ledger import Ledger
from workbench_project import make_project

HEADER = ["source", "speaker", "respondent", "question", "quote", "span", "code", "coder", "memo", "created_at"]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def cfg(tmp_path: Path) -> ProjectConfig:
    return ProjectConfig.load(make_project(tmp_path / "project"))


def unit(cfg: ProjectConfig, contains: str) -> pd.Series:
    segments = load_segments(cfg)
    return segments[(segments["unit"].isin(["turn", "response"])) & segments["text"].str.contains(contains)].iloc[0]


def events(cfg: ProjectConfig) -> int:
    with Ledger(cfg.ledger_path) as led:
        return len(led.history())


def test_locators_find_turns_and_answers_with_spans_memos_and_times(cfg: ProjectConfig) -> None:
    maya = unit(cfg, "I trust the group")
    paid = unit(cfg, "Being paid")
    text = cfg.raw / "codings" / "team.csv"
    write_csv(text, [
        {"source": "interview_a.txt", "speaker": "maya", "quote": "I trust  the group more now.", "code": "trust",
         "coder": "ana", "created_at": "2024-12-02T09:05:00Z"},
        {"source": "transcripts/interview_a.txt", "quote": "named the harm", "span": "yes", "code": "Harm",
         "coder": "ana", "memo": "hiring, not the committee"},
        {"source": "wave1.csv", "respondent": "R2", "question": "What built trust?", "code": "trust", "coder": "ben"},
        {"source": "wave1.csv", "respondent": "R2", "question": "Q5", "coder": "ana"},  # looked, no code applies
    ])
    result = import_codings(cfg, text)
    assert result.ok and (result.rows, result.codings, result.memos, result.reviews) == (4, 3, 1, 1)
    with Ledger(cfg.ledger_path) as led:
        codings = led.codings()
        got = {(r.segment_id, r.code_id, r.coder, None if pd.isna(r.span_start) else (r.span_start, r.span_end))
               for r in codings.itertuples()}
        start = maya["start"] + maya["text"].index("named the harm")
        assert got == {(maya["segment_id"], "trust", "ana", None), (maya["segment_id"], "harm", "ana",
                        (start, start + len("named the harm"))), (paid["segment_id"], "trust", "ben", None)}
        assert str(codings.loc[codings["code_id"] == "trust"].iloc[0]["created_at"]) == "2024-12-02 09:05:00+00:00"
        source = load_sources(cfg).set_index("source_id").loc["transcripts/interview_a.txt", "text"]
        assert source[start:start + 14] == "named the harm"
        memo = led.memos().iloc[0]
        assert (memo["text"], memo["segment_id"], memo["code_id"]) == ("hiring, not the committee",
                                                                       maya["segment_id"], "harm")
        assert led.reviewed()[["segment_id", "coder"]].values.tolist() == [[paid["segment_id"], "ana"]]
        assert led.imports()[0]["file"] == "codings/team.csv" and led.imports()[0]["codings"] == 3
        before = led.codings().drop(columns=["updated_at"])
        led.rebuild()  # the import is ordinary events: replay gives the same state
        pd.testing.assert_frame_equal(led.codings().drop(columns=["updated_at"]), before)


def test_by_segment_id_and_export_round_trip_into_a_fresh_ledger(cfg: ProjectConfig, tmp_path: Path) -> None:
    maya, jordan = unit(cfg, "I trust the group"), unit(cfg, "rushed")
    with Ledger(cfg.ledger_path) as led:
        led.code(maya["segment_id"], "trust", "ana", created_at="2024-05-01T10:00:00+02:00")
        led.code(maya["segment_id"], "harm", "ben", span=(int(maya["start"]) + 4, int(maya["start"]) + 9))
        led.code(jordan["segment_id"], "pressure", "ana")
        led.code(jordan["segment_id"], "trust", "consensus")
        led.export_codings(tmp_path / "out.xlsx", segments=load_segments(cfg), codebook=load_project_codebook(cfg))
        original = led.codings()
    fresh = ProjectConfig.load(cfg.root)
    fresh.processed_dir = Path("data/fresh")
    (fresh.processed).mkdir(parents=True)
    for name in ("segments.parquet", "sources.parquet"):
        (fresh.processed / name).write_bytes((cfg.processed / name).read_bytes())
    result = import_codings(fresh, tmp_path / "out.xlsx")
    assert result.ok and result.codings == 4
    with Ledger(fresh.ledger_path) as led:
        again = led.codings()
    cols = ["segment_id", "code_id", "coder", "span_start", "span_end", "created_at"]
    assert again[cols].sort_values(cols).values.tolist() == original[cols].sort_values(cols).values.tolist()


def test_bad_rows_are_reported_with_file_and_row_and_the_others_go_in(cfg: ProjectConfig) -> None:
    path = write_csv(cfg.raw / "bad.csv", [
        {"source": "interview_a.txt", "quote": "What changed?", "code": "trust", "coder": "ana"},  # row 2: ok
        {"source": "interview_a.txt", "quote": "What changed?", "code": "hope", "coder": "ana"},
        {"source": "interview_a.txt", "quote": "not in the transcript", "code": "trust", "coder": "ana"},
        {"source": "interview_a.txt", "speaker": "Facilitator", "code": "trust", "coder": "ana"},
        {"source": "interview_a.txt", "quote": "What changed?", "code": "trust", "coder": "machine"},
        {"source": "nowhere.txt", "quote": "What changed?", "code": "trust", "coder": "ana"},
        {"source": "wave1.csv", "respondent": "R9", "question": "Q5", "code": "trust", "coder": "ana"},
        {"source": "interview_a.txt", "quote": "What changed?", "code": "trust", "coder": ""},
        {"source": "interview_a.txt", "quote": "What changed?", "code": "harm", "coder": "ana", "created_at": "soon"},
        {"source": "interview_b.txt", "quote": "Senior staff", "code": "power", "coder": "ana"},  # row 11: ok
    ])
    result = import_codings(cfg, path)
    assert (result.rows, result.codings) == (10, 2)
    expected = ["unknown code 'hope'", "contains the quote (not verbatim?)", "2 coding units of",
                "'machine' is reserved", "source 'nowhere.txt' is not an ingested file", "no coding unit of",
                "no coder", "not an ISO 8601 time"]
    assert len(result.errors) == len(expected)
    for row, (error, part) in enumerate(zip(result.errors, expected), start=3):
        assert error.startswith(f"{path}: row {row}: ") and part in error and "\n" not in error, error
    assert "ambiguous" in result.errors[2]
    with Ledger(cfg.ledger_path) as led:
        assert set(led.codings()["code_id"]) == {"trust", "power"}
        assert len(led.imports()[0]["errors"]) == 8


def test_unreadable_files_are_refused_whole(cfg: ProjectConfig) -> None:
    no_code = write_csv(cfg.raw / "x.csv", [{"source": "a", "coder": "ana"}], ["source", "coder"])
    with pytest.raises(CodingImportError, match=r"x\.csv: needs a 'code' column"):
        import_codings(cfg, no_code)
    (cfg.raw / "codings.txt").write_text("code\ntrust\n")
    with pytest.raises(CodingImportError, match="must be a .csv or .xlsx"):
        import_codings(cfg, cfg.raw / "codings.txt")
    (cfg.raw / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(CodingImportError, match=r"broken\.xlsx: cannot read"):
        import_codings(cfg, cfg.raw / "broken.xlsx")
    assert not cfg.ledger_path.exists() or events(cfg) == 0


def test_reimport_is_skipped_and_never_undoes_human_changes(cfg: ProjectConfig) -> None:
    maya = unit(cfg, "I trust the group")
    rows = [{"source": "interview_a.txt", "quote": "I trust the group", "code": c, "coder": "ana"}
            for c in ("trust", "harm")]
    path = write_csv(cfg.raw / "codings" / "ana.csv", rows)
    assert import_codings(cfg, path).codings == 2
    n = events(cfg)
    again = import_codings(cfg, path)
    assert again.already_imported and again.codings == 0 and events(cfg) == n  # not even a logged no-op
    with Ledger(cfg.ledger_path) as led:
        led.uncode(maya["segment_id"], "trust", "ana")  # a human removes an imported coding in the workbench
    assert import_codings(cfg, path).already_imported
    # the same rows in an edited file (new hash): the removed coding does not come back, new rows go in
    edited = write_csv(path, rows + [{"source": "interview_a.txt", "quote": "I trust the group", "code": "power",
                                      "coder": "ana"}])
    result = import_codings(cfg, edited)
    assert (result.codings, result.skipped) == (1, 2)
    with Ledger(cfg.ledger_path) as led:
        assert sorted(led.codings("ana")["code_id"]) == ["harm", "power"]


def test_configured_files_are_imported_once_and_config_is_validated(cfg: ProjectConfig) -> None:
    write_csv(cfg.raw / "codings" / "team.csv",
              [{"source": "interview_b.txt", "quote": "Senior staff", "code": "power", "coder": ""}])
    data = yaml.safe_load((cfg.root / "project.yml").read_text())
    (cfg.root / "project.yml").write_text(yaml.safe_dump({**data, "codings": [
        {"path": "codings/*.csv", "coder": "dee"}]}))
    project = ProjectConfig.load(cfg.root)
    first = import_project_codings(project)
    assert [(r.codings, r.already_imported) for r in first] == [(1, False)]
    assert [r.already_imported for r in import_project_codings(project)] == [True]
    with Ledger(cfg.ledger_path) as led:
        assert led.coders() == ["dee"]
    for value, message in [("nope", "'codings' must be a list"),
                           ([{"file": "a.csv"}], r"codings\[0\] needs a 'path'"),
                           ([{"path": "a.csv", "who": "x"}], r"codings\[0\] has unknown key\(s\): who"),
                           (["codings/a.json"], r"codings\[0\]\.path must be a .csv or .xlsx file"),
                           ([{"path": "a.csv", "coder": ""}], r"codings\[0\]\.coder must be a coder name")]:
        (cfg.root / "project.yml").write_text(yaml.safe_dump({**data, "codings": value}))
        with pytest.raises(ConfigError, match=message):
            ProjectConfig.load(cfg.root)
    (cfg.root / "project.yml").write_text(yaml.safe_dump({**data, "codings": ["codings/missing.csv"]}))
    with pytest.raises(ConfigError, match=r"codings\[0\]\.path 'codings/missing.csv' matches no file"):
        import_project_codings(ProjectConfig.load(cfg.root))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cop_analysis.cli", "import-codings", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_exit_codes(cfg: ProjectConfig) -> None:
    good = write_csv(cfg.raw / "good.csv", [{"source": "interview_b.txt", "quote": "Senior staff", "code": "power",
                                             "coder": ""}])
    done = cli("--project", str(cfg.root), str(good), "--coder", "ana")
    assert done.returncode == 0 and "1 codings" in done.stdout, done.stderr
    again = cli("--project", str(cfg.root), str(good))
    assert again.returncode == 0 and "already imported" in again.stdout
    bad = write_csv(cfg.raw / "bad.csv", [{"source": "interview_b.txt", "quote": "Senior staff", "code": "power",
                                           "coder": "ben"},
                                          {"source": "interview_b.txt", "quote": "Senior staff", "code": "??",
                                           "coder": "ben"}])
    partial = cli("--project", str(cfg.root), str(bad))
    assert partial.returncode == 1 and f"{bad}: row 3: unknown code '??'" in partial.stderr
    assert "1 rows failed" in partial.stdout
    missing = cli("--project", str(cfg.root), str(cfg.raw / "none.csv"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
