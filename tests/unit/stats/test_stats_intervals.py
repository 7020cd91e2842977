"""Intervals and tests for head − base: reproducible, right methods, right coverage, right errors."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from mlgate.errors import InputError
from mlgate.stats import compare, compare_paired, compare_unpaired, compute, pair
from mlgate.stats.intervals import Comparison
from mlgate.stats.predictions import Predictions, PredictionSpec

SPEC = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred", score="proba")


def _correlated_classifiers(
    rng: np.random.Generator, n: int, both: float, base_only: float, head_only: float, classes: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truth and two predictions whose joint right/wrong pattern has the given probabilities."""
    y = rng.integers(0, classes, n)
    u = rng.random(n)
    base_ok = u < both + base_only
    head_ok = (u < both) | ((u >= both + base_only) & (u < both + base_only + head_only))
    wrong = (y + rng.integers(1, classes, n)) % classes
    return y, np.where(base_ok, y, wrong), np.where(head_ok, y, wrong)


def _coverage(hits: list[bool]) -> float:
    rate = sum(hits) / len(hits)
    print(f"coverage {rate:.3f} over {len(hits)} trials")
    return rate


# --------------------------------------------------------------------------------------------------
# Coverage by simulation: nominal 95 % intervals contain the true difference 93–97 % of the time.
# Fixed seeds: deterministic, not tuned. 1,000 resamples (percentile intervals from a few hundred
# resamples run a little narrow, ~94 %); the default is 2,000.


@pytest.mark.slow
def test_paired_accuracy_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(101)
    hits = []
    for trial in range(800):
        # both right .80, base only .07, head only .04 -> accuracy 0.87 vs 0.84, a true diff of -0.03
        y, b, h = _correlated_classifiers(rng, 400, 0.80, 0.07, 0.04)
        c = compare_paired("accuracy", y, b, h, resamples=1000, seed=trial)
        hits.append(c.diff_low <= -0.03 <= c.diff_high)
    assert 0.93 <= _coverage(hits) <= 0.97


@pytest.mark.slow
def test_paired_f1_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(102)

    def true_f1(p_right: float) -> float:  # balanced classes, errors symmetric
        tp, fn, fp = 0.5 * p_right, 0.5 * (1 - p_right), 0.5 * (1 - p_right)
        return 2 * tp / (2 * tp + fp + fn)

    truth = true_f1(0.84) - true_f1(0.87)
    hits = []
    for trial in range(600):
        y, b, h = _correlated_classifiers(rng, 400, 0.80, 0.07, 0.04)
        c = compare_paired("f1", y, b, h, resamples=1000, seed=trial)
        hits.append(c.diff_low <= truth <= c.diff_high)
    assert 0.93 <= _coverage(hits) <= 0.97


@pytest.mark.slow
def test_unpaired_accuracy_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(103)
    hits = []
    for trial in range(1500):
        y_h, _, h = _correlated_classifiers(rng, 400, 0.80, 0.07, 0.04)
        y_b, b, _ = _correlated_classifiers(rng, 300, 0.80, 0.07, 0.04)
        c = compare_unpaired("accuracy", y_h, h, y_b, b, resamples=1000, seed=trial)
        hits.append(c.diff_low <= -0.03 <= c.diff_high)
    assert 0.93 <= _coverage(hits) <= 0.97


@pytest.mark.slow
def test_paired_mae_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(104)
    truth = np.sqrt(2 / np.pi) * (np.sqrt(1.25) - 1)  # E|N(0, 1.25)| − E|N(0, 1)|
    hits = []
    for trial in range(500):
        y = rng.normal(size=150)
        base_err = rng.normal(size=150)
        head_err = base_err + rng.normal(0, 0.5, 150)
        c = compare_paired("mae", y, y + base_err, y + head_err, resamples=1000, seed=trial)
        hits.append(c.diff_low <= truth <= c.diff_high)
    assert 0.93 <= _coverage(hits) <= 0.97


