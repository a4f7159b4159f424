"""Agreement of machine suggestions with a human coder: per-code precision, recall, F1, kappa."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..ledger import without_orphans

OVERALL = "(overall)"
EVAL_COLUMNS = ["code_id", "n_segments", "n_human", "n_suggested", "tp", "precision", "recall", "f1", "kappa"]


def binary_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Counts, precision, recall, F1 and Cohen's kappa of two binary vectors (NaN where undefined)."""
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    n, tp = len(y_true), int((y_true & y_pred).sum())
    n_true, n_pred = int(y_true.sum()), int(y_pred.sum())
    precision = tp / n_pred if n_pred else np.nan
    recall = tp / n_true if n_true else np.nan
    f1 = 2 * tp / (n_true + n_pred) if n_true + n_pred else np.nan
    observed = (y_true == y_pred).mean() if n else np.nan
    expected = (n_true * n_pred + (n - n_true) * (n - n_pred)) / n**2 if n else np.nan
    kappa = (observed - expected) / (1 - expected) if n and expected < 1 else np.nan
    return {"n_segments": n, "n_human": n_true, "n_suggested": n_pred, "tp": tp,
            "precision": precision, "recall": recall, "f1": f1, "kappa": kappa}


def evaluate(suggestions: pd.DataFrame, codings: pd.DataFrame, coder: str | None = None,
             threshold: float = 0.5, segments: Sequence[str] | None = None,
             codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-code agreement of suggestions (score >= threshold) with a human coder's codings.

    The compared segments are ``segments`` if given, else every segment the coder coded
    (with any code); codes are ``codes`` if given, else every code either side used. A
    suggestion counts whatever its status (an accepted one is a suggestion the human agreed
    with). The last row, ``(overall)``, pools all segment x code pairs (micro average).
    Note: the ledger never stores suggestions for pairs a human already coded, so evaluate
    fresh suggestions (e.g. ``CombinedSuggester.suggest``) rather than the ledger's.
    """
    codings = without_orphans(codings)
    if coder is not None:
        codings = codings[codings["coder"] == coder]
    universe = list(dict.fromkeys(segments if segments is not None else codings["segment_id"]))
    suggested = suggestions[suggestions["score"] >= threshold]
    code_ids = list(codes) if codes is not None else sorted(set(codings["code_id"]) | set(suggested["code_id"]))
    human = set(zip(codings["segment_id"], codings["code_id"]))
    machine = set(zip(suggested["segment_id"], suggested["code_id"]))
    rows, pooled_true, pooled_pred = [], [], []
    for code in code_ids:
        y_true = np.array([(s, code) in human for s in universe], dtype=bool)
        y_pred = np.array([(s, code) in machine for s in universe], dtype=bool)
        rows.append({"code_id": code, **binary_scores(y_true, y_pred)})
        pooled_true.append(y_true)
        pooled_pred.append(y_pred)
    overall = binary_scores(np.concatenate(pooled_true) if rows else np.zeros(0, bool),
                            np.concatenate(pooled_pred) if rows else np.zeros(0, bool))
    overall["n_segments"] = len(universe)
    rows.append({"code_id": OVERALL, **overall})
    return pd.DataFrame(rows, columns=EVAL_COLUMNS)
