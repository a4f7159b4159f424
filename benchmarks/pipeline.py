"""Time the scheduled pipeline cold and warm, with peak memory, against baselines from the same run.

Datasets: the bundled sample project, and 10k open-ended survey answers
(``../shared/datasets/nhs-patient-feedback.csv`` turned into a plain-CSV survey project in a temp
dir: ``feedback`` is the open-ended question, ``organization``/``question`` are attributes).

For each dataset: ``cold`` = fresh copy, empty caches (``run(..., audience="both")``);
``warm`` = the same run again with unchanged inputs. Baselines measured in the same run:
``direct`` = the same four steps called in one fresh Python process without papermill (what
the notebooks cost on top), and ``floor`` = four empty parameterised notebooks through papermill
+ nbconvert (the kernel-start overhead no run can avoid). Peak memory is the largest summed RSS
of this process and all its children (kernels), sampled every 0.1 s.

    .venv/bin/python benchmarks/pipeline.py [--only sample|nhs] [--rows 10000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
NHS = REPO.parent / "shared" / "datasets" / "nhs-patient-feedback.csv"
TARGETS = {"nhs": {"cold": 60.0, "warm": 10.0}}
DIRECT = """
import sys, time, json
from cop_analysis.config import ProjectConfig
from cop_analysis.ingest import ingest_project
from cop_analysis.autocode import suggest_project
from cop_analysis.themes import fit_project_themes
from cop_analysis.report import build_reports
cfg = ProjectConfig.load(sys.argv[1]); out = {}
for name, call in [("01_ingest", lambda: ingest_project(cfg)), ("02_suggest", lambda: suggest_project(cfg)),
                   ("03_themes", lambda: fit_project_themes(cfg)),
                   ("04_report", lambda: build_reports(sys.argv[1], audience="both", output_dir=sys.argv[2]))]:
    t = time.perf_counter(); call(); out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


class PeakRSS:
    """Sample the summed RSS of this process and its descendants in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sample_project(root: Path) -> Path:
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "project.yml", root / "project.yml")
    return root


def nhs_project(root: Path, rows: int) -> Path:
    """A plain-CSV survey project with ``rows`` answers of the NHS patient-feedback dataset."""
    frame = pd.read_csv(NHS).dropna(subset=["feedback"]).head(rows)
    raw = root / "data" / "raw"
    (raw / "surveys").mkdir(parents=True)
    frame[["row_index", "feedback", "organization", "question"]].to_csv(raw / "surveys" / "nhs.csv", index=False)
    shutil.copy(REPO / "data" / "raw" / "codebook.yml", raw / "codebook.yml")
    config = {"name": f"NHS patient feedback ({len(frame)} answers)", "codebook": "data/raw/codebook.yml",
              "surveys": [{"path": "surveys/nhs.csv", "wave": "1", "layout": "plain", "respondent_id": "row_index",
                           "open_ended": ["feedback"],
                           "attributes": {"organization": "organization", "question": "question"}}]}
    (root / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


def timed_run(project: Path) -> dict[str, Any]:
    from cop_analysis.pipeline import run

    with PeakRSS() as rss:
        start = time.perf_counter()
        result = run(project, audience="both", progress=False)
        total = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"pipeline failed on {project}: {result.error} (see {result.run_dir})")
    steps = {s.name: (s.seconds if s.status == "ok" else s.status) for s in result.steps}
    return {"total": total, "peak_mb": rss.peak / 2**20, "steps": steps}


def direct_run(project: Path) -> dict[str, Any]:
    with PeakRSS() as rss, tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", DIRECT, str(project), out], capture_output=True, text=True)
        total = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"direct baseline failed: {proc.stderr[-2000:]}")
    return {"total": total, "peak_mb": rss.peak / 2**20, "steps": json.loads(proc.stdout.strip().splitlines()[-1])}


def floor_run(tmp: Path) -> dict[str, Any]:
    """Four empty parameterised notebooks through the real pipeline (kernel start + nbconvert)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from cop_analysis.pipeline import STEPS

    root = tmp / "floor"
    (root / "notebooks").mkdir(parents=True)
    (root / "project.yml").write_text("name: floor\n")
    for step in STEPS:
        cell = new_code_cell('project_dir = "."\nwaves = None\naudience = "internal"\noutput_dir = None\nseed = 42')
        cell.metadata["tags"] = ["parameters"]
        code = "from pathlib import Path\n" + ("" if step != "04_report" else "".join(
            f"Path(output_dir, '{n}').write_text('x')\n" for n in ("evaluation_report.html", "lessons_learned.html")))
        nb = new_notebook(cells=[cell, new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "notebooks" / f"{step}.ipynb")
    return timed_run(root)


def show(label: str, rows: dict[str, dict[str, Any]]) -> None:
    steps = ["01_ingest", "02_suggest", "03_themes", "04_report"]
    print(f"\n== {label}")
    print(f"{'run':<14}" + "".join(f"{s:>12}" for s in steps) + f"{'total s':>10}{'peak MB':>10}")
    for name, row in rows.items():
        cells = []
        for step in steps:
            value = row["steps"].get(step, "-")
            cells.append(f"{value:>12.1f}" if isinstance(value, float) else f"{value:>12}")
        print(f"{name:<14}" + "".join(cells) + f"{row['total']:>10.1f}{row['peak_mb']:>10.0f}")
    if "direct" in rows:
        print(f"cold / direct (papermill overhead): {rows['cold']['total'] / rows['direct']['total']:.2f}x;"
              f" warm / cold: {rows['warm']['total'] / rows['cold']['total']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sample", "nhs"])
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        floor = floor_run(tmp)
        show("floor: 4 empty notebooks (kernel start + nbconvert)", {"floor": floor})
        datasets = {"sample": lambda root: sample_project(root), "nhs": lambda root: nhs_project(root, args.rows)}
        for name, make in datasets.items():
            if args.only and args.only != name:
                continue
            direct = direct_run(make(tmp / f"{name}-direct"))
            project = make(tmp / name)
            cold = timed_run(project)
            warm = timed_run(project)
            show(f"{name}", {"direct": direct, "cold": cold, "warm": warm})
            for kind, limit in TARGETS.get(name, {}).items():
                took = (cold if kind == "cold" else warm)["total"]
                print(f"target {kind} <= {limit:.0f} s: {took:.1f} s {'OK' if took <= limit else 'MISSED'}")


if __name__ == "__main__":
    main()
