"""Auto-coding agreement with human coders on real NHS patient feedback (10k comments, 9 themes).

Run: ``.venv/bin/python benchmarks/autocode.py`` (about 3-5 minutes on 2 cores; the first run
also embeds the 10k comments into ``.cache/benchmarks/autocode``). Prints a Markdown table of
Cohen's kappa and macro-F1 (mean over 3 seeds) for baselines and our suggesters side by side,
throughput and peak memory, and writes it into ``docs/autocode.md``.
The fine-tuned rows (``--fine-tune 200,2000``, the default; ``--fine-tune ""`` skips them) fine-tune
MiniLM once per seed and size (a few CPU-minutes each, models kept in ``.cache/benchmarks/models``
and reused by a rerun) and re-embed all comments with each fine-tuned model.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score
from sklearn.model_selection import train_test_split

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from cop_analysis.autocode import CombinedSuggester, RuleSuggester  # noqa: E402
from cop_analysis.embeddings import EmbeddingCache  # noqa: E402
from nhs_codebook import nhs_codebook  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared/datasets/nhs-patient-feedback.csv"
CACHE = REPO / ".cache" / "benchmarks" / "autocode"
MODELS = REPO / ".cache" / "benchmarks" / "models"
DOC = REPO / "docs" / "autocode.md"
SEEDS = (0, 1, 2)
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def scores(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    return cohen_kappa_score(y, pred), f1_score(y, pred, average="macro")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fine-tune", default="200,2000", help="label counts with a fine-tuned row ('' = none)")
    fine_sizes = {int(n) for n in parser.parse_args().fine_tune.split(",") if n.strip()}
    frame = pd.read_csv(DATA)
    frame = frame[frame["feedback"].fillna("").str.strip() != ""].reset_index(drop=True)
    codebook = nhs_codebook()
    ids = [c.id for c in codebook.codes]
    y = frame["label"].map({c.name: i for i, c in enumerate(codebook.codes)}).to_numpy()
    segments = pd.DataFrame({"segment_id": [f"c{i}" for i in range(len(frame))], "text": frame["feedback"]})
    X = EmbeddingCache(CACHE, show_progress=True).encode(segments["text"].tolist())
    rules = RuleSuggester()  # shared, so spaCy parses each comment once across all fits
    rows: list[tuple[str, str, float, float, float, float]] = []
    tune_seconds: dict[int, list[tuple[float, bool]]] = {}  # (seconds, trained in this run) per seed

    def add(setting: str, method: str, results: list[tuple[float, float]]) -> None:
        r = np.array(results)
        rows.append((setting, method, r[:, 0].mean(), r[:, 0].std(), r[:, 1].mean(), r[:, 1].std()))
        print(f"{setting:28s} {method:44s} kappa {r[:, 0].mean():.3f} macro-F1 {r[:, 1].mean():.3f}", flush=True)

    # (a) baseline zero-shot: cosine to the code NAME only; (b) ours: definitions + examples + rules
    names = EmbeddingCache(CACHE).encode([c.name for c in codebook.codes])
    add("zero-shot (no labels)", "baseline: cosine to code name", [scores(y, (X @ names.T).argmax(1))])
    t0 = time.perf_counter()
    zero = CombinedSuggester(CACHE, rules=rules).fit(codebook, segments=segments, embeddings=X)
    pred = zero.score(segments, X).scores.argmax(1)
    zero_seconds = time.perf_counter() - t0
    add("zero-shot (no labels)", "ours: definitions + examples + rules", [scores(y, pred)])

    # (c, d) learned from n stratified human labels, evaluated on all other comments
    for n in (200, 2000):
        base, ours, tuned = [], [], []
        for seed in SEEDS:
            train, test = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
            plain = LogisticRegression(max_iter=2000).fit(X[train], y[train])
            base.append(scores(y[test], plain.predict(X[test])))
            codings = pd.DataFrame({"segment_id": segments["segment_id"].iloc[train].to_numpy(),
                                    "code_id": [ids[k] for k in y[train]], "coder": "human"})
            model = CombinedSuggester(CACHE, rules=rules, seed=seed).fit(codebook, codings, segments, embeddings=X)
            ours.append(scores(y[test], model.score(segments.iloc[test], X[test]).scores.argmax(1)))
            if n in fine_sizes:
                t0, saved = time.perf_counter(), set(MODELS.glob("ft-*"))
                model = CombinedSuggester(CACHE, rules=rules, seed=seed, fine_tune=True, models_dir=MODELS).fit(
                    codebook, codings, segments, embeddings=X)
                tuned.append(scores(y[test], model.score(segments.iloc[test], X[test]).scores.argmax(1)))
                tune_seconds.setdefault(n, []).append((time.perf_counter() - t0,
                                                       model.learned_.model_path_ not in saved))
        add(f"learned from {n} labels", "baseline: LogisticRegression on MiniLM", base)
        add(f"learned from {n} labels", "ours: CombinedSuggester (learned+definitions+rules)", ours)
        if tuned:
            add(f"learned from {n} labels", "ours: CombinedSuggester, learned part on fine-tuned MiniLM", tuned)

    # (e) throughput: suggest on cached embeddings (all 10k; spaCy rules memo cleared) and on
    # 1,000 comments never embedded (fresh cache directory)
    t0 = time.perf_counter()
    CombinedSuggester(CACHE).fit(codebook, segments=segments).suggest(segments)
    cached = len(segments) / (time.perf_counter() - t0)
    sample = segments.sample(1000, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        CombinedSuggester(tmp).fit(codebook, segments=sample).suggest(sample)
        uncached = len(sample) / (time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    table = ["| setting | method | Cohen's kappa | macro-F1 |", "| --- | --- | --- | --- |"]
    table += [f"| {s} | {m} | {k:.3f} ± {ks:.3f} | {f:.3f} ± {fs:.3f} |" for s, m, k, ks, f, fs in rows]
    table += ["", f"Throughput of `CombinedSuggester` fit + suggest (zero-shot): **{cached:.0f} segments/s** with "
              f"cached embeddings (10,332 comments), **{uncached:.0f} segments/s** uncached (1,000 comments, "
              f"includes embedding them). Peak memory (max RSS of the benchmark process): **{peak_mb:.0f} MB**. "
              f"(The zero-shot fit + score with the spaCy memo warm took {zero_seconds:.1f} s.)"]
    for n, runs in sorted(tune_seconds.items()):
        trained = [t for t, new in runs if new]
        table.append(f"Fine-tuned fit + score with {n} labels: " + (
            f"{np.mean(trained):.0f} s per seed when fine-tuning (training + re-embedding all comments; "
            f"{len(trained)} of {len(runs)} seeds trained in this run)" if trained else
            f"{np.mean([t for t, _ in runs]):.0f} s per seed reusing the saved fine-tuned models") + ".")
    text = "\n".join(table)
    print("\n" + text)
    if DOC.exists() and START in (doc := DOC.read_text(encoding="utf-8")):
        head, rest = doc.split(START, 1)
        DOC.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")
        print(f"\nwrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
