"""The ipywidgets coding panel (:class:`CodingWorkbench`) over a
:class:`~cop_analysis.workbench.session.CodingSession`, its keyboard shortcuts (ipyevents), and the
notebook entry point :func:`workbench`.

The panel only renders the session's state, so reopening the workbench shows what was saved.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from cop_analysis.workbench.markup import (
    NO_CODE_BADGE,
    PANEL_CSS,
    Span,
    _text_color,
    _tint,
    context_html,
    evidence_first,
    memo_time,
    short_text,
)
from cop_analysis.workbench.session import CodingSession, Filters, WorkbenchError, find_project_root, span_of

log = logging.getLogger(__name__)

KEY_LEGEND = ("Keys (pointer over the codes or buttons): j/k next/prev · 1-9 code · u undo · r redo"
              " · n no code · a/x accept/reject")
TEXT_TAGS = {"INPUT", "TEXTAREA", "SELECT"}  # a key typed into one of these is text, not a shortcut


def widget_action(action: Callable[..., Any], status: Any, render: Callable[[], None],
                  logger: logging.Logger) -> Callable[..., None]:
    """Wrap a button/field action: run it, show any error in ``status`` (not just the browser log), re-render."""

    def run(*_args: Any) -> None:
        status.value = ""
        try:
            action()
        except Exception as exc:
            if isinstance(exc, ValueError):  # the user's to fix (WorkbenchError, LedgerError, ...): the message says how
                logger.debug("panel action refused", exc_info=True)
            else:  # a bug: keep the traceback
                logger.exception("panel action failed")
            status.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
        render()

    return run


class CodingWorkbench:
    """The ipywidgets coding panel over a :class:`CodingSession`; ``show()`` returns the widget."""

    def __init__(self, project_dir: str | Path | None = None, coder: str | None = None, context: int = 2,
                 restore: bool = True) -> None:
        import ipywidgets as w

        self.w = w
        root = Path(project_dir) if project_dir else find_project_root()
        self.session = s = CodingSession(root, coder, context, restore=restore)
        self.status = w.HTML(layout=w.Layout(min_height="28px"))  # a message does not push the panel down
        # messages of the memo box and the export, under the segment; a line kept so Export CSV does not move
        self.note = w.HTML(layout=w.Layout(min_height="28px"))
        self.coder = w.Combobox(value=s.coder or "", options=s.coder_choices(), placeholder="your name",
                                description="Coder", ensure_option=False, continuous_update=False)
        opts = s.options()
        self._titles = titles = s.source_titles()
        self.source = w.Dropdown(options=[("all sources", "")] + [(titles.get(v, v), v) for v in opts["source_id"]],
                                 description="Source")
        self.speaker = w.Dropdown(options=self._speaker_options(None), description="Speaker")
        self.wave = w.Dropdown(options=[("all waves", "")] + [(v, v) for v in opts["wave"]], description="Wave")
        self.code_filter = w.Dropdown(options=[("any code", "")]
                                      + [(self._filter_label(c.id), c.id) for c in s.codebook.codes if c.codable],
                                      description="Coded with")
        self.uncoded = w.Checkbox(description="uncoded by me", indent=False)
        self.has_suggestion = w.Checkbox(description="has suggestions", indent=False)
        self.position = w.HTML()
        self.survey_context = w.ToggleButtons(  # shown for survey answers only
            options=[("this respondent", "respondent"), ("this question", "question")],
            value=s.survey_context, description="Context", style={"button_width": "auto"},
            tooltips=["The same person's other answers, with their questions",
                      "Other respondents' answers to the same question"])
        self.context_html = self._context_widget()  # a fresh one for every segment: it opens scrolled to the top
        self._context_unit: str | None = None  # the segment context_html was made for
        self._jump: tuple[str, Span | None, str, str] | None = None  # Go: (segment, span, code, coders) to mark
        self.sentence = w.Dropdown(description="Apply to", layout=w.Layout(width="98%"))  # value: index
        self.sentence_to = w.Dropdown(description="to", layout=w.Layout(width="98%", display="none"),
                                      tooltip="The last sentence of the span: code several sentences at once")
        self._spans: list[Span | None] = [None]  # option index -> span (None: the whole unit)
        self._sentence_texts: list[str] = [""]  # option index -> the sentence's text
        self._scope_unit: str | None = None  # the unit the sentence options belong to
        self.code_buttons: dict[str, Any] = {}
        self.codes_box = w.VBox(self._code_groups())
        self.coded_html = w.HTML()
        self.suggestions_box = w.VBox()
        self.memos_html = w.HTML()
        self.memo_buttons: dict[int, tuple[Any, Any]] = {}  # memo id -> (edit, delete): this coder's memos
        self.memo_buttons_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self._memo_key: tuple[Any, ...] | None = None  # what the memo buttons were built for
        self._editing: tuple[str, int] | None = None  # (segment, memo id) being edited in the memo box
        self.memo_text = w.Textarea(placeholder="Memo on this segment (saved when you click Add memo)",
                                    layout=w.Layout(flex="1 1 auto", height="70px"))
        self.add_memo = w.Button(description="Add memo", icon="pencil")
        self.cancel_edit = w.Button(description="Cancel", icon="times", layout=w.Layout(display="none"),
                                    tooltip="Stop editing: the memo keeps its text")
        self.prev_btn = w.Button(description="Prev", icon="arrow-left", tooltip="Previous segment")
        self.next_btn = w.Button(description="Next", icon="arrow-right", tooltip="Next segment")
        self.next_uncoded_btn = w.Button(description="Next uncoded", icon="forward")
        self.no_code_btn = w.Button(description="No code applies", icon="ban",
                                    tooltip="Mark this segment done without a code, then go to the next")
        self.undo_btn = w.Button(description="Undo", icon="undo", tooltip="Undo your last action")
        self.redo_btn = w.Button(description="Redo", icon="repeat", tooltip="Redo the action you last undid")
        self.progress = w.IntProgress(min=0, description="Coded", layout=w.Layout(flex="0 1 220px", min_width="140px"))
        self.progress_label = w.Label(layout=w.Layout(flex="0 0 auto", width="auto"))
        # Undo/Redo right after the everyday buttons: in a narrow panel the optional one wraps, not they
        nav = [self.prev_btn, self.next_btn, self.next_uncoded_btn, self.no_code_btn, self.undo_btn, self.redo_btn]
        self.informative_btn = None
        if s.informative_available():  # appears once the auto-coder offers active learning
            self.informative_btn = w.Button(
                description="Most informative next", icon="lightbulb-o", layout=w.Layout(width="auto"),
                tooltip="Go to the segment in the current filter the auto-coder would learn most from")
            self.informative_btn.on_click(self._handler(self._on_informative))
            nav.append(self.informative_btn)
        self.nav_box = w.HBox(nav, layout=w.Layout(flex_flow="row wrap"))

        # retrieval: every passage coded with one code, click to jump to it
        self.retrieve_code = w.Dropdown(options=[("choose a code", "")]
                                        + [(self._filter_label(c.id), c.id) for c in s.codebook.codes if c.codable],
                                        description="Code")
        self.retrieve_all = w.ToggleButtons(options=[("mine", False), ("all coders", True)], value=False,
                                            style={"button_width": "auto"})
        self.export_btn = w.Button(description="Export CSV", icon="download", disabled=True,
                                   layout=w.Layout(width="auto"),
                                   tooltip="Write the listed passages (all of them) to a CSV file in reports/")
        self.retrieve_box = w.VBox()
        self.retrieval = w.Accordion(children=[w.VBox([w.HBox([self.retrieve_code, self.retrieve_all, self.export_btn]),
                                                       self.retrieve_box])], selected_index=None)
        self.retrieval.set_title(0, "Retrieve coded passages")
        self._retrieved: tuple[Any, ...] | None = None  # what the listed rows show (rebuilt only on change)
        on_retrieve = self._handler(lambda: None)  # render() lists the passages while the fold-out is open
        for box in (self.retrieve_code, self.retrieve_all):
            box.observe(lambda _c: on_retrieve(), "value")
        self.retrieval.observe(lambda _c: on_retrieve(), "selected_index")
        self.export_btn.on_click(self._handler(self._on_export, self.note))
        on_survey = self._handler(self._on_survey_context)
        self.survey_context.observe(lambda _c: None if self._syncing else on_survey(), "value")

        self._syncing = False
        self.coder.observe(self._handler(self._on_coder), "value")
        on_filters = self._handler(self._on_filters)
        for box in (self.source, self.speaker, self.wave, self.code_filter, self.uncoded, self.has_suggestion):
            box.observe(lambda _c: None if self._syncing else on_filters(), "value")
        self.sentence.observe(lambda _c: self._on_sentence(), "value")
        self.sentence_to.observe(lambda _c: self._render_scope(), "value")
        self.add_memo.on_click(self._handler(self._on_memo, self.note))
        self.cancel_edit.on_click(self._handler(self._stop_editing, self.note))
        self.prev_btn.on_click(self._handler(s.previous))
        self.next_btn.on_click(self._handler(s.next))
        self.next_uncoded_btn.on_click(self._handler(s.next_uncoded))
        self.no_code_btn.on_click(self._handler(self._on_no_code))
        self.undo_btn.on_click(self._handler(self._on_undo))
        self.redo_btn.on_click(self._handler(self._on_redo))

        # keyboard shortcuts work over the parts without text fields (see _attach_keys)
        self.key_legend = w.HTML(f"<span class='cop-wb-meta'>{KEY_LEGEND}</span>")
        for box in (self.source, self.speaker, self.wave, self.code_filter):  # the filters: one wrapping row
            box.layout.width, box.style.description_width = "auto", "initial"
        for btn in nav:
            btn.layout.width = "auto"
        self._suggestion_rows: list[tuple[Any, Any]] = []  # (accept, reject) buttons, best suggestion first
        # layout: navigation, position and messages on top; below, the segment (a fixed-height box with its own
        # scroll, so nothing under it moves from one segment to the next) with the code buttons to its right
        # (under it when the panel is narrow)
        self.reading_box = w.VBox([self.survey_context, self.context_html],
                                  layout=w.Layout(flex="3 1 360px", min_width="300px", height="44vh",
                                                  min_height="260px", margin="0 8px 4px 0", overflow="hidden"))
        self.reading_box.add_class("cop-wb-reading")
        self.review_box = w.VBox([self.coded_html, self.suggestions_box, self.memos_html, self.memo_buttons_box])
        self.position.layout.min_height = "1.6em"
        self.actions_box = w.VBox([self.nav_box, self.position, self.status, self.key_legend])
        self.key_events = self._attach_keys()
        self.coding_box = w.VBox([self.sentence, self.sentence_to, self.codes_box, self.review_box],
                                 layout=w.Layout(flex="2 1 260px", min_width="240px"))
        self.main_box = w.HBox([self.reading_box, self.coding_box],
                               layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))

        self.widget = w.VBox([
            w.HTML(PANEL_CSS),
            w.HBox([self.coder, self.progress, self.progress_label],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            w.HBox([self.source, self.speaker, self.wave, self.code_filter, self.uncoded, self.has_suggestion],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.actions_box, self.main_box,
            w.HBox([self.memo_text, self.add_memo, self.cancel_edit], layout=w.Layout(align_items="flex-start")),
            self.note, self.retrieval,
        ], layout=w.Layout(max_width="1100px"))
        self.render()

    @property
    def scope(self) -> Span | None:
        """The span the code buttons apply to: from the chosen sentence to the "to" sentence (the same one by
        default), or None for the whole unit."""
        index = self.sentence.value or 0
        if not 0 < index < len(self._spans):
            return None
        last = self.sentence_to.value if isinstance(self.sentence_to.value, int) else index
        first, end = self._spans[index], self._spans[max(index, min(last, len(self._spans) - 1))]
        assert first is not None and end is not None
        return first[0], end[1]

    def select_span(self, first: int, last: int | None = None) -> None:
        """Choose sentences ``first`` to ``last`` (1-based, inclusive; default ``first`` alone; 0: whole unit)."""
        self.sentence.value = first
        if first and last is not None:
            self.sentence_to.value = last

    def show(self) -> Any:
        """The panel widget (display it, or leave it as a notebook cell's last expression)."""
        return self.widget

    # -- building ------------------------------------------------------------------------
    def _context_widget(self) -> Any:
        """The segment and its neighbours, scrolling on its own inside the reading box."""
        html_widget = self.w.HTML()
        html_widget.add_class("cop-wb-scroll")
        return html_widget

    def _code_groups(self) -> list[Any]:
        """Code buttons grouped under their top-level code; childless top-level codes share one group."""
        w, cb = self.w, self.session.codebook

        def buttons(code_id: str) -> list[Any]:
            code = cb[code_id]
            own: list[Any] = []
            if code.codable:  # non-codable codes (folders from other QDA tools) are headings only
                # wide enough from the start for its key, a count "(99)" in bold and the check mark: coding
                # re-wraps no row (em, not ch: a ch grows when the label turns bold)
                label = f"{len(self.code_buttons) + 1} {code.name} (99)"
                btn = w.Button(description=code.name, tooltip=f"{cb.path(code_id)}: {code.definition}",
                               layout=w.Layout(width="auto", min_width=f"calc({len(label) * 0.7:.1f}em + 40px)"))
                btn.on_click(self._handler(lambda c=code_id: self._on_code(c)))
                self.code_buttons[code_id] = btn
                own = [btn]
            return own + [b for child in cb.children(code_id) for b in buttons(child.id)]

        flat = [r for r in cb.roots() if not cb.children(r.id)]
        groups = [("Codes", [b for r in flat for b in buttons(r.id)])] if flat else []
        groups += [(r.name, buttons(r.id)) for r in cb.roots() if cb.children(r.id)]
        return [w.VBox([w.HTML(f"<b>{html.escape(name)}</b>"),
                        w.HBox(btns, layout=w.Layout(flex_flow="row wrap"))]) for name, btns in groups]

    def _handler(self, action: Callable[..., Any], status: Any = None) -> Callable[..., None]:
        """The action as a widget callback whose message or error shows in ``status``: the line at the top, or
        :attr:`note` next to the memo box and the export, which sit a screen below it on a laptop. The other
        line is cleared, so only the latest message shows."""
        target = self.status if status is None else status
        other = self.note if target is self.status else self.status
        run = widget_action(action, target, self.render, log)

        def handle(*args: Any) -> None:
            other.value = ""
            run(*args)

        return handle

    def _attach_keys(self) -> list[Any]:
        """Keyboard shortcuts (:meth:`_on_key`) over the code buttons, the codes/suggestions and the
        navigation buttons: the parts of the panel without a text field, and not the segment text, where
        selecting and copying a quote (Ctrl+C) must keep working.

        ipyevents listens while the pointer is over one of these parts: it focuses that part and catches
        every keydown at the document (capture phase), sends it to the kernel and stops it there
        (``stopPropagation`` + ``preventDefault``), so JupyterLab's notebook shortcuts (``b`` new cell,
        ``j``/``k`` move, ...) do not fire. It does so for every key, so the coder box, the filters and
        the memo box are left out: there keys type text as usual.
        """
        from ipyevents import Event

        events = []
        for zone in (self.codes_box, self.review_box, self.actions_box):
            zone.add_class("cop-wb-keys")
            event = Event(source=zone, watched_events=["keydown"], prevent_default_action=True,
                          ignore_modifier_key_events=True)  # a lone Shift is no key; Shift+U arrives as "U"
            event.on_dom_event(self._on_key)
            events.append(event)
        return events

    def _key_button(self, key: str, shift: bool) -> Any:
        """The button a key stands for (None: no shortcut); see KEY_LEGEND."""
        if key in ("ArrowDown", "ArrowUp"):
            return self.next_btn if key == "ArrowDown" else self.prev_btn
        if key.isdigit() and key != "0":
            buttons = list(self.code_buttons.values())  # in the order shown (the labels carry the digit)
            return buttons[int(key) - 1] if int(key) <= len(buttons) else None
        letter = key.lower() if len(key) == 1 else ""  # caps lock: "J" is j; Shift+U is redo
        if letter == "u":
            return self.redo_btn if shift else self.undo_btn
        if letter in ("a", "x"):
            if not self._suggestion_rows:
                return None
            accept, reject = self._suggestion_rows[0]
            return accept if letter == "a" else reject
        return {"j": self.next_btn, "k": self.prev_btn, "r": self.redo_btn, "n": self.no_code_btn}.get(letter)

    def _on_key(self, event: dict[str, Any]) -> None:
        """A keydown delivered by ipyevents: click the button the key stands for (the same handler, so the
        ledger write, undo and messages are those of a click). Keys typed in a text field, keys with
        Ctrl/Alt/Meta and unknown keys do nothing; a held-down key repeats navigation only."""
        if event.get("type", event.get("event")) != "keydown":
            return
        target = event.get("target") if isinstance(event.get("target"), dict) else {}
        if str(target.get("tagName", "")).upper() in TEXT_TAGS:
            return
        if event.get("ctrlKey") or event.get("altKey") or event.get("metaKey"):
            return
        key = str(event.get("key", ""))
        button = self._key_button(key, bool(event.get("shiftKey")))
        if button is None:
            if key.lower() in ("a", "x") and self.session.current_id is not None:
                self.status.value = "No machine suggestion on this segment."
            return
        if event.get("repeat") and button not in (self.next_btn, self.prev_btn):
            return  # a held-down digit would apply and remove the code again and again
        button.click()

    # -- handlers ------------------------------------------------------------------------
    def _speaker_options(self, source: str | None) -> list[tuple[str, str]]:
        """"all speakers" plus the speakers of ``source`` (None: of every source)."""
        units = self.session.units
        if source:
            units = units[units["source_id"].astype(str) == source]
        names = sorted(set(units["speaker"].dropna().astype(str)) - {""})
        return [("all speakers", "")] + [(v, v) for v in names]

    def _filter_label(self, code_id: str) -> str:
        """A code's name for the "Coded with" menu, indented under its parent (parents' names if ambiguous)."""
        cb = self.session.codebook
        code, depth, names = cb[code_id], cb.path(code_id).count("/"), [c.name for c in cb.codes]
        if names.count(code.name) > 1 and code.parent is not None:
            return "\u2003" * depth + f"{code.name} ({cb[code.parent].name})"
        return "\u2003" * depth + code.name

    def _on_coder(self) -> None:
        if self.coder.value.strip():
            try:
                name = self.session.set_coder(self.coder.value)
            except WorkbenchError:
                self.coder.value = self.session.coder or ""  # do not leave a refused name on screen
                raise
            if not self.session.restore():  # this coder's remembered filters and position, if any; else the
                # shared filters stay, not the ones about the previous coder's own codes ("coded with", "uncoded")
                self.session.apply_filters(dataclasses.replace(self.session.filters, code=None, uncoded=False))
            self.coder.options = self.session.coder_choices()
            if self.coder.value != name:  # "QA" typed next to an existing "qa": show the name used
                self.coder.value = name

    def _on_filters(self) -> None:
        speaker = self.speaker.value or None  # a speaker not in the newly chosen source is dropped
        if speaker and speaker not in {v for _, v in self._speaker_options(self.source.value or None)}:
            speaker = None
        self.session.apply_filters(Filters(self.source.value or None, speaker,
                                           self.wave.value or None, self.code_filter.value or None,
                                           self.uncoded.value, self.has_suggestion.value))

    def _on_code(self, code_id: str) -> None:
        self.session.toggle(code_id, self.scope)

    def _on_informative(self) -> None:
        """Active learning within the current filter; the button shows it is busy while the model ranks."""
        btn, s = self.informative_btn, self.session
        s._require_coder()
        btn.disabled, btn.icon = True, "hourglass-half"
        self.status.value = "<i>Finding the most informative segment…</i>"
        try:
            found = s.next_informative()
        finally:
            btn.disabled, btn.icon = False, "lightbulb-o"
        if found is not None:
            self.status.value = ""
        elif s.filters != Filters():
            self.status.value = ("No other segment left to code in the current filter (the filters are kept);"
                                 " clear or change them to look further.")
        else:
            self.status.value = "No other segment left to code: you have coded or marked every other segment."

    def _on_survey_context(self, change: Any = None) -> None:
        self.session.survey_context = self.survey_context.value

    def _on_jump(self, segment_id: str, span: Span | None, code_id: str = "", coders: str = "") -> None:
        """Show a retrieved passage in the coding panel: the segment box at its top, the passage marked in
        its code's colour (whoever coded it), its sentences selected when it is a run of whole sentences."""
        s = self.session
        filtered = s.filters != Filters()
        s.goto(segment_id)
        self._jump = (segment_id, span, code_id, coders)
        self._context_unit = None  # a fresh segment box, scrolled to the top
        self.render()
        starts = [sp[0] if sp else None for sp in self._spans]
        ends = [sp[1] if sp else None for sp in self._spans]
        if span is not None and span[0] in starts and span[1] in ends:  # one sentence, or a run of them
            self.select_span(starts.index(span[0]), ends.index(span[1]))
        if filtered and s.filters == Filters():
            self.status.value = "The filters were cleared to show this passage."
        self.sentence.focus()  # the browser scrolls the page up to the coding panel

    def _on_export(self) -> None:
        """Export CSV: the passages of the retrieval list (all of them, not just those shown) to reports/."""
        path, n = self.session.export_retrieved(self.retrieve_code.value, all_coders=bool(self.retrieve_all.value))
        self.note.value = f"Exported {n} passage{'s' * (n != 1)} to <code>{html.escape(str(path))}</code>"

    def _on_no_code(self) -> None:
        self.session.mark_no_code()
        self.session.next()

    def _on_accept(self, suggestion_id: int) -> None:
        note = self.session.accept(suggestion_id)
        if note:
            self.status.value = html.escape(note)

    def _on_undo(self) -> None:
        undone = self.session.undo()
        self.status.value = f"Undid: {html.escape(undone)}" if undone else "Nothing to undo."

    def _on_redo(self) -> None:
        redone = self.session.redo()
        self.status.value = f"Redid: {html.escape(redone)}" if redone else "Nothing to redo."

    def _on_sentence(self) -> None:
        """A new first sentence: the "to" menu offers it (the default: just this sentence) and the ones after it."""
        first = self.sentence.value or 0
        texts = self._sentence_texts if len(self._sentence_texts) == len(self._spans) else [""] * len(self._spans)
        self.sentence_to.options = [(f"sentence {i}" + (" (just this one)" if i == first else "")
                                     + f": {short_text(texts[i], 60)}", i)
                                    for i in range(first, len(self._spans))] if first else []
        self.sentence_to.value = first or None
        self.sentence_to.layout.display = "" if first and len(self._spans) > first + 1 else "none"
        self._render_scope()

    def _on_memo(self) -> None:
        """Add a memo, or save the one being edited."""
        if self._editing and self._editing[0] == self.session.current_id:
            self.session.edit_memo(self._editing[1], self.memo_text.value)
            self.note.value = "Memo saved (Undo restores the previous text)."
        else:
            self.session.memo(self.memo_text.value)
        self._stop_editing()

    def _start_editing(self, memo_id: int, text: str) -> None:
        """Load one of this coder's memos into the memo box; Save memo replaces its text."""
        self._editing = (str(self.session.current_id), int(memo_id))
        self.memo_text.value = text

    def _stop_editing(self) -> None:
        self._editing = None
        self.memo_text.value = ""

    def _on_delete_memo(self, memo_id: int) -> None:
        self.session.delete_memo(memo_id)
        if self._editing and self._editing[1] == memo_id:
            self._stop_editing()
        self.note.value = "Memo deleted (Undo brings it back)."

    # -- rendering -----------------------------------------------------------------------
    def render(self) -> None:
        """Redraw everything from the session state."""
        s = self.session
        self._syncing = True  # the session may have cleared its filters (goto a unit outside them)
        try:
            f = s.filters
            speakers = self._speaker_options(f.source)
            if list(self.speaker.options) != speakers:  # only the chosen source's speakers
                self.speaker.options = speakers
            for box, value in ((self.source, f.source), (self.speaker, f.speaker), (self.wave, f.wave),
                               (self.code_filter, f.code)):
                box.value = value or ""  # "" is "all" (a None value would show an empty dropdown)
            self.uncoded.value, self.has_suggestion.value = f.uncoded, f.has_suggestion
            self.survey_context.value = s.survey_context  # a switched-to coder's remembered choice
        finally:
            self._syncing = False
        coded, total = s.progress()
        self.progress.max, self.progress.value = max(total, 1), coded
        self.progress_label.value = f"{coded} / {total} coded" + ("" if s.coder else " (choose a coder)")
        self.undo_btn.disabled, self.redo_btn.disabled = not s.can_undo(), not s.can_redo()
        if self.retrieval.selected_index == 0:
            self._render_retrieval()
        s.save_state()  # cheap: written only when the position or the filters changed
        if s.current_id is None:
            self.position.value = "<i>No segments match the filters.</i>"
            self.context_html.value = self.coded_html.value = self.memos_html.value = ""
            self._context_unit = None
            self.suggestions_box.children, self._suggestion_rows = (), []
            self.survey_context.layout.display = "none"
            self._scope_unit, self._spans, self.sentence.options = None, [None], [("whole segment", 0)]
            self._render_codes()
            self._render_memos()
            return
        self.survey_context.layout.display = "" if s.is_survey_answer() else "none"
        row = s.current
        title = self._titles.get(str(row["source_id"]), str(row["source_id"]))
        self.position.value = (f"<b>{s.index + 1} / {len(s.order)}</b> &nbsp; {html.escape(title)}"
                               + (f" &middot; wave {html.escape(str(row['wave']))}" if pd.notna(row["wave"]) else ""))
        self._render_context()
        unit = "turn" if row["unit"] == "turn" else "response"
        if self._scope_unit != s.current_id:  # a new unit: offer its sentences, start with the whole unit
            sentences = s.sentences()
            labels = [f"whole {unit}"] + [f"sentence {i}: {short_text(t)}" for i, t in enumerate(sentences["text"], 1)]
            self._scope_unit, self._spans = s.current_id, [None] + [
                (int(a), int(b)) for a, b in zip(sentences["start"], sentences["end"])]
            self._sentence_texts = [""] + [str(t) for t in sentences["text"]]
            self.sentence.options = list(zip(labels, range(len(labels))))
            self.sentence.value = 0
            self._on_sentence()
        self._render_codes()
        self._render_suggestions()
        self._render_memos()

    def _render_memos(self) -> None:
        """The memos on the segment, each with its time; Edit and Delete buttons for this coder's own."""
        w, s = self.w, self.session
        memos = s.memos() if s.current_id is not None else pd.DataFrame(columns=["memo_id", "coder", "text"])
        if self._editing and (self._editing[0] != s.current_id or self._editing[1] not in set(memos["memo_id"])):
            self._stop_editing()  # another segment, or the memo was undone/deleted
        editing = self._editing is not None
        self.add_memo.description, self.add_memo.icon = (
            ("Save memo", "floppy-o") if editing else ("Add memo", "pencil"))
        self.cancel_edit.layout.display = "" if editing else "none"
        own = [m for m in memos.itertuples() if s.coder and m.coder == s.coder]
        number = {int(m.memo_id): i for i, m in enumerate(own, 1)}
        self.memos_html.value = "".join(
            f"<div class='cop-wb-memo'><span class='cop-wb-memo-tag'>"
            f"{'memo' if int(m.memo_id) not in number else f'your memo {number[int(m.memo_id)]}'}</span>"
            f"<b>{html.escape(str(m.coder))}</b> <span class='cop-wb-meta'>{memo_time(m.created_at, m.updated_at)}"
            f"</span>: {html.escape(str(m.text))}</div>" for m in memos.itertuples())
        key = (s.current_id, s.coder, tuple(number), tuple(m.text for m in own))
        if key == self._memo_key:
            return
        self._memo_key, old, self.memo_buttons = key, self.memo_buttons, {}
        buttons: list[Any] = []
        for m in own:
            n, label = number[int(m.memo_id)], f"your memo {number[int(m.memo_id)]}" if len(own) > 1 else "your memo"
            edit = w.Button(description=f"Edit {n}" if len(own) > 1 else "Edit memo", icon="pencil",
                            tooltip=f"Load {label} into the memo box to change it", layout=w.Layout(width="auto"))
            delete = w.Button(description=f"Delete {n}" if len(own) > 1 else "Delete memo", icon="trash",
                              tooltip=f"Delete {label} (Undo brings it back)", layout=w.Layout(width="auto"))
            edit.on_click(self._handler(lambda mid=int(m.memo_id), t=str(m.text): self._start_editing(mid, t)))
            delete.on_click(self._handler(lambda mid=int(m.memo_id): self._on_delete_memo(mid), self.note))
            self.memo_buttons[int(m.memo_id)] = (edit, delete)
            buttons += [edit, delete]
        self.memo_buttons_box.children = tuple(buttons)
        for pair in old.values():
            for btn in pair:
                btn.close()

    def _render_scope(self) -> None:
        """Redraw what depends on the chosen scope (whole unit or one sentence)."""
        if self.session.current_id is not None:
            self._render_context()
        self._render_codes()

    def _render_context(self, fresh: bool = False) -> None:
        """Draw the segment between its neighbours; a new segment (or ``fresh``) gets a new widget, so the
        box opens at its top, on the segment, wherever the last one was scrolled to."""
        s = self.session
        if fresh or self._context_unit != s.current_id:
            old, self.context_html = self.context_html, self._context_widget()
            self.reading_box.children = (self.survey_context, self.context_html)
            old.close()
            self._context_unit = s.current_id
        if self._jump is not None and self._jump[0] != s.current_id:
            self._jump = None  # the retrieved passage is marked until one leaves its segment
        row = s.current
        text, off, sel = str(row["text"]), int(row["start"]), self.scope
        inside = (lambda sp: off <= sp[0] <= sp[1] <= off + len(text))
        marks: list[Any] = [sel] if sel is not None and inside(sel) else []
        if sel is None and s.coder:  # the whole turn: this coder's sentence codings in their codes' colours
            for code_id, span in sorted(s.codings(), key=lambda c: (c[1] or (-1, -1), c[0])):
                if span is not None and inside(span):
                    marks.append((span, s.code_color(code_id), s.code_name(code_id)))
        if self._jump is not None:  # Go: the passage (a whole-segment coding: the whole text)
            _, span, code_id, coders = self._jump
            span = span if span is not None else (off, off + len(text))
            if inside(span):
                marks.append((span, s.code_color(code_id), f"retrieved: {s.code_name(code_id)} ({coders})"))
        before, after = s.context()
        self.context_html.value = context_html(before, row, after, marks)

    def _render_codes(self) -> None:
        s = self.session
        on = s.codes(self.scope) if s.current_id and s.coder else set()
        whole = s.codes(None) if s.current_id and s.coder and self.scope is not None else set()
        counts = s.code_counts()
        for number, (code_id, btn) in enumerate(self.code_buttons.items(), 1):
            n = counts.get(code_id, 0)  # units this coder coded with it
            digit = f"{number} " if number <= 9 else ""  # the key that applies it (see KEY_LEGEND)
            btn.description = digit + (f"{s.codebook[code_id].name} ({n})" if n else s.codebook[code_id].name)
            color = s.codebook[code_id].color
            applied = code_id in on
            btn.style.button_color = color if applied else _tint(color)
            btn.style.text_color = _text_color(color) if applied else "#222222"
            btn.style.font_weight = "bold" if applied else "normal"
            on_turn = code_id in whole and not applied  # applied to the whole unit, a sentence is selected
            btn.style.font_style = "italic" if on_turn else "normal"
            btn.icon = "check" if applied else ("check-square-o" if on_turn else "")
            tip = f"{s.codebook.path(code_id)}: {s.codebook[code_id].definition}" + (
                f" (you coded {n} segment{'s' * (n != 1)} with it)" if n else "")
            tip += f" (key {number})" if number <= 9 else ""
            btn.tooltip = f"Applied to the whole segment. {tip}" if on_turn else tip
            btn.disabled = s.current_id is None or not s.coder
            if not s.coder:
                btn.tooltip = "choose a coder first (type your name in the Coder box)"
        self.no_code_btn.disabled = s.current_id is None or not s.coder
        if not (s.current_id and s.coder):
            self.coded_html.value = ""
            return
        offset, text = int(s.current["start"]), str(s.current["text"])
        chips = []
        for code_id, span in sorted(s.codings(), key=lambda c: (c[1] or (-1, -1), c[0])):
            code = s.codebook[code_id] if code_id in s.codebook else None
            color, name = (code.color, code.name) if code else ("#888888", f"{code_id} (not in codebook)")
            where = "" if span is None else f" — “{short_text(text[span[0] - offset:span[1] - offset], 50)}”"
            chips.append(f"<span class='cop-wb-chip' style='background:{color};color:{_text_color(color)}'>"
                         f"{html.escape(name)}{html.escape(where)}</span>")
        if s.marked_no_code():
            chips.append(NO_CODE_BADGE)
        self.coded_html.value = "Your codes: " + ("".join(chips) or "<i>none yet</i>")

    RETRIEVE_MAX = 200  # rows listed at most (the count says how many there are)
    QUOTE_MAX = 600  # characters of a retrieved passage shown (all of it in the tooltip)

    def _span_label(self, segment_id: str, span: Span | None) -> str:
        """Where in its unit a coded span lies: "sentence 2", "sentences 2–4", "part of a sentence" ("" if whole)."""
        if span is None:
            return ""
        sentences = self.session.sentences(segment_id)
        starts, ends = [int(x) for x in sentences["start"]], [int(x) for x in sentences["end"]]
        if span[0] in starts and span[1] in ends:
            first, last = starts.index(span[0]) + 1, ends.index(span[1]) + 1
            return f"sentence {first}" if first == last else f"sentences {first}\u2013{last}"
        if any(a <= span[0] and span[1] <= b for a, b in zip(starts, ends)):
            return "part of a sentence"
        return "part of the " + ("turn" if self.session.units.loc[segment_id, "unit"] == "turn" else "response")

    def _render_retrieval(self) -> None:
        """The passages coded with the chosen code: quote, source, speaker/respondent, coder; Go jumps to one."""
        w, s = self.w, self.session
        code_id = self.retrieve_code.value
        everyone = bool(self.retrieve_all.value)
        self.export_btn.disabled = not code_id or not (everyone or s.coder)
        if not code_id or self.retrieval.selected_index != 0:
            self._set_retrieved(None, [])
            return
        if not everyone and not s.coder:
            self._set_retrieved(None, [w.HTML("<i>Choose a coder to see your passages, or pick all coders.</i>")])
            return
        rows = s.retrieve(code_id, all_coders=everyone)
        key = (code_id, everyone, s.coder, tuple(map(tuple, rows.astype(str).to_numpy())))
        if key == self._retrieved:  # unchanged: keep the widgets (no new ones at every click)
            return
        passages: dict[tuple[str, Span | None], list[Any]] = {}  # the same passage coded by several coders: one row
        for r in rows.itertuples():
            passages.setdefault((str(r.segment_id), span_of(r.span_start, r.span_end)), []).append(r)
        n_units = rows["segment_id"].nunique()
        head = (f"<b>{len(passages)}</b> passage{'s' * (len(passages) != 1)} in <b>{n_units}</b> segment"
                f"{'s' * (n_units != 1)} coded <b>{html.escape(s.code_name(code_id))}</b>"
                + (" by any coder" if everyone else " by you"))
        if len(passages) > self.RETRIEVE_MAX:
            head += f" (the first {self.RETRIEVE_MAX} listed)"
        items: list[Any] = [w.HTML(head)]
        for (sid, span), coded in list(passages.items())[:self.RETRIEVE_MAX]:
            r, coders = coded[0], ", ".join(dict.fromkeys(str(c.coder) for c in coded))
            go = w.Button(description="Go", icon="arrow-right", tooltip="Show this passage in the coding panel",
                          layout=w.Layout(width="64px", min_width="64px", flex="0 0 auto"))
            go.on_click(self._handler(lambda sid=sid, sp=span, who=coders: self._on_jump(sid, sp, code_id, who)))
            title = self._titles.get(str(r.source_id), str(r.source_id))
            meta = " · ".join(x for x in (title, short_text(r.who, 60), coders) if x)
            where = self._span_label(sid, span)
            quote = w.HTML(f"<span class='cop-wb-quote' title='{html.escape(str(r.quote), quote=True)}'>"
                           f"“{html.escape(short_text(r.quote, self.QUOTE_MAX))}”</span>"
                           + (f" <span class='cop-wb-meta'>({where})</span>" if where else ""),
                           layout=w.Layout(flex="1 1 auto"))
            place = w.HTML(f"<span class='cop-wb-meta'>{html.escape(meta)}</span>",
                           layout=w.Layout(width="340px", min_width="200px", flex="0 1 auto"))
            items.append(w.HBox([go, quote, place], layout=w.Layout(align_items="center")))
        self._set_retrieved(key, items)

    def _set_retrieved(self, key: tuple[Any, ...] | None, items: list[Any]) -> None:
        """Replace the listed passages, closing the old row widgets (they would stay in the kernel)."""
        old, self.retrieve_box.children, self._retrieved = self.retrieve_box.children, tuple(items), key
        for row in old:
            for child in getattr(row, "children", ()):
                child.close()
            row.close()

    def _render_suggestions(self) -> None:
        w, s = self.w, self.session
        rows, self._suggestion_rows = [], []
        for sug in s.suggestions().itertuples():
            code = s.codebook[sug.code_id] if sug.code_id in s.codebook else None
            color, name = (code.color, code.name) if code else ("#888888", f"{sug.code_id} (not in codebook)")
            full = evidence_first(sug.evidence) if isinstance(sug.evidence, str) else ""
            chip = w.HTML(f"<span class='cop-wb-chip' style='border:2px dashed {color}'>"
                          f"{html.escape(name)} {sug.score:.2f}</span>", layout=w.Layout(flex="1 1 auto"))
            tip = html.escape(full, quote=True)
            evidence = w.HTML(f"<div class='cop-wb-meta' style='margin:0 0 4px 8px' title='{tip}'>"
                              f"{html.escape(short_text(full, 200))}</div>" if full else "")
            accept = w.Button(description="Accept", icon="check", button_style="success",
                              layout=w.Layout(width="96px", min_width="96px", flex="0 0 auto"))
            reject = w.Button(description="Reject", icon="times",
                              layout=w.Layout(width="96px", min_width="96px", flex="0 0 auto"))
            accept.on_click(self._handler(lambda sid=int(sug.suggestion_id): self._on_accept(sid)))
            reject.on_click(self._handler(lambda sid=int(sug.suggestion_id): s.reject(sid)))
            evidence.layout = w.Layout(flex="0 0 100%")  # a line of its own, under the chip and the buttons
            rows.append(w.HBox([chip, accept, reject, evidence], layout=w.Layout(flex_flow="row wrap",
                                                                                  align_items="center")))
            self._suggestion_rows.append((accept, reject))
        self.suggestions_box.children = ([w.HTML("<b>Machine suggestions</b>")] + rows) if rows else []


def workbench(project_dir: str | Path | None = None, coder: str | None = None, context: int = 2,
              restore: bool = True) -> Any:
    """Open the coding panel for a project (default: the nearest folder with project.yml above the cwd).

    ``restore``: reopen where the coder (default: the last one) left off: position and filters are
    remembered in ``data/processed/workbench_state.json``.
    """
    return CodingWorkbench(project_dir, coder, context, restore).show()
