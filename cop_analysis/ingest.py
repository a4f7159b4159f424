"""Ingestion: raw transcripts and surveys -> ``sources.parquet`` + ``segments.parquet``.

>>> report = ingest_project(ProjectConfig.load("."))
>>> print(report.summary())

Speakers are resolved per file, then linked across the project (:func:`speakers.link_speakers`,
``speaker_aliases`` in project.yml), so every transcript is read again on each run for its
speaker labels (cheap; no sentence splitting).

Incremental: each source carries a ``cache_key`` (file SHA-256 + its project.yml entry +
:data:`INGEST_VERSION`, and for a transcript the speaker names and roles its labels resolve to
project-wide); only new or changed sources are segmented again, removed ones drop out,
and when nothing changed the output files are not rewritten. A malformed file becomes an
:class:`IngestError` (``path:line: message``) in the report and the other files still go through;
a bad survey row is skipped with its own error and the rest of its file is ingested.

Codings, memos and "no code applies" marks follow their text when a source is edited or renamed
(:mod:`cop_analysis.anchoring`); a removed source the ledger still points at keeps its last text
in ``vanished_sources.parquet`` so they can follow it when it comes back in a later run
(``docs/ledger.md``, "Re-ingestion, re-anchoring and orphans").
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import speakers
from .atomic import sha256_file, write_parquet, write_text
from .config import ConfigError, ProjectConfig, SurveySpec, TranscriptSpec
from .readers import SURVEY_FORMATS, TRANSCRIPT_FORMATS, ReadError, file_format
from .readers.transcripts import TranscriptDoc, read_transcript
from .schema import SEGMENTS, SOURCES, VANISHED_SOURCES

CODING_UNITS: dict[str, str] = {"transcript": "turn", "survey": "response"}
INPUT_ERRORS = "input_errors.json"  # under data/processed/: the input errors of the last ingest
INPUT_WARNINGS = "input_warnings.json"  # and its warnings (per file, and the project's: ambiguous speaker names)
INGEST_VERSION = "5"  # 5: a bad survey row is skipped with its own error instead of rejecting the file
RENAME_MIN_SIMILARITY = 0.5  # word-trigram Jaccard overlap for a vanished file to count as renamed (_renamed_sources)
MAX_PARAGRAPH_CHARS = 100_000
_NEW_DEFAULTS: dict[str, Any] = {"speakers": "labels", "paragraphs": "blank-lines"}  # see _cache_key
_UNIT_ORDER = {"context": 0, "turn": 0, "response": 0, "paragraph": 1, "sentence": 2}


class IngestError(Exception):
    """One problem with one input file: ``str(err)`` is ``path:line: message`` (line optional)."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        message = " ".join(message.split())  # always one line
        super().__init__(path, line, message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class IngestReport:
    """What an ingest run did; ``summary()`` renders it as text."""

    n_sources: int = 0
    n_segments: int = 0
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # gone without a renamed successor
    renamed: dict[str, str] = field(default_factory=dict)  # old source id -> new one (file renamed or moved)
    restored: dict[str, str] = field(default_factory=dict)  # source removed in an earlier run -> the source its
    # orphaned codings/memos were re-anchored onto in this run (the file came back, renamed, moved or edited)
    restored_codings: int = 0
    restored_memos: int = 0
    archived: list[str] = field(default_factory=list)  # removed sources whose text is kept for their orphans
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[IngestError] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)
    n_speakers: int = 0
    linked: dict[str, str] = field(default_factory=dict)  # speaker name -> project name it was linked to
    n_respondents: int = 0
    written: bool = False
    orphaned_codings: int = 0
    reanchored_codings: int = 0  # codings (and memos) moved with their text onto the new segments of edited sources
    reanchored_memos: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when no source could be ingested (every file failed, or none matched)."""
        return self.n_sources == 0

    def linked_text(self, limit: int = 8) -> str:
        """``'Dana -> Dana Whitfield, ...'``: the first ``limit`` names linked across files."""
        pairs = [f"{k} -> {v}" for k, v in sorted(self.linked.items())]
        return ", ".join(pairs[:limit]) + (", ..." if len(pairs) > limit else "")

    def summary(self) -> str:
        units = ", ".join(f"{n} {u}" for u, n in sorted(self.units.items())) or "none"
        lines = [
            f"{self.n_sources} sources, {self.n_segments} segments ({units})",
            f"{self.n_speakers} speakers, {self.n_respondents} survey respondents",
            f"{len(self.changed)} (re)ingested, {len(self.removed)} removed, "
            + ("outputs written" if self.written else "outputs unchanged") + f" in {self.seconds:.1f} s",
        ]
        if self.linked:
            lines.insert(2, f"{len(self.linked)} speaker names linked across files: {self.linked_text()}")
        if self.renamed:
            lines.append(f"{len(self.renamed)} files renamed or moved, their codings follow: "
                         + ", ".join(f"{a} -> {b}" for a, b in sorted(self.renamed.items())))
        if self.reanchored_codings or self.reanchored_memos:
            lines.append(f"{self.reanchored_codings} codings and {self.reanchored_memos} memos re-anchored to the"
                         " edited text (they follow their words to the new segments)")
        if self.restored:
            lines.append(f"{len(self.restored)} files removed earlier are back: {self.restored_codings} orphaned"
                         f" codings and {self.restored_memos} memos re-anchored onto them: "
                         + ", ".join(f"{a} -> {b}" for a, b in sorted(self.restored.items())))
        if self.orphaned_codings:
            lines.append(f"{self.orphaned_codings} codings are orphaned (their segment vanished); they are kept in the ledger")
        if self.archived:
            lines.append(f"the last text of {len(self.archived)} removed files is kept (vanished_sources.parquet) so"
                         " their orphaned codings follow them if they come back")
        lines += [f"ERROR {e}" for e in self.errors] + [f"warning {w}" for w in self.warnings]
        return "\n".join(lines)


def load_sources(cfg: ProjectConfig) -> pd.DataFrame:
    """``sources.parquet`` (SOURCES columns); empty frame before the first ingest."""
    path = cfg.processed / "sources.parquet"
    return pd.read_parquet(path) if path.exists() else SOURCES.empty_frame()


def load_segments(cfg: ProjectConfig) -> pd.DataFrame:
    """``segments.parquet`` (SEGMENTS columns); empty frame before the first ingest."""
    path = cfg.processed / "segments.parquet"
    return pd.read_parquet(path) if path.exists() else SEGMENTS.empty_frame()


def spoken_text(segments: pd.DataFrame) -> pd.Series:
    """Segment texts with the speaker labels inside merged turns cut out, for reading and analysis.

    Consecutive blocks of one speaker form one turn (Teams, Rev, Meet exports, or two lines in a
    row), and a turn is one span of the source text, so its ``text`` keeps the later blocks'
    labels: ``... anywhere.\n[01:20:07] Maria Reyes: One more round``. Here each gap between two
    paragraphs of a turn that holds more than white space becomes a line break. Other segments,
    and offsets, are unchanged: coding spans still index ``text``.
    """
    text = segments["text"].copy()
    paragraphs = segments[(segments["unit"] == "paragraph") & segments["parent_id"].notna()]
    split = paragraphs["parent_id"].value_counts()
    split = split[split > 1]
    if split.empty:
        return text
    turns = segments[segments["segment_id"].isin(split.index)]
    by_parent = {parent: rows.sort_values("start")
                 for parent, rows in paragraphs[paragraphs["parent_id"].isin(split.index)].groupby("parent_id")}
    for index, turn in turns.iterrows():
        body, base = str(turn["text"]), int(turn["start"])
        pieces, previous_end = [], 0
        for i, p in enumerate(by_parent[turn["segment_id"]].itertuples()):
            start, end = int(p.start) - base, int(p.end) - base
            gap = body[previous_end:start]  # before the first paragraph: kept; between two: a label or space
            pieces += ["\n" if i and gap.strip() else gap, body[start:end]]
            previous_end = end
        text.loc[index] = "".join(pieces) + body[previous_end:]
    return text


def segment_id(source_id: str, unit: str, start: int, end: int, text: str) -> str:
    """Stable segment id: the same text at the same place in the same source keeps its id."""
    return hashlib.sha256(f"{source_id}\x1f{unit}\x1f{start}\x1f{end}\x1f{text}".encode()).hexdigest()[:20]


def validate_config(cfg: ProjectConfig) -> None:
    """Raise :class:`ConfigError` for ingest settings that cannot work."""
    from .readers.surveys import LAYOUTS

    def strings(value: Any) -> bool:
        return isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value)

    entries: list[TranscriptSpec | SurveySpec] = [*cfg.transcripts, *cfg.surveys]
    for spec in entries:
        if not isinstance(spec.path, str):
            raise ConfigError(f"project.yml: path {spec.path!r} must be a string (a path or glob under data/raw)")
    for i, t in enumerate(cfg.transcripts):
        if not isinstance(t.speaker_roles, dict) or not strings([*t.speaker_roles, *t.speaker_roles.values()]):
            raise ConfigError(f"project.yml: transcripts[{i}].speaker_roles must map speaker labels to role names")
    for i, s in enumerate(cfg.surveys):
        if s.layout not in LAYOUTS:
            raise ConfigError(f"project.yml: surveys[{i}].layout {s.layout!r} is not one of {', '.join(LAYOUTS)}")
        if not isinstance(s.open_ended, list) or not strings(s.open_ended):
            raise ConfigError(f"project.yml: surveys[{i}].open_ended must be a list of column ids or question texts")
        if not isinstance(s.attributes, dict) or not strings([*s.attributes, *s.attributes.values()]):
            raise ConfigError(f"project.yml: surveys[{i}].attributes must map attribute names to columns")
        for name in ("respondent_id", "wave_column"):
            if getattr(s, name) is not None and not isinstance(getattr(s, name), str):
                raise ConfigError(f"project.yml: surveys[{i}].{name} must be a column id or question text")


@dataclass
class _Input:
    source_id: str
    path: Path
    rel: str  # path relative to the project root, for messages
    kind: str
    spec: TranscriptSpec | SurveySpec
    key: str = ""
    sha256: str = ""


@dataclass
class _Parsed:
    item: _Input
    source: dict[str, Any]
    rows: list[dict[str, Any]]
    sentence_jobs: list[tuple[int, int, dict[str, Any]]]  # span to split + fields of its sentences
    warnings: list[str]
    errors: list[ReadError] = field(default_factory=list)  # bad survey rows that were skipped


def _collect_inputs(cfg: ProjectConfig, report: IngestReport) -> list[_Input]:
    inputs: dict[str, _Input] = {}
    specs: list[tuple[str, TranscriptSpec | SurveySpec]] = [("transcript", s) for s in cfg.transcripts]
    specs += [("survey", s) for s in cfg.surveys]
    for kind, spec in specs:
        matches = cfg.expand(spec.path)
        if not matches:
            report.warnings.append(IngestError(os.path.join(str(cfg.raw_dir), spec.path), None,
                                               f"no files match this {kind} path"))
        for path in matches:
            try:
                source_id = path.relative_to(cfg.raw).as_posix()
            except ValueError:
                source_id = os.path.relpath(path, cfg.root).replace(os.sep, "/")
            rel = os.path.relpath(path, cfg.root).replace(os.sep, "/")
            if source_id in inputs:
                report.warnings.append(IngestError(rel, None, "matched by more than one project.yml entry; "
                                                   "the first one is used"))
                continue
            formats = TRANSCRIPT_FORMATS if kind == "transcript" else SURVEY_FORMATS
            if file_format(path) not in formats:
                report.errors.append(IngestError(rel, None, f"unsupported extension {path.suffix!r} for a {kind} "
                                                 f"(supported: {', '.join(formats)})"))
                continue
            inputs[source_id] = _Input(source_id, path, rel, kind, spec)
    return sorted(inputs.values(), key=lambda i: i.source_id)


def _cache_key(item: _Input, resolved: dict[str, speakers.Speaker] | None = None) -> str:
    """Hash of what a source's segments depend on (for a transcript: also its resolved speakers).

    Options left at a default that older versions did not have (``speakers``, ``paragraphs``) are not
    hashed, so adding them re-segments nothing."""
    spec = {k: v for k, v in dataclasses.asdict(item.spec).items()
            if k != "path" and not (k in _NEW_DEFAULTS and v == _NEW_DEFAULTS[k])}
    who = sorted((label, s.name, s.role) for label, s in (resolved or {}).items())
    payload = json.dumps([INGEST_VERSION, os.environ.get("COP_SPACY_MODEL", ""), item.kind, spec, item.sha256, who],
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _source_row(item: _Input, text: str, encoding: str, warnings: list[str]) -> dict[str, Any]:
    return {
        "source_id": item.source_id, "path": item.rel, "kind": item.kind, "format": file_format(item.path),
        "wave": item.spec.wave, "date": item.spec.date, "title": item.spec.title or item.path.stem,
        "sha256": item.sha256, "encoding": encoding, "n_chars": len(text), "text": text,
        "ingested_at": pd.Timestamp.now(tz="UTC"), "cache_key": item.key,
        "warnings": json.dumps(warnings, ensure_ascii=False) if warnings else None,
    }


def _segment(item: _Input, text: str, unit: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
    body = text[start:end]
    row = {"segment_id": segment_id(item.source_id, unit, start, end, body), "source_id": item.source_id,
           "kind": item.kind, "unit": unit, "start": start, "end": end, "text": body, "wave": item.spec.wave}
    row.update(fields)
    return row


def _read_transcript(item: _Input) -> TranscriptDoc:
    """Read a transcript into paragraphs (with speaker labels); ReadError if it is not one."""
    assert isinstance(item.spec, TranscriptSpec)
    doc = read_transcript(item.path, item.spec.speaker_roles, labels=item.spec.speakers != "none",
                          by_line=item.spec.paragraphs == "lines")
    for p in doc.paragraphs:
        if p.end - p.start > MAX_PARAGRAPH_CHARS:
            raise ReadError(f"paragraph of {p.end - p.start:,} characters exceeds the {MAX_PARAGRAPH_CHARS:,}"
                            " character limit (not a transcript?)", p.line)
    return doc


def _labels(doc: TranscriptDoc) -> list[speakers.LabelMatch]:
    return [p.label for p in doc.paragraphs if p.label is not None]


def _project_speakers(cfg: ProjectConfig, docs: dict[str, tuple[_Input, TranscriptDoc]],
                      report: IngestReport) -> dict[str, dict[str, speakers.Speaker]]:
    """Each transcript's label -> Speaker, resolved in its file, then linked across the project.

    Ambiguous one-word names become report warnings; ``report.linked`` lists the names that changed.
    """
    local = {sid: {s.name for s in speakers.resolve_speakers(_labels(doc), aliases=cfg.speaker_aliases).values()}
             for sid, (_, doc) in docs.items()}
    links = speakers.link_speakers({docs[sid][0].rel: names for sid, names in local.items()}, cfg.speaker_aliases)
    report.warnings += [IngestError(a.sources[0], None, a.message()) for a in links.ambiguous]
    report.linked = {n: links.names[k] for names in local.values() for n in names
                     if (k := speakers.fold_name(n)) in links.names and links.names[k] != n}
    out: dict[str, dict[str, speakers.Speaker]] = {}
    for sid, (item, doc) in docs.items():
        assert isinstance(item.spec, TranscriptSpec)
        out[sid] = speakers.resolve_speakers(_labels(doc), item.spec.speaker_roles, cfg.speaker_aliases,
                                             links.names)
    return out


def _parse_transcript(item: _Input, doc: TranscriptDoc, resolved: dict[str, speakers.Speaker]) -> _Parsed:
    """Turns, paragraphs and context of a read transcript, attributed to its ``resolved`` speakers;
    with ``speakers: none`` each paragraph is a turn without a speaker (and no context)."""
    text, paragraphs = doc.text, doc.paragraphs
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[int, int, dict[str, Any]]] = []
    warnings = list(doc.warnings)
    assert isinstance(item.spec, TranscriptSpec)
    if item.spec.speakers == "none":  # every paragraph is a turn without a speaker
        turns = [[p] for p in paragraphs]
    elif all(p.label is None for p in paragraphs):
        warnings.append(f"no speaker labels found: {len(paragraphs)} paragraph(s) kept as context, no turns "
                        "(add 'Name:' labels, list the speakers under speaker_roles, or set `speakers: none` "
                        "for this file to code its paragraphs)")
        rows += [_segment(item, text, "context", p.start, p.end, timestamp=p.timestamp) for p in paragraphs]
        return _Parsed(item, _source_row(item, text, doc.encoding, warnings), rows, jobs, warnings)
    else:
        turns = _speaker_turns(item, doc, resolved, rows)
    for turn in turns:
        first = turn[0]
        who = resolved[first.label.label.casefold()] if first.label is not None else None
        common = {"speaker": who.name if who else None, "speaker_role": who.role if who else None}
        row = _segment(item, text, "turn", first.start, turn[-1].end, timestamp=first.timestamp, **common)
        rows.append(row)
        for p in turn:
            stamp = p.timestamp if p.timestamp is not None else first.timestamp
            fields = {**common, "parent_id": row["segment_id"], "timestamp": stamp}
            rows.append(_segment(item, text, "paragraph", p.start, p.end, **fields))
            jobs.append((p.start, p.end, fields))
    return _Parsed(item, _source_row(item, text, doc.encoding, warnings), rows, jobs, warnings)


def _speaker_turns(item: _Input, doc: TranscriptDoc, resolved: dict[str, speakers.Speaker],
                   rows: list[dict[str, Any]]) -> list[list[speakers.Paragraph]]:
    """The paragraphs of each speaker turn; the preamble and trailer go to ``rows`` as context."""
    text, paragraphs = doc.text, doc.paragraphs
    labelled = [i for i, p in enumerate(paragraphs) if p.label is not None]
    tail = paragraphs[labelled[-1] + 1:]
    body_end = labelled[-1] + 1 + speakers.trailer_start(tail, text)
    context = paragraphs[:labelled[0]] + paragraphs[body_end:]
    rows += [_segment(item, text, "context", p.start, p.end, timestamp=p.timestamp) for p in context]
    turns: list[list[speakers.Paragraph]] = []
    for p in paragraphs[labelled[0]:body_end]:
        opener = turns[-1][0].label if turns else None
        same = opener is not None and p.label is not None and (
            resolved[p.label.label.casefold()] == resolved[opener.label.casefold()])
        if p.label is not None and not same:
            turns.append([p])
        else:  # unlabelled, or the same speaker again (Teams, Rev, Meet): one turn
            turns[-1].append(p)
    return turns


def survey_text(responses: Iterable[Any]) -> tuple[str, list[tuple[int, int]]]:
    """Lay out survey answers as source text; returns it and each answer's (start, end).

    One block per respondent x question, blocks separated by a blank line::

        [R_1abc] Q5: What has changed in how your department works with community members?
        <the answer, as entered>
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for r in responses:
        question = " ".join(r.question.split())
        header = f"[{r.respondent_id}] " + (question if question == r.question_id else f"{r.question_id}: {question}")
        start = offset + len(header) + 1
        spans.append((start, start + len(r.text)))
        parts.append(f"{header}\n{r.text}")
        offset = start + len(r.text) + 2
    return "\n\n".join(parts), spans


