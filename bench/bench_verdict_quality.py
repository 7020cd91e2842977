"""Issue 5's verdict quality: false alarms on identical code, detection of a real 2-point drop.

Two gates with the same margin on ``predictions.accuracy``:

* plain — ``max_drop: 0.01``: fails when head − base < −0.01;
* confidence — ``max_drop: 0.01, confidence: 0.95``: fails when the upper end of the paired 95 %
  bootstrap interval of head − base is below −0.01.

Both run through the real gate path, as ``mlgate run`` does after loading the files: one mlgate.yaml
with both KPIs, ``families.predictions.judge_sides`` (pairing by id, metrics per side), then
``gates.evaluate`` with the predictions' judge (production defaults: 2,000 resamples, seed 0).

(a) False alarms: the same RandomForest code retrained with other seeds on a fixed split; every
ordered pair of seeds (base, head) is one comparison of identical code. Evaluation sets: breast
cancer (150 examples), digits (450, 10 classes), and a synthetic ``make_classification`` task (5,000).
(b) Detection: on the 5,000-example set, the head is another seed's model with a defect that breaks
a random 2 % of all examples it got right (each right row goes wrong with probability 0.02/accuracy),
so it truly costs 2.0 accuracy points in expectation. Scikit-learn's bundled data only; no downloads.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from scipy.stats import binomtest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from mlgate.config.load import parse_config
from mlgate.families.predictions import family
from mlgate.gating import gates
from mlgate.gating.snapshot import Snapshot
from mlgate.stats import Predictions, PredictionSpec

MARGIN = 0.01
CONFIDENCE = 0.95
RESAMPLES = 2000
TRUE_DROP = 0.02


def _datasets() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    out = []
    x, y = load_breast_cancer(return_X_y=True)
    out.append(("breast cancer", *train_test_split(x, y, test_size=150, random_state=0, stratify=y), 40))
    x, y = load_digits(return_X_y=True)
    out.append(("digits, 10 classes", *train_test_split(x, y, test_size=450, random_state=0, stratify=y), 30))
    x, y = make_classification(n_samples=9000, n_features=20, n_informative=8, n_redundant=4, flip_y=0.03,
                               class_sep=0.8, random_state=0)
    out.append(("make_classification", *train_test_split(x, y, test_size=5000, random_state=0, stratify=y), 24))
    return out


def _predictions(x_train, x_test, y_train, seeds: int, trees: int = 100) -> list[np.ndarray]:
    return [
        RandomForestClassifier(n_estimators=trees, random_state=seed, n_jobs=2).fit(x_train, y_train).predict(x_test)
        for seed in range(seeds)
    ]


PLAIN_KPI = "eval/predictions.csv:predictions.accuracy"  # the same metric, selected with its file
CONFIG = parse_config(f"""
version: 1
predictions: {{path: eval/predictions.csv, id: id, label: label, prediction: pred}}
kpis:
  predictions.accuracy: {{max_drop: {MARGIN}, confidence: {CONFIDENCE}}}
  "{PLAIN_KPI}": {{max_drop: {MARGIN}}}
