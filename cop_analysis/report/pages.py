"""Report pages: the sections of the internal and the shareable report, as HTML blocks.

``Page`` holds one report's sections and figures and renders them with the Jinja2 template
``templates/report.html.j2`` (plotly.js embedded once, every figure a JSON block drawn on load);
``table_html`` and ``agreement_table`` are its escaped tables. The ``_*_blocks`` functions add one
section each; ``internal_page`` assembles the evaluation report, ``shareable_page`` the
lessons-learned report from already de-identified data, with a ``theme_narrative`` per lesson.
Builds on the data, quotes and charts modules of :mod:`cop_analysis.report`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from .charts import (code_colors, fig_code_totals, fig_grouped, fig_heatmap, fig_theme_map, fig_theme_sizes,
                     fig_wave_lines)
from .data import (GROUPS, ReportData, among, basis_text, code_by_group, code_names, code_totals, cooccurrence,
                   distinct_selections, overview, percent, selection_title, speakerless_sources, theme_code_crosstab,
                   theme_table, wave_change)
from .quotes import SHAREABLE_QUOTES_PER_PERSON, QuotePicker, exemplars, theme_quotes

# a theme is a lesson when at least this share of its units carry a code, or a person named it: clusters of
# small talk ("Good / great / hear", 1 of 53 coded) stay in the charts but are no lesson
LESSON_MIN_CODED = 0.1
MIN_WAVE_UNITS = 10  # a theme's change between waves is told only from waves with this many units of its selection
# plotly.js's cartesian build (npm plotly.js-cartesian-dist-min, MIT), inlined instead of the full 4.8 MB one
CARTESIAN_BUNDLE = "plotly-cartesian.min.js"
CARTESIAN_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})


def plotly_bundle(figures: Iterable[Any]) -> str:
    """plotly.js to inline in a report: the packaged cartesian build (1.5 MB) when it is the version
    plotly.py draws for and it holds every trace type of ``figures``, else plotly.py's full build (4.8 MB)."""
    import plotly.offline

    cartesian = (resources.files("cop_analysis") / "resources" / CARTESIAN_BUNDLE).read_text(encoding="utf-8")
    version = re.search(r"plotly\.js \(cartesian[^)]*\) v(\S+)", cartesian[:200])
    traces = {trace.type for fig in figures for trace in fig.data}
    if version and version[1] == plotly.offline.get_plotlyjs_version() and traces <= CARTESIAN_TRACES:
        return cartesian
    return plotly.offline.get_plotlyjs()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def theme_narrative(data: ReportData, row: pd.Series, cross: pd.DataFrame) -> str:
    """A short, template-built paragraph about one theme from counts, codes and keywords."""
    members = data.themes[(data.themes["selection"] == row["selection"]) & (data.themes["theme_id"] == row["theme_id"])]
    units = data.units[among(data.units["segment_id"], members["segment_id"])]
    people = units["person"].nunique()
    sources = units["source_id"].nunique()
    text = (f"This theme came up in {_plural(int(row['size']), 'contribution')} ({percent(row['share'])} of everything "
            f"said) from {people} {'person' if people == 1 else 'people'} across {_plural(sources, 'source')}.")
    if not cross.empty and row["label"] in cross.index:
        top = cross.loc[row["label"]].sort_values(ascending=False)
        top = top[top > 0].head(2)
        if len(top):
            codes = " and ".join(f"{name.lower()} ({int(n)})" for name, n in top.items())
            text += f" It was most often coded as {codes}."
    keywords = [k.strip() for k in str(row["keywords"]).split(",") if k.strip()][:4]
    if keywords:
        text += f" People used words like {', '.join(keywords)}."
    # change between waves, within what the theme was found in (one question's answers, the conversations)
    selection = data.themes.loc[data.themes["selection"] == row["selection"], "segment_id"]
    pool = data.units[among(data.units["segment_id"], selection)]
    totals = pool.groupby("wave")["segment_id"].nunique()
    waves = [w for w in data.waves if totals.get(w, 0) >= MIN_WAVE_UNITS]
    if len(waves) >= 2:
        per_wave = units.groupby("wave")["segment_id"].nunique()
        first, last = waves[0], waves[-1]
        a, b = per_wave.get(first, 0) / totals[first], per_wave.get(last, 0) / totals[last]
        if abs(b - a) >= 0.02:
            text += (f" It {'grew' if b > a else 'shrank'} from {a:.0%} of the {selection_title(row['selection'])} "
                     f"in wave {first} to {b:.0%} in wave {last}.")
    return text


