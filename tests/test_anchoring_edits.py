"""TextMap.span on generated transcript edits whose right answer is known from how each edit is built.

Each case is a multi-turn transcript ("Name: text\\n\\n") made of aligned pieces in an old and a new version:
the text before the span, its left quote, its words and end punctuation, its right quote and the text after
it. An edit of one kind changes some pieces; the span over the old quotes, words and punctuation must map to
the same pieces of the new text. Words inserted next to a span never repeat the span's words (else the right
answer is ambiguous). The guards hold for commit bb5f8f7 with a small margin; the code before 2f17327
stretched spans over inserted words, and 2f17327 orphaned short edge words next to them: both fail them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from random import Random

import pytest

from cop_analysis.anchoring import TextMap

N_CASES = 2_000
SEED = 1
VOCAB = ("we moved it finally the group said that ok so I a meeting people think really about project community "
         "practice members share knowledge online forum time yes no maybe because then they work together new tools "
         "learning everyone here more words and").split()
NAMES = ("Ann", "Bo", "Cy", "Interviewer", "AR")
PUNCT = ".!?,;:"
SHORT = ("I", "it", "a", "ok", "no", "so", "we")

Span = tuple[int, int]


@dataclass
class Draft:
    """Old and new pieces of one case while its edits are applied; the span's words are kept as word lists."""

    rng: Random
    old: dict[str, str]
    new: dict[str, str]
    old_words: list[str]
    new_words: list[str]
    old_punct: str
    new_punct: str
    quotes_optional: bool = False  # quotes added around the span: leaving them out is as right

    def sentence(self, n: int | None = None) -> str:
        """A sentence to insert next to the span: none of its words is one of the span's."""
        return sentence(self.rng, n, avoid=self.old_words + self.new_words)


@dataclass(frozen=True)
class Case:
    """An old and a new text, the span in the old one and where it lies in the new one."""

    kind: str
    old: str
    new: str
    span: Span  # in old
    expected: Span  # in new
    alternatives: tuple[Span, ...] = ()  # as right as expected


def sentence(rng: Random, n: int | None = None, avoid: Collection[str] = ()) -> str:
    """A sentence of ``n`` (else 2-8) vocabulary words not in ``avoid``, mostly capitalised, with or without an end."""
    pool = [w for w in VOCAB if w not in avoid]
    words = [rng.choice(pool) for _ in range(n or rng.randint(2, 8))]
    if rng.random() < 0.7:
        words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", "!", "?", ""])


def typo(rng: Random, word: str) -> tuple[str, str]:
    """An old and a new spelling of ``word``: one of them has a substituted, dropped, doubled or recased letter."""
    word = word if len(word) >= 3 else word + "ing"
    i = rng.randrange(len(word))
    bad = rng.choice([word[:i] + ("z" if word[i] == "x" else "x") + word[i + 1:], word[:i] + word[i + 1:],
                      word[:i] + word[i] + word[i:], word[:i] + word[i].swapcase() + word[i + 1:]])
    return (bad, word) if rng.random() < 0.5 else (word, bad)


# -- edits: each changes a draft's old and/or new pieces ----------------------------------------------------------
def typo_first(d: Draft) -> None:
    d.old_words[0], d.new_words[0] = typo(d.rng, d.old_words[0])


def typo_last(d: Draft) -> None:
    d.old_words[-1], d.new_words[-1] = typo(d.rng, d.old_words[-1])


def punct_change(d: Draft) -> None:
    d.new_punct = d.rng.choice([p for p in PUNCT if p != d.old_punct])


def punct_add(d: Draft) -> None:
    d.old_punct, d.new_punct = "", d.rng.choice(PUNCT)


def punct_del(d: Draft) -> None:
    d.old_punct, d.new_punct = d.rng.choice(PUNCT), ""


def ins_after(d: Draft) -> None:
    d.new["post"] = " " + d.sentence() + d.new["post"]


def ins_before(d: Draft) -> None:
    d.new["pre"] += d.sentence() + " "


def ins_after_nl(d: Draft) -> None:
    d.new["post"] = "\n" + d.sentence() + d.new["post"]


def del_after(d: Draft) -> None:
    d.old["post"] = " " + d.sentence() + d.old["post"]


