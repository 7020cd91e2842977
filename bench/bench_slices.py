"""Issue 11's targets: slices with intervals, prediction health, and the latency ratio's run-to-run spread.

* 1,000,000 paired predictions in 50 slices, every slice with its metrics at both sides and a 95 %
  interval (2,000 resamples) on the headline metric: < 3 s;
* the health figures of both sides (plus label shift and agreement) on 1,000,000 rows: < 0.5 s;
* the model family's head/base latency ratio on the example project's model against itself, over 10
  runs: how much it moves from run to run (it should sit near 1).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import _median

from mlgate.config.load import parse_config
from mlgate.edges.sides import DirectorySide
from mlgate.families.model.family import compute as model_compute
from mlgate.families.predictions.details import details
from mlgate.families.predictions.family import interval_record
from mlgate.stats import PredictionSpec, pair
from mlgate.stats.health import agreement, factorize, label_counts, shift_from_counts, side_health
from mlgate.stats.predictions import Predictions

ROOT = Path(__file__).resolve().parent.parent
N = 1_000_000
SLICES = 50
RESAMPLES = 2000
RUNS = 3




def _sides() -> tuple[Predictions, Predictions, pd.DataFrame]:
    rng = np.random.default_rng(0)
    spec = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred", score="proba")
    ids = np.char.add("ex", np.arange(N).astype(str)).astype(object)
    y = rng.integers(0, 2, N)
    base = np.where(rng.random(N) < 0.90, y, 1 - y)
    head = np.where(rng.random(N) < 0.89, y, 1 - y)
    score = np.clip(0.5 * y + 0.5 * rng.random(N), 0, 1)
    region = np.char.add("r", rng.integers(0, SLICES, N).astype(str)).astype(object)
    columns = pd.DataFrame({"id": ids, "region": region})
    return (Predictions("p", spec, ids, y, head, score), Predictions("p", spec, ids, y, base, score), columns)


def _latency_spread() -> tuple[list[float], str]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "classifier"
        subprocess.run(["cp", "-r", str(ROOT / "examples" / "classifier"), str(project)], check=True)
        for stage in ("prepare", "train"):
            subprocess.run([sys.executable, f"src/{stage}.py"], cwd=project, check=True, capture_output=True)
        config = parse_config("version: 1\nmodel: {path: models/model.pkl, loader: pickle, sample: data/test.csv}\n")
        side = DirectorySide("head", None, project)
        ratios = [model_compute(config, side, DirectorySide("base", None, project)).head["model.latency_ratio"]
                  for _ in range(10)]
        p50 = model_compute(config, side, None).head["model.latency_p50_ms"]
    return ratios, f"{p50:.2f} ms"


def main() -> str:
    load = os.getloadavg()[0]
    head, base, columns = _sides()
    cfg = parse_config("version: 1\npredictions: {path: eval/predictions.csv, score: proba, slices: [region]}\n")
    pairing = pair(head, base)

    def slices() -> None:
        details(cfg.predictions, cfg.kpis, ["accuracy", "f1"], head, base, pairing, head_columns=columns,
                base_columns=columns, record=interval_record, resamples=RESAMPLES)

    t_slices = _median(slices, runs=RUNS)

    def both_sides(h: np.ndarray, b: np.ndarray) -> None:  # as families.predictions.details does it
        fh, fb = factorize(h), factorize(b)
        side_health(h, head.score, factorized=fh)
        side_health(b, base.score, factorized=fb)
        shift_from_counts(label_counts(b, fb), label_counts(h, fh))
        agreement(b, h)

    def health() -> None:
        both_sides(head.prediction, base.prediction)

    t_health = _median(health, runs=5)
    text_labels = np.array(["benign", "malignant"], dtype=object)
    head_text, base_text = text_labels[head.prediction], text_labels[base.prediction]

    def health_text() -> None:
        both_sides(head_text, base_text)

    t_health_text = _median(health_text, runs=5)
    ratios, p50 = _latency_spread()
    spread = max(ratios) - min(ratios)
    rows = [
        (f"{N:,} paired rows × {SLICES} slices: metrics (accuracy, F1) at both sides + 95 % interval of each "
         f"slice's accuracy change ({RESAMPLES:,} resamples), with health, flips and calibration", t_slices, "< 3 s",
         "yes" if t_slices < 3 else "**no**"),
        (f"health of both sides, label shift, agreement: {N:,} rows, integer labels", t_health, "< 0.5 s",
         "yes" if t_health < 0.5 else "**no**"),
        ("the same, text labels", t_health_text, "< 0.5 s", "yes" if t_health_text < 0.5 else "**no**"),
    ]
    table = "\n".join(f"| {what} | {secs:.3f} s | {target} | {ok} |" for what, secs, target, ok in rows)
    shown = ", ".join(f"{r:.3f}" for r in ratios)
    return f"""## Slices, prediction health and the latency ratio (issue 11)

Command: `make bench` (module `bench/bench_slices.py`), or `python bench/run.py slices`.
Synthetic binary predictions (head about 89 %, base about 90 % right), 50 slices of about 20,000 rows
each from one categorical column. The first row times `families.predictions.details.details` (slice
definitions and membership, per-slice metrics for both sides, one paired interval per slice, plus health,
flips and calibration); reading the files is not included. Medians of {RUNS} runs (5 for health).
The machine's load average when this section started: {load:.1f} (other jobs share the cores).

| what | median | target | met |
|---|---:|---|---|
{table}

Latency ratio of the example project's model (`examples/classifier`, random forest, 50 trees) against
itself, head/base of the median single-row `predict` over 30 interleaved calls each, 10 runs of the model
family: {shown} — spread (max − min) {spread:.3f}, median {statistics.median(ratios):.3f}; single-row
p50 {p50}. A ratio measured side by side in one process moves by about this much between runs on this
machine; absolute times move with the machine's load.
"""


if __name__ == "__main__":
    print(main())
