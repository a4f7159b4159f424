"""The ``cop-analysis`` command line. Each command is a thin call into the package."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="cop-analysis: qualitative analysis workbench for Communities of Practice.",
                  no_args_is_help=True, add_completion=False)

PROJECT = typer.Option(Path("."), "--project", "-p", help="Project root (the folder with project.yml).")


@app.callback()
def main() -> None:
    """Ingest transcripts and surveys, code them, find themes and render evaluation reports."""


if __name__ == "__main__":
    app()
