"""Shared fixtures: the bundled sample project copied to a temporary directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Debian chromium, headless, kept off the (closed) network; never a downloaded browser.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A fresh copy of the bundled sample project (project.yml + data/raw) in tmp_path."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "project.yml", root / "project.yml")
    return root


def without_plotlyjs(html: str) -> str:
    """A report's HTML without the plotly.js it inlines (the cartesian or the full build): its code holds any word."""
    from importlib import resources

    import plotly.offline

    from cop_analysis.report.pages import CARTESIAN_BUNDLE

    cartesian = (resources.files("cop_analysis") / "resources" / CARTESIAN_BUNDLE).read_text(encoding="utf-8")
    return html.replace(cartesian, "").replace(plotly.offline.get_plotlyjs(), "")
