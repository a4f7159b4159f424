"""``ThemeModel``: BERTopic themes that adapt to corpus size and can be guided by a codebook.

Clustering (our part, then handed to BERTopic as manual topic labels ``y``):

1. PCA of the L2-normalised embeddings to <= 50 dims (re-normalised: spherical geometry).
2. Over-cluster with KMeans into ``K ~ 3 x n_themes`` fine clusters.
3. Merge fine clusters by the deterministic information bottleneck on their word
   distributions (:func:`information_merge`), down to ``n_themes`` (auto: ~1.2 log2(n) - 4, 3..40).
4. One pass of k-nearest-neighbour majority smoothing (n <= ``smooth_max``).

Guided mode (BERTopic zero-shot semantics): a segment whose cosine similarity to a code
prototype (name + definition + include + examples) is >= ``zeroshot_min_similarity`` is
anchored to that code; the remaining segments are over-clustered; fine clusters then merge
with code themes or with each other (two codes never merge). Code patterns become c-TF-IDF
seed words. Every segment with a usable embedding gets a theme (``-1`` only for empty /
zero vectors).

BERTopic then computes c-TF-IDF keywords, a KeyBERT-style re-ranking (:class:`CentroidKeyBERT`:
candidate words against the theme centroid of the cached document embeddings), topic
embeddings (used by ``transform``), ``topics_per_class`` and safetensors serialisation.
Fitting runs with one BLAS/OpenMP thread: on a shared 2-core machine oversubscribed
thread pools made PCA/KMeans 5x slower.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

MIN_SEGMENTS = 30
FILLER_WORDS = ("said", "say", "says", "saying", "laughs", "laughter", "just", "like", "yeah", "yes", "okay", "ok",
                "know", "think", "really", "um", "uh", "gonna", "want", "got", "going", "thing", "things", "lot",
                "kind", "right", "mean", "actually", "maybe", "that's", "it's", "i'm", "i'll", "i've", "don't",
                "didn't", "we're", "they're", "you're", "there's", "can't", "won't", "let's", "xxx", "xxxx",
                "isn't", "aren't", "wasn't", "weren't", "doesn't", "couldn't", "wouldn't", "shouldn't", "haven't",
                "hasn't", "hadn't", "ain't", "i'd", "you've", "you'll", "you'd", "he's", "she's", "we've", "we'll",
                "we'd", "they've", "they'll", "they'd", "what's", "who's", "here's")


def stop_words() -> list[str]:
    """English stop words plus conversational fillers (transcripts) and redaction marks."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | set(FILLER_WORDS))


@functools.cache
def _function_words() -> frozenset[str]:
    """Spanish function words (spaCy's list): never label words, so a theme of bilingual answers
    is not called 'Que / puedo / en'. Keywords keep them (c-TF-IDF already weighs them)."""
    from spacy.lang.es.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _same_word(a: str, b: str) -> bool:
    """Inflections of one word ('stipend' / 'stipends', 'change' / 'changed', 'family' / 'families'): one
    is a prefix of the other, or the shorter ends in y and the longer goes on with 'ie'."""
    short, long = sorted((a.lower(), b.lower()), key=len)
    if short == long:
        return True
    return len(short) >= 4 and (long.startswith(short) or short.endswith("y") and long.startswith(short[:-1] + "ie"))


GUIDED_MIN_SHARE = 0.1  # a theme is named after a code when >= this share of it is anchored to the code


# evaluative words every theme uses: fine as keywords, empty as a label ("Good / great / hear")
GENERIC_LABEL_WORDS = frozenset({"good", "great", "nice", "bad", "better", "best", "well", "fine", "way", "word",
                                 "feel", "felt", "hear", "little", "time", "lot", "sure", "new", "ask", "asking"})


def label_words(candidates: Sequence[str], n: int = 3, avoid: frozenset[str] = frozenset()) -> list[str]:
    """The first ``n`` keywords that share no word (or inflection of one) with an earlier pick and
    are not function words, generic evaluative words (``GENERIC_LABEL_WORDS``) or ``avoid`` (lower
    case, e.g. people's names); when too few remain, generic words fill up."""
    picked = _label_words(candidates, n, GENERIC_LABEL_WORDS | avoid)
    return picked if len(picked) == n else _label_words(picked + list(candidates), n, avoid)