""")
SPEC = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred")


def _side(name: str, y: np.ndarray, pred: np.ndarray) -> Predictions:
    ids = np.array([f"ex{i}" for i in range(len(y))], dtype=object)
    return Predictions(source=name, spec=SPEC, ids=ids, label=y, prediction=pred, score=None)


def _fails(y: np.ndarray, base: np.ndarray, head: np.ndarray) -> tuple[bool, bool]:
    """(plain gate fails, confidence gate fails), from one gates.evaluate over both KPIs."""
    data = family.judge_sides(CONFIG, _side("head", y, head), _side("base", y, base), resamples=RESAMPLES)
    file = CONFIG.predictions.path
    head_snap, base_snap = Snapshot({file: data.head_metrics()}), Snapshot({file: data.base_metrics() or {}})
    outcomes = {g.kpi: g for g in gates.evaluate(CONFIG, head_snap, base_snap, judge=data.judge)}
    confidence = outcomes["predictions.accuracy"]
    assert confidence.rules[0].interval is not None and outcomes[PLAIN_KPI].rules[0].interval is None
    return outcomes[PLAIN_KPI].status == gates.FAIL, confidence.status == gates.FAIL


def _rate(k: int, n: int) -> str:
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return f"{k / n:.1%} ({k}/{n}; {ci.low:.1%}–{ci.high:.1%})"


def _break(rng: np.random.Generator, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Make a random TRUE_DROP share of all rows wrong, chosen among the rows ``pred`` gets right."""
    right = pred == y
    hit = right & (rng.random(len(y)) < TRUE_DROP / right.mean())
    classes = np.unique(y)
    other = classes[(np.searchsorted(classes, y) + rng.integers(1, len(classes), len(y))) % len(classes)]
    return np.where(hit, other, pred)


def main() -> str:
    started = time.perf_counter()
    alarms, detections, notes = [], [], []
    rng = np.random.default_rng(5)
    for name, x_train, x_test, y_train, y_test, seeds in _datasets():
        preds = _predictions(x_train, x_test, y_train, seeds)
        accs = np.array([np.mean(p == y_test) for p in preds])
        pairs = list(itertools.permutations(range(seeds), 2))
        where = f"{name} ({len(y_test):,} examples)"
        verdicts = [_fails(y_test, preds[i], preds[j]) for i, j in pairs]
        plain, conf = sum(v[0] for v in verdicts), sum(v[1] for v in verdicts)
        alarms.append((f"false alarms, identical code, {where}", _rate(plain, len(pairs)), _rate(conf, len(pairs)),
                       "≤ 1 %"))
        plain = conf = 0
        realised = []
        for i, j in pairs:
            head = _break(rng, y_test, preds[j])
            realised.append(np.mean(head == y_test) - np.mean(preds[i] == y_test))
            plain_fails, conf_fails = _fails(y_test, preds[i], head)
            plain += plain_fails
            conf += conf_fails
        big = len(y_test) >= 5000
        detections.append((f"detection of a true 2-point drop, {where}", _rate(plain, len(pairs)),
                           _rate(conf, len(pairs)), "≥ 90 %" if big else "none (small set)"))
        notes.append(f"{name}: {seeds} seeds, accuracy {accs.mean():.4f}, sd across seeds {accs.std(ddof=1):.4f}, "
                     f"widest gap between two seeds {accs.max() - accs.min():.4f}; with the defect, head − base "
                     f"averaged {np.mean(realised):+.4f} (sd {np.std(realised, ddof=1):.4f})")
    rows = alarms + detections
    elapsed = time.perf_counter() - started

    table = "\n".join(f"| {what} | {p} | {c} | {target} |" for what, p, c, target in rows)
    bullet = "\n".join(f"- {n}" for n in notes)
    return f"""## Statistics: verdict quality of plain vs. confidence gates (issue 5)

Command: `make bench` (module `bench/bench_verdict_quality.py`); {elapsed:.0f} s on this machine.
Both gates on `predictions.accuracy` with `max_drop: {MARGIN}`; the confidence gate adds
`confidence: {CONFIDENCE}` (paired bootstrap, {RESAMPLES:,} resamples, McNemar alongside) and fails only
when the interval's upper end of head − base is below −{MARGIN}. Both are judged by the real gate path
(`families.predictions` + `gates.evaluate`, one mlgate.yaml holding both KPIs). RandomForest (100 trees) retrained
with other seeds on a fixed split; every ordered pair of seeds is one comparison. Rates with exact
95 % binomial intervals (comparisons share models, so these intervals are optimistic).

| scenario | plain gate fails | confidence gate fails | target (confidence gate) |
|---|---:|---:|---|
{table}

{bullet}
"""


if __name__ == "__main__":
    print(main())
