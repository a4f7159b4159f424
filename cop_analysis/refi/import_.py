"""Import a REFI-QDA ``.qdpx`` archive (NVivo, ATLAS.ti, MAXQDA, QualCoder, ours) as a new project."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml

from cop_analysis.atomic import write_text
from cop_analysis.refi.common import ROLES_MARKER, norm_guid
from cop_analysis.refi.offsets import OffsetDetection, Selection, detect_offsets
from cop_analysis.refi.safety import Limits, RefiError, SafeArchive, parse_xml
from cop_analysis.refi.surveys import (SurveyLayout, check_survey_file, parse_survey_description, split_answers,
                                       survey_csv)

DEFAULT_CODER = "refi-import"


@dataclass
class ImportReport:
    """What an import brought in, how offsets were counted, and what was refused."""

    root: Path
    project_name: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # REFI source name -> source_id
    surveys: dict[str, int] = field(default_factory=dict)  # REFI source name -> responses, for rebuilt surveys
    offset_methods: dict[str, str] = field(default_factory=dict)  # source_id -> counting method
    n_codes: int = 0
    n_codings_in_file: int = 0  # every <Coding> of a source in the file, also on skipped sources and selections
    codings_per_coder: dict[str, int] = field(default_factory=dict)
    n_memos: int = 0
    n_cases: int = 0
    variables: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # selections not imported, one line each
    splits: list[str] = field(default_factory=list)  # selections coded on several segments, one line each
    outside_units: dict[str, int] = field(default_factory=dict)  # source_id -> codings not (only) on coding units
    no_speakers: dict[str, str] = field(default_factory=dict)  # source_id -> paragraphs setting, for the sources
    # imported with ``speakers: none`` (their codings do not fit speaker turns)
    warnings: list[str] = field(default_factory=list)
    ingest_summary: str = ""

    @property
    def n_codings(self) -> int:
        return sum(self.codings_per_coder.values())

    def summary(self) -> str:
        """A few lines for the CLI."""
        coders = ", ".join(f"{c}: {n}" for c, n in sorted(self.codings_per_coder.items())) or "none"
        methods = ", ".join(f"{s}: {m}" for s, m in self.offset_methods.items())
        lines = [f"Imported '{self.project_name}' into {self.root}",
                 f"  {len(self.sources)} sources, {self.n_codes} codes, {self.n_codings}/{self.n_codings_in_file} "
                 f"codings ({coders}), {self.n_memos} memos, {self.n_cases} cases, {len(self.variables)} variables",
                 f"  {len(self.surveys)} surveys rebuilt ({sum(self.surveys.values())} responses)",
                 f"  offsets: {methods or 'no selections'}"]
        if self.no_speakers:
            lines.append("  coded by paragraph (speakers: none: their codings do not fit speaker turns, or, without "
                         "codings, those of the file's other sources did not): "
                         + ", ".join(f"{s} (paragraphs: {p})" for s, p in self.no_speakers.items()))
        if self.splits:
            lines.append(f"  split: {len(self.splits)} selection(s) spanning several turns or passages became one "
                         f"coding per segment, clipped to it ({self.splits[0]}{', ...' if len(self.splits) > 1 else ''})")
        lines += [f"  mismatch: {m}" for m in self.mismatches[:20]]
        if len(self.mismatches) > 20:
            lines.append(f"  ... {len(self.mismatches) - 20} more mismatches")
        if self.outside_units:
            worst = ", ".join(f"{s}: {n}" for s, n in list(self.outside_units.items())[:3])
            more = ", ..." if len(self.outside_units) > 3 else ""
            lines.append(f"  warning: {sum(self.outside_units.values())} of {self.n_codings} codings are on text outside "
                         f"coding units ({worst}{more}): no speaker turn or survey answer there, so they are kept in "
                         "the ledger but the workbench and reports show coding units only")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Note(NamedTuple):
    """A REFI ``Note``: what a memo needs from it."""

    text: str
    creator: str  # user GUID
    created: str | None  # creationDateTime, if valid
    code: str  # GUID of the code the note itself is coded with ('' if none)


@dataclass
class _Sel:
    guid: str
    start: int
    end: int
    name: str
    user: str
    codings: list[tuple[str, str, list[str], str | None]]  # code guid, user guid, note guids, created at
    notes: list[str]
    description: str
    whole: bool = False  # a coding of the whole source (no positions)


@dataclass
class _Source:
    guid: str
    name: str
    raw_text: str
    sels: list[_Sel]
    wave: str = ""
    detection: OffsetDetection | None = None
    rel: str = ""
    survey: SurveyLayout | None = None  # a survey source we exported (its Description holds the layout)
    roles: dict[str, str] | None = None  # a transcript we exported: its speakers' roles (from its Description)


class _Qde:
    """The parts of a parsed ``project.qde`` the importer needs."""

    def __init__(self, root: Any, archive: SafeArchive, where: str, report: ImportReport) -> None:
        self.ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if root.tag.split("}")[-1] != "Project":
            raise RefiError(f"{where}: root element is {root.tag!r}, not a REFI-QDA <Project>")
        self.root, self.archive, self.where, self.report = root, archive, where, report
        self.name = root.get("name") or Path(archive.path).stem
        self.users = {norm_guid(u.get("guid")): (u.get("name") or "").strip() or f"user-{norm_guid(u.get('guid'))[:8]}"
                      for u in self.all("Users/User")}
        self.variables = {norm_guid(v.get("guid")): v.get("name") or "variable" for v in self.all("Variables/Variable")}
        self.notes = {norm_guid(n.get("guid")): n for n in self.all("Notes/Note")}

    def t(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{p}" if self.ns else p for p in path.split("/"))

    def all(self, path: str, el: Any = None) -> list[Any]:
        return (self.root if el is None else el).findall(self.t(path))

    def text_of(self, el: Any, tag: str) -> str:
        child = el.find(self.t(tag))
        return (child.text or "").strip() if child is not None else ""

    def member(self, ref: str) -> str | None:
        """The archive member for an ``internal://``, ``relative://`` or ``absolute://`` path (never the host)."""
        scheme, _, rest = ref.partition("://")
        if not rest:
            scheme, rest = "", ref
        rest = rest.replace("\\", "/")
        if scheme.lower() in ("internal", "relative"):
            for candidate in (f"sources/{rest}", rest):
                if (hit := self.archive.find(candidate)) is not None:
                    return hit
        return self.archive.find_basename(PurePosixPath(rest).name) if rest else None

    def read_text(self, el: Any, what: str) -> str | None:
        """Text of a TextSource/Note: ``PlainTextContent`` or the file named by ``plainTextPath``."""
        from cop_analysis.textnorm import DecodeError, decode

        content = el.find(self.t("PlainTextContent"))
        if content is not None and content.text is not None:
            return content.text
        ref = el.get("plainTextPath") or ""
        name = self.member(ref) if ref else None
        if name is None:
            self.report.warnings.append(f"{what}: plain text {ref or '(no plainTextPath)'} is not in the archive; skipped")
            return None
        try:
            return decode(self.archive.read(name)).text
        except DecodeError as exc:
            self.report.warnings.append(f"{what}: {name}: {exc}; skipped")
            return None

    def var_value(self, vv: Any) -> tuple[str, str] | None:
        ref = vv.find(self.t("VariableRef"))
        name = self.variables.get(norm_guid(ref.get("targetGUID"))) if ref is not None else None
        values = [c for c in vv if c is not ref]
        if name is None or not values or values[0].text is None:
            return None
        return name, values[0].text.strip()

    def sources(self) -> list[_Source]:
        out = []
        sources_el = self.root.find(self.t("Sources"))
        for el in list(sources_el) if sources_el is not None else []:
            kind = el.tag.split("}")[-1]
            name = (el.get("name") or "").strip() or norm_guid(el.get("guid"))
            if kind != "TextSource":
                self.report.warnings.append(f"{kind} '{name}' skipped (only text sources are imported)")
                continue
            n_codings = len(list(el.iter(self.t("Coding"))))
            text = self.read_text(el, f"source '{name}'" + (f" ({n_codings} codings)" if n_codings else ""))
            if text is None:
                continue
            sels = []
            for s in self.all("PlainTextSelection", el):
                try:
                    start, end = int(s.get("startPosition")), int(s.get("endPosition"))
                except (TypeError, ValueError):
                    self.report.mismatches.append(f"source '{name}': selection {s.get('guid')} has no valid positions; "
                                                  f"{len(self.all('Coding', s))} coding(s) not imported")
                    continue
                sels.append(_Sel(norm_guid(s.get("guid")), start, end, s.get("name") or "", norm_guid(s.get("creatingUser")),
                                 self.codings(s), self.note_refs(s), self.text_of(s, "Description")))
            whole = self.codings(el)
            if whole:
                sels.append(_Sel("", 0, 0, "", "", whole, [], "", whole=True))
            wave = next((v for n, v in filter(None, map(self.var_value, self.all("VariableValue", el))) if n == "wave"), "")
            description = self.text_of(el, "Description")
            src = _Source(norm_guid(el.get("guid")), name, text, sels, wave)
            try:
                src.survey = parse_survey_description(description)
            except ValueError as exc:
                self.report.warnings.append(f"source '{name}': {exc}; imported as a text source")
            if src.survey is not None:
                description = ""
            elif description.startswith(ROLES_MARKER + ":"):
                src.roles, description = _roles(description, name, self.report), ""
            if description or self.note_refs(el):
                src.sels.append(_Sel("", 0, 0, "", "", [], self.note_refs(el), description, whole=True))
            out.append(src)
        return out

    def codings(self, el: Any) -> list[tuple[str, str, list[str], str | None]]:
        """(code GUID, user GUID, note GUIDs, creation time) of each Coding in ``el``; the time is the
        Coding's ``creationDateTime``, else that of ``el``, else None (then the import time is used)."""
        out = []
        for c in self.all("Coding", el):
            ref = c.find(self.t("CodeRef"))
            out.append((norm_guid(ref.get("targetGUID")) if ref is not None else "", norm_guid(c.get("creatingUser")),
                        self.note_refs(c), _valid_time(c.get("creationDateTime") or el.get("creationDateTime"))))
        return out

    def note_refs(self, el: Any) -> list[str]:
        return [norm_guid(n.get("targetGUID")) for n in self.all("NoteRef", el)]


