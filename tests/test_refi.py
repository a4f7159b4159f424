"""REFI-QDA exchange: hostile archives, offset detection, export (XSD), import, round trip, real NVivo file."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cop_analysis.refi import Limits, RefiError, import_qdpx
from cop_analysis.refi.offsets import Selection, detect_offsets

SHARED_REFI = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi"
NVIVO = SHARED_REFI / "nvivo-12.6-export.qdpx"
XSD = SHARED_REFI / "Project.xsd"
QDE = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="t">'
       "<Sources/></Project>")


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _refused(path: Path, target: Path, phrase: str, limits: Limits = Limits()) -> None:
    with pytest.raises(RefiError) as info:
        import_qdpx(path, target, limits)
    message = str(info.value)
    assert "\n" not in message and phrase in message and str(path) in message
    assert not target.exists()


# -- hostile archives ------------------------------------------------------------------------

def test_zip_slip_refused(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "slip.qdpx", {"project.qde": QDE.encode(), "sources/../../evil.txt": b"x"})
    _refused(bad, tmp_path / "out", "zip-slip")


def test_absolute_member_path_refused(tmp_path: Path) -> None:
    for i, name in enumerate(["/etc/evil.txt", "C:\\evil.txt"]):
        bad = _zip(tmp_path / f"abs{i}.qdpx", {"project.qde": QDE.encode(), name: b"x"})
        _refused(bad, tmp_path / "out", "absolute member path")


def test_zip_bomb_ratio_refused_from_headers(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "ratio.qdpx", {"project.qde": QDE.encode(), "sources/a.txt": b"\0" * (20 << 20)})
    _refused(bomb, tmp_path / "out", "compression ratio")


def test_zip_bomb_total_size_and_member_count_refused(tmp_path: Path) -> None:
    big = _zip(tmp_path / "big.qdpx", {"project.qde": QDE.encode(), "sources/a.txt": b"abc" * 1000})
    _refused(big, tmp_path / "out", "uncompressed size exceeds", Limits(max_total_bytes=2000))
    many = _zip(tmp_path / "many.qdpx", {"project.qde": QDE.encode(), **{f"sources/{i}.txt": b"x" for i in range(20)}})
    _refused(many, tmp_path / "out", "members exceed", Limits(max_members=10))


def test_zip_bomb_lying_headers_refused_while_streaming(tmp_path: Path) -> None:
    """Headers claim 200 bytes; the .qde really inflates to 5 MB: caught while inflating."""
    data = bytearray(_zip(tmp_path / "lie.qdpx", {"project.qde": QDE.encode() + b" " * (5 << 20)}).read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = struct.pack("<I", 200)
    data[central + 24:central + 28] = struct.pack("<I", 200)
    (tmp_path / "lie.qdpx").write_bytes(bytes(data))
    assert zipfile.ZipFile(tmp_path / "lie.qdpx").getinfo("project.qde").file_size == 200
    _refused(tmp_path / "lie.qdpx", tmp_path / "out", "inflates beyond its declared size")


def test_xml_external_entity_refused(tmp_path: Path) -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>')
    _refused(_zip(tmp_path / "xxe.qdpx", {"project.qde": xxe.encode()}), tmp_path / "out", "DTD")


def test_billion_laughs_refused(tmp_path: Path) -> None:
    ents = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY l0 "lol">{ents}]><Project name="&l9;"/>'
    _refused(_zip(tmp_path / "lol.qdpx", {"project.qde": bomb.encode()}), tmp_path / "out", "DTD")


def test_qde_not_xml_and_missing_qde_refused(tmp_path: Path) -> None:
    _refused(_zip(tmp_path / "junk.qdpx", {"project.qde": b"\x89PNG not xml"}), tmp_path / "out", "not well-formed XML")
    _refused(_zip(tmp_path / "none.qdpx", {"sources/a.txt": b"hello"}), tmp_path / "out", "no .qde project file")
    (tmp_path / "plain.qdpx").write_text("not a zip")
    _refused(tmp_path / "plain.qdpx", tmp_path / "out", "not a readable zip archive")
    _refused(tmp_path / "missing.qdpx", tmp_path / "out", "missing.qdpx: no such file")


# -- offset detection --------------------------------------------------------------------------

def test_detects_utf16_and_crlf_counting_from_selection_names() -> None:
    raw = "\ufeffIntro 😀😀 line\r\nSecond line: trust grows 🙂 here\r\nThird"
    text = "Intro 😀😀 line\nSecond line: trust grows 🙂 here\nThird"
    want = text.index("trust grows"), text.index("Third")
    cases = {  # method -> how that exporter counts a position
        "codepoints": lambda p: p,
        "codepoints+crlf": lambda p: p + text[:p].count("\n"),
        "utf16": lambda p: len(text[:p].encode("utf-16-le")) // 2,
        "utf16+crlf": lambda p: len(text[:p].replace("\n", "\r\n").encode("utf-16-le")) // 2,
    }
    for method, count in cases.items():
        sels = [Selection(count(want[0]), count(want[0] + 11), "trust grows"),
                Selection(count(want[1]), count(want[1] + 5), "Third")]
        det = detect_offsets(raw, sels)
        assert det.method == method and det.text == text
        assert [det.text[a:b] for a, b in det.spans] == ["trust grows", "Third"]


def test_selection_whose_name_disagrees_is_reported_not_imported() -> None:
    det = detect_offsets("alpha beta gamma", [Selection(6, 10, "beta"), Selection(0, 5, "gamma")])
    assert det.spans == [(6, 10), None]
    assert det.problems[0] is None and "does not match" in det.problems[1]
    out = detect_offsets("short", [Selection(2, 99)])
    assert out.spans == [None] and "outside the text" in out.problems[0]


# -- export / import on a real tiny project ------------------------------------------------------

INTERVIEW_A = """Facilitator: Welcome back. How does the steering committee feel about trust? 🙂
Maya Chen: I trust the group more now 😀 — we named the harm in the hiring process.
Facilitator: What changed for you?
Maya Chen: People owned the agenda. Nobody waited for the director to speak first.
Jordan Reyes: Honestly I still feel rushed; the county timeline drives everything.
"""
INTERVIEW_B = """Facilitator: Tell me about power in the room.
Sam Okafor: Senior staff still decide. We are consulted, not partners. Café talk changes nothing.
Facilitator: And ownership?
Sam Okafor: We own the equity audit now 👍🏽 and that matters.
"""
SURVEY = """id,Role,Dept,What built trust?
R1,member,Public Works,Honest check-ins and shared meals 🍲.
R2,staff,Health,"Being paid for our time, finally."
"""
CODEBOOK = """name: tiny codebook
codes:
  - {id: trust, name: Trust, definition: Confidence in others., color: "#1F77B4"}
  - {id: harm, name: Harm, definition: Damage named or done., include: Named harms.}
  - {id: power, name: Power & positionality, definition: Who decides., codable: false}
  - {id: ownership, name: Ownership, parent: power, examples: [We own the audit.]}
