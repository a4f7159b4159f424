"""Time the workbench's "Most informative next" (``next_informative_segments``) on the sample project.

Copies the sample project to a temp dir, ingests it, codes 60 random units with 2 codes each
(coder ``ana``), embeds once, then times in this one process (as a workbench kernel would):

* ``cold``: the first click (loads spaCy, matches all units, loads the cached embeddings);
* ``after coding``: a click after one more human code (refits the classifiers);
* ``repeat``: the same click again (nothing changed);
* baseline ``uncached``: a click after emptying the in-memory caches (what every click cost
  before they existed, minus the faster solver).

    .venv/bin/python benchmarks/informative.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cop_analysis.autocode import next_informative_segments, project  # noqa: E402
from cop_analysis.autocode.project import coding_units  # noqa: E402
from cop_analysis.codebook import load_project_codebook  # noqa: E402
from cop_analysis.config import ProjectConfig  # noqa: E402
from cop_analysis.embeddings import EmbeddingCache  # noqa: E402
from cop_analysis.ingest import ingest_project  # noqa: E402
from cop_analysis.ledger import Ledger  # noqa: E402


def clock(cfg: ProjectConfig) -> tuple[float, str]:
    t0 = time.perf_counter()
    picked = next_informative_segments(cfg, "ana", 1)
    return time.perf_counter() - t0, picked[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample"
        root.mkdir()
        shutil.copy(REPO / "project.yml", root)
        shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
        cfg = ProjectConfig.load(root)
        ingest_project(cfg)
        _, units = coding_units(cfg)
        EmbeddingCache(cfg.embeddings_dir).encode(units["text"].tolist())
        codes = [c.id for c in load_project_codebook(cfg).codes if c.codable]
        rng = np.random.default_rng(0)
        with Ledger(cfg.ledger_path) as ledger:
            for sid in units["segment_id"].sample(60, random_state=0):
                for code in rng.choice(codes, 2, replace=False):
                    ledger.code(sid, str(code), "ana")
        cold, picked = clock(cfg)
        with Ledger(cfg.ledger_path) as ledger:
            ledger.code(picked, codes[0], "ana")
        after, _ = clock(cfg)
        repeat, _ = clock(cfg)
        with Ledger(cfg.ledger_path) as ledger:
            n_codes = len(ledger.codings("ana"))
        project._UNITS.clear()
        project._UNCERTAINTY.clear()
        project._RULES.key_ = None  # forget compiled patterns and the spaCy matches
        uncached, _ = clock(cfg)
    print(f"sample project: {len(units)} units, {len(codes)} codes, {n_codes} human codes by one coder")
    print(f"| click | seconds | vs uncached |\n| --- | --- | --- |\n| baseline: uncached | {uncached:.2f} | 1.00 |")
    for name, seconds in (("cold (first in a kernel)", cold), ("after coding one more unit", after),
                          ("repeat (nothing changed)", repeat)):
        print(f"| {name} | {seconds:.2f} | {seconds / uncached:.3f} |")


if __name__ == "__main__":
    main()