def del_before(d: Draft) -> None:
    d.old["pre"] += d.sentence() + " "


def ins_inside(d: Draft) -> None:
    i = d.rng.randrange(1, len(d.new_words))
    d.new_words[i:i] = [d.rng.choice(VOCAB) for _ in range(d.rng.randint(1, 2))]


def del_first_inside(d: Draft) -> None:
    if len(d.new_words) > 2:
        del d.new_words[0]


def del_last_inside(d: Draft) -> None:
    if len(d.new_words) > 2:
        del d.new_words[-1]


def quotes_removed(d: Draft) -> None:
    q = d.rng.choice(['"', "'", "\u201c"])
    d.old["left"], d.old["right"] = q, "\u201d" if q == "\u201c" else q


def quotes_added(d: Draft) -> None:
    d.new["left"] = d.new["right"] = d.rng.choice(['"', "'"])
    d.quotes_optional = True


def quotes_changed(d: Draft) -> None:
    d.old["left"] = d.old["right"] = '"'
    d.new["left"] = d.new["right"] = "'"
    d.quotes_optional = True


def curly(d: Draft) -> None:
    d.old["left"] = d.old["right"] = '"'
    d.new["left"], d.new["right"] = "\u201c", "\u201d"


def new_turn(post: str, turn: str) -> str:
    """``post`` with ``turn`` as the turn right after the span's own."""
    head, sep, rest = post.partition("\n\n")
    return f"{head}\n\n{turn}{sep}{rest}"


def newturn_after(d: Draft) -> None:
    d.new["post"] = new_turn(d.new["post"], f"{d.rng.choice(NAMES)}: {d.sentence()}")


def del_next_turn(d: Draft) -> None:
    d.old["post"] = new_turn(d.old["post"], f"{d.rng.choice(NAMES)}: {d.sentence()}")


def newturn_before(d: Draft) -> None:
    pre = d.new["pre"]
    i = pre.rfind("\n\n") + 2 if "\n\n" in pre else 0
    d.new["pre"] = f"{pre[:i]}{d.rng.choice(NAMES)}: {d.sentence()}\n\n{pre[i:]}"


def trailing_nl(d: Draft) -> None:
    post = d.new["post"]
    d.new["post"] = post[:-1] if post.endswith("\n") else post + "\n"


def at_start(d: Draft) -> None:
    d.old["pre"] = d.new["pre"] = ""


def at_end(d: Draft) -> None:
    d.old["post"] = d.new["post"] = ""


def old_left_quote(d: Draft) -> None:
    d.old["left"] = d.rng.choice(['"', "'"])


def end_nl(d: Draft) -> None:
    d.new["post"] = "\n"


def contraction(d: Draft) -> None:
    word = d.rng.choice(["don't", "it's", "well-known", "2019", "caf\u00e9"])
    d.old_words[-1] = word
    d.new_words[-1] = {"don't": "don\u2019t", "it's": "it\u2019s", "well-known": "well known", "2019": "2020",
                       "caf\u00e9": "cafe"}[word]


def short_last(d: Draft) -> None:
    d.old_words[-1] = d.new_words[-1] = d.rng.choice(SHORT)
    d.new["post"] = d.rng.choice([", ", " ", "; ", " - "]) + d.sentence() + d.new["post"]


def short_first(d: Draft) -> None:
    d.old_words[0] = d.new_words[0] = d.rng.choice(SHORT)
    d.new["pre"] += d.sentence() + d.rng.choice([" ", ", "])


def ins_after_same_punct(d: Draft) -> None:
    d.new["post"] = " " + d.sentence(3).rstrip(PUNCT) + d.old_punct + d.new["post"]


def neighbours_changed(d: Draft) -> None:
    d.old["pre"] += "(x) "
    d.new["pre"] += "[y] "
    d.old["post"] = " (z)" + d.old["post"]
    d.new["post"] = " [w] more" + d.new["post"]


