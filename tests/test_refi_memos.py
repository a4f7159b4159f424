"""REFI-QDA memos: where a segment x code memo goes, unique Note GUIDs, creation times (real ledger and .qdpx)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema

from cop_analysis.refi.common import q

TRANSCRIPT = """Facilitator: How did the audit go?
Sam Okafor: It was slow at first. We own the equity audit now and that matters. The county still decides.
Facilitator: And trust?
Maya Chen: I trust the group more now.
"""
CODEBOOK = """name: memo codebook
codes:
  - {id: trust, name: Trust, definition: Confidence in others.}
  - {id: ownership, name: Ownership, definition: Owning the work.}
  - {id: power, name: Power, definition: Who decides.}
"""
PROJECT = """name: Memo CoP
codebook: data/raw/codebook.yml
transcripts:
  - path: transcripts/audit.txt
"""
XSD = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi" / "Project.xsd"
OWN = "We own the equity audit now and that matters."
OLD = "2020-01-02T03:04:05Z"


def _turn(segments: pd.DataFrame, contains: str) -> pd.Series:
    rows = segments[(segments["unit"] == "turn") & segments["text"].str.contains(contains, regex=False)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def project(tmp_path: Path):
    """Sam's turn: ownership coded on one sentence only; Maya's turn: trust coded by two coders; memos."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project, load_segments
    from cop_analysis.ledger import Ledger

    root = tmp_path / "memo_project"
    for rel, text in {"transcripts/audit.txt": TRANSCRIPT, "codebook.yml": CODEBOOK}.items():
        (root / "data" / "raw" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "data" / "raw" / rel).write_text(text, encoding="utf-8")
    (root / "project.yml").write_text(PROJECT, encoding="utf-8")
    cfg = ProjectConfig.load(root)
    assert not ingest_project(cfg).errors
    segs = load_segments(cfg)
    sam, maya = _turn(segs, "We own the equity audit"), _turn(segs, "I trust the group")
    at = int(sam["start"]) + sam["text"].index(OWN)
    with Ledger(cfg.ledger_path) as led:
        led.code(sam["segment_id"], "ownership", "ben", span=(at, at + len(OWN)))
        led.code(maya["segment_id"], "trust", "ana")
        led.code(maya["segment_id"], "trust", "ben")
        led.memo("Ownership of the audit, one sentence.", "ben", segment_id=sam["segment_id"], code_id="ownership",
                 created_at=OLD)
        led.memo("Power is implied, nobody coded it.", "ana", segment_id=sam["segment_id"], code_id="power")
        led.memo("Trust, said twice.", "ana", segment_id=maya["segment_id"], code_id="trust")
        led.memo("Same words.", "ana", segment_id=maya["segment_id"], code_id="trust")
        led.memo("Same words.", "ana", segment_id=maya["segment_id"], code_id="trust")
        led.memo("Segment memo.", "ben", segment_id=maya["segment_id"])
        led.memo("Project memo.", "ben")
    return cfg


