"""The codebook: codes with definitions, inclusion/exclusion criteria, examples, hierarchy and patterns.

Formats: YAML (the native format, see ``docs/codebook.md``), CSV import, and REFI-QDA codebook
exchange (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``) for NVivo, ATLAS.ti and MAXQDA.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from cop_analysis.atomic import atomic_path, write_text

QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: Fixed namespace of code GUIDs: ``uuid5(GUID_NAMESPACE, code path)``.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cop-analysis/codebook")
STARTER_CODEBOOK = Path(__file__).parent / "resources" / "starter_codebook.yml"
PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F",
           "#BCBD22", "#17BECF")
CSV_COLUMNS = ("id", "name", "definition", "include", "exclude", "examples", "parent", "color", "patterns")
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_ID = re.compile(r"^\w[\w.-]*$")
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
#: Labelled sections of a REFI ``<Description>``, in export order (label -> field).
_SECTIONS = {"Definition": "definition", "When to use": "include", "When not to use": "exclude",
             "Examples": "examples", "Keywords": "patterns", "Code ID": "id"}
_SECTION_RE = re.compile(r"^(" + "|".join(map(re.escape, _SECTIONS)) + r"):[ \t]*", re.MULTILINE)


class CodebookError(ValueError):
    """The codebook is invalid; the one-line message names the file and the code."""


@dataclass
class Code:
    """One code. ``include``/``exclude`` are the "when to use" / "when not to use" criteria."""

    id: str
    name: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    parent: str | None = None
    color: str = ""
    patterns: list[str] = field(default_factory=list)
    guid: str = ""
    codable: bool = True

    def description(self) -> str:
        """The REFI ``<Description>`` text: labelled sections that :func:`parse_description` reads back."""
        parts = [f"Definition: {self.definition}" if self.definition else ""]
        parts += [f"When to use: {self.include}" if self.include else ""]
        parts += [f"When not to use: {self.exclude}" if self.exclude else ""]
        if self.examples:
            parts.append("Examples:\n" + "\n".join(f"- {e}" for e in self.examples))
        if self.patterns:
            parts.append("Keywords: " + "; ".join(self.patterns))
        parts.append(f"Code ID: {self.id}")
        return "\n\n".join(p for p in parts if p)


def parse_description(text: str) -> dict[str, Any]:
    """Split a REFI description into code fields; unlabelled text (other tools) becomes the definition."""
    pieces = _SECTION_RE.split((text or "").replace("\r\n", "\n").strip())
    out: dict[str, Any] = {}
    for label, body in zip(pieces[1::2], pieces[2::2]):
        key, body = _SECTIONS[label], body.strip()
        if key == "examples":
            out[key] = [re.sub(r"^[-*\u2022]\s*", "", line).strip() for line in body.split("\n") if line.strip()]
        elif key == "patterns":
            out[key] = [p.strip() for p in body.split(";") if p.strip()]
        else:
            out[key] = body
    preamble = pieces[0].strip()
    if preamble:
        out["definition"] = f"{preamble}\n\n{out['definition']}" if out.get("definition") else preamble
    return out


def _clean_list(value: Any, sep: str = "|") -> list[str]:
    """A list of non-empty strings with whitespace collapsed (strings are split on ``sep``)."""
    items = value.split(sep) if isinstance(value, str) else list(value or [])
    return [" ".join(str(item).split()) for item in items if str(item).strip()]


def _normalise_color(color: str) -> str:
    color = color.strip().upper()
    return "#" + "".join(c * 2 for c in color[1:]) if len(color) == 4 else color


def _slug(name: str) -> str:
    slug = re.sub(r"\W+", "_", name.lower()).strip("_")
    return slug or "code"


class Codebook:
    """An ordered, validated collection of :class:`Code` objects (parents before or after children)."""

    def __init__(self, codes: Iterable[Code], name: str = "codebook", source: str = "<codebook>") -> None:
        self.name = name
        self.source = source
        self.codes: list[Code] = list(codes)
        self._by_id = self._validate()
        for code in self.codes:
            if not code.guid:
                code.guid = str(uuid.uuid5(GUID_NAMESPACE, self.path(code.id)))

    # -- validation ----------------------------------------------------------------------
    def _fail(self, code_id: str | None, message: str) -> CodebookError:
        return CodebookError(f"{self.source}: code '{code_id}': {message}" if code_id else f"{self.source}: {message}")

    def _validate(self) -> dict[str, Code]:
        by_id: dict[str, Code] = {}
        for i, code in enumerate(self.codes):
            if not code.id or not _ID.match(str(code.id)):
                raise self._fail(None, f"code #{i + 1} has a missing or invalid id {code.id!r} "
                                       "(letters, digits, _ . - only, no spaces)")
            if code.id in by_id:
                raise self._fail(code.id, "duplicate id")
            if not str(code.name or "").strip():
                raise self._fail(code.id, "missing name")
            if code.color:
                if not _COLOR.match(code.color):
                    raise self._fail(code.id, f"bad colour {code.color!r} (expected #RRGGBB)")
                code.color = _normalise_color(code.color)
            else:
                code.color = PALETTE[i % len(PALETTE)]
            if code.guid:
                match = _GUID.match(code.guid)
                if not match:
                    raise self._fail(code.id, f"bad guid {code.guid!r}")
                code.guid = match.group(1).lower()
            code.examples, code.patterns = _clean_list(code.examples), _clean_list(code.patterns)
            if any(";" in p for p in code.patterns):
                raise self._fail(code.id, "a pattern may not contain ';'")
            code.parent = code.parent or None
            by_id[code.id] = code
        for code in self.codes:
            if code.parent is not None and code.parent not in by_id:
                raise self._fail(code.id, f"unknown parent '{code.parent}'")
        for code in self.codes:
            seen, current = {code.id}, code.parent
            while current is not None:
                if current in seen:
                    raise self._fail(code.id, f"parent cycle through '{current}'")
                seen.add(current)
                current = by_id[current].parent
        return by_id

    # -- access --------------------------------------------------------------------------
    def __getitem__(self, code_id: str) -> Code:
        return self._by_id[code_id]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Codebook) and self.codes == other.codes

    def __repr__(self) -> str:
        return f"Codebook({self.name!r}, {len(self.codes)} codes, version {self.version})"

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def roots(self) -> list[Code]:
        """Top-level codes, in codebook order."""
        return [c for c in self.codes if c.parent is None]

    def children(self, code_id: str) -> list[Code]:
        """Direct children of ``code_id``, in codebook order."""
        return [c for c in self.codes if c.parent == code_id]

    def path(self, code_id: str) -> str:
        """``'grandparent/parent/child'`` path of ids."""
        parts, current = [], self._by_id[code_id]
        while True:
            parts.append(current.id)
            if current.parent is None:
                return "/".join(reversed(parts))
            current = self._by_id[current.parent]

    def walk(self) -> Iterator[tuple[int, Code]]:
        """Depth-first ``(depth, code)`` pairs: each root followed by its descendants."""
        def visit(code: Code, depth: int) -> Iterator[tuple[int, Code]]:
            yield depth, code
            for child in self.children(code.id):
                yield from visit(child, depth + 1)

        for root in self.roots():
            yield from visit(root, 0)

    @property
    def version(self) -> str:
        """Short hash of the codes' canonical content (all fields but GUIDs); changes when any definition does."""
        content = [{k: v for k, v in asdict(c).items() if k != "guid"} for c in self.codes]
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]

    # -- YAML / CSV ----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<codebook>") -> "Codebook":
        """Build from the YAML structure ``{name:, codes: [{id:, name:, ...}, ...]}``."""
        if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
            raise CodebookError(f"{source}: expected a mapping with a 'codes' list")
        known = {f.name for f in fields(Code)}
        codes = []
        for i, item in enumerate(data["codes"]):
            if not isinstance(item, dict):
                raise CodebookError(f"{source}: code #{i + 1} must be a mapping")
            where = f"{source}: code '{item.get('id')}'"
            unknown = sorted(set(item) - known)
            if unknown:
                raise CodebookError(f"{where}: unknown key(s) {', '.join(unknown)}")
            values: dict[str, Any] = {}
            for key, value in item.items():
                if key in ("examples", "patterns"):
                    value = [value] if isinstance(value, str) else value
                    if not isinstance(value, (list, type(None))):
                        raise CodebookError(f"{where}: '{key}' must be a list of strings")
                elif key == "codable":
                    if not isinstance(value, bool):
                        raise CodebookError(f"{where}: 'codable' must be true or false")
                elif isinstance(value, (dict, list)):
                    raise CodebookError(f"{where}: '{key}' must be text")
                else:
                    value = "" if value is None else str(value).strip()
                values[key] = value
            codes.append(Code(**{"name": "", **values}))
        return cls(codes, name=str(data.get("name") or "codebook"), source=source)

    @classmethod
    def load(cls, path: str | Path) -> "Codebook":
        """Load a ``.yml``/``.yaml``, ``.csv`` or ``.qdc`` codebook and validate it."""
        path = Path(path)
        if not path.exists():
            raise CodebookError(f"{path}: codebook file not found")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return cls.from_csv(path)
        if suffix == ".qdc":
            return cls.from_qdc(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise CodebookError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_csv(cls, path: str | Path) -> "Codebook":
        """Import a CSV with columns id,name,definition,include,exclude,examples,parent,color,patterns.

        ``examples`` and ``patterns`` are separated by ``|``; optional ``guid`` and ``codable`` columns.
        """
        path = Path(path)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in ("id", "name") if c not in header]
            if missing:
                raise CodebookError(f"{path}: missing column(s) {', '.join(missing)}")
            allowed = set(CSV_COLUMNS) | {"guid", "codable"}
            unknown = sorted(set(header) - allowed)
            if unknown:
                raise CodebookError(f"{path}: unknown column(s) {', '.join(unknown)}")
            codes = []
            for row in reader:
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                if not any(row.values()):
                    continue
                codable = row.pop("codable", "") or "true"
                if codable.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise CodebookError(f"{path}:{reader.line_num}: code '{row.get('id')}': bad codable {codable!r}")
                codes.append(Code(**{**row, "codable": codable.lower() in ("true", "1", "yes")}))
        return cls(codes, name=path.stem, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The YAML structure; empty fields, ``codable: true`` and path-derived GUIDs are left out."""
        codes = []
        for code in self.codes:
            item = {k: v for k, v in asdict(code).items() if k in ("id", "name") or v not in ("", None, [], True)}
            if item.get("guid") == str(uuid.uuid5(GUID_NAMESPACE, self.path(code.id))):
                del item["guid"]
            codes.append(item)
        return {"name": self.name, "codes": codes}

    def save_yaml(self, path: str | Path) -> None:
        """Write the codebook as YAML (atomically)."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        write_text(path, text)

    # -- REFI-QDA ------------------------------------------------------------------------
    def to_qdc(self, path: str | Path, origin: str = "cop-analysis") -> None:
        """Write a REFI-QDA ``.qdc`` codebook (valid against Codebook.xsd), atomically."""
        import xml.etree.ElementTree as ET

        ET.register_namespace("", QDC_NAMESPACE)
        root = ET.Element(f"{{{QDC_NAMESPACE}}}CodeBook", {"origin": origin})
        codes_to_xml(self, root, QDC_NAMESPACE)
        ET.indent(root)
        with atomic_path(path, suffix=".qdc") as tmp:
            ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)

    @classmethod
    def from_qdc(cls, path: str | Path) -> "Codebook":
        """Import a REFI-QDA ``.qdc`` codebook (hierarchy, descriptions, colours; GUIDs kept), named after
        the file: Codebook.xsd has no place for a codebook's name (``CodeBook`` has only ``origin``)."""
        import defusedxml.ElementTree as DET

        path = Path(path)
        try:
            root = DET.parse(str(path)).getroot()
        except Exception as exc:  # noqa: BLE001 - defusedxml/expat raise several types
            raise CodebookError(f"{path}: not a readable REFI-QDA codebook: {exc}") from exc
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if not root.tag.endswith("CodeBook"):
            raise CodebookError(f"{path}: root element is {root.tag!r}, expected CodeBook")
        return cls.from_xml_codes(root, namespace, name=path.stem, source=str(path))

    @classmethod
    def from_xml_codes(cls, element: Any, namespace: str, name: str = "codebook",
                       source: str = "<REFI codes>") -> "Codebook":
        """Read nested ``<Code>`` elements from a ``<CodeBook>`` or ``<Codes>`` element (ElementTree or lxml).

        Ids come from a ``Code ID:`` description section (our own exports) or are derived from the
        code name (made unique with a numeric suffix).
        """
        ns = f"{{{namespace}}}" if namespace else ""
        codes_el = element.find(f"{ns}Codes") if not str(element.tag).endswith("Codes") else element
        codes: list[Code] = []
        used: set[str] = set()

        def visit(el: Any, parent: str | None) -> None:
            cname = (el.get("name") or "").strip()
            desc_el = el.find(f"{ns}Description")
            info = parse_description(desc_el.text if desc_el is not None else "")
            base = info.pop("id", "") or _slug(cname)
            code_id, n = base, 2
            while code_id in used:
                code_id, n = f"{base}_{n}", n + 1
            used.add(code_id)
            codable = (el.get("isCodable") or "true").strip().lower() in ("true", "1")
            codes.append(Code(id=code_id, name=cname, parent=parent, color=el.get("color") or "",
                              guid=el.get("guid") or "", codable=codable, **info))
            for child in el.findall(f"{ns}Code"):
                visit(child, code_id)

        for top in (codes_el.findall(f"{ns}Code") if codes_el is not None else []):
            visit(top, None)
        return cls(codes, name=name, source=source)

    #: Alias named in docs/CONTRACTS.md.
    from_elements = from_xml_codes


