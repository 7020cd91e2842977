"""Slices, health, flips and calibration of the predictions family: keys, values against direct
computations, the not-gated small slices and the family-wise correction over slice gates."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss

from mlgate.config.load import parse_config
from mlgate.families.predictions.details import details
from mlgate.families.predictions.family import interval_record
from mlgate.gating.gates import SKIPPED
from mlgate.gating.rules import FAIL, PASS
from mlgate.stats import PredictionSpec, load_predictions, pair
from mlgate.stats.multiple import holm
from mlgate.stats.slices import read_columns

SPEC = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred", score="proba")
N = 3000


def _frames(flips: dict[str, int], seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base and head over the same rows; the head gets ``flips[region]`` right base answers wrong."""
    rng = np.random.default_rng(seed)
    region = rng.choice(list("abcdef"), N)
    label = rng.integers(0, 2, N)
    base = np.where(rng.random(N) < 0.85, label, 1 - label)
    head = base.copy()
    for reg, k in flips.items():
        idx = np.flatnonzero((region == reg) & (base == label))[:k]
        head[idx] = 1 - label[idx]

    def frame(pred: np.ndarray) -> pd.DataFrame:
        proba = np.clip(np.where(pred == 1, 0.75, 0.25) + rng.normal(0, 0.1, N), 0, 1).round(4)
        return pd.DataFrame({"id": [f"x{i}" for i in range(N)], "label": label, "pred": pred, "proba": proba,
                             "region": region, "hour": np.arange(N) % 24})

    return frame(head), frame(base)


def _load(frame: pd.DataFrame):
    data = frame.to_csv(index=False).encode()
    return (load_predictions(SPEC, io.BytesIO(data)),
            read_columns(SPEC.path, io.BytesIO(data), SPEC, ["region"], name="eval/predictions.csv"))


def _run(flips: dict[str, int], kpis: str = "", options: str = "", base: bool = True):
    cfg = parse_config(f"""version: 1
predictions:
  path: eval/predictions.csv
  score: proba
  slices: [region, {{name: night, where: "hour < 6"}}]
{options}kpis:
{kpis or '  accuracy: {min: 0}'}
""")
    hf, bf = _frames(flips)
    h, hc = _load(hf)
    b, bc = _load(bf) if base else (None, None)
    d = details(cfg.predictions, cfg.kpis, ["accuracy", "f1", "roc_auc"], h, b, pair(h, b) if base else None,
                head_columns=hc, base_columns=bc, record=interval_record, resamples=1000)
    return d, hf, bf


def test_keys_and_values() -> None:
    d, hf, bf = _run({"a": 60})
    for frame, side in ((hf, d.head), (bf, d.base)):
        rows = frame[frame["region"] == "a"]
        assert side["predictions.slice.region=a.accuracy"] == pytest.approx(accuracy_score(rows["label"], rows["pred"]))
        assert side["predictions.slice.region=a.rows"] == len(rows)
        assert side["predictions.slice.night.rows"] == int((frame["hour"] < 6).sum())
        assert side["predictions.calibration.brier"] == pytest.approx(brier_score_loss(frame["label"], frame["proba"]))
        assert side["predictions.health.distinct_labels"] == 2
    lost = int(((bf["pred"] == bf["label"]) & (hf["pred"] != hf["label"])).sum())
    assert d.head["predictions.flips.right_to_wrong"] == lost == 60
    assert d.head["predictions.flips.wrong_to_right"] == 0
    assert d.head["predictions.health.agreement"] == pytest.approx((hf["pred"] == bf["pred"]).mean())
    assert "predictions.flips.right_to_wrong" not in d.base and "predictions.health.label_shift_js" not in d.base
    s = d.section
    assert s["flips"]["right_to_wrong_ids"][:3] == hf["id"][(bf["pred"] == bf["label"]) & (hf["pred"] != hf["label"])][:3].tolist()
    assert np.array(s["flips"]["confusion"]["diff"]).sum() == 0
    assert s["calibration"]["bins"] == 10 and sum(b["count"] for b in s["calibration"]["head"]["table"]) == N
    assert s["slices"]["worst"][0] == "region=a" and s["slices"]["movers"][0] == "region=a"
    row = next(r for r in s["slices"]["slices"] if r["name"] == "region=a")
    assert row["interval"]["high"] < 0 and row["interval"]["significant"]