def _parse_survey(item: _Input) -> _Parsed:
    from .readers.surveys import read_survey, responses

    assert isinstance(item.spec, SurveySpec)
    table = read_survey(item.path, item.spec.layout, item.spec.sheet)
    try:
        answers, warnings = responses(table, item.spec)
        if not answers:
            skipped = f" ({len(table.errors)} bad row(s) skipped)" if table.errors else ""
            raise ReadError("no non-empty open-ended answers" + skipped, table.header_line)
    except ReadError as exc:  # the file fails: its bad rows are reported with it
        exc.rows = exc.rows or list(table.errors)
        raise
    warnings = table.warnings + warnings
    text, spans = survey_text(answers)
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[int, int, dict[str, Any]]] = []
    for r, (start, end) in zip(answers, spans):
        fields = {"respondent_id": r.respondent_id, "question_id": r.question_id, "question": r.question,
                  "wave": r.wave, "attributes": json.dumps(r.attributes, ensure_ascii=False, sort_keys=True)}
        row = _segment(item, text, "response", start, end, **fields)
        rows.append(row)
        jobs.append((start, end, {**fields, "parent_id": row["segment_id"]}))
    return _Parsed(item, _source_row(item, text, table.encoding, warnings), rows, jobs, warnings, table.errors)


def sentence_spans(texts: list[str], on_batch: Callable[[int], None] | None = None) -> list[list[tuple[int, int]]]:
    """Sentence (start, end) offsets within each text, whitespace-trimmed (spaCy, NER etc. off)."""
    from .models import load_spacy

    if not texts:
        return []
    nlp = load_spacy()
    if "senter" in nlp.component_names:
        senter = nlp.get_pipe("senter")
        docs: Iterable[Any] = senter.pipe(nlp.tokenizer.pipe(texts, batch_size=256), batch_size=256)
    else:
        keep = [n for n in ("tok2vec", "parser", "sentencizer", "senter") if n in nlp.pipe_names]
        docs = nlp.pipe(texts, batch_size=256, disable=[n for n in nlp.pipe_names if n not in keep])
    out: list[list[tuple[int, int]]] = []
    for i, doc in enumerate(docs):
        spans = []
        for sent in doc.sents:
            chunk = sent.text
            start = sent.start_char + len(chunk) - len(chunk.lstrip())
            end = sent.start_char + len(chunk.rstrip())
            if end > start:
                spans.append((start, end))
        out.append(spans)
        if on_batch and (i + 1) % 256 == 0:
            on_batch(256)
    if on_batch:
        on_batch(len(texts) % 256)
    return out


