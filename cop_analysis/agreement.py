"""Intercoder agreement: percent agreement, Cohen's kappa and Krippendorff's alpha, per code and pooled.

Each code is treated as a presence/absence decision per segment: a coder "applied" a code to a
segment when they have any coding of it there (any sub-span). Only segments every compared coder
has seen count (the *universe*): by default a coder has seen a segment when they coded it or
marked it reviewed (``Ledger.mark_reviewed``); pass ``segments=`` to state the universe explicitly
(e.g. the segments of a double-coded sample). See ``docs/ledger.md``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CONSENSUS = "consensus"
# column headings of ``AgreementResult.per_code`` for readers (reports)
COLUMN_LABELS = {"n_segments": "Units double-coded", "n_applied": "Applied", "percent_agreement": "Agreement",
                 "cohen_kappa": "Cohen's κ", "krippendorff_alpha": "Krippendorff's α", "note": "Note"}


@dataclass
class AgreementResult:
    """Agreement tables. ``per_code``/``pairwise``/``disagreements``/``agreed`` are DataFrames."""

    per_code: Any
    pairwise: Any
    overall: dict[str, Any]
    disagreements: Any
    agreed: Any
    coders: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)

    def summary(self) -> str:
        o = self.overall
        return (f"{len(self.coders)} coders ({', '.join(self.coders)}), {len(self.segments)} shared segments, "
                f"{o['n_codes_applied']} codes applied: pooled agreement "
                f"{format_number(o['percent_agreement'], '.1%')}, kappa {format_number(o['cohen_kappa'])}, "
                f"alpha {format_number(o['krippendorff_alpha'])}; "
                f"{len(self.disagreements)} disagreements to adjudicate")


def format_number(value: float, spec: str = ".3f") -> str:
    """``value`` formatted with ``spec``, or "-" when it is NaN (undefined: nothing shared, no variation)."""
    return "-" if value != value else format(value, spec)


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary vectors; NaN when chance agreement is 1 (both coders constant and equal)."""
    if len(a) == 0:
        return math.nan
    po = float(np.mean(a == b))
    pa, pb = float(np.mean(a)), float(np.mean(b))
    pe = pa * pb + (1 - pa) * (1 - pb)
    return math.nan if math.isclose(pe, 1.0) else (po - pe) / (1 - pe)


def krippendorff_alpha(matrix: np.ndarray) -> float:
    """Nominal Krippendorff's alpha of a coders x units matrix; NaN without variation."""
    if matrix.size == 0 or len(np.unique(matrix)) < 2:
        return math.nan
    import krippendorff

    return float(krippendorff.alpha(reliability_data=matrix.astype(float), level_of_measurement="nominal"))


def _stats(matrix: np.ndarray, coders: Sequence[str]) -> tuple[float, float, float, list[dict[str, Any]]]:
    """(mean pairwise % agreement, mean pairwise kappa, alpha, pair rows) of a coders x units 0/1 matrix."""
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(coders), 2):
        po = float(np.mean(matrix[i] == matrix[j])) if matrix.shape[1] else math.nan
        pairs.append({"coder_a": a, "coder_b": b, "percent_agreement": po,
                      "cohen_kappa": cohen_kappa(matrix[i], matrix[j])})
    kappas = [p["cohen_kappa"] for p in pairs if not math.isnan(p["cohen_kappa"])]
    agreement = float(np.mean([p["percent_agreement"] for p in pairs])) if matrix.shape[1] else math.nan
    return agreement, float(np.mean(kappas)) if kappas else math.nan, krippendorff_alpha(matrix), pairs


