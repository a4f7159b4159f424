"""Compare coders: intercoder agreement per code and adjudication of disagreements, in the workbench.

:class:`CompareSession` is the logic without widgets: it computes agreement from the ledger
(:func:`cop_analysis.agreement.agreement`) for the chosen coders and scope, lists the
disagreements and records consensus decisions; :class:`ComparePanel` renders it with ipywidgets.
Each decision is one ledger transaction by the coder ``consensus``: the compared coders' own
codings are never touched, and the ledger stays the source of truth (nothing is cached beyond a
refresh). User docs: ``docs/workbench.md`` ("Comparing coders").
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cop_analysis.agreement import CONSENSUS, AgreementResult, agreement, record_consensus
from cop_analysis.workbench import (
    PANEL_CSS,
    CodingSession,
    Span,
    WorkbenchError,
    context_html,
    find_project_root,
    respondent_label,
    short_text,
    span_of,
    widget_action,
)

log = logging.getLogger(__name__)
APPLY, NOT_APPLY = "apply", "do not apply"
MIN_SHARED = 10  # fewer segments seen by all compared coders: the figures are flagged as unreliable
KIND_LABELS = {"transcript": "transcript turns", "survey": "survey responses"}
TABLE_COLUMNS = ["code_id", "code", "n_segments", "n_applied", "percent_agreement", "cohen_kappa",
                 "krippendorff_alpha", "n_disagreements", "note"]
ITEM_COLUMNS = ["segment_id", "code_id", "code", "text", "applied_by", "not_applied_by", "decision"]


def coders_seen(ledger: Any, scope: Collection[str] | None = None) -> dict[str, set[str]]:
    """{coder: segment ids they coded or marked "No code applies" (within ``scope``)} for the human coders
    with any coding or mark, in ledger order (``consensus`` included)."""
    from cop_analysis.ledger import RESERVED_CODERS

    cols = ["segment_id", "coder"]
    rows = pd.concat([ledger.codings()[cols], ledger.reviewed()[cols]])
    active = set(rows["coder"])
    if scope is not None:
        rows = rows[rows["segment_id"].isin(scope)]
    return {c: set(rows.loc[rows["coder"] == c, "segment_id"].astype(str))
            for c in ledger.coders() if c in active and c not in RESERVED_CODERS}


def sharing_group(names: Sequence[str], seen: dict[str, set[str]]) -> list[str]:
    """The largest group of ``names`` sharing enough segments (``seen``: segment ids per coder).

    The pair sharing most segments, then, one at a time, the coder who keeps most segments seen by
    all, while at least :data:`MIN_SHARED` remain. When no pair shares that many, the pair sharing
    most. In the order of ``names``.
    """
    if len(names) <= 2:
        return list(names)
    best = max(((a, b) for i, a in enumerate(names) for b in names[i + 1:]),
               key=lambda p: len(seen[p[0]] & seen[p[1]]))  # first of the ties in ledger order
    group, shared = list(best), seen[best[0]] & seen[best[1]]
    while len(shared) >= MIN_SHARED:
        rest = [c for c in names if c not in group]
        if not rest:
            break
        add = max(rest, key=lambda c: len(shared & seen[c]))
        if len(shared & seen[add]) < MIN_SHARED:
            break
        group.append(add)
        shared = shared & seen[add]
    return [c for c in names if c in group]


class CompareSession:
    """Agreement between chosen coders over a scope of coding units, and adjudication of their disagreements.

    ``coders``: whom to compare (None: :meth:`default_coders`); ``kind``: ``transcript`` or
    ``survey`` units only; ``source``: one source only. Call :meth:`refresh` to (re)compute.
    """

    def __init__(self, project_dir: str | Path, coders: Sequence[str] | None = None, kind: str | None = None,
                 source: str | None = None, context: int = 2, consensus: str = CONSENSUS) -> None:
        self.view = CodingSession(project_dir, context=context)  # units, context, codebook and ledger
        self.cfg, self.codebook, self.ledger = self.view.cfg, self.view.codebook, self.view.ledger
        self.coders = list(coders) if coders is not None else None
        self.kind, self.source, self.consensus = kind, source, consensus
        self.result: AgreementResult | None = None
        self.table = pd.DataFrame(columns=TABLE_COLUMNS)
        self.items = pd.DataFrame(columns=ITEM_COLUMNS)
        self.index = 0
        self.code_filter: str | None = None  # show only this code's disagreements (None: all)
        self._codings = pd.DataFrame(columns=["segment_id", "code_id", "coder", "span_start", "span_end"])
        self._titles: dict[str, str] | None = None

    # -- choosing what to compare ---------------------------------------------------------
    def available_coders(self) -> list[str]:
        """Human coders with codings or "no code applies" marks, in ledger order (``consensus`` included)."""
        return list(coders_seen(self.ledger))

    def seen(self) -> dict[str, set[str]]:
        """Segments (in the chosen kind/source) each available coder coded or marked "No code applies"."""
        return coders_seen(self.ledger, self.scope_ids())

    def default_coders(self) -> list[str]:
        """The coders compared when none are chosen: :func:`sharing_group` of the available coders but
        the consensus coder, so a coder who has barely started is not ticked by default."""
        return sharing_group([c for c in self.available_coders() if c != self.consensus], self.seen())

    def options(self) -> dict[str, list[str]]:
        """Values the kind and source restrictions can take."""
        units = self.view.units
        return {"kind": sorted(set(units["kind"].dropna().astype(str))),
                "source": sorted(set(units["source_id"].dropna().astype(str)))}

    def scope_ids(self) -> set[str] | None:
        """Coding units in the chosen kind/source (None: no restriction)."""
        if self.kind is None and self.source is None:
            return None
        units = self.view.units
        if self.kind is not None:
            units = units[units["kind"].astype(str) == self.kind]
        if self.source is not None:
            units = units[units["source_id"].astype(str) == self.source]
        return set(units.index)

    # -- computing -----------------------------------------------------------------------
    def refresh(self) -> AgreementResult:
        """Re-read the ledger and recompute the per-code table and the disagreement list."""
        self.result, self.table, self.items = None, self.table.iloc[0:0], self.items.iloc[0:0]
        coders = self.coders if self.coders is not None else self.default_coders()
        if len(coders) < 2:
            have = ", ".join(self.available_coders()) or "none yet"
            raise WorkbenchError(f"pick at least two coders to compare (coders with codings: {have})")
        codings, reviewed = self.ledger.codings(), self.ledger.reviewed()
        scope = self.scope_ids()
        if scope is not None:
            codings = codings[codings["segment_id"].isin(scope)]
            reviewed = reviewed[reviewed["segment_id"].isin(scope)]
        extra = sorted(set(codings["code_id"]) - set(self.codebook.ids))  # codes no longer in the codebook
        codes = [c.id for c in self.codebook.codes if c.codable] + extra
        res = agreement(codings, coders=coders, reviewed=reviewed, codes=codes)
        self._codings = codings[codings["coder"].isin(coders)]
        counts = res.disagreements["code_id"].value_counts()
        table = res.per_code.assign(code=[self.code_name(c) for c in res.per_code["code_id"]],
                                    n_disagreements=[int(counts.get(c, 0)) for c in res.per_code["code_id"]])
        texts = self.view.units["text"]
        items = res.disagreements.assign(
            code=[self.code_name(c) for c in res.disagreements["code_id"]],
            text=[str(texts[s]) if s in texts.index else "" for s in res.disagreements["segment_id"]], decision=None)
        self.result, self.table, self.items = res, table[TABLE_COLUMNS], items[ITEM_COLUMNS].reset_index(drop=True)
        if self.code_filter is not None and self.code_filter not in set(self.items["code_id"]):
            self.code_filter = None  # that code has no disagreements (left) in this comparison
        self.index = min(self.index, max(len(self.items) - 1, 0))
        self._load_decisions()
        self._keep_visible()
        return res

    def code_name(self, code_id: str) -> str:
        return self.codebook[code_id].name if code_id in self.codebook else f"{code_id} (not in codebook)"

    def decisions(self) -> dict[tuple[str, str], str]:
        """The consensus coder's standing decision per (segment_id, code_id): ``apply`` or ``do not apply``.

        ``apply``: consensus holds a coding of the code there; ``do not apply``: it does not, and a
        "do not apply" (an uncode by consensus, even one that removed nothing) is in effect.
        """
        held = self.ledger.codings(self.consensus)
        history = self.ledger.history(coder=self.consensus).sort_values("event_id", ascending=False)
        reversed_ids: set[int] = set()  # events reversed by a later undo/redo that is itself in effect
        for event_id, target, effective in zip(history["event_id"], history["undoes_event_id"], history["effective"]):
            if event_id not in reversed_ids and effective and pd.notna(target):
                reversed_ids.add(int(target))
        refused = history[(history["action"] == "uncode") & ~history["event_id"].isin(reversed_ids)]
        out = {(str(s), str(c)): NOT_APPLY for s, c in zip(refused["segment_id"], refused["code_id"])}
        out.update({(str(s), str(c)): APPLY for s, c in zip(held["segment_id"], held["code_id"])})
        return out

    def _load_decisions(self) -> None:
        decided = self.decisions()
        self.items["decision"] = pd.Series([decided.get((s, c)) for s, c in zip(self.items["segment_id"],
                                                                                  self.items["code_id"])],
                                           index=self.items.index, dtype=object)  # None: not adjudicated

    def progress(self, code_id: str | None = None) -> tuple[int, int]:
        """(adjudicated disagreements, disagreements), of one code with ``code_id``."""
        items = self.items if code_id is None else self.items[self.items["code_id"] == code_id]
        return int(items["decision"].notna().sum()), len(items)

    # -- filtering the disagreements by code ----------------------------------------------------
    def code_counts(self) -> list[tuple[str, str, int, int]]:
        """(code_id, name, disagreements, still open) of each code with disagreements, in table order."""
        out = []
        for code_id in self.table["code_id"]:
            done, total = self.progress(code_id)
            if total:
                out.append((str(code_id), self.code_name(code_id), total, total - done))
        return out

    def shown(self) -> list[int]:
        """Positions in :attr:`items` of the disagreements listed under the code filter."""
        if self.code_filter is None:
            return list(range(len(self.items)))
        return [int(i) for i in self.items.index[self.items["code_id"] == self.code_filter]]

    def set_code_filter(self, code_id: str | None) -> None:
        """List only ``code_id``'s disagreements (None: all); selects the first open one of them."""
        if code_id is not None and code_id not in set(self.items["code_id"]):
            raise WorkbenchError(f"no disagreements on {self.code_name(code_id)}")
        self.code_filter = code_id
        self._keep_visible(prefer_open=True)

    def _keep_visible(self, prefer_open: bool = False) -> None:
        """Move the selection into the filtered list when it is not in it (an open one if ``prefer_open``)."""
        shown = self.shown()
        if not shown or self.index in shown:
            return
        open_ = [i for i in shown if pd.isna(self.items["decision"].iloc[i])]
        self.index = (open_ or shown)[0] if prefer_open else shown[0]

    # -- the selected disagreement ----------------------------------------------------------
    @property
    def current(self) -> pd.Series | None:
        """The selected disagreement (None: none, or none under the code filter)."""
        return self.items.iloc[self.index] if self.index in self.shown() else None

    def select(self, index: int) -> None:
        """Select a disagreement by its position in :attr:`items`."""
        if not 0 <= index < len(self.items):
            raise WorkbenchError(f"no disagreement {index + 1} (there are {len(self.items)})")
        if index not in self.shown():
            raise WorkbenchError(f"disagreement {index + 1} is not about {self.code_name(str(self.code_filter))}")
        self.index = index

    def next_open(self) -> bool:
        """Select the next disagreement not yet adjudicated (after the current one, wrapping, within the
        code filter); False if none."""
        shown = self.shown()
        after = [i for i in shown if i > self.index] + [i for i in shown if i <= self.index]
        for i in after:
            if pd.isna(self.items["decision"].iloc[i]):
                self.index = i
                return True
        return False

    def origin(self) -> tuple[str, str]:
        """(source, who) of the selected disagreement's unit: the source's title (its path if it has
        none) and the speaker, or for a survey answer the respondent and the question ("" if unknown)."""
        sid = str(self._require_current()["segment_id"])
        units = self.view.units
        if sid not in units.index:
            return "", ""
        row = units.loc[sid]
        if self._titles is None:
            self._titles = self.view.source_titles()
        source = str(row["source_id"])
        title = self._titles.get(source, source)
        if pd.notna(row.get("question")) or pd.notna(row.get("respondent_id")):
            who = " · ".join(part for part in (
                respondent_label(row["respondent_id"]) if pd.notna(row.get("respondent_id")) else "",
                f"Q: {row['question']}" if pd.notna(row.get("question")) else "") if part)
        else:
            who = str(row["speaker"]) if pd.notna(row.get("speaker")) else ""
        return title, who

    def coder_decisions(self) -> list[tuple[str, bool, list[Span | None]]]:
        """Each compared coder's (name, applied, spans) for the selected code on the selected segment."""
        row = self._require_current()
        mine = self._codings[(self._codings["segment_id"] == row["segment_id"])
                             & (self._codings["code_id"] == row["code_id"])]
        assert self.result is not None
        out = []
        for coder in self.result.coders:
            rows = mine[mine["coder"] == coder]
            out.append((coder, bool(len(rows)), [span_of(a, b) for a, b in zip(rows["span_start"], rows["span_end"])]))
        return out

    def memos(self) -> pd.DataFrame:
        """Memos of any coder on the selected segment, oldest first (``code_id`` set when about one code)."""
        row = self._require_current()
        memos = self.ledger.memos()
        return memos[memos["segment_id"] == row["segment_id"]].sort_values("created_at")

    def context(self) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame] | None:
        """(units before, the unit, units after) of the selected segment; None if it is no longer in the data."""
        sid = str(self._require_current()["segment_id"])
        if sid not in self.view.units.index:
            return None
        self.view.goto(sid)
        before, after = self.view.context()
        return before, self.view.current, after

    def _require_current(self) -> pd.Series:
        row = self.current
        if row is None:
            raise WorkbenchError("no disagreement selected")
        return row

    # -- adjudication (each decision is one ledger transaction) ---------------------------------
    def decide(self, apply: bool) -> str:
        """Record the consensus decision on the selected disagreement, then select the next open one."""
        row = self._require_current()
        record_consensus(self.ledger, [{"segment_id": row["segment_id"], "code_id": row["code_id"], "apply": apply}],
                         coder=self.consensus, codings=self._codings)  # the compared coders' spans
        self._load_decisions()
        self.next_open()
        return f"{self.consensus}: {APPLY if apply else NOT_APPLY} {row['code']}"

    def can_undo(self) -> bool:
        """Whether the consensus coder has a decision to undo."""
        return bool(self.ledger.can_undo(self.consensus))

    def undo(self) -> str | None:
        """Undo the consensus coder's last decision (``Ledger.undo(consensus)``), select it if it is listed.

        Returns what was undone (e.g. ``"consensus: apply Trust"``), None when there is nothing to undo.
        One call undoes one ledger action: one Apply / Do not apply click, or one of the codings
        that "Add agreed codes" recorded.
        """
        event_id = self.ledger.undo(self.consensus)
        if event_id is None:
            return None
        history = self.ledger.history(coder=self.consensus).set_index("event_id")
        undo = history.loc[event_id]
        target = history.loc[int(undo["undoes_event_id"])]
        action = str(target["action"])
        if action == "redo" and pd.notna(target["undoes_event_id"]):  # undoing a redo: name the original action
            action = str(history.loc[int(history.loc[int(target["undoes_event_id"])]["undoes_event_id"])]["action"])
        segment_id, code_id = str(undo["segment_id"]), str(undo["code_id"])
        self._load_decisions()
        hit = self.items.index[(self.items["segment_id"] == segment_id) & (self.items["code_id"] == code_id)]
        if len(hit) and int(hit[0]) in self.shown():
            self.index = int(hit[0])
        what = {"code": APPLY, "uncode": NOT_APPLY}.get(action, action)
        return f"{self.consensus}: {what} {self.code_name(code_id)}"

    def record_agreed(self) -> int:
        """Give the consensus coder every code all compared coders agreed on; returns how many were added.

        Pairs the consensus coder already holds or decided are left alone.
        """
        if self.result is None:
            raise WorkbenchError("nothing computed yet: press Refresh")
        decided = self.decisions()
        todo = [{"segment_id": s, "code_id": c, "apply": True}
                for s, c in self.result.agreed.itertuples(index=False) if (s, c) not in decided]
        if todo:
            record_consensus(self.ledger, todo, coder=self.consensus, codings=self._codings)
        return len(todo)


