"""mlgate compare-predictions: champion vs challenger on production prediction logs, judged by the same
predictions gates (with intervals), written as the same report and result, exiting with the verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.support.dvc_repo import mlgate_env

CONFIG = {
    "version": 1,
    "predictions": {"path": "eval/predictions.csv", "id": "id", "label": "label", "prediction": "pred"},
    "kpis": {"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}},
}


def logs(tmp_path: Path, *, flips: int, n: int = 3000, suffix: str = ".csv") -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, n)
    right = rng.random(n) < 0.9
    champion = np.where(right, label, 1 - label)
    challenger = champion.copy()
    challenger[np.flatnonzero(right)[:flips]] = 1 - challenger[np.flatnonzero(right)[:flips]]
    ids = [f"req-{i}" for i in range(n)]
    paths = []
    for name, pred in (("champion", champion), ("challenger", challenger)):
        frame = pd.DataFrame({"id": ids, "label": label, "pred": pred})
        path = tmp_path / f"{name}{suffix}"
        frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
        paths.append(path)
    return paths[0], paths[1]


def compare(tmp_path: Path, *args: str, config: dict | None = CONFIG) -> subprocess.CompletedProcess[str]:
    if config is not None:
        (tmp_path / "mlgate.yaml").write_text(yaml.safe_dump(config))
    return subprocess.run([sys.executable, "-m", "mlgate", "compare-predictions", *args,
                           "--report", str(tmp_path / "report.md"), "--json", str(tmp_path / "result.json")],
                          cwd=tmp_path, env=mlgate_env(), capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("flips", "code", "verdict"), [(0, 0, "pass"), (150, 1, "fail")])
def test_a_challenger_is_judged_paired_on_the_shared_requests(tmp_path, flips, code, verdict):
    champion, challenger = logs(tmp_path, flips=flips)

    proc = compare(tmp_path, str(champion), str(challenger))

    assert proc.returncode == code, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == verdict
    gate = result["gates"][0]
    assert gate["rules"][0]["interval"]["paired"] is True  # shadow mode: the same requests
    expected = -flips / 3000
    assert gate["new"] - gate["old"] == pytest.approx(expected)
    assert "champion" in (tmp_path / "report.md").read_text()


def test_parquet_logs_work_too(tmp_path):
    champion, challenger = logs(tmp_path, flips=0, suffix=".parquet")
    proc = compare(tmp_path, str(champion), str(challenger))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("case", "message"), [
    ("missing", "no such prediction log"),
    ("formats", "give both logs in one format"),
    ("no block", "no predictions: block"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, case, message):
    champion, challenger = logs(tmp_path, flips=0)
    config = CONFIG
    if case == "missing":
        challenger = tmp_path / "nope.csv"
    elif case == "formats":
        challenger = challenger.rename(tmp_path / "challenger.jsonl")
    else:
        config = {"version": 1, "kpis": {"accuracy": {"min": 0.5}}}

    proc = compare(tmp_path, str(champion), str(challenger), config=config)

    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlgate: error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr


def test_pipeline_kpis_in_the_same_config_are_listed_as_not_judged_with_the_reason(tmp_path):
    champion, challenger = logs(tmp_path, flips=0)
    config = {**CONFIG, "kpis": {"test.accuracy": {"min": 0.8}, **CONFIG["kpis"], "model.size_mb": {"max": 5}}}

    proc = compare(tmp_path, str(champion), str(challenger), config=config)

    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "pass"
    assert [(g["kpi"], g["status"]) for g in result["gates"]] == [  # mlgate.yaml's order (safe_dump sorts)
        ("model.size_mb", "skipped"), ("predictions.accuracy", "pass"), ("test.accuracy", "skipped")]
    reason = "not a predictions.* metric: a prediction log does not give it (mlgate run judges it)"
    assert result["gates"][2]["message"] == reason
    report = (tmp_path / "report.md").read_text()
    assert "⏭️ Not judged: `model.size_mb` (not a predictions.\\* metric: a prediction log does not give it" in report
    assert "`test.accuracy` (not a predictions" in report
    assert "skip  test.accuracy: not a predictions.* metric: a prediction log" in proc.stdout  # cut to the width


@pytest.mark.parametrize(("kpis", "why"), [
    ({"test.accuracy": {"min": 0.8}}, "not judged: test.accuracy"),
    ({}, "kpis: is empty"),
])
def test_a_comparison_that_could_judge_nothing_is_not_a_pass(tmp_path, kpis, why):
    champion, challenger = logs(tmp_path, flips=0)

    proc = compare(tmp_path, str(champion), str(challenger), config={**CONFIG, "kpis": kpis})

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"mlgate: error: mlgate.yaml: no KPI could be judged on the prediction logs ({why}); add predictions.* KPIs, "
        "e.g. predictions.accuracy: {max_drop: 0.01}"]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "error"
    report = (tmp_path / "report.md").read_text()
    assert "✅" not in report
    assert report.splitlines()[1].endswith(" — the comparison could not be completed")  # not a run's words
    assert "> **Nothing could be judged:** mlgate.yaml: no KPI could be judged" in report


def test_a_misspelt_predictions_kpi_still_matches_no_metric(tmp_path):
    champion, challenger = logs(tmp_path, flips=0)
    config = {**CONFIG, "kpis": {"predictions.slice.region=*.accuracy": {"min": 0.5}}}
    proc = compare(tmp_path, str(champion), str(challenger), config=config)
    assert proc.returncode == 2
    assert "matches no metric" in proc.stderr or "slices" in proc.stderr
