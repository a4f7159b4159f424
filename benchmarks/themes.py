"""Theme recovery and scaling: BERTopic defaults vs our ThemeModel on real labelled data.

Run: ``.venv/bin/python benchmarks/themes.py`` (first run embeds NHS + banking77 into
``.cache/benchmarks/embeddings`` and distils the static model; ~10-20 min on 2 busy cores).
``--quality`` or ``--scaling`` runs one half. Each configuration runs in its own process so
its peak RSS is its own. Prints Markdown tables and writes them into ``docs/themes.md``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
DATA = Path(__file__).resolve().parents[1].parent / "shared/datasets"
CACHE = REPO / ".cache" / "benchmarks"
DOC = REPO / "docs" / "themes.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
OTHER_STATES = (0, 1, 2, 3)  # besides 42: the spread of NMI/ARI over random states is reported too

# Written from the 9 theme names of the NHS dataset only (never from labelled rows).
NHS_NAMES = [
    ("care", "Care received", "Comments about the care and treatment the patient received."),
    ("staff", "Staff", "Comments about staff: nurses, doctors, receptionists, their attitude, kindness and "
                       "professionalism."),
    ("none", "Couldn't be improved", "Nothing to improve; the service could not be better."),
    ("communication", "Communication", "Communication and information given to patients: explanations, being "
                                       "kept informed, listening."),
    ("environment", "Environment/ facilities", "The environment and facilities: cleanliness, noise, food, "
                                               "parking, rooms and equipment."),
    ("access", "Access", "Access to services: waiting times, getting appointments, referrals, opening hours."),
    ("misc", "Miscellaneous", "Other comments."),
    ("transition", "Transition/coordination", "Transitions and coordination of care: discharge, transfers "
                                              "between services, follow-up."),
    ("dignity", "Dignity", "Dignity and respect: being treated with respect, privacy, person-centred care."),
]


def load(name: str) -> tuple[list[str], np.ndarray]:
    if name == "nhs":
        frame = pd.read_csv(DATA / "nhs-patient-feedback.csv")
        frame = frame[frame.feedback.fillna("").str.strip() != ""]
        return frame.feedback.astype(str).tolist(), frame.label.astype(str).to_numpy()
    frame = pd.read_csv(DATA / "banking77-test.csv")
    return frame.text.astype(str).tolist(), frame.category.astype(str).to_numpy()


def perturbed(texts: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` texts: the originals, then copies with one word dropped or two words swapped."""
    rng = np.random.default_rng(seed)
    out = list(texts[:n])
    while len(out) < n:
        words = texts[len(out) % len(texts)].split()
        if len(words) > 2:
            i = int(rng.integers(len(words) - 1))
            words = words[:i] + words[i + 1:] if rng.random() < 0.5 else words[:i] + [words[i + 1], words[i]] + words[i + 2:]
        out.append(" ".join(words) + ("" if rng.random() < 0.5 else " ."))
    return out


def one(config: str, dataset: str, size: int = 0) -> dict[str, object]:
    """Run one configuration in this process and return its measurements."""
    import bertopic  # noqa: F401  (import time is not fit time)
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from cop_analysis.embeddings import EmbeddingCache
    from cop_analysis.models import load_embedding_model
    from cop_analysis.themes import ThemeGuide, ThemeModel, guides_from_codebook
    from cop_analysis.themes.speed import encode_static, load_static_model

    texts, labels = load(dataset)
    embed_s = None
    static = config.endswith("static")
    if size:
        texts = perturbed(texts, size)
        labels = np.resize(labels, size)
    if static:
        model = load_static_model(CACHE / "models")
        t = time.perf_counter()
        x = encode_static(model, texts)
        embed_s = time.perf_counter() - t
    else:
        model = load_embedding_model()
        cache = EmbeddingCache(tempfile.mkdtemp() if size else CACHE / "embeddings")
        t = time.perf_counter()
        x = cache.encode(texts)
        embed_s = time.perf_counter() - t if size else None
    t = time.perf_counter()
    if config == "bertopic-defaults":
        from bertopic import BERTopic

        topics = np.asarray(BERTopic(embedding_model=model).fit_transform(texts, embeddings=x)[0])
    else:
        guides = []
        if "guided-names" in config:
            guides = [ThemeGuide(i, name, text) for i, name, text in NHS_NAMES]
        elif "guided-codebook" in config:
            from nhs_codebook import nhs_codebook

            guides = guides_from_codebook(nhs_codebook())
        tm = ThemeModel(guides=guides, embedding_model=model, random_state=42)
        topics = tm.fit(texts, x).topics_
    fit_s = time.perf_counter() - t
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # of one fit, before the refits
    spread = {}
    if config != "bertopic-defaults" and not size:  # the spread over random states, 42 included
        refits = [ThemeModel(guides=guides, embedding_model=model, random_state=s).fit(texts, x).topics_
                  for s in OTHER_STATES]
        for name, score in (("nmi", normalized_mutual_info_score), ("ari", adjusted_rand_score)):
            values = [score(labels, topics)] + [score(labels, r) for r in refits]
            spread[f"{name}_5_states"] = f"{np.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"
    return {"dataset": dataset, "config": config, "n": len(texts), "embed_s": embed_s, "fit_s": fit_s,
            "themes": len(set(topics.tolist()) - {-1}), "unassigned": float((topics == -1).mean()),
            "nmi": normalized_mutual_info_score(labels, topics), "ari": adjusted_rand_score(labels, topics),
            "peak_rss_mb": peak_rss_mb, **spread}