# -- view --------------------------------------------------------------------------------
# the context of the selected disagreement: its own scroll, so the panel keeps its height
CONTEXT_BOX_STYLE = ("max-height: 45vh; min-height: 240px; overflow-y: auto; border: 1px solid #e3e3e3;"
                     " border-radius: 4px; padding: 0 4px;")


def _names(coders: Any) -> list[str]:
    """The coder names in an ``applied_by`` / ``not_applied_by`` cell (``"ana, ben"``)."""
    return [c.strip() for c in str(coders).split(",") if c.strip()] if isinstance(coders, str) else []


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0%}" if percent else f"{value:.2f}"


class ComparePanel:
    """The ipywidgets "Compare coders" panel over a :class:`CompareSession`; ``show()`` returns the widget."""

    def __init__(self, project_dir: str | Path | None = None, coders: Sequence[str] | None = None,
                 kind: str | None = None, source: str | None = None, context: int = 2) -> None:
        import ipywidgets as w

        self.w = w
        root = Path(project_dir) if project_dir else find_project_root()
        self.session = s = CompareSession(root, coders, kind, source, context)
        opts = s.options()
        self.status = w.HTML()
        self.coder_boxes: dict[str, Any] = {}
        self.coders_row = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.kind = w.Dropdown(options=[("all kinds", "")] + [(KIND_LABELS.get(k, k), k) for k in opts["kind"]],
                               value=kind or "", description="Kind")
        titles = s.view.source_titles()
        self.source = w.Dropdown(options=[("all sources", "")] + [(titles.get(v, v), v) for v in opts["source"]],
                                 value=source or "", description="In source")
        self.refresh_btn = w.Button(description="Refresh", icon="refresh", tooltip="Re-read the ledger and recompute")
        self.overall = w.HTML()
        self.table_html = w.HTML()
        self.progress = w.HTML()
        self.code_filter = w.Dropdown(options=[("all codes", "")], value="", description="Disagreements in",
                                      layout=w.Layout(width="auto"), style={"description_width": "initial"},
                                      tooltip="List only one code's disagreements (disagreements, still open)")
        self.disagreements = w.Select(description="Disagreements", rows=8, layout=w.Layout(width="95%"),
                                      style={"description_width": "initial"})
        self.position = w.HTML()
        self.context_html = w.HTML()
        self.decisions_html = w.HTML()
        self.memos_html = w.HTML()
        self.apply_btn = w.Button(description="Apply (consensus)", icon="check", button_style="success",
                                  layout=w.Layout(width="auto"))
        self.not_apply_btn = w.Button(description="Do not apply (consensus)", icon="times",
                                      layout=w.Layout(width="auto"))
        self.next_open_btn = w.Button(description="Next open", icon="forward", layout=w.Layout(width="auto"),
                                      tooltip="The next disagreement not yet adjudicated")
        self.agreed_btn = w.Button(description="Add agreed codes to consensus", icon="plus",
                                   layout=w.Layout(width="auto"),
                                   tooltip="Record every code all compared coders applied as a consensus coding")
        self.undo_btn = w.Button(description="Undo last consensus decision", icon="undo", layout=w.Layout(width="auto"),
                                 tooltip="Undo the last decision recorded as the consensus coder")

        self._syncing = False
        on_scope = self._handler(self._on_scope)
        for box in (self.kind, self.source):
            box.observe(lambda _c: None if self._syncing else on_scope(), "value")
        self.refresh_btn.on_click(self._handler(self._on_refresh))
        on_select = self._handler(lambda: s.select(int(self.disagreements.value)))
        self.disagreements.observe(
            lambda _c: None if self._syncing or self.disagreements.value is None else on_select(), "value")
        self.apply_btn.on_click(self._handler(lambda: self._on_decide(True)))
        self.not_apply_btn.on_click(self._handler(lambda: self._on_decide(False)))
        self.next_open_btn.on_click(self._handler(self._on_next_open))
        self.agreed_btn.on_click(self._handler(self._on_agreed))
        self.undo_btn.on_click(self._handler(self._on_undo))
        on_code = self._handler(lambda: s.set_code_filter(self.code_filter.value or None))
        self.code_filter.observe(lambda _c: None if self._syncing else on_code(), "value")

        self.widget = w.VBox([
            w.HTML(PANEL_CSS + "<style>.cop-cmp td, .cop-cmp th {padding: 2px 8px; text-align: right;}"
                   " .cop-cmp td:first-child, .cop-cmp td:last-child, .cop-cmp th:first-child, .cop-cmp th:last-child"
                   " {text-align: left;}"
                   f" .cop-cmp-ctx {{{CONTEXT_BOX_STYLE}}}"
                   # the turns before: a short strip scrolled to its end, so the disagreement's own
                   # segment shows near the top of the box
                   " .cop-cmp-ctx .cop-wb-before {display: flex; flex-direction: column-reverse;"
                   " max-height: 7.5em; overflow-y: auto;}"
                   "</style><h3>Compare coders</h3>"),
            w.HBox([w.Label("Coders"), self.coders_row]),
            w.HBox([self.kind, self.source, self.refresh_btn]),
            self.overall, self.table_html, w.HBox([self.progress, self.code_filter]), self.disagreements,
            # the decision sits right under the list, above the context: the buttons do not move from
            # one disagreement to the next, and the context scrolls in its own box
            self.position, self.decisions_html,
            w.HBox([self.apply_btn, self.not_apply_btn, self.next_open_btn, self.undo_btn, self.agreed_btn],
                   layout=w.Layout(flex_flow="row wrap")),
            self.status, self.context_html, self.memos_html,
        ], layout=w.Layout(max_width="1100px"))
        self._handler(self._on_refresh)()

    def show(self) -> Any:
        """The panel widget (display it, or leave it as a notebook cell's last expression)."""
        return self.widget

    def _handler(self, action: Callable[..., Any]) -> Callable[..., None]:
        return widget_action(action, self.status, self.render, log)

    # -- handlers ------------------------------------------------------------------------
    def _on_refresh(self) -> None:
        self._sync_coders()
        self.session.refresh()

    def _on_scope(self) -> None:
        self.session.kind, self.session.source = self.kind.value or None, self.source.value or None
        self.session.refresh()

    def _on_coders(self) -> None:
        self.session.coders = [c for c, box in self.coder_boxes.items() if box.value]
        self.session.refresh()

    def _on_decide(self, apply: bool) -> None:
        done, total = self.session.progress()
        what = self.session.decide(apply)
        finished = " All disagreements are adjudicated." if self.session.progress()[0] == total > done else ""
        self.status.value = html.escape(f"Recorded {what}.{finished}")

    def _on_next_open(self) -> None:
        if not self.session.next_open():
            self.status.value = "No open disagreements left."

    def _on_undo(self) -> None:
        what = self.session.undo()
        self.status.value = "Nothing to undo." if what is None else html.escape(f"Undid {what}.")

    def _on_agreed(self) -> None:
        n = self.session.record_agreed()
        self.status.value = f"Added {n} agreed coding{'s' if n != 1 else ''} to {html.escape(self.session.consensus)}."

    def _sync_coders(self) -> None:
        """One checkbox per available coder; the ticks stay as they are.

        At first the default choice is ticked; coders who appear later (on Refresh) are added
        unticked, so a new coder does not silently shrink "segments seen by all". Only while fewer
        than two coders are ticked (nothing to compare yet) are new coders ticked.
        """
        s, w = self.session, self.w
        if not self.coder_boxes and s.coders is not None:  # coders chosen when the panel was opened
            chosen = list(s.coders)
        else:
            chosen = [c for c, box in self.coder_boxes.items() if box.value]
            if len(chosen) < 2:
                chosen += [c for c in s.default_coders() if c not in self.coder_boxes]
        on_coders = self._handler(self._on_coders)
        for name in s.available_coders():
            if name not in self.coder_boxes:
                box = w.Checkbox(value=name in chosen, description=name, indent=False, layout=w.Layout(width="auto"))
                box.observe(lambda _c: None if self._syncing else on_coders(), "value")
                self.coder_boxes[name] = box
        self.coders_row.children = tuple(self.coder_boxes.values())
        if self.coder_boxes:
            s.coders = [c for c, box in self.coder_boxes.items() if box.value]

    # -- rendering -----------------------------------------------------------------------
    def render(self) -> None:
        """Redraw everything from the session state."""
        s = self.session
        res = s.result
        if res is None:
            self.overall.value = self.table_html.value = self.progress.value = ""
        else:
            o = res.overall
            self.overall.value = (
                f"<b>{len(res.coders)} coders</b> ({html.escape(', '.join(res.coders))}) &middot; "
                f"{o['n_segments']} segments seen by all &middot; pooled agreement {_fmt(o['percent_agreement'], True)}"
                f", kappa {_fmt(o['cohen_kappa'])}, alpha {_fmt(o['krippendorff_alpha'])}")
            if o["n_segments"] < MIN_SHARED:
                self.overall.value += (
                    f"<div class='cop-cmp-warn' style='color:#8a4b00;background:#fff4e0;padding:2px 6px'>&#9888; "
                    f"Only {o['n_segments']} segment{'s' if o['n_segments'] != 1 else ''} seen by all "
                    f"{len(res.coders)} ticked coders (fewer than {MIN_SHARED}): these agreement figures are "
                    "not reliable. Untick coders who have not coded the same segments.</div>")
            head = "".join(f"<th>{h}</th>" for h in ("Code", "Segments seen by all", "Applied", "% agreement",
                                                     "Cohen's kappa", "Krippendorff's alpha", "Disagreements", "Note"))
            rows = "".join(
                f"<tr><td>{html.escape(r.code)}</td><td>{r.n_segments}</td><td>{r.n_applied}</td>"
                f"<td>{_fmt(r.percent_agreement, True)}</td><td>{_fmt(r.cohen_kappa)}</td>"
                f"<td>{_fmt(r.krippendorff_alpha)}</td><td>{r.n_disagreements}</td><td>{html.escape(r.note)}</td></tr>"
                for r in s.table.itertuples())
            self.table_html.value = f"<table class='cop-cmp'><tr>{head}</tr>{rows}</table>"
            done, total = s.progress()
            self.progress.value = f"<b>{done} / {total} adjudicated</b>"
        self._syncing = True
        try:
            def counts(n: int, n_open: int) -> str:
                return f"({n}, {n_open} open)" if n_open else f"({n}, all adjudicated)"

            done, total = s.progress()
            codes = [(f"all codes {counts(total, total - done)}", "")] + [
                (f"{name} {counts(n, n_open)}", code_id) for code_id, name, n, n_open in s.code_counts()]
            if list(self.code_filter.options) != codes:
                self.code_filter.options = codes
            self.code_filter.value = s.code_filter or ""
            shown = s.shown()
            self.disagreements.options = [(self._label(s.items.iloc[i], n), i) for n, i in enumerate(shown, 1)]
            self.disagreements.value = s.index if s.index in shown else None
        finally:
            self._syncing = False
        self._render_current()

    def _label(self, r: pd.Series, number: int) -> str:
        """One line of the list, short enough not to be cut: who applied the code (✓) and who did not
        (✗) come before the start of the text, e.g. ``[open] 3 · Trust · ana ✓ ben ✗ · “We joined…”``;
        the coders always in the same order."""
        mark = {APPLY: "[✓ applied]", NOT_APPLY: "[✗ not applied]"}.get(r["decision"], "[open]")
        applied, not_applied = _names(r["applied_by"]), _names(r["not_applied_by"])
        order = self.session.result.coders if self.session.result is not None else applied + not_applied
        who = " ".join(f"{c} {'✓' if c in applied else '✗'}" for c in order if c in applied or c in not_applied)
        return f"{mark} {number} · {short_text(r['code'], 30)} · {who} · “{short_text(r['text'], 36)}”"

    def _render_current(self) -> None:
        s = self.session
        row = s.current
        for btn in (self.apply_btn, self.not_apply_btn, self.next_open_btn):
            btn.disabled = row is None
        self.agreed_btn.disabled = s.result is None
        self.undo_btn.disabled = not s.can_undo()
        if row is None:
            self.position.value = "" if s.result is None else "<i>No disagreements.</i>"
            self.context_html.value = self.decisions_html.value = self.memos_html.value = ""
            return
        decided = {APPLY: "consensus: <b>apply</b>", NOT_APPLY: "consensus: <b>do not apply</b>"}.get(
            row["decision"], "not adjudicated yet")
        listed = s.shown()
        title, who = s.origin()
        where = "".join(f"{html.escape(part)} &middot; " for part in (title, who) if part)
        self.position.value = (f"<b>{listed.index(s.index) + 1} / {len(listed)}</b> &nbsp; {where}"
                               f"<b>{html.escape(row['code'])}</b> &middot; {decided}")
        decisions = s.coder_decisions()
        shown = s.context()
        if shown is None:
            self.context_html.value = "<i>This segment is no longer in the data.</i>"
        else:
            before, unit, after = shown
            marks = [span for _, _, spans in decisions for span in spans if span is not None]
            # a new element per disagreement (data-item), so its scroll starts at the top each time
            self.context_html.value = (f"<div class='cop-cmp-ctx' data-item='{s.index}'>"
                                       f"{context_html(before, unit, after, marks)}</div>")
        parts = []
        for coder, applied, spans in decisions:
            narrowed = [sp for sp in spans if sp is not None]
            where = f" (to {len(narrowed)} sentence{'s' if len(narrowed) > 1 else ''}, highlighted)" if narrowed else ""
            parts.append(f"<b>{html.escape(coder)}</b>: {'applied' if applied else 'did not apply'}{where}")
        self.decisions_html.value = " &middot; ".join(parts)
        self.memos_html.value = "".join(
            f"<div class='cop-wb-memo'>&#128221; <b>{html.escape(str(m.coder))}</b>"
            + (f" on {html.escape(s.code_name(m.code_id))}" if isinstance(m.code_id, str) else "")
            + f": {html.escape(str(m.text))}</div>" for m in s.memos().itertuples())


def compare(project_dir: str | Path | None = None, coders: Sequence[str] | None = None, kind: str | None = None,
            source: str | None = None, context: int = 2) -> Any:
    """Open the "Compare coders" panel for a project (default: the nearest folder with project.yml above the cwd)."""
    return ComparePanel(project_dir, coders, kind, source, context).show()
