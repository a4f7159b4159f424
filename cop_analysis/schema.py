"""The project's tables, documented in one place.

Parquet tables live in ``data/processed/``; the coding ledger is SQLite
(``data/processed/ledger.sqlite``). Every module that writes one of these tables
builds it with the columns listed here; ``docs/SCHEMAS.md`` is generated from this module
(``python -m cop_analysis.schema``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # pyarrow type name: string, int64, float64, bool, timestamp
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    location: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> Any:
        import pyarrow as pa

        types = {
            "string": pa.string(),
            "int64": pa.int64(),
            "float64": pa.float64(),
            "float32": pa.float32(),
            "bool": pa.bool_(),
            "timestamp": pa.timestamp("us", tz="UTC"),
        }
        return pa.schema([pa.field(c.name, types[c.type], nullable=c.nullable) for c in self.columns])

    def empty_frame(self) -> Any:
        return self.arrow_schema().empty_table().to_pandas()

    def conform(self, frame: Any) -> Any:
        """Return ``frame`` with exactly this table's columns, in order (missing ones as nulls)."""
        out = frame.copy()
        for column in self.columns:
            if column.name not in out.columns:
                out[column.name] = None
        return out[self.names]


SOURCES = Table(
    "sources",
    "data/processed/sources.parquet",
    "One row per ingested input file. `text` is the normalised source text (NFC, LF line ends, "
    "no BOM) that every segment's start/end offsets index into.",
    (
        Column("source_id", "string", "Stable id: the file's path relative to the raw dir, POSIX style.", False),
        Column("path", "string", "Path relative to the project root.", False),
        Column("kind", "string", "'transcript' or 'survey'.", False),
        Column("format", "string", "txt, md, docx, vtt, srt, csv, xlsx.", False),
        Column("wave", "string", "Wave / period label from the project config."),
        Column("date", "string", "ISO date of the interview or survey wave, if configured."),
        Column("title", "string", "Human-readable title (file stem unless configured)."),
        Column("sha256", "string", "SHA-256 of the raw file bytes; unchanged hash means no re-ingest.", False),
        Column("encoding", "string", "Detected text encoding of the raw file."),
        Column("n_chars", "int64", "Length of `text`.", False),
        Column("n_segments", "int64", "Number of segments produced from this source.", False),
        Column("text", "string", "Normalised source text.", False),
        Column("ingested_at", "timestamp", "When this source was (re)ingested.", False),
        Column("cache_key", "string", "Hash of the file bytes, its project.yml entry and the ingest version; "
               "a source is re-ingested only when this changes.", False),
        Column("warnings", "string", "JSON list of warnings from reading this source (e.g. cp1252 fallback)."),
    ),
)

SEGMENTS = Table(
    "segments",
    "data/processed/segments.parquet",
    "Units of analysis. Invariant: sources.text[start:end] == text for every row. For surveys "
    "the source text is the responses laid out one block per respondent x question; for VTT/SRT it is "
    "one `[hh:mm:ss] Speaker: text` paragraph per speaker run (docs/ingestion.md).",
    (
        Column("segment_id", "string", "Stable id: hash of source_id, unit, start, end and text.", False),
        Column("source_id", "string", "Foreign key to sources.source_id.", False),
        Column("kind", "string", "'transcript' or 'survey'.", False),
        Column("unit", "string", "turn | paragraph | sentence | context (transcripts); response | sentence (surveys).", False),
        Column("parent_id", "string", "segment_id of the enclosing turn/response (null for top-level units)."),
        Column("position", "int64", "Order of the segment within its source and unit.", False),
        Column("start", "int64", "Start offset (code points) into sources.text.", False),
        Column("end", "int64", "End offset (exclusive) into sources.text.", False),
        Column("text", "string", "The segment text.", False),
        Column("speaker", "string", "Canonical speaker name (transcripts); null for context and surveys."),
        Column("speaker_role", "string", "facilitator | member | interviewer | participant | ... (config or heuristic)."),
        Column("respondent_id", "string", "Survey respondent id (surveys)."),
        Column("question_id", "string", "Survey column id of an open-ended question (surveys)."),
        Column("question", "string", "Question text (surveys)."),
        Column("wave", "string", "Wave / period label."),
        Column("timestamp", "float64", "Seconds from the start of the recording (VTT/SRT, [hh:mm:ss] labels)."),
        Column("attributes", "string", "JSON object of respondent/speaker attributes (role, department, ...)."),
    ),
)

