"""Shared pieces of the suggesters: the score table and human labels as a matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..ledger import without_orphans

SUGGEST_COLUMNS = ["segment_id", "code_id", "score", "method", "evidence"]


def code_list(codebook: Any) -> list[Any]:
    """The codable codes of a ``Codebook`` (or of any iterable of codes)."""
    return [c for c in getattr(codebook, "codes", codebook) if getattr(c, "codable", True)]


def clip(text: str, width: int = 100) -> str:
    """One line of at most ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(p, eps, 1 - eps)
    return np.log(p / (1 - p))


@dataclass
class ScoreTable:
    """Scores in [0, 1] of every segment x code from one suggester (NaN = no opinion)."""

    segment_ids: list[str]
    code_ids: list[str]
    scores: np.ndarray  # (n_segments, n_codes) float
    evidence: np.ndarray  # (n_segments, n_codes) object (str)
    method: np.ndarray  # (n_segments, n_codes) object (str), or one name for all

    def frame(self, threshold: float = 0.5) -> pd.DataFrame:
        """Rows (SUGGEST_COLUMNS) for every pair scoring >= threshold, best first."""
        rows, cols = np.nonzero(np.nan_to_num(self.scores, nan=-1.0) >= threshold)
        frame = pd.DataFrame({
            "segment_id": np.asarray(self.segment_ids, dtype=object)[rows],
            "code_id": np.asarray(self.code_ids, dtype=object)[cols],
            "score": self.scores[rows, cols].astype(float),
            "method": self.method[rows, cols] if self.method.ndim == 2 else self.method.item(),
            "evidence": self.evidence[rows, cols],
        }, columns=SUGGEST_COLUMNS)
        return frame.sort_values(["score", "segment_id", "code_id"], ascending=[False, True, True],
                                 ignore_index=True)


def segment_texts(segments: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(segment ids, texts) of a SEGMENTS-like frame."""
    return segments["segment_id"].astype(str).tolist(), segments["text"].fillna("").astype(str).tolist()


def embed_segments(cache_dir: Any, segments: pd.DataFrame) -> np.ndarray:
    """Cached MiniLM embeddings of a SEGMENTS-like frame's texts (rows in frame order)."""
    from ..embeddings import EmbeddingCache

    return EmbeddingCache(cache_dir).encode(segment_texts(segments)[1])


def label_matrix(codings: pd.DataFrame | None, segment_ids: Sequence[str], code_ids: Sequence[str],
                 coder: str | None = None, negatives: pd.DataFrame | None = None) -> np.ndarray:
    """Human labels as an (n_segments, n_codes) int matrix: 1 coded, 0 not coded, -1 unknown.

    A segment that a coder coded with any code counts as reviewed, so every other code is a
    negative for it; ``negatives`` holds further (segment_id, code_id) pairs known not to apply
    (rejected suggestions, segments reviewed without that code). Positives win over negatives.
    """
    labels = np.full((len(segment_ids), len(code_ids)), -1, dtype=np.int8)
    row = {s: i for i, s in enumerate(segment_ids)}
    col = {c: j for j, c in enumerate(code_ids)}
    if negatives is not None and len(negatives):
        for seg, code in zip(negatives["segment_id"], negatives["code_id"]):
            if seg in row and code in col:
                labels[row[seg], col[code]] = 0
    if codings is None or not len(codings):
        return labels
    codings = without_orphans(codings)
    if coder is not None:
        codings = codings[codings["coder"] == coder]
    reviewed = [row[s] for s in set(codings["segment_id"]) if s in row]
    labels[reviewed] = 0
    for seg, code in zip(codings["segment_id"], codings["code_id"]):
        if seg in row and code in col:
            labels[row[seg], col[code]] = 1
    return labels
