"""The ``cop-analysis`` command line. Each command is a thin call into the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="cop-analysis: qualitative analysis workbench for Communities of Practice.",
                  no_args_is_help=True, add_completion=False)

PROJECT = typer.Option(Path("."), "--project", "-p", help="Project root (the folder with project.yml).")


@app.callback()
def main() -> None:
    """Ingest transcripts and surveys, code them, find themes and render evaluation reports."""


@app.command("ingest")
def ingest_cmd(project: Path = PROJECT,
               quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars.")) -> None:
    """Read data/raw transcripts and surveys into data/processed segments (only changed files).

    Exit 0 even if some files fail (they are listed), 1 if no source was ingested, 2 if project.yml is invalid.
    """
    from cop_analysis.config import ConfigError, ProjectConfig
    from cop_analysis.ingest import ingest_project, print_report

    try:
        report = ingest_project(ProjectConfig.load(project), progress=not quiet)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    print_report(report)
    if report.failed:
        raise typer.Exit(1)


@app.command("themes")
def themes_cmd(project: Path = PROJECT,
               unguided: bool = typer.Option(False, "--unguided", help="Do not seed themes from the codebook."),
               force: bool = typer.Option(False, "--force", help="Refit even if the input is unchanged.")) -> None:
    """Fit themes for transcript turns and each survey question (reuses unchanged results)."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.themes import fit_project_themes

    typer.echo(fit_project_themes(ProjectConfig.load(project), guided=not unguided, force=force).summary())


