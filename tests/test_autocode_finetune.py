"""Fine-tuned auto-coding: contrastive pairs, deterministic training, offline reuse, separate embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cop_analysis.autocode import CombinedSuggester, evaluate
from cop_analysis.autocode.base import label_matrix
from cop_analysis.autocode.finetune import FineTuneParams, contrastive_pairs, fine_tuned_model, fingerprint
from cop_analysis.autocode.project import fine_tune_enabled
from cop_analysis.codebook import Codebook
from cop_analysis.config import ConfigError, ProjectConfig
from cop_analysis.embeddings import EmbeddingCache
import test_autocode
from test_autocode import TEXTS, codings_for

codebook = test_autocode.codebook  # fixtures shared with test_autocode
segments = test_autocode.segments

SMALL = FineTuneParams(pairs_per_example=2, max_pairs=40, batch_size=8)  # 5 steps


def test_pairs_are_multilabel_aware_and_seeded() -> None:
    # codes a, b, c; row 0 a+b, row 1 b, row 2 c, row 3 a, row 4 nothing applies, row 5 unknown,
    # row 6 has c but a is not known to be absent
    labels = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0], [-1, -1, -1], [-1, 0, 1]])
    pairs = contrastive_pairs(labels, per_example=10, max_pairs=1000, seed=3)
    assert len(pairs) == 10 * 5  # 5 anchors (rows with a code and both kinds of partner; not 4, 5)
    assert pairs == contrastive_pairs(labels, 10, 1000, seed=3) != contrastive_pairs(labels, 10, 1000, seed=4)
    assert sum(t for *_, t in pairs) == len(pairs) / 2
    pos = labels == 1
    for a, b, target in pairs:
        assert a != b and pos[a].any() and 5 not in (a, b)
        if target == 1.0:
            assert (pos[a] & pos[b]).any()
        else:  # each one's codes are known negatives of the other
            assert (labels[b][pos[a]] == 0).all() and (labels[a][pos[b]] == 0).all()
    assert {(a, b) for a, b, t in pairs if t == 1.0 and a == 0} <= {(0, 1), (0, 3)}
    assert not {(a, b) for a, b, t in pairs if t == 0.0 and {a, b} == {6, 3}}  # 6 may have a: never a negative
    assert len(contrastive_pairs(labels, 10, 12, seed=3)) == 12


def test_fine_tune_option_is_validated(tmp_path: Path) -> None:
    assert not fine_tune_enabled(ProjectConfig.from_dict({}, tmp_path))
    assert fine_tune_enabled(ProjectConfig.from_dict({"autocode": {"fine_tune": True}}, tmp_path))
    for bad in ({"fine_tune": "yes"}, {"fine-tune": True}, ["fine_tune"]):
        with pytest.raises(ConfigError, match="project.yml.*autocode"):
            fine_tune_enabled(ProjectConfig.from_dict({"autocode": bad}, tmp_path))


@pytest.mark.slow
def test_fine_tuning_is_deterministic_saved_reused_and_cached_apart(codebook: Codebook, segments: pd.DataFrame,
                                                                   tmp_path: Path) -> None:
    from safetensors.torch import load_file

    texts, ids = segments["text"].tolist(), [c.id for c in codebook.codes]
    labels = label_matrix(codings_for(segments), segments["segment_id"].tolist(), ids)
    first = fine_tuned_model(tmp_path / "a", texts, labels, ids, codebook.version, seed=1, params=SMALL)
    again = fine_tuned_model(tmp_path / "b", texts[::-1], labels[::-1], ids, codebook.version, seed=1, params=SMALL)
    assert first is not None and again is not None and first.name == again.name
    assert first.name.startswith("ft-all-MiniLM-L6-v2-") and (first / "model.safetensors").exists()
    weights, weights_again = load_file(first / "model.safetensors"), load_file(again / "model.safetensors")
    assert weights.keys() == weights_again.keys()
    assert all(np.array_equal(weights[k].numpy(), weights_again[k].numpy()) for k in weights)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert fine_tuned_model(tmp_path / "a", texts, labels, ids, codebook.version, 1, SMALL) == first  # reused
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    assert fingerprint(texts, labels, ids, codebook.version, 2, SMALL, "all-MiniLM-L6-v2") not in first.name

    base = EmbeddingCache(tmp_path / "emb").encode(texts)
    tuned = EmbeddingCache(tmp_path / "emb", model_path=str(first)).encode(texts)  # loaded offline from disk
    assert sorted(p.name for p in (tmp_path / "emb").glob("*.npy")) == ["all-MiniLM-L6-v2.npy", f"{first.name}.npy"]
    assert tuned.shape == base.shape and np.allclose(np.linalg.norm(tuned, axis=1), 1, atol=1e-5)
    assert not np.allclose(tuned, base, atol=1e-3)
    assert np.allclose(EmbeddingCache(tmp_path / "emb", model_path=str(first)).encode(texts), tuned)

    same = segments["truth"].to_numpy()[:, None] == segments["truth"].to_numpy()[None, :]
    off = ~np.eye(len(texts), dtype=bool)

    def gap(emb: np.ndarray) -> float:  # mean cosine of same-code pairs minus that of other pairs
        cos = emb @ emb.T
        return float(cos[same & off].mean() - cos[~same].mean())

    assert gap(tuned) > gap(base) + 0.02  # the pairs pulled same-code segments together


@pytest.mark.slow
def test_combined_learns_on_fine_tuned_embeddings(codebook: Codebook, segments: pd.DataFrame, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    train, test = segments[segments.index % 2 == 0], segments[segments.index % 2 == 1]
    model = CombinedSuggester(tmp_path / "emb", min_examples=3, fine_tune=True, models_dir=tmp_path / "models",
                              tune=SMALL).fit(codebook, codings_for(train), segments)
    tuned = model.learned_.model_path_
    assert tuned is not None and tuned.parent == tmp_path / "models"
    assert "learned" in model.stackers_
    loads: list[object] = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    out = model.suggest(test)
    assert not [a for a in loads if tuned.name in str(a[0])]  # fine-tuned vectors stay in memory after fit
    assert out["method"].str.startswith("learned+definitions").all()
    result = evaluate(out, codings_for(test), segments=test["segment_id"]).set_index("code_id")
    assert result.loc["(overall)", "kappa"] > 0.5
    # no human codes: nothing to fine-tune on, the base model is used
    zero = CombinedSuggester(tmp_path / "emb", fine_tune=True, models_dir=tmp_path / "models").fit(
        codebook, segments=segments)
    assert zero.learned_.model_path_ is None and [p.name for p in (tmp_path / "models").iterdir()] == [tuned.name]


@pytest.mark.slow
def test_cli_fine_tunes_when_project_yml_asks(tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from cop_analysis.cli import app
    from cop_analysis.ingest import ingest_project
    from cop_analysis.ledger import Ledger
    from test_autocode import _write_project

    root = _write_project(tmp_path / "p")
    settings = yaml.safe_load((root / "project.yml").read_text())
    (root / "project.yml").write_text(yaml.safe_dump({**settings, "autocode": {"fine_tune": "yes"}}))
    bad = CliRunner().invoke(app, ["suggest", "--project", str(root)])
    assert bad.exit_code == 2 and "autocode.fine_tune must be true or false" in bad.output
    (root / "project.yml").write_text(yaml.safe_dump({**settings, "autocode": {"fine_tune": True}}))
    cfg = ProjectConfig.load(root)
    assert not ingest_project(cfg).errors
    units = pd.read_parquet(cfg.processed / "segments.parquet").query("unit == 'response'").set_index("text")
    with Ledger(cfg.ledger_path) as ledger:
        for code, texts in TEXTS.items():
            for text in texts[:5]:  # 5 positives + 10 negatives per code: learned; 150 pairs
                ledger.code(units.loc[text, "segment_id"], code, "ana")
    result = CliRunner().invoke(app, ["suggest", "--project", str(root)])
    assert result.exit_code == 0, result.output
    saved = [p.name for p in (cfg.processed / "models").iterdir()]
    assert len(saved) == 1 and saved[0].startswith("ft-all-MiniLM-L6-v2-")
    assert "optimistic with --fine-tune" in result.output
    assert set(pd.read_parquet(cfg.processed / "autocode_metrics.parquet")["fine_tuned"]) == {saved[0]}
    with Ledger(cfg.ledger_path) as ledger:
        names = set(ledger.suggestions()["model"])
    assert len(names) == 1 and names.pop().endswith(f" + logreg(3 codes) on {saved[0]}")
    off = CliRunner().invoke(app, ["suggest", "--project", str(root), "--no-fine-tune"])
    assert off.exit_code == 0 and "optimistic" not in off.output
    assert pd.read_parquet(cfg.processed / "autocode_metrics.parquet")["fine_tuned"].isna().all()
    with Ledger(cfg.ledger_path) as ledger:
        assert not ledger.suggestions("suggested")["model"].str.contains(" on ft-").any()
