"""Writing the reports: ``build_reports`` is what the ``04_report`` notebook calls.

It loads the project's ``ReportData`` once, builds the internal page and/or the shareable page
(de-identified with :class:`cop_analysis.deidentify.Deidentifier`, whose pseudonym key it saves to
``data/processed/``) and writes each atomically to ``REPORT_FILES[audience]`` in the output
directory (default: the project's reports dir).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import write_text
from .data import load_report_data
from .pages import Page, internal_page, shareable_page
from .shareable import deidentify_data, shareable_title

REPORT_FILES = {"internal": "evaluation_report.html", "shareable": "lessons_learned.html"}


@dataclass
class BuiltReport:
    path: Path
    page: Page


def build_reports(project_dir: str | Path, audience: str = "internal", output_dir: str | Path | None = None,
                  waves: list[str] | None = None, manifest: dict[str, Any] | None = None) -> dict[str, BuiltReport]:
    """Write ``evaluation_report.html`` and/or ``lessons_learned.html`` to ``output_dir``
    (default: the project's reports dir); return {audience: BuiltReport(path, page)}. ``audience``: internal,
    shareable or both. The shareable run also saves the pseudonym key to ``data/processed/``. Raises
    ``ValueError`` when ``waves`` are given but no coding unit is in them."""
    from ..config import ProjectConfig
    from ..deidentify import Deidentifier
    from ..models import load_spacy

    cfg = ProjectConfig.load(project_dir)
    out = Path(output_dir) if output_dir else cfg.reports
    audiences = ["internal", "shareable"] if audience == "both" else [audience]
    unknown = set(audiences) - set(REPORT_FILES)
    if unknown:
        raise ValueError(f"unknown audience {audience!r}: use internal, shareable or both")
    title = shareable_title(cfg)
    data = load_report_data(cfg, waves=waves)
    if waves and not len(data.units):  # a report of nothing must not replace a real one
        known = sorted({str(w) for w in data.sources.get("wave", pd.Series(dtype=object)).dropna()})
        raise ValueError(f"no coding units in wave(s) {', '.join(map(str, waves))}: the sources have "
                         f"waves {', '.join(known) or '(none)'}")
    written: dict[str, BuiltReport] = {}
    for which in audiences:
        if which == "internal":
            page = internal_page(data, manifest)
        else:
            deid = Deidentifier.for_project(cfg, data.units, load_nlp=load_spacy)
            page = shareable_page(deidentify_data(data, deid, title), manifest)
            deid.save_key(cfg.processed)
        meta = [("Generated", dt.datetime.now().strftime("%Y-%m-%d %H:%M")), ("Figures", str(len(page.figures)))]
        path = out / REPORT_FILES[which]
        write_text(path, page.render(meta))
        written[which] = BuiltReport(path, page)
    return written