# -- HTML pieces -----------------------------------------------------------------------------------
def table_html(frame: pd.DataFrame, heat: bool = False, percent: bool = False, index: bool = True,
               formats: Mapping[str, str] | None = None, flag_below: Mapping[str, float] | None = None) -> Markup:
    """An escaped HTML table; ``heat`` shades numeric cells by value (row-independent). ``formats``:
    column -> format string for its numbers ('{:.0%}'); ``flag_below``: column -> threshold, cells
    below it get class 'low' (and say so in a tooltip)."""
    formats, flag_below = formats or {}, flag_below or {}
    numeric = frame.select_dtypes("number")
    peak = float(numeric.to_numpy().max()) if heat and numeric.size else 0.0
    head = ([escape(frame.index.name or "")] if index else []) + [escape(str(c)) for c in frame.columns]
    rows = []
    for label, row in frame.iterrows():
        cells = [Markup("<th>{}</th>").format(label)] if index else []
        for column, value in row.items():
            if isinstance(value, float) and pd.isna(value):
                cells.append(Markup("<td class='num'>–</td>"))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                shown = formats[column].format(value) if column in formats else (
                    f"{value:.1f}%" if percent and "Change" not in str(column) else (
                        f"{value:+.1f}" if "Change" in str(column) else (
                            f"{value:.2f}" if isinstance(value, float) else str(value))))
                style = ""
                if heat and peak > 0 and "Change" not in str(column):
                    style = f" style='background: rgba(76,120,168,{0.08 + 0.72 * float(value) / peak:.2f})'"
                low = column in flag_below and float(value) < flag_below[column]
                if low:
                    style += f" title='below {flag_below[column]:g}'"
                cells.append(Markup("<td class='num{}'{}>{}</td>").format(" low" if low else "", Markup(style), shown))
            else:
                cells.append(Markup("<td>{}</td>").format(value))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return Markup("<div class='table-wrap'><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>").format(
        Markup("").join(Markup("<th>{}</th>").format(h) for h in head), Markup("").join(rows))


AGREEMENT_FLAG = 0.6  # kappa and alpha below this are flagged in the agreement table


def agreement_table(data: ReportData) -> Markup:
    """``data.agreement`` (per code) for readers: code names, readable headings, agreement in %,
    no all-empty column, kappa and alpha below ``AGREEMENT_FLAG`` flagged."""
    from ..agreement import COLUMN_LABELS

    agree = data.agreement.copy()
    agree.insert(0, "Code", agree["code_id"].map(code_names(data)).fillna(agree["code_id"]))
    agree = agree.drop(columns=["code_id"]).set_index("Code")
    empty = [c for c in agree.columns if agree[c].isna().all() or agree[c].astype(str).str.strip().eq("").all()]
    agree = agree.drop(columns=empty).rename(columns=COLUMN_LABELS)
    formats = {COLUMN_LABELS["n_segments"]: "{:.0f}", COLUMN_LABELS["n_applied"]: "{:.0f}",
               COLUMN_LABELS["percent_agreement"]: "{:.0%}", COLUMN_LABELS["cohen_kappa"]: "{:.2f}",
               COLUMN_LABELS["krippendorff_alpha"]: "{:.2f}"}
    flags = {COLUMN_LABELS[c]: AGREEMENT_FLAG for c in ("cohen_kappa", "krippendorff_alpha")}
    return table_html(agree, formats=formats, flag_below=flags)


