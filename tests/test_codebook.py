"""Codebook: YAML/CSV loading and validation, the starter codebook, REFI-QDA .qdc exchange, CLI."""

from __future__ import annotations

import re
import uuid
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
import xmlschema
from typer.testing import CliRunner

from cop_analysis.cli import app
from cop_analysis.codebook import (GUID_NAMESPACE, QDC_NAMESPACE, STARTER_CODEBOOK, Code, Codebook, CodebookError,
                                   codes_to_xml, load_project_codebook, parse_description)
from cop_analysis.config import ProjectConfig

REPO = Path(__file__).resolve().parents[1]
REFI = REPO.parent / "shared" / "fixtures" / "refi"
REQUIRED = ["trust", "harm", "ownership", "power_positionality", "facilitation", "relationships", "time_pace",
            "safety_belonging", "accountability", "co_creation", "institutional_pressure", "learning_growth",
            "adaptation"]


@pytest.fixture(scope="module")
def starter() -> Codebook:
    return Codebook.load(STARTER_CODEBOOK)


def write(tmp_path: Path, text: str, name: str = "cb.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the starter codebook ------------------------------------------------------------------
def test_sample_project_codebook_is_the_starter() -> None:
    assert (REPO / "data" / "raw" / "codebook.yml").read_bytes() == STARTER_CODEBOOK.read_bytes()


def test_starter_codebook_content(starter: Codebook) -> None:
    assert all(code_id in starter for code_id in REQUIRED)
    assert starter["harm_repair"].parent == "harm" and starter.path("harm_repair") == "power_equity/harm/harm_repair"
    assert {c.id for c in starter.roots()} == {"relational", "power_equity", "process", "context", "outcomes"}
    assert not any(c.codable for c in starter.roots())
    colors = [c.color for c in starter]
    assert len(set(colors)) == len(colors) and all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors)
    for code in starter:
        if not code.codable:
            continue
        sentences = len(re.findall(r"[.!?](?:\s|$)", code.definition))
        assert 2 <= sentences <= 4, (code.id, sentences)
        assert code.include and code.exclude, code.id
        assert 2 <= len(code.examples) <= 4, code.id
        assert 10 <= len(code.patterns) <= 25, (code.id, len(code.patterns))
        assert any(" " in p for p in code.patterns), code.id  # multi-word phrases too
        # every exclusion criterion points to at least one other code by id
        assert any(other.id in code.exclude for other in starter if other.id != code.id), code.id


@pytest.mark.slow
def test_starter_examples_hit_their_own_patterns(starter: Codebook) -> None:
    """Each example quote matches one of its code's patterns on lemmas (spaCy PhraseMatcher)."""
    from spacy.matcher import PhraseMatcher

    from cop_analysis.models import load_spacy

    nlp = load_spacy()
    matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
    for code in starter:
        if code.patterns:
            matcher.add(code.id, list(nlp.pipe(code.patterns)))
    for code in starter:
        for example in code.examples:
            hits = {nlp.vocab.strings[m] for m, _, _ in matcher(nlp(example))}
            assert code.id in hits, (code.id, example)


# -- loading and validation ----------------------------------------------------------------
def test_yaml_round_trip_version_and_guids(tmp_path: Path, starter: Codebook) -> None:
    out = tmp_path / "copy.yml"
    starter.save_yaml(out)
    again = Codebook.load(out)
    assert again == starter and again.version == starter.version
    assert "guid" not in out.read_text()  # path-derived GUIDs are not stored
    assert starter["trust"].guid == str(uuid.uuid5(GUID_NAMESPACE, "relational/trust"))
    again["trust"].definition += " Changed."
    assert Codebook(again.codes).version != starter.version


def test_imported_guid_kept_and_saved(tmp_path: Path) -> None:
    path = write(tmp_path, "codes:\n  - {id: a, name: A, guid: '{0A1B2C3D-0000-4000-8000-00000000000F}'}\n"
                           "  - {id: b, name: B, parent: a}\n")
    cb = Codebook.load(path)
    assert cb["a"].guid == "0a1b2c3d-0000-4000-8000-00000000000f"
    assert cb["b"].guid == str(uuid.uuid5(GUID_NAMESPACE, "a/b"))
    cb.save_yaml(tmp_path / "out.yml")
    assert Codebook.load(tmp_path / "out.yml")["a"].guid == cb["a"].guid


