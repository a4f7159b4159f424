"""Re-anchoring: carry character offsets from an old version of a source text to its new version.

:class:`TextMap` aligns the two texts hierarchically (common prefix and suffix of whole lines, then a line diff,
a word diff inside changed line runs and a character diff inside changed word runs), so a typo
fix shifts the text after it without losing track of it, in well under a second for a 200 KB
transcript. :class:`Relocator` uses it to find the new segment an old segment's text (or a
sub-span of it) now lies in; the ingest hands it to :meth:`cop_analysis.ledger.Ledger.reanchor`.
See ``docs/ledger.md`` ("Re-ingestion and orphans").
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from difflib import SequenceMatcher
from itertools import accumulate
from typing import Any

CHAR_DIFF_LIMIT = 2_000  # a changed word run longer than this (either side) is not aligned character by character
TOKEN_DIFF_LIMIT = 200_000  # token runs whose length product is larger are split at unique common tokens first
MIN_CHAR_RUN = 3  # shorter character matches inside rewritten words are coincidences, not kept text
MIN_KEPT = 0.5  # a span maps only if more than this share of its characters is unchanged
_WORDS = re.compile(r"\S+\s*|\s+")  # a word with the space after it (no popular lone-space tokens)
_LEVELS = 3  # lines, words, characters


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search over slice comparisons: C speed)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most ``limit``."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _tokens(text: str, level: int) -> list[str]:
    return text.splitlines(keepends=True) if level == 0 else _WORDS.findall(text)


def _unique_anchors(ta: list[str], tb: list[str]) -> list[tuple[int, int]]:
    """Token pairs ``(i, j)`` of tokens that occur once in each list, longest in-order subsequence (patience diff)."""
    ca, cb = Counter(ta), Counter(tb)
    where = {t: j for j, t in enumerate(tb) if cb[t] == 1}
    pairs = [(i, where[t]) for i, t in enumerate(ta) if ca[t] == 1 and t in where]
    tails: list[int] = []  # tails[k]: index into pairs of the smallest j ending an increasing run of length k+1
    back = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = _bisect_tails(pairs, tails, j)
        if pos:
            back[k] = tails[pos - 1]
        if pos == len(tails):
            tails.append(k)
        else:
            tails[pos] = k
    out, k = [], tails[-1] if tails else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


def _bisect_tails(pairs: list[tuple[int, int]], tails: list[int], j: int) -> int:
    """First position in ``tails`` whose pair's j is not below ``j``."""
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if pairs[tails[mid]][1] < j:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _align(old: str, new: str, o: int, n: int, level: int, out: list[tuple[int, int, int]]) -> None:
    """Append the unchanged runs ``(old_start, new_start, length)`` of ``old`` vs ``new`` (offset by o, n).

    Above the character level the common prefix and suffix end and start at this level's token
    boundaries (a line, a word): taken to the character they would let a deleted line's last
    characters stand for a kept line's ("...for us.\n\nCy: ... here.\n\nAR:" -> "...for us.\n\nAR:"
    would map the new "." to the one of the deleted "here."). At the character level, when words were
    inserted between them, they count only from :data:`MIN_CHAR_RUN` characters on or as a whole word
    ("finally.\n" -> "finally! And more here.\n": the "." is not the inserted sentence's ".").
    """
    p = _common_prefix(old, new)
    if level < _LEVELS - 1:
        boundary = (lambda c: c == "\n") if level == 0 else str.isspace
        while p and not (p == len(old) == len(new) or boundary(old[p - 1])):
            p -= 1
    q = _common_suffix(old, new, min(len(old), len(new)) - p)
    if level < _LEVELS - 1:
        while q and not ((q == len(old) or boundary(old[-q - 1])) and (q == len(new) or boundary(new[-q - 1]))):
            q -= 1
    elif _spaces(new[p:len(new) - q]) > _spaces(old[p:len(old) - q]):  # words inserted
        # a short match still counts when it is a whole word on both sides ("it\n" -> "it, and more\n")
        p = p if p >= MIN_CHAR_RUN or _whole_word(old[:p], old[p:p + 1], new[p:p + 1]) else 0
        q = q if q >= MIN_CHAR_RUN or _whole_word(old[len(old) - q:], old[-q - 1:-q], new[-q - 1:-q]) else 0
    if p:
        out.append((o, n, p))
    if q:
        out.append((o + len(old) - q, n + len(new) - q, q))
    a, b = old[p:len(old) - q], new[p:len(new) - q]
    o, n = o + p, n + p
    if not a or not b:
        return
    if level == _LEVELS - 1:
        if len(a) <= CHAR_DIFF_LIMIT and len(b) <= CHAR_DIFF_LIMIT:
            matcher = SequenceMatcher(None, a, b, autojunk=False)
            out.extend((o + i, n + j, size) for i, j, size in matcher.get_matching_blocks() if size >= MIN_CHAR_RUN)
        return
    ta, tb = _tokens(a, level), _tokens(b, level)
    at, bt = [0, *accumulate(map(len, ta))], [0, *accumulate(map(len, tb))]
    if len(ta) * len(tb) > TOKEN_DIFF_LIMIT:  # long runs: split at unique common tokens, align the gaps
        anchors = _unique_anchors(ta, tb)
        if anchors:
            i0 = j0 = 0
            for i, j in [*anchors, (len(ta), len(tb))]:
                _align(a[at[i0]:at[i]], b[bt[j0]:bt[j]], o + at[i0], n + bt[j0], level, out)
                if i < len(ta):
                    out.append((o + at[i], n + bt[j], at[i + 1] - at[i]))
                i0, j0 = i + 1, j + 1
            return
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb).get_opcodes():
        if tag == "equal":
            out.append((o + at[i1], n + bt[j1], at[i2] - at[i1]))
        elif tag == "replace":
            _align(a[at[i1]:at[i2]], b[bt[j1]:bt[j2]], o + at[i1], n + bt[j1], level + 1, out)


