"""The predictions and model report sections render what the families computed, with untrusted text inert."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from mlgate.report.render import _environment

UNIT = Path(__file__).parents[1]
sys.path[:0] = [str(UNIT / "families" / "model"), str(UNIT / "families" / "predictions")]
from test_family_model import COLUMNS, _config, _fit, _sides  # noqa: E402
from test_prediction_details import KPI, _run  # noqa: E402

from mlgate.families.model.family import compute as model_compute  # noqa: E402


def _render(name: str, section: dict) -> str:
    return _environment(None).get_template(f"sections/{name}.md.j2").render(r=None, s=section)


def test_predictions_section_shows_slices_health_flips_calibration() -> None:
    d, _, _ = _run({"a": 60, "b": 4}, KPI)
    text = _render("predictions", d.section)
    assert "<details><summary>Slices (7) — worst at the head and largest movers, on <code>predictions.accuracy</code>" in text
    assert "| `region=a` | 479 → 479 | 0.8685 | 0.7432 | −0.1253 (−0.1566 … −0.0960) |" in text
    assert "6 slice gates with a confidence level were judged together: Holm." in text
    assert "<details><summary>Prediction health — 2 distinct labels predicted" in text
    assert "<details><summary>Flipped examples: 64 right → wrong, 0 wrong → right</summary>" in text
    assert "| **0** | 1,309 (−39) | 249 (+39) |" in text
    assert "(10 equal-width bins)</summary>" in text and "| 0.90–1.00 |" in text
    assert text.count("<details>") == text.count("</details>") == 4


def test_untrusted_slice_names_and_ids_stay_inert() -> None:
    from mlgate.config.load import parse_config
    from mlgate.families.predictions.details import details
    from mlgate.families.predictions.family import interval_record
    from mlgate.stats import PredictionSpec, pair
    from mlgate.stats.predictions import Predictions

    n = 100
    spec = PredictionSpec("p.csv", id="id", label="label", prediction="pred")
    ids = np.array([f"<img src=x>|{i}" for i in range(n)], dtype=object)
    label = np.array(["a|b", "@team"] * (n // 2), dtype=object)
    head = Predictions("p.csv", spec, ids, label, np.roll(label, 1), None)
    base = Predictions("p.csv", spec, ids, label, label.copy(), None)
    cols = pd.DataFrame({"id": ids, "region": ["<b>x</b>|`y`"] * n})
    cfg = parse_config("version: 1\npredictions: {path: p.csv, slices: [region]}\n")
    d = details(cfg.predictions, cfg.kpis, ["accuracy"], head, base, pair(head, base), head_columns=cols,
                base_columns=cols, record=interval_record, resamples=100)
    text = _render("predictions", d.section)
    outside_code = re.sub(r"(`+).*?\1", "", text)  # inside a code span, HTML and mentions are inert
    assert "<img" not in outside_code and "<b>" not in outside_code and "@team" not in outside_code
    assert "`@team`" in text  # the confusion table's row header: a would-be mention in a code span
    assert "| `` region=<b>x</b>\\|`y` `` |" in text  # a code span, its | escaped for the table


def test_model_section(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS[:4]))
    r = model_compute(_config(), head, base)
    text = _render("model", r.section)
    assert text.lstrip().startswith("<details><summary>Model <code>models/model.joblib</code> — predict ×")
    assert "the base's time, side by side · interface changed</summary>" in text
    assert "- Latency head/base (median of 6 interleaved calls): one row ×" in text
    assert "- Interface changes: 2 input column(s) added: f4, f5." in text
    assert "- Absolute times depend on the machine and its load; the head/base ratio" in text


def test_model_section_without_a_base_model(tmp_path: Path) -> None:
    """The Action's first runs: no base model to time against, so no ratio — the section still renders."""
    head, _ = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS))
    r = model_compute(_config(), head, None)
    text = _render("model", r.section)
    assert text.lstrip().startswith("<details><summary>Model <code>models/model.joblib</code></summary>")
    assert "Latency head/base" not in text


def test_the_full_report_includes_each_familys_section(tmp_path: Path) -> None:
    from test_report import make_result

    from mlgate.report.render import render

    d, _, _ = _run({"a": 60, "b": 4}, KPI)
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS))
    model = model_compute(_config(), head, base)
    sections = {"predictions": json.loads(json.dumps(d.section)), "model": model.section, "unknown": {"x": 1}}
    text = render(make_result(sections=sections))
    assert "<details><summary>Slices (7)" in text and "<details><summary>Model <code>models/model.joblib</code>" in text
    assert text.index("<details><summary>Slices") < text.index("<details><summary>Model")
    assert "</details>\n\n<details><summary>Model" in text  # its own paragraph, after the predictions' last fold
    assert text.index("</summary>") > text.index("| ❌ |")  # the folds come after the gate table


def test_a_section_its_template_cannot_render_costs_the_section_not_the_report() -> None:
    import dataclasses

    from test_report import make_result

    from mlgate.report.render import render

    broken = {"path": "models/model.pkl", "latency": {"latency_ratio": "not a measurement"}}
    result = dataclasses.replace(make_result(), sections={"model": broken})

    report = render(result)  # was an internal error (exit 70) in `mlgate run`

    assert "<summary>Model" not in report
    assert "the model section was left out of the report: its data does not have the shape" in report


def test_most_drifting_columns_lists_only_the_columns_that_moved(tmp_path: Path) -> None:
    from mlgate.config.load import parse_config
    from mlgate.edges.sides import DirectorySide
    from mlgate.families.data import family as data_family
    from tests.support.data_files import classified, write

    base = classified(3000, seed=1)
    head = base.copy()
    head["age"] = head["age"] + 8  # only age moves; income, region and label are the same rows
    write(tmp_path / "base", "data/train.csv", base)
    write(tmp_path / "head", "data/train.csv", head)
    config = parse_config("version: 1\ndata:\n  train: {path: data/train.csv, target: label}\n")
    result = data_family.compute(config, DirectorySide("head", None, tmp_path / "head"),
                                 DirectorySide("base", None, tmp_path / "base"))
    assert len(result.section["datasets"][0]["drift"]) > 1  # the family ranks every column it compared
    text = _render("data", result.section)
    drift = text.split("Most drifting columns against the base")[1].split("\n\n")[1]
    rows = [line for line in drift.splitlines() if line.startswith("| `")]
    assert [row.split("|")[1].strip() for row in rows] == ["`age`"], drift
    assert "(1 of 4;" in text

    same = data_family.compute(config, DirectorySide("head", None, tmp_path / "base"),
                               DirectorySide("base", None, tmp_path / "base"))
    text = _render("data", same.section)
    assert "Most drifting columns" not in text and "No column moved against the base beyond chance (4 compared" in text