def test_without_a_base_only_the_heads_figures() -> None:
    d, _, _ = _run({}, base=False)
    assert d.base is None and "flips" not in d.section
    assert "predictions.health.label_shift_js" not in d.head and "predictions.slice.region=a.accuracy" in d.head
    assert all("interval" not in r for r in d.section["slices"]["slices"])


KPI = '  "predictions.slice.region=*.accuracy": {max_drop: 0.0, confidence: 0.95}\n'


@pytest.mark.parametrize("correction", ["holm", "bh", "none"])
def test_slice_gates_are_decided_together(correction: str) -> None:
    d, _, _ = _run({"a": 60, "b": 4}, KPI, f"  slice_correction: {correction}\n")
    outcomes = {k[0].split(".")[2]: o for k, o in d.outcomes.items()}
    assert sorted(outcomes) == [f"region={r}" for r in "abcdef"]
    p = np.array([o.interval["correction"]["p_value"] for o in outcomes.values()])
    raw_failed = np.array([o.interval["of"] == "diff" and o.interval["high"] < 0 for o in outcomes.values()])
    if correction == "holm":
        adjusted = holm(p)
        assert [o.interval["correction"]["adjusted_p"] for o in outcomes.values()] == pytest.approx(adjusted.tolist())
        expected = raw_failed & (adjusted <= 0.05)
    elif correction == "none":
        expected = raw_failed
    else:
        expected = raw_failed & (np.array([o.interval["correction"]["adjusted_p"] for o in outcomes.values()]) <= 0.05)
    assert [o.status == FAIL for o in outcomes.values()] == expected.tolist()
    assert outcomes["region=a"].status == FAIL
    # region=b's small drop is significant alone, and within noise once six slice gates are counted
    assert outcomes["region=b"].status == (FAIL if correction == "none" else PASS)
    if correction == "holm":
        assert "within noise after Holm over 6 slice gates (adjusted p = " in outcomes["region=b"].message


def test_small_slices_are_skipped_and_say_why() -> None:
    kpis = '  "predictions.slice.*.accuracy": {min: 0.99}\n'
    d, _, _ = _run({}, kpis, "  min_slice_size: 600\n")  # regions have about 500 rows, night 750
    small = d.outcomes[("predictions.slice.region=a.accuracy", "min")]
    assert small.status == SKIPPED  # reported, not gated: never counted as a pass
    assert small.message.startswith("slice region=a: ") and "fewer than 600: reported, not gated" in small.message
    assert ("predictions.slice.night.accuracy", "min") not in d.outcomes  # gated: left to the plain rule
    assert d.judge("eval/predictions.csv", "predictions.accuracy", "min", 0.99, None) is None


def test_regression_slices_error_increases_and_no_calibration() -> None:
    from sklearn.metrics import mean_absolute_error

    from mlgate.stats.predictions import Predictions

    rng = np.random.default_rng(9)
    n = 400
    spec = PredictionSpec("p.csv", id="id", label="y", prediction="yhat")
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    y = rng.normal(size=n)
    base_pred = y + rng.normal(scale=0.2, size=n)
    head_pred = base_pred + np.where(np.arange(n) < 40, 1.0, 0.0)  # the first 40 rows get worse
    head = Predictions("p.csv", spec, ids, y, head_pred, None)
    base = Predictions("p.csv", spec, ids, y, base_pred, None)
    cols = pd.DataFrame({"id": ids, "group": np.where(np.arange(n) < 200, "early", "late")})
    cfg = parse_config("version: 1\npredictions: {path: p.csv, slices: [group]}\n")
    d = details(cfg.predictions, cfg.kpis, ["mae", "rmse", "r2"], head, base, pair(head, base), head_columns=cols,
                base_columns=cols, record=interval_record, resamples=300)
    early = np.arange(n) < 200
    assert d.head["predictions.slice.group=early.mae"] == pytest.approx(mean_absolute_error(y[early], head_pred[early]))
    assert d.base["predictions.slice.group=late.mae"] == pytest.approx(mean_absolute_error(y[~early], base_pred[~early]))
    increases = d.section["flips"]["error_increases"]
    assert len(increases) == 10 and all(int(e["id"][1:]) < 40 for e in increases)
    assert "calibration" not in d.section and "predictions.flips.right_to_wrong" not in d.head
    assert "predictions.health.distinct_labels" not in d.head and d.head["predictions.health.empty_share"] == 0
    assert d.section["slices"]["worst"][0] == "group=early"  # mae: lower is better, the early rows are worst


