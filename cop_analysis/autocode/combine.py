"""One calibrated, ranked suggestion per segment x code from rules, definitions and learned classifiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .base import ScoreTable, code_list, embed_segments, label_matrix, logit, segment_texts, sigmoid
from .definitions import DefinitionSuggester
from .finetune import FineTuneParams
from .learned import LearnedSuggester
from .rules import RuleSuggester

ZERO_SHOT_WEIGHTS = (1.0, 3.0)  # (definitions, rules) log-odds weights when no classifier is trained
LEARNED_WEIGHTS = (0.4, 2.0)  # (definitions, rules) weights added to a learned classifier's log-odds


class CombinedSuggester:
    """Combine the three suggesters into one score in [0, 1] per segment x code.

    Inputs per pair: ``d`` = log-odds of the definition score, ``r`` = rule strength in
    [0, 1], ``l`` = the learned classifier's decision value (codes with enough human codes).
    They are summed as log-odds (a product of experts): ``l + 0.4 d + 2 r`` for learned
    codes, ``d + 3 r`` for the others. With human codes, each sum is calibrated by Platt
    scaling (a one-feature logistic regression, monotone) fitted on the labelled pairs
    (``l`` out-of-fold); without, the score is ``sigmoid`` of the sum. ``method`` names the
    contributing suggesters; evidence joins theirs.
    Pass ``rules`` to reuse a RuleSuggester (and its per-text memo of spaCy matches).
    ``fine_tune=True``: the learned part uses a contrastively fine-tuned embedding model
    (``LearnedSuggester(fine_tune=True)``, saved in ``models_dir``, settings ``tune``); definitions
    keep the base model.
    """

    def __init__(self, cache_dir: str | Path, min_examples: int = 5, share: float = 0.05, C: float = 10.0,
                 seed: int = 0, rules: RuleSuggester | None = None, fine_tune: bool = False,
                 models_dir: str | Path | None = None, tune: FineTuneParams = FineTuneParams()) -> None:
        self.cache_dir = cache_dir
        self.tune = tune
        self.rules = rules
        self.fine_tune = fine_tune
        self.models_dir = models_dir
        self.min_examples = min_examples
        self.share = share
        self.C = C
        self.seed = seed

    def embed(self, segments: pd.DataFrame) -> np.ndarray:
        return embed_segments(self.cache_dir, segments)

    def fit(self, codebook: Any, codings: pd.DataFrame | None = None, segments: pd.DataFrame | None = None,
            coder: str | None = None, negatives: pd.DataFrame | None = None,
            embeddings: np.ndarray | None = None) -> "CombinedSuggester":
        """Fit rules, definitions and learned classifiers, then calibrate them on the human codes."""
        self.code_ids_ = [c.id for c in code_list(codebook)]
        emb = embeddings if embeddings is not None or segments is None else self.embed(segments)
        self.rules_ = (self.rules or RuleSuggester()).fit(codebook)
        self.definitions_ = DefinitionSuggester(self.cache_dir, share=self.share).fit(
            codebook, codings, segments, coder, negatives, embeddings=emb)
        self.learned_ = LearnedSuggester(self.cache_dir, self.min_examples, self.C, seed=self.seed,
                                         fine_tune=self.fine_tune, models_dir=self.models_dir, tune=self.tune).fit(
            codebook, codings, segments, coder, negatives, embeddings=emb)
        self.stackers_: dict[str, Any] = {}
        if segments is None or not len(segments):
            return self
        ids, _ = segment_texts(segments)
        labels = label_matrix(codings, ids, self.code_ids_, coder, negatives)
        rows = np.flatnonzero((labels >= 0).any(axis=1))
        if not len(rows):
            return self
        sub = segments.iloc[rows]
        d = logit(self.definitions_.probabilities(emb[rows]))
        r = self.rules_.score(sub).scores
        learned = np.full(d.shape, np.nan)
        position = {s: i for i, s in enumerate(ids[i] for i in rows)}
        for j, code in enumerate(self.code_ids_):
            if code in self.learned_.oof_:
                seg_ids, oof, _ = self.learned_.oof_[code]
                for seg, value in zip(seg_ids, oof):
                    learned[position[seg], j] = value
        y, known = labels[rows], labels[rows] >= 0
        has_l = known & ~np.isnan(learned)
        self._fit_stacker("learned", _raw(d, r, learned)[has_l], y[has_l])
        self._fit_stacker("zero-shot", _raw(d, r)[known], y[known])
        return self

    def _fit_stacker(self, family: str, raw: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        if min(int(y.sum()), int((1 - y).sum())) >= self.min_examples:
            self.stackers_[family] = LogisticRegression(C=1.0).fit(raw[:, None], y)

    def _calibrate(self, family: str, raw: np.ndarray) -> np.ndarray:
        if family not in self.stackers_:
            return sigmoid(raw)
        return self.stackers_[family].predict_proba(raw.reshape(-1, 1))[:, 1].reshape(raw.shape)

    def probabilities(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None,
                      rules: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated scores, mask of learned pairs) for every segment x code, without evidence.

        ``rules``: the segments' rule scores if already computed (``self.rules_.score(segments).scores``).
        """
        emb = embeddings if embeddings is not None else self.embed(segments)
        d = logit(self.definitions_.probabilities(emb))
        r = self.rules_.score(segments).scores if rules is None else rules
        scores = self._calibrate("zero-shot", _raw(d, r))
        dec = self.learned_.decision(self.learned_.features(segments, emb))
        use_l = ~np.isnan(dec)
        if use_l.any():
            scores[use_l] = self._calibrate("learned", _raw(d, r, dec)[use_l])
        return scores, use_l

    def score(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None) -> ScoreTable:
        """Calibrated combined scores, method names and joined evidence for every segment x code."""
        ids, _ = segment_texts(segments)
        emb = embeddings if embeddings is not None else self.embed(segments)
        defs, rules = self.definitions_.score(segments, emb), self.rules_.score(segments)
        learned = self.learned_.score(segments, emb) if self.learned_.models_ else None
        scores, use_l = self.probabilities(segments, emb, rules.scores)
        r = rules.scores
        method = np.empty(scores.shape, dtype=object)
        evidence = np.empty(scores.shape, dtype=object)
        for i, j in np.ndindex(*scores.shape):
            parts = [("learned", learned.evidence[i, j])] if use_l[i, j] and learned is not None else []
            parts.append(("definitions", defs.evidence[i, j]))
            if r[i, j] > 0:
                parts.append(("rules", rules.evidence[i, j]))
            method[i, j] = "+".join(name for name, _ in parts)
            evidence[i, j] = " | ".join(text for _, text in parts if text)
        return ScoreTable(ids, self.code_ids_, scores, evidence, method)

    def suggest(self, segments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
        """Ranked suggestions (segment_id, code_id, score, method, evidence) scoring >= threshold."""
        return self.score(segments).frame(threshold)


def _raw(d: np.ndarray, r: np.ndarray, learned: np.ndarray | None = None) -> np.ndarray:
    """Summed log-odds of the suggesters (see CombinedSuggester)."""
    if learned is None:
        return ZERO_SHOT_WEIGHTS[0] * d + ZERO_SHOT_WEIGHTS[1] * r
    return learned + LEARNED_WEIGHTS[0] * d + LEARNED_WEIGHTS[1] * r
