"""Each predictions metric equals scikit-learn's value on the same arrays, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.exceptions import UndefinedMetricWarning

from mlgate.errors import ConfigError
from mlgate.stats.metrics import METRICS, class_labels, compute, get_metric

RNG = np.random.default_rng(20240605)


def _noisy(y: np.ndarray, classes: list, keep: float) -> np.ndarray:
    wrong = RNG.choice(classes, size=len(y))
    return np.where(RNG.random(len(y)) < keep, y, wrong)


def _classification_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    y01 = RNG.integers(0, 2, 300)
    y3 = RNG.integers(0, 3, 300)
    yt = RNG.choice(["benign", "malignant"], 200)
    ym = RNG.choice(["cat", "dog", "eel", "fox"], 250)
    return {
        "binary ints": (y01, _noisy(y01, [0, 1], 0.8)),
        "binary strings": (yt, _noisy(yt, ["benign", "malignant"], 0.7)),
        "booleans": (y01.astype(bool), _noisy(y01, [0, 1], 0.8).astype(bool)),
        "never predicts positive (zero division)": (y01, np.zeros_like(y01)),
        "truth all negative": (np.zeros(50, dtype=int), _noisy(np.zeros(50, dtype=int), [0, 1], 0.7)),
        "all right": (y01, y01.copy()),
        "multiclass ints": (y3, _noisy(y3, [0, 1, 2], 0.6)),
        "multiclass strings": (ym, _noisy(ym, ["cat", "dog", "eel", "fox"], 0.5)),
        "class never predicted": (y3, np.where(y3 == 2, 0, y3)),
        "class only predicted": (np.where(y3 == 2, 1, y3), y3),
    }


CLASSIFICATION = _classification_cases()


def _sk(name: str, y: np.ndarray, p: np.ndarray, pos_label: object) -> float:
    if name == "accuracy":
        return sk.accuracy_score(y, p)
    if name == "error":
        return 1 - sk.accuracy_score(y, p)
    base, _, average = name.partition("_")
    n_classes = len(np.unique(np.concatenate([np.unique(y), np.unique(p)])))
    if not average:
        average = "binary" if n_classes <= 2 else "macro"
    func = {"precision": sk.precision_score, "recall": sk.recall_score, "f1": sk.f1_score}[base]
    kwargs = {"pos_label": pos_label} if average == "binary" else {}
    return func(y, p, average=average, zero_division=0, **kwargs)


COUNT_METRICS = [name for name, m in METRICS.items() if m.kind == "counts"]


def _n_classes(case: str) -> int:
    y, p = CLASSIFICATION[case]
    return len(set(y.tolist()) | set(p.tolist()))


COUNT_CASES = [
    (name, case)
    for name in COUNT_METRICS
    for case in CLASSIFICATION
    if not (name.endswith("_binary") and _n_classes(case) > 2)
]


@pytest.mark.parametrize(("name", "case"), COUNT_CASES)
def test_count_metric_equals_sklearn(name: str, case: str) -> None:
    y, p = CLASSIFICATION[case]
    labels = class_labels(y, p)
    pos_label = labels[-1]
    assert compute(name, y, p) == pytest.approx(_sk(name, y, p, pos_label), rel=1e-12, abs=1e-15)


def test_binary_average_on_three_classes_is_refused() -> None:
    y, p = CLASSIFICATION["multiclass ints"]
    with pytest.raises(ValueError, match="predictions.f1_binary uses the binary average but there are 3 classes"):
        compute("f1_binary", y, p)


def test_positive_class_is_one_for_zero_one_labels_and_the_greater_label_otherwise() -> None:
    assert class_labels(np.zeros(3, dtype=int)).tolist() == [0, 1]
    assert class_labels(np.array([True, True])).tolist() == [False, True]
    assert class_labels(np.array(["malignant", "benign"], dtype=object)).tolist() == ["benign", "malignant"]
    # all-negative truth and predictions: sklearn's default pos_label=1 gives 0 precision, so do we
    zeros = np.zeros(10, dtype=int)
    assert compute("precision", zeros, zeros) == sk.precision_score(zeros, zeros, zero_division=0) == 0.0


def test_f1_is_binary_for_two_classes_and_macro_for_more() -> None:
    y, p = CLASSIFICATION["binary ints"]
    assert compute("f1", y, p) == pytest.approx(sk.f1_score(y, p), rel=1e-12)
    assert compute("f1", y, p) != pytest.approx(sk.f1_score(y, p, average="macro"), rel=1e-6)
    y3, p3 = CLASSIFICATION["multiclass ints"]
    assert compute("f1", y3, p3) == pytest.approx(sk.f1_score(y3, p3, average="macro"), rel=1e-12)


def _binary_scores() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    y = RNG.integers(0, 2, 400)
    score = np.clip(0.35 * y + 0.65 * RNG.random(400), 0, 1)
    tied = np.round(score, 1)
    extreme = score.copy()
    extreme[:10], extreme[10:20] = 0.0, 1.0
    return {
        "continuous": (y, score),
        "many ties": (y, tied),
        "exact zeros and ones (clipping)": (y, extreme),
        "string labels": (np.where(y == 1, "spam", "ham").astype(object), score),
        "all scores equal": (y, np.full(400, 0.5)),
    }


SCORES = _binary_scores()


@pytest.mark.parametrize("case", list(SCORES))
def test_roc_auc_equals_sklearn(case: str) -> None:
    y, s = SCORES[case]
    assert compute("roc_auc", y, y, s) == pytest.approx(sk.roc_auc_score(y, s), rel=1e-12)


@pytest.mark.parametrize("case", list(SCORES))
def test_log_loss_equals_sklearn(case: str) -> None:
    y, s = SCORES[case]
    labels = class_labels(y)
    assert compute("log_loss", y, y, s) == pytest.approx(
        sk.log_loss(y, s, labels=labels.tolist()), rel=1e-12
    )


def test_roc_auc_is_nan_with_one_class_like_sklearn() -> None:
    y = np.ones(20, dtype=int)
    s = RNG.random(20)
    with pytest.warns(UndefinedMetricWarning):
        expected = sk.roc_auc_score(y, s)
    assert np.isnan(expected) and np.isnan(compute("roc_auc", y, y, s))


def _regression_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    y = RNG.normal(10, 3, 500)
    return {
        "noisy": (y, y + RNG.normal(0, 1, 500)),
        "integers": (RNG.integers(0, 50, 100), RNG.integers(0, 50, 100)),
        "perfect": (y, y.copy()),
        "constant truth, perfect": (np.full(30, 2.5), np.full(30, 2.5)),
        "constant truth, errors": (np.full(30, 2.5), np.linspace(0, 5, 30)),
        "large offset": (1e6 + RNG.normal(0, 1, 200), 1e6 + RNG.normal(0, 1, 200)),
    }


REGRESSION = _regression_cases()
SK_REGRESSION = {
    "mae": sk.mean_absolute_error,
    "mse": sk.mean_squared_error,
    "rmse": sk.root_mean_squared_error,
    "r2": sk.r2_score,
}


@pytest.mark.parametrize("case", list(REGRESSION))
@pytest.mark.parametrize("name", list(SK_REGRESSION))
def test_regression_metric_equals_sklearn(name: str, case: str) -> None:
    y, p = REGRESSION[case]
    assert compute(name, y, p) == pytest.approx(SK_REGRESSION[name](y, p), rel=1e-12, abs=1e-15)


def test_r2_on_one_row_is_nan_like_sklearn() -> None:
    with pytest.warns(UndefinedMetricWarning):
        expected = sk.r2_score([1.0], [2.0])
    assert np.isnan(expected) and np.isnan(compute("r2", np.array([1.0]), np.array([2.0])))


def test_every_registered_metric_has_an_sklearn_check_above() -> None:
    covered = set(COUNT_METRICS) | {"roc_auc", "log_loss"} | set(SK_REGRESSION)
    assert covered == set(METRICS)


@pytest.mark.parametrize(
    ("name", "higher"),
    [("accuracy", True), ("error", False), ("f1_macro", True), ("roc_auc", True), ("log_loss", False),
     ("mae", False), ("rmse", False), ("r2", True)],
)
def test_directions(name: str, higher: bool) -> None:
    assert get_metric("predictions." + name).higher_is_better is higher


def test_unknown_metric_is_a_config_error_naming_it_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"kpis\.predictions\.acurracy: no such predictions metric; use one of "
                       r"predictions\.accuracy, .*predictions\.r2") as info:
        get_metric("predictions.acurracy")
    assert info.value.exit_code == 2