@pytest.mark.parametrize("body, message", [
    ("  - {id: a, name: A}\n  - {id: a, name: Again}\n", "code 'a': duplicate id"),
    ("  - {id: a, name: A, parent: zz}\n", "code 'a': unknown parent 'zz'"),
    ("  - {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}\n", "code 'a': parent cycle"),
    ("  - {id: a, name: A, parent: a}\n", "code 'a': parent cycle"),
    ("  - {id: a, name: A, color: red}\n", "code 'a': bad colour 'red'"),
    ("  - {id: a}\n", "code 'a': missing name"),
    ("  - {id: 'a b', name: A}\n", "invalid id 'a b'"),
    ("  - {id: a, name: A, when: x}\n", "code 'a': unknown key(s) when"),
    ("  - {id: a, name: A, patterns: ['x; y']}\n", "code 'a': a pattern may not contain"),
    ("  - {id: a, name: A, codable: maybe}\n", "code 'a': 'codable' must be true or false"),
])
def test_validation_errors_name_file_and_code(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, "codes:\n" + body)
    with pytest.raises(CodebookError) as err:
        Codebook.load(path)
    text = str(err.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match=r"cb\.yml:3: invalid YAML"):
        Codebook.load(write(tmp_path, "codes:\n  - id: a\n  name: [\n"))
    with pytest.raises(CodebookError, match="not found"):
        Codebook.load(tmp_path / "nope.yml")
    with pytest.raises(CodebookError, match="'codes' list"):
        Codebook.load(write(tmp_path, "- a\n"))


def test_short_colours_normalised_and_defaults(tmp_path: Path) -> None:
    cb = Codebook.load(write(tmp_path, "codes:\n  - {id: a, name: A, color: '#0f8'}\n  - {id: b, name: B}\n"))
    assert cb["a"].color == "#00FF88" and re.fullmatch(r"#[0-9A-F]{6}", cb["b"].color)


def test_csv_import(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "id,name,definition,include,exclude,examples,parent,color,patterns\n"
        "rel,Relational,Category,,,,,#112233,\n"
        'trust,Trust,"Belief in good faith, follow-through.",Mentions trust,Safety,'
        '"I trust them now. | We doubted them.",rel,#AABBCC,trust|build trust\n'
        "\n"), name="codes.csv")
    cb = Codebook.load(path)
    assert cb.ids == ["rel", "trust"] and cb.children("rel") == [cb["trust"]]
    assert cb["trust"].examples == ["I trust them now.", "We doubted them."]
    assert cb["trust"].patterns == ["trust", "build trust"] and cb["trust"].definition.endswith("follow-through.")
    bad = write(tmp_path, "id,name,parent\na,A,\na,B,\n", name="bad.csv")
    with pytest.raises(CodebookError, match=r"bad\.csv: code 'a': duplicate id"):
        Codebook.load(bad)
    with pytest.raises(CodebookError, match="unknown column"):
        Codebook.load(write(tmp_path, "id,name,colour\na,A,#fff\n", name="bad2.csv"))


def test_load_project_codebook(tmp_path: Path) -> None:
    cfg = ProjectConfig.from_dict({}, tmp_path)
    assert load_project_codebook(cfg).version == Codebook.load(STARTER_CODEBOOK).version
    write(tmp_path, "codes:\n  - {id: x, name: X}\n", name="mine.yml")
    assert load_project_codebook(ProjectConfig.from_dict({"codebook": "mine.yml"}, tmp_path)).ids == ["x"]
    with pytest.raises(CodebookError, match="not found"):
        load_project_codebook(ProjectConfig.from_dict({"codebook": "missing.yml"}, tmp_path))


# -- REFI-QDA ------------------------------------------------------------------------------
def test_qdc_export_is_valid_and_round_trips(tmp_path: Path, starter: Codebook) -> None:
    out = tmp_path / "starter.qdc"
    starter.to_qdc(out)
    xmlschema.XMLSchema(REFI / "Codebook.xsd").validate(out)
    root = DET.parse(str(out)).getroot()
    ns = {"q": QDC_NAMESPACE}
    assert len(root.findall(".//q:Code", ns)) == len(starter)
    top = root.findall("q:Codes/q:Code", ns)
    assert [el.get("name") for el in top] == [c.name for c in starter.roots()]
    assert top[0].get("isCodable") == "false"
    again = Codebook.from_qdc(out)
    assert again == starter and again.version == starter.version
    assert [c.guid for c in again] == [c.guid for c in starter]
    again.to_qdc(tmp_path / "again.qdc")  # GUIDs stable across exports
    assert (tmp_path / "again.qdc").read_bytes() == out.read_bytes()


def test_qdc_has_no_codebook_name_the_file_names_it(tmp_path: Path, starter: Codebook) -> None:
    # REFI's CodeBook element has one attribute, origin (the producing software), and no name element:
    # the name a .qdc brings back is its file name's stem
    schema = DET.parse(str(REFI / "Codebook.xsd")).getroot()
    xsd = "{http://www.w3.org/2001/XMLSchema}"
    book = next(t for t in schema.iter(f"{xsd}complexType") if t.get("name") == "CodeBookType")
    assert [a.get("name") for a in book.iter(f"{xsd}attribute")] == ["origin"]
    assert [e.get("name") for e in book.iter(f"{xsd}element")] == ["Codes", "Sets"]
    starter.to_qdc(tmp_path / "equity_codes.qdc")
    assert DET.parse(str(tmp_path / "equity_codes.qdc")).getroot().attrib == {"origin": "cop-analysis"}
    assert Codebook.from_qdc(tmp_path / "equity_codes.qdc").name == "equity_codes"


