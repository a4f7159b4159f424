"""Shared REFI-QDA constants and helpers: namespace, stable GUIDs, GUID normalisation."""

from __future__ import annotations

import re
import uuid

NS = "urn:QDA-XML:project:1.0"
#: Fixed namespace for the uuid5 GUIDs of exported users, sources, selections, cases, notes.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cop-analysis/refi")
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def q(tag: str) -> str:
    """``tag`` qualified with the REFI project namespace."""
    return f"{{{NS}}}{tag}"


def stable_guid(*key: object) -> str:
    """A GUID that is the same in every export for the same key."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(map(str, key))))


def norm_guid(value: str | None) -> str:
    """Lower-case GUID without ``{}`` (ATLAS.ti/MAXQDA wrap them); '' if missing or malformed."""
    match = _GUID.match((value or "").strip())
    return match.group(1).lower() if match else ""


ROLES_MARKER = "cop-analysis speaker roles v1"  # a transcript's Description we export: its speakers' roles, as JSON
