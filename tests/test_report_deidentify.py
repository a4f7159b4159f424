"""De-identification of the shareable report on the real sample project (real ingest, ledger, render).

Every identifier is derived from the data, not listed by hand: the speakers table, the configured
speaker labels (aliases such as 'DW'), ``redact.people`` / ``redact.organizations`` / ``redact.places``,
the names and places the ``Deidentifier`` itself collects (spaCy NER), respondent ids, source file
names, and e-mail addresses and phone numbers found in the raw text by deliberately loose patterns.
The report's visible text AND every string in its plotly figure JSON (labels, hover texts, titles)
are checked. The sample gets keyword themes on the real theme selections (no model), so theme
labels, keywords, selection names and theme quotes are checked too.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pytest

from cop_analysis import report
from cop_analysis.config import ConfigError, ProjectConfig
from cop_analysis.deidentify import INITIALS, NER_VERSION, Deidentifier, is_personal_name, name_variants, place_term
from cop_analysis.embeddings import text_key
from cop_analysis.ingest import load_segments, load_sources
from cop_analysis.report.quotes import _quote
from cop_analysis.report.shareable import _common_only
from cop_analysis.schema import THEME_INFO, THEMES
from cop_analysis.themes.project import default_selections
from conftest import without_plotlyjs
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
    body = without_plotlyjs(page_html)
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
    places = set(cfg.redact_places) | deid.places  # configured and found by NER
    raw = "\n".join(segments["text"].dropna())
    # 'DW' in capitals: 'TO' is not 'to'; one-word terms the texts use in lower case ('Casa'/'en casa') as written
    exact = {n for n in names if INITIALS.match(n)} | deid.cased
    return {
        "names": sorted(names - exact),
        "exact": sorted(exact & (names | places | set(cfg.redact_organizations))),
        "organizations": sorted(set(cfg.redact_organizations) - exact),
        "places": sorted(places - exact),
        "contacts": sorted(set(LOOSE_EMAIL.findall(raw)) | set(LOOSE_PHONE.findall(raw))),
        "ids": [*segments["respondent_id"].dropna().unique(), *segments["segment_id"]],
        "files": [name for p in sources["path"] for name in (Path(p).name, Path(p).stem)],
    }


def leaks(text: str, found: dict[str, list[str]]) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    out = [n for n in found["names"] + found["organizations"] + found["places"] if word_in(text, n)]
    out += [i for i in found["exact"] if re.search(rf"(?<![^\W_]){re.escape(i)}(?![^\W_])", text)]
    out += [s for s in found["contacts"] + found["ids"] + found["files"] if s.lower() in text.lower()]
    return out


THEME_WORDS = ("trust", "budget", "street", "meeting", "stone")  # keyword themes, in this order


def seed_themes(cfg: ProjectConfig) -> None:
    """Keyword themes on the real default selections (no model): a unit's theme is the first of
    ``THEME_WORDS`` it contains (-1 if none); keywords are the theme's most frequent long words, so
    they carry whatever names and places the texts do. Representatives (quoted first) are the texts
    with the most capitalised words: the hardest ones to de-identify."""
    segments = load_segments(cfg)
    text = dict(zip(segments["segment_id"], segments["text"].fillna("")))
    rows, info = [], []
    for selection, ids in default_selections(segments).items():
        themes = {i: next((n for n, w in enumerate(THEME_WORDS) if w in text[i].lower()), -1) for i in ids}
        capitals = {i: len(set(re.findall(r"(?<=[^.!?\s] )[A-Z][a-z]+", text[i]))) for i in ids}
        for theme_id in sorted(set(themes.values())):
            members = sorted((i for i, t in themes.items() if t == theme_id), key=lambda i: (-capitals[i], i))
            words = pd.Series(re.findall(r"[^\W\d_]{6,}", " ".join(text[i] for i in members).lower())).value_counts()
            label = THEME_WORDS[theme_id].title() if theme_id >= 0 else "Outliers"
            info.append({"selection": selection, "theme_id": theme_id, "label": label, "auto_label": label,
                         "keywords": ", ".join(words.index[:8]), "size": len(members),
                         "representative_ids": json.dumps(members[:3])})
            rows += [{"selection": selection, "segment_id": i, "theme_id": theme_id, "theme_label": label,
                      "probability": 1.0} for i in members]
    THEMES.conform(pd.DataFrame(rows)).to_parquet(cfg.processed / "themes.parquet")
    THEME_INFO.conform(pd.DataFrame(info)).to_parquet(cfg.processed / "theme_info.parquet")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    """The sample project, ingested, keyword-coded by two coders and with keyword themes (no models)."""
    import shutil

    from conftest import REPO

    root = tmp_path_factory.mktemp("deid") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "project.yml", root / "project.yml")
    seed_codings(root)
    cfg = ProjectConfig.load(root)
    seed_themes(cfg)
    return cfg


def test_the_sample_project_has_every_kind_of_identifier(sample: ProjectConfig) -> None:
    found = identifiers(sample, Deidentifier.for_project(sample, load_segments(sample)))
    assert {"Dana Whitfield", "Whitfield", "Kwame", "Hernández"} <= set(found["names"])
    assert {"DW", "MR", "KA"} <= set(found["exact"])
    assert {"Kessler Point", "Port Ellis", "Harbor Boulevard"} <= set(found["places"])
    assert {"555-0142", "luzh.harbor@example.org"} <= set(found["contacts"])  # not reliant on deidentify's regexes
    assert len(found["ids"]) > 1000 and found["files"]


def test_every_unit_of_the_sample_project_is_deidentified(sample: ProjectConfig) -> None:
    """All coding units, not only the quoted ones: text, speaker, role, source and department."""
    data = report.load_report_data(sample)
    deid = Deidentifier.for_project(sample, data.units)
    shared = report.deidentify_data(data, deid)
    found = identifiers(sample, deid)  # after de-identification: with what it learned
    columns = ["text", "who", "speaker_role", "source_title", "source_id", "department"]
    problems = {}
    for column in columns:
        for value in shared.units[column].dropna().astype(str).unique():
            hit = leaks(value, found)
            if hit:
                problems[f"{column}: {value[:80]}"] = hit
    assert problems == {}
    assert not set(shared.units["speaker_role"].dropna()) & {"consultant"}  # one person had this role
    redacted = "\n".join(shared.units["text"].dropna())
    assert "[place]" in redacted and "stone from [place]" in redacted
    assert "en casa" in redacted  # the Spanish word stays; the short form 'Casa' of an organisation does not
    for column in ("label", "keywords", "selection"):
        for value in shared.theme_info[column].dropna().unique():
            assert leaks(value, found) == [], (column, value)


def test_shareable_report_of_the_sample_project_names_nobody(sample: ProjectConfig) -> None:
    data = report.load_report_data(sample)
    deid = Deidentifier.for_project(sample, data.units)
    page = report.shareable_page(report.deidentify_data(data, deid), {"run_id": "r1", "inputs": {"project.yml": "0"}})
    text = report_text(page.render([("Generated", "now")]))
    assert "Participant" in text and "Respondent" in text and "[name]" in text  # quotes are there, redacted
    assert "Lessons learned" in text and "· conversations (members)" in text  # theme lessons, not code ones
    assert "[place]" in text and "[organization]" in text
    found = identifiers(sample, deid)
    assert leaks(text, found) == []
    internal = report_text(report.internal_page(data, {}).render([]))
    assert len(leaks(internal, found)) > 10  # the same check finds names and ids where they belong
    assert {p for p in found["places"] if word_in(internal, p)}  # and places


def test_shareable_overview_counts_people_not_pseudonym_role_pairs(sample: ProjectConfig) -> None:
    data = report.load_report_data(sample)
    shared = report.deidentify_data(data, Deidentifier.for_project(sample, data.units))
    roles = data.units.dropna(subset=["speaker_role"]).groupby("person")["speaker_role"].nunique()
    assert (roles > 1).any()  # someone facilitated one circle and sat as a member in another
    assert shared.units["who"].nunique() > shared.units["person"].nunique()
    assert dict(report.overview(shared))["Speakers"] == dict(report.overview(data))["Speakers"]
    assert dict(report.overview(shared))["Survey respondents"] == dict(report.overview(data))["Survey respondents"]


def _page_quotes(page: report.Page) -> list[dict[str, str]]:
    blocks = [b for section in page.sections for b in section["blocks"]]
    return [q for b in blocks for holder in ([b] + b.get("cards", [])) for q in holder.get("quotes", [])]


def test_quotes_are_statements_each_once_and_the_shareable_page_spreads_them(sample: ProjectConfig) -> None:
    data = report.load_report_data(sample)
    internal = report.exemplars(data)
    texts = [q["text"] for quotes in internal.values() for q in quotes]
    assert len(texts) > 12 and len(texts) == len(set(texts))  # no quote serves two codes
    assert sum(not t.endswith("?") and len(t.split()) >= report.MIN_QUOTE_WORDS for t in texts) >= 0.9 * len(texts)
    assert report.SELF_DESCRIBED.search("As the director of the office that convenes this committee, I")
    assert report.SELF_DESCRIBED.search("I'm a department lead, so I'm kind of the people setting the deadline")
    assert not report.SELF_DESCRIBED.search("I lead with questions now, and I'm a better listener")

    shared = report.deidentify_data(data, Deidentifier.for_project(sample, data.units))
    quotes = _page_quotes(report.shareable_page(shared))
    people = Counter(re.search(r"(Participant|Respondent) \d+", q["context"]).group(0) for q in quotes)
    assert len(quotes) > 10 and max(people.values()) <= report.SHAREABLE_QUOTES_PER_PERSON
    assert not [q for q in quotes if report.SELF_DESCRIBED.search(q["text"])]
    by_text = shared.units.set_index("segment_id")
    pool_texts = {_quote(t) for t in by_text.loc[sorted(shared.quote_pool), "text"]}
    assert {q["text"] for q in quotes} <= pool_texts  # only units NER read are quoted


def test_redaction_of_local_numbers_initials_and_decomposed_accents() -> None:
    deid = Deidentifier(people=["DW", "TO", "TOM", "MR", "Luz Hernández"])
    text = "As DW told tom and TOM, call 555-0142 or 555.0198: Mr. Hernández to 2023-2024"
    assert deid.redact(unicodedata.normalize("NFD", text)) == (
        "As [name] told [name] and [name], call [phone] or [phone]: Mr. [name] to 2023-2024")


def test_social_media_handles_are_redacted() -> None:
    deid = Deidentifier()
    assert deid.redact("@@juliaverhoffer9965 hát igen. Ask @maya_smith on Twitter, or maya@example.org.") == (
        "[handle] hát igen. Ask [handle] on Twitter, or [email].")
    assert deid.redact_terms("trust, @maya_smith") == "trust"


def test_rare_roles_and_departments_are_blanked() -> None:
    units = pd.DataFrame({"who": ["a", "b", "c", "c", "r1", "r2", "r3"],
                          "speaker_role": ["member", "member", "consultant", "consultant", None, None, None],
                          "department": [None, None, None, None, "Parks", "Parks", "Board"]})
    roles = _common_only(units, "speaker_role")
    assert roles[:2].tolist() == ["member", "member"] and roles[2:].isna().all()
    assert _common_only(units, "department").dropna().tolist() == ["Parks", "Parks"]


def test_ner_names_that_are_also_ordinary_words_are_redacted_only_capitalised(tmp_path: Path) -> None:
    # 'Dashboard' is capitalised only where a sentence starts and used in lower case: no name.
    # 'Rowan' is capitalised mid-sentence: a name, redacted where capitalised (a rowan tree stays)
    texts = ["Dashboard story panels helped.", "Ask Rowan about it.", "dashboard, trust, group, a rowan tree"]
    cache = {text_key(texts[0]): {"persons": ["Dashboard"], "places": []},
             text_key(texts[1]): {"persons": ["Rowan"], "places": []}, text_key(texts[2]): {"persons": [], "places": []}}
    (tmp_path / "ner.json").write_text(json.dumps({"version": NER_VERSION, "texts": cache}),
                                       encoding="utf-8")  # what NER found earlier

    def no_model() -> None:
        raise AssertionError("every text is in the NER cache")

    deid = Deidentifier(people=["Maria Reyes"], load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    deid.learn_names(texts)
    assert deid.redact("Dashboard panels; the dashboard; Rowan, rowan; maria") == (
        "Dashboard panels; the dashboard; [name], rowan; [name]")
    assert deid.redact_terms("dashboard, trust, Rowan") == "dashboard, trust"


def test_names_made_of_ordinary_words_are_still_redacted(tmp_path: Path) -> None:
    # 'Rose Price' and 'Grant Hall' are words the texts also use in lower case (costs rose, the price, a
    # grant, the hall): still names; 'Mark', which NER tags in one of three texts, is redacted in all three
    texts = ["Rose Price from the tenants group said the grant came late.", "Rents rose again and the price too.",
             "Grant Hall chaired the meeting and we thanked Grant for it.", "We applied for a grant and booked the hall.",
             "Mark told us about the cuts.", "Then Mark left early.", "Ask Mark first."]
    persons = [["Price", "Rose", "Rose Price"], [], ["Grant", "Grant Hall", "Hall"], [], ["Mark"], [], []]
    cache = {text_key(t): {"persons": p, "places": []} for t, p in zip(texts, persons)}
    (tmp_path / "ner.json").write_text(json.dumps({"version": NER_VERSION, "texts": cache}), encoding="utf-8")

    def no_model() -> None:
        raise AssertionError("every text is in the NER cache")

    deid = Deidentifier(load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    deid.learn_names(texts)
    assert [deid.redact(t) for t in (texts[0], texts[2], texts[5], texts[6])] == [
        "[name] from the tenants group said the grant came late.",
        "[name] chaired the meeting and we thanked [name] for it.", "Then [name] left early.", "Ask [name] first."]
    assert deid.redact(texts[1]) == texts[1] and deid.redact(texts[3]) == texts[3]  # the words stay words


def test_kept_words_are_cut_from_a_several_word_find_and_real_names_stay_names(tmp_path: Path) -> None:
    """keep: [Budget] makes spaCy's 'Involve Budget' the find 'Involve' (judged by the one-word rules; the
    sample keeps 'Involve' too); a department name found alone is no name, but 'Rosa Parks' is one, and so
    are names with particles, 'Grant Thompson' minus a kept 'Grant', 'Don' (a first name); 'Doña' is a title."""
    texts = ["Involve Budget earlier.", "Pieter van der Berg, Ursula von der Leyen and Mahathir bin Mohamad came.",
             "We read about Rosa Parks, then Rosa Delgado spoke. Rosa said the Parks board agreed.",
             "Grant Thompson wrote it and Thompson got the money.", "Don Hughes spoke. Later Don left.",
             "Doña Carmen came."]
    persons = [["Budget", "Involve", "Involve Budget"],
               ["Pieter van der Berg", "Berg", "Ursula von der", "Mahathir bin Mohamad"],
               ["Rosa Parks", "Rosa Delgado", "Rosa", "Parks"], ["Grant Thompson", "Thompson"], ["Don Hughes", "Don"],
               ["Doña Carmen"]]
    cache = {text_key(t): {"persons": p, "places": []} for t, p in zip(texts, persons)}
    (tmp_path / "ner.json").write_text(json.dumps({"version": NER_VERSION, "texts": cache}), encoding="utf-8")

    def no_model() -> None:
        raise AssertionError("every text is in the NER cache")

    deid = Deidentifier(people=["Doña Carmen", "Don Hughes"], keep=["Budget", "Grant"], load_nlp=no_model,
                        ner_cache=tmp_path / "ner.json")
    deid.keep_groups(["Parks", "Library"])  # the survey's departments, added by the shareable report
    deid.learn_names(texts)
    assert [deid.redact(t) for t in texts] == [
        "[name] Budget earlier.", "[name], [name] and [name] came.",
        "We read about [name], then [name] spoke. [name] said the Parks board agreed.",
        "Grant [name] wrote it and [name] got the money.", "[name] spoke. Later [name] left.", "[name] came."]
    assert "Doña" not in deid.names and "Parks" not in deid.names
    again = Deidentifier(keep=["Budget", "Involve"], load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    again.learn_names(texts[:1])
    assert again.redact(texts[0]) == texts[0]


def test_departments_stay_and_self_descriptions_are_not_quoted_in_the_sample(sample: ProjectConfig) -> None:
    """'Parks' and 'Library' (survey departments spaCy took for people) are not redacted, in text or in the
    department column; a quote in which someone names their affiliation ('I'm with the ...') is not shown."""
    data = report.load_report_data(sample)
    shared = report.deidentify_data(data, Deidentifier.for_project(sample, data.units))
    assert {"Parks", "Library"} <= set(shared.units["department"].dropna())
    text = "\n".join(shared.units["text"].dropna())
    assert "the Library section was mine" in text and "Parks has some results now." in text
    union = data.units[data.units["text"].str.contains("I'm with the", regex=False, na=False)]
    assert len(union) and union["self_described"].all()
    page = report.shareable_page(shared, {"run_id": "r1"})
    assert not [q for q in _page_quotes(page) if "I'm with the" in q["text"]]


def test_theme_labels_are_redacted_but_teach_no_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cop_analysis.report import shareable

    label = "Money / Budget / board decides"  # a label capitalises its keywords
    units = pd.DataFrame({"segment_id": ["s1"], "source_id": ["a.txt"], "kind": ["transcript"], "who": ["Dana"],
                          "speaker_role": ["member"], "department": [None], "unit": ["turn"],
                          "text": ["The budget is set by the board, Marisol said."]})
    info = THEME_INFO.conform(pd.DataFrame({"selection": ["s"], "theme_id": [0], "label": [label],
                                            "auto_label": [label], "keywords": ["budget, board, marisol"],
                                            "size": [1], "representative_ids": ['["s1"]']}))
    themes = THEMES.conform(pd.DataFrame({"selection": ["s"], "segment_id": ["s1"], "theme_id": [0],
                                          "theme_label": [label]}))
    sources = pd.DataFrame({"source_id": ["a.txt"], "kind": ["transcript"], "path": ["a.txt"], "title": ["a"]})
    codes = pd.DataFrame(columns=["code_id", "name", "definition"])
    data = report.ReportData("p", sources, units, pd.DataFrame(), codes, themes=themes, theme_info=info)
    cache = {text_key(t): {"persons": ["Budget"] if "Budget" in t else ["Marisol"] if "Marisol" in t else [],
                           "places": []} for t in [label, units["text"][0][:400], "budget, board, marisol"]}
    (tmp_path / "ner.json").write_text(json.dumps({"version": NER_VERSION, "texts": cache}), encoding="utf-8")
    deid = Deidentifier(people=["Dana"], load_nlp=lambda: None, ner_cache=tmp_path / "ner.json")
    monkeypatch.setattr(shareable, "quote_candidates", lambda data: {"s1"})
    shared = shareable.deidentify_data(data, deid)
    assert "Budget" not in deid.names and "Marisol" in deid.names  # names come from the quotable texts only
    assert shared.theme_info["label"].tolist() == [label]  # redacted with what the texts taught
    assert shared.theme_info["keywords"].tolist() == ["budget, board"]


def test_which_ner_places_are_redacted() -> None:
    assert [place_term(p) for p in ["Port Ellis", "the Harbor Boulevard", "Kessler Point's", "Port of Spain"]] == [
        "Port Ellis", "Harbor Boulevard", "Kessler Point", "Port of Spain"]
    # one word (spaCy's small model calls 'Sheriff', 'Cuando', 'Idk' places), lower case, 'the County'
    assert [place_term(p) for p in ["Heights", "Sheriff", "la", "nosotros", "the County", "the east side"]] == [None] * 6
    assert place_term("the Heights", "all") == "Heights" and place_term("la", "all") is None
    assert place_term("Port Ellis", "none") is None


def test_places_from_config_and_ner_cache_are_redacted_keep_wins(tmp_path: Path) -> None:
    texts = ["We met at Kessler Point, then on Zoom Room and at the Heights.", "The Sheriff came from Port Ellis."]
    cache = {text_key(texts[0]): {"persons": [], "places": ["Kessler Point", "Zoom Room", "Heights"]},
             text_key(texts[1]): {"persons": [], "places": ["Sheriff", "Port Ellis"]}}
    (tmp_path / "ner.json").write_text(json.dumps({"version": NER_VERSION, "texts": cache}), encoding="utf-8")

    def no_model() -> None:
        raise AssertionError("every text is in the NER cache")

    deid = Deidentifier(places=["Alder Street"], organizations=["Casa"], keep=["zoom room"], load_nlp=no_model,
                        ner_cache=tmp_path / "ner.json")
    deid.learn_names(texts, context=["Me siento en casa."])
    assert deid.places == {"Alder Street", "Kessler Point", "Port Ellis"}
    assert deid.redact(" ".join(texts) + " Alder street; casa at Casa") == (
        "We met at [place], then on Zoom Room and at the Heights. The Sheriff came from [place]. [place]; "
        "casa at [organization]")
    assert deid.redact_terms("trust, kessler point, sheriff") == "trust, sheriff"
    every = Deidentifier(ner_places="all", load_nlp=no_model, ner_cache=tmp_path / "ner.json")
    every.learn_names(texts)
    assert every.places == {"Kessler Point", "Zoom Room", "Heights", "Sheriff", "Port Ellis"}


def test_a_version_1_ner_cache_is_read_and_rerun_only_for_places(tmp_path: Path) -> None:
    texts = ["Ask Rowan about it."]
    (tmp_path / "ner.json").write_text(json.dumps({text_key(texts[0]): ["Rowan"]}), encoding="utf-8")
    loads: list[int] = []

    def no_ner() -> None:  # no NER model: nothing is found and the cache file is left as it is
        loads.append(1)

    names_only = Deidentifier(ner_places="none", load_nlp=no_ner, ner_cache=tmp_path / "ner.json")
    names_only.learn_names(texts)
    assert "Rowan" in names_only.names and loads == []  # persons are in the old file
    with_places = Deidentifier(load_nlp=no_ner, ner_cache=tmp_path / "ner.json")
    with_places.learn_names(texts)
    assert loads == [1]  # places were never looked for in this text


def test_redact_config_is_validated(tmp_path: Path) -> None:
    cfg = ProjectConfig.from_dict({"redact": {"places": ["Port Ellis"], "keep": ["Zoom"], "ner_places": False}},
                                  tmp_path)
    assert (cfg.redact_places, cfg.redact_keep, cfg.redact_ner_places) == (["Port Ellis"], ["Zoom"], "none")
    assert ProjectConfig.from_dict({}, tmp_path).redact_ner_places == "multi-word"
    for bad, message in [({"place": ["X"]}, "unknown key"), ({"places": "Port Ellis"}, "redact.places must be a list"),
                         ({"ner_places": "some"}, "redact.ner_places must be one of")]:
        with pytest.raises(ConfigError, match=message):
            ProjectConfig.from_dict({"redact": bad}, tmp_path, source="p.yml")


def test_shareable_report_shows_each_contribution_in_one_theme_selection(sample: ProjectConfig) -> None:
    data = report.load_report_data(sample)
    assert {"turns: all speakers", "turns: members"} <= set(data.theme_info["selection"])
    shown = report.distinct_selections(data)
    selections = set(shown.theme_info["selection"])
    themed = data.theme_info[data.theme_info["theme_id"] >= 0]  # a selection with only outliers shows nothing
    surveys = {s for s in themed["selection"] if s.startswith("survey ")}
    assert selections == {"turns: members"} | surveys and len(surveys) >= 4
    assert not shown.themes.duplicated("segment_id").any()
    shared = report.shareable_page(report.deidentify_data(data, Deidentifier.for_project(sample, data.units)))
    labels = [b["title"] for b in shared.sections[0]["blocks"]]
    assert labels and not any(lab.endswith("· conversations") for lab in labels)
    internal = report_text(report.internal_page(data, {}).render([]))
    assert "Trust · conversations (members)" in internal and re.search(r"Trust · conversations\b(?! \()", internal)


def test_all_speakers_themes_stand_in_when_no_member_is_known() -> None:
    units = pd.DataFrame({"segment_id": ["a", "b", "c", "q"]})
    themes = THEMES.conform(pd.DataFrame({
        "selection": ["turns: all speakers"] * 3 + ["turns: members", "survey Q5"],
        "segment_id": ["a", "b", "c", "a", "q"], "theme_id": [0, 0, 1, -1, 0], "theme_label": "x"}))
    info = THEME_INFO.conform(pd.DataFrame({"selection": ["turns: all speakers", "turns: all speakers", "survey Q5"],
                                            "theme_id": [0, 1, 0], "label": "x", "auto_label": "x", "keywords": "",
                                            "size": 1, "representative_ids": "[]"}))
    data = report.ReportData("p", pd.DataFrame(), units, pd.DataFrame(), pd.DataFrame(), themes=themes,
                             theme_info=info)
    shown = report.distinct_selections(data)  # the members' fit found no theme: all speakers instead
    assert set(shown.themes["selection"]) == {"turns: all speakers", "survey Q5"}
    assert list(shown.theme_info["selection"]) == ["turns: all speakers", "turns: all speakers", "survey Q5"]


def test_shareable_title_is_validated_and_used_as_written(sample: ProjectConfig, tmp_path: Path) -> None:
    from cop_analysis.config import ConfigError

    assert report.shareable_title(ProjectConfig.from_dict({}, tmp_path)) is None
    cfg = ProjectConfig.from_dict({"report": {"shareable_title": " A county committee "}}, tmp_path)
    assert report.shareable_title(cfg) == "A county committee"
    for bad in ({"shareable_title": ""}, {"shareable_title": 3}, {"title": "x"}, "x"):
        with pytest.raises(ConfigError, match="project.yml.*report"):
            report.shareable_title(ProjectConfig.from_dict({"report": bad}, tmp_path))
    data = report.load_report_data(sample)
    deid = Deidentifier.for_project(sample, data.units)
    assert report.deidentify_data(data, deid, "A county committee").project == "A county committee"
    assert report.deidentify_data(data, deid).project == deid.redact(data.project) != data.project
