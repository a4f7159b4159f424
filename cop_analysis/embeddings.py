"""Sentence embeddings with an on-disk cache keyed by model name + text hash.

A rerun only embeds text it has not seen. The cache is one ``.npy`` matrix plus a
Parquet index per model in ``data/processed/embeddings/`` (or any directory given).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .atomic import atomic_path


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Encode texts with the offline model, reusing vectors computed before.

    >>> cache = EmbeddingCache("data/processed/embeddings")
    >>> vectors = cache.encode(["some text", "more"])  # (2, 384) float32, L2-normalised

    New text is embedded on ONNX Runtime (``models.load_fast_encoder``), else with the
    sentence-transformers model in batches of ``batch_size``.
    """

    def __init__(self, directory: str | Path, model_path: str | None = None, batch_size: int = 64,
                 show_progress: bool = False) -> None:
        from . import models

        self.directory = Path(directory)
        self.model_path = model_path
        self.model_name = models.embedding_model_name(model_path)
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._keys: dict[str, int] | None = None
        self._matrix: np.ndarray | None = None

    @property
    def _stem(self) -> Path:
        return self.directory / self.model_name.replace("/", "_")

    def _load(self) -> None:
        if self._keys is not None:
            return
        keys_file, matrix_file = self._stem.with_suffix(".keys.txt"), self._stem.with_suffix(".npy")
        if keys_file.exists() and matrix_file.exists():
            keys = keys_file.read_text(encoding="utf-8").split()
            matrix = np.load(matrix_file)
            if len(keys) == matrix.shape[0]:
                self._keys = {k: i for i, k in enumerate(keys)}
                self._matrix = matrix
                return
        self._keys, self._matrix = {}, None

    def _save(self) -> None:
        assert self._keys is not None and self._matrix is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._stem.with_suffix(".npy"), suffix=".npy") as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, self._matrix)
        ordered = sorted(self._keys, key=self._keys.__getitem__)
        with atomic_path(self._stem.with_suffix(".keys.txt")) as tmp:
            tmp.write_text("\n".join(ordered), encoding="utf-8")

    @property
    def model(self) -> Any:
        from . import models

        return models.load_embedding_model(self.model_path)

    def _embed(self, texts: list[str]) -> np.ndarray:
        from . import models

        fast = models.load_fast_encoder(self.model_path)
        if fast is not None:
            return fast.encode(texts, show_progress_bar=self.show_progress)
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=self.show_progress).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 matrix of L2-normalised embeddings, embedding only new texts."""
        self._load()
        assert self._keys is not None
        keys = [text_key(t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key not in self._keys and key not in missing:
                missing[key] = text
        if missing:
            new = self._embed(list(missing.values()))
            start = 0 if self._matrix is None else self._matrix.shape[0]
            self._matrix = new if self._matrix is None else np.vstack([self._matrix, new])
            for offset, key in enumerate(missing):
                self._keys[key] = start + offset
            self._save()
        if not texts:
            dim = self.model.get_sentence_embedding_dimension()
            return np.zeros((0, dim), dtype=np.float32)
        assert self._matrix is not None
        return self._matrix[[self._keys[k] for k in keys]]

    def __len__(self) -> int:
        self._load()
        assert self._keys is not None
        return len(self._keys)