def codes_to_xml(codebook: Codebook, parent_element: Any, namespace: str) -> Any:
    """Append ``<Codes>`` with nested ``<Code>`` elements to ``parent_element`` (ElementTree or lxml).

    Works for ``.qdc`` (``urn:QDA-XML:codebook:1.0``) and the ``<CodeBook>`` in ``project.qde``
    (``urn:QDA-XML:project:1.0``). Returns the ``<Codes>`` element.
    """
    ns = f"{{{namespace}}}" if namespace else ""

    def add(parent: Any, tag: str, attrib: dict[str, str] | None = None) -> Any:
        child = parent.makeelement(f"{ns}{tag}", attrib or {})
        parent.append(child)
        return child

    codes_el = add(parent_element, "Codes")

    def visit(parent: Any, code: Code) -> None:
        el = add(parent, "Code", {"guid": code.guid, "name": code.name,
                                  "isCodable": "true" if code.codable else "false", "color": code.color})
        add(el, "Description").text = code.description()
        for child in codebook.children(code.id):
            visit(el, child)

    for root in codebook.roots():
        visit(codes_el, root)
    return codes_el


def load_project_codebook(cfg: Any) -> Codebook:
    """The project's codebook: ``cfg.codebook``, else ``data/raw/codebook.yml``, else the starter codebook."""
    if cfg.codebook is not None:
        return Codebook.load(cfg.root / cfg.codebook)
    default = cfg.raw / "codebook.yml"
    return Codebook.load(default if default.exists() else STARTER_CODEBOOK)
