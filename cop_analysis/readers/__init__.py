"""Readers turn one raw file into normalised text (transcripts) or a table (surveys).

They raise :class:`ReadError` (message + 1-based line/row) for malformed input; the ingest
step adds the file path. A survey's bad rows do not stop the file: they are skipped and listed
in ``SurveyTable.errors`` (:mod:`.surveys`). Supported extensions are listed in
:data:`TRANSCRIPT_FORMATS` and :data:`SURVEY_FORMATS`.
"""

from __future__ import annotations

from pathlib import Path

from .. import textnorm

TRANSCRIPT_FORMATS = ("txt", "md", "docx", "vtt", "srt")
SURVEY_FORMATS = ("csv", "tsv", "xlsx")
MAX_FILE_BYTES = 20 * 1024 * 1024


class ReadError(ValueError):
    """A malformed input file; ``line`` is the 1-based line (text) or row (spreadsheet).

    ``rows``: bad rows found before the file-level problem (survey rows that were skipped), so
    they are reported in the same run.
    """

    def __init__(self, message: str, line: int | None = None, rows: list[ReadError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.rows = list(rows or [])


def file_format(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def read_text(path: Path) -> textnorm.Decoded:
    """Read, size-check, decode and normalise a text file."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ReadError(f"file is {size / 2**20:.1f} MiB, above the {MAX_FILE_BYTES // 2**20} MiB limit for text input")
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    try:
        decoded = textnorm.decode_normalized(data)
    except textnorm.DecodeError as exc:
        line = data[:exc.offset].count(b"\n") + 1 if exc.offset is not None else None
        raise ReadError(str(exc), line) from None
    if not decoded.text.strip():
        raise ReadError("no text in file")
    return decoded