class Page:
    """Sections and figures of one report; ``render`` produces the HTML page."""

    def __init__(self, title: str, subtitle: str, audience: str) -> None:
        self.title, self.subtitle, self.audience = title, subtitle, audience
        self.sections: list[dict[str, Any]] = []
        self.figures: list[Any] = []

    def section(self, id: str, title: str, lead: str = "") -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        self.sections.append({"id": id, "title": title, "lead": lead, "blocks": blocks})
        return blocks

    def figure(self, blocks: list[dict[str, Any]], fig: Any, caption: str = "") -> None:
        self.figures.append(fig)
        blocks.append({"type": "figure", "id": f"fig-{len(self.figures)}", "caption": caption,
                       "spec": Markup(fig.to_json().replace("<", "\\u003c").replace(">", "\\u003e")
                                      .replace("&", "\\u0026"))})

    def render(self, meta: list[tuple[str, str]]) -> str:
        import jinja2

        env = jinja2.Environment(loader=jinja2.PackageLoader("cop_analysis", "templates"),
                                 autoescape=True, trim_blocks=True, lstrip_blocks=True)
        return env.get_template("report.html.j2").render(
            page=self, meta=meta, plotlyjs=Markup(plotly_bundle(self.figures)),
            generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


def _coverage_note(data: ReportData, by: str) -> str:
    """'' when every unit has a ``by`` value, else which units a chart by ``by`` covers."""
    known = data.units[by].notna() & (data.units[by].astype(str).str.strip() != "")
    if known.all():
        return ""
    kinds = sorted(set(data.units.loc[known, "kind"]))
    scope = {"transcript": "Transcripts only", "survey": "Surveys only"}.get(kinds[0], "") if len(kinds) == 1 else ""
    what = f"{int(known.sum()):,} of {len(known):,} units have a {GROUPS.get(by, by).lower()}"
    return f"{scope}: {what}" if scope else f"Covers the {what}"


def _frequency_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("frequencies", "Code frequencies",
                          "How many coding units (speaker turns, survey answers) carry each code, overall and by group.")
    page.figure(blocks, fig_code_totals(data))
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            matrix = code_by_group(data, by)
            title, note = f"Codes by {label.lower()}", _coverage_note(data, by)
            if by == "wave":  # waves differ in size: shares, as in 'Change between waves'
                fig = fig_grouped(code_by_group(data, by, share=True), title, "% of the wave's units", counts=matrix,
                                  subtitle=note)
            elif len(matrix.columns) <= 4:
                fig = fig_grouped(matrix, title, subtitle=note)
            else:
                fig = fig_heatmap(matrix, title, subtitle=note)
            page.figure(blocks, fig)


def _matrix_blocks(page: Page, data: ReportData) -> None:
    blocks = page.section("matrix", "Code × group matrix",
                          "Share of each group's units that carry the code; darker cells mean more.")
    for by, label in GROUPS.items():
        if data.units[by].nunique() > 1:
            note = _coverage_note(data, by)
            blocks.append({"type": "html", "title": f"{label} ({note.lower()})" if note else label,
                           "html": table_html(code_by_group(data, by, share=True), heat=True, percent=True)})


def _theme_blocks(page: Page, data: ReportData, table: pd.DataFrame, map_: bool = True) -> None:
    blocks = page.section("themes", "Themes",
                          "Clusters of similar contributions found with BERTopic on sentence embeddings.")
    if table.empty:
        blocks.append({"type": "text", "text": "No themes were found for the units in this report."})
        return
    page.figure(blocks, fig_theme_sizes(table))
    if map_ and data.themes[["x", "y"]].notna().any().all():
        page.figure(blocks, fig_theme_map(data, table), "Each dot is one contribution; nearby dots say similar things.")
    quotes = theme_quotes(data, table)
    order = table.groupby("selection", sort=False)["size"].sum().sort_values(ascending=False).index
    for selection in order:  # one group of cards per selection (a question's answers, the conversations)
        rows = [i for i in table.index if table.at[i, "selection"] == selection]
        suffix = f" · {selection_title(selection)}"
        cards = [{"title": str(table.at[i, "label"]).removesuffix(suffix),
                  "meta": f"{table.at[i, 'size']} units · {percent(table.at[i, 'share'])} · "
                          f"{percent(table.at[i, 'coded'])} coded · keywords: {table.at[i, 'keywords']}",
                  "quotes": quotes[i]} for i in rows]
        title = selection_title(selection)
        blocks.append({"type": "cards", "title": title[:1].upper() + title[1:], "cards": cards})
    cross = theme_code_crosstab(data)
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross, "Themes × codes", colorscale="Purples", x_title="Code", y_title="Theme"))


