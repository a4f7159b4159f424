"""The report's charts and tables agree with each other and are readable: wave charts in shares as
in the wave table, the biggest changes shown, labels cut at words with the whole name in the hover,
one colour per code in every figure, axis titles and coverage notes on heatmaps, text snippets in
the theme map, a readable agreement table (small synthetic project, no files)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cop_analysis import report
from cop_analysis.report.charts import _short
from cop_analysis.schema import SEGMENTS, SOURCES, THEME_INFO, THEMES

SOURCES_ = {  # source_id: (kind, wave, title)
    "t/a.txt": ("transcript", "1", "Reflection circle 3: repair conversation after the June 20 meeting"),
    "t/b.txt": ("transcript", "1", "Mid-point paired interview: the budget fight"),
    "s/w1.csv": ("survey", "1", "CoP reflection survey, wave 1"),
    "s/w2.csv": ("survey", "2", "CoP reflection survey, wave 2"),
    "s/b.csv": ("survey", "2", "Budget 101 workshop feedback (SurveyMonkey)"),
}
ROLES = ["member", "facilitator", "interviewer", "consultant", "participant"]


def _source_of(i: int) -> str:
    return "t/a.txt" if i < 2 else "t/b.txt" if i < 5 else "s/w1.csv" if i < 10 else "s/w2.csv" if i < 20 else "s/b.csv"


def make_data() -> report.ReportData:
    """30 units: wave 1 has 10 (5 transcript turns, 5 survey answers), wave 2 has 20 (answers).
    Trust: 50% -> 50% (largest, no change); Power: 10% -> 40%; Safety: 30% -> 5%; Harm repair: 0% -> 5%."""
    sources = SOURCES.conform(pd.DataFrame(
        [{"source_id": s, "kind": k, "path": f"data/raw/{s}", "format": s.rsplit(".", 1)[1], "wave": w, "title": t,
          "sha256": "0", "n_chars": 1, "n_segments": 1, "text": ""} for s, (k, w, t) in SOURCES_.items()]))
    rows = []
    for i in range(30):
        source = _source_of(i)
        kind, wave, _ = SOURCES_[source]
        text = f"Unit {i} <b>said</b> " + " ".join(f"word{j}" for j in range(40))
        row = {"segment_id": f"u{i:02d}", "source_id": source, "kind": kind, "position": i, "start": 0, "end": 1,
               "text": text, "wave": wave, "unit": "turn" if kind == "transcript" else "response"}
        if kind == "transcript":
            row.update(speaker=f"Speaker {i}", speaker_role=ROLES[i])
        else:
            row.update(respondent_id=f"R{i}")
        rows.append(row)
    units = report.prepare_units(SEGMENTS.conform(pd.DataFrame(rows)), sources)
    coded = {"trust": [0, 1, 2, 3, 4] + list(range(10, 20)), "power": [5] + list(range(10, 18)),
             "safety": [0, 6, 7, 20], "harm_repair": [21]}
    assignments = pd.DataFrame([{"segment_id": f"u{i:02d}", "code_id": c, "n_coders": 1, "score": 1.0}
                                for c, ids in coded.items() for i in ids])
    codes = pd.DataFrame({"code_id": ["trust", "power", "safety", "harm_repair"],
                          "name": ["Trust", "Power and positionality", "Safety and belonging", "Harm repair"],
                          "color": ["#1F77B4", "#1f77b4", "", "#8C564B"],  # Power asks for Trust's colour
                          "definition": ""})
    theme_of = [0] * 15 + [1] * 10 + [-1] * 5
    themes = THEMES.conform(pd.DataFrame({
        "selection": "all", "segment_id": [f"u{i:02d}" for i in range(30)], "theme_id": theme_of,
        "theme_label": [{0: "Trust", 1: "1_budget_money", -1: "-1_other"}[t] for t in theme_of], "probability": 0.9,
        "x": [float(i) for i in range(30)], "y": [float(i % 3) for i in range(30)]}))
    info = THEME_INFO.conform(pd.DataFrame({
        "selection": "all", "theme_id": [-1, 0, 1], "label": ["-1_other", "Trust", "1_budget_money"],
        "auto_label": ["-1_other", "Trust", "1_budget_money"], "keywords": ["x", "trust, group", "budget, money"],
        "size": [5, 15, 10], "representative_ids": "[]"}))
    agree = pd.DataFrame({"code_id": ["trust", "power"], "n_segments": [10, 10], "n_applied": [6, 3],
                          "percent_agreement": [0.9, 0.8], "cohen_kappa": [0.75, 0.5],
                          "krippendorff_alpha": [0.74, 0.55], "note": ["", ""]})
    return report.ReportData("Figures", sources.drop(columns=["text"]), units, assignments, codes, "human",
                             ["ana", "ben"], themes, info, agree, 0, ["1", "2"])


def figure(page: report.Page, title: str) -> Any:
    found = [f for f in page.figures if f.layout.title.text == title]
    assert len(found) == 1, [f.layout.title.text for f in page.figures]
    return found[0]


def strings(value: Any) -> list[str]:
    return [str(v) for v in np.asarray(value, dtype=object).ravel()]


@pytest.fixture(scope="module")
def data() -> report.ReportData:
    return make_data()


@pytest.fixture(scope="module")
def page(data: report.ReportData) -> report.Page:
    return report.internal_page(data, {"run_id": "r1"})


# -- 1. waves in shares, as in the table ---------------------------------------------------------------
def test_wave_charts_plot_the_shares_the_wave_table_shows(data: report.ReportData, page: report.Page) -> None:
    change = report.wave_change(data)
    counts = report.code_by_group(data, "wave")
    assert change.loc["Trust", "1"] == 50.0 and counts.loc["Trust", "1"] == 5 and counts.loc["Trust", "2"] == 10
    html = page.render([])
    table = html[html.index('id="waves"'):html.index('id="agreement"')]
    lines = figure(page, "Codes across waves")
    assert lines.layout.yaxis.ticksuffix == "%"
    for trace in lines.data:
        name = strings(trace.customdata)[0]
        assert list(trace.y) == change.loc[name, data.waves].tolist()  # not the counts (5 -> 10 for Trust)
        assert [row[1] for row in trace.customdata] == counts.loc[name, data.waves].tolist()
        assert "% of the wave's units" in trace.hovertemplate and "units)" in trace.hovertemplate
        for y in trace.y:
            assert f"{y:.1f}%" in table
    bars = figure(page, "Codes by wave")  # the frequency section's chart of the waves: shares too
    assert bars.layout.xaxis.ticksuffix == "%"
    for trace in bars.data:
        wave = trace.name
        names = [row[0] for row in trace.customdata]
        assert list(trace.x) == change.loc[names, wave].tolist()
        assert [row[2] for row in trace.customdata] == counts.loc[names, wave].tolist()


# -- 2. the biggest changes ----------------------------------------------------------------------------
def test_wave_lines_show_the_largest_changes_not_the_largest_codes(data: report.ReportData) -> None:
    fig = report.fig_wave_lines(report.wave_change(data), data.waves, "Shift", top=2)
    shown = [strings(t.customdata)[0] for t in fig.data]
    assert shown == ["Power and positionality", "Safety and belonging"]  # +30 and -25 points; Trust (50%) unchanged
    assert "changed most" in fig.layout.title.subtitle.text and "2 codes (of 4)" in fig.layout.title.subtitle.text
    assert fig.data[0].name == "Power and positionality (+30.0)"


def test_equal_changes_are_ordered_by_size() -> None:
    share = pd.DataFrame({"1": [10.0, 20.0, 1.0], "2": [15.0, 25.0, 1.5]}, index=["Small", "Large", "Tiny"])
    fig = report.fig_wave_lines(share, ["1", "2"], "t", top=2)
    assert [strings(t.customdata)[0] for t in fig.data] == ["Large", "Small"]


# -- 3. labels cut at words, whole names in the hover ------------------------------------------------------
def test_short_labels_end_at_a_word_with_an_ellipsis_and_stay_distinct() -> None:
    titles = [t for _, _, t in SOURCES_.values()]
    short = _short(titles)
    assert len(set(short)) == len(short)
    for full, cut in zip(titles, short):
        if cut != full:
            assert cut.endswith("…") and "…" not in cut[:-1] and len(cut) <= 28
            stem = cut[:-1]
            assert full.startswith(stem) and full[len(stem)] in " ,:;(", (full, cut)  # cut between words
    assert short[0] == "Reflection circle 3: repair…" and short[4] == "Budget 101 workshop…"
    assert short[2:4] == ["CoP reflection survey, wave 1", "CoP reflection survey, wave 2"]  # kept apart
    assert _short(["Alpha beta gamma delta one", "Alpha beta gamma delta two"], 18) == [
        "Alpha beta gamma delta one", "Alpha beta gamma delta two"]
    assert _short(["Supercalifragilisticexpialidocious"], 10) == ["Supercali…"]  # one long word


def test_hover_texts_carry_the_whole_names(data: report.ReportData, page: report.Page) -> None:
    long_title = SOURCES_["t/a.txt"][2]
    heat = figure(page, "Codes by source").data[0]
    assert long_title not in heat.x and "Reflection circle 3: repair…" in heat.x
    assert long_title in strings(heat.customdata) and "customdata[1]" in heat.hovertemplate
    assert "%{x}" not in heat.hovertemplate and "%{y}" not in heat.hovertemplate
    sizes = report.fig_theme_sizes(pd.DataFrame({
        "selection": "s", "theme_id": [0], "label": ["A very long theme label about the budget, money and trust " * 2],
        "keywords": ["budget"], "size": [3], "share": [0.1], "representatives": [[]]}))
    assert sizes.data[0].y[0].endswith("…") and sizes.data[0].customdata[0][0] == "A very long theme label about " \
        "the budget, money and trust " * 2
    assert "customdata[0]" in sizes.data[0].hovertemplate
    totals = figure(page, "How often each code was applied").data[0]
    assert sorted(totals.customdata) == sorted(data.codes["name"]) and "customdata" in totals.hovertemplate


def test_hover_text_is_escaped_for_plotly() -> None:
    matrix = pd.DataFrame([[1]], index=pd.Index(["<b>Code</b>"], name="Code"),
                          columns=pd.Index(["A & B"], name="Source"))
    heat = report.fig_heatmap(matrix, "t").data[0]
    assert strings(heat.customdata) == ["&lt;b&gt;Code&lt;/b&gt;", "A &amp; B"]


# -- 4. one colour per code ---------------------------------------------------------------------------
def test_each_code_has_one_colour_in_every_figure(data: report.ReportData, page: report.Page) -> None:
    colors = report.code_colors(data)
    assert colors["Trust"] == "#1F77B4" and colors["Harm repair"] == "#8C564B"  # the codebook's colours
    assert len({c.upper() for c in colors.values()}) == len(colors)  # Power asked for Trust's: it gets another
    totals = figure(page, "How often each code was applied").data[0]
    in_totals = dict(zip(totals.customdata, totals.marker.color))
    lines = figure(page, "Codes across waves")
    in_lines = {strings(t.customdata)[0]: t.line.color for t in lines.data}
    assert in_totals == colors and in_lines == colors
    theme_map = report.fig_theme_map(data, report.theme_table(data))
    in_map = {t.name: t.marker.color for t in theme_map.data}
    assert in_map["Trust"] == colors["Trust"]  # a theme named after a code wears the code's colour
    assert in_map["budget, money"] not in {c.upper() for c in colors.values()} | set(colors.values())
    assert in_map["not in a theme"] == report.OUTLIER_COLOR
    # the shareable page (de-identified names come from the same codebook order) agrees too
    shared = report.shareable_page(data, {})
    wave = figure(shared, "How the conversation shifted between waves")
    assert {strings(t.customdata)[0]: t.line.color for t in wave.data} == {
        n: colors[n] for n in [strings(t.customdata)[0] for t in wave.data]}


def test_themes_get_distinct_colours_apart_from_the_codes() -> None:
    codes = {"Trust": "#1F77B4", "Harm": "#4C78A8"}
    colors = report.theme_colors(["Trust", "budget", "money", "time"], codes)
    assert colors["Trust"] == "#1F77B4"
    others = {colors["budget"], colors["money"], colors["time"]}
    assert len(set(colors.values())) == 4 and not others & set(codes.values())
    assert report.theme_colors(["x", "y"], codes) == report.theme_colors(["x", "y"], codes)  # deterministic


# -- 5. heatmap axis titles and coverage ----------------------------------------------------------------------
def test_heatmaps_have_axis_titles_and_say_what_they_cover(page: report.Page) -> None:
    by_source = figure(page, "Codes by source")
    assert (by_source.layout.xaxis.title.text, by_source.layout.yaxis.title.text) == ("Source", "Code")
    assert not by_source.layout.title.subtitle.text  # every unit has a source
    by_role = figure(page, "Codes by speaker role")
    assert by_role.data[0].type == "heatmap" and by_role.layout.xaxis.title.text == "Speaker role"
    assert by_role.layout.title.subtitle.text == "Transcripts only: 5 of 30 units have a speaker role"
    together = figure(page, "Codes applied together")
    assert (together.layout.xaxis.title.text, together.layout.yaxis.title.text) == ("Code", "Code")
    html = page.render([])
    assert "Speaker role (transcripts only: 5 of 30 units have a speaker role)" in html  # the matrix table


# -- 6. theme map hover ----------------------------------------------------------------------------------
def test_theme_map_hover_shows_a_snippet_and_the_source(data: report.ReportData) -> None:
    fig = report.fig_theme_map(data, report.theme_table(data))
    units = data.units.set_index("segment_id")
    points = 0
    for trace in fig.data:
        assert "customdata[1]" in trace.hovertemplate and "customdata[2]" in trace.hovertemplate
        for x, (name, snippet, source) in zip(trace.x, trace.customdata):
            unit = units.loc[f"u{int(x):02d}"]
            plain = snippet.replace("<br>", " ").replace("&lt;", "<").replace("&gt;", ">")
            assert len(plain) <= 120 and plain.endswith("…") and unit["text"].startswith(plain[:-1].rstrip())
            assert "<b>" not in snippet and source == unit["source_title"] and name == trace.name
            points += 1
    assert points == 30
    # the map shows the text it is given (the shareable report passes de-identified text)
    redacted = replace(data, units=data.units.assign(text="[name] said this."))
    fig = report.fig_theme_map(redacted, report.theme_table(redacted))
    assert {row[1] for t in fig.data for row in t.customdata} == {"[name] said this."}


# -- 7. agreement table ---------------------------------------------------------------------------------
def test_agreement_table_is_readable_and_flags_low_values(data: report.ReportData) -> None:
    html = str(report.agreement_table(data))
    heads = re.findall(r"<th>([^<]*)</th>", html.split("</thead>")[0])
    assert heads == ["Code", "Units double-coded", "Applied", "Agreement", "Cohen&#39;s κ", "Krippendorff&#39;s α"]
    assert "Note" not in heads and "note" not in html  # the always-empty column is gone
    assert ">90%<" in html and ">80%<" in html and "0.90" not in html and ">10<" in html
    low = re.findall(r"<td class='num low'[^>]*>([^<]*)</td>", html)
    assert low == ["0.50", "0.55"]  # Power's kappa and alpha; Trust's 0.75 / 0.74 are fine
    with_note = replace(data, agreement=data.agreement.assign(note=["", "no variation"]))
    assert "Note" in str(report.agreement_table(with_note))


# -- 8. themes by size -------------------------------------------------------------------------------------
def test_theme_sizes_axis_and_bar_labels_are_both_percent(data: report.ReportData) -> None:
    table = report.theme_table(data)
    bars = report.fig_theme_sizes(table).data[0]
    shown = table.head(12).iloc[::-1]
    assert list(bars.x) == pytest.approx((shown["share"] * 100).tolist(), abs=0.01)
    assert list(bars.text) == [report.percent(s) for s in shown["share"]]
    assert report.fig_theme_sizes(table).layout.xaxis.ticksuffix == "%"
    assert [row[1] for row in bars.customdata] == shown["size"].tolist()  # units in the hover


def test_reports_render_with_every_figure(page: report.Page) -> None:
    html = page.render([])
    specs = re.findall(r'data-figure="[^"]+">(.*?)</script>', html, re.S)
    assert len(specs) == len(page.figures) and all(json.loads(s)["data"] for s in specs)


def test_reports_inline_the_packaged_cartesian_plotly_build(page: report.Page) -> None:
    """Every report figure is drawn by plotly.js's cartesian build (1.5 MB instead of 4.8 MB), of
    the version plotly.py draws for: fails when plotly is upgraded without the packaged file."""
    from importlib import resources

    import plotly.offline

    from cop_analysis.report.pages import CARTESIAN_BUNDLE, CARTESIAN_TRACES

    packaged = (resources.files("cop_analysis") / "resources" / CARTESIAN_BUNDLE).read_text(encoding="utf-8")
    assert f"v{plotly.offline.get_plotlyjs_version()}\n" in packaged[:200]
    assert {trace.type for fig in page.figures for trace in fig.data} <= CARTESIAN_TRACES
    html = page.render([])
    assert packaged in html and plotly.offline.get_plotlyjs() not in html
    assert len(html) < 2_000_000


def test_a_figure_the_cartesian_build_cannot_draw_gets_the_full_build() -> None:
    import plotly.graph_objects as go
    import plotly.offline

    from cop_analysis.report.pages import plotly_bundle

    assert plotly_bundle([go.Figure(go.Bar(y=[1])), go.Figure(go.Scattergl(y=[1]))]) == plotly.offline.get_plotlyjs()
