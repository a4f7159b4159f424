"""Speaker-turn detection for transcripts.

A speaker label is a short, name-like prefix at the start of a line followed by a colon and a
space: ``Dana:``, ``Dana Whitfield (DW):``, ``Interviewer 1:``, ``Participant 3:``,
``[00:01:23] Dana:``, ``Dana [00:01:23]:`` or Markdown ``**Dana:**``. ``Full Name (XX):`` defines ``XX`` as an alias of
``Full Name``; a one-word label equal to the initials or the first name of exactly one
multi-word label is an alias too. URLs (``https://``), times (``10:30``) and bracketed insertions
(``[the consultant]``) never match. Because real speakers recur, a candidate is accepted when
it is configured in ``speaker_roles``, recurs, has a timestamp, defines an abbreviation or is
in capitals (``LUZ:``) or is the first name or initials of a multi-word label; a
candidate seen once is accepted only after the first such label and when it is role-like
(``Facilitator``, ``Participant 3``) or a multi-word name. Words like ``Note``, ``Date``,
``Present`` are never speakers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LABEL = re.compile(
    rf"""[ \t]*
    (?:[\[(](?P<ts1>{_TS})[\])][ \t]*|(?P<ts0>{_TS})[ \t]+)?
    (?:\*\*|__)?
    (?P<label>[^\W\d_](?:[^\W_]|['’.&-])*(?:[ \t]+(?:[^\W_]|['’.&-])+){{0,4}}?)
    (?:[ \t]*\((?P<paren>[^()\n]{{1,30}})\))?
    (?:[ \t]*[\[(](?P<ts2>{_TS})[\])])?
    (?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?:[ \t]+|$)""",
    re.X,
)
_TS_LINE = re.compile(rf"[ \t]*[\[(](?P<ts>{_TS})[\])][ \t]*")
_ABBREV = re.compile(r"[A-Z][A-Z0-9]{0,4}")
_PARTICLES = {"de", "da", "del", "della", "der", "den", "di", "du", "van", "von", "la", "le", "bin", "al", "el", "y"}
NOT_SPEAKERS = frozenset("""
note notes nb ps p.s. date dates time times day location place venue room present attendees absent apologies
subject re fw fwd title transcript transcription transcriber transcribed recording recorded duration length
summary source sources url link links email e-mail phone tel agenda topic topics purpose project session
meeting file filename page update edit edited action actions warning caution disclaimer important reminder tip
key legend description context background instructions question questions answer answers prompt prompts theme
themes code codes example examples quote definition total start end ended started translated translation audio
video format version status author prepared contact consent confidentiality keywords tags comment comments
fyi btw eta tbd todo ok okay yes no confidential draft private internal attention attn participants members
facilitators interviewers speakers respondents observers
""".split())
ROLE_WORDS = {
    "interviewer": "interviewer", "facilitator": "facilitator", "co-facilitator": "facilitator",
    "cofacilitator": "facilitator", "host": "facilitator", "moderator": "moderator", "participant": "participant",
    "respondent": "participant", "interviewee": "participant", "member": "member", "observer": "observer",
    "speaker": None, "q": "interviewer", "a": "participant",
}


def parse_timestamp(value: str) -> float:
    """``'01:02:03.5'`` / ``'1:02'`` / ``'00:00:01,000'`` -> seconds."""
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def format_timestamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def name_like(label: str) -> bool:
    """A short label that looks like a name or a role (not a sentence, not a header field)."""
    tokens = label.split()
    if not tokens or len(tokens) > 5 or len(label) > 40 or not tokens[0][0].isupper():
        return False
    if {tokens[0].casefold(), tokens[-1].casefold(), label.casefold()} & NOT_SPEAKERS:
        return False
    return all(t[0].isupper() or t[0].isdigit() or t.casefold() in _PARTICLES for t in tokens[1:])


def role_word(label: str) -> str | None:
    """The role word a label starts with (``'Participant 3'`` -> ``'participant'``), if any."""
    first = label.split()[0].casefold().rstrip(".")
    return first if first in ROLE_WORDS else None


@dataclass(frozen=True)
class LabelMatch:
    """A candidate speaker label at the start of a line."""

    label: str
    content_start: int  # offset within the line where the turn text starts
    timestamp: float | None = None
    abbrev: str | None = None  # 'XX' from 'Full Name (XX):'
    role_hint: str | None = None  # 'facilitator' from 'Dana (Facilitator):'


def match_label(line: str) -> LabelMatch | None:
    """The speaker label at the start of ``line`` if it is syntactically a label, else None."""
    m = _LABEL.match(line)
    if not m or not name_like(m["label"]):
        return None
    paren = (m["paren"] or "").strip()
    ts = m["ts0"] or m["ts1"] or m["ts2"] or (paren if re.fullmatch(_TS, paren) else None)
    abbrev = paren if _ABBREV.fullmatch(paren) else None
    role = ROLE_WORDS.get(paren.casefold()) if paren else None
    return LabelMatch(" ".join(m["label"].split()), m.end(), parse_timestamp(ts) if ts else None, abbrev, role)


@dataclass
class Paragraph:
    """A paragraph of a transcript: ``text[start:end]`` is its content (label excluded)."""

    start: int
    end: int
    line: int  # 1-based line of the paragraph's start in the file (for messages)
    label: LabelMatch | None = None  # set when the paragraph opens a speaker turn
    timestamp: float | None = None


def accepted_labels(candidates: list[tuple[int, LabelMatch]], configured: Iterable[str] = ()) -> set[int]:
    """Indices (into ``candidates``, in text order) of the candidates that are real speaker labels."""
    configured_keys = {c.casefold() for c in configured}
    abbrevs = {m.abbrev.casefold() for _, m in candidates if m.abbrev}
    counts = Counter(m.label.casefold() for _, m in candidates)
    names = [m.label.split() for _, m in candidates if len(m.label.split()) >= 2]
    aliases = {t[0].casefold() for t in names} | {"".join(w[0] for w in t).casefold() for t in names}

    def strong(m: LabelMatch) -> bool:
        key = m.label.casefold()
        return (key in configured_keys or counts[key] >= 2 or m.timestamp is not None or m.abbrev is not None
                or key in abbrevs or key in aliases or m.label.isupper() and len(m.label) >= 2)

    first_strong = next((i for i, (_, m) in enumerate(candidates) if strong(m)), None)
    accepted: set[int] = set()
    for i, (_, m) in enumerate(candidates):
        weak_ok = (role_word(m.label) is not None or len(m.label.split()) >= 2) and (
            first_strong is None or i > first_strong)
        if strong(m) or weak_ok:
            accepted.add(i)
    return accepted


def split_paragraphs(text: str, configured: Iterable[str] = ()) -> list[Paragraph]:
    """Split plain transcript text into paragraphs; those that open a turn carry their label.

    A paragraph ends at a blank line, at the next accepted speaker label or at a line starting
    with a bracketed timestamp (``[01:21:37] [recording stopped]``). A label alone on its line
    opens a turn whose text starts on the next line.
    """
    lines: list[tuple[int, str]] = []
    offset = 0
    for raw in text.split("\n"):
        lines.append((offset, raw))
        offset += len(raw) + 1
    candidates = [(n, m) for n, (_, line) in enumerate(lines) if (m := match_label(line))]
    labelled = {candidates[i][0]: candidates[i][1] for i in accepted_labels(candidates, configured)}

    paragraphs: list[Paragraph] = []
    current: Paragraph | None = None
    pending: tuple[LabelMatch, int] | None = None  # a label whose text starts after a blank line

    def flush() -> None:
        nonlocal current, pending
        if current is not None:
            if current.end > current.start:
                paragraphs.append(current)
            elif current.label is not None:
                pending = (current.label, current.line)
        current = None

    for n, (off, line) in enumerate(lines):
        label = labelled.get(n)
        stamp = None if label else _TS_LINE.match(line)
        body_start = label.content_start if label else stamp.end() if stamp else 0
        body = line[body_start:]
        stripped = body.strip()
        if label is not None:
            flush()
            pending = None
            current = Paragraph(off + body_start, off + body_start, n + 1, label, label.timestamp)
        elif stamp and stripped:
            flush()
            pending = None
            current = Paragraph(off + body_start, off + body_start, n + 1, None, parse_timestamp(stamp["ts"]))
        elif not stripped:
            flush()
            continue
        elif current is None:
            carried, line_no = pending if pending else (None, n + 1)
            pending = None
            current = Paragraph(off, off, line_no, carried, carried.timestamp if carried else None)
        if stripped:
            if current.end == current.start:
                current.start = off + body_start + (len(body) - len(body.lstrip()))
            current.end = off + len(line.rstrip())
    flush()
    return paragraphs


_DIVIDER = re.compile(r"[-*=_~#\s]{3,}")
_END_MARK = re.compile(r"(?i)\W*(end\b|the end\b|transcript ends|recording (ends|ended|stopped)|\[?end of)")
_BRACKETED = re.compile(r"\s*[\[(][^\[\]()]*[\])]\s*")


def trailer_start(paragraphs: list[Paragraph], text: str) -> int:
    """Index of the first trailer paragraph among unlabelled ``paragraphs`` following the last turn.

    The trailer starts at a divider line (``---``), an end marker (``End of transcript``,
    ``[Recording ends]``) or a header-like line (``Note: ...``), extended back over fully
    bracketed paragraphs (``[Meeting adjourned]``) just before it; without a marker it is the run of
    bracketed paragraphs at the end. ``len(paragraphs)`` = no trailer.
    """
    def marker(p: Paragraph) -> bool:
        first_line = text[p.start:p.end].split("\n", 1)[0]
        header = re.match(r"([^\W\d_][\w'’ .-]{0,30}):\s", first_line)
        return bool(_DIVIDER.fullmatch(first_line) or _END_MARK.match(first_line) or (
            header and {header[1].split()[0].casefold(), header[1].split()[-1].casefold()} & NOT_SPEAKERS))

    i = next((i for i, p in enumerate(paragraphs) if marker(p)), len(paragraphs))
    while i > 0 and _BRACKETED.fullmatch(text[paragraphs[i - 1].start:paragraphs[i - 1].end]):
        i -= 1
    return i


@dataclass(frozen=True)
class Speaker:
    name: str  # canonical (full) name
    role: str
    aliases: tuple[str, ...]


def _display(label: str, abbrevs: set[str]) -> str:
    """``'DANA WHITFIELD'``/``'LUZ'`` -> title case; abbreviations and initials (``'MR'``) stay."""
    if label.isupper() and label.casefold() not in abbrevs and (
            len(label.split()) > 1 or len(label) >= 3 and re.search(r"[AEIOUY]", label)):
        return " ".join(t.capitalize() for t in label.split())
    return label


def resolve_speakers(labels: list[LabelMatch], speaker_roles: Mapping[str, str] | None = None) -> dict[str, Speaker]:
    """Map each label (case-folded) to its canonical :class:`Speaker` with a role.

    Roles come from ``speaker_roles`` (keys: label, abbreviation or full name, any case), then a
    ``(Facilitator)`` hint, then the label's role word; everyone else is a ``participant`` when
    the transcript has an interviewer, a ``member`` in a group (a facilitator or 3+ speakers).
    """
    abbrevs = {m.abbrev.casefold(): m.label for m in labels if m.abbrev}
    display: dict[str, str] = {}
    for m in labels:
        key = m.label.casefold()
        if key not in display or (display[key].isupper() and not m.label.isupper()):
            display[key] = m.label
    multi = [k for k in display if len(k.split()) >= 2 and k not in abbrevs]
    canonical: dict[str, str] = {}
    for key in display:
        if key in abbrevs:
            canonical[key] = abbrevs[key].casefold()
            continue
        target = key
        if len(key.split()) == 1 and role_word(key) is None:
            initials = [k for k in multi if "".join(t[0] for t in k.split()) == key]
            firsts = [k for k in multi if k.split()[0] == key]
            if display[key].isupper() and len(initials) == 1:
                target = initials[0]
            elif len(firsts) == 1:
                target = firsts[0]
        canonical[key] = target

    roles_cfg = {k.casefold(): v for k, v in (speaker_roles or {}).items()}
    hints = {m.label.casefold(): m.role_hint for m in labels if m.role_hint}
    groups: dict[str, list[str]] = {}
    for key, target in canonical.items():
        groups.setdefault(target, []).append(key)
    explicit: dict[str, str | None] = {}
    for target, keys in groups.items():
        names = [target, *keys]
        role = next((roles_cfg[k] for k in names if k in roles_cfg), None)
        role = role or next((hints[k] for k in names if k in hints), None)
        role = role or next((ROLE_WORDS[w] for k in names if (w := role_word(k)) and ROLE_WORDS[w]), None)
        explicit[target] = role
    found = set(explicit.values())
    default = ("participant" if "interviewer" in found else
               "member" if found & {"facilitator", "moderator"} or len(groups) >= 3 else "participant")
    out: dict[str, Speaker] = {}
    for target, keys in groups.items():
        speaker = Speaker(_display(display.get(target, target), set(abbrevs)), explicit[target] or default,
                          tuple(sorted(display[k] for k in keys)))
        for key in keys:
            out[key] = speaker
    return out
