"""Zero-shot suggestions: embedding similarity to each code's definition, criteria and examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .base import ScoreTable, clip, code_list, label_matrix, segment_texts, sigmoid


def prototypes(code: Any) -> list[tuple[str, str]]:
    """(kind, text) prototype texts of a code: its definition (with its name), inclusion criteria, examples."""
    out = [("definition", f"{code.name}: {code.definition}".strip(" :") if code.definition else code.name)]
    if code.include:
        out.append(("include", code.include))
    out += [("example", e) for e in (code.examples or []) if e and e.strip()]
    return out


class DefinitionSuggester:
    """Suggest codes whose prototypes (definition, inclusion criteria, example quotes) a segment resembles.

    Each prototype is embedded separately; a segment's raw similarity to a code is
    ``alpha * max + (1 - alpha) * mean`` of its cosines to the code's prototypes. Per-code
    thresholds: with at least ``min_examples`` human positives and negatives for a code, the
    F1-optimal cut on them; otherwise the cut that lets the top ``share`` of the fitted
    segments pass (``default_threshold`` when fitted without segments). The score is
    ``sigmoid((similarity - threshold) / temperature)``: 0.5 exactly at the threshold.
    Evidence is the closest prototype (usually an example quote) and its cosine.
    """

    method = "definitions"

    def __init__(self, cache_dir: str | Path, alpha: float = 0.5, share: float = 0.1,
                 temperature: float = 0.04, default_threshold: float = 0.35, min_examples: int = 3,
                 per_code: bool = True) -> None:
        self.per_code = per_code
        self.cache_dir = cache_dir
        self.alpha = alpha
        self.share = share
        self.temperature = temperature
        self.default_threshold = default_threshold
        self.min_examples = min_examples

    def _cache(self) -> Any:
        from ..embeddings import EmbeddingCache

        return EmbeddingCache(self.cache_dir)

    def fit(self, codebook: Any, codings: pd.DataFrame | None = None, segments: pd.DataFrame | None = None,
            coder: str | None = None, rejected: pd.DataFrame | None = None,
            embeddings: np.ndarray | None = None) -> "DefinitionSuggester":
        """Embed the prototypes and set per-code thresholds (from human codes where there are enough)."""
        codes = code_list(codebook)
        self.code_ids_ = [c.id for c in codes]
        protos = [(j, kind, text) for j, code in enumerate(codes) for kind, text in prototypes(code)]
        self.proto_code_ = np.array([p[0] for p in protos])
        self.proto_text_ = [f'{kind} "{clip(text)}"' if kind == "example" else f"{kind}: {clip(text)}"
                            for _, kind, text in protos]
        self.proto_emb_ = self._cache().encode([p[2] for p in protos])
        self.thresholds_ = np.full(len(codes), self.default_threshold)
        if segments is not None and len(segments):
            ids, _ = segment_texts(segments)
            sim = self.similarity(self.embed(segments) if embeddings is None else embeddings)[0]
            labels = label_matrix(codings, ids, self.code_ids_, coder, rejected)
            self.thresholds_[:] = np.quantile(sim, 1 - self.share)
            for j in range(len(codes)):
                known = labels[:, j] >= 0
                y = labels[known, j]
                if self.per_code and y.sum() >= self.min_examples and (1 - y).sum() >= self.min_examples:
                    self.thresholds_[j] = best_f1_threshold(sim[known, j], y)
        return self

    def embed(self, segments: pd.DataFrame) -> np.ndarray:
        return self._cache().encode(segment_texts(segments)[1])

    def similarity(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(raw similarity (n, k), index of the closest prototype (n, k)) for segment embeddings."""
        cos = embeddings @ self.proto_emb_.T
        k = len(self.code_ids_)
        sim = np.zeros((len(embeddings), k))
        closest = np.zeros((len(embeddings), k), dtype=int)
        for j in range(k):
            idx = np.flatnonzero(self.proto_code_ == j)
            block = cos[:, idx]
            sim[:, j] = self.alpha * block.max(axis=1) + (1 - self.alpha) * block.mean(axis=1)
            closest[:, j] = idx[block.argmax(axis=1)]
        return sim, closest

    def score(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None) -> ScoreTable:
        """Zero-shot scores for every segment x code."""
        ids, _ = segment_texts(segments)
        emb = self.embed(segments) if embeddings is None else embeddings
        sim, closest = self.similarity(emb)
        cos = emb @ self.proto_emb_.T if len(emb) else np.zeros((0, len(self.proto_text_)))
        scores = sigmoid((sim - self.thresholds_) / self.temperature)
        texts = np.array(self.proto_text_, dtype=object)
        evidence = np.empty(scores.shape, dtype=object)
        for i, j in np.ndindex(*scores.shape):
            evidence[i, j] = f"closest {texts[closest[i, j]]} (cos {cos[i, closest[i, j]]:.2f})"
        return ScoreTable(ids, self.code_ids_, scores, evidence, np.array(self.method, dtype=object))

    def suggest(self, segments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
        """Suggestions (segment_id, code_id, score, method, evidence) scoring >= threshold."""
        return self.score(segments).frame(threshold)


def best_f1_threshold(values: np.ndarray, y: np.ndarray) -> float:
    """The cut on ``values`` that maximises F1 for binary labels ``y`` (midpoint between neighbours)."""
    order = np.argsort(-values)
    v, yy = values[order], y[order]
    tp = np.cumsum(yy)
    f1 = 2 * tp / (np.arange(1, len(yy) + 1) + yy.sum())
    best = int(np.argmax(f1))
    return float((v[best] + v[best + 1]) / 2) if best + 1 < len(v) else float(v[best] - 1e-6)