def _label_words(candidates: Sequence[str], n: int, generic: frozenset[str]) -> list[str]:
    picked: list[str] = []
    for word in candidates:
        tokens = word.split()
        if any(t.lower() in _function_words() or t.lower() in generic for t in tokens):
            continue
        if any(_same_word(t, u) for t in tokens for w in picked for u in w.split()):
            continue
        picked.append(word)
        if len(picked) == n:
            break
    return picked


@dataclass(frozen=True)
class ThemeGuide:
    """One codebook code as a theme prototype (guided mode)."""

    id: str
    name: str
    description: str = ""
    seed_words: tuple[str, ...] = field(default_factory=tuple)

    @property
    def prototype_text(self) -> str:
        return f"{self.name}. {self.description}".strip()


def guides_from_codebook(codebook: Any) -> list[ThemeGuide]:
    """Build guides from a :class:`cop_analysis.codebook.Codebook` (name, definition, examples, patterns)."""
    guides = []
    for code in codebook.codes:
        parts = [code.definition or "", code.include or "", *list(code.examples or [])[:3]]
        words = [w.lower() for p in (code.patterns or []) for w in _plain_words(p)]
        guides.append(ThemeGuide(code.id, code.name, " ".join(p for p in parts if p), tuple(dict.fromkeys(words))))
    return guides


