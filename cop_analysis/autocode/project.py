"""Run auto-coding over a project's coding units and store the suggestions in the ledger."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .combine import CombinedSuggester
from .learned import METRIC_COLUMNS

METRICS_FILE = "autocode_metrics.parquet"


def coding_units(cfg: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all segments, the coding units: transcript turns and survey responses) of a project."""
    from ..ingest import CODING_UNITS, load_segments

    segments = load_segments(cfg)
    units = segments[segments["kind"].map(CODING_UNITS) == segments["unit"]].reset_index(drop=True)
    return segments, units


def human_labels(ledger: Any, segments: pd.DataFrame, units: pd.DataFrame, codes: list[str],
                 coder: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(codings, known negatives) on coding units; codes on sentences/paragraphs count for their unit.

    Negatives are rejected suggestions and every code on a unit marked reviewed but not coded.
    """
    unit_ids = set(units["segment_id"])
    parent = dict(zip(segments["segment_id"], segments["parent_id"]))

    def to_unit(seg: str) -> str | None:
        return seg if seg in unit_ids else (parent.get(seg) if parent.get(seg) in unit_ids else None)

    codings = ledger.codings(coder)
    codings = codings.assign(segment_id=codings["segment_id"].map(to_unit)).dropna(subset=["segment_id"])
    rejected = ledger.suggestions("rejected")
    if coder is not None:
        rejected = rejected[rejected["decided_by"] == coder]
    reviewed = ledger.reviewed(coder)["segment_id"].map(to_unit).dropna()
    negatives = pd.concat([rejected[["segment_id", "code_id"]],
                           pd.DataFrame([(s, c) for s in set(reviewed) for c in codes],
                                        columns=["segment_id", "code_id"])], ignore_index=True)
    return codings, negatives


def _fit(cfg: Any, ledger: Any, coder: str | None,
         progress: bool) -> tuple[Any, CombinedSuggester, pd.DataFrame, np.ndarray]:
    from ..codebook import load_project_codebook
    from ..embeddings import EmbeddingCache

    codebook = load_project_codebook(cfg)
    segments, units = coding_units(cfg)
    codes = [c.id for c in codebook.codes]
    codings, negatives = human_labels(ledger, segments, units, codes, coder)
    embeddings = EmbeddingCache(cfg.embeddings_dir, show_progress=progress).encode(units["text"].tolist())
    model = CombinedSuggester(cfg.embeddings_dir, seed=cfg.seed).fit(codebook, codings, units, None, negatives,
                                                                     embeddings=embeddings)
    return codebook, model, units, embeddings


def model_name(model: CombinedSuggester) -> str:
    """Names of the models behind the suggestions, e.g. 'all-MiniLM-L6-v2 + core_web_sm + logreg(3 codes)'."""
    from .. import models

    spacy_name = model.rules_.nlp_.meta.get("name", "spacy")
    return f"{models.embedding_model_name()} + {spacy_name} + logreg({len(model.learned_.models_)} codes)"


def suggest_project(cfg: Any, coder: str | None = None, threshold: float = 0.5,
                    progress: bool = False) -> pd.DataFrame:
    """Suggest codes for every coding unit, store them as ``suggested`` in the ledger; return them.

    Learns from ``coder``'s codings (everyone's if None). Pairs a human already coded are not
    suggested; accepted/rejected suggestions are never touched (the ledger guarantees it).
    Writes the learned codes' cross-validated metrics to ``processed/autocode_metrics.parquet``.
    ``result.attrs['stored']`` is the number of ledger rows inserted or changed.
    """
    from ..atomic import write_parquet
    from ..ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        codebook, model, units, embeddings = _fit(cfg, ledger, coder, progress)
        suggestions = model.score(units, embeddings).frame(threshold)
        coded = ledger.codings()
        coded = set(zip(coded["segment_id"], coded["code_id"]))
        keep = [pair not in coded for pair in zip(suggestions["segment_id"], suggestions["code_id"])]
        suggestions = suggestions[keep].assign(model=model_name(model), codebook_version=codebook.version)
        suggestions = suggestions.reset_index(drop=True)
        stored = ledger.add_suggestions(suggestions)
    metrics = model.learned_.metrics_.assign(codebook_version=codebook.version, coder=coder)
    write_parquet(metrics[METRIC_COLUMNS + ["codebook_version", "coder"]], cfg.processed / METRICS_FILE)
    suggestions.attrs["stored"] = stored
    return suggestions


def load_metrics(cfg: Any) -> pd.DataFrame:
    """The per-code cross-validated metrics of the last ``suggest_project`` run (empty if none)."""
    path = cfg.processed / METRICS_FILE
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=METRIC_COLUMNS)


def next_informative_segments(cfg: Any, coder: str, n: int = 10) -> list[str]:
    """The ``n`` coding units ``coder`` has not coded or reviewed whose scores are most uncertain.

    Uncertainty sampling: a unit's uncertainty is ``1 - |2p - 1|`` of its score closest to
    0.5 over all codes (learned scores where a code is learned, zero-shot otherwise).
    """
    from ..ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        _, model, units, embeddings = _fit(cfg, ledger, coder, False)
        seen = set(ledger.codings(coder)["segment_id"]) | set(ledger.reviewed(coder)["segment_id"])
    todo = np.flatnonzero(~units["segment_id"].isin(seen).to_numpy())
    if not len(todo):
        return []
    scores = model.score(units.iloc[todo], embeddings[todo]).scores
    uncertainty = (1 - np.abs(2 * scores - 1)).max(axis=1)
    order = np.argsort(-uncertainty, kind="stable")[:n]
    return units["segment_id"].iloc[todo[order]].tolist()
