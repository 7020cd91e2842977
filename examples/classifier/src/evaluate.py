"""Stage `evaluate`: score models/model.pkl on data/test.csv.

Writes (all committed to git, `cache: false` in dvc.yaml):
- eval/metrics.json   accuracy, f1, precision, recall, roc_auc (positive class malignant) and
                      per_class.{benign,malignant}.{precision,recall}
- eval/model.yaml     model_size_mb (size of the pickle, 10^6 bytes) and n_features
- eval/predictions.csv  id,label,pred,proba,site for every test row (proba = P(malignant); site the
                        clinic, which mlgate's slices compare one by one)
- eval/plots/roc.json, eval/plots/confusion.csv and eval/plots/importance.svg (the forest's ten most
  important features as a bar chart), the plots dvc.yaml declares
"""

from __future__ import annotations

import json
import math
import pickle
from html import escape
from pathlib import Path

import pandas as pd
import yaml
from sklearn import metrics

ROOT = Path(__file__).resolve().parent.parent
CLASS_NAMES = {0: "benign", 1: "malignant"}
DIGITS = 6


def score(labels: pd.Series, preds: pd.Series, proba: pd.Series) -> dict:
    per_class = {
        name: {
            "precision": round(metrics.precision_score(labels, preds, pos_label=value, zero_division=0), DIGITS),
            "recall": round(metrics.recall_score(labels, preds, pos_label=value, zero_division=0), DIGITS),
        }
        for value, name in CLASS_NAMES.items()
    }
    return {
        "accuracy": round(metrics.accuracy_score(labels, preds), DIGITS),
        "f1": round(metrics.f1_score(labels, preds, zero_division=0), DIGITS),
        "precision": round(metrics.precision_score(labels, preds, zero_division=0), DIGITS),
        "recall": round(metrics.recall_score(labels, preds, zero_division=0), DIGITS),
        "roc_auc": round(metrics.roc_auc_score(labels, proba), DIGITS),
        "per_class": per_class,
    }


def roc_points(labels: pd.Series, proba: pd.Series) -> list[dict]:
    fpr, tpr, thresholds = metrics.roc_curve(labels, proba)
    return [
        {
            "fpr": round(float(x), DIGITS),
            "tpr": round(float(y), DIGITS),
            # the first threshold is +inf ("nothing is positive"), which JSON cannot hold
            "threshold": round(float(t), DIGITS) if math.isfinite(t) else None,
        }
        for x, y, t in zip(fpr, tpr, thresholds)
    ]


def importance_svg(names: list[str], importances: list[float], top: int = 10) -> str:
    """The `top` most important features as a small horizontal bar chart (SVG, deterministic bytes)."""
    ranked = sorted(zip(importances, names), key=lambda pair: (-pair[0], pair[1]))[:top]
    largest = ranked[0][0] or 1.0
    rows = []
    for i, (value, name) in enumerate(ranked):
        y = 24 + i * 22
        width = round(260 * value / largest, 1)
        rows.append(
            f'<text x="190" y="{y + 12}" text-anchor="end" font-size="12">{escape(name)}</text>'
            f'<rect x="196" y="{y}" width="{width}" height="16" fill="#0969da"/>'
            f'<text x="{196 + width + 4}" y="{y + 12}" font-size="11">{value:.3f}</text>'
        )
    height = 24 + len(ranked) * 22 + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{height}" font-family="sans-serif">'
        '<text x="8" y="14" font-size="13" font-weight="bold">Feature importance (top 10)</text>'
        + "".join(rows) + "</svg>\n"
    )


def main() -> None:
    with open(ROOT / "models" / "model.pkl", "rb") as handle:
        model = pickle.load(handle)
    test = pd.read_csv(ROOT / "data" / "test.csv")
    features = list(model.feature_names_in_)
    positive = list(model.classes_).index(1)
    proba = pd.Series(model.predict_proba(test[features])[:, positive]).round(DIGITS)
    preds = pd.Series(model.predict(test[features]))
    labels = test["label"]

    out = ROOT / "eval"
    (out / "plots").mkdir(parents=True, exist_ok=True)
    scores = score(labels, preds, proba)
    (out / "metrics.json").write_text(json.dumps(scores, indent=2) + "\n")
    model_info = {
        "model_size_mb": round((ROOT / "models" / "model.pkl").stat().st_size / 1e6, 4),
        "n_features": len(features),
    }
    (out / "model.yaml").write_text(yaml.safe_dump(model_info, sort_keys=False))
    pd.DataFrame({"id": test["id"], "label": labels, "pred": preds, "proba": proba, "site": test["site"]}).to_csv(
        out / "predictions.csv", index=False
    )
    (out / "plots" / "roc.json").write_text(json.dumps({"roc": roc_points(labels, proba)}, indent=2) + "\n")
    pd.DataFrame(
        {"actual": labels.map(CLASS_NAMES), "predicted": preds.map(CLASS_NAMES)}
    ).to_csv(out / "plots" / "confusion.csv", index=False)
    importances = [round(float(v), DIGITS) for v in model.feature_importances_]
    (out / "plots" / "importance.svg").write_text(importance_svg(features, importances))
    print(
        f"evaluate: accuracy={scores['accuracy']:.4f} f1={scores['f1']:.4f} "
        f"roc_auc={scores['roc_auc']:.4f} model_size_mb={model_info['model_size_mb']}"
    )


if __name__ == "__main__":
    main()