"""
PROJECT = """name: Tiny CoP
codebook: data/raw/codebook.yml
transcripts:
  - path: transcripts/*.txt
    wave: "2024"
    speaker_roles: {Facilitator: facilitator}
surveys:
  - path: surveys/wave1.csv
    wave: "1"
    layout: plain
    respondent_id: id
    open_ended: ["What built trust?"]
    attributes: {role: Role, department: Dept}
"""


def _turn(segments, source_id: str, contains: str):
    rows = segments[(segments["source_id"] == source_id) & segments["text"].str.contains(contains, regex=False)]
    rows = rows[rows["unit"].isin(["turn", "response"])]
    assert len(rows) == 1, (source_id, contains, rows)
    return rows.iloc[0]


@pytest.fixture
def tiny_project(tmp_path: Path):
    """A tiny real project: two transcripts with emoji, a survey with attributes, codings, memos."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project, load_segments
    from cop_analysis.ledger import Ledger

    root = tmp_path / "tiny"
    for rel, text in {"transcripts/interview_a.txt": INTERVIEW_A, "transcripts/interview_b.txt": INTERVIEW_B,
                      "surveys/wave1.csv": SURVEY, "codebook.yml": CODEBOOK}.items():
        (root / "data" / "raw" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "data" / "raw" / rel).write_text(text, encoding="utf-8")
    (root / "project.yml").write_text(PROJECT, encoding="utf-8")
    cfg = ProjectConfig.load(root)
    report = ingest_project(cfg)
    assert not report.errors, report.summary()
    segs = load_segments(cfg)
    led = Ledger(cfg.ledger_path)
    for coder in ("ana", "ben"):
        led.add_coder(coder)
    maya = _turn(segs, "transcripts/interview_a.txt", "I trust the group")
    sam = _turn(segs, "transcripts/interview_b.txt", "We own the equity audit")
    r1 = _turn(segs, "surveys/wave1.csv", "Honest check-ins")
    harm_at = int(maya["start"]) + maya["text"].index("the harm in the hiring process")
    led.code(maya["segment_id"], "trust", "ana")
    led.code(maya["segment_id"], "trust", "ben")
    led.code(maya["segment_id"], "harm", "ana", span=(harm_at, harm_at + len("the harm in the hiring process")))
    led.code(sam["segment_id"], "ownership", "ben")
    led.code(r1["segment_id"], "trust", "ana")
    led.memo("Trust comes up early.", "ana")
    led.memo("Emoji as a trust signal?", "ana", segment_id=maya["segment_id"])
    led.memo("Strong ownership quote.", "ben", segment_id=sam["segment_id"], code_id="ownership")
    led.memo("Ownership is about the audit here.", "ben", code_id="ownership")
    return cfg


def _read_qdpx(path: Path):
    """(project element, {member name: text}) of an archive we wrote."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return ET.fromstring(members.pop("project.qde")), {n: b.decode("utf-8") for n, b in members.items()}


def _codings_list(path: Path) -> list[tuple[str, str, int, int, str, str]]:
    """Every coding as (source guid, selected text, start, end, code guid, coder name)."""
    from cop_analysis.refi.common import q

    root, texts = _read_qdpx(path)
    users = {u.get("guid"): u.get("name") for u in root.iter(q("User"))}
    out = []
    for src in root.iter(q("TextSource")):
        text = texts[src.get("plainTextPath").replace("internal://", "sources/")]
        for sel in src.findall(q("PlainTextSelection")):
            a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
            for coding in sel.findall(q("Coding")):
                out.append((src.get("guid"), text[a:b], a, b, coding.find(q("CodeRef")).get("targetGUID"),
                            users[coding.get("creatingUser")]))
    return out


def _codings(path: Path) -> set[tuple[str, str, int, int, str, str]]:
    return set(_codings_list(path))


def test_export_validates_and_carries_everything(tiny_project, tmp_path: Path) -> None:
    import xmlschema

    from cop_analysis.ingest import load_segments
    from cop_analysis.refi import export_qdpx
    from cop_analysis.refi.common import q

    out = export_qdpx(tiny_project, tmp_path / "tiny.qdpx")
    if XSD.exists():
        schema = xmlschema.XMLSchema(str(XSD))
        with zipfile.ZipFile(out) as zf:
            schema.validate(zf.read("project.qde").decode("utf-8"))
    root, texts = _read_qdpx(out)
    assert sorted(u.get("name") for u in root.iter(q("User"))) == ["ana", "ben"]
    codes = {c.get("name"): c for c in root.iter(q("Code"))}
    assert codes["Power & positionality"].get("isCodable") == "false"
    assert codes["Power & positionality"].find(q("Code")).get("name") == "Ownership"
    assert codes["Trust"].get("color") == "#1F77B4"
    assert codes["Ownership"].find(q("NoteRef")) is not None  # code memo
    codings = _codings(out)
    assert len(codings) == 5
    selected = {(text, coder) for _, text, _, _, _, coder in codings}
    assert ("the harm in the hiring process", "ana") in selected  # sub-span, offsets in code points
    segs = load_segments(tiny_project)
    maya = _turn(segs, "transcripts/interview_a.txt", "I trust the group")
    assert (maya["text"], "ben") in selected and "😀" in maya["text"]
    cases = {c.get("name"): c for c in root.iter(q("Case"))}
    assert {"Maya Chen", "Sam Okafor", "R1", "R2"} <= set(cases)
    var_names = {v.get("guid"): v.get("name") for v in root.iter(q("Variable"))}
    r2 = {var_names[vv.find(q("VariableRef")).get("targetGUID")]: vv.find(q("TextValue")).text
          for vv in cases["R2"].findall(q("VariableValue"))}
    assert r2["role"] == "staff" and r2["department"] == "Health" and r2["wave"] == "1"
    assert cases["Maya Chen"].find(q("SelectionRef")) is not None
    notes = {n.find(q("PlainTextContent")).text for n in root.iter(q("Note"))}
    assert notes == {"Trust comes up early.", "Emoji as a trust signal?", "Strong ownership quote.",
                     "Ownership is about the audit here."}
    assert root.find(q("NoteRef")) is not None  # project memo
    assert len(texts) == 3 and all(n.startswith("sources/") for n in texts)
    again = export_qdpx(tiny_project, tmp_path / "again.qdpx")
    assert again.read_bytes() == out.read_bytes()  # stable GUIDs, deterministic archive


def test_crlf_export_for_maxqda(tiny_project, tmp_path: Path) -> None:
    from cop_analysis.refi import export_qdpx

    lf, crlf = export_qdpx(tiny_project, tmp_path / "lf.qdpx"), export_qdpx(tiny_project, tmp_path / "crlf.qdpx", crlf=True)
    _, texts = _read_qdpx(crlf)
    assert all("\r\n" in t and "\n" not in t.replace("\r\n", "") for t in texts.values())
    by_lf = {(s, t.replace("\n", "\r\n"), c, u) for s, t, _, _, c, u in _codings(lf)}
    assert by_lf == {(s, t, c, u) for s, t, _, _, c, u in _codings(crlf)}  # CRLF counted as two
    shifted = [a for _, t, a, _, _, _ in _codings(crlf) if a not in {x for _, _, x, _, _, _ in _codings(lf)}]
    assert shifted  # offsets after the first line end moved


def test_round_trip_export_import_export(tiny_project, tmp_path: Path) -> None:
    from cop_analysis.codebook import load_project_codebook
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ledger import Ledger
    from cop_analysis.refi import export_qdpx
    from cop_analysis.refi.common import q

    first = export_qdpx(tiny_project, tmp_path / "first.qdpx")
    report = import_qdpx(first, tmp_path / "imported")
    assert not report.mismatches, report.summary()
    assert report.codings_per_coder == {"ana": 3, "ben": 2} and report.n_codes == 4
    assert set(report.offset_methods.values()) == {"codepoints"}
    cfg = ProjectConfig.load(tmp_path / "imported")
    assert load_project_codebook(cfg) == load_project_codebook(tiny_project) or \
        [c.guid for c in load_project_codebook(cfg).codes] == [c.guid for c in load_project_codebook(tiny_project).codes]
    memos = Ledger(cfg.ledger_path).memos()
    assert set(memos["text"]) >= {"Trust comes up early.", "Emoji as a trust signal?", "Strong ownership quote."}
    assert memos.loc[memos["text"] == "Strong ownership quote.", "code_id"].item() == "ownership"
    assert (cfg.raw / "cases.csv").read_text(encoding="utf-8").count("\n") == 1 + report.n_cases
    second = export_qdpx(cfg, tmp_path / "second.qdpx")
    when = lambda led: set(zip(led.codings()["code_id"], led.codings()["created_at"].dt.floor("s")))  # noqa: E731
    assert when(Ledger(cfg.ledger_path)) == when(Ledger(tiny_project.ledger_path))
    assert _codings(second) == _codings(first)  # same sources (the survey comes back as a survey), spans, GUIDs
    assert report.surveys == {"surveys/wave1.csv": 2} and report.sources["surveys/wave1.csv"] == "surveys/wave1.csv"
    books = [ET.tostring(_read_qdpx(p)[0].find(q("CodeBook"))) for p in (first, second)]
    assert books[0] == books[1]
    crlf = import_qdpx(export_qdpx(tiny_project, tmp_path / "crlf.qdpx", crlf=True), tmp_path / "from_crlf")
    assert set(crlf.offset_methods.values()) == {"codepoints+crlf"} and crlf.n_codings == 5 and crlf.surveys


def test_cli_export_and_import(tiny_project, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cop_analysis.cli import app

    runner = CliRunner()
    out = tmp_path / "cli.qdpx"
    result = runner.invoke(app, ["export-qdpx", "--project", str(tiny_project.root), str(out)])
    assert result.exit_code == 0 and out.exists(), result.output
    result = runner.invoke(app, ["import-qdpx", str(out), str(tmp_path / "cli_project")])
    assert result.exit_code == 0 and "5/5 codings" in result.output, result.output
    # every transcript gets its own speaker_roles mapping (its speakers' roles, from its Description), never
    # a YAML anchor/alias (&id001 / *id001)
    text = (tmp_path / "cli_project" / "project.yml").read_text(encoding="utf-8")
    roles = [t["speaker_roles"] for t in yaml.safe_load(text)["transcripts"]]
    assert roles == [{"Facilitator": "facilitator", "Jordan Reyes": "member", "Maya Chen": "member"},
                     {"Facilitator": "facilitator", "Sam Okafor": "member"}]
    assert "&id" not in text and "*id" not in text
    result = runner.invoke(app, ["import-qdpx", str(out), str(tmp_path / "cli_project")])
    assert result.exit_code == 1 and "not empty" in result.output
    result = runner.invoke(app, ["import-qdpx", str(tmp_path / "missing.qdpx"), str(tmp_path / "other")])
    assert result.exit_code == 1 and "missing.qdpx: no such file" in result.output  # as any unreadable input


def _hand_written(tmp_path: Path, qde_name: str, folder: str) -> Path:
    """An archive with the deviations real tools produce (ATLAS.ti/MAXQDA style)."""
    # the second answer is 'Q:' so that 'The board decides, not us.' is a whole turn (one speaker's
    # consecutive lines make one turn)
    text = "Q: Who decides? 🙂\r\nA: The board decides, not us.\r\nQ: Trust is slow.\r\n"
    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Hand">
 <Users><User guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="Zoe"/></Users>
 <CodeBook><Codes>
  <Code guid="{BBBBBBBB-0000-0000-0000-000000000001}" name="Themes" isCodable="false">
   <Code guid="{BBBBBBBB-0000-0000-0000-000000000002}" name="Power" isCodable="true"/>
   <Code guid="BBBBBBBB-0000-0000-0000-000000000003" name="Trust" isCodable="true"/>
  </Code></Codes></CodeBook>
 <Sources>
  <TextSource guid="{CCCCCCCC-0000-0000-0000-000000000001}" name="board talk" plainTextPath="absolute://C:\\Users\\zoe\\board.txt">
   <PlainTextSelection guid="DDDDDDDD-0000-0000-0000-000000000001" name="The board decides" startPosition="23" endPosition="49">
    <Coding guid="EEEEEEEE-0000-0000-0000-000000000001" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
     <CodeRef targetGUID="{BBBBBBBB-0000-0000-0000-000000000002}"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="DDDDDDDD-0000-0000-0000-000000000002" startPosition="54" endPosition="68">
    <Description>Annotation: slow trust</Description>
   </PlainTextSelection>
   <PlainTextSelection guid="DDDDDDDD-0000-0000-0000-000000000003" name="Who decides" startPosition="54" endPosition="68">
    <Coding guid="EEEEEEEE-0000-0000-0000-000000000002"><CodeRef targetGUID="BBBBBBBB-0000-0000-0000-000000000003"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <PDFSource guid="CCCCCCCC-0000-0000-0000-000000000002" name="scan"/>
  <TextSource guid="CCCCCCCC-0000-0000-0000-000000000003" name="../notes/inline">
   <PlainTextContent>Sam: We own it now.</PlainTextContent>
   <PlainTextSelection guid="DDDDDDDD-0000-0000-0000-000000000004" startPosition="5" endPosition="19">
    <Coding guid="EEEEEEEE-0000-0000-0000-000000000003"><CodeRef targetGUID="BBBBBBBB-0000-0000-0000-000000000003"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="CCCCCCCC-0000-0000-0000-000000000004" name="rel" plainTextPath="relative://texts/rel.txt"/>
 </Sources>
 <Notes><Note guid="FFFFFFFF-0000-0000-0000-000000000001" name="n"><PlainTextContent>Project note</PlainTextContent></Note></Notes>
 <NoteRef targetGUID="{FFFFFFFF-0000-0000-0000-000000000001}"/>
</Project>"""
    path = tmp_path / "hand.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(qde_name, qde.encode("utf-8"))
        zf.writestr(f"{folder}/board.txt", "\ufeff".encode() + text.encode("utf-8"))
        zf.writestr("texts/rel.txt", "Facilitator: hello\n")
    return path


def test_import_accepts_real_world_deviations(tmp_path: Path) -> None:
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import load_segments, load_sources
    from cop_analysis.ledger import Ledger

    report = import_qdpx(_hand_written(tmp_path, "Hand Project.qde", "Sources"), tmp_path / "hand")
    assert report.n_codes == 3 and report.codings_per_coder == {"Zoe": 1, "refi-import": 1}
    assert report.offset_methods == {"board talk.txt": "utf16+crlf", "notes/inline.txt": "codepoints",
                                     "rel.txt": "n/a (no selections)"}
    assert len(report.mismatches) == 1 and "does not match the selection name" in report.mismatches[0]
    assert any("PDFSource 'scan' skipped" in w for w in report.warnings)
    cfg = ProjectConfig.load(tmp_path / "hand")
    text = load_sources(cfg).set_index("source_id").at["board talk.txt", "text"]
    led = Ledger(cfg.ledger_path)
    coding = led.codings().merge(load_segments(cfg), on="segment_id").iloc[0]
    assert pd.isna(coding["span_start"])  # the selection is exactly the turn: no sub-span
    assert text[coding["start"]:coding["end"]] == coding["text"] == "The board decides, not us."
    assert {"Annotation: slow trust", "Project note"} <= set(led.memos()["text"])
    assert "codable: false" in (cfg.raw / "codebook.yml").read_text(encoding="utf-8")


def test_real_nvivo_export_imports_all_codings(tmp_path: Path) -> None:
    if not NVIVO.exists():
        pytest.skip(f"{NVIVO} not available")
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import load_segments, load_sources
    from cop_analysis.ledger import Ledger

    report = import_qdpx(NVIVO, tmp_path / "nvivo")
    assert report.n_codings_in_file == 303 and report.n_codings == 303 and not report.mismatches, report.summary()
    assert report.codings_per_coder and len(report.sources) == 2 and report.n_codes == 152
    assert not report.surveys and not ProjectConfig.load(tmp_path / "nvivo").surveys  # no survey marker: text
    assert set(report.offset_methods.values()) == {"utf16+crlf", "n/a (no selections)"}  # one source has no selections
    cfg = ProjectConfig.load(tmp_path / "nvivo")
    text = load_sources(cfg).set_index("source_id").at["videos_10_selected.txt", "text"]
    codings = Ledger(cfg.ledger_path).codings().merge(load_segments(cfg), on="segment_id")
    assert len(codings) == 303 and set(codings["source_id"]) == {"videos_10_selected.txt"}
    got = Counter(text[a:b] for a, b in zip(codings["span_start"].fillna(codings["start"]).astype(int),
                                             codings["span_end"].fillna(codings["end"]).astype(int)))
    # independent oracle: slice NVivo's own file by UTF-16 code units, CRLF counted as two
    with zipfile.ZipFile(NVIVO) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        units = zf.read("Sources/68bbdc14-c361-4432-b4dd-ae1dbfc12890.txt").decode("utf-8-sig").encode("utf-16-le")
    ns = "{urn:QDA-XML:project:1.0}"
    want = Counter()
    for sel in root.iter(f"{ns}PlainTextSelection"):
        a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
        # a selection's line break after the comment is not part of the comment's line (its coding unit)
        selected = units[2 * a:2 * b].decode("utf-16-le").replace("\r\n", "\n").rstrip("\n")
        want[selected] += len(sel.findall(f"{ns}Coding"))
    assert got == want and "Senkit nem lehet kötelezni oltásra" in "".join(want)
    made = Counter(c.get("creationDateTime") for c in root.iter(f"{ns}Coding"))
    assert Counter(codings["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")) == made  # NVivo's times, not ours
    # and the imported NVivo project exports again: valid, with the same 303 codings and their text
    from cop_analysis.refi import export_qdpx

    again = export_qdpx(cfg, tmp_path / "nvivo_again.qdpx")
    if XSD.exists():
        import xmlschema

        with zipfile.ZipFile(again) as zf:
            xmlschema.XMLSchema(str(XSD)).validate(zf.read("project.qde").decode("utf-8"))
    exported = Counter()
    for _, selected, *_ in _codings_list(again):
        exported[selected] += 1
    assert exported == want


def test_round_trip_keeps_the_names_and_guids_of_vtt_and_docx_transcripts(tmp_path: Path) -> None:
    """A .vtt (or .docx, .srt) transcript is imported as '<name>.vtt.txt' (its text is plain text now);
    exported again it keeps its first name, so its source, selection and coding GUIDs do not change."""
    from ingest_fixtures import VTT, make_project

    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project, load_segments
    from cop_analysis.ledger import Ledger
    from cop_analysis.refi import export_qdpx
    from cop_analysis.refi.common import q

    root = make_project(tmp_path / "p", {"t/call.vtt": VTT, "codebook.yml": CODEBOOK},
                        {"transcripts": [{"path": "t/*"}], "codebook": "data/raw/codebook.yml"})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    turn = load_segments(cfg).query("unit == 'turn'").iloc[0]
    Ledger(cfg.ledger_path).code(turn["segment_id"], "trust", "ana")
    first = export_qdpx(cfg, tmp_path / "first.qdpx")
    report = import_qdpx(first, tmp_path / "back")
    assert report.sources == {"t/call.vtt": "t/call.vtt.txt"} and report.n_codings == 1
    second = export_qdpx(ProjectConfig.load(tmp_path / "back"), tmp_path / "second.qdpx")
    names = [[(s.get("guid"), s.get("name")) for s in _read_qdpx(p)[0].iter(q("TextSource"))] for p in (first, second)]
    assert names[0] == names[1] == [(names[0][0][0], "t/call.vtt")]
    assert _codings(second) == _codings(first)


def test_round_trip_keeps_each_transcripts_speaker_roles(tmp_path: Path) -> None:
    """Dana facilitates one circle and is a member in the other: both come back so (the export writes each
    transcript's roles into its Description; before, the import gave every transcript one role per person)."""
    from ingest_fixtures import make_project

    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project, load_segments
    from cop_analysis.ledger import Ledger
    from cop_analysis.refi import export_qdpx

    circle = "Dana Whitfield: Welcome, everyone.\n\nTom Reilly: Thanks, glad to be here.\n\nDana Whitfield: Let's start.\n"
    root = make_project(tmp_path / "p", {"t/one.txt": circle, "t/two.txt": circle, "codebook.yml": CODEBOOK}, {
        "codebook": "data/raw/codebook.yml",
        "transcripts": [{"path": "t/one.txt", "speaker_roles": {"Dana Whitfield": "facilitator", "Tom Reilly": "member"}},
                        {"path": "t/two.txt", "speaker_roles": {"Dana Whitfield": "member", "Tom Reilly": "facilitator"}}]})
    cfg = ProjectConfig.load(root)
    ingest_project(cfg)
    Ledger(cfg.ledger_path).code(load_segments(cfg).query("unit == 'turn'").iloc[0]["segment_id"], "trust", "ana")

    def roles(project: ProjectConfig) -> set[tuple[str, str, str]]:
        turns = load_segments(project).query("unit == 'turn'")
        return {(s.split("/")[-1][:7], w, r) for s, w, r in zip(turns["source_id"], turns["speaker"], turns["speaker_role"])}

    import_qdpx(export_qdpx(cfg, tmp_path / "out.qdpx"), tmp_path / "back")
    assert roles(ProjectConfig.load(tmp_path / "back")) == roles(cfg) == {
        ("one.txt", "Dana Whitfield", "facilitator"), ("one.txt", "Tom Reilly", "member"),
        ("two.txt", "Dana Whitfield", "member"), ("two.txt", "Tom Reilly", "facilitator")}