Edit = Callable[[Draft], None]
KINDS: dict[str, tuple[Edit, ...]] = {
    "typo_first": (typo_first,), "typo_last": (typo_last,), "typo_last_punct_change": (typo_last, punct_change),
    "punct_change": (punct_change,), "punct_add": (punct_add,), "punct_del": (punct_del,),
    "ins_after": (ins_after,), "ins_before": (ins_before,), "ins_after_nl": (ins_after_nl,),
    "ins_after_same_punct": (ins_after_same_punct,), "del_after": (del_after,), "del_before": (del_before,),
    "ins_inside": (ins_inside,), "del_first_inside": (del_first_inside,), "del_last_inside": (del_last_inside,),
    "newturn_after": (newturn_after,), "newturn_before": (newturn_before,), "del_next_turn": (del_next_turn,),
    "trailing_nl": (trailing_nl,), "neighbours_changed": (neighbours_changed,),
    "quotes_removed": (quotes_removed,), "quotes_added": (quotes_added,),
    "quotes_changed_ins_before": (quotes_changed, ins_before), "curly": (curly,),
    "curly_ins_after": (curly, ins_after), "curly_ins_before": (curly, ins_before),
    "contraction": (contraction,), "contraction_ins_after": (contraction, ins_after),
    "punct_change_ins_after": (punct_change, ins_after), "typo_last_ins_after": (typo_last, ins_after),
    "typo_first_ins_before": (typo_first, ins_before),
    "short_last_ins_after": (short_last,), "short_first_ins_before": (short_first,),
    "start_typo": (at_start, typo_first), "start_quote_dropped": (at_start, old_left_quote),
    "start_ins": (at_start, ins_before), "start_quote_dropped_ins": (at_start, old_left_quote, ins_before),
    "end_typo": (at_end, typo_last), "end_punct_change": (at_end, punct_change), "end_ins": (at_end, ins_after),
    "end_punct_change_ins": (at_end, punct_change, ins_after), "end_nl": (at_end, end_nl),
}
EXACT_KINDS = ("ins_after", "ins_before", "ins_after_nl", "del_after", "del_before", "newturn_after", "newturn_before",
               "del_next_turn", "trailing_nl", "neighbours_changed", "quotes_removed", "curly", "start_ins",
               "start_quote_dropped", "end_ins", "end_nl")  # the span's words and punctuation unchanged
CHANGED_MARK_NEXT_TO_INSERTED = ("punct_change_ins_after", "end_punct_change_ins", "curly_ins_after",
                                 "curly_ins_before", "quotes_changed_ins_before", "start_quote_dropped_ins")
CHANGED_LETTER_NEXT_TO_INSERTED = ("typo_last_ins_after", "typo_first_ins_before", "contraction_ins_after")


def make_case(rng: Random, kind: str) -> Case:
    """One transcript of 1-4 turns with a 2-7 word span in one of them, edited as ``kind`` says."""
    n_turns = rng.randint(1, 4)
    k = rng.randrange(n_turns)
    turns_before = "".join(f"{rng.choice(NAMES)}: {sentence(rng)} {sentence(rng)}\n\n" for _ in range(k))
    turns_after = "".join(f"\n\n{rng.choice(NAMES)}: {sentence(rng)}" for _ in range(n_turns - k - 1))
    if turns_after and rng.random() < 0.3:
        turns_after += "\n"
    context_before = rng.choice(["", sentence(rng) + " ", rng.choice(VOCAB) + " "])
    context_after = rng.choice(["", " " + sentence(rng), " " + rng.choice(VOCAB)])
    pieces = {"pre": f"{turns_before}{rng.choice(NAMES)}: {context_before}", "left": "", "right": "",
              "post": context_after + turns_after}
    words = [rng.choice(VOCAB) for _ in range(rng.randint(2, 7))]
    punct = rng.choice([".", "!", ",", "?", ""])
    d = Draft(rng, dict(pieces), dict(pieces), list(words), list(words), punct, punct)
    for edit in KINDS[kind]:
        edit(d)
    old, span = _join(d.old, d.old_words, d.old_punct)
    new, expected = _join(d.new, d.new_words, d.new_punct)
    inner = (expected[0] + 1, expected[1] - 1)
    return Case(kind, old, new, span, expected, (inner,) if d.quotes_optional else ())


def _join(pieces: dict[str, str], words: list[str], punct: str) -> tuple[str, Span]:
    """The text and the span over its quotes, words and punctuation."""
    spanned = pieces["left"] + " ".join(words) + punct + pieces["right"]
    start = len(pieces["pre"])
    return pieces["pre"] + spanned + pieces["post"], (start, start + len(spanned))


