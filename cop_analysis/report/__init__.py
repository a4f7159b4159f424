"""The evaluation reports: section builders from the project's tables, rendered to one HTML file.

``ReportData`` gathers the tables (schemas in :mod:`cop_analysis.schema`); the section
builders are plain functions of those frames; ``Page.render`` turns sections into a
self-contained page (Jinja2 template ``templates/report.html.j2``, plotly.js embedded once,
every figure a JSON block drawn on load, no external URL). ``build_reports`` is what the
``04_report`` notebook calls.

Internal report (``evaluation_report.html``): overview, code frequencies by source, speaker
role, department and wave, co-occurrence heatmap, code x group matrices, themes, change
between waves, intercoder agreement, exemplar quotes, methods appendix.
Shareable report (``lessons_learned.html``): the same data passed through
:class:`cop_analysis.deidentify.Deidentifier`, led by "Lessons learned" narratives.

One module per concept, data flowing one way (each imports only those before it):

- :mod:`.data`: ``ReportData``, loading (``load_report_data``, ``prepare_units``,
  ``coding_basis``, ``load_themes``) and the tables (``code_totals``, ``theme_table``, ...);
- :mod:`.quotes`: which units are quoted and how (``QuotePicker``, ``exemplars``, ``theme_quotes``);
- :mod:`.charts`: the plotly figures and their colours (``code_colors``, ``fig_*``);
- :mod:`.shareable`: de-identified report data (``deidentify_data``, ``shareable_title``);
- :mod:`.pages`: ``Page``, HTML tables, the sections, ``internal_page`` and ``shareable_page``;
- :mod:`.build`: ``build_reports``, which writes the files.

This package re-exports their public names, so ``from cop_analysis.report import X`` and
``report.X`` work as before the split; private helpers live in their module.
"""

from __future__ import annotations

from .build import REPORT_FILES, BuiltReport, build_reports
from .charts import (CODE_PALETTE, FONT, GROUP_SHADES, OUTLIER_COLOR, code_colors, fig_code_totals, fig_grouped,
                     fig_heatmap, fig_theme_map, fig_theme_sizes, fig_wave_lines, theme_colors)
from .data import (GROUPS, HUMAN_BASIS_SHARE, MEMBERS_SELECTION, MIN_QUOTE_WORDS, SELF_DESCRIBED, UNIT_FOR_KIND,
                   ReportData, basis_text, code_by_group, code_names, code_totals, coding_basis, cooccurrence,
                   distinct_selections, load_report_data, load_themes, overview, percent, prepare_units,
                   pretty_label, quotable, selection_title, theme_code_crosstab, theme_table, wave_change)
from .pages import (AGREEMENT_FLAG, LESSON_MIN_CODED, MIN_WAVE_UNITS, Page, agreement_table, internal_page,
                    shareable_page, table_html, theme_narrative)
from .quotes import (QUOTE_CHARS, SHAREABLE_QUOTES_PER_PERSON, QuotePicker, exemplars, quote_candidates,
                     theme_quotes, unit_context)
from .shareable import MIN_GROUP, deidentify_data, shareable_title

__all__ = [
    # data
    "GROUPS", "HUMAN_BASIS_SHARE", "MEMBERS_SELECTION", "MIN_QUOTE_WORDS", "SELF_DESCRIBED", "UNIT_FOR_KIND",
    "ReportData", "basis_text", "code_by_group", "code_names", "code_totals", "coding_basis", "cooccurrence",
    "distinct_selections", "load_report_data", "load_themes", "overview", "percent", "prepare_units",
    "pretty_label", "quotable", "selection_title", "theme_code_crosstab", "theme_table", "wave_change",
    # quotes
    "QUOTE_CHARS", "SHAREABLE_QUOTES_PER_PERSON", "QuotePicker", "exemplars", "quote_candidates", "theme_quotes",
    "unit_context",
    # charts
    "CODE_PALETTE", "FONT", "GROUP_SHADES", "OUTLIER_COLOR", "code_colors", "fig_code_totals", "fig_grouped",
    "fig_heatmap", "fig_theme_map", "fig_theme_sizes", "fig_wave_lines", "theme_colors",
    # shareable
    "MIN_GROUP", "deidentify_data", "shareable_title",
    # pages
    "AGREEMENT_FLAG", "LESSON_MIN_CODED", "MIN_WAVE_UNITS", "Page", "agreement_table", "internal_page",
    "shareable_page", "table_html", "theme_narrative",
    # build
    "REPORT_FILES", "BuiltReport", "build_reports",
]