def test_paired_delong_auc_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(105)
    mu, tau = 1.5, 0.6  # binormal scores; the head adds noise to the base's score
    truth = norm.cdf(mu / np.sqrt(2 * (1 + tau**2))) - norm.cdf(mu / np.sqrt(2))
    hits = []
    for _ in range(800):
        y = rng.integers(0, 2, 300)
        s = rng.normal(size=300) + mu * y
        sh = s + rng.normal(0, tau, 300)
        c = compare_paired("roc_auc", y, y, y, base_score=1 / (1 + np.exp(-s)), head_score=1 / (1 + np.exp(-sh)))
        hits.append(c.diff_low <= truth <= c.diff_high)
    assert 0.93 <= _coverage(hits) <= 0.97


# --------------------------------------------------------------------------------------------------
# Methods agree with their textbook definitions


def test_resampling_counts_matches_resampling_rows() -> None:
    rng = np.random.default_rng(7)
    y, b, h = _correlated_classifiers(rng, 500, 0.6, 0.12, 0.08, classes=3)
    fast = compare_paired("f1_macro", y, b, h, resamples=4000, seed=1)
    rows = rng.integers(0, 500, size=(2000, 500))
    slow = np.array([compute("f1_macro", y[i], h[i]) - compute("f1_macro", y[i], b[i]) for i in rows])
    lo, hi = np.quantile(slow, [0.025, 0.975])
    assert fast.diff_low == pytest.approx(lo, abs=0.008)
    assert fast.diff_high == pytest.approx(hi, abs=0.008)


def test_mcnemar_exact_p_value_is_the_two_sided_binomial_on_discordant_pairs() -> None:
    y = np.ones(40, dtype=int)
    base = np.ones(40, dtype=int)
    head = np.ones(40, dtype=int)
    base[:2] = 0  # 2 rows only the head gets right
    head[2:12] = 0  # 10 rows only the base gets right
    c = compare_paired("accuracy", y, base, head, resamples=50)
    expected = 2 * sum(comb(12, k) for k in range(3)) / 2**12  # P(X <= 2) twice, X ~ Bin(12, 1/2)
    assert c.test == "mcnemar_exact"
    assert c.p_value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("head_only", "base_only"), [(0, 1), (2, 10), (7, 7), (30, 45), (120, 80)])
def test_mcnemar_p_value_equals_scipy_binomtest(head_only: int, base_only: int) -> None:
    y = np.ones(300, dtype=int)
    base, head = y.copy(), y.copy()
    base[:head_only] = 0
    head[head_only : head_only + base_only] = 0
    c = compare_paired("accuracy", y, base, head, resamples=10)
    assert c.p_value == pytest.approx(binomtest(head_only, head_only + base_only, 0.5).pvalue, rel=1e-9)


def test_delong_interval_width_matches_a_row_bootstrap_of_auc() -> None:
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 400)
    s = rng.normal(size=400) + 1.2 * y
    sh = s + rng.normal(0, 0.8, 400)
    c = compare_paired("roc_auc", y, y, y, base_score=s, head_score=sh)
    rows = rng.integers(0, 400, size=(1500, 400))
    boot = np.array([compute("roc_auc", y[i], y[i], sh[i]) - compute("roc_auc", y[i], y[i], s[i]) for i in rows])
    lo, hi = np.quantile(boot, [0.025, 0.975])
    assert c.method == "paired_delong" and c.test == "delong"
    assert (c.diff_high - c.diff_low) == pytest.approx(hi - lo, rel=0.12)