@app.command("export-qdpx")
def export_qdpx_cmd(out: Path = typer.Argument(..., help="Archive to write (.qdpx)."), project: Path = PROJECT,
                    crlf: bool = typer.Option(False, "--crlf", help="CRLF line ends counted as two (MAXQDA).")) -> None:
    """Export sources, codebook, codings, cases and memos as a REFI-QDA project (.qdpx)."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.refi import export_qdpx

    warnings: list[str] = []
    typer.echo(f"Wrote {export_qdpx(ProjectConfig.load(project), out, crlf=crlf, warnings=warnings)}")
    for line in warnings:
        typer.echo(f"warning: {line}")


@app.command("import-qdpx")
def import_qdpx_cmd(file: Path = typer.Argument(..., help="REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, ..."),
                    target: Path = typer.Argument(..., help="New project folder to create.")) -> None:
    """Create a new project from a REFI-QDA .qdpx (sources, codebook, codings per coder, cases, memos)."""
    from cop_analysis.refi import RefiError, import_qdpx

    try:
        report = import_qdpx(file, target)
    except RefiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(report.summary())


@app.command("run")
def run_cmd(project: Path = PROJECT,
            audience: str = typer.Option("both", "--audience", "-a", help="internal | shareable | both"),
            output_dir: Path = typer.Option(None, "--output-dir", "-o", help="Publish here (default: reports/)."),
            wave: list[str] = typer.Option(None, "--wave", "-w", help="Only these waves (repeatable)."),
            seed: int = typer.Option(42, "--seed"),
            force: bool = typer.Option(False, "--force", help="Re-run every step even if its inputs are unchanged."),
            quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines.")) -> None:
    """Execute the notebooks with papermill and publish the HTML report(s).

    Exit 0 on success; 1 if a step failed; 2 for a bad config or option (an unknown --wave: nothing is
    published); 3 if another run holds the lock; 4 if the reports were published but some input files
    could not be read (each listed as FILE:LINE: message; the other inputs went through); 128 + the
    signal number (130 Ctrl-C, 143 SIGTERM) if the run was interrupted (nothing published). Warnings
    from reading the inputs (e.g. a transcript without speaker labels) are listed but do not change it.
    """
    from cop_analysis.config import ConfigError
    from cop_analysis.pipeline import EXIT_USAGE, RunLocked, format_input_error, run

    try:
        result = run(project, audience=audience, output_dir=output_dir, waves=wave or None, seed=seed,
                     progress=not quiet, force=force)
    except RunLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3) from None
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for error in result.input_errors:  # one line each, after the step lines
        typer.echo(format_input_error(error), err=True)
    for warning in result.input_warnings:
        typer.echo(f"warning: {warning['path']}: {warning['message']}", err=True)
    if not result.ok:
        if result.status == "interrupted":
            typer.echo(f"error: run {result.run_id} {result.error}; nothing was published, the last good "
                       f"report(s) were left in place (exit {result.exit_code})", err=True)
        elif result.exit_code == EXIT_USAGE:  # an unknown wave: one line
            typer.echo(f"error: {result.error.split(': ', 1)[-1] if result.error else 'bad option'}; "
                       f"nothing was published", err=True)
        else:
            typer.echo(f"error: run {result.run_id} failed: {result.error}\n  executed notebooks and errors: "
                       f"{result.run_dir}\n  the last good report(s) were left in place", err=True)
        raise typer.Exit(result.exit_code)
    if result.input_errors:
        from cop_analysis.report.pages import input_problems

        skipped, partly = input_problems({"input_errors": result.input_errors})
        files = lambda n: f"{n} input file{'s' if n > 1 else ''}"  # noqa: E731
        parts = [f"{files(len(skipped))} could not be read"] if skipped else []
        parts += [f"{len(partly) if skipped else files(len(partly))} had bad rows left out"] if partly else []
        typer.echo(f"warning: {' and '.join(parts)} (listed above); the reports use the rest of the inputs "
                   f"(exit {result.exit_code})", err=True)
    for which, path in result.reports.items():
        typer.echo(f"{which} report: {path}")
    typer.echo(f"run details: {result.run_dir}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


codebook_app = typer.Typer(help="Validate, export and import codebooks (YAML, CSV, REFI-QDA .qdc).", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")


def _codebook_or_exit(path: Path | None, project: Path) -> Any:
    """The codebook at ``path`` (or the project's); exit 1 with a one-line error if invalid."""
    from cop_analysis.codebook import Codebook, CodebookError, load_project_codebook
    from cop_analysis.config import ConfigError, ProjectConfig

    try:
        return Codebook.load(path) if path is not None else load_project_codebook(ProjectConfig.load(project))
    except (CodebookError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@codebook_app.command("validate")
def codebook_validate_cmd(path: Path = typer.Argument(None, help="Codebook file (default: the project's)."),
                          project: Path = PROJECT) -> None:
    """Check a codebook (.yml, .csv or .qdc); exit 1 with a one-line error naming file and code."""
    cb = _codebook_or_exit(path, project)
    n_codable = sum(c.codable for c in cb.codes)
    typer.echo(f"OK: {len(cb)} codes ({n_codable} codable), version {cb.version}")


@codebook_app.command("export-qdc")
def codebook_export_cmd(out: Path = typer.Argument(..., help="REFI-QDA codebook to write (.qdc)."),
                        path: Path = typer.Option(None, "--codebook", help="Codebook file (default: the project's)."),
                        project: Path = PROJECT) -> None:
    """Export the codebook as REFI-QDA .qdc (NVivo, ATLAS.ti, MAXQDA)."""
    cb = _codebook_or_exit(path, project)
    cb.to_qdc(out)
    typer.echo(f"Wrote {out} ({len(cb)} codes)")


@codebook_app.command("import-qdc")
def codebook_import_cmd(file: Path = typer.Argument(..., help="REFI-QDA codebook (.qdc) from another tool."),
                        out: Path = typer.Argument(..., help="YAML codebook to write.")) -> None:
    """Convert a REFI-QDA .qdc codebook to this project's YAML format."""
    cb = _codebook_or_exit(file, Path("."))
    cb.save_yaml(out)
    typer.echo(f"Wrote {out} ({len(cb)} codes, version {cb.version})")


@app.command("agreement")
def agreement_cmd(project: Path = PROJECT,
                  coder: list[str] = typer.Option(None, "--coder", "-c", help=(
                      "Coders to compare: -c ana -c ben, or -c ana,ben (default: as the workbench's Compare "
                      "coders, the largest group sharing enough segments).")),
                  disagreements: bool = typer.Option(False, "--disagreements", "-d", help="Also list them.")) -> None:
    """Intercoder agreement per code (percent, Cohen's kappa, Krippendorff's alpha) from the ledger."""
    from rich.console import Console
    from rich.table import Table

    from cop_analysis.agreement import CONSENSUS, format_number, ledger_agreement
    from cop_analysis.compare import coders_seen, sharing_group
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ledger import Ledger

    cb = _codebook_or_exit(None, project)  # exits with a one-line error if project.yml or the codebook is bad
    cfg = ProjectConfig.load(project)
    with Ledger(cfg.ledger_path) as ledger:
        known = ledger.coders()
        # "-c ana,ben" is two coders, unless the whole value is one coder's name ("Smith, J")
        chosen = list(dict.fromkeys(name.strip() for given in coder or []
                                    for name in ([given] if given in known else given.split(",")) if name.strip()))
        unknown = [c for c in chosen if c not in known]
        if unknown:
            typer.echo(f"error: no coder named {', '.join(map(repr, unknown))} in the ledger "
                       f"(coders: {', '.join(known) or 'none yet'})", err=True)
            raise typer.Exit(1)
        if not chosen:
            seen = coders_seen(ledger)
            humans = [c for c in seen if c != CONSENSUS]
            chosen = sharing_group(humans, seen)
            if len(chosen) < len(humans):
                typer.echo(f"Comparing {', '.join(chosen)}, the coders who share most segments; not compared: "
                           f"{', '.join(c for c in humans if c not in chosen)} (choose with -c).")
        try:
            extra = sorted(set(ledger.codings()["code_id"]) - set(cb.ids))  # codes no longer in the codebook
            result = ledger_agreement(ledger, coders=chosen or None,
                                      codes=[c.id for c in cb.codes if c.codable] + extra)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    table = Table(title=result.summary())
    for name in ("code", "segments", "applied", "% agree", "kappa", "alpha", "note"):
        table.add_column(name, justify="left" if name in ("code", "note") else "right")
    for r in result.per_code.itertuples(index=False):
        table.add_row(r.code_id, str(r.n_segments), str(r.n_applied), format_number(r.percent_agreement),
                      format_number(r.cohen_kappa), format_number(r.krippendorff_alpha), r.note)
    console = Console(width=140)
    console.print(table)
    if disagreements:
        console.print(disagreement_table(cfg, result.disagreements, {c.id: c.name for c in cb.codes}))


def disagreement_table(cfg: Any, disagreements: Any, names: dict[str, str], excerpt: int = 70) -> Any:
    """The disagreements as a table a coder can act on: where (source, speaker or respondent), code,
    who applied it and who did not, the start of the text, and the segment id (for the workbench)."""
    from rich.table import Table

    from cop_analysis.ingest import load_segments, load_sources
    from cop_analysis.workbench.markup import respondent_label, short_text

    table = Table(title=f"{len(disagreements)} disagreements (adjudicate in the workbench's Compare coders)")
    for name in ("source", "who", "code", "applied by", "not by", "text", "segment"):
        table.add_column(name, overflow="fold")
    segments = load_segments(cfg).set_index("segment_id") if (cfg.processed / "segments.parquet").exists() else None
    titles = load_sources(cfg).set_index("source_id")["title"] if segments is not None else None
    for r in disagreements.itertuples(index=False):
        row = segments.loc[r.segment_id] if segments is not None and r.segment_id in segments.index else None
        source = "" if row is None else str(titles.get(row["source_id"], row["source_id"]))
        who = "" if row is None else str(row["speaker"] if isinstance(row["speaker"], str) else
                                         respondent_label(row["respondent_id"]) if isinstance(row["respondent_id"], str)
                                         else "")
        text = "" if row is None else short_text(str(row["text"]), excerpt)
        table.add_row(source, who, names.get(r.code_id, r.code_id), r.applied_by, r.not_applied_by, text,
                      r.segment_id)
    return table


@app.command("export-codings")
def export_codings_cmd(out: Path = typer.Argument(..., help="File to write: .csv or .xlsx."),
                       project: Path = PROJECT) -> None:
    """Export all codings with segment text, source and speaker (formula-safe CSV/XLSX)."""
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ledger import Ledger, LedgerError

    cb = _codebook_or_exit(None, project)
    cfg = ProjectConfig.load(project)
    segments = None
    if (cfg.processed / "segments.parquet").exists():
        import pandas as pd

        segments = pd.read_parquet(cfg.processed / "segments.parquet")
    with Ledger(cfg.ledger_path) as ledger:
        try:
            ledger.export_codings(out, segments=segments, codebook=cb)
        except LedgerError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"Wrote {out} ({len(ledger.codings())} codings)")


@app.command("import-codings")
def import_codings_cmd(file: Path = typer.Argument(..., help="Codings to import: .csv or .xlsx, one row per coding."),
                       project: Path = PROJECT,
                       coder: str = typer.Option(None, "--coder", "-c", help="Coder of rows with no coder.")) -> None:
    """Import human codings from a spreadsheet into the ledger (once per file; never changes existing codings).

    Exit 0 if every row went in (or the file was imported before), 1 if some rows failed (the others are
    imported; each failure is listed with file and row), 2 if the file or project cannot be read at all.
    """
    from cop_analysis.codebook import CodebookError
    from cop_analysis.coding_import import CodingImportError, import_codings
    from cop_analysis.config import ConfigError, ProjectConfig

    try:
        result = import_codings(ProjectConfig.load(project), file, coder=coder)
    except (CodingImportError, ConfigError, CodebookError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    typer.echo(result.summary())
    if result.errors:
        raise typer.Exit(1)


@app.command("suggest")
def suggest_cmd(project: Path = PROJECT,
                coder: str = typer.Option(None, "--coder", "-c", help="Learn from this coder only (default: all)."),
                threshold: float = typer.Option(0.5, help="Store suggestions scoring at least this (0-1)."),
                fine_tune: bool = typer.Option(None, "--fine-tune/--no-fine-tune", help=(
                    "Fine-tune the embedding model on the human codes first (minutes on CPU; "
                    "default: project.yml autocode.fine_tune, off)."))) -> None:
    """Machine code suggestions (rules, definitions, learned) for all coding units, stored in the ledger."""
    from rich.console import Console

    from cop_analysis.autocode import load_metrics, suggest_project
    from cop_analysis.autocode.project import fine_tune_enabled
    from cop_analysis.config import ConfigError, ProjectConfig

    _codebook_or_exit(None, project)
    cfg = ProjectConfig.load(project)
    try:
        fine_tune = fine_tune_enabled(cfg) if fine_tune is None else fine_tune
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    console = Console(width=140)
    busy = "fine-tuning the embedding model on the human codes (minutes), then " if fine_tune else ""
    with console.status(f"{busy}fitting suggesters and scoring coding units (first run embeds all text)..."):
        result = suggest_project(cfg, coder=coder, threshold=threshold, progress=True, fine_tune=fine_tune)
    console.print(suggestion_table(result, load_metrics(cfg), _codebook_or_exit(None, project), threshold))
    if fine_tune:
        console.print("(cross-validated figures are optimistic with --fine-tune: the fine-tuned model saw every label;"
                      " see docs/autocode.md)")
    console.print(f"{len(result)} suggestions for {result['segment_id'].nunique()} units; "
                  f"{result.attrs['stored']} new, changed or withdrawn in the ledger")


def suggestion_table(result: Any, metrics: Any, codebook: Any, threshold: float) -> Any:
    """Per code: suggestions (and the suggesters behind them), and how the part learned from human codes
    did in cross-validation."""
    from rich.table import Table

    from cop_analysis.agreement import format_number

    learned = metrics.set_index("code_id") if len(metrics) else None
    table = Table(title=f"Suggestions scoring >= {threshold:g} per code (stored for coders to accept or reject)")
    for name in ("code", "suggested", "from", "human examples", "CV precision", "CV recall", "CV kappa", "note"):
        table.add_column(name, justify="left" if name in ("code", "from", "note") else "right")
    for code in (c for c in codebook.codes if c.codable):
        mine = result[result["code_id"] == code.id]
        parts = ", ".join(f"{method} {n}" for method, n in mine["method"].value_counts().items())
        row = learned.loc[code.id] if learned is not None and code.id in learned.index else None
        trained = row is not None and bool(row["trained"])
        note = "" if row is None else \
            "too few human examples to learn" if not trained else \
            "learned part never suggested it in CV" if row["cv_precision"] != row["cv_precision"] else \
            "learned part no better than chance" if row["cv_kappa"] <= 0 else ""
        table.add_row(code.name, str(len(mine)), parts, "-" if row is None else str(int(row["n_positive"])),
                      *(format_number(row[c], ".2f") if trained else "-"
                        for c in ("cv_precision", "cv_recall", "cv_kappa")), note)
    return table

if __name__ == "__main__":
    app()