def _wave_blocks(page: Page, data: ReportData) -> None:
    change = wave_change(data)
    blocks = page.section("waves", "Change between waves",
                          "Share of each wave's units carrying each code, and the change from the first to the last wave.")
    if change.empty:
        blocks.append({"type": "text", "text": "Only one wave in this report: nothing to compare yet."})
        return
    page.figure(blocks, fig_wave_lines(change, data.waves, "Codes across waves", colors=code_colors(data),
                                       counts=code_by_group(data, "wave")))
    blocks.append({"type": "html", "title": "", "html": table_html(change, heat=True, percent=True)})


def _quote_blocks(page: Page, data: ReportData, title: str, lead: str, picker: QuotePicker | None = None) -> None:
    blocks = page.section("quotes", title, lead)
    quotes = exemplars(data, picker=picker)
    colors = code_colors(data)
    cards = [{"title": name, "color": colors.get(name), "quotes": qs} for name, qs in quotes.items()]
    none = "No coded units yet." if not len(data.assignments) else (
        "No coded unit is quotable here: quotes are statements of at least six words, not questions"
        + (", a few per person, that the name finder has read." if picker is not None and picker.per_person else "."))
    blocks.append({"type": "cards", "cards": cards} if cards else {"type": "text", "text": none})


def internal_page(data: ReportData, manifest: dict[str, Any] | None = None) -> Page:
    """The internal evaluation report."""
    page = Page(data.project, "Evaluation report (internal: contains names and quotes)", "internal")
    blocks = page.section("overview", "Overview")
    blocks.append({"type": "stats", "stats": overview(data)})
    skipped, partly = input_problems(manifest or {})
    if skipped:
        blocks.append({"type": "note", "text": f"{_plural(len(skipped), 'input file')} could not be read and "
                                                f"{'is' if len(skipped) == 1 else 'are'} not in this report: "
                                                + "; ".join(f"{path} ({why})" for path, why in skipped.items())})
    if partly:
        blocks.append({"type": "note", "text": f"{_plural(len(partly), 'input file')} had rows that could not be "
                                                "read; the rest of each is in this report: "
                                                + "; ".join(f"{path} ({why})" for path, why in partly.items())})
    if data.basis == "suggested":
        blocks.append({"type": "note", "text": "No human coding yet: counts below use the machine suggestions "
                                                "(score ≥ 0.5) that coders have not reviewed."})
    elif data.basis == "mixed":
        blocks.append({"type": "note", "text": "Coding is in progress: counts below use the human codings where "
                                                "a person coded the unit and the machine suggestions (score ≥ 0.5) "
                                                "on all other units."})
    _frequency_blocks(page, data)
    if len(data.assignments):
        blocks = page.section("cooccurrence", "Code co-occurrence",
                              "Units coded with both codes; the diagonal is the number of units with the code.")
        page.figure(blocks, fig_heatmap(cooccurrence(data), "Codes applied together", x_title="Code", y_title="Code"))
    _matrix_blocks(page, data)
    _theme_blocks(page, data, theme_table(data))
    _wave_blocks(page, data)
    blocks = page.section("agreement", "Intercoder agreement",
                          "Per code, over units coded by at least two coders.")
    if data.agreement is None or data.agreement.empty:
        blocks.append({"type": "text", "text": "Fewer than two coders have coded the same units yet."})
    else:
        blocks.append({"type": "html", "title": "", "html": agreement_table(data)})
        blocks.append({"type": "text", "text": f"Agreement: share of double-coded units on which the coders agree; "
                                               f"Cohen's κ and Krippendorff's α correct it for chance. Values below "
                                               f"{AGREEMENT_FLAG:g} are highlighted: the code needs a clearer "
                                               f"definition or more coder training."})
    _quote_blocks(page, data, "Exemplar quotes", "Up to three quotes per code, with source and speaker.")
    _methods_blocks(page, data, manifest or {}, shareable=False)
    return page


