"""Defensive reading of untrusted .qdpx archives: member names, sizes, ratios and XML.

Nothing is ever extracted to disk: members are inflated into memory with hard limits that are
checked against the zip headers first and again while streaming the real decompressed bytes.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any


class RefiError(ValueError):
    """A .qdpx/.qde file is unreadable or refused; the message is one line naming the file."""


@dataclass(frozen=True)
class Limits:
    """Hard limits for untrusted archives."""

    max_members: int = 10_000
    max_total_bytes: int = 1 << 30  # 1 GiB uncompressed in all
    max_member_bytes: int = 512 << 20
    max_ratio: float = 200.0  # uncompressed / compressed, for members above ratio_floor
    ratio_floor: int = 1 << 20


def _check_name(name: str) -> None:
    """Refuse absolute paths, drive letters, parent references and NULs in a member name."""
    norm = name.replace("\\", "/")
    if "\x00" in norm or norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        raise RefiError(f"absolute member path {name!r} refused")
    if ".." in PurePosixPath(norm).parts:
        raise RefiError(f"member path {name!r} escapes the archive (zip-slip) and was refused")


class SafeArchive:
    """A read-only view of a zip archive that enforces :class:`Limits` on every read."""

    def __init__(self, path: str | Path, limits: Limits = Limits()) -> None:
        self.path = Path(path)
        self.limits = limits
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise RefiError(f"{self.path}: not a readable zip archive ({exc})") from exc
        try:
            self._infos = self._check_headers()
        except RefiError as exc:
            self._zip.close()
            raise RefiError(f"{self.path}: {exc}") from None

    def _check_headers(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        lim = self.limits
        if len(infos) > lim.max_members:
            raise RefiError(f"{len(infos)} members exceed the limit of {lim.max_members} (zip bomb?)")
        total = 0
        out: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            _check_name(info.filename)
            if info.flag_bits & 0x1:
                raise RefiError(f"member {info.filename!r} is encrypted")
            if info.file_size > lim.max_member_bytes:
                raise RefiError(f"member {info.filename!r} declares {info.file_size} bytes, over the "
                                f"{lim.max_member_bytes}-byte limit (zip bomb?)")
            if info.file_size > lim.ratio_floor and info.file_size > lim.max_ratio * max(info.compress_size, 1):
                raise RefiError(f"member {info.filename!r} has compression ratio "
                                f"{info.file_size / max(info.compress_size, 1):.0f}:1, over {lim.max_ratio:.0f}:1 (zip bomb?)")
            total += info.file_size
            if total > lim.max_total_bytes:
                raise RefiError(f"uncompressed size exceeds the {lim.max_total_bytes}-byte limit (zip bomb?)")
            if info.filename in out:
                raise RefiError(f"duplicate member {info.filename!r}")
            if not info.is_dir():
                out[info.filename] = info
        return out

    def __enter__(self) -> "SafeArchive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def find(self, name: str) -> str | None:
        """The member named ``name`` (exact, else case-insensitive, ``\\`` as ``/``), or None."""
        if name in self._infos:
            return name
        key = name.replace("\\", "/").lower()
        return next((n for n in self._infos if n.replace("\\", "/").lower() == key), None)

    def find_basename(self, basename: str) -> str | None:
        """The single member whose file name (any folder) equals ``basename``, case-insensitively."""
        hits = [n for n in self._infos if PurePosixPath(n.replace("\\", "/")).name.lower() == basename.lower()]
        return hits[0] if len(hits) == 1 else None

    def read(self, name: str) -> bytes:
        """Inflate one member into memory, enforcing the limits on the real decompressed bytes."""
        info = self._infos[name]
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RefiError(f"{self.path}: member {name!r} uses unsupported compression {info.compress_type}")
        fp = self._zip.fp
        assert fp is not None
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RefiError(f"{self.path}: member {name!r} has a corrupt local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        budget = min(info.file_size, self.limits.max_total_bytes - self._read_total)
        inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        out = bytearray()
        remaining = info.compress_size
        while remaining > 0:
            chunk = fp.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
            data = inflate.decompress(chunk, budget + 1 - len(out)) if inflate else chunk
            out += data
            if len(out) > budget or (inflate is not None and inflate.unconsumed_tail):
                raise RefiError(f"{self.path}: member {name!r} inflates beyond its declared size or the "
                                f"size limit (zip bomb?)")
        if inflate is not None:
            out += inflate.flush()
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise RefiError(f"{self.path}: member {name!r} is corrupt (size or CRC mismatch)")
        self._read_total += len(out)
        return bytes(out)


def parse_xml(data: bytes, where: str) -> Any:
    """Parse untrusted XML with defusedxml: any DTD, entity or external reference is refused."""
    import xml.etree.ElementTree as ET

    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise RefiError(f"{where}: XML declares a DTD (refused: possible entity expansion or external entity attack)") from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise RefiError(f"{where}: XML uses entities or external references (refused): {exc}") from None
    except ET.ParseError as exc:
        raise RefiError(f"{where}: not well-formed XML ({exc})") from None
