"""De-identification of the shareable report on the real sample project (real ingest, ledger, render).

Every identifier is derived from the data, not listed by hand: the speakers table, the configured
speaker labels (aliases such as 'DW'), ``redact.people`` / ``redact.organizations``, the names the
``Deidentifier`` itself collects, respondent ids, source file names, and e-mail addresses and phone
numbers found in the raw text by deliberately loose patterns. The report's visible text AND every
string in its plotly figure JSON (labels, hover texts, titles) are checked.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import plotly.offline
import pytest

from cop_analysis import report
from cop_analysis.config import ProjectConfig
from cop_analysis.deidentify import INITIALS, Deidentifier, is_personal_name, name_variants
from cop_analysis.ingest import load_segments, load_sources
from pipeline_project import seed_codings, word_in

FIGURE = re.compile(r"<script type=\"application/json\" data-figure=\"[^\"]+\">(.*?)</script>", re.S)
LOOSE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LOOSE_PHONE = re.compile(r"\d{3}[\s.-]\d{4}")


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key not in ("template", "bdata", "dtype"):
                yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)


def report_text(page_html: str) -> str:
    """Visible text of a report plus every string inside its figure JSON blocks."""
    figures = [s for block in FIGURE.findall(page_html) for s in _strings(json.loads(block))]
    body = page_html.replace(plotly.offline.get_plotlyjs(), "")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    visible = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return unicodedata.normalize("NFC", "\n".join([visible, *figures]))


def identifiers(cfg: ProjectConfig, deid: Deidentifier) -> dict[str, list[str]]:
    """Everything that must not reach the shareable report, by kind, derived from the project."""
    segments, sources = load_segments(cfg), load_sources(cfg)
    labels = [str(label) for spec in cfg.transcripts for label in spec.speaker_roles]
    labels += [str(name) for pair in getattr(cfg, "speaker_aliases", {}).items() for name in pair]
    people = [s for s in [*segments["speaker"].dropna().unique(), *cfg.redact_people, *labels] if is_personal_name(s)]
    names = {v for person in people for v in name_variants(person)} | set(deid.names)
    raw = "\n".join(segments["text"].dropna())
    exact = {n for n in names if INITIALS.match(n)} | deid.cased  # 'DW' in capitals: 'TO' is not 'to'
    return {
        "names": sorted(names - exact),
        "initials": sorted(exact),
        "organizations": list(cfg.redact_organizations),
        "contacts": sorted(set(LOOSE_EMAIL.findall(raw)) | set(LOOSE_PHONE.findall(raw))),
        "ids": [*segments["respondent_id"].dropna().unique(), *segments["segment_id"]],
        "files": [name for p in sources["path"] for name in (Path(p).name, Path(p).stem)],
    }


def leaks(text: str, found: dict[str, list[str]]) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    out = [n for n in found["names"] + found["organizations"] if word_in(text, n)]
    out += [i for i in found["initials"] if re.search(rf"(?<![^\W_]){re.escape(i)}(?![^\W_])", text)]
    out += [s for s in found["contacts"] + found["ids"] + found["files"] if s.lower() in text.lower()]
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    """The sample project, ingested and keyword-coded by two coders (no models)."""
    import shutil

    from conftest import REPO

    root = tmp_path_factory.mktemp("deid") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "project.yml", root / "project.yml")
    seed_codings(root)
    return ProjectConfig.load(root)


def test_the_sample_project_has_every_kind_of_identifier(sample: ProjectConfig) -> None:
    found = identifiers(sample, Deidentifier.for_project(sample, load_segments(sample)))
    assert {"Dana Whitfield", "Whitfield", "Kwame", "Hernández"} <= set(found["names"])
    assert {"DW", "MR", "KA"} <= set(found["initials"])
    assert {"555-0142", "luzh.harbor@example.org"} <= set(found["contacts"])  # not reliant on deidentify's regexes
    assert len(found["ids"]) > 1000 and found["files"]


def test_every_unit_of_the_sample_project_is_deidentified(sample: ProjectConfig) -> None:
    """All coding units, not only the quoted ones: text, speaker, role, source and department."""
    data = report.load_report_data(sample)
    deid = Deidentifier.for_project(sample, data.units)
    found = identifiers(sample, deid)
    shared = report.deidentify_data(data, deid)
    columns = ["text", "who", "speaker_role", "source_title", "source_id", "department"]
    problems = {}
    for column in columns:
        for value in shared.units[column].dropna().astype(str).unique():
            hit = leaks(value, found)
            if hit:
                problems[f"{column}: {value[:80]}"] = hit
    assert problems == {}
    assert not set(shared.units["speaker_role"].dropna()) & {"consultant"}  # one person had this role


def test_shareable_report_of_the_sample_project_names_nobody(sample: ProjectConfig) -> None:
    data = report.load_report_data(sample)
    deid = Deidentifier.for_project(sample, data.units)
    page = report.shareable_page(report.deidentify_data(data, deid), {"run_id": "r1", "inputs": {"project.yml": "0"}})
    text = report_text(page.render([("Generated", "now")]))
    assert "Participant" in text and "Respondent" in text and "[name]" in text  # quotes are there, redacted
    found = identifiers(sample, deid)
    assert leaks(text, found) == []
    internal = report_text(report.internal_page(data, {}).render([]))
    assert len(leaks(internal, found)) > 10  # the same check finds names and ids where they belong


def test_redaction_of_local_numbers_initials_and_decomposed_accents() -> None:
    deid = Deidentifier(people=["DW", "TO", "TOM", "MR", "Luz Hernández"])
    text = "As DW told tom and TOM, call 555-0142 or 555.0198: Mr. Hernández to 2023-2024"
    assert deid.redact(unicodedata.normalize("NFD", text)) == (
        "As [name] told [name] and [name], call [phone] or [phone]: Mr. [name] to 2023-2024")


def test_rare_roles_and_departments_are_blanked() -> None:
    units = pd.DataFrame({"who": ["a", "b", "c", "c", "r1", "r2", "r3"],
                          "speaker_role": ["member", "member", "consultant", "consultant", None, None, None],
                          "department": [None, None, None, None, "Parks", "Parks", "Board"]})
    roles = report._common_only(units, "speaker_role")
    assert roles[:2].tolist() == ["member", "member"] and roles[2:].isna().all()
    assert report._common_only(units, "department").dropna().tolist() == ["Parks", "Parks"]


def test_ner_names_that_are_also_ordinary_words_are_redacted_only_capitalised(tmp_path: Path) -> None:
    from cop_analysis.embeddings import text_key

    texts = ["Dashboard story panels helped.", "Ask Rowan about it.", "dashboard, trust, group"]
    cache = {text_key(texts[0]): ["Dashboard"], text_key(texts[1]): ["Rowan"], text_key(texts[2]): []}
    (tmp_path / "ner.json").write_text(json.dumps(cache), encoding="utf-8")  # what NER found earlier

    def no_model() -> None:
        raise AssertionError("every text is in the NER cache")

    deid = Deidentifier(people=["Maria Reyes"], load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    deid.learn_names(texts)
    assert deid.redact("Dashboard panels; the dashboard; Rowan, rowan; maria") == (
        "[name] panels; the dashboard; [name], [name]; [name]")
    assert deid.redact_terms("dashboard, trust, rowan") == "dashboard, trust"
