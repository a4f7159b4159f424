"""REFI-QDA round trip of survey sources: respondents as Cases with Variables, the survey layout
description, and import rebuilding surveys (respondent, question, wave, attributes) with their codings."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cop_analysis.config import ProjectConfig
from cop_analysis.ingest import ingest_project, load_segments
from cop_analysis.ledger import Ledger
from cop_analysis.refi import export_qdpx, import_qdpx
from cop_analysis.refi.common import q
from cop_analysis.refi.surveys import SURVEY_MARKER

REPO = Path(__file__).resolve().parents[1]
XSD = REPO.parent / "shared" / "fixtures" / "refi" / "Project.xsd"

# a panel survey with the awkward cases: a respondent skipping the first question (column order
# must still come out right), a multi-line answer holding a line that looks like a header, a
# respondent in another wave than the source, an empty wave cell, an attribute named "wave".
PANEL = """id,Wave,Role,Cohort,What built trust?,Q2: What should change?
P1,1,member,A,,"Pay us for our time.
Second line, café 🍲."
P2,2,staff,B,"Naïve question first.

[P2] Q2: What should change?
(not a header: a quote)",Fewer slides.
P3,,member,A,Honest check-ins.,
"""
PANEL_SPEC = {"path": "surveys/panel.csv", "wave": "1", "layout": "plain", "respondent_id": "id",
              "wave_column": "Wave", "open_ended": ["What built trust?", "Q2: What should change?"],
              "attributes": {"role": "Role", "wave": "Cohort"}}
RESPONSE_COLUMNS = ["respondent_id", "question_id", "question", "wave", "attributes", "start", "end", "text"]


def _sha(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def survey_project(tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    """The sample project's four surveys (Qualtrics x2, Google Forms, SurveyMonkey .xlsx) plus the
    panel survey, with codings by two coders (whole answers, a sub-span, set times) and memos."""
    root = tmp_path_factory.mktemp("surveys") / "project"
    shutil.copytree(REPO / "data" / "raw" / "surveys", root / "data" / "raw" / "surveys")
    shutil.copy(REPO / "data" / "raw" / "codebook.yml", root / "data" / "raw" / "codebook.yml")
    (root / "data" / "raw" / "surveys" / "panel.csv").write_text(PANEL, encoding="utf-8")
    sample = yaml.safe_load((REPO / "project.yml").read_text(encoding="utf-8"))
    config = {"name": "Survey CoP", "codebook": "data/raw/codebook.yml", "surveys": sample["surveys"] + [PANEL_SPEC]}
    (root / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg = ProjectConfig.load(root)
    report = ingest_project(cfg)
    assert not report.errors and report.units["response"] > 800, report.summary()
    responses = load_segments(cfg).query("unit == 'response'").reset_index(drop=True)
    led = Ledger(cfg.ledger_path)
    for coder in ("ana", "ben"):
        led.add_coder(coder)
    for i, row in responses.iloc[::37].iterrows():  # every survey, both coders, several codes
        when = f"2024-0{1 + i % 9}-1{i % 10}T09:{i % 60:02d}:00Z"
        code = ("trust", "ownership", "power_positionality")[i % 3]
        led.code(row["segment_id"], code, ("ana", "ben")[i % 2], created_at=when)
    for _, row in responses[responses["source_id"] == "surveys/panel.csv"].iterrows():
        led.code(row["segment_id"], "trust", "ana", created_at="2024-05-01T12:00:00Z")
        led.code(row["segment_id"], "trust", "ben", created_at="2024-05-02T12:00:00Z")
    pay = responses[responses["text"].str.startswith("Pay us for our time")].iloc[0]
    start = int(pay["start"])
    led.code(pay["segment_id"], "power_positionality", "ben", span=(start, start + len("Pay us")),
             created_at="2024-05-03T08:30:00Z")
    led.memo("Pay comes up again.", "ben", segment_id=pay["segment_id"])
    return cfg


@pytest.fixture(scope="module")
def exported(survey_project: ProjectConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_qdpx(survey_project, tmp_path_factory.mktemp("qdpx") / "surveys.qdpx")


def _qde(path: Path) -> tuple[ET.Element, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return ET.fromstring(members.pop("project.qde")), members


def _responses(cfg: ProjectConfig, source_map: dict[str, str] | None = None) -> pd.DataFrame:
    segs = load_segments(cfg).query("unit == 'response'")
    if source_map:
        segs = segs.assign(source_id=segs["source_id"].map(source_map))
    return segs.sort_values(["source_id", "start"]).reset_index(drop=True)


def _codings(cfg: ProjectConfig, source_map: dict[str, str] | None = None) -> set[tuple]:
    """Each coding as (source, respondent, question, start, end, code, coder, span, created at)."""
    with Ledger(cfg.ledger_path) as led:
        rows = led.codings().merge(_responses(cfg, source_map), on="segment_id")
    return {(r.source_id, r.respondent_id, r.question_id, r.start, r.end, r.code_id, r.coder,
             None if pd.isna(r.span_start) else int(r.span_start), r.created_at.floor("s"))
            for r in rows.itertuples(index=False)}


def test_survey_export_validates_with_cases_variables_and_layout(survey_project: ProjectConfig,
                                                                 exported: Path) -> None:
    import xmlschema

    with zipfile.ZipFile(exported) as zf:
        xmlschema.XMLSchema(str(XSD)).validate(zf.read("project.qde").decode("utf-8"))
    root, members = _qde(exported)
    variables = {v.get("guid"): v.get("name") for v in root.iter(q("Variable"))}
    assert {"role", "department", "wave", "organization", "rating"} <= set(variables.values())
    selections = {s.get("guid"): s for s in root.iter(q("PlainTextSelection"))}
    responses = _responses(survey_project)
    cases = {c.get("name"): c for c in root.iter(q("Case")) if c.find(q("Description")).text == "respondent"}
    assert set(cases) == set(responses["respondent_id"])
    values = {var: vv.find(q("TextValue")).text for vv in cases["P2"].findall(q("VariableValue"))
              for var in [variables[vv.find(q("VariableRef")).get("targetGUID")]]}
    assert values == {"role": "staff", "wave": "B"}  # the attribute named "wave" wins over the wave
    first = responses[responses["question_id"] == "Q5"].iloc[0]
    refs = [selections[r.get("targetGUID")] for r in cases[first["respondent_id"]].findall(q("SelectionRef"))]
    assert (str(first["start"]), str(first["end"])) in {(s.get("startPosition"), s.get("endPosition")) for s in refs}
    described = {}
    for src in root.iter(q("TextSource")):
        head, _, body = src.find(q("Description")).text.partition("\n")
        assert head.startswith(SURVEY_MARKER)
        described[src.get("name")] = json.loads(body)
        text = members[src.get("plainTextPath").replace("internal://", "sources/")].decode("utf-8")
        assert text.startswith("[")  # the survey text: "[respondent] question" then the answer
    panel = described["surveys/panel.csv"]
    assert panel["questions"] == [["What built trust?", "What built trust?"],
                                  ["Q2: What should change?", "Q2: What should change?"]]  # column order kept
    assert panel["respondents"] == [["P1", "1", {"role": "member", "wave": "A"}],
                                    ["P2", "2", {"role": "staff", "wave": "B"}],
                                    ["P3", "1", {"role": "member", "wave": "A"}]]
    lengths = [len(a) for a in ("Pay us for our time.\nSecond line, café 🍲.",
                                "Naïve question first.\n\n[P2] Q2: What should change?\n(not a header: a quote)",
                                "Fewer slides.", "Honest check-ins.")]
    assert panel["answers"] == [[r, q, n] for (r, q), n in zip([(0, 1), (1, 0), (1, 1), (2, 0)], lengths)]
    wave1 = described["surveys/cop_survey_wave1_2023_qualtrics.csv"]
    assert [qid for qid, _ in wave1["questions"]] == ["Q5", "Q6", "Q7", "Q8", "Q10"]
    assert wave1["questions"][0][1].startswith("What has helped you trust")


def test_survey_round_trip_rebuilds_responses_and_codings(survey_project: ProjectConfig, exported: Path,
                                                          tmp_path: Path) -> None:
    raw_before = _sha(survey_project.raw)
    report = import_qdpx(exported, tmp_path / "imported")
    assert not report.mismatches and not report.warnings, report.summary()
    assert _sha(survey_project.raw) == raw_before  # the exported project is never touched
    original = _responses(survey_project)
    assert report.surveys == original.groupby("source_id").size().to_dict()
    assert "5 surveys rebuilt" in report.summary()
    renamed = {"surveys/workshop_feedback_surveymonkey.xlsx": "surveys/workshop_feedback_surveymonkey.xlsx.csv"}
    assert report.sources == {s: renamed.get(s, s) for s in report.surveys}
    cfg = ProjectConfig.load(tmp_path / "imported")
    specs = {s.path: s for s in cfg.surveys}
    assert not cfg.transcripts and specs["surveys/panel.csv"].wave == "1"
    assert specs["surveys/panel.csv"].wave_column == "wave" and specs["surveys/panel.csv"].attributes == \
        {"role": "role", "wave": "wave_"}
    back = {v: k for k, v in renamed.items()}
    imported = _responses(cfg, {s: back.get(s, s) for s in specs})
    pd.testing.assert_frame_equal(imported[RESPONSE_COLUMNS], original[RESPONSE_COLUMNS])
    kept = original["source_id"] != "surveys/workshop_feedback_surveymonkey.xlsx"
    assert (imported["segment_id"][kept] == original["segment_id"][kept]).all()  # same segment targets
    panel = imported[imported["source_id"] == "surveys/panel.csv"]
    assert list(zip(panel["respondent_id"], panel["question_id"], panel["wave"])) == [
        ("P1", "Q2: What should change?", "1"), ("P2", "What built trust?", "2"),
        ("P2", "Q2: What should change?", "2"), ("P3", "What built trust?", "1")]
    assert panel["text"].iloc[1].endswith("[P2] Q2: What should change?\n(not a header: a quote)")
    assert json.loads(panel["attributes"].iloc[1]) == {"role": "staff", "wave": "B"}
    want = _codings(survey_project)
    assert len(want) > 30 and {c[0] for c in want} == set(report.surveys)  # codings in every survey
    assert _codings(cfg, {s: back.get(s, s) for s in specs}) == want
    assert report.codings_per_coder == {coder: sum(c[6] == coder for c in want) for coder in ("ana", "ben")}
    memos = Ledger(cfg.ledger_path).memos()
    assert memos.merge(load_segments(cfg), on="segment_id")["text_y"].str.startswith("Pay us").tolist() == [True]
    cases = pd.read_csv(cfg.raw / "cases.csv", dtype=str)
    assert set(original["respondent_id"]) <= set(cases["case"]) and {"role", "department", "wave"} <= set(cases)
    # and again: the re-export describes the same surveys with the same codings
    root1, _ = _qde(exported)
    root2, _ = _qde(export_qdpx(cfg, tmp_path / "again.qdpx"))
    descriptions = [{s.get("name"): s.find(q("Description")).text for s in r.iter(q("TextSource"))}
                    for r in (root1, root2)]
    assert {renamed.get(k, k): v for k, v in descriptions[0].items()} == descriptions[1]
    codings = [{renamed.get(s.get("name"), s.get("name")): {(c.get("guid"), c.get("creationDateTime"))
                                                              for c in s.iter(q("Coding"))}
                for s in r.iter(q("TextSource"))} for r in (root1, root2)]
    assert codings[0].keys() == codings[1].keys()
    for name, first in codings[0].items():  # same GUIDs, except in the source renamed .xlsx -> .csv
        again = codings[1][name]
        assert first == again if name not in renamed.values() else {t for _, t in first} == {t for _, t in again}


def _as_nvivo(path: Path, out: Path) -> Path:
    """Our archive the way NVivo writes it: Sources/ folder, BOM + CRLF text, positions in UTF-16
    code units with CRLF as two, empty selection names, upper-case {GUIDs}."""
    root, members = _qde(path)
    texts = {}
    for src in root.iter(q("TextSource")):
        name = src.get("plainTextPath").replace("internal://", "")
        text = members[f"sources/{name}"].decode("utf-8")
        units = lambda p, t=text: len(t[:p].replace("\n", "\r\n").encode("utf-16-le")) // 2  # noqa: E731
        for sel in src.findall(q("PlainTextSelection")):
            sel.set("startPosition", str(units(int(sel.get("startPosition")))))
            sel.set("endPosition", str(units(int(sel.get("endPosition")))))
            sel.set("name", "")
        texts[f"Sources/{name}"] = "\ufeff" + text.replace("\n", "\r\n")
    ET.register_namespace("", "urn:QDA-XML:project:1.0")
    qde = ET.tostring(root, encoding="unicode")
    qde = re.sub(r'((?:guid|GUID|creatingUser)=")([0-9a-f-]{36})"', lambda m: f'{m[1]}{{{m[2].upper()}}}"', qde)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde.encode("utf-8"))
        for name, text in texts.items():
            zf.writestr(name, text.encode("utf-8"))
    return out


def test_survey_coded_in_another_tool_comes_back_as_survey(survey_project: ProjectConfig, exported: Path,
                                                           tmp_path: Path) -> None:
    report = import_qdpx(_as_nvivo(exported, tmp_path / "nvivo.qdpx"), tmp_path / "from_nvivo")
    assert not report.mismatches and not report.warnings, report.summary()
    assert report.offset_methods["surveys/panel.csv"] == "utf16+crlf" and len(report.surveys) == 5  # 🍲: 2 units
    assert all(m.endswith("+crlf") for m in report.offset_methods.values())  # no emoji: code points = UTF-16
    cfg = ProjectConfig.load(tmp_path / "from_nvivo")
    back = {"surveys/workshop_feedback_surveymonkey.xlsx.csv": "surveys/workshop_feedback_surveymonkey.xlsx"}
    source_map = {s.path: back.get(s.path, s.path) for s in cfg.surveys}
    assert _codings(cfg, source_map) == _codings(survey_project)
    imported = _responses(cfg, source_map)
    assert imported[RESPONSE_COLUMNS].equals(_responses(survey_project)[RESPONSE_COLUMNS])


def test_survey_whose_text_no_longer_matches_imports_as_text(exported: Path, tmp_path: Path) -> None:
    root, members = _qde(exported)
    for src in root.iter(q("TextSource")):
        desc = src.find(q("Description"))
        if src.get("name") == "surveys/panel.csv":  # a respondent renamed in the layout only
            desc.text = desc.text.replace('["P2","2"', '["P9","2"')
        elif src.get("name") == "surveys/community_partners_google_forms.csv":
            desc.text = desc.text[:-20]  # truncated JSON
    ET.register_namespace("", "urn:QDA-XML:project:1.0")
    with zipfile.ZipFile(tmp_path / "edited.qdpx", "w") as zf:
        zf.writestr("project.qde", ET.tostring(root, encoding="utf-8"))
        for name, data in members.items():
            zf.writestr(name, data)
    report = import_qdpx(tmp_path / "edited.qdpx", tmp_path / "edited")
    assert len(report.surveys) == 3 and not report.mismatches, report.summary()
    assert report.sources["surveys/panel.csv"] == "surveys/panel.csv.txt"
    assert report.sources["surveys/community_partners_google_forms.csv"] == \
        "surveys/community_partners_google_forms.csv.txt"
    assert any("panel.csv': survey layout does not match the text" in w and "[P9]" in w for w in report.warnings)
    assert any("google_forms.csv': survey layout in the source description is not valid" in w for w in report.warnings)
    cfg = ProjectConfig.load(tmp_path / "edited")
    assert not (cfg.raw / "surveys" / "panel.csv").exists()
    assert {t.path for t in cfg.transcripts} == {"surveys/panel.csv.txt",
                                                 "surveys/community_partners_google_forms.csv.txt"}
    assert report.n_codings == report.n_codings_in_file  # the codings still land (on context segments)



def test_rebuilt_survey_that_would_ingest_differently_is_refused(tmp_path: Path) -> None:
    """A question id that is another question's text would make the reader pick the wrong column."""
    from cop_analysis.ingest import survey_text
    from cop_analysis.readers.surveys import Response
    from cop_analysis.refi.surveys import SurveyLayout, check_survey_file, split_answers, survey_csv

    answers = ["First answer.", "Second answer."]
    text, _ = survey_text([Response(4, "R1", "Q1", "Q2", answers[0], None, {}),
                           Response(4, "R1", "Q2", "Later?", answers[1], None, {})])
    layout = SurveyLayout([("Q1", "Q2"), ("Q2", "Later?")], [("R1", None, {})],
                          [(0, 0, len(answers[0])), (0, 1, len(answers[1]))])
    assert split_answers(layout, text) == answers
    body, spec = survey_csv(layout, answers, None)
    (tmp_path / "s.csv").write_text(body, encoding="utf-8")
    assert "differs from the source text" in check_survey_file(tmp_path / "s.csv", spec, text)
    good = SurveyLayout([("Q1", "Trust?"), ("Q2", "Later?")], layout.respondents, layout.answers)
    text, _ = survey_text([Response(4, "R1", "Q1", "Trust?", answers[0], None, {}),
                           Response(4, "R1", "Q2", "Later?", answers[1], None, {})])
    body, spec = survey_csv(good, answers, None)
    (tmp_path / "s.csv").write_text(body, encoding="utf-8")
    assert check_survey_file(tmp_path / "s.csv", spec, text) is None
