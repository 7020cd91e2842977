"""Statistics for KPI gates on per-example predictions.

Typical use (the gates module does this for each ``predictions.*`` KPI)::

    spec = PredictionSpec("eval/predictions.csv", id="id", label="label", prediction="pred", score="proba")
    pairing = pair(load_predictions(spec), load_predictions(spec, base_file, name="... (base)"))
    comparison = compare("predictions.accuracy", pairing, confidence=0.95)
    decision = decide(comparison, "max_drop", 0.01)
    decision.passed, decision.reading, comparison.to_dict()
"""

from __future__ import annotations

from mlgate.stats.decision import RULES, Decision, decide
from mlgate.stats.intervals import (
    METHOD_TEXT,
    TEST_TEXT,
    Comparison,
    compare,
    compare_paired,
    compare_unpaired,
)
from mlgate.stats.metrics import METRICS, PREFIX, Metric, compute, get_metric
from mlgate.stats.predictions import Pairing, Predictions, PredictionSpec, load_predictions, pair

__all__ = [
    "METHOD_TEXT",
    "METRICS",
    "PREFIX",
    "RULES",
    "TEST_TEXT",
    "Comparison",
    "Decision",
    "Metric",
    "Pairing",
    "PredictionSpec",
    "Predictions",
    "compare",
    "compare_paired",
    "compare_unpaired",
    "compute",
    "decide",
    "get_metric",
    "load_predictions",
    "pair",
]