class TextMap:
    """Where each character of ``old`` is in ``new`` (None for deleted or rewritten characters)."""

    def __init__(self, old: str, new: str) -> None:
        blocks: list[tuple[int, int, int]] = []
        # both end with a line break while aligning, so an old last line that is now followed by more
        # lines is still the same line token ("B: ... here." vs "B: ... here.\n\nD: not here.")
        _align(old + "\n", new + "\n", 0, 0, 0, blocks)
        blocks = [(o, n, min(size, len(old) - o, len(new) - n)) for o, n, size in blocks]
        blocks = sorted(b for b in blocks if b[2] > 0)
        self._blocks = blocks
        self._starts = [b[0] for b in blocks]
        self._kept = [0, *accumulate(b[2] for b in blocks)]
        self._old, self._new, self._old_len, self._new_len = old, new, len(old), len(new)

    def char(self, pos: int) -> int | None:
        """New offset of the old character at ``pos``; None if it was deleted or changed."""
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0 or not 0 <= pos < self._old_len:
            return None
        o, n, size = self._blocks[i]
        return n + pos - o if pos < o + size else None

    def kept(self, start: int, end: int) -> int:
        """How many characters of ``old[start:end]`` are unchanged in ``new``."""
        lo = max(bisect.bisect_right(self._starts, start) - 1, 0)
        hi = bisect.bisect_left(self._starts, end)
        total = self._kept[hi] - self._kept[lo]  # whole blocks lo..hi-1, then trim the two ends
        if lo < hi:
            o, _, size = self._blocks[lo]
            total -= min(max(start - o, 0), size)
            o, _, size = self._blocks[hi - 1]
            total -= min(max(o + size - end, 0), size)
        return max(total, 0)

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The new ``(start, end)`` of ``old[start:end]``, or None when it cannot be mapped confidently.

        Needs more than :data:`MIN_KEPT` of its characters unchanged; see :meth:`_edge` for a span whose
        first or last character changed. The result must not be empty.
        """
        if not 0 <= start < end <= self._old_len or self.kept(start, end) <= MIN_KEPT * (end - start):
            return None
        new_start, last = self._edge(start, 1, end), self._edge(end - 1, -1, start - 1)
        if new_start is None or last is None or new_start > last:
            return None
        return new_start, last + 1

    def _edge(self, pos: int, step: int, stop: int) -> int | None:
        """New offset of a span's first (``step`` 1) or last (-1) character ``pos``; ``stop`` ends the span.

        A changed edge character takes the place next to the span's unchanged neighbour outside it (the
        text's start or end counts as one: '"Hi' -> 'Hi'; a typo in a span's last letter keeps the span),
        unless words were inserted between that neighbour and the span's first unchanged character
        (more spaces there than before). Failing that, the edge is that unchanged character, taken on to
        the end of the new word holding it so that no word is cut: changed punctuation at the edge is
        left out ("finally." -> "finally! And more." keeps "finally"), changed letters only when they are
        the end of the span's own edge word ("itin?" -> "iting? More" keeps "iting"); else None.
        """
        if (new := self.char(pos)) is not None:
            return new
        inner = next(((p, n) for p in range(pos, stop, step) if (n := self.char(p)) is not None), None)
        if inner is None:
            return None
        out = pos - step
        new_out = -1 if out < 0 else self._new_len if out >= self._old_len else self.char(out)
        if new_out is not None:
            (o1, o2), (n1, n2) = sorted((out, inner[0])), sorted((new_out, inner[1]))
            if _spaces(self._new[n1 + 1:n2]) <= _spaces(self._old[o1 + 1:o2]):
                return new_out + step
        changed = self._old[pos:inner[0]] if step == 1 else self._old[inner[0] + 1:pos + 1]
        edge_word = (changed.isalnum() and self._old[inner[0]].isalnum()
                     and not (0 <= out < self._old_len and self._old[out].isalnum()))
        if any(c.isalnum() for c in changed) and not edge_word:
            return None
        edge, limit = inner[1], 64
        while limit and self._new[edge].isalnum() and 0 <= edge - step < self._new_len \
                and self._new[edge - step].isalnum():
            edge, limit = edge - step, limit - 1
        return edge if limit else None


def _whole_word(match: str, old_next: str, new_next: str) -> bool:
    """Whether a short prefix or suffix match holds a whole word: letters, not followed (preceded) by more letters."""
    return any(c.isalnum() for c in match) and not old_next.isalnum() and not new_next.isalnum()


def _spaces(text: str) -> int:
    """How many whitespace characters ``text`` has (a proxy for its number of words)."""
    return sum(c.isspace() for c in text)


# units a coding may move to, in order: context text that became a turn (a file switched to
# ``speakers: none``, or a label added) takes its codings along; a turn's never go to context
_SUCCESSOR_UNITS = {"context": ("context", "turn")}


class Relocator:
    """Finds the new segment an old segment's text lies in, for the sources that changed.

    ``old`` / ``new``: segment frames (segment_id, source_id, unit, start, end) of the changed
    sources before and after; ``old_texts`` / ``new_texts``: their source texts by source id.
    ``targets`` maps an old frame's source id (a key of ``old_texts``) to the new source id its
    text now lives in (a renamed file, or a vanished source archived by an earlier ingest); by
    default each old source is its own successor. Several old sources may share one successor.
    Call it as ``relocate(segment_id, span_start, span_end)`` (the ledger's ``locate``).
    """

    def __init__(self, old: Any, new: Any, old_texts: dict[str, str], new_texts: dict[str, str],
                 targets: dict[str, str] | None = None) -> None:
        self._targets = dict(targets) if targets is not None else {key: key for key in old_texts}
        self._old = {r.segment_id: (r.source_id, r.unit, int(r.start), int(r.end)) for r in old.itertuples()
                     if r.source_id in old_texts and self._targets.get(r.source_id) in new_texts}
        self._new: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        for r in new.sort_values("start").itertuples():
            self._new.setdefault((r.source_id, r.unit), []).append((int(r.start), int(r.end), r.segment_id))
        self._starts = {k: [s for s, _, _ in v] for k, v in self._new.items()}
        self._texts = old_texts, new_texts
        self._maps: dict[str, TextMap] = {}

    def text_map(self, source_id: str) -> TextMap:
        """The (cached) offset map from the old source ``source_id`` to its successor's text."""
        if source_id not in self._maps:
            self._maps[source_id] = TextMap(self._texts[0][source_id], self._texts[1][self._targets[source_id]])
        return self._maps[source_id]

    def __call__(self, segment_id: str, span_start: int | None, span_end: int | None) -> tuple[str, int | None,
                                                                                                 int | None] | None:
        """``(new_segment_id, span_start, span_end)`` for a coding on an old segment, or None.

        A whole-segment coding (no span) stays whole when its text is exactly the new segment and
        becomes a sub-span otherwise (e.g. a turn merged into a longer one); a sub-span stays one.
        None when the text was deleted or rewritten, or now crosses segments of that unit. A context
        passage's coding whose text is now in a turn moves onto the turn (:data:`_SUCCESSOR_UNITS`).
        """
        if segment_id not in self._old:
            return None
        source_id, unit, start, end = self._old[segment_id]
        whole = span_start is None or span_end is None
        if not whole:
            start, end = int(span_start), int(span_end)  # type: ignore[arg-type]
        mapped = self.text_map(source_id).span(start, end)
        if mapped is None:
            return None
        for target_unit in _SUCCESSOR_UNITS.get(unit, (unit,)):
            found = self._segment_at((self._targets[source_id], target_unit), *mapped)
            if found is not None:
                seg_start, seg_end, new_id = found
                if whole and mapped == (seg_start, seg_end):
                    return new_id, None, None
                return new_id, mapped[0], mapped[1]
        return None

    def _segment_at(self, key: tuple[str, str], start: int, end: int) -> tuple[int, int, str] | None:
        """The new segment of ``key`` (source id, unit) that holds ``[start, end)``, if any."""
        i = bisect.bisect_right(self._starts.get(key, []), start) - 1
        if i < 0:
            return None
        seg_start, seg_end, new_id = self._new[key][i]
        return (seg_start, seg_end, new_id) if seg_start <= start < end <= seg_end else None
