"""Survey readers: CSV/TSV/XLSX exports -> :class:`SurveyTable` -> :class:`Response` rows.

Layouts (``layout:`` in project.yml, or detected from the header rows when ``auto``):

* ``qualtrics``: 3 header rows: column ids (``ResponseId``, ``Q5``), question text, and
  ``{"ImportId": ...}`` JSON. Respondent id column ``ResponseId``.
* ``surveymonkey``: 2 header rows: question text (blank for a multi-column question's later
  columns) and sub-labels (``Response``, ``Open-Ended Response``, option names).
  Respondent id column ``Respondent ID``. Column id = question, plus ``" - sub-label"`` when
  the sub-label is an option.
* ``google_forms``: one header row starting with ``Timestamp``; respondents are numbered by row.
* ``plain``: one header row; the respondent id is a column named ``id``/``respondent_id`` or the row.

Bad data rows do not reject the file: a row with more fields than the header (non-empty extra
fields), a CSV/TSV row with fewer fields than the header, a row with a malformed quoted field and
a second row with an already-seen respondent id are skipped, each with its own
:class:`ReadError` (message + line) in :attr:`SurveyTable.errors`; the other rows are read.
File-level problems (empty file, undecodable text, wrong header rows, unterminated quote,
missing configured columns) still raise :class:`ReadError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import textnorm
from ..config import SurveySpec
from . import MAX_FILE_BYTES, ReadError, file_format, read_text

LAYOUTS = ("auto", "qualtrics", "google_forms", "surveymonkey", "plain")
MAX_CELL_CHARS = 100_000
_QUALTRICS_KEYS = {"responseid", "_recordid"}
_META = {
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished", "recordeddate",
    "responseid", "_recordid", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
    "locationlatitude", "locationlongitude", "distributionchannel", "userlanguage", "timestamp", "email address",
    "respondent id", "collector id", "start date", "end date", "ip address", "email", "first name", "last name",
    "custom data 1", "id", "respondent_id", "response_id",
}
_SM_PLAIN_SUBLABELS = {"", "response", "open-ended response"}


@dataclass(frozen=True)
class SurveyColumn:
    index: int
    id: str
    text: str


@dataclass
class SurveyTable:
    layout: str
    columns: list[SurveyColumn]
    rows: list[tuple[int, list[str]]]  # (1-based line/row number, cells)
    header_line: int  # line of the header row holding the column ids
    encoding: str
    warnings: list[str] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)  # bad data rows, skipped (not in ``rows``), by line;
    # read_survey() finds the malformed ones, responses() adds the duplicate respondent ids

    def find(self, name: str) -> SurveyColumn | None:
        """The column whose id or question text is ``name`` (exact, then case/space-insensitive)."""
        for col in self.columns:
            if name in (col.id, col.text):
                return col
        key = " ".join(name.split()).casefold()
        return next((c for c in self.columns if key in (" ".join(c.id.split()).casefold(),
                                                         " ".join(c.text.split()).casefold())), None)


@dataclass(frozen=True)
class Response:
    line: int
    respondent_id: str
    question_id: str
    question: str
    text: str
    wave: str | None
    attributes: dict[str, str]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return textnorm.normalize(str(value))


def read_grid(path: Path, sheet: str | int | None = None, errors: list[ReadError] | None = None
              ) -> tuple[list[tuple[int, list[str]]], str, list[str]]:
    """All non-empty rows of a CSV/TSV/XLSX file as (line, cells), plus encoding and warnings.

    ``line`` is the physical line a CSV row starts on (1-based), or the spreadsheet row number.
    With an ``errors`` list, a CSV row with a malformed quoted field after the first row is
    skipped and its :class:`ReadError` appended there (reading goes on at the next line);
    without one it is raised.
    """
    if file_format(path) == "xlsx":
        return _read_xlsx(path, sheet), "xlsx", []
    decoded = read_text(path)
    text = decoded.text
    first = text.split("\n", 1)[0]
    delimiter = "\t" if file_format(path) == "tsv" else max(",;\t", key=first.count)
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            message = str(exc)
            if "unexpected end of data" in message or "EOF" in message:
                raise ReadError("unterminated quoted field", line) from None
            if "expected after" not in message:
                raise ReadError(message, line) from None
            message = f"malformed quoted field ({message}; a quote inside a quoted field must be doubled)"
            if errors is None or not rows:  # no header row yet: a file-level problem
                raise ReadError(message, line) from None
            errors.append(ReadError(f"{message}; row skipped", line))  # the reader resumes at the next line
            line = reader.line_num + 1
            continue
        if any(c.strip() for c in cells):
            rows.append((line, cells))
        line = reader.line_num + 1
    warnings = []
    if decoded.fallback_bytes:
        warnings.append(f"{decoded.fallback_bytes} byte(s) were not valid UTF-8 and were decoded as cp1252 "
                        f"(encoding {decoded.encoding}); please check accented characters")
    return rows, decoded.encoding, warnings


def _read_xlsx(path: Path, sheet: str | int | None) -> list[tuple[int, list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if path.stat().st_size > MAX_FILE_BYTES:
        raise ReadError(f"file is above the {MAX_FILE_BYTES // 2**20} MiB limit")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"not a valid .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        if sheet is None:
            ws = workbook.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(workbook.worksheets):
                raise ReadError(f"sheet index {sheet} out of range ({len(workbook.worksheets)} sheets)")
            ws = workbook.worksheets[sheet]
        elif sheet in workbook.sheetnames:
            ws = workbook[sheet]
        else:
            raise ReadError(f"sheet {sheet!r} not found (sheets: {', '.join(workbook.sheetnames)})")
        rows = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if any(len(c) > MAX_CELL_CHARS for c in cells):
                raise ReadError(f"cell larger than {MAX_CELL_CHARS} characters", number)
            if any(c.strip() for c in cells):
                rows.append((number, cells))
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"corrupt .xlsx workbook ({type(exc).__name__}: {exc})") from None
    finally:
        workbook.close()


def detect_layout(rows: list[tuple[int, list[str]]]) -> str:
    """Guess the export layout from the header rows."""
    keys = {c.strip().casefold() for c in rows[0][1]}
    if keys & _QUALTRICS_KEYS or {"startdate", "enddate", "recordeddate"} <= keys:
        return "qualtrics"
    if "respondent id" in keys:
        return "surveymonkey"
    if rows[0][1] and rows[0][1][0].strip().casefold() == "timestamp":
        return "google_forms"
    return "plain"


def _is_import_id(cell: str) -> bool:
    try:
        value = json.loads(cell)
    except ValueError:
        return False
    return isinstance(value, dict) and "ImportId" in value


def read_survey(path: Path, layout: str = "auto", sheet: str | int | None = None) -> SurveyTable:
    """Read a survey export and resolve its header rows into columns.

    Bad data rows are skipped and listed in ``SurveyTable.errors`` (see the module docstring).
    """
    errors: list[ReadError] = []
    rows, encoding, warnings = read_grid(path, sheet, errors)
    if not rows:
        raise ReadError("empty file")
    if layout == "auto":
        layout = detect_layout(rows)
    header_line, h0 = rows[0]
    if layout == "qualtrics":
        if len(rows) < 3 or not any(_is_import_id(c) for c in rows[2][1]):
            line = rows[2][0] if len(rows) >= 3 else header_line + 2
            raise ReadError("wrong header layout: a Qualtrics export needs 3 header rows (column ids, question "
                            "text, {\"ImportId\": ...}); this row is not the ImportId row (set layout: plain if "
                            "the file has one header row)", line)
        texts, data, header = rows[1][1], rows[3:], rows[:3]
        columns = [SurveyColumn(i, cid.strip(), (texts[i] if i < len(texts) else "").strip() or cid.strip())
                   for i, cid in enumerate(h0)]
    elif layout == "surveymonkey":
        if len(rows) < 2:
            raise ReadError("wrong header layout: a SurveyMonkey export needs 2 header rows", header_line + 1)
        subs, data, header = rows[1][1], rows[2:], rows[:2]
        columns, question = [], ""
        for i, head in enumerate(h0):
            question = head.strip() or question
            sub = subs[i].strip() if i < len(subs) else ""
            cid = question if sub.casefold() in _SM_PLAIN_SUBLABELS else f"{question} - {sub}"
            columns.append(SurveyColumn(i, cid, cid))
    elif layout in ("google_forms", "plain"):
        data, header = rows[1:], rows[:1]
        columns = [SurveyColumn(i, h.strip() or f"column_{i + 1}", h.strip() or f"column_{i + 1}")
                   for i, h in enumerate(h0)]
    else:
        raise ReadError(f"unknown survey layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
    width = len(columns)
    # a CSV row may leave out trailing fields only where every header row is blank too
    needed = max(max((i + 1 for i, c in enumerate(cells) if c.strip()), default=0) for _, cells in header)
    spreadsheet = encoding == "xlsx"  # rows are padded with empty cells: no short rows, no miscounted fields
    good: list[tuple[int, list[str]]] = []
    for line, cells in data:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            if spreadsheet:
                last = max(i + 1 for i, c in enumerate(cells) if c.strip())
                message = f"row has a value in column {last} but the header has {width} columns"
            else:
                message = (f"row has {len(cells)} fields but the header has {width} (an unquoted delimiter "
                           "inside an answer?)")
            errors.append(ReadError(f"{message}; row skipped", line))
        elif len(cells) < needed and not spreadsheet:
            errors.append(ReadError(f"row has {len(cells)} fields but the header has {width} (truncated row, or a "
                                    "line break inside an unquoted answer?); row skipped", line))
        else:
            good.append((line, (cells + [""] * width)[:width]))
    errors.sort(key=lambda e: e.line or 0)
    return SurveyTable(layout, columns, good, header_line, encoding, warnings, errors)


def _looks_open_ended(values: list[str]) -> bool:
    filled = [v for v in values if v.strip()]
    if len(filled) < 2:
        return False
    numeric = sum(bool(re.fullmatch(r"[-+\d.,:/ %]+", v)) for v in filled)
    mean_len = sum(len(v) for v in filled) / len(filled)
    return numeric / len(filled) < 0.1 and mean_len >= 25 and len(set(filled)) / len(filled) >= 0.5


def responses(table: SurveyTable, spec: SurveySpec) -> tuple[list[Response], list[str]]:
    """Open-ended answers (one per respondent x question, empty ones skipped) and warnings.

    A row whose respondent id was seen before is skipped (the first one is kept) and its
    :class:`ReadError` added to ``table.errors``.
    """
    warnings: list[str] = []

    def column(name: str, what: str) -> SurveyColumn:
        col = table.find(name)
        if col is None:
            known = ", ".join(c.id for c in table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
            raise ReadError(f"configured {what} column {name!r} not found (columns: {known})", table.header_line)
        return col

    attributes = {name: column(col, f"attribute '{name}'") for name, col in spec.attributes.items()}
    wave_col = column(spec.wave_column, "wave_column") if spec.wave_column else None
    default_id = {"qualtrics": ("ResponseId", "_recordId"), "surveymonkey": ("Respondent ID",),
                  "plain": ("respondent_id", "respondent id", "response_id", "id")}.get(table.layout, ())
    id_col = column(spec.respondent_id, "respondent_id") if spec.respondent_id else next(
        (c for name in default_id if (c := table.find(name))), None)
    if spec.open_ended:
        questions = [column(q, "open-ended") for q in spec.open_ended]
    else:
        used = {c.index for c in [*attributes.values(), wave_col, id_col] if c is not None}
        questions = [c for c in table.columns if c.index not in used and c.id.casefold() not in _META
                     and _looks_open_ended([cells[c.index] for _, cells in table.rows])]
        if not questions:
            raise ReadError("no open-ended columns configured (open_ended:) and none detected", table.header_line)
        warnings.append("open_ended not configured; detected: " + ", ".join(c.id for c in questions))
    out: list[Response] = []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        rid = cells[id_col.index].strip() if id_col else ""
        rid = rid or f"row{line}"
        if rid in seen:
            error = ReadError(f"duplicate respondent id {rid!r} (first at line {seen[rid]}); row skipped, the first "
                              "one is kept", line)
            if not any((e.line, e.message) == (line, error.message) for e in table.errors):  # called twice
                table.errors.append(error)
                table.errors.sort(key=lambda e: e.line or 0)
            continue
        seen[rid] = line
        attrs = {name: cells[col.index].strip() for name, col in attributes.items()}
        wave = (cells[wave_col.index].strip() or spec.wave) if wave_col else spec.wave
        for q in questions:
            answer = cells[q.index].strip()
            if answer:
                out.append(Response(line, rid, q.id, q.text, answer, wave, attrs))
    return out, warnings
