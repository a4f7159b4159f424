"""Project themes: fit each selection of coding units, cache, publish tables, apply human label edits.

Layout under ``cfg.processed``::

    themes/<selection-slug>/manifest.json     input hash -> reuse without refitting
    themes/<selection-slug>/assignments.parquet, info.parquet, groups.parquet, centroids.npy
    themes/<selection-slug>/model/            BERTopic, safetensors
    theme_edits.json                          human renames / merges (re-applied on every publish)
    themes.parquet, theme_info.parquet        THEMES / THEME_INFO with edits applied
    theme_groups.parquet                      themes per role / department / wave
    theme_codes_human.parquet, theme_codes_suggested.parquet   theme x code crosstabs
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..atomic import write_parquet, write_text
from ..config import ProjectConfig
from ..schema import THEME_INFO, THEMES
from ..textnorm import natural_key
from .model import MIN_SEGMENTS, ThemeModel, guides_from_codebook
from .speed import STATIC_NAME

FORMAT_VERSION = "themes-11"  # 2: label words skip inflections and function words; waves over time;
#                                  3: an absorbed code theme no longer renames the theme it joined;
#                                  4: turn texts without the labels inside merged turns (ingest.spoken_text)
#                                  5: a theme is named after a code only when >= 10% of it is anchored to it
#                                  6: English contractions (isn't, we've, ...) are stop words
#                                  7: labels skip generic evaluative words (good, great, ...)
#                                  8: labels skip the words of people's names (speakers, redact.people)
#                                  9: fine clusters merge by the information bottleneck on their words
#                                 10: theme info keeps keyword_label (a code name its human codings contradict gives way)
#                                 11: two groups that each hold >= 1/k of the segments never merge;
#                                     the document map takes 100 UMAP epochs above 5,000 segments
NO_GROUP = "(not given)"
NOT_MEMBERS = {"facilitator", "interviewer"}
GROUP_COLUMNS = ["selection", "group_by", "group", "theme_id", "n", "share", "keywords"]
CROSSTAB_COLUMNS = ["selection", "theme_id", "theme_label", "code_id", "n_segments", "share"]
MATCH_THRESHOLD = 0.5
HUMAN_NAMING_MIN = 5  # human-coded units a code-named theme needs before its codings can overrule the name


@dataclass
class ThemeResult:
    """What :func:`fit_project_themes` did, plus the published tables."""

    themes: pd.DataFrame
    info: pd.DataFrame
    fitted: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    stale_edits: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.info.selection.nunique()} selections, {len(self.info)} themes "
                 f"({len(self.fitted)} fitted, {len(self.reused)} reused unchanged)"]
        lines += [f"skipped {name}: {why}" for name, why in self.skipped.items()]
        lines += [f"edit no longer matches any theme: {e}" for e in self.stale_edits]
        return "\n".join(lines)


def slug(selection: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]+", "-", selection).strip("-").lower()[:60]
    return f"{text}-{hashlib.sha1(selection.encode()).hexdigest()[:6]}"


def default_selections(segments: pd.DataFrame) -> dict[str, list[str]]:
    """Transcript turns (all speakers, members only) and the responses to each survey question."""
    out: dict[str, list[str]] = {}
    turns = segments[(segments.kind == "transcript") & (segments.unit == "turn")]
    out["turns: all speakers"] = turns.segment_id.tolist()
    members = turns[turns.speaker_role.notna() & ~turns.speaker_role.isin(NOT_MEMBERS)]
    out["turns: members"] = members.segment_id.tolist()
    answers = segments[(segments.kind == "survey") & (segments.unit == "response")]
    for qid, rows in answers.groupby("question_id", sort=True):
        question = rows.question.dropna()
        name = f"survey {qid}" + (f": {question.iloc[0]}" if len(question) and question.iloc[0] != qid else "")
        out[name[:120]] = rows.segment_id.tolist()
    return out


def _group_frame(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Group dimensions with 2-99 distinct values: role, department (attributes JSON) and wave."""
    attrs = rows.attributes.fillna("{}").map(lambda s: json.loads(s) if s.strip().startswith("{") else {})
    role = attrs.map(lambda a: a.get("role")).fillna(rows.speaker_role)
    dims = {"role": role, "department": attrs.map(lambda a: a.get("department")), "wave": rows.wave}
    return {k: v.fillna(NO_GROUP).astype(str) for k, v in dims.items() if 2 <= v.dropna().nunique() < 100}


