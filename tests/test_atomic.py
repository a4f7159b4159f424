"""Atomic writes leave either the old file or the new one, with normal permissions."""

from __future__ import annotations

import os

import pytest

from cop_analysis.atomic import atomic_open, write_text


def test_failed_write_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "report.html"
    write_text(target, "good")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_written_file_has_umask_permissions(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