def _qde(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        return ET.fromstring(zf.read("project.qde"))


def _memos(cfg) -> list[tuple[str, str | None, str | None, str]]:
    """(text, turn text or None, code_id or None, coder) of every memo, sorted."""
    from cop_analysis.ingest import load_segments
    from cop_analysis.ledger import Ledger

    turns = load_segments(cfg).set_index("segment_id")["text"]
    with Ledger(cfg.ledger_path) as led:
        memos = led.memos()
    return sorted((m.text, turns[m.segment_id] if isinstance(m.segment_id, str) else None,
                   m.code_id if isinstance(m.code_id, str) else None, m.coder) for m in memos.itertuples())


def test_memo_on_a_narrowed_coding_is_attached_to_that_coding(project, tmp_path: Path) -> None:
    from cop_analysis.refi import export_qdpx, import_qdpx

    out = export_qdpx(project, tmp_path / "out.qdpx")
    if XSD.exists():  # a coded Note is valid REFI
        with zipfile.ZipFile(out) as zf:
            xmlschema.XMLSchema(str(XSD)).validate(zf.read("project.qde").decode("utf-8"))
    root = _qde(out)
    note_guid = {n.find(q("PlainTextContent")).text: n.get("guid") for n in root.iter(q("Note"))}
    codes = {c.get("guid"): c.get("name") for c in root.iter(q("Code"))}
    users = {u.get("guid"): u.get("name") for u in root.iter(q("User"))}
    on_codings: dict[str, list[tuple[str, str, str]]] = {}  # note guid -> [(selection name, code name, coder)]
    for sel in root.iter(q("PlainTextSelection")):
        for coding in sel.findall(q("Coding")):
            for ref in coding.findall(q("NoteRef")):
                code, coder = codes[coding.find(q("CodeRef")).get("targetGUID")], users[coding.get("creatingUser")]
                on_codings.setdefault(ref.get("targetGUID"), []).append((sel.get("name"), code, coder))
    own = on_codings[note_guid["Ownership of the audit, one sentence."]]
    assert len(own) == 1 and own[0][0].startswith("We own") and own[0][1:] == ("Ownership", "ben")
    maya = "I trust the group more now."
    assert sorted(on_codings[note_guid["Trust, said twice."]]) == [(maya, "Trust", "ana"), (maya, "Trust", "ben")]
    # no power coding on Sam's turn: the note hangs on the turn's selection and is itself coded with Power
    power = next(n for n in root.iter(q("Note")) if n.get("guid") == note_guid["Power is implied, nobody coded it."])
    assert power.get("guid") not in on_codings
    assert [codes[c.find(q("CodeRef")).get("targetGUID")] for c in power.findall(q("Coding"))] == ["Power"]

    report = import_qdpx(tmp_path / "out.qdpx", tmp_path / "back")
    assert not report.mismatches, report.summary()
    assert report.n_codings == report.n_codings_in_file  # a Note's own Coding is a memo's code link, not a lost coding
    from cop_analysis.config import ProjectConfig

    assert _memos(ProjectConfig.load(tmp_path / "back")) == _memos(project)


def test_identical_memos_get_distinct_note_guids(project, tmp_path: Path) -> None:
    from cop_analysis.config import ProjectConfig
    from cop_analysis.refi import export_qdpx, import_qdpx

    first = export_qdpx(project, tmp_path / "first.qdpx")
    guids = [n.get("guid") for n in _qde(first).iter(q("Note"))]
    assert len(guids) == 7 and len(set(guids)) == 7
    assert export_qdpx(project, tmp_path / "again.qdpx").read_bytes() == first.read_bytes()
    report = import_qdpx(first, tmp_path / "back")
    assert report.n_memos == 7
    back = ProjectConfig.load(tmp_path / "back")
    assert [m[0] for m in _memos(back)].count("Same words.") == 2
    second = export_qdpx(back, tmp_path / "second.qdpx")  # the GUIDs survive a re-import
    assert sorted(n.get("guid") for n in _qde(second).iter(q("Note"))) == sorted(guids)


def test_memo_creation_times_survive_a_round_trip(project, tmp_path: Path) -> None:
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ledger import Ledger
    from cop_analysis.refi import export_qdpx, import_qdpx

    root = _qde(export_qdpx(project, tmp_path / "out.qdpx"))
    when = {n.find(q("PlainTextContent")).text: n.get("creationDateTime") for n in root.iter(q("Note"))}
    assert when["Ownership of the audit, one sentence."] == OLD
    assert all(when.values())
    import_qdpx(tmp_path / "out.qdpx", tmp_path / "back")
    with Ledger(ProjectConfig.load(tmp_path / "back").ledger_path) as led, Ledger(project.ledger_path) as orig:
        times = lambda m: sorted(zip(m["text"], m["created_at"].dt.floor("s")))  # noqa: E731
        assert times(led.memos()) == times(orig.memos())
