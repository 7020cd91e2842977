"""Which way is better for a metric that no KPI gives a direction: a guess from common metric names.

Used to call a change better or worse where no KPI says which way is better (the "All metrics" table, the
heading of a run without mlgate.yaml); a KPI's own direction (``direction:``, or implied by its rules) always
wins, and an unknown name gets no word.
"""

from __future__ import annotations

import re

_HIGHER = re.compile(r"(?i)(^|[._/-])(acc|accuracy|precision|recall|f1|f1_score|auc|roc_auc|ap|average_precision|"
                     r"r2|iou|dice|map|ndcg|bleu|rouge\w*|specificity|sensitivity|tpr|throughput)($|[._/-])")
_LOWER = re.compile(r"(?i)(^|[._/-])(loss|\w*_loss|error|err|mae|mse|rmse|mape|log_loss|brier|fpr|fnr|latency\w*|"
                    r"\w*_ms|\w*_seconds|size\w*|\w*_mb|\w*_bytes|perplexity|wer|cer)($|[._/-])")


def guess_higher_is_better(key: str) -> bool | None:
    """True for accuracy-like names, False for loss/error/latency/size-like names, None otherwise."""
    leaf = key.rsplit(".", 1)[-1]
    if _LOWER.search(leaf):
        return False
    if _HIGHER.search(leaf):
        return True
    return None
