"""The bundled sample project: config parses, files exist in the promised shapes, generators match the data."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import docx
import openpyxl
import pytest

from cop_analysis.config import ProjectConfig

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cfg() -> ProjectConfig:
    return ProjectConfig.load(ROOT)


def _text(path: Path) -> str:
    if path.suffix == ".docx":
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return path.read_bytes().decode("utf-8-sig")


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_config_names_every_file_exactly_once(cfg: ProjectConfig) -> None:
    specs = cfg.transcripts + cfg.surveys
    matched = [cfg.expand(s.path) for s in specs]
    assert all(len(m) == 1 for m in matched), [s.path for s, m in zip(specs, matched) if len(m) != 1]
    on_disk = {p for p in (RAW / "transcripts").iterdir()} | {p for p in (RAW / "surveys").iterdir()}
    assert {m[0] for m in matched} == on_disk
    assert {s.wave for s in specs} == {"2023", "2024"}
    assert len(cfg.transcripts) >= 8 and cfg.codebook == Path("data/raw/codebook.yml")


def test_transcripts_formats_and_lengths(cfg: ProjectConfig) -> None:
    suffixes = [cfg.expand(t.path)[0].suffix for t in cfg.transcripts]
    assert sorted(set(suffixes)) == [".docx", ".srt", ".txt", ".vtt"] and suffixes.count(".docx") == 2
    raw = {p.name: p.read_bytes() for p in (RAW / "transcripts").glob("*.txt")}
    assert sum(b"\r\n" in b for b in raw.values()) == 1
    assert sum(b.startswith(b"\xef\xbb\xbf") for b in raw.values()) == 1
    for spec in cfg.transcripts:
        path = cfg.expand(spec.path)[0]
        text = _text(path)
        words = len(re.sub(r"<[^>]+>|\d\d:\d\d:\d\d[.,]\d{3} --> \S+", " ", text).split())
        assert 1200 <= words <= 3600, (path.name, words)
        for label in spec.speaker_roles:  # every configured speaker label occurs in its file
            assert label in text, (path.name, label)


def test_qualtrics_waves_have_three_header_rows(cfg: ProjectConfig) -> None:
    counts = {}
    for spec in cfg.surveys[:2]:
        rows = _rows(cfg.expand(spec.path)[0])
        ids, texts, imports, data = rows[0], rows[1], rows[2], rows[3:]
        assert ids[:3] == ["StartDate", "EndDate", "Status"] and "ResponseId" in ids
        assert texts[ids.index("Q5")].startswith("What has helped you trust")
        assert json.loads(imports[ids.index("Q5")]) == {"ImportId": "QID5_TEXT"}
        assert all(len(r) == len(ids) for r in data)
        assert len({r[ids.index("ResponseId")] for r in data}) == len(data)
        for col in spec.open_ended + list(spec.attributes.values()):
            assert col in ids
        answers = [r[ids.index(q)] for r in data for q in spec.open_ended]
        assert sum(not a for a in answers) > 20 and max(len(a) for a in answers) > 300
        counts[spec.wave] = len(data)
    assert counts["2023"] >= 100 and counts["2024"] >= 110


def test_survey_answers_carry_real_world_edge_cases() -> None:
    answers = [cell for p in (RAW / "surveys").glob("*.csv") for row in _rows(p)[1:] for cell in row]
    joined = "\n".join(answers)
    assert any(a.startswith("=") for a in answers) and any(a.startswith("-") for a in answers)
    assert re.search(r"\(\d{3}\) 555-01\d\d", joined) and re.search(r"[\w.]+@[\w.]+\.example\.org", joined)
    assert "\n" in "".join(answers) and '"' in joined and re.search(r"[\U0001F300-\U0001FAFF]", joined)
    assert re.search(r"[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", joined)  # Vietnamese


def test_google_forms_and_surveymonkey_layouts(cfg: ProjectConfig) -> None:
    gf_spec, sm_spec = cfg.surveys[2], cfg.surveys[3]
    gf = _rows(cfg.expand(gf_spec.path)[0])
    assert gf[0][:3] == ["Timestamp", "Your role", "Which organization are you with?"]
    assert 25 <= len(gf) - 1 <= 40 and set(gf_spec.open_ended) <= set(gf[0])
    ws = openpyxl.load_workbook(cfg.expand(sm_spec.path)[0]).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Respondent ID" and "Open-Ended Response" in rows[1] and "Response" in rows[1]
    assert None in rows[0] and ws.merged_cells.ranges and 20 <= len(rows) - 2 <= 30
    assert set(sm_spec.open_ended) <= set(rows[0])


def test_redaction_lists_cover_names_in_the_data(cfg: ProjectConfig) -> None:
    corpus = "\n".join(_text(p) for p in sorted((RAW / "transcripts").iterdir()))
    corpus += "\n".join("\n".join(map(str, r)) for p in (RAW / "surveys").glob("*.csv") for r in _rows(p))
    corpus += "\n".join(map(str, openpyxl.load_workbook(RAW / "surveys" / "workshop_feedback_surveymonkey.xlsx")
                          .active.iter_rows(values_only=True)))
    missing = [n for n in cfg.redact_people + cfg.redact_organizations + cfg.redact_places if n not in corpus]
    assert missing == [], missing
    speakers = {label for t in cfg.transcripts for label in t.speaker_roles if " " in label and "(" not in label}
    assert {s for s in speakers if not s.startswith(("Interviewer", "Participant"))} <= set(cfg.redact_people)


def test_generators_reproduce_committed_files(tmp_path: Path) -> None:
    _script("make_sample_surveys").generate(tmp_path)
    for path in sorted((RAW / "surveys").iterdir()):
        fresh = tmp_path / path.name
        if path.suffix == ".xlsx":  # the zip container carries timestamps; compare cells and merges
            made, kept = (openpyxl.load_workbook(p).active for p in (fresh, path))
            assert list(made.iter_rows(values_only=True)) == list(kept.iter_rows(values_only=True))
            assert str(made.merged_cells) == str(kept.merged_cells)
        else:
            assert fresh.read_bytes() == path.read_bytes(), path.name
    for fresh in _script("make_sample_docx").generate(tmp_path):
        assert _text(fresh) == _text(RAW / "transcripts" / fresh.name)


def test_sample_codings_import_cleanly_with_moderate_agreement(sample_project: Path) -> None:
    """Two coders double-coded about 30 units in a spreadsheet; every quote locates one unit."""
    from cop_analysis.agreement import ledger_agreement
    from cop_analysis.coding_import import import_project_codings
    from cop_analysis.ingest import ingest_project
    from cop_analysis.ledger import Ledger

    cfg = ProjectConfig.load(sample_project)
    assert [c.path for c in cfg.codings] == ["codings/sample_codings.csv"]
    ingest_project(cfg)
    [result] = import_project_codings(cfg)
    assert result.ok, result.errors
    assert result.codings == result.rows == 115 and result.memos >= 2
    with Ledger(cfg.ledger_path) as led:
        assert led.coders() == ["ana", "ben"]
        res = ledger_agreement(led)
        assert 25 <= res.overall["n_segments"] <= 35 and res.overall["n_disagreements"] > 0
        assert 0.4 <= res.overall["cohen_kappa"] <= 0.8
        assert led.codings()["span_start"].notna().sum() >= 2  # a few codings cover only the quoted passage
    assert import_project_codings(cfg)[0].already_imported
