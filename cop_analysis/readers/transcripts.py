"""Transcript readers: ``.txt``/``.md``, ``.docx``, ``.vtt``, ``.srt`` -> :class:`TranscriptDoc`.

Source text per format (what ``sources.text`` holds and offsets index into):

* txt/md: the file text, normalised.
* docx: the body paragraphs (and table rows, cells joined by ``": "`` for two-cell rows and
  ``" | "`` otherwise) in document order, joined by blank lines (``"\\n\\n"``).
* vtt/srt: a readable transcript built from the cues, one paragraph per run of cues by the
  same speaker: ``[hh:mm:ss] Speaker: text of the cues joined by spaces``, runs separated by
  blank lines. A ``Name:`` label in a cue is a speaker under the rules of :mod:`..speakers`, or
  always when at least half of the cues have one (Zoom labels every cue). Cue markup (``<v>``,
  ``<i>``, ``{\\an8}``, entities) is removed, and so is Teams' ``(Guest)``/``(External)`` after a
  voice name. Cues without a speaker continue the current speaker; before the first speaker
  they are context.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import speakers, textnorm
from . import MAX_FILE_BYTES, ReadError, file_format, read_text


@dataclass
class TranscriptDoc:
    text: str
    paragraphs: list[speakers.Paragraph]
    encoding: str
    warnings: list[str] = field(default_factory=list)


def read_transcript(path: Path, configured_speakers: Iterable[str] = (), labels: bool = True,
                    by_line: bool = False) -> TranscriptDoc:
    """Read one transcript file; ``configured_speakers`` are labels always accepted as speakers.

    ``labels=False`` (``speakers: none``): labels are not read; the paragraphs are the text's runs of
    non-blank lines (``by_line``: its lines), none with a label (:func:`speakers.plain_paragraphs`).
    """
    fmt = file_format(path)
    configured = list(configured_speakers)
    if fmt == "docx":
        text, encoding, warnings = read_docx(path), "docx", []
    else:
        decoded = read_text(path)
        text, encoding, warnings = decoded.text, decoded.encoding, _encoding_warnings(decoded)
    if fmt in ("vtt", "srt"):
        cues = (parse_vtt if fmt == "vtt" else parse_srt)(text, warnings)
        text, found = render_cues(cues, configured)
    else:
        found = speakers.split_paragraphs(text, configured)
        if labels:
            warnings += speakers.label_time_warnings(found)
    if not labels:
        found = speakers.plain_paragraphs(text, by_line, found)
    return TranscriptDoc(text, found, encoding, warnings)


def _encoding_warnings(decoded: textnorm.Decoded) -> list[str]:
    if decoded.fallback_bytes:
        return [f"{decoded.fallback_bytes} byte(s) were not valid UTF-8 and were decoded as cp1252 "
                f"(encoding {decoded.encoding}); please check accented characters"]
    return []


def read_docx(path: Path) -> str:
    """Paragraph and table text of a .docx body, joined by blank lines."""
    import docx

    if path.stat().st_size > MAX_FILE_BYTES:
        raise ReadError(f"file is above the {MAX_FILE_BYTES // 2**20} MiB limit")
    if not zipfile.is_zipfile(path):
        raise ReadError("not a valid .docx file (not a zip archive; truncated or renamed?)")
    try:
        document = docx.Document(str(path))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if hasattr(item, "rows"):
                for row in item.rows:
                    cells = [c.text.strip() for c in row.cells]
                    cells = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
                    joiner = ": " if len(cells) == 2 and len(cells[0]) <= 40 and ":" not in cells[0] else " | "
                    blocks.append(joiner.join(cells))
            else:
                blocks.append(item.text)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"not a valid .docx file: {str(exc).replace(str(path), path.name)}") from None
    text = "\n\n".join(b for b in (textnorm.normalize(b).strip() for b in blocks) if b)
    if not text:
        raise ReadError("no text in document")
    return text


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    text: str
    line: int
    voice: str | None = None  # explicit speaker (<v Name>) if any
    note: bool = False  # a NOTE line before the first cue: preamble context, no timestamp


_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(rf"\s*(?P<a>{_TIME})\s*-->\s*(?P<b>{_TIME})(?:\s.*)?")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>")
_GUEST = re.compile(r"(?i)\s*\((?:guest|external|unverified)\)$")  # Teams: '<v Dana Whitfield (Guest)>'
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>|\{\\[^}]*\}")


def _clean(payload: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", payload)).split())


def _blocks(text: str) -> Iterable[tuple[int, list[str]]]:
    """(1-based first line, lines) of each blank-line-separated block."""
    block: list[str] = []
    start = 1
    for n, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                start = n
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _unreadable_timing(message: str, line: int, cues: list[Cue], warnings: list[str] | None) -> float:
    """The time for a cue whose timing line cannot be read: the cue before it's (0 for the first), with
    a warning naming the line; without a ``warnings`` list, ReadError."""
    if warnings is None:
        raise ReadError(message, line)
    warnings.append(f"line {line}: {message}; the cue's text is kept, with the time of the cue before it")
    return next((c.start for c in reversed(cues) if not c.note), 0.0)


def _timing(line: str) -> re.Match[str] | None:
    """The cue timing of ``line`` if it is one with readable times (minutes and seconds below 60)."""
    m = _TIMING.fullmatch(line)
    return m if m and speakers.valid_timestamp(m["a"]) and speakers.valid_timestamp(m["b"]) else None


def parse_vtt(text: str, warnings: list[str] | None = None) -> list[Cue]:
    """Cues of a WebVTT file; ``<v Speaker>`` voices become explicit speakers. A cue whose timing
    line cannot be read is kept with the time of the cue before it and a line in ``warnings``
    (ReadError without that list)."""
    first = text.split("\n", 1)[0].strip()
    if not first.startswith("WEBVTT"):
        raise ReadError(f"missing 'WEBVTT' header (first line is {first[:40]!r})", 1)
    cues: list[Cue] = []
    for number, (start, lines) in enumerate(_blocks(text)):
        if lines[0].startswith("NOTE") and not cues:
            cues.append(Cue(0.0, " ".join(" ".join([lines[0][4:], *lines[1:]]).split()), start, note=True))
        if number == 0 or lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_at is None:  # the timing line follows an optional cue identifier
            timing_at = 1 if len(lines) > 1 and not re.match(r"\s*\d+:\d", lines[0]) else 0
        timing = _timing(lines[timing_at])
        t0 = speakers.parse_timestamp(timing["a"]) if timing else _unreadable_timing(
            f"malformed cue timing line {lines[timing_at][:60]!r} (expected 'hh:mm:ss.ttt --> hh:mm:ss.ttt')",
            start + timing_at, cues, warnings)
        payload = "\n".join(lines[timing_at + 1:])
        voices = list(_VOICE.finditer(payload))
        if not voices:
            cues.append(Cue(t0, _clean(payload), start + timing_at + 1))
            continue
        if payload[:voices[0].start()].strip():
            cues.append(Cue(t0, _clean(payload[:voices[0].start()]), start + timing_at + 1))
        for i, voice in enumerate(voices):
            end = voices[i + 1].start() if i + 1 < len(voices) else len(payload)
            name = _GUEST.sub("", " ".join((voice["name"] or "").split())) or None
            cues.append(Cue(t0, _clean(payload[voice.end():end]), start + timing_at + 1, name))
    return [c for c in cues if c.text]


def parse_srt(text: str, warnings: list[str] | None = None) -> list[Cue]:
    """Cues of a SubRip file (index line optional; ``NAME:`` at cue start is a speaker label). A cue
    whose timing line cannot be read is kept as in :func:`parse_vtt`."""
    cues: list[Cue] = []
    for start, lines in _blocks(text):
        at = 1 if lines[0].strip().isdigit() else 0
        timing = _timing(lines[at]) if at < len(lines) else None
        if timing:
            t0, body = speakers.parse_timestamp(timing["a"]), lines[at + 1:]
        else:
            bad = lines[at] if at < len(lines) else lines[0]
            t0 = _unreadable_timing(f"malformed SRT timing line {bad[:60]!r} (expected 'hh:mm:ss,ttt --> "
                                    "hh:mm:ss,ttt')", start + at, cues, warnings)
            garbled = at < len(lines) and re.match(r"\s*\d+:\d", lines[at])  # a timing line, not text
            body = lines[at + 1:] if garbled else lines[at:]
        cue = Cue(t0, _clean("\n".join(body)), start + len(lines) - len(body))
        if cue.text:
            cues.append(cue)
    if not cues:
        raise ReadError("no subtitle cues found", 1)
    return cues


def render_cues(cues: list[Cue], configured: Iterable[str] = ()) -> tuple[str, list[speakers.Paragraph]]:
    """Build the readable transcript text and its paragraphs from cues (see module doc)."""
    if not cues:
        raise ReadError("no cues with text found", 1)
    candidates = [(i, m) for i, c in enumerate(cues)
                  if c.voice is None and not c.note and (m := speakers.match_label(c.text))]
    chosen = (range(len(candidates)) if 2 * len(candidates) >= sum(not c.note for c in cues)
              else speakers.accepted_labels(candidates, configured))  # Zoom labels every cue: trust them all
    accepted = {candidates[j][0]: candidates[j][1] for j in chosen}
    groups: list[tuple[str | None, float | None, int, list[str]]] = []
    for i, cue in enumerate(cues):
        label, body = cue.voice, cue.text
        if i in accepted:
            label, body = accepted[i].label, cue.text[accepted[i].content_start:].strip()
        if groups and (label is None and groups[-1][0] is not None or label == groups[-1][0] and label):
            groups[-1][3].append(body)
        else:
            groups.append((label, None if cue.note else cue.start, cue.line, [body]))
    parts: list[str] = []
    paragraphs: list[speakers.Paragraph] = []
    offset = 0
    for label, t0, line, bodies in groups:
        prefix = "" if t0 is None else f"[{speakers.format_timestamp(t0)}] " + (f"{label}: " if label else "")
        content = " ".join(b for b in bodies if b)
        start = offset + len(prefix)
        match = speakers.LabelMatch(label, len(prefix), t0) if label else None
        paragraphs.append(speakers.Paragraph(start, start + len(content), line, match, t0))
        parts.append(prefix + content)
        offset = start + len(content) + 2
    return "\n\n".join(parts), [p for p in paragraphs if p.end > p.start]
