"""Decode raw bytes and normalise text once: NFC, LF line ends, no BOM.

Decoding order: a BOM (UTF-8, UTF-16 LE/BE), BOM-less UTF-16 (NUL-byte pattern), UTF-8.
Bytes that are not valid UTF-8 are decoded one by one as cp1252 (``utf-8+cp1252``), so a
file that mixes UTF-8 with a few Windows-encoded characters still reads correctly; the
caller reports that as a warning. NUL bytes or many control characters mean binary input.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}


class DecodeError(ValueError):
    """Bytes that are not text; ``offset`` is the byte offset of the first offending byte."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    fallback_bytes: int = 0  # bytes decoded as cp1252 because they were not valid UTF-8


def _cp1252(chunk: bytes) -> str:
    return "".join(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in chunk)


def _utf8_with_cp1252_fallback(body: bytes) -> tuple[str, str, int]:
    """Decode UTF-8; runs of invalid bytes are decoded as cp1252. Returns text, encoding, n fallback bytes."""
    view, parts, pos, bad, utf8_multibyte = memoryview(body), [], 0, 0, False
    while pos < len(body):
        try:
            part, _ = codecs.utf_8_decode(view[pos:], "strict", True)
            parts.append(part)
            utf8_multibyte |= not part.isascii()
            break
        except UnicodeDecodeError as exc:
            part = bytes(view[pos:pos + exc.start]).decode("utf-8")
            utf8_multibyte |= not part.isascii()
            parts += [part, _cp1252(body[pos + exc.start:pos + exc.end])]
            bad += exc.end - exc.start
            pos += exc.end
    encoding = "utf-8" if not bad else ("utf-8+cp1252" if utf8_multibyte else "cp1252")
    return "".join(parts), encoding, bad


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes) -> Decoded:
    """Decode file bytes to ``str`` (not yet normalised); raise :class:`DecodeError` for binary data."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = _utf16_without_bom(data) or "utf-8", data
    fallback = 0
    if encoding.startswith("utf-16"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid {encoding.upper()} data at byte {exc.start}", exc.start) from None
    else:
        nul = body.find(b"\0")
        if nul >= 0:
            raise DecodeError(f"binary data (NUL byte at offset {nul}), not a text file", nul)
        text, detected, fallback = _utf8_with_cp1252_fallback(body)
        encoding = encoding if detected == "utf-8" else detected
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, 0.01 * min(len(text), 65536)):
        raise DecodeError(f"binary data ({controls} control characters in the first 64 KiB), not a text file")
    return Decoded(text, encoding, fallback)


def normalize(text: str) -> str:
    """NFC, LF line ends, BOM and NUL removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\0", "")
    return unicodedata.normalize("NFC", text)


def decode_normalized(data: bytes) -> Decoded:
    """:func:`decode` then :func:`normalize`."""
    decoded = decode(data)
    return Decoded(normalize(decoded.text), decoded.encoding, decoded.fallback_bytes)


def natural_key(label: str) -> list[str | int]:
    """Sort key that orders numbers inside labels by value: 'wave 2' before 'wave 10'."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", label)]
