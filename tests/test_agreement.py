"""Intercoder agreement: hand-computed examples, sklearn cross-check, guards, consensus, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from cop_analysis.agreement import agreement, cohen_kappa, ledger_agreement, record_consensus
from cop_analysis.cli import app
from cop_analysis.config import ProjectConfig
from cop_analysis.ledger import Ledger

SEGS = [f"s{i}" for i in range(1, 11)]


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment_id", "code_id", "coder"])


def two_coders() -> pd.DataFrame:
    # trust: A applies s1-s5, B applies s1-s4 and s6. harm: only A, on s1.
    return frame([(f"s{i}", "trust", "A") for i in (1, 2, 3, 4, 5)] + [(f"s{i}", "trust", "B") for i in (1, 2, 3, 4, 6)]
                 + [("s1", "harm", "A")])


def test_hand_computed_two_coders() -> None:
    result = agreement(two_coders(), segments=SEGS, codes=["trust", "harm", "ownership"])
    per = result.per_code.set_index("code_id")
    # trust over 10 segments: agree on s1-s4 (both 1) and s7-s10 (both 0) -> p_o = 8/10 = 0.8.
    # p_A = p_B = 0.5 -> p_e = 0.5*0.5 + 0.5*0.5 = 0.5 -> kappa = (0.8 - 0.5) / (1 - 0.5) = 0.6.
    # Krippendorff (nominal, 2 coders, 20 values): o_11 = 2*4 = 8, o_00 = 8, o_10 = o_01 = 2;
    # n_1 = n_0 = 10. D_o = 4/20 = 0.2; D_e = 2*10*10 / (20*19) = 200/380 -> alpha = 1 - 0.2*380/200 = 0.62.
    assert per.loc["trust", "percent_agreement"] == pytest.approx(0.8)
    assert per.loc["trust", "cohen_kappa"] == pytest.approx(0.6)
    assert per.loc["trust", "krippendorff_alpha"] == pytest.approx(0.62)
    # harm: only A on s1 -> p_o = 0.9; p_A = 0.1, p_B = 0 -> p_e = 0*0.1 + 1*0.9 = 0.9 -> kappa = 0.
    # alpha: o_00 = 18, o_10 = o_01 = 1, n_1 = 1, n_0 = 19: D_o = 2/20 = 0.1, D_e = 2*1*19/(20*19) = 0.1 -> 0.
    assert per.loc["harm", "percent_agreement"] == pytest.approx(0.9)
    assert per.loc["harm", "cohen_kappa"] == pytest.approx(0.0)
    assert per.loc["harm", "krippendorff_alpha"] == pytest.approx(0.0)
    # ownership: nobody applied it -> NaN with a note, and left out of the pooled figures.
    assert math.isnan(per.loc["ownership", "cohen_kappa"]) and math.isnan(per.loc["ownership", "krippendorff_alpha"])
    assert per.loc["ownership", "note"] == "no coder applied it on the shared segments" and per.loc["ownership", "n_applied"] == 0
    # pooled over trust + harm (20 units): 3 disagreements -> p_o = 17/20 = 0.85; p_A = 6/20 = 0.3,
    # p_B = 5/20 = 0.25 -> p_e = 0.3*0.25 + 0.7*0.75 = 0.6 -> kappa = 0.25/0.4 = 0.625.
    # alpha: o_11 = 8, o_00 = 2*(4+9) = 26, o_10 = o_01 = 3, n = 40, n_1 = 11, n_0 = 29:
    # D_o = 6/40 = 0.15, D_e = 2*11*29/(40*39) = 638/1560 -> alpha = 1 - 0.15*1560/638 = 0.6332288...
    o = result.overall
    assert o["percent_agreement"] == pytest.approx(0.85) and o["cohen_kappa"] == pytest.approx(0.625)
    assert o["krippendorff_alpha"] == pytest.approx(1 - 0.15 * 1560 / 638) and o["n_units"] == 20
    assert o["n_codes_applied"] == 2 and o["n_disagreements"] == 3
    dis = result.disagreements
    assert dis.values.tolist() == [["s5", "trust", "A", "B"], ["s6", "trust", "B", "A"], ["s1", "harm", "A", "B"]]
    assert sorted(map(tuple, result.agreed.values.tolist())) == [(s, "trust") for s in ("s1", "s2", "s3", "s4")]
    assert "2 coders (A, B), 10 shared segments" in result.summary()


def test_hand_computed_three_coders() -> None:
    # units u1..u4; A = [1,1,0,0], B = [1,1,0,1], C = [1,0,0,0]
    rows = [("u1", "x", c) for c in "ABC"] + [("u2", "x", "A"), ("u2", "x", "B"), ("u4", "x", "B")]
    result = agreement(frame(rows), segments=["u1", "u2", "u3", "u4"])
    per = result.per_code.iloc[0]
    # pairs: AB p_o .75, p_e .5*.75+.5*.25 = .5 -> .5; AC p_o .75, p_e .5 -> .5; BC p_o .5, p_e .375 -> .2
    assert result.pairwise["cohen_kappa"].tolist() == pytest.approx([0.5, 0.5, 0.2])
    assert per["cohen_kappa"] == pytest.approx(0.4) and per["percent_agreement"] == pytest.approx(2 / 3)
    # coincidences (each ordered pair within a unit weighs 1/(3-1)): o_11 = 3+1 = 4, o_00 = 3+1 = 4,
    # o_10 = o_01 = 1+1 = 2; n = 12, n_1 = n_0 = 6. D_o = 4/12, D_e = 2*6*6/(12*11) = 6/11 -> alpha = 7/18.
    assert per["krippendorff_alpha"] == pytest.approx(7 / 18)


def test_kappa_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    for p in (0.1, 0.3, 0.5):
        a, b = rng.random(60) < p, rng.random(60) < p
        b[:20] = a[:20]
        assert cohen_kappa(a.astype(int), b.astype(int)) == pytest.approx(cohen_kappa_score(a, b))
    rows = [(f"s{i}", "c", coder) for coder in ("P", "Q", "R") for i in range(40) if rng.random() < 0.4]
    result = agreement(frame(rows), segments=[f"s{i}" for i in range(40)])
    vec = {c: np.array([int((f"s{i}", "c", c) in rows) for i in range(40)]) for c in ("P", "Q", "R")}
    for pair in result.pairwise.itertuples():
        assert pair.cohen_kappa == pytest.approx(cohen_kappa_score(vec[pair.coder_a], vec[pair.coder_b]))


def test_guards_no_variation_and_too_few_coders() -> None:
    rows = [(s, "all", c) for s in ("s1", "s2") for c in ("A", "B")] + [("s1", "half", "A"), ("s2", "half", "A")]
    per = agreement(frame(rows)).per_code.set_index("code_id")
    assert per.loc["all", "percent_agreement"] == 1.0 and math.isnan(per.loc["all", "krippendorff_alpha"])
    assert "no variation" in per.loc["all", "note"] and math.isnan(per.loc["all", "cohen_kappa"])
    # A always applies "half", B never: kappa is 0 (p_e = 0), alpha is defined
    assert per.loc["half", "cohen_kappa"] == 0.0 and per.loc["half", "krippendorff_alpha"] < 0
    with pytest.raises(ValueError, match="at least two coders"):
        agreement(frame([("s1", "x", "A")]))
    empty = agreement(frame([("s1", "x", "A"), ("s2", "x", "B")]))  # no shared segment: NaNs, no crash
    assert empty.segments == [] and empty.per_code["note"].iloc[0] == "no segment was seen by all coders"


def test_universe_from_reviews_and_consensus(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as led:
        led.code("s1", "trust", "A")
        led.code("s2", "trust", "A")
        led.code("s2", "harm", "A")
        led.code("s2", "trust", "B")
        led.mark_reviewed("s1", "B")  # B saw s1 and applied nothing
        led.mark_reviewed("s3", "B")  # A never saw s3: not in the universe
        result = ledger_agreement(led)
        assert result.segments == ["s1", "s2"] and result.coders == ["A", "B"]
        assert result.per_code.set_index("code_id").loc["trust", "percent_agreement"] == 0.5
        assert set(map(tuple, result.disagreements[["segment_id", "code_id"]].values)) == {("s1", "trust"), ("s2", "harm")}
        # adjudication: keep trust on s1, drop harm on s2; agreed codes are recorded too
        n = record_consensus(led, [{"segment_id": "s1", "code_id": "trust"},
                                   {"segment_id": "s2", "code_id": "harm", "apply": False}], result=result)
        consensus = led.codings(coder="consensus")
        assert n == 2 and sorted(map(tuple, consensus[["segment_id", "code_id"]].values)) == [("s1", "trust"), ("s2", "trust")]
        assert ledger_agreement(led).coders == ["A", "B"]  # consensus is not compared by default
        against = ledger_agreement(led, coders=["A", "consensus"], segments=["s1", "s2"])
        assert against.overall["n_disagreements"] == 1  # A's harm on s2


def test_cli_agreement_and_export(tmp_path: Path) -> None:
    (tmp_path / "project.yml").write_text("name: t\n", encoding="utf-8")
    cfg = ProjectConfig.load(tmp_path)
    with Ledger(cfg.ledger_path) as led:
        for seg in ("s1", "s2", "s3"):
            led.code(seg, "trust", "ana")
        led.code("s1", "trust", "ben")
        led.code("s2", "harm", "ben")
        led.mark_reviewed("s3", "ben")
        led.code("s9", "trust", "eve")  # a coder who has just started: shares nothing with the others
    runner = CliRunner()
    res = runner.invoke(app, ["agreement", "--project", str(tmp_path), "--disagreements"])
    assert res.exit_code == 0, res.output
    assert "not compared: eve (choose with -c)" in res.output  # as the workbench's Compare coders
    assert "trust" in res.output and "0.333" in res.output and "no coder applied it on the shared segments" in res.output
    chosen = runner.invoke(app, ["agreement", "--project", str(tmp_path), "-c", "ana,ben"])
    assert chosen.exit_code == 0 and "0.333" in chosen.output and "not compared" not in chosen.output
    apart = runner.invoke(app, ["agreement", "--project", str(tmp_path), "-c", "ana", "-c", "eve"])
    assert apart.exit_code == 0 and "0 shared segments" in apart.output and "nan" not in apart.output
    with Ledger(cfg.ledger_path) as led:
        led.code("s1", "trust", "Smith, J")  # a comma in a name: still one coder
    comma = runner.invoke(app, ["agreement", "--project", str(tmp_path), "-c", "Smith, J", "-c", "ana"])
    assert comma.exit_code == 0 and "2 coders (Smith, J, ana), 1 shared segments" in comma.output, comma.output
    unknown = runner.invoke(app, ["agreement", "--project", str(tmp_path), "-c", "ana,nobody"])
    assert unknown.exit_code == 1 and "no coder named 'nobody'" in unknown.output
    listed = res.output[res.output.index("disagreements (adjudicate"):]
    assert "Harm" in listed and "Trust" in listed and "s2" in listed and "s3" in listed and "s1" not in listed
    out = tmp_path / "codings.xlsx"
    res = runner.invoke(app, ["export-codings", "--project", str(tmp_path), str(out)])
    assert res.exit_code == 0 and pd.read_excel(out)["code_path"].tolist()[0] == "relational/trust"
    assert runner.invoke(app, ["export-codings", "--project", str(tmp_path), str(tmp_path / "x.txt")]).exit_code == 1


def test_consensus_keeps_the_span_all_applying_coders_used(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as led:
        for seg in ("s1", "s2", "s3", "s4", "s5"):
            for coder in ("A", "B"):
                led.mark_reviewed(seg, coder)
        led.code("s1", "trust", "A", span=(0, 5))  # both coders, same sentence: agreed, span kept
        led.code("s1", "trust", "B", span=(0, 5))
        led.code("s2", "harm", "A", span=(3, 9))  # one coder, one sentence: the disagreement is about it
        led.code("s3", "power", "A", span=(0, 4))  # different sentences: whole unit
        led.code("s3", "power", "B", span=(5, 9))
        led.code("s3", "harm", "A")  # whole unit vs. a sentence: whole unit
        led.code("s3", "harm", "B", span=(5, 9))
        led.code("s4", "trust", "A", span=(0, 4))  # two sentences by one coder: whole unit
        led.code("s4", "trust", "A", span=(5, 9))
        result = ledger_agreement(led)
        assert sorted(map(tuple, result.disagreements[["segment_id", "code_id"]].values)) == [
            ("s2", "harm"), ("s4", "trust")]
        decided = [{"segment_id": s, "code_id": c} for s, c in (("s2", "harm"), ("s4", "trust"))]
        assert record_consensus(led, decided, result=result) == 5
        held = {(r.segment_id, r.code_id): (r.span_start, r.span_end) for r in led.codings("consensus").itertuples()}
        whole = (pd.NA, pd.NA)
        assert held == {("s1", "trust"): (0, 5), ("s2", "harm"): (3, 9), ("s3", "power"): whole,
                        ("s3", "harm"): whole, ("s4", "trust"): whole}
        # "do not apply" removes the consensus coding whatever its span ...
        assert record_consensus(led, [{"segment_id": "s2", "code_id": "harm", "apply": False}]) == 4
        now = led.codings("consensus")
        assert ("s2", "harm") not in set(zip(now["segment_id"], now["code_id"]))
        # ... and where consensus holds nothing, an uncode of the whole unit records the refusal
        record_consensus(led, [{"segment_id": "s5", "code_id": "harm", "apply": False}])
        last = led.history(coder="consensus").iloc[-1]
        assert (last["action"], last["segment_id"], last["effective"], pd.isna(last["span_start"])) == (
            "uncode", "s5", False, True)
        # without ``result`` the spans come from every coder but consensus; explicit ``codings`` win
        record_consensus(led, [{"segment_id": "s2", "code_id": "harm"}])
        spans = led.codings("consensus").set_index(["segment_id", "code_id"])
        assert tuple(spans.loc[("s2", "harm"), ["span_start", "span_end"]]) == (3, 9)
        record_consensus(led, [{"segment_id": "s2", "code_id": "harm", "apply": False}])
        only_b = led.codings()[lambda d: d["coder"] == "B"]
        record_consensus(led, [{"segment_id": "s2", "code_id": "harm"}], codings=only_b)  # B never coded it
        spans = led.codings("consensus").set_index(["segment_id", "code_id"])
        assert spans.loc[("s2", "harm"), "span_start"] is pd.NA