def test_unpaired_sides_have_no_flips_and_unpaired_slice_intervals() -> None:
    hf, bf = _frames({"a": 60})
    bf = bf.assign(id="other" + bf["id"])
    cfg = parse_config("version: 1\npredictions: {path: eval/predictions.csv, score: proba, slices: [region]}\n")
    h, hc = _load(hf)
    b, bc = _load(bf)
    d = details(cfg.predictions, cfg.kpis, ["accuracy"], h, b, pair(h, b), head_columns=hc, base_columns=bc,
                record=interval_record, resamples=300)
    assert d.section["flips"]["note"].startswith("the rows do not pair by id")
    assert "predictions.flips.right_to_wrong" not in d.head and "predictions.health.agreement" not in d.head
    assert "confusion" in d.section["flips"]  # each side's own truth
    assert d.section["slices"]["paired"] is False
    row = next(r for r in d.section["slices"]["slices"] if r["name"] == "region=a")
    assert row["interval"]["high"] < 0


def test_base_without_slice_columns_shows_the_head_and_warns() -> None:
    hf, bf = _frames({"a": 60})
    cfg = parse_config("version: 1\npredictions: {path: eval/predictions.csv, score: proba, slices: [region]}\n")
    h, hc = _load(hf)
    b, _ = _load(bf)
    d = details(cfg.predictions, cfg.kpis, ["accuracy"], h, b, pair(h, b), head_columns=hc, base_columns=None,
                record=interval_record, resamples=300)
    assert d.warnings == ["eval/predictions.csv: the base's slice columns are unreadable; slices are shown for "
                          "the head"]
    assert "predictions.slice.region=a.accuracy" in d.head
    assert not any(k.startswith("predictions.slice.") for k in d.base)


def test_slice_columns_through_a_side(tmp_path) -> None:
    from mlgate.edges.sides import DirectorySide
    from mlgate.errors import InputError
    from mlgate.families.predictions.details import read_slice_columns

    hf, _ = _frames({})
    (tmp_path / "eval").mkdir()
    hf[["id", "label", "pred", "proba"]].to_csv(tmp_path / "eval" / "predictions.csv", index=False)
    side = DirectorySide("head", None, tmp_path)
    cfg = parse_config("version: 1\npredictions: {path: eval/predictions.csv, slices: [region], "
                       "features: data/features.csv}\n").predictions
    with pytest.raises(InputError, match=r"^data/features.csv: no such file \(predictions.features\); check the path"):
        read_slice_columns(cfg, side, cfg.path)
    (tmp_path / "data").mkdir()
    hf[["id", "region", "hour"]].to_csv(tmp_path / "data" / "features.csv", index=False)
    cols = read_slice_columns(cfg, side, cfg.path)
    assert cols["region"].tolist() == hf["region"].tolist() and "hour" in cols.columns
    no_slices = parse_config("version: 1\npredictions: {path: eval/predictions.csv}\n").predictions
    assert read_slice_columns(no_slices, side, no_slices.path) is None


def test_a_slice_only_at_the_base_is_shown_not_gated() -> None:
    hf, bf = _frames({})
    bf.loc[:40, "region"] = "gone"
    cfg = parse_config("version: 1\npredictions: {path: eval/predictions.csv, score: proba, slices: [region]}\n"
                       "kpis:\n  \"predictions.slice.region=*.accuracy\": {max_drop: 0.02}\n")
    h, hc = _load(hf)
    b, bc = _load(bf)
    d = details(cfg.predictions, cfg.kpis, ["accuracy"], h, b, pair(h, b), head_columns=hc, base_columns=bc,
                record=interval_record, resamples=300)
    assert not any("region=gone" in k for k in (*d.head, *d.base))  # no gate can find it missing at the head
    row = next(r for r in d.section["slices"]["slices"] if r["name"] == "region=gone")
    assert row["n_head"] == 0 and row["n_base"] == 41 and "no rows at the head (only at the base)" in row["notes"]
