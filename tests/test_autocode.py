"""Auto-coding: each suggester on small real inputs (real spaCy, real MiniLM, real ledger)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cop_analysis.autocode import (CombinedSuggester, DefinitionSuggester, LearnedSuggester, RuleSuggester,
                                   evaluate, next_informative_segments, suggest_project)
from cop_analysis.autocode.base import label_matrix
from cop_analysis.codebook import Codebook

CODEBOOK = {"name": "test codebook", "codes": [
    {"id": "trust", "name": "Trust",
     "definition": "Whether members believe others will act in good faith and follow through on promises.",
     "include": "Trusting or distrusting the county, doubts that leaders will follow through.",
     "examples": ["I didn't trust the county at first.", "People are waiting to see if leadership follows through."],
     "patterns": ["trust", "follow through"]},
    {"id": "facilitation", "name": "Facilitation",
     "definition": "How meetings are run: the facilitator, agendas, ground rules, who gets to speak.",
     "include": "Comments on the facilitator, meeting structure, breakout groups, agendas and time keeping.",
     "examples": ["The facilitator made sure everyone got a turn to speak.", "The agenda was too packed."],
     "patterns": ["facilitat*", "agenda"]},
    {"id": "resources", "name": "Resources",
     "definition": "Money, staff time and capacity available to do the work.",
     "include": "Budget, funding, stipends, paid time, staffing shortages, workload.",
     "examples": ["There is no budget to pay community members.", "Nobody has the staff time to do this."],
     "patterns": ["budget", "funding", "stipend"]},
]}

TEXTS = {
    "trust": [
        "I never trusted the county, they broke so many promises to our neighborhood.",
        "Over time I started to believe leadership would actually do what they said.",
        "People doubt the commissioners mean it; we have been lied to before.",
        "When they came back and showed us the changes, my confidence in them grew.",
        "There is a lot of suspicion about why the county wants our input now.",
        "I'm not sure they will keep their word once the grant ends.",
        "Trust was broken when the report was published without asking us.",
        "Honestly I think they are sincere this time and will follow through.",
        "Many members are skeptical that anything will change.",
        "We believed them because they admitted past mistakes openly.",
    ],
    "facilitation": [
        "The facilitator kept the conversation on track and watched the clock.",
        "The agenda had far too many items for a ninety minute meeting.",
        "Breakout groups gave quieter people a chance to talk.",
        "Ground rules at the start of each session helped a lot.",
        "The meeting was run so that the same three people did all the talking.",
        "Our facilitator asked everyone to go around and share before discussion.",
        "Having a clear meeting structure with time for questions worked well.",
        "The chair cut people off and rushed through the discussion.",
        "Using sticky notes and small groups made the sessions more interactive.",
        "Sessions started late and the plan for the meeting was unclear.",
    ],
    "resources": [
        "There is no money in the budget to pay community members for their time.",
        "Staff are stretched thin and can't take on more work.",
        "Stipends made it possible for me to attend instead of working a shift.",
        "The funding runs out next year and nobody knows what happens then.",
        "We need paid staff hours dedicated to this, not volunteers.",
        "Our department has two vacancies so the workload is huge.",
        "Without childcare and transport costs covered, many people cannot come.",
        "The grant only covers materials, not salaries.",
        "I do this on top of my full-time job with no extra pay.",
        "They finally hired a coordinator with the new budget.",
    ],
}


@pytest.fixture
def codebook() -> Codebook:
    return Codebook.from_dict(CODEBOOK)


@pytest.fixture
def segments() -> pd.DataFrame:
    rows = [(f"{code}-{i}", text, code) for code, texts in TEXTS.items() for i, text in enumerate(texts)]
    return pd.DataFrame(rows, columns=["segment_id", "text", "truth"])


def codings_for(frame: pd.DataFrame, coder: str = "ana") -> pd.DataFrame:
    return pd.DataFrame({"segment_id": frame["segment_id"], "code_id": frame["truth"], "coder": coder,
                         "orphaned": False})


# -- no model ---------------------------------------------------------------------------------
def test_evaluate_matches_hand_computed_example() -> None:
    codings = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s4", "s1"], "code_id": ["a", "a", "b", "b", "b"],
                            "coder": ["ana"] * 4 + ["bo"]})
    suggestions = pd.DataFrame({"segment_id": ["s1", "s3", "s2", "s4"], "code_id": ["a", "a", "b", "b"],
                                "score": [0.9, 0.7, 0.6, 0.4]})
    result = evaluate(suggestions, codings, coder="ana").set_index("code_id")
    # code a: human {s1, s2}, machine {s1, s3}: tp 1, P 1/2, R 1/2; po 2/4, pe .5 -> kappa 0
    assert result.loc["a", ["tp", "precision", "recall", "f1", "kappa"]].tolist() == pytest.approx([1, .5, .5, .5, 0])
    # code b: human {s3, s4}, machine {s2} (s4 scored .4 < .5): tp 0, P 0, R 0; po 1/4, pe .5 -> kappa -0.5
    assert result.loc["b", ["tp", "precision", "recall", "f1", "kappa"]].tolist() == pytest.approx([0, 0, 0, 0, -.5])
    # overall pools 8 pairs: tp 1, 3 suggested, 4 human; agree on s1a, s4a, s1b: po 3/8,
    # pe (4*3 + 4*5)/64 = .5 -> kappa -0.25
    overall = result.loc["(overall)"]
    assert overall[["n_segments", "tp", "precision", "recall", "kappa"]].tolist() == pytest.approx([4, 1, 1 / 3, .25, -.25])
    assert evaluate(suggestions, codings, coder="ana", threshold=0.3).set_index("code_id").loc["b", "tp"] == 1


def test_label_matrix_reviewed_negatives_and_rejections() -> None:
    codings = pd.DataFrame({"segment_id": ["s1", "s2"], "code_id": ["a", "b"], "coder": ["ana", "bo"],
                            "orphaned": [False, False]})
    negatives = pd.DataFrame({"segment_id": ["s3", "s1"], "code_id": ["a", "a"]})
    labels = label_matrix(codings, ["s1", "s2", "s3"], ["a", "b"], coder="ana", negatives=negatives)
    assert labels.tolist() == [[1, 0], [-1, -1], [0, -1]]  # the coded positive wins over the negative


def test_rules_match_lemmas_case_and_prefixes(codebook: Codebook) -> None:
    segs = pd.DataFrame({"segment_id": ["a", "b", "c"], "text": [
        "We TRUSTED them, and they followed through.", "Facilitators kept to the agenda.", "Nothing relevant."]})
    out = RuleSuggester().fit(codebook).suggest(segs).set_index(["segment_id", "code_id"])
    assert set(out.index) == {("a", "trust"), ("b", "facilitation")}
    # "TRUSTED" (1 token) + "followed through" (2 tokens): strength 3 -> 1 - 0.5**3
    assert out.loc[("a", "trust"), "score"] == pytest.approx(0.875)
    assert out.loc[("a", "trust"), "evidence"] == 'matched: "TRUSTED", "followed through"'
    assert out.loc[("b", "facilitation"), "score"] == pytest.approx(0.75)
    assert (out["method"] == "rules").all()


def test_rules_lemmas_come_from_the_lookup_table(codebook: Codebook) -> None:
    """Inflections the lookup table knows (irregular "kept" -> "keep") and contractions ("Can't" -> "can not")."""
    extra = Codebook.from_dict({"codes": [{"id": "silence", "name": "Silence", "definition": "d",
                                            "patterns": ["keep quiet", "can't speak"]}]})
    segs = pd.DataFrame({"segment_id": ["a", "b", "c"], "text": [
        "They kept quiet about it.", "We cannot speak freely.", "Quietly kept notes."]})
    out = RuleSuggester().fit(extra).suggest(segs).sort_values("segment_id")
    assert out.segment_id.tolist() == ["a", "b"]
    assert out.evidence.tolist() == ['matched: "kept quiet"', 'matched: "cannot speak"']


# -- real MiniLM ------------------------------------------------------------------------------
@pytest.mark.slow
def test_definitions_zero_shot(codebook: Codebook, segments: pd.DataFrame, tmp_path: Path) -> None:
    model = DefinitionSuggester(tmp_path / "emb", share=1 / 3).fit(codebook, segments=segments)
    table = model.score(segments)
    top = np.asarray(table.code_ids)[table.scores.argmax(axis=1)]
    assert (top == segments["truth"].to_numpy()).mean() >= 0.7
    out = model.suggest(segments)
    assert out["score"].between(0.5, 1).all() and (out["method"] == "definitions").all()
    assert 0.2 <= len(out) / (len(segments) * 3) <= 0.45  # about `share` of all pairs pass the threshold
    assert out["evidence"].str.startswith("closest ").all()


@pytest.mark.slow
def test_learned_trains_codes_with_enough_examples(codebook: Codebook, segments: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    train = segments[segments.index % 5 != 0]
    test = segments[segments.index % 5 == 0]
    codings = codings_for(train)
    codings = codings[(codings["code_id"] != "resources") | codings["segment_id"].isin(["resources-1", "resources-2"])]
    model = LearnedSuggester(tmp_path / "emb", min_examples=4).fit(codebook, codings, train)
    metrics = model.metrics_.set_index("code_id")
    assert metrics["trained"].to_dict() == {"trust": True, "facilitation": True, "resources": False}
    assert metrics.loc["trust", ["n_positive", "n_negative", "cv_folds"]].tolist() == [8, 10, 5]
    assert 0 <= metrics.loc["trust", "cv_recall"] <= 1
    table = model.score(test)
    assert np.isnan(table.scores[:, 2]).all()
    scores = table.scores[:, :2]
    is_trust = (test["truth"] == "trust").to_numpy()
    assert scores[is_trust, 0].mean() > scores[~is_trust, 0].mean() + 0.2
    assert table.evidence[0, 0].startswith('like human-coded "')


@pytest.mark.slow
def test_combined_calibrates_on_human_codes(codebook: Codebook, segments: pd.DataFrame, tmp_path: Path) -> None:
    zero = CombinedSuggester(tmp_path / "emb").fit(codebook, segments=segments).suggest(segments)
    assert set(zero["method"]) <= {"definitions", "definitions+rules"}
    assert zero["score"].between(0.5, 1).all()
    train, test = segments[segments.index % 2 == 0], segments[segments.index % 2 == 1]
    model = CombinedSuggester(tmp_path / "emb", min_examples=3).fit(codebook, codings_for(train), segments)
    assert "learned" in model.stackers_
    out = model.suggest(test)
    assert out["method"].str.startswith("learned+definitions").all()
    assert out["evidence"].str.contains('like human-coded "').all()
    result = evaluate(out, codings_for(test), segments=test["segment_id"]).set_index("code_id")
    assert result.loc["(overall)", "kappa"] > 0.5


def _write_project(root: Path) -> Path:
    import yaml

    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    with open(raw / "survey.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rid", "Q1"])
        for i, text in enumerate(t for texts in TEXTS.values() for t in texts):
            writer.writerow([f"r{i}", text])
    (raw / "codebook.yml").write_text(yaml.safe_dump(CODEBOOK), encoding="utf-8")
    (root / "project.yml").write_text(yaml.safe_dump({
        "name": "autocode test", "codebook": "data/raw/codebook.yml",
        "surveys": [{"path": "survey.csv", "layout": "plain", "respondent_id": "rid", "open_ended": ["Q1"]}]}))
    return root


@pytest.mark.slow
def test_suggest_project_stores_idempotently_and_respects_humans(tmp_path: Path) -> None:
    from cop_analysis.config import ProjectConfig
    from cop_analysis.ingest import ingest_project
    from cop_analysis.ledger import Ledger

    cfg = ProjectConfig.load(_write_project(tmp_path / "p"))
    assert not ingest_project(cfg).errors
    first = suggest_project(cfg)
    assert len(first) and first.attrs["stored"] == len(first)
    with Ledger(cfg.ledger_path) as ledger:
        stored = ledger.suggestions()
        assert (stored["status"] == "suggested").all() and stored["model"].str.contains("MiniLM").all()
        assert stored["codebook_version"].eq(Codebook.from_dict(CODEBOOK).version).all()
        ledger.add_coder("ana")
        others = stored[stored["code_id"] != "resources"]  # the hand-coded pair below is a resources one
        accepted, rejected = int(others["suggestion_id"].iloc[0]), int(others["suggestion_id"].iloc[1])
        ledger.accept(accepted, "ana")
        ledger.reject(rejected, "ana")
        acc = stored.set_index("suggestion_id").loc[accepted]
        codings = ledger.codings("ana")
        assert set(zip(codings["segment_id"], codings["code_id"])) == {(acc["segment_id"], acc["code_id"])}
        segments = pd.read_parquet(cfg.processed / "segments.parquet")
        responses = segments[segments["unit"] == "response"].set_index("text")["segment_id"]
        hand = responses[TEXTS["resources"][0]]
        ledger.code(hand, "resources", "ana")
        before = ledger.suggestions().set_index("suggestion_id")
    second = suggest_project(cfg)
    # same inputs: nothing new; only a pending suggestion of the pair ana coded by hand is withdrawn
    hand_pending = ((before["segment_id"] == hand) & (before["code_id"] == "resources")).sum()
    assert second.attrs["stored"] == hand_pending
    assert not ((second["segment_id"] == hand) & (second["code_id"] == "resources")).any()
    with Ledger(cfg.ledger_path) as ledger:
        after = ledger.suggestions().set_index("suggestion_id")
        assert not after.duplicated(["segment_id", "code_id"]).any()
        assert after.loc[accepted, "status"] == "accepted" and after.loc[rejected, "status"] == "rejected"
        assert after.loc[[accepted, rejected]].equals(before.loc[[accepted, rejected]])
        assert len(ledger.codings("ana")) == 2
        nxt = next_informative_segments(cfg, "ana", n=5)
        assert len(nxt) == 5 and not set(nxt) & set(ledger.codings("ana")["segment_id"])
        pending = ledger.suggestions("suggested")
    cut = float(pending["score"].median())
    # a rerun with a higher threshold withdraws the pending suggestions it no longer makes, only those
    third = suggest_project(cfg, threshold=cut)
    stale = pending[~pending.set_index(["segment_id", "code_id"]).index.isin(
        list(zip(third["segment_id"], third["code_id"])))]
    assert len(third) and len(stale) and third.attrs["stored"] >= len(stale)
    with Ledger(cfg.ledger_path) as ledger:
        final = ledger.suggestions().set_index("suggestion_id")
        assert final.loc[stale["suggestion_id"], "status"].eq("withdrawn").all()
        now_pending = final[final["status"] == "suggested"]
        decided = final[final["status"].isin(["accepted", "rejected"])]
        assert set(zip(now_pending["segment_id"], now_pending["code_id"])) == (
            set(zip(third["segment_id"], third["code_id"])) - set(zip(decided["segment_id"], decided["code_id"])))
        assert final.loc[[accepted, rejected]].equals(before.loc[[accepted, rejected]])
        assert set(final["status"]) == {"accepted", "rejected", "suggested", "withdrawn"}
        assert len(ledger.codings("ana")) == 2
    # no suggestion at all above the threshold (the imported NVivo project): nothing stored, no crash, and
    # every pending suggestion withdrawn
    none = suggest_project(cfg, threshold=1.01)
    assert len(none) == 0 and {"segment_id", "code_id", "score"} <= set(none.columns)
    with Ledger(cfg.ledger_path) as ledger:
        assert not (ledger.suggestions()["status"] == "suggested").any()


def test_suggest_summary_says_why_a_code_has_no_learned_part() -> None:
    from types import SimpleNamespace

    from rich.console import Console

    from cop_analysis.cli import suggestion_table

    codebook = SimpleNamespace(codes=[SimpleNamespace(id=c, name=n, codable=True) for c, n in
                                      [("trust", "Trust"), ("harm", "Harm"), ("power", "Power"), ("care", "Care")]])
    result = pd.DataFrame({"segment_id": ["a", "b", "c"], "code_id": ["trust", "trust", "harm"],
                           "method": ["definitions", "definitions+rules", "learned+definitions"]})
    nan = float("nan")
    metrics = pd.DataFrame({"code_id": ["trust", "harm", "power", "care"], "n_positive": [2, 8, 6, 9],
                            "trained": [False, True, True, True], "cv_precision": [nan, 0.8, nan, 0.5],
                            "cv_recall": [nan, 0.6, 0.0, 0.1], "cv_kappa": [nan, 0.55, 0.0, -0.05]})
    console = Console(record=True, width=200)
    console.print(suggestion_table(result, metrics, codebook, 0.5))
    lines = {line.split("│")[1].strip(): line for line in console.export_text().splitlines() if line.count("│") > 2}
    assert "too few human examples" in lines["Trust"] and "definitions 1, definitions+rules 1" in lines["Trust"]
    assert "0.80" in lines["Harm"] and "note" not in lines["Harm"] and lines["Harm"].rstrip("│ ").endswith("0.55")
    assert "never suggested it in CV" in lines["Power"]
    assert "no better than chance" in lines["Care"]