def wave_order(waves: Sequence[str]) -> list[str]:
    """Distinct wave labels in natural order ('2' before '10', '2023' before '2024')."""
    return sorted(set(waves), key=natural_key)


def _themes_over_waves(tm: ThemeModel, texts: list[str], waves: pd.Series) -> pd.DataFrame:
    """BERTopic ``topics_over_time`` with the waves as ordered time steps (keywords of a theme in a
    wave are evolution-tuned from the wave before); segments without a wave are left out."""
    known = (waves != NO_GROUP).to_numpy()
    order = {w: i for i, w in enumerate(wave_order(waves[known].tolist()))}
    frame = tm.topic_model_.topics_over_time(
        [t for t, k in zip(texts, known) if k], [order[w] for w in waves[known]],
        topics=[int(t) for t, k in zip(tm.topics_, known) if k], evolution_tuning=True, global_tuning=True)
    label = {i: w for w, i in order.items()}
    return frame.assign(Class=frame.Timestamp.map(label)).drop(columns="Timestamp")


def exact_knn(x: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-nearest neighbours (self included) of L2-normalised rows, by blocks of matmul."""
    indices = np.empty((len(x), k), dtype=np.int32)
    distances = np.empty((len(x), k), dtype=np.float32)
    for start in range(0, len(x), block):
        sim = x[start:start + block] @ x.T
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sim, part, 1), axis=1, kind="stable")
        indices[start:start + block] = np.take_along_axis(part, order, 1)
        distances[start:start + block] = 1 - np.take_along_axis(sim, indices[start:start + block], 1)
    return indices, np.maximum(distances, 0)


def _cache_umap_compilation() -> None:
    """Turn on numba's on-disk cache for umap's compiled functions (umap leaves it off).

    The first run on a machine still compiles (~10 s); later processes load the machine code
    (from umap's ``__pycache__``, or ``NUMBA_CACHE_DIR``).
    """
    import umap.layouts
    import umap.umap_
    import umap.utils
    from numba.core.registry import CPUDispatcher

    for module in (umap.umap_, umap.layouts, umap.utils):
        for function in vars(module).values():
            if isinstance(function, CPUDispatcher) and type(function._cache).__name__ == "NullCache":
                try:
                    function.enable_caching()
                except RuntimeError:  # no writable cache directory: compile as before
                    return


def _map_coordinates(x: np.ndarray, seed: int) -> np.ndarray:
    """2-D document map: UMAP (cosine, exact kNN) up to 20k segments, PCA beyond.

    Passing the exact neighbours skips pynndescent, whose numba compilation cost ~20-40 s per process.
    200 epochs up to 5,000 segments, 100 above: on the 10k NHS comments the map keeps its
    trustworthiness (0.895 vs 0.894 at 200) in half the time (4.9 s instead of 10.4 s).
    """
    if len(x) > 20000:
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(x)
    import warnings

    import umap

    _cache_umap_compilation()
    x = np.asarray(x, dtype=np.float32)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    k = min(15, len(x) - 1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        epochs = 200 if len(x) <= 5000 else 100
        return umap.UMAP(n_neighbors=k, n_components=2, metric="cosine", min_dist=0.1, n_epochs=epochs,
                         init="random" if len(x) < 100 else "spectral", random_state=seed, n_jobs=1,
                         precomputed_knn=(*exact_knn(x, k), None)).fit_transform(x)


def _static(cfg: ProjectConfig) -> bool:
    return (cfg.extra.get("themes") or {}).get("embedding") == "static"


def _embedder(cfg: ProjectConfig) -> tuple[Any, Any]:
    """(encode function, model object or None) for the configured embedding (``themes: {embedding: static}``)."""
    if _static(cfg):
        from .speed import encode_static, load_static_model

        model = load_static_model(cfg.processed / "models")
        return (lambda texts: encode_static(model, texts)), model
    from ..embeddings import EmbeddingCache

    return EmbeddingCache(cfg.embeddings_dir).encode, None  # the cache loads the model only for new text


def name_words(cfg: ProjectConfig, rows: pd.DataFrame) -> list[str]:
    """The words of people's names (speakers of ``rows``, ``redact.people``): never theme label words."""
    names = [*rows["speaker"].dropna().astype(str), *cfg.redact_people] if "speaker" in rows else list(cfg.redact_people)
    return sorted({w.lower() for n in names for w in re.findall(r"[^\W\d_]{2,}", n)})


def _fit_selection(cfg: ProjectConfig, name: str, rows: pd.DataFrame, encode: Any, guides: list[Any],
                   label_avoid: list[str], model_obj: Any, model_path: str | None, folder: Path) -> None:
    texts = rows.text.tolist()
    x = encode(texts)
    tm = ThemeModel(guides=guides, embedding_model=model_obj, encoder=encode, random_state=cfg.seed,
                    label_avoid=label_avoid).fit(texts, x)
    ids = rows.segment_id.to_numpy()
    xy = _map_coordinates(x, cfg.seed)
    assignments = pd.DataFrame({"segment_id": ids, "theme_id": tm.topics_, "probability": tm.probabilities_,
                                "x": xy[:, 0].astype(float), "y": xy[:, 1].astype(float)})
    info = tm.theme_info()
    info["representative_ids"] = info.pop("representatives").map(lambda r: json.dumps([str(ids[i]) for i in r]))
    centroids = np.stack([x[tm.topics_ == t].mean(axis=0) for t in info.theme_id])
    groups = []
    for dim, classes in _group_frame(rows).items():
        per = _themes_over_waves(tm, texts, classes) if dim == "wave" else \
            tm.topic_model_.topics_per_class(texts, classes=classes.tolist())
        per = per.rename(columns={"Topic": "theme_id", "Words": "keywords", "Frequency": "n", "Class": "group"})
        per["group_by"] = dim
        per["share"] = per.n / per.groupby("group").n.transform("sum")
        groups.append(per)
    group_frame = pd.concat(groups) if groups else pd.DataFrame(columns=GROUP_COLUMNS)
    group_frame["selection"] = name
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(assignments, folder / "assignments.parquet")
    write_parquet(info, folder / "info.parquet")
    write_parquet(group_frame[GROUP_COLUMNS], folder / "groups.parquet")
    np.save(folder / "centroids.npy", centroids)
    if model_path:
        tm.save(folder / "model", model_path)


def fit_project_themes(cfg: ProjectConfig, selections: Mapping[str, Sequence[str]] | None = None,
                       guided: bool = True, force: bool = False) -> ThemeResult:
    """Fit (or reuse) themes for each selection of segment ids, then publish tables with edits applied."""
    from .. import models
    from ..ingest import load_segments, spoken_text

    segments = load_segments(cfg)
    segments["text"] = spoken_text(segments)
    selections = selections if selections is not None else default_selections(segments)
    guides, codebook_version = [], None
    if guided and cfg.codebook is not None and (cfg.root / cfg.codebook).exists():
        from ..codebook import load_project_codebook

        codebook = load_project_codebook(cfg)
        guides, codebook_version = guides_from_codebook(codebook), codebook.version
    model_name = STATIC_NAME if _static(cfg) else models.embedding_model_name()
    embedder: tuple[Any, Any] | None = None  # loaded only when something must be fitted
    model_path = None if _static(cfg) else models.embedding_model_path()
    by_id = segments.set_index("segment_id")
    result = ThemeResult(THEMES.empty_frame(), THEME_INFO.empty_frame())
    for name, ids in selections.items():
        rows = by_id.loc[[i for i in dict.fromkeys(ids) if i in by_id.index]].reset_index()
        rows = rows[rows.text.fillna("").str.strip() != ""]
        if len(rows) < MIN_SEGMENTS:
            result.skipped[name] = f"{len(rows)} non-empty segments (themes need at least {MIN_SEGMENTS})"
            continue
        folder = cfg.processed / "themes" / slug(name)
        avoid = name_words(cfg, rows)
        key = hashlib.sha256(json.dumps([FORMAT_VERSION, model_name, codebook_version, cfg.seed,
                                         avoid, rows.segment_id.tolist(), rows.text.tolist(),
                                         rows[["speaker_role", "wave", "attributes"]].astype(str).values.tolist()])
                             .encode()).hexdigest()
        manifest = folder / "manifest.json"
        if not force and manifest.exists() and json.loads(manifest.read_text()).get("key") == key:
            result.reused.append(name)
            continue
        try:
            embedder = embedder or _embedder(cfg)
            _fit_selection(cfg, name, rows, embedder[0], guides, avoid, embedder[1], model_path, folder)
        except ValueError as exc:  # e.g. fewer than MIN_SEGMENTS usable embeddings
            result.skipped[name] = str(exc)
            continue
        write_text(manifest, json.dumps({"selection": name, "key": key, "n_segments": len(rows),
                                         "embedding": model_name, "codebook_version": codebook_version}, indent=1))
        result.fitted.append(name)
    published = publish(cfg, [n for n in selections if n not in result.skipped])
    result.themes, result.info, result.stale_edits = published
    return result


# -- human edits ------------------------------------------------------------------------
def _edits_path(cfg: ProjectConfig) -> Path:
    return cfg.processed / "theme_edits.json"


def load_edits(cfg: ProjectConfig) -> dict[str, list[dict[str, Any]]]:
    path = _edits_path(cfg)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _members(assignments: pd.DataFrame, theme_id: int, limit: int = 300) -> list[str]:
    rows = assignments[assignments.theme_id == theme_id].sort_values(["probability", "segment_id"], ascending=[False, True])
    return rows.segment_id.head(limit).tolist()


def _resolve(members: list[str], assignments: pd.DataFrame) -> int | None:
    """The current theme holding most of an edit's remembered members (>= MATCH_THRESHOLD of those still present)."""
    present = assignments[assignments.segment_id.isin(members) & (assignments.theme_id >= 0)]
    if present.empty:
        return None
    counts = present.theme_id.value_counts()
    best = int(counts.index[0])
    return best if counts.iloc[0] / len(present) >= MATCH_THRESHOLD else None


def _raw(cfg: ProjectConfig, selection: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    folder = cfg.processed / "themes" / slug(selection)
    if not (folder / "info.parquet").exists():
        return None
    return (pd.read_parquet(folder / "assignments.parquet"), pd.read_parquet(folder / "info.parquet"),
            pd.read_parquet(folder / "groups.parquet"))


def _edit(cfg: ProjectConfig, selection: str, theme_ids: list[int], label: str, op: str) -> ThemeResult:
    raw = _raw(cfg, selection)
    if raw is None:
        raise KeyError(f"no themes fitted for selection {selection!r}: run `cop-analysis themes` first")
    themes = pd.read_parquet(cfg.processed / "themes.parquet")
    current = themes[themes.selection == selection]
    unknown = [t for t in theme_ids if t not in set(current.theme_id)]
    if unknown:
        raise KeyError(f"selection {selection!r} has no theme {unknown[0]}")
    # remember members of the currently shown (edited) themes, in terms of raw fitted themes
    members = [_members(current, t) for t in theme_ids]
    edits = load_edits(cfg)
    edits.setdefault(selection, []).append({"op": op, "label": label, "members": members})
    write_text(_edits_path(cfg), json.dumps(edits, indent=1, ensure_ascii=False))
    names = sorted(themes.selection.unique())
    out_themes, out_info, stale = publish(cfg, names)
    return ThemeResult(out_themes, out_info, stale_edits=stale)


def rename_theme(cfg: ProjectConfig, selection: str, theme_id: int, label: str) -> ThemeResult:
    """Give a theme a human label; kept across refits (matched by member overlap)."""
    return _edit(cfg, selection, [int(theme_id)], label.strip(), "rename")


def merge_themes(cfg: ProjectConfig, selection: str, ids: Sequence[int], label: str) -> ThemeResult:
    """Merge themes into one (the smallest id survives) with a human label; kept across refits."""
    if len(set(ids)) < 2:
        raise ValueError("merge_themes needs at least two distinct theme ids")
    return _edit(cfg, selection, sorted({int(i) for i in ids}), label.strip(), "merge")


def human_codings(cfg: ProjectConfig) -> pd.DataFrame:
    """Distinct (segment_id, code_id) of the human codings in the ledger that are not orphaned."""
    if not cfg.ledger_path.exists():
        return pd.DataFrame({"segment_id": pd.Series(dtype="string"), "code_id": pd.Series(dtype="string")})
    from ..ledger import Ledger, without_orphans

    return without_orphans(Ledger(cfg.ledger_path).codings())[["segment_id", "code_id"]].drop_duplicates()


def code_names_checked(info: pd.DataFrame, assignments: pd.DataFrame, coded: pd.DataFrame) -> pd.Series:
    """Each theme's automatic label: ``auto_label``, except that a theme named after a code takes its
    ``keyword_label`` when people coded at least ``HUMAN_NAMING_MIN`` of its units and that code is not
    among the two codes they applied there most (ties included): its text resembles the code's
    definition, but the coders saw other codes in it."""
    joined = assignments[["segment_id", "theme_id"]].merge(coded, on="segment_id")
    labels = info["auto_label"].copy()
    for i, row in info.iterrows():
        if pd.isna(row.get("guided_code")) or pd.isna(row.get("keyword_label")):
            continue
        mine = joined[joined["theme_id"] == row["theme_id"]]
        if mine["segment_id"].nunique() < HUMAN_NAMING_MIN:
            continue
        counts = mine["code_id"].value_counts()
        if counts.get(row["guided_code"], 0) < counts.iloc[min(1, len(counts) - 1)]:
            labels[i] = row["keyword_label"]
    return labels


def _apply_edits(selection: str, edits: list[dict[str, Any]], assignments: pd.DataFrame,
                 info: pd.DataFrame, stale: list[str], coded: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply renames/merges in order; returns assignments (theme_id, theme_label) and info with labels."""
    assignments = assignments.copy()
    info = info.copy()
    info["auto_label"] = code_names_checked(info, assignments, coded)
    info["label"] = info.auto_label
    for edit in edits:
        targets = [_resolve(m, assignments) for m in edit["members"]]
        if any(t is None for t in targets) or len(set(targets)) < len(targets):
            stale.append(f"{selection}: {edit['op']} -> {edit['label']!r}")
            continue
        keep = min(t for t in targets if t is not None)
        if edit["op"] == "merge":
            assignments.loc[assignments.theme_id.isin(targets), "theme_id"] = keep
            parts = info[info.theme_id.isin(targets)].sort_values("size", ascending=False)
            merged = parts.iloc[0].copy()
            merged["theme_id"], merged["size"] = keep, int(parts["size"].sum())
            words = [w for ks in parts.keywords for w in ks.split(", ") if w]
            merged["keywords"] = ", ".join(list(dict.fromkeys(words))[:10])
            reps = [r for rs in parts.representative_ids for r in json.loads(rs)]
            merged["representative_ids"] = json.dumps(reps[:5])
            info = pd.concat([info[~info.theme_id.isin(targets)], merged.to_frame().T], ignore_index=True)
        info.loc[info.theme_id == keep, "label"] = edit["label"]
    info = info.sort_values("theme_id").astype({"theme_id": "int64", "size": "int64"})
    labels = dict(zip(info.theme_id, info.label))
    assignments["theme_label"] = assignments.theme_id.map(labels).fillna("Unassigned")
    return assignments, info


def publish(cfg: ProjectConfig, selections: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Combine per-selection outputs, apply edits, write themes/theme_info/groups/crosstabs."""
    edits = load_edits(cfg)
    coded = human_codings(cfg)
    stale: list[str] = []
    themes, infos, groups = [], [], []
    for name in selections:
        raw = _raw(cfg, name)
        if raw is None:
            continue
        assignments, info, group = raw
        assignments, info = _apply_edits(name, edits.get(name, []), assignments, info, stale, coded)
        themes.append(assignments.assign(selection=name))
        infos.append(info.assign(selection=name))
        mapping = dict(zip(raw[0].segment_id, assignments.theme_id))
        old_to_new = pd.Series(mapping).groupby(raw[0].set_index("segment_id").theme_id).first()
        group = group.assign(theme_id=group.theme_id.map(old_to_new).fillna(group.theme_id).astype("int64"))
        group = group.groupby(["selection", "group_by", "group", "theme_id"], as_index=False).agg(
            n=("n", "sum"), share=("share", "sum"), keywords=("keywords", ", ".join))
        groups.append(group)
    theme_frame = THEMES.conform(pd.concat(themes)) if themes else THEMES.empty_frame()
    info_frame = THEME_INFO.conform(pd.concat(infos)) if infos else THEME_INFO.empty_frame()
    group_frame = pd.concat(groups)[GROUP_COLUMNS] if groups else pd.DataFrame(columns=GROUP_COLUMNS)
    write_parquet(theme_frame, cfg.processed / "themes.parquet", THEMES.arrow_schema())
    write_parquet(info_frame, cfg.processed / "theme_info.parquet", THEME_INFO.arrow_schema())
    write_parquet(group_frame.astype({"n": "int64", "share": "float64", "theme_id": "int64"}),
                  cfg.processed / "theme_groups.parquet")
    human, suggested = crosstabs(cfg, theme_frame)
    write_parquet(human, cfg.processed / "theme_codes_human.parquet")
    write_parquet(suggested, cfg.processed / "theme_codes_suggested.parquet")
    return theme_frame, info_frame, stale


def crosstabs(cfg: ProjectConfig, themes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Theme x code counts of distinct segments: from human codings, and from pending/accepted suggestions."""
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c in ("theme_id", "n_segments") else
                                       "float64" if c == "share" else "string") for c in CROSSTAB_COLUMNS})
    if not cfg.ledger_path.exists() or themes.empty:
        return empty, empty.copy()
    from ..ledger import Ledger

    ledger = Ledger(cfg.ledger_path)
    codings = ledger.codings()
    suggestions = ledger.suggestions()
    suggestions = suggestions[suggestions.status != "rejected"]
    sizes = themes.groupby(["selection", "theme_id"]).size().rename("size")

    def table(pairs: pd.DataFrame) -> pd.DataFrame:
        if pairs.empty:
            return empty.copy()
        joined = themes.merge(pairs[["segment_id", "code_id"]].drop_duplicates(), on="segment_id")
        out = joined.groupby(["selection", "theme_id", "theme_label", "code_id"]).size().rename("n_segments").reset_index()
        out["share"] = out.n_segments / out.set_index(["selection", "theme_id"]).index.map(sizes).to_numpy()
        return out[CROSSTAB_COLUMNS].astype({"n_segments": "int64", "theme_id": "int64"})

    return table(codings), table(suggestions)


def load_table(cfg: ProjectConfig, name: str) -> pd.DataFrame:
    """Read a published theme table: themes, theme_info, theme_groups, theme_codes_human, theme_codes_suggested."""
    return pd.read_parquet(cfg.processed / f"{name}.parquet")
