"""Interactive coding workbench: the coding logic (:class:`CodingSession`) and its ipywidgets view.

Every action (toggle a code, accept/reject a suggestion, add a memo, undo, redo) is written to the
ledger at once, in its own transaction; there is no Save button. The view only renders the
session's state, so reopening the workbench shows what was saved.

Modules: :mod:`~cop_analysis.workbench.session` (the logic and the remembered position, no widgets),
:mod:`~cop_analysis.workbench.markup` (text and HTML helpers, the panel CSS) and
:mod:`~cop_analysis.workbench.panel` (the ipywidgets panel, keyboard shortcuts, :func:`workbench`).
Everything is importable from ``cop_analysis.workbench`` itself.
"""

from cop_analysis.workbench.markup import (
    NO_CODE_BADGE,
    PANEL_CSS,
    Span,
    context_html,
    evidence_first,
    memo_time,
    respondent_label,
    respondent_name,
    short_text,
    who_html,
)
from cop_analysis.workbench.panel import KEY_LEGEND, TEXT_TAGS, CodingWorkbench, widget_action, workbench
from cop_analysis.workbench.session import (
    STATE_NAME,
    SURVEY_CONTEXTS,
    CodingSession,
    Filters,
    WorkbenchError,
    find_project_root,
    span_of,
)

__all__ = [
    "KEY_LEGEND", "NO_CODE_BADGE", "PANEL_CSS", "STATE_NAME", "SURVEY_CONTEXTS", "TEXT_TAGS", "CodingSession",
    "CodingWorkbench", "Filters", "Span", "WorkbenchError", "context_html", "evidence_first", "find_project_root",
    "memo_time", "respondent_label", "respondent_name", "short_text", "span_of", "who_html", "widget_action",
    "workbench",
]
