"""Import human codings made elsewhere (a spreadsheet, our own ``export-codings`` file) into the ledger.

Long format, one row per coding: where (``segment_id``, or a locator: ``source`` plus ``quote``, a
verbatim passage that occurs in exactly one coding unit of that source, narrowed by ``speaker``
for transcripts, or ``respondent`` + ``question`` for surveys), ``code`` (id or name) and
``coder``; optional ``memo``, ``created_at``, ``span`` (yes: code only the quoted passage) or
``span_start``/``span_end``. A row without a code records that the coder looked at the unit and
applied none. Every row is checked; a bad row gives one line naming the file and row and the others
still go in, all in one ledger transaction (:meth:`Ledger.record_import`). A file is imported once
(its SHA-256 is recorded), and importing never removes or changes a coding. See ``docs/ledger.md``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import sha256_file
from .config import CONFIG_NAME, ConfigError, ProjectConfig
from .ledger import FORMULA_PREFIXES, RESERVED_CODERS, Ledger, LedgerError, utc_iso

ALIASES = {"source_id": "source", "file": "source", "respondent_id": "respondent", "question_id": "question",
           "code_id": "code", "code_name": "code"}
YES = {"yes", "y", "true", "1", "x"}
_QUOTES = {'"': "[\"\u201c\u201d\u201e]", "\u201c": "[\"\u201c\u201d\u201e]", "\u201d": "[\"\u201c\u201d\u201e]",
           "'": "['\u2018\u2019]", "\u2018": "['\u2018\u2019]", "\u2019": "['\u2018\u2019]",
           "-": "[-\u2013\u2014]", "\u2013": "[-\u2013\u2014]", "\u2014": "[-\u2013\u2014]"}


class CodingImportError(ValueError):
    """The file cannot be read as codings at all (format, missing columns, no ingested segments)."""


@dataclass
class ImportResult:
    """What importing one file did; ``errors`` are one line each (``file: row N: ...``)."""

    path: Path
    sha256: str
    rows: int = 0
    codings: int = 0
    memos: int = 0
    reviews: int = 0
    skipped: int = 0  # already in the ledger, or removed there since (never re-added)
    errors: list[str] = field(default_factory=list)
    already_imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.path}: already imported (same SHA-256), nothing changed"
        return (f"{self.path}: {self.rows} rows: {self.codings} codings, {self.memos} memos, {self.reviews} "
                f"'no code' marks imported; {self.skipped} already in the ledger; {len(self.errors)} rows failed")


def _cell(value: Any) -> str:
    """A cell as text: NaN -> '', whitespace trimmed, our export's formula guard (``'=...``) undone."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
    return text[1:] if text.startswith("'") and text[1:2] and text[1] in FORMULA_PREFIXES else text


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV/XLSX file with normalised column names (``Code ID`` -> ``code``)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CodingImportError(f"{path}: codings must be a .csv or .xlsx file")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except (OSError, ValueError, zipfile.BadZipFile) as exc:  # UnicodeDecodeError, parser errors: ValueError
        raise CodingImportError(f"{path}: cannot read: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
    frame.columns = [re.sub(r"\W+", "_", str(c).strip().lower()).strip("_") for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for name in [n for n in frame.columns if n in ALIASES]:  # export-codings has code_id and code_name: id wins
        target = ALIASES[name]
        frame[target] = frame[target].where(frame[target].map(_cell) != "", frame[name]) \
            if target in frame.columns else frame[name]
    if "code" not in frame.columns:
        raise CodingImportError(f"{path}: needs a 'code' column (code id or name)")
    if "segment_id" not in frame.columns and "source" not in frame.columns:
        raise CodingImportError(f"{path}: needs a 'segment_id' column or a 'source' column (with quote, speaker, "
                                "respondent, question) to find the coded units")
    return [{k: _cell(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


@functools.lru_cache(maxsize=256)  # a row's quote is matched while locating its unit and again for its span
def _pattern(quote: str) -> re.Pattern[str]:
    """A verbatim quote as a regex: any run of whitespace matches any other; straight/curly quotes and dashes alike."""
    words = unicodedata.normalize("NFC", quote).strip().strip("\"\u201c\u201d").split()
    return re.compile(r"\s+".join("".join(_QUOTES.get(ch) or re.escape(ch) for ch in w) for w in words))


def _norm(text: Any) -> str:
    """Text compared leniently: whitespace runs, case and accents ignored (``Luz Hernandez`` = ``Luz Hernández``)."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch))
    return " ".join(folded.split()).casefold()


class _Resolver:
    """Turns rows into ledger actions against the ingested segments and the codebook."""

    def __init__(self, segments: pd.DataFrame, codebook: Any, default_coder: str | None) -> None:
        from .ingest import CODING_UNITS

        self.segments = segments.set_index("segment_id", drop=False)
        self.units = segments[segments["unit"] == segments["kind"].map(CODING_UNITS)]
        sources = sorted(set(segments["source_id"]))
        self.sources = {s: s for s in sources}
        names = pd.Series([Path(s).name for s in sources]).value_counts()
        self.sources.update({Path(s).name: s for s in sources if names[Path(s).name] == 1})
        self.codes = {_norm(c.name): c for c in codebook.codes} | {_norm(c.id): c for c in codebook.codes}
        self.default_coder = default_coder

    def code_id(self, name: str) -> str:
        code = self.codes.get(_norm(name))  # ids win over names
        if code is None:
            raise ValueError(f"unknown code {name!r} (not an id or name in the codebook)")
        if not code.codable:
            raise ValueError(f"code {name!r} is a category; apply one of its child codes")
        return str(code.id)

    def coder(self, row: dict[str, str]) -> str:
        coder = row.get("coder") or self.default_coder or ""
        if not coder:
            raise ValueError("no coder (fill the 'coder' column or pass --coder)")
        if coder in RESERVED_CODERS:
            raise ValueError(f"coder {coder!r} is reserved for machine events; use a person's name")
        return coder

    def locate(self, row: dict[str, str]) -> tuple[str, tuple[int, int] | None]:
        """(segment_id, span or None) of a row."""
        seg_id, quote = row.get("segment_id", ""), row.get("quote", "")
        if seg_id and (seg_id in self.segments.index or not row.get("source")):
            if seg_id not in self.segments.index:
                raise ValueError(f"segment_id {seg_id!r} is not in the ingested segments (re-segmented? "
                                 "use source + quote instead)")
            segment = self.segments.loc[seg_id]
            return seg_id, self._span(row, segment, quote)
        return self._by_locator(row, quote)

    def _by_locator(self, row: dict[str, str], quote: str) -> tuple[str, tuple[int, int] | None]:
        source = self.sources.get(row["source"]) or self.sources.get(row["source"].replace("\\", "/"))
        if source is None:
            raise ValueError(f"source {row['source']!r} is not an ingested file (give its path under data/raw "
                             "or its unique file name)")
        units = self.units[self.units["source_id"] == source]
        where = []
        for column, field_ in (("speaker", "speaker"), ("respondent", "respondent_id")):
            if row.get(column):
                units = units[units[field_].map(lambda v, want=_norm(row[column]): v is not None and _norm(v) == want)]
                where.append(f"{column} {row[column]!r}")
        if row.get("question"):
            want = _norm(row["question"])
            units = units[[_norm(q) == want or _norm(t) == want
                           for q, t in zip(units["question_id"].fillna(""), units["question"].fillna(""))]]
            where.append(f"question {row['question']!r}")
        if quote:
            pattern = _pattern(quote)
            units = units[units["text"].map(lambda t: pattern.search(t) is not None)]
        place = source + (f" ({', '.join(where)})" if where else "")
        if len(units) == 0:
            what = "contains the quote (not verbatim?)" if quote else "found"
            raise ValueError(f"no coding unit of {place} {what}")
        if len(units) > 1:
            hint = "quote a longer passage" if quote else "add a quote (or respondent + question)"
            raise ValueError(f"{len(units)} coding units of {place} match{' the quote' if quote else ''}: "
                             f"ambiguous, {hint}")
        segment = units.iloc[0]
        return str(segment["segment_id"]), self._span(row, segment, quote)

    @staticmethod
    def _span(row: dict[str, str], segment: Any, quote: str) -> tuple[int, int] | None:
        """Span from span_start/span_end (offsets into the source text) or, with ``span: yes``, the quote."""
        start, end = int(segment["start"]), int(segment["end"])
        if row.get("span_start") or row.get("span_end"):
            try:
                span = (int(float(row["span_start"])), int(float(row["span_end"])))
            except (KeyError, ValueError):
                raise ValueError(f"span_start/span_end {row.get('span_start')!r}/{row.get('span_end')!r} "
                                 "must both be whole numbers") from None
            if not start <= span[0] < span[1] <= end:
                raise ValueError(f"span {span[0]}-{span[1]} is not inside the segment ({start}-{end})")
            return span
        if row.get("span", "").lower() not in YES:
            if quote and not _pattern(quote).search(str(segment["text"])):
                raise ValueError("the quote does not occur in this segment")
            return None
        if not quote:
            raise ValueError("span: yes needs a quote (the passage to code)")
        hits = list(_pattern(quote).finditer(str(segment["text"])))
        if len(hits) != 1:
            raise ValueError(f"the quote occurs {len(hits)} times in the unit; span needs exactly one")
        return start + hits[0].start(), start + hits[0].end()


def resolve(rows: list[dict[str, str]], path: Path, segments: pd.DataFrame, codebook: Any,
            coder: str | None = None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[str, str]],
                                              list[str]]:
    """(codings, memos, reviews, errors) for :meth:`Ledger.record_import`; errors name ``path`` and the row."""
    resolver = _Resolver(segments, codebook, coder)
    codings, memos, reviews, errors = [], [], [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(row.values()):
            continue
        try:
            who = resolver.coder(row)
            code = resolver.code_id(row["code"]) if row.get("code") else None
            segment_id, span = resolver.locate(row)
            created = utc_iso(row["created_at"]) if row.get("created_at") else None
        except (ValueError, LedgerError) as exc:
            errors.append(f"{path}: row {number}: {exc}")
            continue
        if code is not None:
            codings.append((segment_id, code, who, span, created))
        elif not row.get("memo"):
            reviews.append((segment_id, who))
        if row.get("memo"):
            memos.append((row["memo"], who, segment_id, code))
    return codings, memos, reviews, errors


def import_codings(cfg: ProjectConfig, path: str | Path, coder: str | None = None) -> ImportResult:
    """Import one CSV/XLSX of codings into the project's ledger (once per file content); see the module doc.

    Raises :class:`CodingImportError` when the file cannot be read as codings at all.
    """
    from .codebook import load_project_codebook
    from .ingest import load_segments

    path = Path(path)
    if not path.is_file():
        raise CodingImportError(f"{path}: no such file")
    digest = sha256_file(path)
    result = ImportResult(path, digest)
    with Ledger(cfg.ledger_path) as ledger:
        if any(i.get("sha256") == digest for i in ledger.imports()):
            result.already_imported = True
            return result
        rows = read_rows(path)
        segments = load_segments(cfg)
        if segments.empty:
            raise CodingImportError(f"{path}: the project has no ingested segments yet; run cop-analysis ingest first")
        codings, memos, reviews, errors = resolve(rows, path, segments, load_project_codebook(cfg), coder)
        result.rows, result.errors = sum(any(r.values()) for r in rows), errors
        counts = ledger.record_import(digest, _display(path, cfg), codings, memos, reviews, errors)
    if counts is None:  # another process imported the same file meanwhile
        result.already_imported = True
        return result
    result.codings, result.memos, result.reviews, result.skipped = (
        counts["codings"], counts["memos"], counts["reviews"], counts["skipped"])
    return result


def _display(path: Path, cfg: ProjectConfig) -> str:
    try:
        return path.resolve().relative_to(cfg.raw.resolve()).as_posix()
    except ValueError:
        return str(path)


def import_project_codings(cfg: ProjectConfig) -> list[ImportResult]:
    """Import the files listed under ``codings:`` in project.yml (the pipeline calls this after ingest).

    A file already imported is skipped; a listed path matching no file raises :class:`ConfigError`.
    """
    results = []
    for i, spec in enumerate(cfg.codings):
        files = cfg.expand(spec.path)
        if not files:
            raise ConfigError(f"{cfg.root / CONFIG_NAME}: codings[{i}].path {spec.path!r} matches no file "
                              f"under {cfg.raw}")
        results += [import_codings(cfg, f, coder=spec.coder) for f in files]
    return results