class _PlainDumper(yaml.SafeDumper):
    """Writes a mapping used twice (the speaker roles of every transcript) in full each time, never as
    a YAML anchor and alias: editing one transcript's roles must not change the others'."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _roles(description: str, name: str, report: ImportReport) -> dict[str, str] | None:
    """The speaker roles a transcript's Description holds (as we export them), or None with a warning."""
    try:
        roles = json.loads(description.split(":", 1)[1])
        if isinstance(roles, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in roles.items()):
            return roles
    except ValueError:
        pass
    report.warnings.append(f"source '{name}': unreadable speaker roles in its description; the cases' roles are used")
    return None


def _valid_time(value: str | None) -> str | None:
    """``value`` if it is an ISO 8601 time (as the ledger reads them), else None."""
    from cop_analysis.ledger import LedgerError, utc_iso

    try:
        return value if value and utc_iso(value) else None
    except LedgerError:
        return None


def _open_qde(archive: SafeArchive, report: ImportReport) -> _Qde:
    qdes = [n for n in archive.names if n.lower().endswith(".qde")]
    if not qdes:
        raise RefiError(f"{archive.path}: no .qde project file in the archive (not a REFI-QDA project)")
    if len(qdes) > 1:
        raise RefiError(f"{archive.path}: several .qde files ({', '.join(qdes)}); expected one")
    where = f"{archive.path}:{qdes[0]}"
    return _Qde(parse_xml(archive.read(qdes[0]), where), archive, where, report)


