"""Learned suggestions: one class-balanced logistic regression per code on the segment embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .base import ScoreTable, clip, code_list, embed_segments, label_matrix, segment_texts, sigmoid
from .evaluate import binary_scores
from .finetune import FineTuneParams

METRIC_COLUMNS = ["code_id", "n_positive", "n_negative", "trained", "cv_folds", "cv_precision", "cv_recall",
                  "cv_f1", "cv_kappa"]


class LearnedSuggester:
    """Learn each code from human codings (one-vs-rest, multi-label).

    A code is learned once it has ``min_examples`` human positives and ``min_examples``
    negatives (segments a coder coded with other codes only, or rejected suggestions of
    the code). Cross-validated precision/recall/F1/kappa at score 0.5 per code are in
    ``metrics_`` and the out-of-fold decision values of the labelled segments in ``oof_``
    (used for calibration). Untrained codes get no score (NaN). Evidence is the most
    similar human-coded example of the code.

    ``fine_tune=True``: first fine-tune the embedding model contrastively on the labelled
    segments (``finetune.fine_tuned_model``, saved in ``models_dir``, default the ``models``
    directory beside ``cache_dir``; reused while labels, codebook and seed are unchanged) and
    learn on its embeddings (``model_path_``; cached under its own model name). The
    ``embeddings`` passed to ``fit``/``score`` are then ignored: they are the base model's.
    Out-of-fold values are optimistic in this mode, since the fine-tuning saw every label.
    """

    method = "learned"

    def __init__(self, cache_dir: str | Path, min_examples: int = 5, C: float = 10.0, cv: int = 5,
                 seed: int = 0, fine_tune: bool = False, models_dir: str | Path | None = None,
                 tune: FineTuneParams = FineTuneParams()) -> None:
        self.cache_dir = cache_dir
        self.min_examples = min_examples
        self.C = C
        self.cv = cv
        self.seed = seed
        self.fine_tune = fine_tune
        self.models_dir = models_dir
        self.tune = tune

    def _model(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        # newton-cg: same (convex) optimum as lbfgs, 10-30x faster on 384-d embeddings
        return LogisticRegression(C=self.C, class_weight="balanced", solver="newton-cg", max_iter=2000)

    def embed(self, segments: pd.DataFrame) -> np.ndarray:
        return embed_segments(self.cache_dir, segments)

    def features(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None) -> np.ndarray:
        """The embeddings the classifiers use: the fine-tuned model's if any, else ``embeddings`` or the base's."""
        if self.tuned_cache_ is not None:
            return self.tuned_cache_.encode(segment_texts(segments)[1])
        return embeddings if embeddings is not None else self.embed(segments)

    def _trainable(self, labels: np.ndarray) -> np.ndarray:
        """Per code: at least ``min_examples`` human positives and as many negatives."""
        return np.minimum((labels == 1).sum(axis=0), (labels == 0).sum(axis=0)) >= self.min_examples

    def _fine_tune(self, codebook: Any, texts: list[str], labels: np.ndarray) -> Path | None:
        from .finetune import fine_tuned_model

        if not self._trainable(labels).any():
            return None
        models_dir = self.models_dir if self.models_dir is not None else Path(self.cache_dir).parent / "models"
        return fine_tuned_model(models_dir, texts, labels, self.code_ids_, getattr(codebook, "version", ""),
                                self.seed, self.tune)

    def fit(self, codebook: Any, codings: pd.DataFrame | None = None, segments: pd.DataFrame | None = None,
            coder: str | None = None, negatives: pd.DataFrame | None = None,
            embeddings: np.ndarray | None = None) -> "LearnedSuggester":
        """Train the codes with enough human examples among ``segments``; cross-validate them."""
        from sklearn.model_selection import StratifiedKFold

        self.code_ids_ = [c.id for c in code_list(codebook)]
        self.models_: dict[str, Any] = {}
        self.examples_: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.oof_: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        segments = segments if segments is not None else pd.DataFrame(columns=["segment_id", "text"])
        ids, texts = segment_texts(segments)
        labels = label_matrix(codings, ids, self.code_ids_, coder, negatives)
        self.model_path_ = self._fine_tune(codebook, texts, labels) if self.fine_tune else None
        self.tuned_cache_: Any = None
        if self.model_path_ is not None:  # one cache object: fit and score read its vectors from disk once
            from ..embeddings import EmbeddingCache

            self.tuned_cache_ = EmbeddingCache(self.cache_dir, model_path=str(self.model_path_))
        X = self.features(segments, embeddings) if (labels >= 0).any() else None
        trainable = self._trainable(labels)
        rows = []
        for j, code in enumerate(self.code_ids_):
            known = np.flatnonzero(labels[:, j] >= 0)
            y = labels[known, j].astype(int)
            n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
            row: dict[str, Any] = {"code_id": code, "n_positive": n_pos, "n_negative": n_neg, "trained": False,
                                   "cv_folds": 0}
            if X is not None and trainable[j]:
                folds = min(self.cv, n_pos, n_neg)
                oof = np.zeros(len(known))
                for train, test in StratifiedKFold(folds, shuffle=True, random_state=self.seed).split(known, y):
                    oof[test] = self._model().fit(X[known[train]], y[train]).decision_function(X[known[test]])
                self.models_[code] = self._model().fit(X[known], y)
                positives = known[y == 1]
                self.examples_[code] = (X[positives], [texts[i] for i in positives])
                self.oof_[code] = ([ids[i] for i in known], oof, y)
                cv = binary_scores(y, oof >= 0)
                row.update(trained=True, cv_folds=folds, cv_precision=cv["precision"], cv_recall=cv["recall"],
                           cv_f1=cv["f1"], cv_kappa=cv["kappa"])
            rows.append(row)
        self.metrics_ = pd.DataFrame(rows, columns=METRIC_COLUMNS)
        return self

    def decision(self, embeddings: np.ndarray) -> np.ndarray:
        """Decision values (log-odds) per segment x code of ``features`` embeddings; NaN for untrained codes."""
        out = np.full((len(embeddings), len(self.code_ids_)), np.nan)
        for j, code in enumerate(self.code_ids_):
            if code in self.models_ and len(embeddings):
                out[:, j] = self.models_[code].decision_function(embeddings)
        return out

    def score(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None) -> ScoreTable:
        """Learned scores (sigmoid of the decision value) for every segment x trained code."""
        ids, _ = segment_texts(segments)
        emb = self.features(segments, embeddings) if self.models_ else np.zeros((len(ids), 0), dtype=np.float32)
        scores = sigmoid(self.decision(emb)) if self.models_ else np.full((len(ids), len(self.code_ids_)), np.nan)
        evidence = np.full(scores.shape, "", dtype=object)
        for j, code in enumerate(self.code_ids_):
            if code in self.examples_:
                vectors, texts = self.examples_[code]
                cos = emb @ vectors.T
                best = cos.argmax(axis=1)
                for i in range(len(ids)):
                    evidence[i, j] = f'like human-coded "{clip(texts[best[i]])}" (cos {cos[i, best[i]]:.2f})'
        return ScoreTable(ids, self.code_ids_, scores, evidence, np.array(self.method, dtype=object))

    def suggest(self, segments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
        """Suggestions (segment_id, code_id, score, method, evidence) scoring >= threshold."""
        return self.score(segments).frame(threshold)
