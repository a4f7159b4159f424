"""Project configuration: ``project.yml`` at the project root names sources, waves and columns.

Example (the bundled sample project's file is the reference)::

    name: Harbor County Office of Equity - Steering Committee CoP
    codebook: data/raw/codebook.yml
    redact:                      # extra names/organisations/places for the shareable report
      people: [Dana Whitfield]
      organizations: [Harbor County]
      places: [Port Ellis, Alder Street]   # -> [place]
      ner_places: multi-word     # places spaCy finds: multi-word (default) | all | none
      keep: [Zoom]               # never redacted when NER finds them (names or places)
    transcripts:
      - path: transcripts/*.txt  # glob, relative to data/raw
        wave: "2024"
        speaker_roles: {Facilitator: facilitator, MR: facilitator}
      - path: notes/*.md         # field notes, minutes, comments: no speakers
        speakers: none           # labels (default): speaker turns | none: every paragraph is a coding unit
        paragraphs: blank-lines  # with speakers: none: blank-lines (default) | lines (one paragraph per line)
    speaker_aliases:             # optional: the same person under other names, in any transcript
      Kwame: Kwame Asante        # (wins over the automatic linking; see docs/ingestion.md)
      K. Asante: Kwame Asante
    surveys:
      - path: surveys/wave1_qualtrics.csv
        wave: "1"
        layout: auto             # auto | qualtrics | google_forms | surveymonkey | plain
        respondent_id: ResponseId
        open_ended: [Q5, Q6, Q7]  # column ids (Qualtrics) or header text
        attributes: {role: Q2, department: Q3}
    codings:                     # optional: human codings made elsewhere (CSV/XLSX, docs/ledger.md),
      - path: codings/team.csv   # imported into the ledger by the pipeline after ingest, once per file
    autocode:
      fine_tune: false           # true: learned suggestions use MiniLM fine-tuned on the human
                                 # codes (minutes on CPU per label change; docs/autocode.md)
    themes:
      embedding: static          # optional: model2vec speed mode for very large projects (docs/themes.md)

Keys not listed in ``ProjectConfig`` (such as ``autocode`` and ``themes``) are kept in ``cfg.extra``
and read by their module (``autocode.project.fine_tune_enabled``, ``themes.project``).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_NAME = "project.yml"


class ConfigError(ValueError):
    """The project configuration is invalid; the message names the file and the key."""


@dataclass
class TranscriptSpec:
    path: str
    wave: str | None = None
    date: str | None = None
    title: str | None = None
    speaker_roles: dict[str, str] = field(default_factory=dict)
    speakers: str = "labels"  # see SPEAKERS: "none" makes every paragraph a coding unit without a speaker
    paragraphs: str = "blank-lines"  # see PARAGRAPHS: how a file with ``speakers: none`` is split


@dataclass
class SurveySpec:
    path: str
    wave: str | None = None
    date: str | None = None
    title: str | None = None
    layout: str = "auto"
    sheet: str | int | None = None
    respondent_id: str | None = None
    open_ended: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    wave_column: str | None = None


@dataclass
class CodingsSpec:
    path: str  # CSV/XLSX of human codings (glob), relative to data/raw; imported once (cop_analysis.coding_import)
    coder: str | None = None  # coder of rows whose coder cell is empty


CODINGS_SUFFIXES = (".csv", ".xlsx")
SPEAKERS = ("labels", "none")  # transcripts[].speakers: speaker turns from labels, or paragraphs without speakers
PARAGRAPHS = ("blank-lines", "lines")  # transcripts[].paragraphs (speakers: none): runs of lines, or each line
REDACT_LISTS = ("people", "organizations", "places", "keep")
NER_PLACES = ("multi-word", "all", "none")  # which spaCy GPE/LOC/FAC entities the shareable report redacts


def redact_options(value: Any, source: str | Path = CONFIG_NAME) -> dict[str, Any]:
    """Validate the ``redact`` mapping (lists of text, ``ner_places``); raise :class:`ConfigError`."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: redact must be a mapping (people, organizations, places, keep, ner_places)")
    unknown = set(value) - set(REDACT_LISTS) - {"ner_places"}
    if unknown:
        raise ConfigError(f"{source}: redact has unknown key(s): {', '.join(sorted(map(str, unknown)))} "
                          f"(use {', '.join(REDACT_LISTS)}, ner_places)")
    out: dict[str, Any] = {}
    for key in REDACT_LISTS:
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{source}: redact.{key} must be a list of text, e.g. [Port Ellis, Alder Street]")
        out[key] = [" ".join(i.split()) for i in items if i.strip()]
    ner = value.get("ner_places", "multi-word")
    ner = {True: "all", False: "none", None: "none"}.get(ner, ner) if not isinstance(ner, str) else ner.strip().lower()
    if ner not in NER_PLACES:
        raise ConfigError(f"{source}: redact.ner_places must be one of {', '.join(NER_PLACES)}, not {ner!r}")
    out["ner_places"] = ner
    return out


