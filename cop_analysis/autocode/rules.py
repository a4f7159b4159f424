"""Keyword / lemma rules from the codebook's ``patterns``, matched with spaCy."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .base import ScoreTable, code_list, segment_texts


class RuleSuggester:
    """Suggest a code when one of its patterns occurs in a segment.

    A pattern is a word or phrase matched case-insensitively on lemmas *or* surface words
    ("listen to us" matches "Listened to us"; lemmas come from spaCy's lookup table, no tagger); a trailing ``*`` makes a word a prefix
    ("facilitat*"). Every distinct match adds its length in tokens to the match strength
    ``w``; the score is ``1 - 0.5 ** w`` (one single-word match -> 0.5, two -> 0.75).
    Evidence lists the matched words.
    """

    method = "rules"

    def __init__(self, names_as_patterns: bool = False, batch_size: int = 256) -> None:
        self.names_as_patterns = names_as_patterns
        self.batch_size = batch_size

    def fit(self, codebook: Any, codings: pd.DataFrame | None = None,
            segments: pd.DataFrame | None = None) -> "RuleSuggester":
        """Compile the codebook's patterns (human codings are not used by rules)."""
        from spacy.matcher import Matcher, PhraseMatcher

        from .. import models

        key = [(c.id, c.name, tuple(c.patterns or ())) for c in code_list(codebook)]
        if getattr(self, "key_", None) == key:
            return self  # same patterns: keep the compiled matchers and the per-text memo
        self.key_, self.memo_ = key, {}
        self.nlp_ = models.load_rule_tokenizer()
        self.code_ids_ = [c.id for c in code_list(codebook)]
        self.phrases_ = PhraseMatcher(self.nlp_.vocab, attr="ORTH")
        self.wildcards_ = Matcher(self.nlp_.vocab)
        for code in code_list(codebook):
            patterns = [p for p in (code.patterns or []) if p and p.strip()]
            if self.names_as_patterns:
                patterns.append(code.name)
            phrases, wild = [], []
            for pattern in patterns:
                if "*" in pattern:
                    wild.append([{"LOWER": {"REGEX": "^" + re.escape(w[:-1])}} if w.endswith("*") else {"LOWER": w}
                                 for w in pattern.lower().split()])
                else:
                    doc = self.nlp_(pattern)
                    phrases += [self._lemma_doc(doc), self._lower_doc(doc)]
            if phrases:
                self.phrases_.add(code.id, phrases)
            if wild:
                self.wildcards_.add(code.id, wild)
        return self

    def _lemma_doc(self, doc: Any) -> Any:
        from spacy.tokens import Doc

        lemmas = self.nlp_.lemma_table
        return Doc(self.nlp_.vocab, words=[lemmas.get(t.norm_, t.norm_) for t in doc])

    def _lower_doc(self, doc: Any) -> Any:
        from spacy.tokens import Doc

        return Doc(self.nlp_.vocab, words=[t.lower_ for t in doc])

    def matches(self, doc: Any) -> dict[str, list[tuple[int, int]]]:
        """Distinct matched token spans per code id in a processed doc."""
        found: dict[str, set[tuple[int, int]]] = {}
        for matcher, target in ((self.phrases_, self._lemma_doc(doc)), (self.phrases_, self._lower_doc(doc)),
                                (self.wildcards_, doc)):
            for match_id, start, end in matcher(target) if len(matcher) else ():
                found.setdefault(self.nlp_.vocab.strings[match_id], set()).add((start, end))
        return {code: _outermost(spans) for code, spans in found.items()}

    def score(self, segments: pd.DataFrame) -> ScoreTable:
        """Rule scores for every segment x code (0 where nothing matched)."""
        ids, texts = segment_texts(segments)
        col = {c: j for j, c in enumerate(self.code_ids_)}
        scores = np.zeros((len(ids), len(col)))
        evidence = np.full((len(ids), len(col)), "", dtype=object)
        new = list(dict.fromkeys(t for t in texts if t not in self.memo_))
        for text, doc in zip(new, self.nlp_.pipe(new, batch_size=self.batch_size)):
            self.memo_[text] = {code: (1 - 0.5 ** sum(e - s for s, e in spans),
                                       "matched: " + ", ".join(f'"{w}"' for w in dict.fromkeys(doc[s:e].text
                                                                                          for s, e in spans)))
                                for code, spans in self.matches(doc).items()}
        for i, text in enumerate(texts):
            for code, (value, words) in self.memo_[text].items():
                scores[i, col[code]], evidence[i, col[code]] = value, words
        return ScoreTable(ids, self.code_ids_, scores, evidence, np.array(self.method, dtype=object))

    def suggest(self, segments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
        """Suggestions (segment_id, code_id, score, method, evidence) scoring >= threshold."""
        return self.score(segments).frame(threshold)


def _outermost(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop spans contained in another matched span ("safe" inside "safe space")."""
    return sorted(s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans))