VANISHED_SOURCES = Table(
    "vanished_sources",
    "data/processed/vanished_sources.parquet",
    "Derived archive of source versions the coding ledger still points at (orphaned codings, memos or 'no "
    "code applies' marks): of files that vanished from data/raw or now fail to read, and of changed files "
    "whose edit (or a survey row now skipped) left orphans. Their last text and segment offsets, so a later "
    "ingest can re-anchor those orphans onto a file that comes back (renamed, moved, fixed or edited; "
    "docs/ledger.md). A row is dropped once nothing in the ledger points at its segments; the file "
    "is removed when no row is left.",
    (
        Column("source_id", "string", "The vanished source's id (path relative to the raw dir).", False),
        Column("path", "string", "Its path relative to the project root.", False),
        Column("kind", "string", "'transcript' or 'survey'.", False),
        Column("sha256", "string", "SHA-256 of the raw file version the text comes from.", False),
        Column("text", "string", "Its last normalised source text (sources.text when it vanished).", False),
        Column("segments", "string", "JSON list of [segment_id, unit, start, end] of its last segments "
               "(offsets into `text`).", False),
        Column("vanished_at", "timestamp", "When an ingest first found the file gone.", False),
    ),
)

CODINGS = Table(
    "codings",
    "ledger.sqlite: view `codings` (current state derived from the `events` log)",
    "Current human codings: one row per segment x code x coder (x optional sub-span).",
    (
        Column("coding_id", "int64", "Row id in the ledger.", False),
        Column("segment_id", "string", "Coded segment.", False),
        Column("code_id", "string", "Codebook code id.", False),
        Column("coder", "string", "Coder name (a machine never appears here).", False),
        Column("span_start", "int64", "Optional sub-span start (offset into sources.text)."),
        Column("span_end", "int64", "Optional sub-span end."),
        Column("created_at", "timestamp", "First applied.", False),
        Column("updated_at", "timestamp", "Last changed.", False),
        Column("orphaned", "bool", "True when the segment id no longer exists after re-ingestion."),
    ),
)

SUGGESTIONS = Table(
    "suggestions",
    "ledger.sqlite: table `suggestions`",
    "Machine suggestions. Never a coding until a human accepts; accepting writes a coding by that human.",
    (
        Column("suggestion_id", "int64", "Row id in the ledger.", False),
        Column("segment_id", "string", "Segment the suggestion is for.", False),
        Column("code_id", "string", "Suggested code.", False),
        Column("score", "float64", "Calibrated score in [0, 1].", False),
        Column("method", "string", "rules | definitions | learned | combined (which suggesters contributed).", False),
        Column("evidence", "string", "Matched words, closest example quote, or classifier note."),
        Column("model", "string", "Model name/version that produced the score."),
        Column("codebook_version", "string", "Hash of the codebook the suggestion was made with."),
        Column("status", "string", "suggested | accepted | rejected | withdrawn (a pending suggestion that a "
               "later auto-coding run no longer made; suggested again if a run makes it again).", False),
        Column("decided_by", "string", "Coder who accepted/rejected (`machine` for withdrawn)."),
        Column("created_at", "timestamp", "When suggested.", False),
        Column("decided_at", "timestamp", "When accepted/rejected/withdrawn."),
    ),
)

THEMES = Table(
    "themes",
    "data/processed/themes.parquet",
    "Segment -> theme assignment of the last theme fit, per selection (e.g. one survey question).",
    (
        Column("selection", "string", "Name of the segment selection the themes were fitted on.", False),
        Column("segment_id", "string", "Segment.", False),
        Column("theme_id", "int64", "Theme number within the selection (-1 = unassigned).", False),
        Column("theme_label", "string", "Current label (human rename if any).", False),
        Column("probability", "float64", "Assignment strength in [0, 1]."),
        Column("x", "float64", "2-D map coordinate (stored reduced embedding)."),
        Column("y", "float64", "2-D map coordinate."),
    ),
)

THEME_INFO = Table(
    "theme_info",
    "data/processed/theme_info.parquet",
    "One row per theme per selection.",
    (
        Column("selection", "string", "Selection name.", False),
        Column("theme_id", "int64", "Theme number.", False),
        Column("label", "string", "Current label (human rename if any).", False),
        Column("auto_label", "string", "Label generated by the model: the guiding code's name, or keyword_label when "
               "the theme has none or its human codings name other codes (themes.project.HUMAN_NAMING_MIN).", False),
        Column("keyword_label", "string", "Three distinct keywords of the theme.", False),
        Column("keywords", "string", "Comma-separated top keywords.", False),
        Column("size", "int64", "Number of segments.", False),
        Column("representative_ids", "string", "JSON list of representative segment ids.", False),
        Column("guided_code", "string", "Codebook code the theme was seeded from (guided mode)."),
    ),
)

TABLES: tuple[Table, ...] = (SOURCES, SEGMENTS, VANISHED_SOURCES, CODINGS, SUGGESTIONS, THEMES, THEME_INFO)


def markdown() -> str:
    """Render all table schemas as Markdown (docs/SCHEMAS.md)."""
    lines = ["# Table schemas", "", "Generated by `python -m cop_analysis.schema`; do not edit by hand.", ""]
    for table in TABLES:
        lines += [f"## {table.name}", "", f"Location: `{table.location}`", "", table.doc, ""]
        lines += ["| column | type | description |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.type}{'' if c.nullable else ', required'} | {c.doc} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