def _plain_words(pattern: str) -> list[str]:
    """Alphabetic words of a (possibly regex) pattern, e.g. ``\\btrust(ed)?\\b`` -> ['trust', 'ed']."""
    import re

    return [w for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\\[a-zA-Z]", " ", pattern))]


def auto_n_themes(n: int) -> int:
    """Default number of themes for ``n`` segments: 3 at 30, ~9 at 500, ~12 at 10k, ~16 at 100k."""
    return int(np.clip(round(1.2 * math.log2(max(n, 2)) - 4), 3, 40))


def _normalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.nan_to_num(np.asarray(x, dtype=np.float32))
    norms = np.linalg.norm(x, axis=1)
    valid = norms > 1e-8
    out = np.zeros_like(x)
    out[valid] = x[valid] / norms[valid, None]
    return out, valid


def _word_distributions(counts: Any, labels: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(P(word | group) per row, each group's share of the segments): every segment is one unit of
    mass spread evenly over its vocabulary words, or put on one "no word" column when it has none."""
    import scipy.sparse as sp

    counts = sp.csr_matrix(counts, dtype=np.float64)
    per_doc = np.asarray(counts.sum(axis=1)).ravel()
    docs = sp.hstack([counts, sp.csr_matrix((per_doc == 0).astype(np.float64)[:, None])]).tocsr()
    docs = sp.diags(1 / np.maximum(per_doc, 1)) @ docs
    member = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_groups, len(labels)))
    words = np.asarray((member @ docs).todense())
    words = words[:, words.sum(axis=0) > 0]
    mass = words.sum(axis=1)
    return words / np.maximum(mass, 1e-12)[:, None], mass / mass.sum()


def _merge_costs(words: np.ndarray, mass: np.ndarray, i: int, others: np.ndarray, entropy_weight: float) -> np.ndarray:
    """Cost of merging group ``i`` with each of ``others``: the information about words lost,
    (p_i + p_j) JS_pi(P_i, P_j), minus ``entropy_weight`` times the theme entropy lost, (p_i + p_j) H(pi)."""
    total = mass[i] + mass[others]
    a = (mass[i] / np.where(total > 0, total, 1.0))[:, None]
    mine, theirs = words[i][None, :], words[others]
    mixed = a * mine + (1 - a) * theirs
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_mine = np.where(mine > 0, mine * np.log(mine / mixed), 0).sum(axis=1)
        kl_theirs = np.where(theirs > 0, theirs * np.log(theirs / mixed), 0).sum(axis=1)
    a = a[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nan_to_num(a * np.log(a) + (1 - a) * np.log(1 - a))
    return total * (a * kl_mine + (1 - a) * kl_theirs - entropy_weight * entropy)  # 0 for two empty groups


def information_merge(words: np.ndarray, mass: np.ndarray, k: int, entropy_weight: float,
                      apart: Sequence[int] = ()) -> np.ndarray:
    """Group index (0..) per row after greedy merges down to ``k`` groups (agglomerative deterministic
    information bottleneck: each step merges the pair that loses the least information about the words,
    I(themes; words), net of ``entropy_weight`` times the entropy of the theme sizes it loses).

    ``words``: P(word | group) rows, ``mass``: the groups' shares. Rows in ``apart`` never end up in
    one group (two codes never merge). Two groups that each hold at least 1/k of the mass never merge
    either: the entropy credit is largest for such a pair, and left to it the two largest topics of NHS
    (care received, staff) merged or stayed apart at random between KMeans seeds. Pair costs are cached:
    a merge recomputes one row.
    """
    words, mass = words.astype(np.float64).copy(), mass.astype(np.float64).copy()
    m = len(mass)
    alive = np.ones(m, dtype=bool)
    groups = np.arange(m)
    held = np.zeros(m, dtype=bool)
    held[list(apart)] = True

    def costs(i: int) -> np.ndarray:
        row = np.full(m, np.inf)
        large = mass >= 1 / k
        others = np.flatnonzero(alive & ~(held & held[i]) & ~(large & large[i]))
        others = others[others != i]
        if len(others):
            row[others] = _merge_costs(words, mass, i, others, entropy_weight)
        return row

    cost = np.stack([costs(i) for i in range(m)])
    while alive.sum() > k:
        i, j = np.unravel_index(np.argmin(cost), cost.shape)
        if not np.isfinite(cost[i, j]):
            break
        words[i] = (mass[i] * words[i] + mass[j] * words[j]) / (mass[i] + mass[j])
        mass[i] += mass[j]
        held[i] |= held[j]
        alive[j] = False
        groups[groups == j] = i
        cost[j, :] = cost[:, j] = np.inf
        cost[i] = costs(i)
        cost[:, i] = cost[i]
    return np.unique(groups, return_inverse=True)[1]


def centroid_keybert(embeddings: np.ndarray, top_n_words: int = 10, nr_candidate_words: int = 20) -> Any:
    """A BERTopic representation: each theme's top c-TF-IDF words re-ranked by cosine similarity
    to the theme centroid of the (precomputed, L2-normalised) document ``embeddings``.

    Like ``KeyBERTInspired`` but without sampling or re-embedding representative documents:
    only the candidate words are embedded (through BERTopic's embedding backend).
    """
    from bertopic.representation import BaseRepresentation

    class CentroidKeyBERT(BaseRepresentation):
        def extract_topics(self, topic_model: Any, documents: pd.DataFrame, c_tf_idf: Any,
                           topics: dict[int, list[tuple[str, float]]]) -> dict[int, list[tuple[str, float]]]:
            candidates = {t: [w for w, _ in words[:nr_candidate_words] if w] for t, words in topics.items()}
            vocab = sorted({w for words in candidates.values() for w in words})
            if not vocab:
                return topics
            vectors = _normalise(topic_model._extract_embeddings(vocab, method="word", verbose=False))[0]
            index = {w: i for i, w in enumerate(vocab)}
            out = {}
            for topic, words in candidates.items():
                rows = documents.ID[documents.Topic == topic].to_numpy()
                centroid = embeddings[rows].sum(axis=0)
                sims = vectors[[index[w] for w in words]] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-8))
                ranked = sorted(zip(words, sims.tolist()), key=lambda p: -p[1])[:top_n_words]
                out[topic] = ranked + [("", 1e-5)] * (top_n_words - len(ranked))
            return out

    return CentroidKeyBERT()


class ThemeModel:
    """Fit themes on texts + precomputed embeddings (scikit-learn style).

    >>> model = ThemeModel(random_state=42).fit(texts, embeddings)
    >>> model.topics_, model.theme_info()

    Parameters: ``n_themes`` (None = :func:`auto_n_themes`), ``guides`` (codebook prototypes),
    ``zeroshot_min_similarity`` (anchor threshold; 0.4 suits MiniLM), ``entropy_weight`` (how much
    the merge of fine clusters favours large themes over evenly sized ones, :func:`information_merge`), ``embedding_model`` (our offline model object; loaded
    with :func:`cop_analysis.models.load_embedding_model` if None and no ``encoder``), ``encoder``
    (texts -> embeddings, e.g. ``EmbeddingCache.encode``: then every text is embedded through it).
    """

    def __init__(self, n_themes: int | None = None, guides: Sequence[ThemeGuide] | None = None,
                 zeroshot_min_similarity: float = 0.4, entropy_weight: float = 0.4,
                 overcluster_factor: int = 3, n_init: int = 10, smooth_neighbors: int = 15,
                 smooth_max: int = 30000, n_representatives: int = 5, keybert: bool = True, embedding_model: Any = None,
                 encoder: Callable[[list[str]], np.ndarray] | None = None, random_state: int = 42,
                 label_avoid: Sequence[str] = ()) -> None:
        self.n_themes = n_themes
        self.guides = list(guides or [])
        self.zeroshot_min_similarity = zeroshot_min_similarity
        self.entropy_weight = entropy_weight
        self.overcluster_factor = overcluster_factor
        self.n_init = n_init
        self.smooth_neighbors = smooth_neighbors
        self.smooth_max = smooth_max
        self.n_representatives = n_representatives
        self.keybert = keybert
        self.embedding_model = embedding_model
        self.encoder = encoder
        self.random_state = random_state
        self.label_avoid = label_avoid

    # -- clustering ------------------------------------------------------------------
    def _vectorizer(self, n: int, min_df: int | None = None) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(stop_words=stop_words(), ngram_range=(1, 2) if n <= 20000 else (1, 1),
                               min_df=min_df if min_df is not None else (1 if n < 200 else 2),
                               max_features=50000, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b")

    def _keyword_vectorizer(self, texts: list[str], seeds: list[str]) -> Any:
        """CountVectorizer for c-TF-IDF keywords with a vocabulary of words used in enough segments.

        (BERTopic fits its vectorizer on one joined document per theme, where ``min_df`` would
        count themes, so the document-frequency filter is applied here.)
        """
        from sklearn.feature_extraction.text import CountVectorizer

        n = len(texts)
        fitted = self._vectorizer(n, min_df=max(2, n // 2000) if n >= 100 else 1).fit(texts)
        vocab = [w for w in fitted.get_feature_names_out() if len(set(w.split())) == len(w.split())]
        vocab = sorted(set(vocab) | {w for w in seeds if w in fitted.vocabulary_})
        return CountVectorizer(vocabulary=vocab, ngram_range=fitted.ngram_range, stop_words=stop_words(),
                               token_pattern=fitted.token_pattern)

    def _cluster(self, texts: list[str], x: np.ndarray, prototypes: np.ndarray | None) -> tuple[np.ndarray, dict[int, int]]:
        """Return labels (0..k-1) for rows of unit vectors ``x`` and {label: guide index}."""
        from sklearn.cluster import KMeans, MiniBatchKMeans
        from sklearn.decomposition import PCA

        n = len(texts)
        k = self.n_themes or auto_n_themes(n)
        dims = min(50, n - 1, x.shape[1])
        z = PCA(dims, random_state=self.random_state).fit_transform(x).astype(np.float32)
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-8)

        anchor = np.full(n, -1)
        codes: list[int] = []
        if prototypes is not None and len(prototypes):
            sims = x @ prototypes.T
            best = sims.argmax(axis=1)
            hit = sims.max(axis=1) >= self.zeroshot_min_similarity
            min_size = max(3, n // 500)
            counts = np.bincount(best[hit], minlength=len(prototypes))
            codes = [j for j in range(len(prototypes)) if counts[j] >= min_size]
            for slot, j in enumerate(codes):
                anchor[hit & (best == j)] = slot
            k = max(k, len(codes) + 2)
        free = np.flatnonzero(anchor < 0)
        n_fine = int(np.clip(self.overcluster_factor * k, k + 1, max(k + 1, len(free) // 5)))
        n_fine = min(n_fine, len(free))
        fine = np.full(n, -1)
        if n_fine >= 2:
            big = len(free) > 50000
            kind = MiniBatchKMeans if big else KMeans
            extra = {"batch_size": 4096} if big else {}
            fine[free] = kind(n_fine, n_init=3 if big else self.n_init, random_state=self.random_state,
                              **extra).fit_predict(z[free])
        elif len(free):
            fine[free] = 0
            n_fine = 1
        # nodes: fine clusters 0..n_fine-1, then code themes
        node = np.where(anchor >= 0, n_fine + anchor, fine)
        n_nodes = n_fine + len(codes)
        words, mass = _word_distributions(self._vectorizer(n).fit_transform(texts), node, n_nodes)
        groups = information_merge(words, mass, min(k, n_nodes), self.entropy_weight, apart=range(n_fine, n_nodes))
        labels = groups[node]
        labels = self._absorb_small(z, self._smooth(z, labels, anchor), max(3, n // 100))
        return labels, self._guided_themes(labels, anchor, codes)

    @staticmethod
    def _guided_themes(labels: np.ndarray, anchor: np.ndarray, codes: list[int]) -> dict[int, int]:
        """{theme: guide index}: each code names the theme holding most of its anchored segments,
        when they are at least ``GUIDED_MIN_SHARE`` of it.

        A code theme absorbed into another one (too small) leaves two codes claiming one theme:
        the code with more anchored segments there names it. A code theme that grew mostly from
        segments that are not like the code (3 anchored of 79) keeps keywords for a label.
        """
        sizes = np.bincount(labels)
        claims: dict[int, tuple[int, int]] = {}
        for slot, j in enumerate(codes):
            hits = np.bincount(labels[anchor == slot])
            if hits.sum() == 0:
                continue
            theme = int(hits.argmax())
            if hits[theme] >= GUIDED_MIN_SHARE * sizes[theme] and hits[theme] > claims.get(theme, (0, -1))[0]:
                claims[theme] = (int(hits[theme]), j)
        return {theme: j for theme, (_, j) in claims.items()}

    @staticmethod
    def _absorb_small(z: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
        """Give members of themes smaller than ``min_size`` to the nearest larger theme; relabel 0..k-1."""
        sizes = np.bincount(labels)
        big = np.flatnonzero(sizes >= min_size)
        if 0 < len(big) < len(sizes):
            centres = np.stack([z[labels == b].mean(axis=0) for b in big])
            small = ~np.isin(labels, big)
            labels = labels.copy()
            labels[small] = big[(z[small] @ centres.T).argmax(axis=1)]
        return np.unique(labels, return_inverse=True)[1]

    def _smooth(self, z: np.ndarray, labels: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        """One pass of k-NN majority vote (anchored segments keep their code)."""
        n = len(labels)
        if n > self.smooth_max or self.smooth_neighbors < 2:
            return labels
        from sklearn.neighbors import NearestNeighbors

        nn = min(self.smooth_neighbors, n)
        idx = NearestNeighbors(n_neighbors=nn).fit(z).kneighbors(z, return_distance=False)
        votes = np.zeros((n, labels.max() + 1))
        np.add.at(votes, (np.repeat(np.arange(n), nn), labels[idx].ravel()), 1)
        smoothed = votes.argmax(axis=1)
        return np.where(anchor >= 0, labels, smoothed)

    # -- fitting ---------------------------------------------------------------------
    def _model(self) -> Any:
        if self.embedding_model is None:
            from .. import models

            self.embedding_model = models.load_embedding_model()
        return self.embedding_model

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.asarray(self.encoder(texts) if self.encoder else self._model().encode(texts)))[0]

    def _backend(self) -> Any:
        """Our model object for BERTopic; with an ``encoder`` (e.g. the on-disk cache) wrapped to use it.

        With an encoder the model object is not loaded here: every text BERTopic embeds goes
        through the encoder, so nothing heavy is imported when the cache already has the vectors.
        """
        if self.encoder is None:
            return self._model()
        from bertopic.backend import BaseEmbedder

        model, encode = self.embedding_model, self._encode

        class CachedEmbedder(BaseEmbedder):  # KeyBERT words and documents go through the cache
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return encode([str(d) for d in documents])

        return CachedEmbedder(embedding_model=model)

    def fit(self, texts: Sequence[str], embeddings: np.ndarray) -> "ThemeModel":
        """Cluster ``texts`` (with their precomputed ``embeddings``) into themes."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._fit([str(t) for t in texts], embeddings)

    def _fit(self, texts: list[str], embeddings: np.ndarray) -> "ThemeModel":
        if len(texts) != len(embeddings):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        x, valid = _normalise(embeddings)
        if valid.sum() < MIN_SEGMENTS:
            raise ValueError(f"themes need at least {MIN_SEGMENTS} non-empty segments, got {int(valid.sum())}: "
                             "select more segments (e.g. all turns or several survey questions) or code by hand")
        from bertopic import BERTopic
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction
        from bertopic.vectorizers import ClassTfidfTransformer

        prototypes = self._encode([g.prototype_text for g in self.guides]) if self.guides else None
        vt = [t for t, v in zip(texts, valid) if v]
        labels, guided = self._cluster(vt, x[valid], prototypes)
        y = np.full(len(texts), -1)
        y[valid] = labels
        seeds = sorted({w for g in self.guides for w in g.seed_words}) or None
        representation = centroid_keybert(x, top_n_words=10, nr_candidate_words=20) if self.keybert else None
        self.topic_model_ = BERTopic(
            embedding_model=self._backend(), umap_model=BaseDimensionalityReduction(), hdbscan_model=BaseCluster(),
            vectorizer_model=self._keyword_vectorizer(vt, seeds or []),
            ctfidf_model=ClassTfidfTransformer(seed_words=seeds),
            representation_model={"KeyBERT": representation} if representation else None, top_n_words=10)
        topics, _ = self.topic_model_.fit_transform(texts, embeddings=x, y=y)
        self.topics_ = np.asarray(topics, dtype=np.int64)
        self.texts_ = texts
        # BERTopic renumbers by size: carry the guided mapping over
        self.guided_codes_ = {int(self.topics_[valid][labels == lab][0]): self.guides[j].id for lab, j in guided.items()}
        self.probabilities_, self.representatives_ = self._strengths(x, valid)
        return self

    def _strengths(self, x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, dict[int, list[int]]]:
        """Cosine similarity of each segment to its theme centroid, and the closest distinct members."""
        prob = np.zeros(len(x))
        reps: dict[int, list[int]] = {}
        for theme in sorted(set(self.topics_.tolist()) - {-1}):
            rows = np.flatnonzero((self.topics_ == theme) & valid)
            centroid = x[rows].mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-8)
            sims = x[rows] @ centroid
            prob[rows] = np.clip(sims, 0, 1)
            chosen: list[int] = []
            seen: set[str] = set()
            for r in rows[np.argsort(-sims, kind="stable")]:
                key = " ".join(self.texts_[r].lower().split())
                if key not in seen:
                    seen.add(key)
                    chosen.append(int(r))
                if len(chosen) == self.n_representatives:
                    break
            reps[theme] = chosen
        return prob, reps

    def fit_transform(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        return self.fit(texts, embeddings).topics_

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Assign new segments to the fitted themes (nearest theme embedding)."""
        x, valid = _normalise(embeddings)
        topics, probs = self.topic_model_.transform([str(t) for t in texts], embeddings=x)
        topics = np.where(valid, np.asarray(topics), -1)
        return topics.astype(np.int64), np.where(valid, np.clip(np.asarray(probs, dtype=float), 0, 1), 0.0)

    # -- describing ------------------------------------------------------------------
    def keywords(self, theme: int, aspect: str | None = None) -> list[str]:
        words = self.topic_model_.topic_aspects_[aspect].get(theme, []) if aspect else self.topic_model_.get_topic(theme)
        return [w for w, _ in (words or []) if w]

    def auto_label(self, theme: int) -> str:
        """A short label: the guiding code's name, else :meth:`keyword_label`."""
        code = self.guided_codes_.get(theme)
        if code is not None:
            return next(g.name for g in self.guides if g.id == code)
        return self.keyword_label(theme)

    def keyword_label(self, theme: int) -> str:
        """3 distinct keywords (KeyBERT first), e.g. "Noisy night / rooms / bed"."""
        if theme == -1:
            return "Unassigned"
        candidates = (self.keywords(theme, "KeyBERT") if self.keybert else []) + self.keywords(theme)
        avoid = frozenset(w.lower() for w in self.label_avoid)
        return " / ".join(label_words(candidates, avoid=avoid)).capitalize() or f"Theme {theme}"

    def theme_info(self) -> pd.DataFrame:
        """One row per theme: theme_id, auto_label, keyword_label, keywords, size, representatives (row
        indices), guided_code."""
        rows = []
        for theme, size in sorted(pd.Series(self.topics_).value_counts().items()):
            rows.append({"theme_id": int(theme), "auto_label": self.auto_label(int(theme)),
                         "keyword_label": self.keyword_label(int(theme)),
                         "keywords": ", ".join(self.keywords(int(theme))), "size": int(size),
                         "representatives": self.representatives_.get(int(theme), []),
                         "guided_code": self.guided_codes_.get(int(theme))})
        return pd.DataFrame(rows)

    def save(self, directory: str | Path, embedding_model_path: str) -> None:
        """Save the BERTopic model with safetensors (reload with :func:`load_topic_model`)."""
        self.topic_model_.save(str(directory), serialization="safetensors", save_ctfidf=True,
                               save_embedding_model=embedding_model_path)


def load_topic_model(directory: str | Path, embedding_model: Any = None) -> Any:
    """Reload a saved BERTopic model offline with our embedding model object."""
    from bertopic import BERTopic

    from .. import models

    return BERTopic.load(str(directory), embedding_model=embedding_model or models.load_embedding_model())
