"""A small project for the workbench tests: two interview transcripts, one survey, a hierarchical codebook."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import yaml

from cop_analysis.atomic import write_parquet
from cop_analysis.schema import SEGMENTS, SOURCES

TRANSCRIPTS = {
    "transcripts/interview_a.txt": ("2024", [
        ("Facilitator", "facilitator", "Thanks for joining. How has the committee felt lately?"),
        ("Maya", "member", "I trust the group more now. We finally named the harm in the hiring process."),
        ("Facilitator", "facilitator", "What changed?"),
        ("Maya", "member", "People owned the agenda. Nobody waited for the director to speak first."),
        ("Jordan", "member", "I still feel rushed. The county timeline drives everything <script>alert(1)</script>."),
    ]),
    "transcripts/interview_b.txt": ("2025", [
        ("Facilitator", "facilitator", "Tell me about power in the room."),
        ("Sam", "member", "Senior staff still decide. We are consulted, not partners."),
    ]),
}
SURVEY = ("surveys/wave1.csv", "1", [
    ("R1", "Q5", "What built trust?", "Honest check-ins. Shared meals."),
    ("R2", "Q5", "What built trust?", "Being paid for our time."),
])
CODEBOOK = {"name": "test codebook", "codes": [
    {"id": "trust", "name": "Trust", "definition": "Confidence in others.", "color": "#1F77B4"},
    {"id": "harm", "name": "Harm", "definition": "Damage named or done.", "color": "#D62728"},
    {"id": "power", "name": "Power & positionality", "definition": "Who decides.", "color": "#FFD700"},
    {"id": "ownership", "name": "Ownership", "parent": "power", "definition": "Members own the work.",
     "color": "#2CA02C"},
    {"id": "pressure", "name": "Institutional pressure", "parent": "power", "definition": "Deadlines.",
     "color": "#9467BD"},
]}


def _sid(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in ".?!" and (i + 1 == len(text) or text[i + 1] == " "):
            spans.append((start, i + 1))
            start = i + 2
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def make_project(root: Path) -> Path:
    """Write project.yml, codebook.yml, sources.parquet and segments.parquet under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "project.yml").write_text(yaml.safe_dump({"name": "workbench test", "codebook": "codebook.yml"}))
    (root / "codebook.yml").write_text(yaml.safe_dump(CODEBOOK, sort_keys=False))
    sources, segments = [], []

    def add(source_id: str, kind: str, wave: str, blocks: list[dict[str, object]]) -> None:
        text, rows = "", []
        for pos, block in enumerate(blocks):
            label = f"{block.get('speaker') or block.get('question_id')}: "
            start = len(text) + len(label)
            body = str(block["text"])
            text += label + body + "\n"
            unit = "turn" if kind == "transcript" else "response"
            parent = _sid(source_id, unit, start)
            rows.append({**block, "segment_id": parent, "unit": unit, "parent_id": None, "position": pos,
                         "start": start, "end": start + len(body)})
            for j, (a, b) in enumerate(_sentences(body)):
                rows.append({**block, "segment_id": _sid(source_id, "sentence", start + a), "unit": "sentence",
                             "parent_id": parent, "position": j, "start": start + a, "end": start + b,
                             "text": body[a:b]})
        for row in rows:
            assert text[row["start"]:row["end"]] == row["text"]
            segments.append({**row, "source_id": source_id, "kind": kind, "wave": wave})
        sources.append({"source_id": source_id, "path": f"data/raw/{source_id}", "kind": kind,
                        "format": source_id.rsplit(".", 1)[1], "wave": wave, "title": Path(source_id).stem,
                        "sha256": hashlib.sha256(text.encode()).hexdigest(), "encoding": "utf-8",
                        "cache_key": hashlib.sha256(text.encode()).hexdigest(),
                        "n_chars": len(text), "n_segments": len(rows), "text": text,
                        "ingested_at": pd.Timestamp.now(tz="UTC")})

    for source_id, (wave, turns) in TRANSCRIPTS.items():
        add(source_id, "transcript", wave,
            [{"speaker": s, "speaker_role": r, "text": t} for s, r, t in turns])
    path, wave, answers = SURVEY
    add(path, "survey", wave, [{"respondent_id": r, "question_id": q, "question": qt, "text": t}
                               for r, q, qt, t in answers])
    processed = root / "data" / "processed"
    write_parquet(SOURCES.conform(pd.DataFrame(sources)), processed / "sources.parquet", SOURCES.arrow_schema())
    write_parquet(SEGMENTS.conform(pd.DataFrame(segments)), processed / "segments.parquet", SEGMENTS.arrow_schema())
    return root
