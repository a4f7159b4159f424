"""Themes: real MiniLM, real BERTopic, the sample project and a 1,500-comment NHS sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cop_analysis.config import ProjectConfig
from cop_analysis.embeddings import EmbeddingCache
from cop_analysis.schema import THEME_INFO, THEMES

NHS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "nhs-patient-feedback.csv"
pytestmark = pytest.mark.slow

TOPICS = {
    "parking": ["The car park was full and I could not find a parking space.",
                "Parking at the hospital costs far too much money.",
                "There were no disabled parking bays near the entrance.",
                "I drove around the car park for twenty minutes looking for a space."],
    "food": ["The food on the ward was cold and tasteless.", "Lunch was lovely, hot and well cooked.",
             "They never had a vegetarian meal option for dinner.", "The breakfast was served very late every day."],
    "waiting": ["I waited three hours in the waiting room before being seen.",
                "My appointment was delayed again and again.", "The waiting list for surgery is over a year long.",
                "We sat in the waiting area all afternoon without any update."],
}


def _small_corpus() -> list[str]:
    texts = []
    for i in range(5):
        for sentences in TOPICS.values():
            texts += [f"{s} {'Really.' if i % 2 else ''}".strip() + ("" if i < 2 else f" (visit {i})") for s in sentences]
    return texts  # 60 texts


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> EmbeddingCache:
    return EmbeddingCache(tmp_path_factory.mktemp("emb"))


def test_small_corpus_recovers_topics_deterministically(cache: EmbeddingCache) -> None:
    from sklearn.metrics import adjusted_rand_score

    from cop_analysis.themes import ThemeModel

    texts = _small_corpus()
    truth = [k for _ in range(5) for k, v in TOPICS.items() for _ in v]
    x = cache.encode(texts)
    first = ThemeModel(random_state=7).fit(texts, x)
    second = ThemeModel(random_state=7).fit(texts, x)
    assert np.array_equal(first.topics_, second.topics_)
    assert first.theme_info().equals(second.theme_info())
    assert adjusted_rand_score(truth, first.topics_) > 0.6
    info = first.theme_info()
    assert (first.topics_ == -1).mean() <= 0.05 and len(info) >= 3
    assert all(1 <= len(r) <= 5 for r in info.representatives)
    words = " ".join(info.keywords)
    assert "parking" in words and ("food" in words or "meal" in words)
    topics, probs = first.transform(["Where can I park my car?"], cache.encode(["Where can I park my car?"]))
    parking_theme = int(pd.Series(first.topics_[:4]).mode()[0])
    assert topics[0] == parking_theme and 0 < probs[0] <= 1


def test_label_words_skip_inflections_and_function_words() -> None:
    from cop_analysis.themes.model import label_words

    assert label_words(["que", "stipend", "puedo", "stipends", "en", "budget", "vote"]) == ["stipend", "budget", "vote"]
    assert label_words(["circles", "circle", "shorter meetings", "meetings", "fewer"]) == [
        "circles", "shorter meetings", "fewer"]
    assert label_words(["trust", "trusted", "trust building"], n=5) == ["trust"]
    assert label_words(["parking", "park", "food"]) == ["parking", "food"]  # 'park' / 'parking'
    assert label_words(["noise", "night", "bed"]) == ["noise", "night", "bed"]
    assert label_words(["families", "family", "somali", "policy", "policies"]) == ["families", "somali", "policy"]
    assert label_words(["good", "bao", "somali", "families", "great"]) == ["bao", "somali", "families"]
    assert label_words(["good", "bao", "somali", "families", "great"], avoid=frozenset({"bao", "tran"})) == [
        "somali", "families", "good"]  # a person's name never; a generic word only to fill up


def test_wave_order_is_natural() -> None:
    from cop_analysis.themes.project import wave_order

    assert wave_order(["10", "2", "1", "2", "wave 10", "wave 9"]) == ["1", "2", "10", "wave 9", "wave 10"]
    assert wave_order(["2024", "2023-fall", "2023"]) == ["2023", "2023-fall", "2024"]


def test_too_few_segments_is_a_clear_error(cache: EmbeddingCache) -> None:
    from cop_analysis.themes import ThemeModel

    texts = _small_corpus()[:29]
    with pytest.raises(ValueError, match="at least 30 non-empty segments, got 29"):
        ThemeModel().fit(texts, cache.encode(texts))


def test_guided_mode_names_themes_after_codes(cache: EmbeddingCache) -> None:
    from cop_analysis.themes import ThemeGuide, ThemeModel

    texts = _small_corpus()
    guides = [ThemeGuide("park", "Parking", "Car parking, parking spaces and parking charges at the hospital.",
                         ("parking",)),
              ThemeGuide("wait", "Waiting times", "Waiting for appointments, delays and waiting lists.")]
    model = ThemeModel(guides=guides, random_state=1, keybert=False).fit(texts, cache.encode(texts))
    info = model.theme_info()
    guided = info.dropna(subset=["guided_code"]).set_index("guided_code")
    assert set(guided.index) == {"park", "wait"}
    assert model.auto_label(int(guided.loc["park", "theme_id"])) == "Parking"
    parking_rows = [i for i, t in enumerate(texts) if "park" in t.lower()]
    assert (model.topics_[parking_rows] == guided.loc["park", "theme_id"]).mean() >= 0.9
    assert info.guided_code.isna().any()  # the food comments form a new, unguided theme


def test_absorbed_code_theme_does_not_rename_the_theme_it_joined() -> None:
    from cop_analysis.themes import ThemeModel

    # code 0 (e.g. staff) anchors 8 segments of theme 0; code 1 (dignity) was too small and its 2 anchored
    # segments were absorbed into theme 0 too; code 2 anchors theme 1
    labels = np.array([0] * 10 + [1] * 5)
    anchor = np.array([0] * 8 + [1] * 2 + [2] * 3 + [-1] * 2)
    assert ThemeModel._guided_themes(labels, anchor, [4, 7, 5]) == {0: 4, 1: 5}
    assert ThemeModel._guided_themes(labels, np.full(15, -1), [4, 7, 5]) == {}
    # a code theme that grew from other segments: 1 anchored of 15 (< GUIDED_MIN_SHARE) names nothing
    assert ThemeModel._guided_themes(np.zeros(15, dtype=int), np.array([0] + [-1] * 14), [4]) == {}


def test_information_merge_joins_groups_that_share_words_and_keeps_codes_and_large_groups_apart() -> None:
    from cop_analysis.themes.model import information_merge

    # words: a b c d; groups 0-1 talk about a/b, 2-3 about c/d, 4 is small and about a
    words = np.array([[0.6, 0.4, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0, 0, 0.4, 0.6], [1.0, 0, 0, 0]])
    mass = np.array([0.3, 0.3, 0.15, 0.15, 0.1])
    assert information_merge(words, mass, 2, 0.4).tolist() == [0, 0, 1, 1, 0]
    # groups 0 and 1 held different codes: they stay apart, the others join the closer one
    apart = information_merge(words, mass, 3, 0.4, apart=[0, 1])
    assert apart[0] != apart[1] and apart[2] == apart[3] and len(set(apart)) == 3
    # k below what `apart` allows: it stops with the codes apart
    assert len(set(information_merge(words, mass, 1, 0.4, apart=[0, 2]))) == 2
    # without the entropy term the first merge is the pair losing the least word information (the smaller
    # 2 + 3); with it, the pair whose merge lowers the entropy of the theme sizes more (the larger 0 + 1)
    sizes = np.array([0.2, 0.2, 0.1, 0.1, 0.4])
    assert information_merge(words, sizes, 4, 0.0).tolist() == [0, 1, 2, 2, 3]
    assert information_merge(words, sizes, 4, 0.4).tolist() == [0, 0, 1, 2, 3]
    # then 0 + 1 and 4 hold 0.4 each, at least 1/k of the mass at k = 3: they do not merge, though the
    # entropy credit of two large groups would have them do so before 2 + 3
    assert information_merge(words, sizes, 3, 0.4).tolist() == [0, 0, 1, 1, 2]
    # empty groups (KMeans leaves some when many texts are identical) do not stop the merging
    empty = np.vstack([words, np.zeros((2, 4))]), np.concatenate([mass, [0.0, 0.0]])
    assert len(set(information_merge(*empty, 2, 0.4)[:5])) == 2


def test_a_code_name_gives_way_when_the_coders_saw_other_codes() -> None:
    from cop_analysis.themes.project import HUMAN_NAMING_MIN, code_names_checked

    info = pd.DataFrame({"theme_id": [0, 1, 2], "auto_label": ["Accountability", "Trust", "Budget / board"],
                         "keyword_label": ["Stipend / vote / bus", "Trust / board / built", "Budget / board"],
                         "guided_code": ["accountability", "trust", None]})
    assignments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(30)], "theme_id": [0] * 10 + [1] * 10 + [2] * 10})
    coded = pd.DataFrame({"segment_id": [f"s{i}" for i in range(8)] + [f"s{i}" for i in range(10, 16)]
                          + ["s16", "s17", "s20", "s21"],
                          "code_id": ["co_creation"] * 5 + ["ownership"] * 2 + ["accountability"]  # theme 0: 3rd code
                          + ["power"] * 4 + ["trust"] * 2 + ["trust", "trust", "harm", "harm"]})  # theme 1: 2nd, kept
    assert code_names_checked(info, assignments, coded).tolist() == ["Stipend / vote / bus", "Trust", "Budget / board"]
    # fewer coded units than HUMAN_NAMING_MIN: the code's name stays
    few = coded[coded.segment_id.isin([f"s{i}" for i in range(HUMAN_NAMING_MIN - 1)])]
    assert code_names_checked(info, assignments, few).tolist() == ["Accountability", "Trust", "Budget / board"]


@pytest.mark.skipif(not NHS.exists(), reason="shared NHS dataset not available")
def test_large_corpus_quality(cache: EmbeddingCache) -> None:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from cop_analysis.themes import ThemeModel

    frame = pd.read_csv(NHS)
    frame = frame[frame.feedback.fillna("").str.strip() != ""].sample(1500, random_state=0)
    texts = frame.feedback.astype(str).tolist()
    model = ThemeModel(random_state=42, keybert=False).fit(texts, cache.encode(texts))
    labels = frame.label.astype(str).to_numpy()
    assert 8 <= len(set(model.topics_)) <= 40
    assert (model.topics_ == -1).mean() <= 0.05
    assert normalized_mutual_info_score(labels, model.topics_) >= 0.24
    assert adjusted_rand_score(labels, model.topics_) >= 0.12


def test_project_themes_edits_cache_and_offline_reload(sample_project: Path) -> None:
    from cop_analysis import models
    from cop_analysis.ingest import ingest_project
    from cop_analysis.ingest import load_segments
    from cop_analysis.themes import (default_selections, figures, fit_project_themes, load_table, load_topic_model,
                                     merge_themes, rename_theme)
    from cop_analysis.themes.project import slug

    cfg = ProjectConfig.load(sample_project)
    ingest_project(cfg)
    chosen = {k: v for k, v in default_selections(load_segments(cfg)).items()
              if k.startswith(("turns: all", "survey Q5", "survey Q10"))}
    result = fit_project_themes(cfg, selections=chosen)
    assert "turns: all speakers" in result.fitted and result.skipped  # short questions are skipped, not fatal
    themes, info = load_table(cfg, "themes"), load_table(cfg, "theme_info")
    assert list(themes.columns) == THEMES.names and list(info.columns) == THEME_INFO.names
    assert themes.x.notna().all() and info.guided_code.notna().any()
    sel = "turns: all speakers"
    sel_info = info[info.selection == sel].sort_values("size", ascending=False)
    assert (themes[themes.selection == sel].theme_id == -1).mean() <= 0.05
    assert all(1 <= len(json.loads(r)) <= 5 for r in sel_info.representative_ids)
    groups = load_table(cfg, "theme_groups")
    assert {"role", "wave"} <= set(groups[groups.selection == sel].group_by)
    # waves come from topics_over_time: every segment with a wave counted once, in its wave
    waves = groups[(groups.selection == sel) & (groups.group_by == "wave")]
    segments = load_segments(cfg)
    chosen_rows = segments[segments.segment_id.isin(chosen[sel])]
    assert waves.groupby("group").n.sum().to_dict() == chosen_rows.wave.dropna().value_counts().to_dict()
    assert waves.keywords.str.len().gt(0).all()

    big, second, third = (int(t) for t in sel_info.theme_id[:3])
    rename_theme(cfg, sel, big, "Trust is built slowly")
    merge_themes(cfg, sel, [second, third], "Budget and power")
    # refit from scratch: labels and the merge come back, matched by member overlap
    result = fit_project_themes(cfg, selections=chosen, force=True)
    assert not result.stale_edits
    info = load_table(cfg, "theme_info")
    labels = info[info.selection == sel].label.tolist()
    assert "Trust is built slowly" in labels and "Budget and power" in labels
    themes = load_table(cfg, "themes")
    assert (themes[themes.selection == sel].theme_label == "Budget and power").sum() > 0
    # unchanged input: nothing refitted
    again = fit_project_themes(cfg, selections=chosen)
    assert not again.fitted and sel in again.reused

    info = load_table(cfg, "theme_info")
    assert len(figures.barchart(info, sel).data[0].y) == len(info[info.selection == sel])
    assert len(figures.documents_map(themes, sel).data) == len(info[info.selection == sel])
    assert figures.hierarchy(cfg, sel).data
    assert figures.wave_change(groups, info, sel).data
    assert load_table(cfg, "theme_codes_human").empty  # no human codings yet

    loaded = load_topic_model(cfg.processed / "themes" / slug(sel) / "model", models.load_embedding_model())
    raw = pd.read_parquet(cfg.processed / "themes" / slug(sel) / "assignments.parquet")
    seg = pd.read_parquet(cfg.processed / "segments.parquet").set_index("segment_id")
    texts = seg.loc[raw.segment_id[:10], "text"].tolist()
    predicted, _ = loaded.transform(texts, embeddings=EmbeddingCache(cfg.embeddings_dir).encode(texts))
    assert (np.asarray(predicted) == raw.theme_id[:10].to_numpy()).mean() >= 0.6
