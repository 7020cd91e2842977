"""Which way is better for a metric that no KPI gives a direction: a guess from the words of its name.

One vocabulary for every guess: `mlgate init` (mlgate.config.starter) gates the metrics whose name says a
direction, and the report calls a change better or worse where no KPI says which way is better (the "All
metrics" table, the heading of a run without mlgate.yaml). A KPI's own direction (``direction:``, or implied
by its rules) always wins, and a name that says neither way, or both, gets no guess.
"""

from __future__ import annotations

import re

# The words of a name (mlgate.text.metric_names.words) that say which way is better. A word with digits after it
# counts as the word (``map50``, ``ap50``, ``rouge1``, ``bleu4``); ``top1``/``top5`` is an accuracy.
LOWER_IS_BETTER = frozenset((
    "loss", "logloss", "nll", "error", "err", "mae", "mse", "rmse", "rmsle", "msle", "mape", "smape", "brier", "ece",
    "fpr", "fnr", "wer", "cer", "ter", "perplexity", "ppl", "fid",
    "latency", "size", "time", "duration", "ms", "seconds", "secs", "mb", "gb", "kb", "bytes", "memory",
))
HIGHER_IS_BETTER = frozenset((
    "acc", "accuracy", "top", "f1", "f2", "fbeta", "auc", "auroc", "auprc", "roc", "precision", "prec", "recall",
    "tpr", "tnr", "specificity", "sensitivity", "mcc", "kappa", "r2", "map", "ap", "ndcg", "mrr", "hit", "hits",
    "hitrate", "iou", "miou", "dice", "jaccard", "bleu", "rouge", "meteor", "chrf", "psnr", "ssim", "spearman",
    "pearson", "silhouette", "reward", "throughput",
))
# A metric measured at a cutoff: the number in its name is the cutoff (ndcg_10, map_50), never a class.
RANKED = frozenset(("ndcg", "map", "ap", "mrr", "hit", "hits", "hitrate", "top"))
CUTOFF_WORDS = frozenset(("at", "top", "k"))  # recall_at_10, top_5_accuracy, precision_at_k


def words(text: str) -> list[str]:
    """The words of a key segment: ``val_accuracy`` -> [val, accuracy]; ``valLoss`` and ``f1-score`` too."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def metric_word(word: str) -> str | None:
    """The vocabulary word a word of a name is (``ap50`` -> ``ap``, ``top5`` -> ``top``), or None."""
    if word in LOWER_IS_BETTER or word in HIGHER_IS_BETTER:
        return word if word != "top" else None  # "top" alone is no metric; top1, top5 are
    if word.startswith("accura"):
        return "accuracy"
    stem = word.rstrip("0123456789")
    if stem != word and (stem in LOWER_IS_BETTER or stem in HIGHER_IS_BETTER):
        return stem
    return None


UNITS = frozenset(("ms", "seconds", "secs", "mb", "gb", "kb", "bytes"))  # say a cost's direction, never its name


def _direction_of(found: list[str]) -> tuple[str, str] | None:
    said = [w for w in map(metric_word, found) if w]
    lower = any(w in LOWER_IS_BETTER for w in said)
    higher = any(w in HIGHER_IS_BETTER for w in said)
    if lower == higher:
        return None
    named = [w for w in said if w not in UNITS] or said
    return ("lower" if lower else "higher"), named[-1]  # the metric's own name ends it: roc_auc is an auc


def guess_direction(key: str) -> tuple[str, str] | None:
    """("higher" | "lower", the vocabulary word that says so), or None when the name says neither or both.
    The leaf segment speaks first, then the others from the leaf up: ``roc_auc.test`` and ``test.accuracy``
    name their metric in different places, and ``error_analysis.accuracy`` is an accuracy."""
    for segment in reversed(key.split(".")):
        ws = words(segment)
        guess = _direction_of(ws)
        if guess is not None or any(metric_word(w) for w in ws):  # a segment that says both ways: no guess
            return guess
    return None


def guess_higher_is_better(key: str) -> bool | None:
    """True for accuracy-like names, False for loss/error/latency/size-like names, None otherwise."""
    guess = guess_direction(key)
    return None if guess is None else guess[0] == "higher"


def is_cutoff(segment: str, ws: list[str]) -> bool:
    """A number in this segment is a cutoff (``ndcg@10``, ``recall_at_5``, ``top_5_accuracy``, ``mAP50-95``),
    not a class index (``class_3_f1``, ``recall_0``)."""
    return "@" in segment or any(w in CUTOFF_WORDS for w in ws) or any(metric_word(w) in RANKED for w in ws)