def _safe_rel(name: str, used: set[str], ext: str = ".txt") -> str:
    """A file path under data/raw for a source name: safe characters, ``ext``, unique."""
    parts = [re.sub(r"[^\w .,()+-]", "_", p).strip(" .") for p in name.replace("\\", "/").split("/")]
    rel = "/".join(p for p in parts if p) or "source"
    if not rel.lower().endswith(ext):
        rel += ext
    base, n = rel[:-len(ext)], 2
    while rel.lower() in used or rel.lower() in (f"codebook{ext}", "cases.csv"):
        rel, n = f"{base} ({n}){ext}", n + 1
    used.add(rel.lower())
    return rel


def _write_survey(src: _Source, raw: Path, used: set[str], report: ImportReport) -> dict[str, Any] | None:
    """Write a survey source we exported back as a survey CSV; its project.yml entry, or None (then a
    warning: it is imported as a text source) when the text no longer matches its layout."""
    assert src.survey is not None and src.detection is not None
    text = src.detection.text
    try:
        answers = split_answers(src.survey, text)
    except ValueError as exc:
        report.warnings.append(f"source '{src.name}': survey layout does not match the text ({exc}); "
                               "imported as a text source")
        return None
    body, spec = survey_csv(src.survey, answers, src.wave or None)
    rel = _safe_rel(src.name, used, ".csv")
    write_text(raw / rel, body)
    problem = check_survey_file(raw / rel, spec, text)
    if problem is not None:
        (raw / rel).unlink()
        used.discard(rel.lower())
        report.warnings.append(f"source '{src.name}': rebuilt survey does not reproduce the text ({problem}); "
                               "imported as a text source")
        return None
    src.rel = rel
    report.surveys[src.name] = len(answers)
    return {"path": rel, "title": src.name, **({"wave": src.wave} if src.wave else {}), **spec}