def _progress(enabled: bool) -> Any:
    import contextlib

    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    transient=True)


def ingest_project(cfg: ProjectConfig, progress: bool = False) -> IngestReport:
    """Ingest every configured source into ``cfg.processed`` (see module docstring)."""
    started = time.perf_counter()
    validate_config(cfg)
    report = IngestReport()
    inputs = _collect_inputs(cfg, report)
    src_path, seg_path = cfg.processed / "sources.parquet", cfg.processed / "segments.parquet"
    previous = load_sources(cfg) if src_path.exists() and seg_path.exists() else SOURCES.empty_frame()
    previous_keys = dict(zip(previous["source_id"], previous["cache_key"]))
    previous_errors = load_input_errors(cfg)  # bad rows of unchanged surveys are reported from here
    archive = load_vanished_sources(cfg)
    parsed: dict[str, _Parsed] = {}
    kept: list[str] = []
    docs: dict[str, tuple[_Input, TranscriptDoc]] = {}

    def attempt(item: _Input, action: Callable[[], None]) -> None:
        try:
            action()
        except ReadError as exc:
            report.errors.append(IngestError(item.rel, exc.line, exc.message))
            report.errors += [IngestError(item.rel, e.line, e.message) for e in exc.rows]
        except Exception as exc:  # one unreadable file must not stop the others
            report.errors.append(IngestError(item.rel, None, f"cannot read ({type(exc).__name__}: {exc})"))

    def read(item: _Input) -> None:
        item.sha256 = sha256_file(item.path)
        item.key = _cache_key(item)
        if item.kind == "transcript":  # always read: speaker names are linked across all transcripts
            docs[item.source_id] = (item, _read_transcript(item))
        elif previous_keys.get(item.source_id) == item.key:
            kept.append(item.source_id)  # unchanged: its skipped rows are reported again from the last run
            report.errors += [IngestError(e["path"], e["line"], e["message"]) for e in previous_errors
                              if e["path"] == item.rel]
        else:
            parsed[item.source_id] = _parse_survey(item)
            report.errors += [IngestError(item.rel, e.line, e.message) for e in parsed[item.source_id].errors]

    def segment(item: _Input, doc: TranscriptDoc, resolved: dict[str, speakers.Speaker]) -> None:
        item.key = _cache_key(item, resolved)
        if previous_keys.get(item.source_id) == item.key:
            kept.append(item.source_id)
        else:
            parsed[item.source_id] = _parse_transcript(item, doc, resolved)

    with _progress(progress) as bar:
        task = bar.add_task("reading files", total=len(inputs)) if bar else None
        for item in inputs:
            attempt(item, lambda: read(item))
            if bar:
                bar.advance(task)
        for sid, resolved in _project_speakers(cfg, docs, report).items():
            item, doc = docs[sid]
            attempt(item, lambda: segment(item, doc, resolved))
        jobs = [(sid, job) for sid, p in parsed.items() for job in p.sentence_jobs]
        if jobs:
            task = bar.add_task("splitting sentences", total=len(jobs)) if bar else None
            texts = [parsed[sid].source["text"][s:e] for sid, (s, e, _) in jobs]
            spans = sentence_spans(texts, (lambda n: bar.advance(task, n)) if bar else None)
            for (sid, (s, _, fields)), sents in zip(jobs, spans):
                text = parsed[sid].source["text"]
                parsed[sid].rows += [_segment(parsed[sid].item, text, "sentence", s + a, s + b, **fields)
                                     for a, b in sents]

    gone = set(previous_keys) - {i.source_id for i in inputs}
    report.renamed = _renamed_sources(previous[previous["source_id"].isin(gone)], parsed)
    retried = _renamed_sources(archive.assign(source_id=archive.index.astype(str)), parsed)  # archive row -> new id
    report.removed = sorted(gone - set(report.renamed))
    report.changed = sorted(parsed)
    previous_kept = previous[previous["source_id"].isin(kept)]
    for _, row in previous_kept.iterrows():
        for message in json.loads(row["warnings"]) if isinstance(row["warnings"], str) else []:
            report.warnings.append(IngestError(row["path"], None, message))
    for p in parsed.values():
        report.warnings += [IngestError(p.source["path"], None, w) for w in p.warnings]

    # before the tables: unchanged files report their bad rows from this file, so an ingest stopped after
    # writing the tables must not leave the errors of the files it just read behind
    _keep_input_errors(cfg, report.errors)
    _keep_problems(cfg.processed / INPUT_WARNINGS, report.warnings)
    if parsed or set(previous_keys) != set(kept):  # new, changed, removed or now-broken sources
        old_segments = load_segments(cfg) if len(previous) else SEGMENTS.empty_frame()
        segments = _assemble(old_segments[old_segments["source_id"].isin(kept)], parsed)
        # before the outputs are written: if writing fails, the next run recomputes the same new ids
        report.reanchored_codings, report.reanchored_memos = _reanchor_codings(cfg, previous, old_segments, parsed,
                                                                               report.renamed)
        present = set(segments["segment_id"])
        report.restored, report.restored_codings, report.restored_memos = _restore_orphans(
            cfg, archive, {int(i): sid for i, sid in retried.items()}, parsed, present)
        # the archive is written before sources.parquet drops the old texts: of removed files, of files that
        # now fail to read, and of changed files whose edit (or a survey row now skipped) left orphans
        replaced = previous[~previous["source_id"].isin(kept)]
        archive = _keep_vanished(cfg, archive, replaced, old_segments, present)
        counts = segments.groupby("source_id").size()
        new_sources = pd.DataFrame([p.source for p in parsed.values()])
        sources = pd.concat([f for f in (previous_kept, new_sources) if len(f)], ignore_index=True) \
            if len(previous_kept) or len(new_sources) else SOURCES.empty_frame()
        sources["n_segments"] = sources["source_id"].map(counts).fillna(0).astype("int64")
        sources = SOURCES.conform(sources.sort_values("source_id", ignore_index=True))
        write_parquet(sources, src_path, SOURCES.arrow_schema())
        write_parquet(segments, seg_path, SEGMENTS.arrow_schema())
        report.written = True
        report.orphaned_codings = _flag_orphaned_codings(cfg, segments["segment_id"])
    else:
        sources, segments = previous_kept, load_segments(cfg)
        if len(archive):  # a coder may have removed the last codings on an archived source since the last run
            archive = _keep_vanished(cfg, archive, SOURCES.empty_frame(), SEGMENTS.empty_frame(),
                                     set(segments["segment_id"]))

    report.archived = sorted(set(archive["source_id"]))
    report.n_sources = len(sources)
    report.n_segments = len(segments)
    report.units = {str(k): int(v) for k, v in Counter(segments["unit"]).items()}
    report.n_speakers = int(segments["speaker"].dropna().nunique())
    responses = segments[segments["unit"] == "response"]
    report.n_respondents = len(set(zip(responses["source_id"], responses["respondent_id"])))
    report.seconds = time.perf_counter() - started
    return report