def speaker_aliases(value: Any, source: str | Path = CONFIG_NAME) -> dict[str, str]:
    """Validate ``speaker_aliases`` (speaker name -> canonical name); raise :class:`ConfigError`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: speaker_aliases must map speaker names to canonical names "
                          f"(e.g. {{Kwame: Kwame Asante}}), not a {type(value).__name__}")
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, canonical in value.items():
        for part in (name, canonical):
            if not isinstance(part, str) or not part.strip():
                raise ConfigError(f"{source}: speaker_aliases: {name!r}: {canonical!r} must map a speaker name to a "
                                  "canonical name (both non-empty text)")
        name, canonical = " ".join(name.split()), " ".join(canonical.split())
        key = name.casefold()
        if key in seen and seen[key].casefold() != canonical.casefold():
            raise ConfigError(f"{source}: speaker_aliases: {name!r} is mapped twice (to {seen[key]!r} and "
                              f"{canonical!r}; names are compared ignoring case)")
        seen[key] = canonical
        out[name] = canonical
    for name, canonical in out.items():
        target = seen.get(canonical.casefold())
        if target is not None and target.casefold() != canonical.casefold():
            raise ConfigError(f"{source}: speaker_aliases: {name!r} maps to {canonical!r}, which is itself mapped "
                              f"to {target!r}; map every name straight to the canonical name")
    return out


@dataclass
class ProjectConfig:
    root: Path
    name: str = "cop-analysis project"
    raw_dir: Path = Path("data/raw")
    processed_dir: Path = Path("data/processed")
    reports_dir: Path = Path("reports")
    codebook: Path | None = None
    transcripts: list[TranscriptSpec] = field(default_factory=list)
    surveys: list[SurveySpec] = field(default_factory=list)
    redact_people: list[str] = field(default_factory=list)
    redact_organizations: list[str] = field(default_factory=list)
    redact_places: list[str] = field(default_factory=list)
    redact_keep: list[str] = field(default_factory=list)  # NER finds these are never redacted
    redact_ner_places: str = "multi-word"  # see NER_PLACES
    speaker_aliases: dict[str, str] = field(default_factory=dict)  # speaker name -> canonical name
    codings: list[CodingsSpec] = field(default_factory=list)  # human codings to import after ingest
    seed: int = 42
    extra: dict[str, Any] = field(default_factory=dict)

    # -- derived paths ---------------------------------------------------------------
    @property
    def raw(self) -> Path:
        return self.root / self.raw_dir

    @property
    def processed(self) -> Path:
        return self.root / self.processed_dir

    @property
    def reports(self) -> Path:
        return self.root / self.reports_dir

    @property
    def ledger_path(self) -> Path:
        return self.processed / "ledger.sqlite"

    @property
    def embeddings_dir(self) -> Path:
        return self.processed / "embeddings"

    def option(self, section: str, key: str, hint: str, default: Any = None) -> Any:
        """``key`` of a one-option section of project.yml (``autocode: {fine_tune: ...}``), else ``default``;
        ConfigError when the section is not a mapping of just that key (``hint``: what its value is)."""
        options = self.extra.get(section) or {}
        if not isinstance(options, dict) or set(options) - {key}:
            raise ConfigError(f"{self.root / CONFIG_NAME}: '{section}' takes only '{key}: {hint}'")
        return options.get(key, default)

    def expand(self, pattern: str) -> list[Path]:
        """Files under the raw dir matching a configured path or glob, sorted."""
        matches = sorted(Path(p) for p in glob.glob(str(self.raw / pattern), recursive=True))
        return [p for p in matches if p.is_file()]

    @classmethod
    def load(cls, root: str | Path = ".") -> "ProjectConfig":
        root = Path(root).resolve()
        path = root / CONFIG_NAME
        if not path.exists():
            raise ConfigError(f"{path}: no project config found (expected {CONFIG_NAME} in the project root)")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level must be a mapping")
        return cls.from_dict(data, root, source=path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], root: str | Path, source: str | Path = CONFIG_NAME) -> "ProjectConfig":
        known = {"name", "raw_dir", "processed_dir", "reports_dir", "codebook", "transcripts", "surveys",
                 "redact", "seed", "speaker_aliases", "codings"}

        def specs(key: str, kind: type) -> list[Any]:
            items = data.get(key) or []
            if not isinstance(items, list):
                raise ConfigError(f"{source}: '{key}' must be a list")
            out = []
            for i, item in enumerate(items):
                if isinstance(item, str):
                    item = {"path": item}
                if not isinstance(item, dict) or "path" not in item:
                    raise ConfigError(f"{source}: {key}[{i}] needs a 'path'")
                fields = set(kind.__dataclass_fields__)
                unknown = set(item) - fields
                if unknown:
                    raise ConfigError(f"{source}: {key}[{i}] has unknown key(s): {', '.join(sorted(unknown))}")
                item = {k: (str(v) if k in ("wave", "date") and v is not None else v) for k, v in item.items()}
                out.append(kind(**item))
            return out

        redact = redact_options(data.get("redact"), source)
        transcripts = specs("transcripts", TranscriptSpec)
        for i, t in enumerate(transcripts):
            for key, allowed in (("speakers", SPEAKERS), ("paragraphs", PARAGRAPHS)):
                value = getattr(t, key)
                if value not in allowed:
                    raise ConfigError(f"{source}: transcripts[{i}].{key} must be one of {', '.join(allowed)} "
                                      f"(default {allowed[0]}), not {value!r}")
            if t.paragraphs != "blank-lines" and t.speakers != "none":
                raise ConfigError(f"{source}: transcripts[{i}].paragraphs applies only with speakers: none")
        codings = specs("codings", CodingsSpec)
        for i, spec in enumerate(codings):
            if not isinstance(spec.path, str) or not spec.path.lower().endswith(CODINGS_SUFFIXES):
                raise ConfigError(f"{source}: codings[{i}].path must be a .csv or .xlsx file, not {spec.path!r}")
            if spec.coder is not None and (not isinstance(spec.coder, str) or not spec.coder.strip()):
                raise ConfigError(f"{source}: codings[{i}].coder must be a coder name, not {spec.coder!r}")
        cfg = cls(
            root=Path(root).resolve(),
            name=str(data.get("name", "cop-analysis project")),
            raw_dir=Path(data.get("raw_dir", "data/raw")),
            processed_dir=Path(data.get("processed_dir", "data/processed")),
            reports_dir=Path(data.get("reports_dir", "reports")),
            codebook=Path(data["codebook"]) if data.get("codebook") else None,
            transcripts=transcripts,
            surveys=specs("surveys", SurveySpec),
            redact_people=redact["people"],
            redact_organizations=redact["organizations"],
            redact_places=redact["places"],
            redact_keep=redact["keep"],
            redact_ner_places=redact["ner_places"],
            speaker_aliases=speaker_aliases(data.get("speaker_aliases"), source),
            codings=codings,
            seed=int(data.get("seed", 42)),
            extra={k: v for k, v in data.items() if k not in known},
        )
        return cfg
