"""Packaging checks: environment.yml and pyproject.toml list the same runtime packages."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from conftest import REPO


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _environment_names() -> set[str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    names: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(d) for d in dep["pip"]}
        elif _name(dep) not in ("python", "pip"):
            names.add(_name(dep))
    return names


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pyproject_names = {_name(d) for d in project["dependencies"]}
    env_names = _environment_names()
    assert pyproject_names - env_names == set(), "in pyproject.toml but not environment.yml"
    assert env_names - pyproject_names == set(), "in environment.yml but not pyproject.toml"


def test_torch_is_pinned_to_the_local_cpu_build() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]


def test_importing_the_package_is_cheap() -> None:
    code = ("import sys, cop_analysis, cop_analysis.cli, cop_analysis.config, cop_analysis.schema, "
            "cop_analysis.models, cop_analysis.embeddings; "
            "print(sorted(m for m in ('torch','spacy','bertopic','sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help() -> None:
    out = subprocess.run([sys.executable, "-m", "cop_analysis.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_schema_doc_is_generated_from_the_code() -> None:
    from cop_analysis.schema import markdown

    assert (REPO / "docs" / "SCHEMAS.md").read_text(encoding="utf-8") == markdown() + "\n", \
        "docs/SCHEMAS.md is stale: run .venv/bin/python -m cop_analysis.schema > docs/SCHEMAS.md"
