"""Issue 5's speed target: 2,000 resamples over 1,000,000 paired predictions for accuracy and F1 < 1 s.

Times the whole ``compare_paired`` call (class encoding, cell counts, 2,000 multinomial resamples,
intervals, McNemar for accuracy) on synthetic binary and 10-class predictions, median of a few runs.
Also shows, for scale, ROC AUC by DeLong on the same million rows and the row bootstrap of MAE.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from mlgate.stats import compare_paired

N = 1_000_000
RESAMPLES = 2000
RUNS = 5


def _data(n: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    wrong = (y + rng.integers(1, classes, n)) % classes
    base = np.where(rng.random(n) < 0.90, y, wrong)
    head = np.where(rng.random(n) < 0.89, y, wrong)
    base_score = np.clip(0.5 * (y == classes - 1) + 0.5 * rng.random(n), 0, 1)
    head_score = np.clip(base_score + rng.normal(0, 0.05, n), 0, 1)
    return y, base, head, base_score, head_score


def _median(fn, runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> str:
    rows = []
    binary = _data(N, 2)
    multi = _data(N, 10, seed=1)
    for label, data, metric in (
        ("accuracy, binary", binary, "accuracy"),
        ("F1 (binary), binary", binary, "f1"),
        ("accuracy, 10 classes", multi, "accuracy"),
        ("F1 macro, 10 classes", multi, "f1_macro"),
    ):
        y, b, h, _, _ = data
        t = _median(lambda: compare_paired(metric, y, b, h, resamples=RESAMPLES, seed=0))  # noqa: B023 - called at once
        rows.append((f"{label}: {N:,} rows, {RESAMPLES:,} resamples", t, "< 1 s", "yes" if t < 1 else "**no**"))
    y, b, h, bs, hs = binary
    t = _median(lambda: compare_paired("roc_auc", y, b, h, base_score=bs, head_score=hs), runs=3)
    rows.append((f"ROC AUC (DeLong, paired): {N:,} rows", t, "—", ""))
    n_rows = 10_000
    rng = np.random.default_rng(2)
    yr = rng.normal(size=n_rows)
    pb, ph = yr + rng.normal(size=n_rows), yr + rng.normal(size=n_rows)
    t = _median(lambda: compare_paired("mae", yr, pb, ph, resamples=RESAMPLES, seed=0), runs=3)
    rows.append((f"MAE (row bootstrap): {n_rows:,} rows, {RESAMPLES:,} resamples", t, "—", ""))

    table = "\n".join(f"| {what} | {secs:.3f} s | {target} | {ok} |" for what, secs, target, ok in rows)
    return f"""## Statistics: paired intervals on a million predictions (issue 5)

Command: `make bench` (module `bench/bench_stats.py`), or `.venv/bin/python -c "import bench.bench_stats as b; print(b.main())"`.
Each figure is the median of {RUNS} runs (3 for the last two rows) of one whole `compare_paired` call
(single-threaded numpy) on synthetic predictions: head and base about 89 % and 90 % right. Counts
metrics draw multinomial counts over the (true, base, head) cells instead of resampling rows.

| what | median | target | met |
|---|---:|---|---|
{table}
"""


if __name__ == "__main__":
    print(main())