MIN_PIECE_CHARS = 3  # a selection's overlap with a further segment shorter than this is not coded there


def _pieces(top: pd.DataFrame, a: int, b: int,
            min_chars: int = MIN_PIECE_CHARS) -> list[tuple[str, tuple[int, int] | None, bool, int]]:
    """Where a selection [a, b) goes: (segment_id, span, coding unit?, length) for each top-level segment
    (coding unit or context passage, sorted by start; they do not overlap) that it overlaps. The span is
    the selection clipped to the segment, None when it covers the whole segment. Of a selection over
    several segments, an overlap shorter than ``min_chars`` is left out (an offset a few characters
    off in the other tool must not code the next speaker's turn)."""
    starts, ends = top["start"].to_numpy(), top["end"].to_numpy()
    out = []
    for i in np.flatnonzero((starts < b) & (ends > a)):
        start, end = max(int(starts[i]), a), min(int(ends[i]), b)
        span = None if (start, end) == (starts[i], ends[i]) else (start, end)
        out.append((str(top["segment_id"].iloc[i]), span, bool(top["_unit"].iloc[i]), end - start))
    if len(out) > 1:
        out = [p for p in out if p[3] >= min_chars or p[1] is None] or out
    return out


def _unique_guids(codebook: Any, where: str) -> list[str]:
    """Give a code whose GUID an earlier code already has the GUID the codebook makes from its path
    (stable across imports), so what the file refers to by that GUID goes to the first code; one
    warning line each."""
    from cop_analysis.codebook import GUID_NAMESPACE

    first: dict[str, Any] = {}
    taken = {code.guid for code in codebook.codes}
    out = []
    for code in codebook.codes:
        if code.guid in first:
            old, key = code.guid, codebook.path(code.id)
            while (guid := str(uuid.uuid5(GUID_NAMESPACE, key))) in taken:  # the path's GUID may be some code's
                key += "#"
            code.guid = guid
            taken.add(guid)
            out.append(f"{where}: codes '{first[old].name}' ({first[old].id}) and '{code.name}' ({code.id}) share "
                       f"the GUID {old}: codings and notes referring to it go to '{first[old].name}'; "
                       f"'{code.name}' gets the new GUID {code.guid}")
        first.setdefault(code.guid, code)
    return out


def import_qdpx(path: str | Path, target_root: str | Path, limits: Limits = Limits()) -> ImportReport:
    """Create a new project at ``target_root`` from a ``.qdpx`` archive and return what was imported.

    Sources become ``data/raw/<name>.txt`` (normalised text), survey sources we exported
    ``data/raw/<name>.csv`` (rebuilt surveys, :mod:`.surveys`), the codebook ``data/raw/codebook.yml``,
    cases and variables ``data/raw/cases.csv`` (and speaker roles in ``project.yml``); the project is
    ingested and every coding goes to the ledger as a coding by its REFI user, on each top-level
    segment (coding unit or context passage) its selection overlaps, with the selection clipped to
    that segment as span (``report.splits`` lists selections that became several codings). A text source
    without speaker turns, or whose codings mostly fall outside them, is ingested with ``speakers: none``
    (every paragraph a coding unit; :func:`_no_speaker_sources`, ``report.no_speakers``).
    Selections whose positions cannot be verified are listed in ``report.mismatches`` and not imported.
    """
    path, target = Path(path), Path(target_root).resolve()
    if not path.exists():
        raise RefiError(f"{path}: no such file")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RefiError(f"{target}: target exists and is not empty; import creates a new project")
    target.parent.mkdir(parents=True, exist_ok=True)
    report = ImportReport(root=target)
    with SafeArchive(path, limits) as archive:
        qde = _open_qde(archive, report)
        report.project_name = qde.name
        sources_el = qde.root.find(qde.t("Sources"))  # not the Codings of Notes: they are memos' code links
        report.n_codings_in_file = 0 if sources_el is None else len(list(sources_el.iter(qde.t("Coding"))))
        sources = qde.sources()
        notes = {guid: _Note(qde.read_text(el, f"note '{el.get('name') or guid}'") or "",
                             norm_guid(el.get("creatingUser")), _valid_time(el.get("creationDateTime")),
                             next((c[0] for c in qde.codings(el)), ""))
                 for guid, el in qde.notes.items()}
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.importing-", dir=target.parent))
    try:
        _build(qde, sources, notes, tmp, report)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return report