def input_problems(manifest: Mapping[str, Any], limit: int = 5) -> tuple[dict[str, str], dict[str, str]]:
    """From ``manifest["input_errors"]``: ({file left out: its errors}, {file with bad rows left out: their
    errors}), each ``"line N: message; ..."`` (at most ``limit`` per file, then "and N more")."""
    reasons: dict[str, list[str]] = {}
    skipped: set[str] = set()
    for error in manifest.get("input_errors") or []:
        path = str(error.get("path"))
        where = f"line {error['line']}: " if error.get("line") else ""
        reasons.setdefault(path, []).append(f"{where}{error.get('message', '')}")
        if error.get("file_skipped", True):
            skipped.add(path)

    def text(items: list[str]) -> str:
        return "; ".join(items[:limit]) + (f"; and {len(items) - limit} more" if len(items) > limit else "")

    return ({p: text(r) for p, r in reasons.items() if p in skipped},
            {p: text(r) for p, r in reasons.items() if p not in skipped})


def _methods_blocks(page: Page, data: ReportData, manifest: dict[str, Any], shareable: bool) -> None:
    blocks = page.section("methods", "Methods appendix" if not shareable else "About this report")
    if shareable:
        _about_blocks(blocks, data, manifest)
        return
    params = manifest.get("parameters", {})
    rows = [("Run", str(manifest.get("run_id", "–"))), ("Waves", ", ".join(data.waves) or "all"),
            ("Seed", str(params.get("seed", "–"))),
            ("Embedding model", str(manifest.get("models", {}).get("embedding", "–"))),
            ("spaCy model", str(manifest.get("models", {}).get("spacy", "–"))),
            ("Theme model", str(manifest.get("models", {}).get("themes", "–"))),
            ("Codebook version", str(manifest.get("codebook_version", "–"))),
            ("Basis of counts", basis_text(data))]
    blocks.append({"type": "stats", "stats": rows})
    steps = manifest.get("steps", [])
    if steps:
        frame = pd.DataFrame([{"Step": s["name"], "Status": "this report" if s["status"] == "running" else s["status"],
                               "Seconds": None if s["status"] == "running" else s.get("seconds")} for s in steps])
        blocks.append({"type": "html", "title": "Pipeline steps", "html": table_html(frame.set_index("Step"))})
    inputs, (skipped, partly) = manifest.get("inputs", {}), input_problems(manifest)
    warned: dict[str, list[str]] = {}
    for warning in manifest.get("input_warnings") or []:
        warned.setdefault(str(warning.get("path")), []).append(str(warning.get("message", "")))

    def used(path: str) -> str:
        note = f" (warning: {'; '.join(warned[path])})" if path in warned else ""
        return f"skipped: {skipped[path]}" if path in skipped else \
            f"yes, except rows: {partly[path]}{note}" if path in partly else f"yes{note}"

    if inputs or skipped or partly:
        rows = [{"File": k, "SHA-256": v[:16], "Used": used(k)} for k, v in inputs.items()]
        rows += [{"File": k, "SHA-256": "–", "Used": used(k)} for k in {**skipped, **partly} if k not in inputs]
        frame = pd.DataFrame(rows).set_index("File")
        blocks.append({"type": "html", "title": "Inputs", "html": table_html(frame)})
    packages = manifest.get("packages", {})
    if packages:
        frame = pd.DataFrame([{"Package": k, "Version": v} for k, v in packages.items()]).set_index("Package")
        blocks.append({"type": "html", "title": "Package versions", "html": table_html(frame)})


