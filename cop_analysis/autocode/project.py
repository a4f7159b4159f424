"""Run auto-coding over a project's coding units and store the suggestions in the ledger."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pandas as pd

from .combine import CombinedSuggester
from .learned import METRIC_COLUMNS
from .rules import RuleSuggester

METRICS_FILE = "autocode_metrics.parquet"
CACHE_SIZE = 8
# Per-process state reused across runs (a workbench kernel clicks "Most informative next" often):
_RULES = RuleSuggester()  # compiled patterns + spaCy matches memoised per text
_UNITS: OrderedDict[tuple[Any, ...], tuple[pd.DataFrame, pd.DataFrame, np.ndarray]] = OrderedDict()
_UNCERTAINTY: OrderedDict[tuple[Any, ...], tuple[list[str], np.ndarray]] = OrderedDict()


def _remember(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> Any:
    cache[key] = value
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return value


def coding_units(cfg: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all segments, the coding units: transcript turns and survey responses) of a project."""
    from ..ingest import CODING_UNITS, load_segments, spoken_text

    segments = load_segments(cfg)
    segments["text"] = spoken_text(segments)
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


def _segments_key(cfg: Any) -> tuple[Any, ...]:
    from .. import models

    stat = (cfg.processed / "segments.parquet").stat()
    return str(cfg.processed), stat.st_mtime_ns, stat.st_size, models.embedding_model_name()