def spawn(config: str, dataset: str, size: int = 0) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--one", config, dataset, str(size)], capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(result, file=sys.stderr, flush=True)
    return result


def table(rows: list[dict[str, object]], columns: list[str]) -> str:
    frame = pd.DataFrame(rows)[columns]
    fmt = {"fit_s": "{:.1f}", "embed_s": "{:.1f}", "unassigned": "{:.1%}", "nmi": "{:.3f}", "ari": "{:.3f}",
           "peak_rss_mb": "{:.0f}"}
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for _, row in frame.iterrows():
        cells = ["-" if pd.isna(row[c]) else fmt[c].format(row[c]) if c in fmt else str(row[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Theme recovery and scaling benchmark; writes its tables into "
                                                 "docs/themes.md (both parts unless one is chosen).")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--quality", action="store_true", help="only NMI/ARI against the human labels")
    part.add_argument("--scaling", action="store_true", help="only the 1k / 10k / 100k scaling run")
    part.add_argument("--one", nargs=3, metavar=("CONFIG", "DATASET", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], int(args.one[2]))))
        return
    from cop_analysis.models import DEFAULT_EMBEDDING_NAME, embedding_model_name

    model = embedding_model_name()  # COP_EMBEDDING_MODEL compares another local model; its tables are kept apart
    other_model = model != DEFAULT_EMBEDDING_NAME
    parts = []
    if not args.scaling:
        rows = []
        for dataset in ("nhs", "banking77"):
            configs = ["bertopic-defaults", "ours"]
            if dataset == "nhs":
                configs += ["ours guided-names", "ours guided-codebook"] + ([] if other_model else ["ours static"])
            for config in configs:
                rows.append(spawn(config, dataset))
        base = {r["dataset"]: r["fit_s"] for r in rows if r["config"] == "bertopic-defaults"}
        for r in rows:
            r["fit_ratio"] = f"{r['fit_s'] / base[r['dataset']]:.2f}"  # type: ignore[operator]
        heading = "### Theme recovery (NMI/ARI against the human labels)"
        heading += f", embedding model {model}" if other_model else ""
        parts.append(heading + "\n\n" + table(
            rows, ["dataset", "config", "n", "fit_s", "fit_ratio", "themes", "unassigned", "nmi", "ari",
                   "nmi_5_states", "ari_5_states", "peak_rss_mb"]))
    if not args.quality and not other_model:  # the speed mode is distilled from the bundled model
        rows = []
        for size in (1000, 10000, 100000):
            for config in (["ours", "ours static"] if size <= 10000 else ["ours static"]):
                rows.append(spawn(config, "nhs", size))
        parts.append("### Scaling (NHS repeated with light perturbation; embed = fresh texts)\n\n" + table(
            rows, ["config", "n", "embed_s", "fit_s", "themes", "unassigned", "nmi", "ari", "peak_rss_mb"]))
    print("\n\n".join(parts))
    write_doc(parts, " ".join(argv))


def write_doc(parts: list[str], flags: str = "") -> None:
    """Replace the ``### `` sections of the benchmark block in docs/themes.md that were rerun."""
    if DOC.exists() and START in DOC.read_text():
        doc = DOC.read_text()
        old = re.search(re.escape(START) + "(.*)" + re.escape(END), doc, flags=re.S).group(1)  # type: ignore[union-attr]
        sections = {p.split("\n", 1)[0]: p.strip() for p in re.findall(r"### .*?(?=\n### |\Z)", old, flags=re.S)}
        command = f".venv/bin/python benchmarks/themes.py {flags}".strip()
        if "COP_EMBEDDING_MODEL" in os.environ:
            from cop_analysis.models import embedding_model_name

            command = f"COP_EMBEDDING_MODEL=<directory of {embedding_model_name()}> {command}"
        stamp = f"_measured {time.strftime('%Y-%m-%d')} with `{command}`_"
        sections.update({p.split("\n", 1)[0]: f"{p}\n\n{stamp}" for p in parts})
        DOC.write_text(doc.replace(old, "\n" + "\n\n".join(sections.values()) + "\n"))


if __name__ == "__main__":
    main(sys.argv[1:])