def agreement(codings_df: Any, coders: Sequence[str] | None = None, segments: Iterable[str] | None = None,
              reviewed: Any = None, codes: Iterable[str] | None = None) -> AgreementResult:
    """Agreement of 2+ coders over the segments all of them saw.

    ``codings_df``: segment_id, code_id, coder (e.g. ``Ledger.codings()``). ``coders``: whom to
    compare (default: everyone except ``consensus``). ``segments``: the explicit universe; otherwise
    the segments each coder coded or marked reviewed (``reviewed``: segment_id, coder). ``codes``:
    codes to report (default: those the coders applied anywhere); codes nobody applied on the shared
    segments get NaN with a note and are left out of the pooled figures.
    """
    import pandas as pd

    rows = codings_df[["segment_id", "code_id", "coder"]].astype(str)
    seen_rows = rows[["segment_id", "coder"]]
    if reviewed is not None and len(reviewed):
        seen_rows = pd.concat([seen_rows, reviewed[["segment_id", "coder"]].astype(str)])
    coders = list(coders) if coders is not None else sorted(set(seen_rows["coder"]) - {CONSENSUS})
    if len(coders) < 2:
        raise ValueError(f"agreement needs at least two coders, got {coders}")
    if segments is not None:
        universe = sorted({str(s) for s in segments})
    else:
        seen = [set(seen_rows.loc[seen_rows["coder"] == c, "segment_id"]) for c in coders]
        universe = sorted(set.intersection(*seen))
    rows = rows[rows["coder"].isin(coders)].drop_duplicates()
    code_ids = list(dict.fromkeys(codes)) if codes is not None else sorted(set(rows["code_id"]))
    rows = rows[rows["segment_id"].isin(universe)]
    seg_index, coder_index = {s: i for i, s in enumerate(universe)}, {c: i for i, c in enumerate(coders)}

    per_code, pairwise, disagreements, agreed, pooled = [], [], [], [], []
    for code_id in code_ids:
        matrix = np.zeros((len(coders), len(universe)), dtype=np.int8)
        for seg, coder in rows.loc[rows["code_id"] == code_id, ["segment_id", "coder"]].itertuples(index=False):
            matrix[coder_index[coder], seg_index[seg]] = 1
        n_applied = int(matrix.sum())
        pct, kappa, alpha, pairs = _stats(matrix, coders)
        note = ""
        if not universe:
            note = "no segment was seen by all coders"
        elif n_applied == 0:
            note = "no coder applied it on the shared segments"
            pct = kappa = alpha = math.nan
        elif n_applied == matrix.size:
            note = "every coder applied it to every segment (no variation)"
        elif math.isnan(kappa):
            note = "kappa undefined: every pair had one constant value"
        if n_applied:
            pooled.append(matrix)
            pairwise += [{"code_id": code_id, "n_segments": len(universe), **p} for p in pairs]
        per_code.append({"code_id": code_id, "n_segments": len(universe), "n_applied": n_applied,
                         "percent_agreement": pct, "cohen_kappa": kappa, "krippendorff_alpha": alpha, "note": note})
        for j in np.flatnonzero(matrix.min(axis=0) != matrix.max(axis=0)):
            disagreements.append({"segment_id": universe[j], "code_id": code_id,
                                  "applied_by": ", ".join(c for i, c in enumerate(coders) if matrix[i, j]),
                                  "not_applied_by": ", ".join(c for i, c in enumerate(coders) if not matrix[i, j])})
        agreed += [{"segment_id": universe[j], "code_id": code_id} for j in np.flatnonzero(matrix.min(axis=0) == 1)]

    all_units = np.concatenate(pooled, axis=1) if pooled else np.zeros((len(coders), 0), dtype=np.int8)
    pct, kappa, alpha, _ = _stats(all_units, coders)
    per_code_df = pd.DataFrame(per_code, columns=["code_id", "n_segments", "n_applied", "percent_agreement",
                                                  "cohen_kappa", "krippendorff_alpha", "note"])
    overall = {"coders": coders, "n_segments": len(universe), "n_codes_applied": len(pooled),
               "n_units": int(all_units.shape[1]), "percent_agreement": pct, "cohen_kappa": kappa,
               "krippendorff_alpha": alpha, "mean_code_kappa": float(per_code_df["cohen_kappa"].mean()),
               "mean_code_alpha": float(per_code_df["krippendorff_alpha"].mean()),
               "n_disagreements": len(disagreements)}
    return AgreementResult(
        per_code=per_code_df,
        pairwise=pd.DataFrame(pairwise, columns=["code_id", "n_segments", "coder_a", "coder_b",
                                                 "percent_agreement", "cohen_kappa"]),
        overall=overall,
        disagreements=pd.DataFrame(disagreements, columns=["segment_id", "code_id", "applied_by", "not_applied_by"]),
        agreed=pd.DataFrame(agreed, columns=["segment_id", "code_id"]),
        coders=coders, segments=universe)