def _build(qde: _Qde, sources: list[_Source], notes: dict[str, _Note], root: Path,
           report: ImportReport) -> None:
    from cop_analysis.codebook import Codebook, CodebookError
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project, load_segments, load_sources
    from cop_analysis.ledger import Ledger

    codebook_el = qde.root.find(qde.t("CodeBook"))
    try:
        codebook = Codebook.from_xml_codes(codebook_el, qde.ns, name=qde.name, source=qde.where) \
            if codebook_el is not None else Codebook([], name=qde.name)
    except CodebookError as exc:
        raise RefiError(str(exc)) from None
    report.n_codes = len(codebook)
    report.warnings += _unique_guids(codebook, qde.where)
    code_by_guid = {c.guid: c.id for c in codebook.codes}

    # cases and variables -> data/raw/cases.csv; a "role" variable also becomes a speaker role
    sel_source = {s.guid: src.name for src in sources for s in src.sels if s.guid}
    src_names = {src.guid: src.name for src in sources}
    cases, roles = [], {}
    for case in qde.all("Cases/Case"):
        values = dict(filter(None, map(qde.var_value, qde.all("VariableValue", case))))
        refs = {sel_source.get(norm_guid(r.get("targetGUID")), "") for r in qde.all("SelectionRef", case)}
        refs |= {src_names.get(norm_guid(r.get("targetGUID")), "") for r in qde.all("SourceRef", case)}
        name = (case.get("name") or "").strip() or norm_guid(case.get("guid"))
        cases.append({"case": name, "sources": "; ".join(sorted(refs - {""})), **values})
        if values.get("role") and qde.text_of(case, "Description") != "respondent":  # not our survey respondents
            roles[name] = values["role"]
    report.n_cases, report.variables = len(cases), sorted(set(qde.variables.values()))

    raw = root / "data" / "raw"
    used: set[str] = set()
    specs: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    for src in sources:
        src.detection = detect_offsets(src.raw_text, [Selection(s.start, s.end, s.name) for s in src.sels if not s.whole])
        if src.survey is not None and (survey := _write_survey(src, raw, used, report)) is not None:
            surveys.append(survey)
            report.sources[src.name] = src.rel
            continue
        src.rel = _safe_rel(src.name, used)
        write_text(raw / src.rel, src.detection.text)
        spec: dict[str, Any] = {"path": src.rel, "title": src.name}
        if src.wave:
            spec["wave"] = src.wave
        speaker_roles = src.roles if src.roles is not None else roles  # this transcript's, else every speaker's
        if speaker_roles:
            spec["speaker_roles"] = speaker_roles
        specs.append(spec)
        report.sources[src.name] = src.rel
    codebook.save_yaml(raw / "codebook.yml")
    if cases:
        columns = ["case", "sources"] + sorted({k for c in cases for k in c} - {"case", "sources"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(cases)
        write_text(raw / "cases.csv", buffer.getvalue())
    config: dict[str, Any] = {"name": qde.name, "codebook": "data/raw/codebook.yml", "transcripts": specs}
    if surveys:
        config["surveys"] = surveys
    write_text(root / "project.yml", yaml.dump(config, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True))

    cfg = ProjectConfig.load(root)
    ingest = ingest_project(cfg)
    segments = _marked_units(load_segments(cfg))
    plain = _no_speaker_sources(sources, segments, load_sources(cfg).set_index("source_id"))
    if plain:  # their codings do not fit speaker turns: every paragraph becomes a coding unit
        for spec in specs:
            if spec["path"] in plain:
                spec.pop("speaker_roles", None)
                spec.update({"speakers": "none", **({"paragraphs": "lines"} if plain[spec["path"]] == "lines" else {})})
        write_text(root / "project.yml", yaml.dump(config, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True))
        cfg = ProjectConfig.load(root)
        ingest = ingest_project(cfg)
        segments = _marked_units(load_segments(cfg))
        report.no_speakers = plain
    report.ingest_summary = ingest.summary()
    report.warnings += [f"ingest: {e.path}:{e.line}: {e.message}" for e in ingest.errors]
    ingested = load_sources(cfg).set_index("source_id")

    with Ledger(cfg.ledger_path) as ledger:
        _fill_ledger(ledger, qde, sources, notes, segments, ingested, code_by_guid, report)


def _top_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """The coding units and context passages of one source, by start (they tile its text without overlap)."""
    return segments[segments["_unit"] | (segments["unit"] == "context")].sort_values("start")


def _marked_units(segments: pd.DataFrame) -> pd.DataFrame:
    """``segments`` with ``_unit``: True for coding units (turns, survey answers)."""
    from cop_analysis.ingest import CODING_UNITS

    return segments.assign(_unit=[u == CODING_UNITS.get(k) for k, u in zip(segments["kind"], segments["unit"])])


def _no_speaker_sources(sources: list[_Source], segments: pd.DataFrame, ingested: pd.DataFrame) -> dict[str, str]:
    """{source_id: paragraphs setting} of the text sources to ingest with ``speakers: none``: those without
    speaker turns, and those where more than half of the coded selections are not wholly on turns
    (documents without speakers, where turns were read from colons in titles or headings).

    Paragraphs are runs of lines (``blank-lines``) unless single lines cut no more coded selections
    apart (``lines``: QDA tools store a document's paragraphs one per line, often without blank
    lines between them), or a run of lines is longer than an ingest paragraph may be. Our own exported
    transcripts keep their turns: their codings lie on turns. A source with turns but without codings
    follows the others of the file when their codings missed the turns they had and none fit theirs
    (NVivo's second comment file would otherwise keep the 'speakers' read from colons in video titles).
    """
    out: dict[str, str] = {}
    uncoded: list[str] = []  # sources with turns but no codings to judge them by
    turns_fit = misfit = False  # some source's codings lie on its turns / miss the turns it has
    for src in sources:
        segs = segments[(segments["source_id"] == src.rel) & (segments["kind"] == "transcript")]
        if segs.empty or src.detection is None:
            continue  # a survey, or not ingested
        top = _top_segments(segs)
        coded = [span for sel, span in zip([s for s in src.sels if not s.whole], src.detection.spans)
                 if sel.codings and span is not None and span[1] > span[0]]
        outside = sum(not all(unit for _, _, unit, _ in _pieces(top, *span)) for span in coded)
        if segs["_unit"].any() and not coded:
            uncoded.append(src.rel)
            continue
        if segs["_unit"].any() and 2 * outside <= len(coded):
            turns_fit = True
            continue
        misfit |= bool(segs["_unit"].any())
        out[src.rel] = _paragraph_setting(str(ingested.at[src.rel, "text"]), coded)
    if misfit and not turns_fit:
        for rel in uncoded:
            prefer = Counter(out.values()).most_common(1)[0][0]
            out[rel] = _paragraph_setting(str(ingested.at[rel, "text"]), [], prefer=prefer)
    return out


def _paragraph_setting(text: str, coded: list[tuple[int, int]], prefer: str = "blank-lines") -> str:
    """``lines`` or ``blank-lines`` for a text ingested with ``speakers: none`` (see :func:`_no_speaker_sources`);
    without codings to go by, ``prefer`` (unless a blank-line paragraph is too long)."""
    from cop_analysis.ingest import MAX_PARAGRAPH_CHARS
    from cop_analysis.speakers import plain_paragraphs

    blocks, lines = plain_paragraphs(text), plain_paragraphs(text, by_line=True)

    def cut(paragraphs: list[Any]) -> int:
        starts, ends = np.array([p.start for p in paragraphs]), np.array([p.end for p in paragraphs])
        return sum(int(((starts < b) & (ends > a)).sum()) > 1 for a, b in coded)

    if any(p.end - p.start > MAX_PARAGRAPH_CHARS for p in blocks):
        return "lines"
    if not coded:
        return prefer
    return "lines" if cut(lines) <= cut(blocks) else "blank-lines"


def _fill_ledger(ledger: Any, qde: _Qde, sources: list[_Source], notes: dict[str, _Note],
                 segments: pd.DataFrame, ingested: pd.DataFrame, code_by_guid: dict[str, str],
                 report: ImportReport) -> None:
    """Codings (one coder per REFI user) and memos from notes, descriptions and annotations."""
    from cop_analysis.ledger import RESERVED_CODERS

    def user(guid: str) -> str:
        name = qde.users.get(guid) or (f"user-{guid[:8]}" if guid else DEFAULT_CODER)
        return f"{name} (REFI)" if name in RESERVED_CODERS else name

    counts: Counter[str] = Counter()
    outside_units: Counter[str] = Counter()
    memo_count = 0

    def memo(note: str, segment_id: str | None = None, code_id: str | None = None, prefix: str = "") -> None:
        nonlocal memo_count
        found = notes.pop(note, None)
        if found is not None and found.text.strip():  # a note coded with a code is a memo on that code too
            ledger.memo(prefix + found.text, user(found.creator), segment_id=segment_id,
                        code_id=code_id or code_by_guid.get(found.code), created_at=found.created)
            memo_count += 1

    for code_el in qde.root.iter(qde.t("Code")):
        for note in qde.note_refs(code_el):
            memo(note, code_id=code_by_guid.get(norm_guid(code_el.get("guid"))))

    for src in sources:
        det = src.detection
        assert det is not None
        if src.rel not in ingested.index:
            report.mismatches.append(f"source '{src.name}': not ingested; its {len(src.sels)} selections were not imported")
            continue
        text = ingested.at[src.rel, "text"]
        report.offset_methods[src.rel] = "n/a (no selections)" if not det.spans else \
            det.method + (" (ambiguous)" if det.ambiguous else "")
        segs = segments[segments["source_id"] == src.rel]
        top = _top_segments(segs)
        spans = iter(zip(det.spans, det.problems))
        for sel in src.sels:
            span, problem = ((0, len(text)), None) if sel.whole else next(spans)
            where = f"source '{src.name}' selection {sel.start}-{sel.end}"
            if span is not None and text[span[0]:span[1]] != det.text[span[0]:span[1]]:
                problem = "ingested text differs from the archive text at this span"
            if span is not None and span[0] == span[1] and problem is None:
                problem = "empty selection"
            pieces = _pieces(top, *span) if span is not None and problem is None else []
            if not pieces:
                report.mismatches.append(f"{where}: {problem or 'no segment covers it'}; "
                                         f"{len(sel.codings)} coding(s) not imported")
                for note in sel.notes + [n for c in sel.codings for n in c[2]]:
                    memo(note, prefix=f"[{where}] ")
                continue
            seg_id = max(pieces, key=lambda piece: piece[3])[0]  # the selection's memos go where most of it is
            edges = len(_pieces(top, *span, min_chars=0)) - len(pieces) if span is not None else 0
            if (len(pieces) > 1 or edges) and not sel.whole:
                left_out = f", {edges} overlap(s) under {MIN_PIECE_CHARS} characters left out" if edges else ""
                report.splits.append(f"{where} -> {len(pieces)} segment(s){left_out}")
            outside = not all(unit for _, _, unit, _ in pieces)
            for code_guid, user_guid, coding_notes, created in sel.codings:
                code_id = code_by_guid.get(code_guid)
                if code_id is None:
                    report.mismatches.append(f"{where}: coding refers to unknown code {code_guid or '(none)'}")
                    continue
                coder = user(user_guid or sel.user)
                if coder not in counts:
                    ledger.add_coder(coder)
                for target, target_span, _, _ in pieces:
                    ledger.code(target, code_id, coder, span=target_span, created_at=created)
                counts[coder] += 1
                outside_units[src.rel] += outside
                for note in coding_notes:
                    memo(note, segment_id=seg_id, code_id=code_id)
            if sel.description:
                ledger.memo(sel.description, user(sel.user), segment_id=None if sel.whole else seg_id)
                memo_count += 1
            for note in sel.notes:
                memo(note, segment_id=None if sel.whole else seg_id)
    for note in list(notes):  # project notes and notes nothing refers to
        memo(note)
    report.codings_per_coder, report.n_memos = dict(counts), memo_count
    report.outside_units = {k: n for k, n in outside_units.most_common() if n}