def classify(case: Case, got: Span | None) -> str:
    """exact (or an alternative), acceptable (same letters and digits, no word cut), orphaned, cut, stretched or
    wrong (elsewhere, or partly overlapping)."""
    if got is None:
        return "orphaned"
    if got == case.expected or got in case.alternatives:
        return "exact"
    new, (start, end) = case.new, got
    want, have = _alnum(new, case.expected), _alnum(new, got)
    cuts_word = any(0 < i < len(new) and new[i - 1].isalnum() and new[i].isalnum() for i in got)
    if have == want:
        return "cut" if cuts_word else "acceptable"
    if not (start < case.expected[1] and case.expected[0] < end):
        return "wrong"
    return "stretched" if have > want else "cut" if have < want else "wrong"


def _alnum(text: str, span: Span) -> set[int]:
    return {i for i in range(*span) if text[i].isalnum()}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Counter[str]]:
    """Outcome counts per edit kind over N_CASES cases (kinds drawn at random)."""
    rng, kinds = Random(SEED), sorted(KINDS)
    out: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for _ in range(N_CASES):
        case = make_case(rng, rng.choice(kinds))
        out[case.kind][classify(case, TextMap(case.old, case.new).span(*case.span))] += 1
    return out


def test_generated_cases_are_well_formed() -> None:
    rng = Random(SEED)
    for kind in KINDS:
        cases = [make_case(rng, kind) for _ in range(5)]
        assert any(case.old != case.new for case in cases), kind
        for case in cases:
            for text, span in ((case.old, case.span), (case.new, case.expected)):
                assert text[slice(*span)] and text[slice(*span)].strip() == text[slice(*span)], (kind, text, span)


def test_overall(outcomes: dict[str, Counter[str]]) -> None:
    """Measured at bb5f8f7: exact+acceptable 0.974, stretched 0.001, orphaned 0.023; before 2f17327 0.825, 0.121 and
    0.051; at 2f17327 0.912, 0.001 and 0.083."""
    total = sum(outcomes.values(), Counter())
    assert total["wrong"] == 0, total
    assert (total["exact"] + total["acceptable"]) / N_CASES >= 0.95, total
    assert total["stretched"] / N_CASES <= 0.005, total
    assert total["orphaned"] / N_CASES <= 0.035, total


def test_edits_around_unchanged_words_map_exactly(outcomes: dict[str, Counter[str]]) -> None:
    """Text inserted or deleted next to the span, new turns, removed or curled quotes (also before 2f17327; at
    2f17327 12 spans next to inserted or deleted text were orphaned)."""
    for kind in EXACT_KINDS:
        assert set(outcomes[kind]) == {"exact"}, (kind, outcomes[kind])


def test_changed_punctuation_or_quote_next_to_inserted_words(outcomes: dict[str, Counter[str]]) -> None:
    """The span keeps its words and takes none of the inserted ones (before 2f17327: 249 of 265 stretched or
    orphaned; at 2f17327: 27 orphaned)."""
    for kind in CHANGED_MARK_NEXT_TO_INSERTED:
        assert set(outcomes[kind]) <= {"exact", "acceptable"}, (kind, outcomes[kind])


def test_changed_letter_next_to_inserted_words_rarely_stretches(outcomes: dict[str, Counter[str]]) -> None:
    """A changed first or last letter may orphan the span but seldom stretches it (2 of 141 at bb5f8f7, from
    character matches inside inserted words; 79 of 141 before 2f17327)."""
    counts = sum((outcomes[kind] for kind in CHANGED_LETTER_NEXT_TO_INSERTED), Counter())
    assert counts["stretched"] <= 0.05 * sum(counts.values()), counts


def test_short_whole_edge_word_next_to_inserted_words_is_kept(outcomes: dict[str, Counter[str]]) -> None:
    """A short first or last word ("it", "I") stays in the span (at 2f17327: 17 of 59 last words orphaned)."""
    for kind in ("short_last_ins_after", "short_first_ins_before"):
        assert outcomes[kind]["orphaned"] == 0, (kind, outcomes[kind])