def units_and_embeddings(cfg: Any, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(segments, coding units, unit embeddings), kept in memory until segments.parquet or the model changes."""
    from ..embeddings import EmbeddingCache

    key = _segments_key(cfg)
    if key in _UNITS:
        _UNITS.move_to_end(key)
        return _UNITS[key]
    segments, units = coding_units(cfg)
    embeddings = EmbeddingCache(cfg.embeddings_dir, show_progress=progress).encode(units["text"].tolist())
    return _remember(_UNITS, key, (segments, units, embeddings))


def fine_tune_enabled(cfg: Any) -> bool:
    """The ``autocode: {fine_tune: true|false}`` option of project.yml (default false)."""
    from ..config import CONFIG_NAME, ConfigError

    value = cfg.option("autocode", "fine_tune", "true|false", default=False)
    if not isinstance(value, bool):
        raise ConfigError(f"{cfg.root / CONFIG_NAME}: autocode.fine_tune must be true or false, not {value!r}")
    return value


def _fit(cfg: Any, ledger: Any, coder: str | None, progress: bool, fine_tune: bool = False
         ) -> tuple[Any, Callable[[], CombinedSuggester], pd.DataFrame, np.ndarray, tuple[Any, ...]]:
    """(codebook, a function fitting the model, units, embeddings, key of everything the fit depends on)."""
    from ..codebook import load_project_codebook

    codebook = load_project_codebook(cfg)
    segments, units, embeddings = units_and_embeddings(cfg, progress)
    codes = [c.id for c in codebook.codes]
    codings, negatives = human_labels(ledger, segments, units, codes, coder)
    labels = repr((sorted(zip(codings["segment_id"], codings["code_id"])),
                   sorted(zip(negatives["segment_id"], negatives["code_id"]))))
    key = (*_segments_key(cfg), codebook.version, cfg.seed, coder, hashlib.sha1(labels.encode()).hexdigest(),
           fine_tune)

    def fit() -> CombinedSuggester:
        return CombinedSuggester(cfg.embeddings_dir, seed=cfg.seed, rules=_RULES, fine_tune=fine_tune,
                                 models_dir=cfg.processed / "models").fit(
            codebook, codings, units, None, negatives, embeddings=embeddings)

    return codebook, fit, units, embeddings, key


def model_name(model: CombinedSuggester) -> str:
    """Names of the models behind the suggestions, e.g. 'all-MiniLM-L6-v2 + core_web_sm + logreg(3 codes)'.

    With fine-tuning the classifiers' embedding model follows them: 'logreg(3 codes) on ft-all-MiniLM-L6-v2-<hash>'.
    """
    from .. import models

    spacy_name = model.rules_.nlp_.meta.get("name", "spacy")
    tuned = model.learned_.model_path_
    on = f" on {tuned.name}" if tuned is not None else ""
    return f"{models.embedding_model_name()} + {spacy_name} + logreg({len(model.learned_.models_)} codes){on}"


def suggest_project(cfg: Any, coder: str | None = None, threshold: float = 0.5,
                    progress: bool = False, fine_tune: bool | None = None) -> pd.DataFrame:
    """Suggest codes for every coding unit, store them as ``suggested`` in the ledger; return them.

    Learns from ``coder``'s codings (everyone's if None). Pairs a human already coded are not
    suggested; accepted/rejected suggestions are never touched (the ledger guarantees it).
    Pending suggestions of earlier runs that this run no longer makes (e.g. now below
    ``threshold``) are withdrawn in the same ledger transaction.
    Writes the learned codes' cross-validated metrics to ``processed/autocode_metrics.parquet``
    (``fine_tuned``: the fine-tuned model's name, whose cross-validated metrics are optimistic).
    ``fine_tune`` (default: project.yml's ``autocode.fine_tune``, off): learn on a contrastively
    fine-tuned embedding model saved in ``processed/models/`` (minutes on CPU whenever the
    human labels change; an unchanged rerun reuses it).
    ``result.attrs['stored']`` is the number of ledger rows inserted, changed or withdrawn.
    """
    from ..atomic import write_parquet
    from ..ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        tune = fine_tune_enabled(cfg) if fine_tune is None else fine_tune
        codebook, fit, units, embeddings, _ = _fit(cfg, ledger, coder, progress, tune)
        model = fit()
        suggestions = model.score(units, embeddings).frame(threshold)
        coded = ledger.codings()
        coded = set(zip(coded["segment_id"], coded["code_id"]))
        keep = [pair not in coded for pair in zip(suggestions["segment_id"], suggestions["code_id"])]
        # .loc: with no suggestion above the threshold `keep` is [] and frame[[]] would select no columns
        suggestions = suggestions.loc[keep].assign(model=model_name(model), codebook_version=codebook.version)
        suggestions = suggestions.reset_index(drop=True)
        stored = ledger.add_suggestions(suggestions, replace_pending=True)
    tuned = model.learned_.model_path_
    metrics = model.learned_.metrics_.assign(codebook_version=codebook.version, coder=coder,
                                             fine_tuned=tuned.name if tuned is not None else None)
    write_parquet(metrics[METRIC_COLUMNS + ["codebook_version", "coder", "fine_tuned"]], cfg.processed / METRICS_FILE)
    suggestions.attrs["stored"] = stored
    return suggestions


def load_metrics(cfg: Any) -> pd.DataFrame:
    """The per-code cross-validated metrics of the last ``suggest_project`` run (empty if none)."""
    path = cfg.processed / METRICS_FILE
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=METRIC_COLUMNS)


def next_informative_segments(cfg: Any, coder: str, n: int = 10) -> list[str]:
    """The ``n`` coding units ``coder`` has not coded or reviewed whose scores are most uncertain.

    Uncertainty sampling: a unit's uncertainty is ``1 - |2p - 1|`` of its score closest to
    0.5 over all codes (learned scores where a code is learned, zero-shot otherwise). The
    uncertainties are kept in memory per (segments file, codebook version, embedding model,
    coder's labels): repeated calls without new human decisions do not refit; a refit reuses
    the in-memory embeddings and spaCy rule matches. It never fine-tunes the embedding model
    (too slow for a click), whatever ``autocode.fine_tune`` says.
    """
    from ..ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        _, fit, units, embeddings, key = _fit(cfg, ledger, coder, False)
        seen = set(ledger.codings(coder)["segment_id"]) | set(ledger.reviewed(coder)["segment_id"])
    if key in _UNCERTAINTY:
        _UNCERTAINTY.move_to_end(key)
    else:
        scores = fit().probabilities(units, embeddings)[0]
        _remember(_UNCERTAINTY, key, (units["segment_id"].tolist(), (1 - np.abs(2 * scores - 1)).max(axis=1)))
    ids, uncertainty = _UNCERTAINTY[key]
    todo = np.flatnonzero([sid not in seen for sid in ids])
    order = todo[np.argsort(-uncertainty[todo], kind="stable")[:n]]
    return [ids[i] for i in order]