def test_identical_predictions_give_a_zero_interval_and_p_value_one() -> None:
    rng = np.random.default_rng(9)
    y, b, _ = _correlated_classifiers(rng, 200, 0.8, 0.1, 0.0)
    c = compare_paired("accuracy", y, b, b.copy())
    assert (c.diff, c.diff_low, c.diff_high, c.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert c.head_low < c.head < c.head_high


# --------------------------------------------------------------------------------------------------
# Reproducible and serialisable


def test_same_seed_same_comparison_and_another_seed_another_interval() -> None:
    rng = np.random.default_rng(10)
    y, b, h = _correlated_classifiers(rng, 300, 0.8, 0.07, 0.04)
    first = compare_paired("f1", y, b, h, seed=3)
    assert compare_paired("f1", y, b, h, seed=3) == first
    other = compare_paired("f1", y, b, h, seed=4)
    assert (other.diff_low, other.diff_high) != (first.diff_low, first.diff_high)
    assert other.diff == first.diff


def test_comparison_round_trips_through_json() -> None:
    rng = np.random.default_rng(11)
    y, b, h = _correlated_classifiers(rng, 300, 0.8, 0.07, 0.04)
    c = compare_paired("accuracy", y, b, h)
    text = json.dumps(c.to_dict(), allow_nan=False)
    assert Comparison.from_dict(json.loads(text)) == c


@pytest.mark.parametrize(
    ("metric", "method", "test"),
    [("accuracy", "paired_counts", "mcnemar_exact"), ("f1_weighted", "paired_counts", None),
     ("log_loss", "paired_rows", None), ("roc_auc", "paired_delong", "delong")],
)
def test_method_and_test_follow_the_metric(metric: str, method: str, test: str | None) -> None:
    rng = np.random.default_rng(12)
    y, b, h = _correlated_classifiers(rng, 300, 0.8, 0.07, 0.04)
    score = np.clip(0.5 * y + 0.5 * rng.random(300), 0, 1)
    c = compare_paired(metric, y, b, h, base_score=score, head_score=score[::-1].copy())
    assert (c.method, c.test, c.metric) == (method, test, "predictions." + metric)
    assert c.head == pytest.approx(compute(metric, y, h, score[::-1]), rel=1e-12)
    assert c.base == pytest.approx(compute(metric, y, b, score), rel=1e-12)


# --------------------------------------------------------------------------------------------------
# Paired or unpaired, through a pairing


def _side(source: str, ids: list[str], labels: list[int], preds: list[int], scores: list[float] | None = None):
    return Predictions(
        source=source, spec=SPEC, ids=np.array(ids, dtype=object), label=np.array(labels),
        prediction=np.array(preds), score=None if scores is None else np.array(scores, dtype=float),
    )


def test_compare_is_paired_when_ids_match_and_unpaired_when_they_do_not() -> None:
    rng = np.random.default_rng(13)
    y, b, h = _correlated_classifiers(rng, 120, 0.8, 0.07, 0.04)
    ids = [f"r{i}" for i in range(120)]
    head = _side("head.csv", ids, y.tolist(), h.tolist())
    base = _side("base.csv", ids[::-1], y[::-1].tolist(), b[::-1].tolist())  # same rows, other order
    paired = compare("predictions.accuracy", pair(head, base))
    assert (paired.paired, paired.method, paired.n_paired, paired.test) == (True, "paired_counts", 120, "mcnemar_exact")
    assert paired.head == compute("accuracy", y, h) and paired.base == compute("accuracy", y, b)
    assert paired.note == "paired by id on all 120 rows"

    other = _side("base.csv", [f"s{i}" for i in range(100)], y[:100].tolist(), b[:100].tolist())
    unpaired = compare("predictions.accuracy", pair(head, other))
    assert (unpaired.paired, unpaired.method, unpaired.n_paired) == (False, "unpaired_counts", 0)
    assert (unpaired.n_head, unpaired.n_base, unpaired.test) == (120, 100, "fisher_exact")
    assert unpaired.note.startswith("unpaired: head (120 rows) and base (100 rows) share no ids")


# --------------------------------------------------------------------------------------------------
# Input errors name the file and what to fix


def test_score_metric_without_score_column_is_an_input_error() -> None:
    head = _side("eval/p.csv", ["a", "b"], [0, 1], [0, 1])
    with pytest.raises(InputError, match=r"^eval/p\.csv: predictions\.roc_auc needs a score column; set "
                       r"predictions\.score in mlgate\.yaml") as info:
        compare("predictions.roc_auc", pair(head, head))
    assert info.value.exit_code == 2


def test_regression_metric_on_text_labels_is_an_input_error() -> None:
    y = np.array(["cat", "dog"], dtype=object)
    with pytest.raises(InputError, match=r"^preds\.csv: predictions\.mae needs numeric label and prediction columns"):
        compare_paired("mae", y, y, y, source="preds.csv")


def test_auc_on_three_classes_is_an_input_error() -> None:
    y = np.array([0, 1, 2, 1])
    s = np.array([0.1, 0.5, 0.9, 0.4])
    with pytest.raises(InputError, match=r"predictions\.roc_auc is for binary classification but the labels "
                       r"hold 3 classes \(0, 1, 2\)"):
        compare_paired("roc_auc", y, y, y, base_score=s, head_score=s)


def test_auc_with_one_class_in_the_truth_is_an_input_error() -> None:
    y = np.array(["spam"] * 5, dtype=object)
    s = np.linspace(0, 1, 5)
    with pytest.raises(InputError, match=r"predictions\.roc_auc is undefined: the labels hold only one class"):
        compare_paired("roc_auc", y, y, y, base_score=s, head_score=s)


def test_unpaired_rows_and_delong_methods_give_each_sides_own_value() -> None:
    rng = np.random.default_rng(14)
    y_h, y_b = rng.normal(size=200), rng.normal(size=150)
    p_h, p_b = y_h + rng.normal(0, 0.5, 200), y_b + rng.normal(0, 0.7, 150)
    c = compare_unpaired("rmse", y_h, p_h, y_b, p_b)
    assert (c.method, c.n_head, c.n_base, c.paired) == ("unpaired_rows", 200, 150, False)
    assert c.head == pytest.approx(compute("rmse", y_h, p_h), rel=1e-12)
    assert c.base == pytest.approx(compute("rmse", y_b, p_b), rel=1e-12)
    assert c.diff_low < c.diff < c.diff_high

    t_h, t_b = rng.integers(0, 2, 200), rng.integers(0, 2, 150)
    s_h, s_b = np.clip(0.4 * t_h + 0.6 * rng.random(200), 0, 1), np.clip(0.3 * t_b + 0.7 * rng.random(150), 0, 1)
    a = compare_unpaired("roc_auc", t_h, t_h, t_b, t_b, head_score=s_h, base_score=s_b)
    assert (a.method, a.test) == ("unpaired_delong", "delong")
    assert a.head == pytest.approx(compute("roc_auc", t_h, t_h, s_h), rel=1e-12)
    assert a.diff_low < a.diff < a.diff_high and 0 < a.p_value < 1


def test_pairing_narrows_the_interval_when_the_models_agree_on_most_rows() -> None:
    rng = np.random.default_rng(15)
    y, b, h = _correlated_classifiers(rng, 1000, 0.85, 0.03, 0.02)
    paired = compare_paired("accuracy", y, b, h)
    unpaired = compare_unpaired("accuracy", y, h, y, b)
    assert paired.diff == unpaired.diff
    assert (paired.diff_high - paired.diff_low) < 0.5 * (unpaired.diff_high - unpaired.diff_low)


def test_class_metric_on_a_continuous_target_is_an_input_error() -> None:
    y = np.linspace(0, 1, 1500)
    with pytest.raises(InputError, match=r"^p\.csv: predictions\.accuracy sees 1,500 distinct labels \(more than "
                       r"1,000 classes\); for a regression target use predictions\.mae"):
        compare_paired("accuracy", y, y, y, source="p.csv")
