"""Slices: definitions, membership, per-slice metrics equal scikit-learn on the slice's rows, edge cases."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from mlgate.errors import InputError
from mlgate.stats import PredictionSpec, compare_paired, load_predictions, pair
from mlgate.stats.slices import (
    SliceSpec,
    compare_slice,
    compute_slices,
    define,
    membership,
    paired_rows,
    read_columns,
)

RNG = np.random.default_rng(3)
SPEC = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred", score="proba")


def _frame(n: int = 600, seed: int = 0, worse_in: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    region = rng.choice(["north", "south", "east"], n)
    hour = rng.integers(0, 24, n)
    right = rng.random(n) < np.where(region == worse_in, 0.6, 0.9)
    pred = np.where(right, label, 1 - label)
    proba = np.clip(np.where(pred == 1, 0.7, 0.3) + rng.normal(0, 0.1, n), 0, 1).round(4)
    return pd.DataFrame({"id": [f"ex{i}" for i in range(n)], "label": label, "pred": pred, "proba": proba,
                         "region": region, "age": rng.integers(0, 90, n), "hour": hour})


def _load(frame: pd.DataFrame, name: str = "eval/predictions.csv"):
    data = frame.to_csv(index=False).encode()
    p = load_predictions(SPEC, io.BytesIO(data), name=name)
    cols = read_columns(SPEC.path, io.BytesIO(data), SPEC, ["region", "age", "hour"], name=name)
    return p, cols


SPECS = [SliceSpec(column="region"), SliceSpec(column="age", bins=(0, 18, 65)),
         SliceSpec(name="night_shift", where="hour < 6 or hour >= 22")]


def test_definitions_and_names() -> None:
    _, cols = _load(_frame())
    names = [d.name for d in define(SPECS, [cols], source="x")]
    assert names == ["region=east", "region=north", "region=south", "age=[0,18)", "age=[18,65)", "night_shift"]


def test_a_value_at_either_side_is_a_slice_and_dots_become_underscores() -> None:
    head = pd.DataFrame({"region": ["n.america", "eu"]})
    base = pd.DataFrame({"region": ["eu", "asia*"]})
    bins = SliceSpec(column="x", bins=(0, 0.5, 1))
    names = [d.name for d in define([SliceSpec(column="region")], [head, base], source="x")]
    assert names == ["region=asia_", "region=eu", "region=n_america"]
    assert [d.name for d in define([bins], [pd.DataFrame({"x": [0.1]})], source="x")] == ["x=[0,0_5)", "x=[0_5,1)"]


def test_membership_matches_the_pandas_definition() -> None:
    _, cols = _load(_frame())
    defs = define(SPECS, [cols], source="x")
    rows = membership(defs, cols, source="x")
    assert rows["region=north"].tolist() == (cols["region"] == "north").tolist()
    assert rows["age=[18,65)"].tolist() == ((cols["age"] >= 18) & (cols["age"] < 65)).tolist()
    assert rows["night_shift"].tolist() == ((cols["hour"] < 6) | (cols["hour"] >= 22)).tolist()


def test_metrics_per_slice_equal_scikit_learn_on_the_slice_rows() -> None:
    hf, bf = _frame(seed=1, worse_in="south"), _frame(seed=1)
    head, h_cols = _load(hf)
    base, b_cols = _load(bf)
    defs = define(SPECS, [h_cols, b_cols], source="x")
    out = {r.name: r for r in compute_slices(defs, ["accuracy", "f1", "roc_auc"], head,
                                              membership(defs, h_cols, source="x"), base,
                                              membership(defs, b_cols, source="x"))}
    for frame, side in ((hf, "head"), (bf, "base")):
        rows = frame[frame["region"] == "south"]
        values = getattr(out["region=south"], side)
        assert values["accuracy"] == pytest.approx(accuracy_score(rows["label"], rows["pred"]))
        assert values["f1"] == pytest.approx(f1_score(rows["label"], rows["pred"]))
        assert values["roc_auc"] == pytest.approx(roc_auc_score(rows["label"], rows["proba"]))
    assert out["region=south"].n_head == (hf["region"] == "south").sum()
    assert out["region=south"].head["accuracy"] < out["region=south"].base["accuracy"] - 0.15
    assert all(r.gated for r in out.values())


def test_small_empty_one_row_and_one_class_slices_are_reported_not_gated() -> None:
    frame = _frame(n=200)
    frame.loc[:4, "region"] = "tiny"  # 5 rows
    frame.loc[5, "region"] = "one"  # a single row
    frame.loc[6:40, "region"] = "allpos"
    frame.loc[6:40, "label"] = 1  # one class: ROC AUC undefined
    head, cols = _load(frame)
    base_frame = frame.copy()
    base_frame.loc[:4, "region"] = "gone"  # a value only at the base
    base, b_cols = _load(base_frame)
    defs = define([SliceSpec(column="region")], [cols, b_cols], source="x")
    out = {r.name: r for r in compute_slices(defs, ["accuracy", "roc_auc"], head, membership(defs, cols, source="x"),
                                              base, membership(defs, b_cols, source="x"), min_size=30)}
    assert not out["region=tiny"].gated and "5 rows, fewer than 30: reported, not gated" in out["region=tiny"].notes
    assert out["region=tiny"].n_base == 0 and "no rows at the base (new at the head)" in out["region=tiny"].notes
    assert out["region=gone"].n_head == 0 and not out["region=gone"].gated
    assert "no rows at the head (only at the base)" in out["region=gone"].notes
    assert out["region=one"].n_head == 1 and out["region=one"].head["accuracy"] in (0.0, 1.0)
    assert "roc_auc" not in out["region=allpos"].head and "undefined here: roc_auc" in out["region=allpos"].notes
    assert out["region=allpos"].gated


def test_paired_slice_comparison_equals_compare_paired_on_the_slice_rows() -> None:
    hf, bf = _frame(seed=2, worse_in="east"), _frame(seed=2)
    head, h_cols = _load(hf)
    base, _ = _load(bf)
    pairing = pair(head, base)
    defs = define(SPECS, [h_cols], source="x")
    inside = membership(defs, h_cols, source="x")["region=east"][paired_rows(head, pairing.head)]
    c = compare_slice("predictions.accuracy", pairing, inside, inside, confidence=0.95, resamples=500, seed=0)
    rows = (hf["region"] == "east").to_numpy()
    direct = compare_paired("predictions.accuracy", hf["label"][rows], bf["pred"][rows], hf["pred"][rows],
                            confidence=0.95, resamples=500, seed=0)
    assert (c.head, c.base, c.diff_low, c.diff_high, c.n_paired) == (
        direct.head, direct.base, direct.diff_low, direct.diff_high, direct.n_paired)
    assert c.diff_high < 0


def test_unpaired_slice_comparison_uses_each_sides_own_rows() -> None:
    hf = _frame(seed=4)
    bf = _frame(seed=5).assign(id=lambda f: "other" + f["id"])
    head, h_cols = _load(hf)
    base, b_cols = _load(bf)
    pairing = pair(head, base)
    assert not pairing.paired
    defs = define([SliceSpec(column="region")], [h_cols, b_cols], source="x")
    h_in = membership(defs, h_cols, source="x")["region=north"]
    b_in = membership(defs, b_cols, source="x")["region=north"]
    c = compare_slice("predictions.accuracy", pairing, h_in, b_in, confidence=0.9, resamples=200, seed=0)
    assert (c.n_head, c.n_base, c.paired) == (int(h_in.sum()), int(b_in.sum()), False)


def test_bad_slice_definitions_are_one_line_errors() -> None:
    _, cols = _load(_frame())
    many = pd.DataFrame({"id": [str(i) for i in range(150)]})
    with pytest.raises(InputError, match=r"column 'id' has 150 distinct values, more than 100 slices; give it bin edges"):
        define([SliceSpec(column="id")], [many], source="eval/p.csv")
    with pytest.raises(InputError, match="column 'region' is not numeric, so predictions.slices cannot bin it"):
        define([SliceSpec(column="region", bins=(0, 1))], [cols], source="eval/p.csv")
    bad = define([SliceSpec(name="oops", where="hour <")], [cols], source="x")
    with pytest.raises(InputError, match=r"^eval/p.csv: slice 'oops': cannot evaluate where: 'hour <': .*pandas query"):
        membership(bad, cols, source="eval/p.csv")
    not_bool = define([SliceSpec(name="n", where="hour + 1")], [cols], source="x")
    with pytest.raises(InputError, match="does not give true/false per row"):
        membership(not_bool, cols, source="eval/p.csv")
    twice = [SliceSpec(name="a", where="hour < 1"), SliceSpec(name="a", where="hour > 1")]
    with pytest.raises(InputError, match="two slices are called 'a'"):
        define(twice, [cols], source="eval/p.csv")


def test_columns_from_features_joined_on_id_and_a_missing_column() -> None:
    frame = _frame(n=50)
    preds = frame[["id", "label", "pred", "proba"]].to_csv(index=False).encode()
    features = frame[["id", "region"]].iloc[::-1].to_csv(index=False).encode()  # another row order
    cols = read_columns(SPEC.path, io.BytesIO(preds), SPEC, ["region"], name="eval/predictions.csv",
                        features=("data/test.csv", io.BytesIO(features), "data/test.csv"))
    assert cols["id"].tolist() == frame["id"].tolist() and cols["region"].tolist() == frame["region"].tolist()
    with pytest.raises(InputError, match=r"^eval/predictions.csv: no column 'region' \(predictions.slices\); columns"):
        read_columns(SPEC.path, io.BytesIO(preds), SPEC, ["region"], name="eval/predictions.csv")
    with pytest.raises(InputError, match=r"data/test.csv: no column 'id' \(predictions.id\) to join the features on"):
        read_columns(SPEC.path, io.BytesIO(preds), SPEC, ["region"], name="eval/predictions.csv",
                     features=("data/test.csv", io.BytesIO(b"x,region\n1,a\n"), "data/test.csv"))


def test_a_slice_compared_on_class_codes_equals_the_labels() -> None:
    from mlgate.stats.slices import encode_pairing

    hf, bf = _frame(seed=6, worse_in="north"), _frame(seed=6)
    for frame in (hf, bf):
        frame["label"] = frame["label"].map({0: "benign", 1: "malignant"})
        frame["pred"] = frame["pred"].map({0: "benign", 1: "malignant"})
    head, h_cols = _load(hf)
    base, _ = _load(bf)
    pairing = pair(head, base)
    inside = membership(define(SPECS, [h_cols], source="x"), h_cols, source="x")["region=north"]
    for metric in ("predictions.accuracy", "predictions.f1", "predictions.recall"):
        plain = compare_slice(metric, pairing, inside, inside, confidence=0.95, resamples=300, seed=1)
        coded = compare_slice(metric, pairing, inside, inside, confidence=0.95, resamples=300, seed=1,
                              coded=encode_pairing(pairing))
        assert coded == plain


def test_a_where_is_checked_and_sees_the_columns_only_even_without_config() -> None:
    _, cols = _load(_frame())
    secret = "mlgate's own variable"  # noqa: F841 - what '@secret' would have read
    for where, said in [("hour > @secret", "uses '@', which refers to a variable of the program"),
                        ("hour ** 999999999999 > 1", "raises to the power 999999999999, above 100")]:
        defs = define([SliceSpec(name="s", where=where)], [cols], source="x")
        with pytest.raises(InputError) as info:
            membership(defs, cols, source="eval/p.csv")
        assert str(info.value).startswith(f"eval/p.csv: slice 's': cannot evaluate where: {where!r}: where: ")
        assert said in str(info.value)


def test_features_sharing_no_id_with_the_predictions_are_refused() -> None:
    frame = _frame(n=50)
    preds = frame[["id", "label", "pred", "proba"]].to_csv(index=False).encode()
    features = frame[["id", "region"]].assign(id=[f"other-{i}" for i in range(50)]).to_csv(index=False).encode()
    with pytest.raises(InputError) as info:
        read_columns(SPEC.path, io.BytesIO(preds), SPEC, ["region"], name="eval/predictions.csv",
                     features=("data/test.csv", io.BytesIO(features), "data/test.csv"))
    assert str(info.value) == (f"data/test.csv: no id in column 'id' matches an id of eval/predictions.csv (e.g. "
                               f"'other-0' here, {frame['id'].iloc[0]!r} there), so every slice would be empty; "
                               "predictions.features must hold the predictions' ids")
