"""Contrastive (SetFit-style) fine-tuning of the embedding model on human codes, saved per label set.

Pairs of human-labelled segments that share a code should embed close together (target
cosine 1), pairs with no code in common apart (target 0). The fine-tuned model is saved with
safetensors under ``models_dir / "ft-<base model>-<fingerprint>"``, the fingerprint hashing
the labelled texts, their labels, the codebook version, the seed and the training settings: an
unchanged rerun loads it (offline) instead of training again. Its embeddings are cached by
``EmbeddingCache`` under that directory name, so they never mix with the base model's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

PREFIX = "ft-"
KEEP_MODELS = 8  # fine-tuned models kept in a models directory (least recently used removed)


@dataclass(frozen=True)
class FineTuneParams:
    """Training settings: ``pairs_per_example`` pairs per coded segment (half same-code, half no code in
    common), at most ``max_pairs`` in all, for ``epochs`` passes."""

    pairs_per_example: int = 10
    max_pairs: int = 2000
    epochs: int = 1
    batch_size: int = 16
    lr: float = 2e-5
    max_seq_length: int = 64  # training only; the saved model embeds with the base model's length


def contrastive_pairs(labels: np.ndarray, per_example: int, max_pairs: int,
                      seed: int) -> list[tuple[int, int, float]]:
    """``min(per_example * anchors, max_pairs)`` (row, row, target) pairs from a label matrix (1 coded,
    0 not, -1 unknown).

    Every row with a code is an anchor in turn (random order) and gets one partner sharing at
    least one of its codes (target 1.0) and one partner known to share none: each one's codes
    are known negatives of the other (target 0.0). Multi-label aware: partners are chosen on
    code sets, so a segment coded trust + harm is similar to one coded harm only.
    """
    pos, neg = labels == 1, labels == 0
    p = pos.astype(np.int32)
    share = (p @ p.T) > 0
    # a pair shares no code for sure when each one's codes are known negatives of the other
    unsure = p @ (~neg).astype(np.int32).T
    disjoint = (unsure == 0) & (unsure.T == 0) & (labels >= 0).any(axis=1)[None, :]
    np.fill_diagonal(share, False)
    anchors = [i for i in np.flatnonzero(pos.any(axis=1)) if share[i].any() and disjoint[i].any()]
    if not anchors:
        return []
    rng = np.random.default_rng(seed)
    order = rng.permutation(anchors)
    pairs: list[tuple[int, int, float]] = []
    for t in range(max(1, min(per_example * len(anchors), max_pairs) // 2)):
        a = int(order[t % len(order)])
        pairs.append((a, int(rng.choice(np.flatnonzero(share[a]))), 1.0))
        pairs.append((a, int(rng.choice(np.flatnonzero(disjoint[a]))), 0.0))
    return [pairs[i] for i in rng.permutation(len(pairs))]


def fingerprint(texts: Sequence[str], labels: np.ndarray, code_ids: Sequence[str], codebook_version: str,
                seed: int, params: FineTuneParams, base: str) -> str:
    """Short hash of everything a fine-tuned model depends on (row order does not matter)."""
    from ..embeddings import text_key

    rows = sorted(f"{text_key(t)}:{''.join('x01'[v + 1] for v in row)}" for t, row in zip(texts, labels))
    payload = json.dumps([base, list(code_ids), codebook_version, seed, asdict(params), rows])
    return hashlib.sha1(payload.encode()).hexdigest()[:16]


def canonical(texts: Sequence[str], labels: np.ndarray) -> np.ndarray:
    """Row order by text hash + labels, so the pairs drawn do not depend on the input order."""
    from ..embeddings import text_key

    keys = [f"{text_key(t)}:{row.tobytes().hex()}" for t, row in zip(texts, labels)]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)


def train(texts: Sequence[str], pairs: list[tuple[int, int, float]], seed: int,
          params: FineTuneParams = FineTuneParams(), base_path: str | None = None) -> Any:
    """A copy of the base ``SentenceTransformer`` trained on ``pairs`` (CosineSimilarityLoss, AdamW)."""
    import copy

    import torch
    from sentence_transformers import losses

    from .. import models

    model = copy.deepcopy(models.load_embedding_model(base_path))
    full_length = model.max_seq_length
    model.max_seq_length = params.max_seq_length
    torch.manual_seed(seed)  # dropout
    loss = losses.CosineSimilarityLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=params.lr)
    model.train()
    rng = np.random.default_rng(seed)
    for epoch in range(params.epochs):
        order = rng.permutation(len(pairs)) if epoch else np.arange(len(pairs))
        for start in range(0, len(order), params.batch_size):
            batch = [pairs[i] for i in order[start:start + params.batch_size]]
            features = [model.preprocess([texts[b[k]] for b in batch]) for k in (0, 1)]
            value = loss(features, torch.tensor([b[2] for b in batch], dtype=torch.float32))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
    model.eval()
    model.max_seq_length = full_length
    return model


def fine_tuned_model(models_dir: str | Path, texts: Sequence[str], labels: np.ndarray, code_ids: Sequence[str],
                     codebook_version: str = "", seed: int = 0, params: FineTuneParams = FineTuneParams(),
                     base_path: str | None = None) -> Path | None:
    """Directory of the model fine-tuned on these labels: reused if saved before, else trained and saved.

    ``labels``: (len(texts), len(code_ids)) matrix, 1 coded, 0 not, -1 unknown. None when the
    labels give no pair (no two segments share a code, or none is known to differ).
    """
    from .. import models

    base = models.embedding_model_name(base_path)
    known = np.flatnonzero((labels >= 0).any(axis=1))
    texts, labels = [texts[i] for i in known], labels[known]
    order = canonical(texts, labels)
    texts, labels = [texts[i] for i in order], labels[order]
    key = fingerprint(texts, labels, code_ids, codebook_version, seed, params, base)
    target = Path(models_dir) / f"{PREFIX}{base}-{key}"
    if (target / "model.safetensors").exists():
        os.utime(target)
        return target
    pairs = contrastive_pairs(labels, params.pairs_per_example, params.max_pairs, seed)
    if not pairs:
        return None
    model = train(texts, pairs, seed, params, base_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save(str(tmp), safe_serialization=True, create_model_card=False)
        if (target / "model.safetensors").exists():  # another process saved the same model meanwhile
            return target
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prune(target.parent)
    return target


def prune(models_dir: Path, keep: int = KEEP_MODELS) -> None:
    """Remove all but the ``keep`` most recently used fine-tuned models of a directory."""
    saved = sorted((p for p in models_dir.glob(f"{PREFIX}*") if p.is_dir()), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    for old in saved[keep:]:
        shutil.rmtree(old, ignore_errors=True)
