"""Export a project as a REFI-QDA ``.qdpx`` archive (``project.qde`` + ``sources/<guid>.txt``).

Survey sources also carry their layout (questions, respondents, answers) in their ``Description``
(:mod:`cop_analysis.refi.surveys`), so that :func:`import_qdpx` rebuilds them as surveys.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cop_analysis import __version__
from cop_analysis.atomic import atomic_path
from cop_analysis.refi.common import NS, ROLES_MARKER, q, stable_guid
from cop_analysis.refi.surveys import survey_description

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: identical input -> identical archive


def _sub(parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, q(tag), {k: v for k, v in (attrib or {}).items() if v not in (None, "")})
    if text is not None:
        el.text = text
    return el


def _when(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _label(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Selection:
    codings: list[tuple[str, str, Any]] = field(default_factory=list)  # code_id, coder, created_at
    notes: list[str] = field(default_factory=list)
    coding_notes: dict[str, list[str]] = field(default_factory=dict)  # code_id -> note guids


class _Offsets:
    """Code-point offsets into the exported text (optionally with CRLF counted as two)."""

    def __init__(self, text: str, crlf: bool) -> None:
        self.newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10) if crlf else None

    def __call__(self, pos: int) -> str:
        shift = int(np.searchsorted(self.newlines, pos, side="left")) if self.newlines is not None else 0
        return str(pos + shift)


def _project_data(cfg: Any) -> dict[str, Any]:
    """Sources, segments, codebook, codings, memos and coders of a project."""
    from cop_analysis.codebook import load_project_codebook
    from cop_analysis.ingest import CODING_UNITS, load_segments, load_sources
    from cop_analysis.ledger import Ledger, without_orphans

    data: dict[str, Any] = {"sources": load_sources(cfg), "segments": load_segments(cfg),
                            "codebook": load_project_codebook(cfg), "units": CODING_UNITS,
                            "codings": pd.DataFrame(columns=["segment_id", "code_id", "coder"]),
                            "memos": pd.DataFrame(columns=["memo_id", "segment_id", "code_id", "coder", "text"]),
                            "coders": []}
    if cfg.ledger_path.exists():
        with Ledger(cfg.ledger_path) as ledger:
            codings = ledger.codings()
            data["codings"] = without_orphans(codings)
            data["memos"], data["coders"] = ledger.memos(), ledger.coders()
    return data


def _coding_unit(units: Any, kind: str, unit: str) -> bool:
    return unit == units.get(kind) if isinstance(units, dict) else unit in units


def source_roles(segments: Any) -> dict[str, str]:
    """{speaker: role} of one transcript's turns (the role most of the speaker's turns there have)."""
    turns = segments[(segments["unit"] == "turn") & segments["speaker"].notna() & segments["speaker_role"].notna()]
    return {str(who): str(group.mode().iloc[0]) for who, group in turns.groupby("speaker")["speaker_role"]}


IMPORTED_SUFFIXES = (".docx", ".vtt", ".srt", ".md")  # transcript formats our import stores as <name>.txt


def exported_names(source_ids: Any) -> dict[str, str]:
    """{source id: its name (and GUID key) in the export}: the id, except for a transcript our import
    wrote as ``<name>.docx.txt`` (or ``.vtt``, ``.srt``, ``.md`` + ``.txt``: its text is plain text now),
    which goes back under its first name, so export -> import -> export keeps names and GUIDs."""
    ids = set(map(str, source_ids))
    out = {}
    for sid in ids:
        stem = sid[:-4]
        imported = sid.lower().endswith(".txt") and stem.lower().endswith(IMPORTED_SUFFIXES) and stem not in ids
        out[sid] = stem if imported else sid
    return out


def build_project(cfg: Any, crlf: bool = False,
                  warnings: list[str] | None = None) -> tuple[ET.Element, dict[str, str]]:
    """The ``<Project>`` element and the exported texts by source GUID; what is left out goes to ``warnings``."""
    from cop_analysis.codebook import codes_to_xml

    d = _project_data(cfg)
    names = exported_names(d["sources"]["source_id"])
    d["sources"]["source_id"] = d["sources"]["source_id"].map(names)
    d["segments"]["source_id"] = d["segments"]["source_id"].map(names)
    sources, segments, codebook = d["sources"].sort_values("source_id"), d["segments"], d["codebook"]
    segs = segments.set_index("segment_id")
    codings = d["codings"][d["codings"]["segment_id"].isin(segs.index)]
    known = codings["code_id"].isin(codebook.ids)
    if not known.all() and warnings is not None:
        lost = Counter(codings.loc[~known, "code_id"])
        warnings.append(f"{sum(lost.values())} coding(s) left out: their code is not in the codebook "
                        f"({', '.join(f'{c}: {n}' for c, n in sorted(lost.items()))})")
    codings = codings[known]
    memos = d["memos"]
    coders = sorted(set(d["coders"]) | set(codings["coder"]) | set(memos["coder"].dropna()))
    user = {name: stable_guid("user", name) for name in coders}

    root = ET.Element(q("Project"), {"name": cfg.name, "origin": f"cop-analysis {__version__}"})
    if coders:
        users = _sub(root, "Users")
        for name in coders:
            _sub(users, "User", {"guid": user[name], "name": name})

    # selections: (source_id, start, end) -> codings and notes
    sels: dict[str, dict[tuple[int, int], _Selection]] = defaultdict(dict)

    def selection(segment_id: str, start: Any = None, end: Any = None) -> tuple[str, tuple[int, int], _Selection]:
        seg = segs.loc[segment_id]
        span = (int(seg["start"]), int(seg["end"])) if start is None or pd.isna(start) else (int(start), int(end))
        return seg["source_id"], span, sels[seg["source_id"]].setdefault(span, _Selection())

    for row in codings.itertuples(index=False):
        selection(row.segment_id, row.span_start, row.span_end)[2].codings.append((row.code_id, row.coder, row.created_at))

    def coded(segment_id: str, code_id: str) -> list[_Selection]:
        """The selections holding a coding of ``code_id`` on ``segment_id`` (any span, any coder)."""
        rows = codings[(codings["segment_id"] == segment_id) & (codings["code_id"] == code_id)]
        found = (selection(segment_id, r.span_start, r.span_end)[1:] for r in rows.itertuples(index=False))
        return list(dict(found).values())

    notes: list[tuple[str, Any, str | None]] = []  # (guid, memo row, code the note itself is coded with)
    code_notes: dict[str, list[str]] = defaultdict(list)
    project_notes: list[str] = []
    same: Counter[tuple[Any, ...]] = Counter()
    for memo in memos.sort_values("memo_id").itertuples(index=False):
        seg_id = memo.segment_id if isinstance(memo.segment_id, str) and memo.segment_id in segs.index else None
        code_id = memo.code_id if isinstance(memo.code_id, str) and memo.code_id in codebook else None
        anchor = segs.loc[seg_id, ["source_id", "start", "end"]].tolist() if seg_id else []
        key = ("memo", memo.coder, code_id or "", *anchor, memo.text)  # content key: survives re-import
        same[key] += 1  # the n-th identical memo (n > 1) adds n - 1: GUIDs stay unique
        guid = stable_guid(*key, *([same[key] - 1] if same[key] > 1 else []))
        on_codings = coded(seg_id, code_id) if seg_id is not None and code_id is not None else []
        notes.append((guid, memo, code_id if seg_id is not None and not on_codings else None))
        if on_codings:  # a segment x code memo: on every Coding of that code on the segment
            for sel in on_codings:
                sel.coding_notes.setdefault(code_id, []).append(guid)
        elif seg_id is not None:  # on the segment's selection (and coded with its code, if any)
            selection(seg_id)[2].notes.append(guid)
        elif code_id is not None:
            code_notes[code_id].append(guid)
        else:
            project_notes.append(guid)

    # cases: speakers (transcript turns) and respondents (survey responses) with their variables
    units = segments[[_coding_unit(d["units"], k, u) for k, u in zip(segments["kind"], segments["unit"])]]
    cases: dict[tuple[str, str], dict[str, Any]] = {}
    for seg in units.itertuples(index=False):
        key = ("speaker", seg.speaker) if isinstance(seg.speaker, str) and seg.speaker else \
              ("respondent", seg.respondent_id) if isinstance(seg.respondent_id, str) and seg.respondent_id else None
        if key is None:
            continue
        case = cases.setdefault(key, {"values": defaultdict(Counter), "spans": []})
        attrs = json.loads(seg.attributes) if isinstance(seg.attributes, str) and seg.attributes else {}
        if isinstance(seg.speaker_role, str) and seg.speaker_role:
            attrs.setdefault("role", seg.speaker_role)
        if isinstance(seg.wave, str) and seg.wave:
            attrs.setdefault("wave", seg.wave)
        for name, value in attrs.items():
            if value is not None and str(value) != "":
                case["values"][name][str(value)] += 1
        span = (int(seg.start), int(seg.end))
        sels[seg.source_id].setdefault(span, _Selection())
        case["spans"].append((seg.source_id, span))

    if len(codebook):
        codes_el = codes_to_xml(codebook, _sub(root, "CodeBook"), NS)
        for el in codes_el.iter(q("Code")):
            code = next(c for c in codebook.codes if c.guid == el.get("guid"))
            for i, guid in enumerate(code_notes.get(code.id, [])):
                el.insert(1 + i, ET.Element(q("NoteRef"), {"targetGUID": guid}))

    variables = sorted({name for case in cases.values() for name in case["values"]})
    has_wave = sources["wave"].notna().any()
    if has_wave and "wave" not in variables:
        variables.append("wave")
    if variables:
        vars_el = _sub(root, "Variables")
        for name in variables:
            _sub(vars_el, "Variable", {"guid": stable_guid("variable", name), "name": name, "typeOfVariable": "Text"})

    def value(parent: ET.Element, name: str, text: str) -> None:
        vv = _sub(parent, "VariableValue")
        _sub(vv, "VariableRef", {"targetGUID": stable_guid("variable", name)})
        _sub(vv, "TextValue", text=text)

    if cases:
        cases_el = _sub(root, "Cases")
        for (kind, name), case in sorted(cases.items()):
            el = _sub(cases_el, "Case", {"guid": stable_guid("case", kind, name), "name": name})
            _sub(el, "Description", text=kind)
            for var in sorted(case["values"]):
                value(el, var, case["values"][var].most_common(1)[0][0])
            for source_id, (a, b) in sorted(set(case["spans"])):
                _sub(el, "SelectionRef", {"targetGUID": stable_guid("selection", source_id, a, b)})

    texts: dict[str, str] = {}
    code_guid = {c.id: c.guid for c in codebook.codes}
    code_order = {c.id: i for i, c in enumerate(codebook.codes)}
    responses = {sid: frame for sid, frame in segments[segments["unit"] == "response"].groupby("source_id")}
    if len(sources):
        sources_el = _sub(root, "Sources")
    for src in sources.itertuples(index=False):
        guid = stable_guid("source", src.source_id)
        text = src.text.replace("\n", "\r\n") if crlf else src.text
        texts[guid] = text
        pos = _Offsets(src.text, crlf)
        el = _sub(sources_el, "TextSource", {"guid": guid, "name": src.source_id,
                                             "plainTextPath": f"internal://{guid}.txt"})
        answers = responses.get(src.source_id)
        if answers is not None:
            _sub(el, "Description", text=survey_description(answers))
        elif (roles := source_roles(segments[segments["source_id"] == src.source_id])):
            _sub(el, "Description", text=f"{ROLES_MARKER}: {json.dumps(roles, ensure_ascii=False, sort_keys=True)}")
        for (a, b), sel in sorted(sels.get(src.source_id, {}).items()):
            sel_el = _sub(el, "PlainTextSelection", {"guid": stable_guid("selection", src.source_id, a, b),
                                                     "name": _label(src.text[a:b]),
                                                     "startPosition": pos(a), "endPosition": pos(b)})
            for code_id, coder, created in sorted(sel.codings, key=lambda c: (code_order[c[0]], c[1])):
                c_el = _sub(sel_el, "Coding", {"guid": stable_guid("coding", src.source_id, a, b, code_id, coder),
                                               "creatingUser": user[coder], "creationDateTime": _when(created)})
                _sub(c_el, "CodeRef", {"targetGUID": code_guid[code_id]})
                for note in sel.coding_notes.get(code_id, []):
                    _sub(c_el, "NoteRef", {"targetGUID": note})
            for note in sel.notes:
                _sub(sel_el, "NoteRef", {"targetGUID": note})
        if isinstance(src.wave, str) and src.wave:
            value(el, "wave", src.wave)

    if notes:
        notes_el = _sub(root, "Notes")
        for guid, memo, note_code in notes:
            coder = memo.coder if isinstance(memo.coder, str) else None
            created = _when(getattr(memo, "created_at", None))
            note = _sub(notes_el, "Note", {"guid": guid, "name": _label(memo.text, 40),
                                           "creatingUser": user.get(coder or "", ""), "creationDateTime": created})
            _sub(note, "PlainTextContent", text=memo.text)
            if note_code is not None:  # a segment x code memo without such a coding: the note is coded instead
                c_el = _sub(note, "Coding", {"guid": stable_guid("note coding", guid),
                                             "creatingUser": user.get(coder or "", ""), "creationDateTime": created})
                _sub(c_el, "CodeRef", {"targetGUID": code_guid[note_code]})
    for guid in project_notes:
        _sub(root, "NoteRef", {"targetGUID": guid})
    return root, texts


def export_qdpx(cfg: Any, path: str | Path, crlf: bool = False, warnings: list[str] | None = None) -> Path:
    """Write the project as a ``.qdpx`` archive (atomically) and return its path.

    ``crlf=True`` writes CRLF line ends and counts each as two characters (what MAXQDA expects).
    ``warnings``: a list that gets one line per kind of data left out (codings of codes no longer
    in the codebook).
    """
    path = Path(path)
    root, texts = build_project(cfg, crlf=crlf, warnings=warnings)
    ET.indent(root)
    ET.register_namespace("", NS)
    qde = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with atomic_path(path, suffix=".qdpx") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("project.qde", _ZIP_TIME), qde, zipfile.ZIP_DEFLATED)
        for guid, text in texts.items():
            zf.writestr(zipfile.ZipInfo(f"sources/{guid}.txt", _ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return path
