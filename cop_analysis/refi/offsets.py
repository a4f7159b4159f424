"""REFI text offsets: decoding source files and detecting how an exporter counted positions.

REFI-QDA specifies Unicode code points, but real exporters differ: .NET tools (NVivo) count
UTF-16 code units, MAXQDA counts a CRLF line end as two characters. :func:`detect_offsets`
tries every combination, scores each against the selections and returns position maps into
the normalised text (NFC, LF line ends, no BOM) that ingestion produces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

METHODS: tuple[tuple[str, bool, bool], ...] = (  # name, utf16 units, newline counts 2
    ("codepoints", False, False),
    ("codepoints+crlf", False, True),
    ("utf16", True, False),
    ("utf16+crlf", True, True),
)


def _lf(text: str) -> str:
    """LF line ends, leading BOM dropped (then NFC gives :func:`cop_analysis.textnorm.normalize`)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _nfc_map(lf: str) -> np.ndarray:
    """Map each position of ``lf`` (0..len) to a position in NFC(lf), run by run."""
    if unicodedata.is_normalized("NFC", lf):
        return np.arange(len(lf) + 1)
    out = np.empty(len(lf) + 1, dtype=np.int64)
    pos = 0
    for m in re.finditer(r".[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", lf, re.S):
        run = unicodedata.normalize("NFC", m.group())
        out[m.start():m.end()] = [min(pos + i, pos + len(run)) for i in range(m.end() - m.start())]
        pos += len(run)
    out[len(lf)] = pos
    return out


@dataclass
class Selection:
    """One REFI selection as read from the .qde (positions as the exporter counted them)."""

    start: int
    end: int
    name: str = ""


@dataclass
class OffsetDetection:
    """The chosen counting method for one source and each selection's span in the normalised text."""

    method: str
    text: str
    spans: list[tuple[int, int] | None]
    problems: list[str | None]
    scores: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    ambiguous: bool = False  # another method scored as well but gives different spans


def _ws(text: str) -> str:
    return " ".join(text.split())


def name_matches(selected: str, name: str) -> bool:
    """True if a selection's ``name`` (often a prefix of its text) agrees with the selected text."""
    name = _ws(name)
    name = name[:-1] if name.endswith("…") else name[:-3] if name.endswith("...") else name
    if not name.strip():
        return True
    return _ws(selected).startswith(name)


def _boundary(text: str, a: int, b: int) -> bool:
    ok_a = a == 0 or a >= len(text) or not (text[a - 1].isalnum() and text[a].isalnum())
    ok_b = b == 0 or b >= len(text) or not (text[b - 1].isalnum() and text[b].isalnum())
    return ok_a and ok_b


def _unit_map(lf: str, utf16: bool, crlf: bool) -> np.ndarray:
    """Array mapping exporter offset -> position in ``lf`` (-1 inside a character or a CRLF)."""
    cps = np.frombuffer(lf.encode("utf-32-le"), dtype=np.uint32)
    weight = np.ones(len(cps), dtype=np.int64)
    if utf16:
        weight += cps > 0xFFFF
    if crlf:
        weight += cps == 10
    starts = np.concatenate(([0], np.cumsum(weight)))
    out = np.full(int(starts[-1]) + 1, -1, dtype=np.int64)
    out[starts] = np.arange(len(cps) + 1)
    return out


def detect_offsets(raw_text: str, selections: list[Selection]) -> OffsetDetection:
    """Choose the counting method that best explains ``selections`` and map them into NFC/LF text.

    Scores per method: selections inside the text on character boundaries, selections whose
    ``name`` matches their text, selections starting and ending on word boundaries. The first
    listed method wins ties (REFI's code points).
    """
    lf = _lf(raw_text)
    text = unicodedata.normalize("NFC", lf)
    nfc = _nfc_map(lf)
    results: dict[str, tuple[list[tuple[int, int] | None], list[str | None]]] = {}
    scores: dict[str, tuple[int, int, int]] = {}
    for method, utf16, crlf in METHODS:
        umap = _unit_map(lf, utf16, crlf)
        spans: list[tuple[int, int] | None] = []
        problems: list[str | None] = []
        valid = named = bound = 0
        for sel in selections:
            if not (0 <= sel.start <= sel.end < len(umap)) or umap[sel.start] < 0 or umap[sel.end] < 0:
                spans.append(None)
                problems.append(f"positions {sel.start}-{sel.end} fall outside the text or inside a character")
                continue
            a, b = int(nfc[umap[sel.start]]), int(nfc[umap[sel.end]])
            valid += 1
            bound += _boundary(text, a, b)
            if name_matches(text[a:b], sel.name):
                named += bool(sel.name.strip())
                spans.append((a, b))
                problems.append(None)
            else:
                spans.append(None)
                problems.append(f"selected text {text[a:b][:40]!r} does not match the selection name {sel.name[:40]!r}")
        results[method] = (spans, problems)
        scores[method] = (valid, named, bound)
    best = max(scores, key=lambda m: scores[m])
    ambiguous = any(scores[m] == scores[best] and results[m][0] != results[best][0] for m in scores)
    return OffsetDetection(best, text, *results[best], scores=scores, ambiguous=ambiguous)
