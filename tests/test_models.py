"""Offline model loading and the embedding cache (real MiniLM, real spaCy)."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from cop_analysis import embeddings, models


def test_missing_embedding_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(models.ModelNotAvailable, match="not a directory"):
        models.embedding_model_path(str(tmp_path / "nope"))


def test_spacy_prefers_a_real_english_model() -> None:
    nlp = models.load_spacy()
    assert models.has_ner(nlp)
    assert [t.lemma_ for t in nlp("We trusted them")][1] == "trust"


def test_spacy_blank_fallback_warns_and_still_splits_sentences() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nlp = models.load_spacy.__wrapped__("blank")
    assert any("named-entity" in str(w.message) for w in caught)
    assert not models.has_ner(nlp)
    assert len(list(nlp("One sentence. Another one here.").sents)) == 2


@pytest.mark.slow
def test_embedding_cache_embeds_only_new_text(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = embeddings.EmbeddingCache(tmp_path)
    first = cache.encode(["trust takes time", "the budget deadline"])
    assert first.shape == (2, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)

    calls: list[int] = []
    reopened = embeddings.EmbeddingCache(tmp_path)
    original = reopened._embed
    monkeypatch.setattr(reopened, "_embed", lambda texts: calls.append(len(texts)) or original(texts))
    second = reopened.encode(["the budget deadline", "trust takes time", "a new sentence"])
    assert calls == [1]  # only the new text was embedded
    assert np.allclose(second[0], first[1]) and np.allclose(second[1], first[0])
    assert len(reopened) == 3
    similar = second[1] @ reopened.encode(["building trust is slow"])[0]
    unrelated = second[1] @ reopened.encode(["the parking garage closes at nine"])[0]
    assert similar > unrelated


@pytest.mark.slow
def test_onnx_encoder_matches_sentence_transformers_and_exports_once(tmp_path) -> None:
    from cop_analysis.onnx_encoder import OnnxSentenceEncoder

    path = tmp_path / "model"  # a writable copy: the export goes to its onnx/ folder
    shutil.copytree(models.embedding_model_path(), path, ignore=shutil.ignore_patterns("onnx"))
    fast = OnnxSentenceEncoder.for_model(path)
    exported = list((path / "onnx").glob("*.onnx"))
    assert fast is not None and len(exported) == 1
    texts = ["We trusted them.", "", "word " * 400, "Luz Hernández — café ☕", "short", "Nothing."]
    reference = models.load_embedding_model().encode(texts, normalize_embeddings=True)
    got = fast.encode(texts, batch_size=2)
    assert got.shape == reference.shape and got.dtype == np.float32
    assert ((got * reference).sum(axis=1) > 0.9999).all()
    stamp = exported[0].stat().st_mtime_ns
    assert OnnxSentenceEncoder.for_model(path) is not None and exported[0].stat().st_mtime_ns == stamp


def test_onnx_encoder_declines_models_it_cannot_export(tmp_path) -> None:
    from cop_analysis.onnx_encoder import OnnxSentenceEncoder

    (tmp_path / "modules.json").write_text('[{"type": "sentence_transformers.models.StaticEmbedding"}]')
    assert OnnxSentenceEncoder.for_model(tmp_path) is None