def test_description_sections_are_readable_and_parse_back() -> None:
    code = Code(id="t", name="T", definition="Line one.\n\nPara two.", include="Use it.", exclude="Not that.",
                examples=["Quote one", "- dash quote"], patterns=["a b", "c"])
    text = code.description()
    assert "When to use: Use it." in text and "When not to use: Not that." in text and "- Quote one" in text
    assert parse_description(text) == {"definition": "Line one.\n\nPara two.", "include": "Use it.",
                                       "exclude": "Not that.", "examples": ["Quote one", "- dash quote"],
                                       "patterns": ["a b", "c"], "id": "t"}
    assert parse_description("Just a note from NVivo\nsecond line") == {"definition": "Just a note from NVivo\nsecond line"}


FOREIGN_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti 9">
  <Codes>
    <Code guid="{8C2D4A6E-1B3F-4C5D-9E7F-0A1B2C3D4E5F}" name="Climate" isCodable="false" color="#f0a">
      <Description>Feelings about the organisational climate</Description>
      <Code guid="11111111-2222-4333-8444-555555555555" name="Trust &amp; respect" isCodable="true"/>
      <Code guid="11111111-2222-4333-8444-666666666666" name="Trust - respect" isCodable="true" color="#00AA00"/>
    </Code>
    <Code guid="11111111-2222-4333-8444-777777777777" name="Other" isCodable="true"/>
  </Codes>
  <Sets><Set guid="11111111-2222-4333-8444-888888888888" name="S"/></Sets>
</CodeBook>
"""


def test_import_foreign_qdc(tmp_path: Path) -> None:
    cb = Codebook.from_qdc(write(tmp_path, FOREIGN_QDC, name="atlas.qdc"))
    assert cb.ids == ["climate", "trust_respect", "trust_respect_2", "other"]
    assert cb["climate"].guid == "8c2d4a6e-1b3f-4c5d-9e7f-0a1b2c3d4e5f" and cb["climate"].color == "#FF00AA"
    assert not cb["climate"].codable and cb["climate"].definition == "Feelings about the organisational climate"
    assert cb["trust_respect"].parent == "climate" and cb["trust_respect"].name == "Trust & respect"
    assert cb["trust_respect_2"].color == "#00AA00"
    cb.to_qdc(tmp_path / "out.qdc")
    xmlschema.XMLSchema(REFI / "Codebook.xsd").validate(tmp_path / "out.qdc")
    assert Codebook.from_qdc(tmp_path / "out.qdc") == cb


def test_qdc_parser_is_hardened(tmp_path: Path) -> None:
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="11111111-2222-4333-8444-555555555555" '
            'name="&lol2;" isCodable="true"/></Codes></CodeBook>')
    with pytest.raises(CodebookError, match=r"bomb\.qdc: not a readable REFI-QDA codebook"):
        Codebook.from_qdc(write(tmp_path, bomb, name="bomb.qdc"))
    with pytest.raises(CodebookError, match="expected CodeBook"):
        Codebook.from_qdc(write(tmp_path, "<Project/>", name="p.qdc"))


def test_real_nvivo_project_codebook_via_element_functions() -> None:
    """The <CodeBook> inside a real NVivo 12 .qdpx (project namespace) imports and re-exports identically."""
    import xml.etree.ElementTree as ET

    ns = "urn:QDA-XML:project:1.0"
    with zipfile.ZipFile(REFI / "nvivo-12.6-export.qdpx") as zf:
        root = DET.fromstring(zf.read("project.qde"))
    book = root.find(f"{{{ns}}}CodeBook")
    cb = Codebook.from_xml_codes(book, ns, name="nvivo")
    elements = book.findall(f".//{{{ns}}}Code")
    assert len(cb) == len(elements) > 10
    assert [c.guid for c in cb] == [el.get("guid") for el in elements]
    assert cb.roots()[0].name == "1. Oltás típusa" and [c.name for c in cb.children(cb.roots()[0].id)] == ["COVID", "Nem COVID"]
    assert cb.roots()[0].definition == "COVID vay nem COVID"
    target = ET.Element(f"{{{ns}}}CodeBook")
    codes_to_xml(cb, target, ns)
    assert Codebook.from_xml_codes(target, ns) == cb


# -- CLI -----------------------------------------------------------------------------------
def test_cli_codebook_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["codebook", "validate", str(STARTER_CODEBOOK)])
    assert ok.exit_code == 0 and "OK: 20 codes" in ok.output
    bad = write(tmp_path, "codes:\n  - {id: a, name: A, parent: q}\n")
    res = runner.invoke(app, ["codebook", "validate", str(bad)])
    assert res.exit_code == 1 and "unknown parent 'q'" in res.output
    qdc = tmp_path / "cb.qdc"
    assert runner.invoke(app, ["codebook", "export-qdc", str(qdc), "--codebook", str(STARTER_CODEBOOK)]).exit_code == 0
    assert runner.invoke(app, ["codebook", "import-qdc", str(qdc), str(tmp_path / "back.yml")]).exit_code == 0
    assert Codebook.load(tmp_path / "back.yml") == Codebook.load(STARTER_CODEBOOK)
