"""Speaker-turn detection for transcripts.

A speaker label is a short, name-like prefix at the start of a line followed by a colon and a
space: ``Dana:``, ``Dana Whitfield (DW):``, ``Interviewer 1:``, ``Participant 3:``,
``[00:01:23] Dana:``, ``Dana [00:01:23]:`` or Markdown ``**Dana:**``; transcription tools' headers
without a colon count too (``[Dana] 10:01:02``, ``Dana  0:03``, ``Dana [00:00:03] text``, see
:data:`_HEADER`). ``Full Name (XX):`` defines ``XX`` as an alias of
``Full Name``; a one-word label equal to the initials or the first name of exactly one
multi-word label is an alias too (:func:`resolve_speakers`, per file); :func:`link_speakers` then
links a one-word name to the one multi-word name of the whole project it can stand for. URLs
(``https://``), times (``10:30``) and bracketed insertions (``[the consultant]``) never match.
Because real speakers recur, a candidate is accepted when it is configured in ``speaker_roles``,
recurs, has a timestamp, defines an abbreviation or is in capitals (``LUZ:``) or is the first
name or initials of a multi-word label; a candidate seen once is accepted only after the first such label and when it is role-like
(``Facilitator``, ``Participant 3``) or a multi-word name. Words like ``Note``, ``Date``,
``Present`` are never speakers.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_NAME = r"[^\W\d_](?:[^\W_]|['’.&-])*(?:[ \t]+(?:[^\W_]|['’.&-])+){0,4}?"
_PAREN = r"(?:[ \t]*\((?P<paren>[^()\n]{1,30})\))?"
_LABEL = re.compile(
    rf"""[ \t]*
    (?:[\[(](?P<ts1>{_TS})[\])][ \t]*|(?P<ts0>{_TS})[ \t]+)?
    (?:\*\*|__)?
    (?P<label>{_NAME})
    {_PAREN}
    (?:[ \t]*[\[(](?P<ts2>{_TS})[\])])?
    (?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?:[ \t]+|$)""",
    re.X,
)
_TS_LINE = re.compile(rf"[ \t]*[\[(](?P<ts>{_TS})[\])][ \t]*")
# A label whose leading time cannot be read ("[1:2:x] Dana:", "[00:02:10 Dana:" without its bracket; a
# digit and a colon inside the bracket, so "[12] Dana:" and "[the consultant]:" are not times):
# still the speaker's turn (else its text would run on as the previous speaker's), without a time.
_BAD_TIME_LABEL = re.compile(
    rf"""[ \t]*(?P<bad>[\[(](?=[^\[\]()\n]{{0,24}}\d:)(?:[^\[\]()\n]{{1,24}}[\])]|[\d:.,]+(?=[ \t])))
    [ \t]*(?:\*\*|__)?(?P<label>{_NAME}){_PAREN}(?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?:[ \t]+|$)""",
    re.X,
)
# A speaker and a time without a colon (the text follows on the next lines or after the time):
# Zoom's saved captions ``[Dana Whitfield] 10:01:02``; Zoom, Otter and Teams ``Dana Whitfield  0:03``
# (two or more spaces or a tab before the time); ``Dana Whitfield [00:00:03] text``/``(00:03)``.
_HEADER = re.compile(
    rf"""[ \t]*(?:
    \[(?P<label1>{_NAME})\][ \t]+(?P<ts1>{_TS})[ \t]*$
    |(?P<label2>{_NAME}){_PAREN}(?:[ \t]{{2,}}|\t)[ \t]*(?P<ts2>{_TS})[ \t]*$
    |(?P<label3>{_NAME})[ \t]+[\[(](?P<ts3>{_TS})[\])](?:[ \t]+|$))""",
    re.X,
)
_BARE_TS = re.compile(rf"[ \t]*(?P<ts>{_TS})[ \t]*")  # a time alone on its line (Google Meet)
# Lines the transcription tools add after the last turn: Otter's "Transcribed by https://otter.ai",
# Google Meet's "Meeting ended after 01:02:03", Teams' "Dana Whitfield stopped transcription".
_TOOL_END = re.compile(r"(?i)[ \t]*(?:transcribed by\b|meeting ended after\b|[^:\n]{1,60}\bstopped transcription\W*$)")
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


def valid_timestamp(value: str) -> bool:
    """Minutes and seconds below 60 (``'00:61:99'`` is no time)."""
    return all(float(part) < 60 for part in value.replace(",", ".").split(":")[1:])


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
    bad_time: str | None = None  # a time written with the label that could not be read ('[1:2:x]', '00:61:99')


def match_label(line: str) -> LabelMatch | None:
    """The speaker label at the start of ``line`` if it is syntactically a label, else None."""
    m = _LABEL.match(line)
    if not m or not name_like(m["label"]):
        return _header_label(line) or _bad_time_label(line)
    paren = (m["paren"] or "").strip()
    ts = m["ts0"] or m["ts1"] or m["ts2"] or (paren if re.fullmatch(_TS, paren) else None)
    abbrev, role = _paren_hints(paren)
    bad = ts if ts and not valid_timestamp(ts) else None
    return LabelMatch(" ".join(m["label"].split()), m.end(), parse_timestamp(ts) if ts and not bad else None,
                      abbrev, role, bad)


def _bad_time_label(line: str) -> LabelMatch | None:
    """A label after a time that cannot be read (see :data:`_BAD_TIME_LABEL`), else None."""
    m = _BAD_TIME_LABEL.match(line)
    if not m or not name_like(m["label"]):
        return None
    abbrev, role = _paren_hints((m["paren"] or "").strip())
    return LabelMatch(" ".join(m["label"].split()), m.end(), None, abbrev, role, m["bad"].strip())


def _paren_hints(paren: str) -> tuple[str | None, str | None]:
    """(abbreviation, role) that the parentheses after a label give: 'Dana Whitfield (DW):' -> ('DW', None),
    'Dana (Facilitator):' -> (None, 'facilitator')."""
    return (paren if _ABBREV.fullmatch(paren) else None), (ROLE_WORDS.get(paren.casefold()) if paren else None)


def _header_label(line: str) -> LabelMatch | None:
    """A speaker-and-time header without a colon (see :data:`_HEADER`), else None."""
    m = _HEADER.match(line)
    if not m:
        return None
    n = next(i for i in "123" if m[f"label{i}"])
    label = " ".join(m[f"label{n}"].split())
    if not name_like(label):
        return None
    role = ROLE_WORDS.get((m["paren"] or "").strip().casefold()) if n == "2" else None
    ts = m[f"ts{n}"]
    bad = None if valid_timestamp(ts) else ts
    return LabelMatch(label, m.end(), None if bad else parse_timestamp(ts), None, role, bad)


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


def label_time_warnings(paragraphs: Iterable[Paragraph]) -> list[str]:
    """One line per accepted speaker label whose time could not be read (the turn is kept, without it)."""
    return [f"line {p.line}: the time {p.label.bad_time!r} of speaker label '{p.label.label}' cannot be read; "
            "the turn is kept without a time" for p in paragraphs if p.label is not None and p.label.bad_time]


def split_paragraphs(text: str, configured: Iterable[str] = ()) -> list[Paragraph]:
    """Split plain transcript text into paragraphs; those that open a turn carry their label.

    A paragraph ends at a blank line, at the next accepted speaker label, at a line starting
    with a bracketed timestamp (``[01:21:37] [recording stopped]``) or at a tool's closing line
    (``Transcribed by https://otter.ai``). A label alone on its line opens a turn whose text
    starts on the next line. A time alone on its line (Google Meet's ``00:05:00``) is no text:
    it is the timestamp of the next paragraph.
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
    clock: float | None = None  # a time alone on its line: the timestamp of the next paragraph

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
        if label is None and _BARE_TS.fullmatch(line):
            flush()
            clock = parse_timestamp(line.strip())
            continue
        if label is None and _TOOL_END.match(line):
            flush()
            pending = None
        if label is not None:
            flush()
            pending = None
            current = Paragraph(off + body_start, off + body_start, n + 1, label,
                                label.timestamp if label.timestamp is not None else clock)
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
            stamp_of = carried.timestamp if carried and carried.timestamp is not None else clock
            current = Paragraph(off, off, line_no, carried, stamp_of)
        clock = None
        if stripped:
            if current.end == current.start:
                current.start = off + body_start + (len(body) - len(body.lstrip()))
            current.end = off + len(line.rstrip())
    flush()
    return paragraphs


def plain_paragraphs(text: str, by_line: bool = False, timed: Iterable[Paragraph] = ()) -> list[Paragraph]:
    """Paragraphs of a text whose speaker labels are not read (``speakers: none``): runs of non-blank
    lines, or with ``by_line`` each non-blank line, whitespace-trimmed, labels and all. A paragraph
    takes the timestamp of the first of ``timed`` (the labelled paragraphs) that starts inside it."""
    out: list[Paragraph] = []
    current: Paragraph | None = None
    offset = 0
    for n, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            start, end = offset + len(raw) - len(raw.lstrip()), offset + len(raw.rstrip())
            if current is None or by_line:
                current = Paragraph(start, end, n)
                out.append(current)
            current.end = end
        else:
            current = None
        offset += len(raw) + 1
    stamps = sorted((p.start, p.timestamp) for p in timed if p.timestamp is not None)
    starts = [s for s, _ in stamps]
    for p in out:
        i = bisect.bisect_left(starts, p.start)
        if i < len(stamps) and stamps[i][0] < p.end:
            p.timestamp = stamps[i][1]
    return out


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
        return bool(_DIVIDER.fullmatch(first_line) or _END_MARK.match(first_line) or _TOOL_END.match(first_line) or (
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


def fold_name(name: str) -> str:
    """Case- and space-insensitive key of a speaker name."""
    return " ".join(name.split()).casefold()


_GROUPS = {"unknown", "unidentified", "audience", "group", "all", "everyone", "several", "multiple", "crosstalk",
           "inaudible", "others", "voices"}


def _personal(name: str) -> bool:
    """A name that can be linked across files: not a role (``Interviewer 1``) or a group, no digits."""
    words = name.casefold().split()
    return bool(words) and role_word(name) is None and words[0] not in _GROUPS and not any(
        c.isdigit() for c in name)


def _initials(name: str) -> str:
    return "".join(t[0] for t in name.split())


def resolve_speakers(labels: list[LabelMatch], speaker_roles: Mapping[str, str] | None = None,
                     aliases: Mapping[str, str] | None = None,
                     links: Mapping[str, str] | None = None) -> dict[str, Speaker]:
    """Map each label (case-folded) to its canonical :class:`Speaker` with a role.

    ``aliases`` (project.yml ``speaker_aliases``: name -> canonical name, any case) rename a label,
    or the file's canonical name it resolves to, and win over the in-file heuristics; ``links``
    (:attr:`SpeakerLinks.names` from :func:`link_speakers`) then rename the file's canonical names
    to the project's. Roles come from ``speaker_roles`` (keys: label, abbreviation, full name or any
    alias of it, any case), then a ``(Facilitator)`` hint, then the label's role word; everyone else
    is a ``participant`` when the transcript has an interviewer, a ``member`` in a group (a
    facilitator or 3+ speakers).
    """
    explicit = {fold_name(k): " ".join(v.split()) for k, v in (aliases or {}).items()}
    shown: dict[str, str] = {}  # display of the canonical names that come from aliases or links

    def rename(key: str, mapping: Mapping[str, str]) -> str:
        """``key`` renamed by ``mapping`` (case-folded), remembering how the new name is written."""
        if key not in mapping:
            return key
        shown[fold_name(mapping[key])] = mapping[key]
        return fold_name(mapping[key])

    def final(key: str) -> str:
        """A case-folded name after the explicit aliases, then the project links."""
        return rename(rename(key, explicit), links or {})

    abbrevs = {m.abbrev.casefold(): m.label for m in labels if m.abbrev}
    display: dict[str, str] = {}
    for m in labels:
        key = m.label.casefold()
        if key not in display or (display[key].isupper() and not m.label.isupper()):
            display[key] = m.label
    base = {k: rename(k, explicit) for k in display}
    multi = sorted({t for k, t in base.items() if len(t.split()) >= 2 and k not in abbrevs})
    canonical: dict[str, str] = {}
    for key in display:
        target = base[key]
        if key not in explicit and key in abbrevs:
            target = abbrevs[key].casefold()
        elif key not in explicit and len(key.split()) == 1 and role_word(key) is None:
            initials = [k for k in multi if _initials(k) == key]
            firsts = [k for k in multi if k.split()[0] == key]
            if display[key].isupper() and len(initials) == 1:
                target = initials[0]
            elif len(firsts) == 1:
                target = firsts[0]
        canonical[key] = final(target)

    roles_cfg = {fold_name(k): v for k, v in (speaker_roles or {}).items()}
    roles_by_target: dict[str, str] = {}
    for k, v in roles_cfg.items():
        roles_by_target.setdefault(canonical[k] if k in canonical else final(k), v)
    hints = {m.label.casefold(): m.role_hint for m in labels if m.role_hint}
    groups: dict[str, list[str]] = {}
    for key, target in canonical.items():
        groups.setdefault(target, []).append(key)
    explicit_roles: dict[str, str | None] = {}
    for target, keys in groups.items():
        names = [target, *keys]
        role = next((roles_cfg[k] for k in names if k in roles_cfg), None) or roles_by_target.get(target)
        role = role or next((hints[k] for k in names if k in hints), None)
        role = role or next((ROLE_WORDS[w] for k in names if (w := role_word(k)) and ROLE_WORDS[w]), None)
        explicit_roles[target] = role
    found = set(explicit_roles.values())
    default = ("participant" if "interviewer" in found else
               "member" if found & {"facilitator", "moderator"} or len(groups) >= 3 else "participant")
    out: dict[str, Speaker] = {}
    for target, keys in groups.items():
        name = shown.get(target) or _display(display.get(target, target), set(abbrevs))
        speaker = Speaker(name, explicit_roles[target] or default, tuple(sorted(display[k] for k in keys)))
        for key in keys:
            out[key] = speaker
    return out


@dataclass(frozen=True)
class AmbiguousSpeaker:
    """A one-word speaker name that matches several multi-word speakers of the project."""

    name: str
    sources: tuple[str, ...]  # the files that use it
    candidates: tuple[tuple[str, tuple[str, ...]], ...]  # (full name, the files that use it)

    def message(self) -> str:
        """One line for the ingest report."""
        options = " or ".join(f"{full} ({', '.join(files) or 'speaker_aliases'})" for full, files in self.candidates)
        also = f" (also in {', '.join(self.sources[1:])})" if len(self.sources) > 1 else ""
        return (f"speaker {self.name!r}{also} could be {options}: left unlinked; "
                f"name the person under speaker_aliases in project.yml to link it")


@dataclass(frozen=True)
class SpeakerLinks:
    """Project-wide speaker renames: ``names`` maps a case-folded name to its canonical name."""

    names: dict[str, str]
    ambiguous: tuple[AmbiguousSpeaker, ...] = ()


def link_speakers(names_by_source: Mapping[str, Iterable[str]],
                  aliases: Mapping[str, str] | None = None) -> SpeakerLinks:
    """Link the speakers of different files of a project (conservatively).

    ``names_by_source`` holds each file's canonical speaker names (after :func:`resolve_speakers`).
    A one-word name (``Kwame``, ``KWAME``; initials such as ``KA`` when written in capitals) is
    linked to a multi-word name used in any file (``Kwame Asante``) when exactly one multi-word
    name of the project has that first name (or those initials); with several it stays unlinked
    and is listed in ``ambiguous``. Role-like names (``Interviewer``, ``Participant 3``), names with
    digits and the names in the explicit ``aliases`` (project.yml ``speaker_aliases``, either side)
    are never linked; only personal multi-word names are link targets. A multi-word name written
    differently (``Dana whitfield``/``Dana Whitfield``) gets the spelling of ``aliases``, else the
    first one not in capitals with the most capitalised words, in source order.
    """
    frozen = {fold_name(n) for pair in (aliases or {}).items() for n in pair}
    chosen = {fold_name(v): " ".join(v.split()) for v in (aliases or {}).values()}
    spellings: dict[str, list[str]] = {k: [v] for k, v in chosen.items()}
    used_in: dict[str, list[str]] = {}
    for source in sorted(names_by_source):
        for name in names_by_source[source]:
            key = fold_name(name)
            if " ".join(name.split()) not in spellings.setdefault(key, []):
                spellings[key].append(" ".join(name.split()))
            if source not in used_in.setdefault(key, []):
                used_in[key].append(source)
    def best(written: list[str]) -> str:  # not in capitals, most words capitalised, first in source order
        return max(written, key=lambda s: (not s.isupper(), sum(w[0].isupper() for w in s.split())))

    full = {k: chosen.get(k) or best(v) for k, v in spellings.items() if len(k.split()) >= 2 and _personal(k)}
    names = {k: full[k] for k in full if len(spellings[k]) > 1}
    ambiguous: list[AmbiguousSpeaker] = []
    for key, written in spellings.items():
        if len(key.split()) != 1 or key in frozen or not _personal(key):
            continue
        matches = [k for k in full if _initials(k) == key] if any(s.isupper() for s in written) else []
        matches = matches or [k for k in full if k.split()[0] == key]
        if len(matches) == 1:
            names[key] = full[matches[0]]
        elif matches:
            ambiguous.append(AmbiguousSpeaker(written[0], tuple(used_in[key]),
                                              tuple((full[k], tuple(used_in.get(k, ()))) for k in sorted(matches))))
    return SpeakerLinks(names, tuple(ambiguous))