def _about_blocks(blocks: list[dict[str, Any]], data: ReportData, manifest: dict[str, Any]) -> None:
    """How the shareable report was made, in plain words for readers outside the project."""
    kinds = data.sources["kind"].value_counts() if len(data.sources) else pd.Series(dtype=int)
    model = str(manifest.get("models", {}).get("embedding", "")) or "a sentence-embedding model"
    documents = len(speakerless_sources(data.units))
    conversations = int(kinds.get("transcript", 0)) - documents
    evidence = [f"{_plural(conversations, 'recorded conversation')} (as speaker turns)"] if conversations else []
    evidence += [f"{_plural(documents, 'document')} without speakers (by paragraph)"] if documents else []
    evidence += [f"{_plural(int(kinds.get('survey', 0)), 'survey')} (open-ended answers)"]
    rows = [("Evidence", ", ".join(evidence[:-1]) + " and " + evidence[-1] if len(evidence) > 1 else evidence[0]),
            ("Waves", ", ".join(data.waves) or "one"),
            ("Coding", "people applied the codes of a shared codebook" + (
                "; where nobody had coded yet, machine suggestions stand in" if data.basis != "human" else "")),
            ("Basis of counts", basis_text(data)),
            ("Themes", f"contributions grouped by similarity of meaning (BERTopic on {model} embeddings), "
                       "guided by the codebook")]
    selections = list(dict.fromkeys(data.theme_info["selection"].dropna()))
    if selections:
        rows.append(("Themes found in", "; ".join(selection_title(s) for s in selections)))
    rows.append(("De-identification", "speakers replaced by pseudonyms; names, e-mails, phone numbers, links, "
                                      "organisation and place names redacted; roles and departments only one person "
                                      "had left out of the attributions (a quote may still mention a role); no quote "
                                      "where someone names their position or affiliation; at most "
                                      f"{SHAREABLE_QUOTES_PER_PERSON} quotes from one person"))
    rows.append(("Made with", f"cop-analysis, run {manifest.get('run_id', '–')}"))
    blocks.append({"type": "stats", "stats": rows})


# -- shareable --------------------------------------------------------------------------------------
def shareable_page(data: ReportData, manifest: dict[str, Any] | None = None, top: int = 5) -> Page:
    """The de-identified lessons-learned report (``data`` must already be de-identified); themes of
    :func:`distinct_selections` only."""
    data = distinct_selections(data)
    page = Page(data.project, "Lessons learned (shareable, de-identified)", "shareable")
    table = theme_table(data)
    cross = theme_code_crosstab(data)
    picker = QuotePicker(data, per_person=SHAREABLE_QUOTES_PER_PERSON)
    blocks = page.section("lessons", "Lessons learned",
                          "The biggest themes in what participants said, each with a short summary and their own words.")
    if table.empty:
        totals = code_totals(data).sort_values("n_units", ascending=False)
        quotes = exemplars(data, per_code=2, picker=picker)
        for name, n in zip(totals["name"].head(top), totals["n_units"].head(top)):
            if n:
                blocks.append({"type": "lesson", "title": name, "quotes": quotes.get(name, []),
                               "text": f"{name} came up in {_plural(n, 'contribution')}."})
    else:
        lessons = table[(table["coded"] >= LESSON_MIN_CODED) | table["renamed"]]
        lessons = (lessons if len(lessons) else table).head(top)
        quotes = theme_quotes(data, lessons, picker=picker)
        for i, (_, row) in enumerate(lessons.iterrows()):
            blocks.append({"type": "lesson", "title": f"{i + 1}. {row['label']}", "text": theme_narrative(data, row, cross),
                           "quotes": quotes[i]})
    blocks = page.section("charts", "At a glance")
    blocks.append({"type": "stats", "stats": [s for s in overview(data) if s[0] not in ("Coders",)]})
    if not table.empty:
        page.figure(blocks, fig_theme_sizes(table, "What people talked about most"))
    if len(data.assignments):
        page.figure(blocks, fig_code_totals(data, "Topics in the coding framework"))
    change = wave_change(data)
    if not change.empty:
        page.figure(blocks, fig_wave_lines(change, data.waves, "How the conversation shifted between waves", top=6,
                                           colors=code_colors(data), counts=code_by_group(data, "wave")))
    if not cross.empty:
        page.figure(blocks, fig_heatmap(cross.head(12), "Which topics the largest themes touch", colorscale="Purples",
                                        x_title="Topic", y_title="Theme"))
    _quote_blocks(page, data, "In their words", "A few quotes for each topic (names and contact details removed; "
                  f"at most {SHAREABLE_QUOTES_PER_PERSON} from one person).", picker)
    _methods_blocks(page, data, manifest or {}, shareable=True)
    return page