def ledger_agreement(ledger: Any, coders: Sequence[str] | None = None, segments: Iterable[str] | None = None,
                     codes: Iterable[str] | None = None) -> AgreementResult:
    """:func:`agreement` over a ledger's current codings and its ``reviewed`` marks."""
    return agreement(ledger.codings(), coders=coders, segments=segments, reviewed=ledger.reviewed(), codes=codes)


def _span_or_none(start: Any, end: Any) -> tuple[int, int] | None:
    """A (start, end) span, or None for a whole-unit coding (missing offsets)."""
    import pandas as pd

    return None if pd.isna(start) or pd.isna(end) else (int(start), int(end))


def consensus_span(codings: Any, segment_id: str, code_id: str) -> tuple[int, int] | None:
    """The span a consensus coding of ``code_id`` on a unit gets: the coders' common sub-span, else None.

    ``codings``: the compared coders' codings (segment_id, code_id, coder, span_start, span_end).
    When every coder who applied the code to the unit holds exactly one coding of it there and
    all of them used the same sub-span (e.g. the same sentence), that span is returned; otherwise
    (a whole-unit coding, different or several spans, nobody) None: a whole-unit coding.
    Agreement is computed per unit (any coding of the code in the unit counts as applied), so the
    span is only carried over when the coders leave no doubt about it.
    """
    if codings is None or not len(codings) or "span_start" not in codings.columns:
        return None
    rows = codings[(codings["segment_id"].astype(str) == str(segment_id))
                   & (codings["code_id"].astype(str) == str(code_id))]
    per_coder = rows.groupby(rows["coder"].astype(str))
    if rows.empty or per_coder.size().max() != 1:
        return None
    spans = {_span_or_none(a, b) for a, b in zip(rows["span_start"], rows["span_end"])}
    return spans.pop() if len(spans) == 1 else None


def record_consensus(ledger: Any, decisions: Any, coder: str = CONSENSUS, result: AgreementResult | None = None,
                     codings: Any = None) -> int:
    """Record adjudicated codes in the ledger as their own coder; returns how many codings that coder now holds.

    ``decisions``: DataFrame or iterable of mappings with segment_id, code_id and optional ``apply``
    (default True; False removes a consensus coding). With ``result``, the codes all coders already
    agreed on are recorded too, so the consensus coder holds the complete adjudicated coding.

    Spans: agreement is computed per unit, but a coder may have applied the code to one sentence
    of it. An applied code is recorded with the sub-span every coder who applied it to the unit
    used, when they all used the same one (:func:`consensus_span`), and as a whole-unit coding
    otherwise. ``codings``: the coders' codings the spans are read from (segment_id, code_id,
    coder, span_start, span_end); default: the ledger's codings of ``result.coders``, or without
    ``result`` of every coder except ``coder``. "Do not apply" removes every coding ``coder``
    holds of the code on the unit (whatever its span); when it holds none, an uncode of the whole
    unit records the refusal (a no-op event). Each code/uncode is one ledger transaction.
    """
    import pandas as pd

    frame = decisions if isinstance(decisions, pd.DataFrame) else pd.DataFrame(list(decisions))
    items = [] if result is None else [(s, c, True) for s, c in result.agreed.itertuples(index=False)]
    if len(frame):
        apply = frame["apply"] if "apply" in frame.columns else [True] * len(frame)
        items += [(str(s), str(c), bool(a)) for s, c, a in zip(frame["segment_id"], frame["code_id"], apply)]
    if not items:
        return len(ledger.codings(coder))
    if codings is None:
        codings = ledger.codings()
        codings = codings[codings["coder"].isin(result.coders)] if result is not None else \
            codings[codings["coder"] != coder]
    for segment_id, code_id, keep in items:
        if keep:
            ledger.code(segment_id, code_id, coder, span=consensus_span(codings, segment_id, code_id))
            continue
        held = ledger.codings(coder)  # read per decision: an earlier item may have changed it
        mine = held[(held["segment_id"] == segment_id) & (held["code_id"] == code_id)]
        spans = [_span_or_none(a, b) for a, b in zip(mine["span_start"], mine["span_end"])] or [None]
        for span in spans:
            ledger.uncode(segment_id, code_id, coder, span=span)
    return len(ledger.codings(coder))