def _keep_input_errors(cfg: ProjectConfig, errors: list[IngestError]) -> None:
    """Write ``data/processed/input_errors.json`` (``[{path, line, message}]``, [] when every input was
    read) for the pipeline and the reports; rewritten only when it changes."""
    _keep_problems(cfg.processed / INPUT_ERRORS, errors)


def _keep_problems(path: Path, problems: list[IngestError]) -> None:
    text = json.dumps([{"path": e.path, "line": e.line, "message": e.message} for e in problems], indent=1) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_text(path, text)


def load_input_errors(cfg: ProjectConfig) -> list[dict[str, Any]]:
    """The input errors of the last ingest (``input_errors.json``): ``[{path, line, message}]``."""
    return _load_problems(cfg.processed / INPUT_ERRORS)


def load_input_warnings(cfg: ProjectConfig) -> list[dict[str, Any]]:
    """The warnings of the last ingest (``input_warnings.json``): ``[{path, line, message}]``, those of
    every file read (also unchanged ones) and of the project (a speaker name that could be two people)."""
    return _load_problems(cfg.processed / INPUT_WARNINGS)


def _load_problems(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _renamed_sources(gone: pd.DataFrame, parsed: dict[str, _Parsed]) -> dict[str, str]:
    """{old source id: new source id} for vanished sources whose text reappears in a new or changed source (same kind).

    A renamed or moved file gets a new source id (its path) and so new segment ids; pairing it
    with its old self lets codings follow their text. Similarity: Jaccard overlap of word
    trigrams >= ``RENAME_MIN_SIMILARITY``, computed for the candidate pairs that share a quarter
    of their bottom-k sketches (so a moved folder of 200 transcripts pairs in about a second);
    best pairs first, each source paired once. ``gone`` holds the vanished sources' ``source_id``
    (any unique key), ``kind`` and ``text``: this run's vanished sources, or the archived ones
    (:func:`load_vanished_sources`).
    """
    new = {sid: p.source for sid, p in parsed.items()}
    if gone.empty or not new:
        return {}
    new_shingles = {sid: _shingles(src["text"]) for sid, src in new.items()}
    holders: dict[int, list[str]] = {}
    for sid, shingles in new_shingles.items():
        for h in heapq.nsmallest(_SKETCH_SIZE, shingles):
            holders.setdefault(h, []).append(sid)
    pairs = []
    for row in gone.itertuples():
        old = _shingles(row.text)
        shared = Counter(sid for h in heapq.nsmallest(_SKETCH_SIZE, old) for sid in holders.get(h, ()))
        for sid, n in shared.items():
            if new[sid]["kind"] != row.kind or n < min(len(old), len(new_shingles[sid]), _SKETCH_SIZE) / 4:
                continue
            similarity = len(old & new_shingles[sid]) / len(old | new_shingles[sid])
            if similarity >= RENAME_MIN_SIMILARITY:
                pairs.append((-similarity, row.source_id, sid))
    renamed: dict[str, str] = {}
    for _, old_id, new_id in sorted(pairs):
        if old_id not in renamed and new_id not in renamed.values():
            renamed[old_id] = new_id
    return renamed


_SKETCH_SIZE = 128


def _shingles(text: str) -> set[int]:
    """Hashes of the word trigrams of ``text`` (stable within a run, which is all pairing needs)."""
    words = re.findall(r"\w+", str(text).lower())
    return {hash(tuple(words[i:i + 3])) for i in range(max(len(words) - 2, 1))} if words else set()


def _reanchor_codings(cfg: ProjectConfig, previous: pd.DataFrame, old_segments: pd.DataFrame,
                      parsed: dict[str, _Parsed], renamed: dict[str, str]) -> tuple[int, int]:
    """Move ledger codings and memos on vanished segments of edited or renamed sources along with their text.

    Returns (codings, memos) moved; see :class:`cop_analysis.anchoring.Relocator`.
    """
    pairs = {sid: sid for sid in set(parsed) & set(previous["source_id"])} | renamed  # old id -> new id
    if not pairs or not cfg.ledger_path.exists():
        return 0, 0
    new = pd.DataFrame([row for sid in dict.fromkeys(pairs.values()) for row in parsed[sid].rows])  # a successor
    if new.empty:  # of both its own old version and a removed file comes once
        return 0, 0
    old = old_segments[old_segments["source_id"].isin(pairs) & ~old_segments["segment_id"].isin(new["segment_id"])]
    if old.empty:
        return 0, 0
    from .anchoring import Relocator
    from .ledger import Ledger

    old_texts = dict(zip(previous["source_id"], previous["text"]))
    relocate = Relocator(old, new, {old_id: old_texts[old_id] for old_id in pairs},
                         {new_id: parsed[new_id].source["text"] for new_id in pairs.values()}, pairs)
    with Ledger(cfg.ledger_path) as ledger:
        return ledger.reanchor(old["segment_id"], relocate)


def _flag_orphaned_codings(cfg: ProjectConfig, segment_ids: pd.Series) -> int:
    """Tell the coding ledger (if any) which segments exist now; returns the orphaned coding count."""
    if not cfg.ledger_path.exists():
        return 0
    from .ledger import Ledger

    return Ledger(cfg.ledger_path).mark_orphans(segment_ids)


def load_vanished_sources(cfg: ProjectConfig) -> pd.DataFrame:
    """``vanished_sources.parquet`` (VANISHED_SOURCES columns): removed sources kept for their orphans."""
    path = cfg.processed / "vanished_sources.parquet"
    return pd.read_parquet(path) if path.exists() else VANISHED_SOURCES.empty_frame()


def _archived_segments(row: Any) -> pd.DataFrame:
    """The segments of one archived source (segment_id, source_id, unit, start, end)."""
    rows = json.loads(row.segments)
    return pd.DataFrame({"segment_id": [r[0] for r in rows], "source_id": row.source_id,
                         "unit": [r[1] for r in rows], "start": [int(r[2]) for r in rows],
                         "end": [int(r[3]) for r in rows]})


def _restore_orphans(cfg: ProjectConfig, archive: pd.DataFrame, retried: dict[int, str],
                     parsed: dict[str, _Parsed], present: set[str]) -> tuple[dict[str, str], int, int]:
    """Re-anchor the orphans of archived (earlier vanished) sources onto the new or changed sources they paired with.

    ``retried``: archive row -> new source id (:func:`_renamed_sources`). One ``Ledger.reanchor``
    call per pair; returns ({archived source id: new source id} of the pairs where something
    moved, codings moved, memos moved).
    """
    if not retried or not cfg.ledger_path.exists():
        return {}, 0, 0
    from .anchoring import Relocator
    from .ledger import Ledger

    restored: dict[str, str] = {}
    n_codings = n_memos = 0
    with Ledger(cfg.ledger_path) as ledger:
        for i, new_id in sorted(retried.items()):
            row = next(archive.loc[[i]].itertuples())
            old = _archived_segments(row)
            old = old[~old["segment_id"].isin(present)]
            new = pd.DataFrame(parsed[new_id].rows)
            if old.empty or new.empty:
                continue
            relocate = Relocator(old, new, {row.source_id: row.text}, {new_id: parsed[new_id].source["text"]},
                                 {row.source_id: new_id})
            codings, memos = ledger.reanchor(old["segment_id"], relocate)
            if codings or memos:
                restored[row.source_id] = new_id
                n_codings, n_memos = n_codings + codings, n_memos + memos
    return restored, n_codings, n_memos


def _ledger_segment_ids(cfg: ProjectConfig) -> set[str]:
    """Segment ids the coding ledger points at: codings, memos and "no code applies" marks."""
    if not cfg.ledger_path.exists():
        return set()
    from .ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        frames = (ledger.codings(), ledger.memos(), ledger.reviewed())
    return {str(s) for f in frames for s in f["segment_id"].dropna()}


def _keep_vanished(cfg: ProjectConfig, archive: pd.DataFrame, vanished: pd.DataFrame, old_segments: pd.DataFrame,
                   present: set[str]) -> pd.DataFrame:
    """Update ``vanished_sources.parquet``: add this run's ``vanished`` sources (removed, now unreadable, or
    the previous version of a changed one), drop what nothing points at.

    A vanished source is kept (its text and segment offsets) while the ledger points at one of its
    segments that does not exist now. The file is rewritten only when the set of kept sources
    changes, and removed when none is left. Returns the archive as it now is.
    """
    referenced = _ledger_segment_ids(cfg) - present if len(archive) or len(vanished) else set()
    rows = []
    now = pd.Timestamp.now(tz="UTC")
    for src in vanished.itertuples():
        segs = old_segments[old_segments["source_id"] == src.source_id]
        if referenced.isdisjoint(segs["segment_id"]):
            continue
        segments = [[r.segment_id, r.unit, int(r.start), int(r.end)] for r in segs.itertuples()]
        rows.append({"source_id": src.source_id, "path": src.path, "kind": src.kind, "sha256": src.sha256,
                     "text": src.text, "segments": json.dumps(segments, separators=(",", ":")), "vanished_at": now})
    added = {(r["source_id"], r["sha256"]) for r in rows}
    kept = [i for i, row in zip(archive.index, archive.itertuples())
            if (row.source_id, row.sha256) not in added  # vanished again: the new entry replaces it
            and not referenced.isdisjoint(_archived_segments(row)["segment_id"])]
    if not rows and len(kept) == len(archive):
        return archive
    frames = [f for f in (archive.loc[kept], pd.DataFrame(rows)) if len(f)]
    path = cfg.processed / "vanished_sources.parquet"
    if not frames:
        path.unlink(missing_ok=True)
        return VANISHED_SOURCES.empty_frame()
    out = VANISHED_SOURCES.conform(pd.concat(frames, ignore_index=True))
    out = out.sort_values(["source_id", "vanished_at"], ignore_index=True)
    write_parquet(out, path, VANISHED_SOURCES.arrow_schema())
    return out


def _assemble(kept: pd.DataFrame, parsed: dict[str, _Parsed]) -> pd.DataFrame:
    """Old rows of unchanged sources + new rows, ordered, with positions; SEGMENTS columns."""
    new = pd.DataFrame([row for p in parsed.values() for row in p.rows])
    frames = [f for f in (kept, SEGMENTS.conform(new) if len(new) else new) if len(f)]
    if not frames:
        return SEGMENTS.empty_frame()
    frame = pd.concat(frames, ignore_index=True)
    frame["_rank"] = frame["unit"].map(_UNIT_ORDER)
    frame = frame.sort_values(["source_id", "start", "_rank", "end"], ascending=[True, True, True, False],
                              ignore_index=True)
    frame["position"] = frame.groupby(["source_id", "unit"]).cumcount().astype("int64")
    return SEGMENTS.conform(frame)


def print_report(report: IngestReport) -> None:
    """Print the run summary as rich tables (sources, segments by unit, errors and warnings)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Ingest summary", show_header=False)
    table.add_row("sources", str(report.n_sources))
    table.add_row("segments", f"{report.n_segments} ("
                  + ", ".join(f"{n} {u}" for u, n in sorted(report.units.items())) + ")")
    table.add_row("speakers", str(report.n_speakers))
    if report.linked:
        table.add_row("linked across files", f"{len(report.linked)}: {report.linked_text(4)}")
    table.add_row("survey respondents", str(report.n_respondents))
    table.add_row("(re)ingested / removed", f"{len(report.changed)} / {len(report.removed)}")
    if report.renamed:
        table.add_row("renamed or moved", ", ".join(f"{a} -> {b}" for a, b in sorted(report.renamed.items())))
    if report.reanchored_codings or report.reanchored_memos:
        table.add_row("re-anchored", f"{report.reanchored_codings} codings, {report.reanchored_memos} memos "
                                     "(they follow their words)")
    if report.restored:
        table.add_row("restored", f"{report.restored_codings} orphaned codings, {report.restored_memos} memos of files "
                      "removed earlier: " + ", ".join(f"{a} -> {b}" for a, b in sorted(report.restored.items())))
    if report.orphaned_codings:
        table.add_row("orphaned codings", f"{report.orphaned_codings} (their text is gone; kept in the ledger)",
                      style="yellow")
    table.add_row("outputs", ("written" if report.written else "unchanged") + f" in {report.seconds:.1f} s")
    table.add_row("errors", str(len(report.errors)), style="red" if report.errors else None)
    console.print(table)
    if report.errors or report.warnings:
        problems = Table("level", "problem", title="Problems", title_justify="left")
        for err in report.errors:
            problems.add_row("[red]error[/red]", str(err))
        for warning in report.warnings:
            problems.add_row("[yellow]warning[/yellow]", str(warning))
        console.print(problems)
