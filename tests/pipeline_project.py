"""One end-to-end pipeline run on a copy of the sample project, shared by the pipeline and browser tests.

The run happens once per test session (memoised here, so test_pipeline.py and
test_report_browser.py reuse it). A transcript with a ``<script>`` tag is added to check escaping,
and a survey export ingest cannot read (``BROKEN_SURVEY``: an unterminated quote) to check that the
run reports it (exit 4, manifest ``input_errors``, the reports' overview and Methods inputs).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ESCAPE_TRANSCRIPT = "2024-12-02_escape_check.txt"
BROKEN_SURVEY = "surveys/broken_export.csv"
_RUNS: dict[str, dict[str, Any]] = {}


def word_in(text: str, word: str) -> bool:
    """Case-insensitive whole-word search (letters and digits are word characters, '_' is not)."""
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text, re.IGNORECASE) is not None


def names_in(text: str, names: list[str]) -> list[str]:
    """The names, and their first and last names alone, that occur in ``text``."""
    from cop_analysis.deidentify import name_variants

    return sorted({v for n in names for v in name_variants(n) if word_in(text, v)})


KEYWORDS = {"trust": "trust", "harm": "harm", "power_positionality": "power", "ownership": "own",
            "facilitation": "facilitat", "time_pace": "deadline"}


def seed_codings(root: Path) -> None:
    """Ingest, then human coding: two coders code units by keyword (the second one every other
    unit, so there is agreement to measure); three coders put the <script> turn under trust."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import CODING_UNITS, ingest_project, load_segments
    from cop_analysis.ledger import Ledger

    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    segments = load_segments(cfg)
    units = segments[segments["unit"] == segments["kind"].map(CODING_UNITS)]
    with Ledger(cfg.ledger_path) as ledger:
        for i, (segment_id, text) in enumerate(zip(units["segment_id"], units["text"].str.lower())):
            for code, word in KEYWORDS.items():
                if word in text:
                    ledger.code(segment_id, code, "ana")
                    if i % 2 == 0 and code != "time_pace":
                        ledger.code(segment_id, code, "ben")
            if "<script>" in text:
                for coder in ("ana", "ben", "cy"):
                    ledger.code(segment_id, "trust", coder)


def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the pipeline (audience both) cold, then warm; return results, timings and the names,
    file names and segment ids that must not appear in the shareable report."""
    if "sample" in _RUNS:
        return _RUNS["sample"]
    from cop_analysis.config import ProjectConfig
    from cop_analysis.deidentify import is_personal_name
    from cop_analysis.ingest import load_segments, load_sources
    from cop_analysis.pipeline import run

    root = tmp_path_factory.mktemp("pipeline") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    config = yaml.safe_load((REPO / "project.yml").read_text(encoding="utf-8"))
    config["transcripts"].append({"path": f"transcripts/{ESCAPE_TRANSCRIPT}", "wave": "2024",
                                  "speaker_roles": {"Interviewer": "interviewer", "Participant": "participant"}})
    config["surveys"].append({"path": BROKEN_SURVEY, "wave": "2024", "respondent_id": "id", "open_ended": ["answer"]})
    (root / "data" / "raw" / BROKEN_SURVEY).write_text('id,answer\nr1,"an answer whose quote never closes\n'
                                                      'r2,another answer\n', encoding="utf-8")
    (root / "project.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "data" / "raw" / "transcripts" / ESCAPE_TRANSCRIPT).write_text(
        "Interviewer: Does the report escape markup? We want people to trust it.\n\n"
        "Participant: Yes, this should stay text: <script>alert(1)</script> and trust grows when we share power.\n",
        encoding="utf-8")
    seed_codings(root)
    start = time.perf_counter()
    cold = run(root, audience="both", progress=True)
    cold_seconds = time.perf_counter() - start
    start = time.perf_counter()
    warm = run(root, audience="both", progress=True)
    warm_seconds = time.perf_counter() - start
    cfg = ProjectConfig.load(root)
    segments, sources = load_segments(cfg), load_sources(cfg)
    speakers = [s for s in segments["speaker"].dropna().unique() if is_personal_name(s)]
    files = [Path(p).name for p in sources["path"]] + [Path(p).stem for p in sources["path"]]
    _RUNS["sample"] = {"cold": cold, "warm": warm, "cold_seconds": cold_seconds, "warm_seconds": warm_seconds,
                       "project": root, "names": sorted(set(cfg.redact_people) | set(speakers)),
                       "organizations": cfg.redact_organizations,
                       "file_names": files, "segment_ids": segments["segment_id"].tolist()}
    return _RUNS["sample"]
