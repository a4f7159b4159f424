"""Project config parsing and its errors."""

from __future__ import annotations

import pytest

from cop_analysis.config import ConfigError, ProjectConfig


def test_minimal_config(tmp_path) -> None:
    (tmp_path / "project.yml").write_text("name: X\ntranscripts:\n  - path: t/*.txt\n    wave: 2023\n")
    (tmp_path / "data/raw/t").mkdir(parents=True)
    (tmp_path / "data/raw/t/a.txt").write_text("A: hi")
    cfg = ProjectConfig.load(tmp_path)
    assert cfg.transcripts[0].wave == "2023"
    assert [p.name for p in cfg.expand(cfg.transcripts[0].path)] == ["a.txt"]
    assert cfg.ledger_path == tmp_path.resolve() / "data/processed/ledger.sqlite"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", r"project.yml:\d+: invalid YAML"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("surveys:\n  - wave: 1\n", r"surveys\[0\] needs a 'path'"),
        ("transcripts:\n  - path: x.txt\n    speaker: none\n", "unknown key"),  # 'speakers' is an option
        ("transcripts:\n  - path: x.txt\n    speakers: {}\n",
         r"project.yml: transcripts\[0\]\.speakers must be one of labels, none \(default labels\), not \{\}"),
        ("transcripts:\n  - path: x.txt\n  - path: y.txt\n    speakers: nobody\n",
         r"project.yml: transcripts\[1\]\.speakers must be one of labels, none \(default labels\), not 'nobody'"),
        ("transcripts:\n  - path: x.txt\n    speakers: none\n    paragraphs: sentences\n",
         r"transcripts\[0\]\.paragraphs must be one of blank-lines, lines \(default blank-lines\), not 'sentences'"),
        ("transcripts:\n  - path: x.txt\n    paragraphs: lines\n",
         r"transcripts\[0\]\.paragraphs applies only with speakers: none"),
        ("surveys: nope\n", "'surveys' must be a list"),
        ("speaker_aliases: [Kwame]\n", r"project.yml: speaker_aliases must map speaker names to canonical names"),
        ("speaker_aliases: {Kwame: }\n", r"speaker_aliases: 'Kwame': None must map a speaker name"),
        ("speaker_aliases: {Kwame: Kwame Asante, KWAME: Kwame Mensah}\n", "'KWAME' is mapped twice"),
        ("speaker_aliases: {KA: Kwame, Kwame: Kwame Asante}\n", "'Kwame', which is itself mapped to 'Kwame Asante'"),
    ],
)
def test_config_errors_name_the_file(tmp_path, text: str, message: str) -> None:
    (tmp_path / "project.yml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        ProjectConfig.load(tmp_path)


def test_transcript_speakers_option(tmp_path) -> None:
    (tmp_path / "project.yml").write_text("transcripts:\n  - path: a.txt\n  - path: notes/*.md\n    speakers: none\n"
                                          "    paragraphs: lines\n")
    first, notes = ProjectConfig.load(tmp_path).transcripts
    assert (first.speakers, first.paragraphs) == ("labels", "blank-lines")
    assert (notes.speakers, notes.paragraphs) == ("none", "lines")


def test_missing_config(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no project config"):
        ProjectConfig.load(tmp_path)



def test_speaker_aliases(tmp_path) -> None:
    (tmp_path / "project.yml").write_text("speaker_aliases:\n  K.  Asante: Kwame Asante\n  Kwame: Kwame Asante\n"
                                          "  Kwame Asante: Kwame Asante\n")
    cfg = ProjectConfig.load(tmp_path)
    assert cfg.speaker_aliases == {"K. Asante": "Kwame Asante", "Kwame": "Kwame Asante", "Kwame Asante": "Kwame Asante"}
    assert "speaker_aliases" not in cfg.extra
    (tmp_path / "project.yml").write_text("name: X\n")
    assert ProjectConfig.load(tmp_path).speaker_aliases == {}
