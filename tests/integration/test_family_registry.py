"""A metric family is a package plus one registry line: the test-only fairness family (tests/support/fairness)
registered, configured in mlgate.yaml, computed by a real `mlgate run` on a real git + DVC project, gated,
shown in the report, and its block validated like every other — with no file of mlgate naming it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlgate.families import FAMILIES, registered
from tests.support.dvc_repo import PYTHON, make_project, train_stage
from tests.support.fairness import FAMILY
from tests.support.inprocess import runner

pytestmark = pytest.mark.slow

EVALUATE = '''\
"""200 examples, half in each region; the first `wrong_east` of the east's predictions are wrong."""
import csv, pathlib, yaml
wrong = yaml.safe_load(open("params.yaml"))["eval"]["wrong_east"]
pathlib.Path("eval").mkdir(exist_ok=True)
with open("eval/predictions.csv", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["id", "region", "label", "prediction"])
    for i in range(200):
        region, label = ("east" if i < 100 else "west"), i % 2
        out.writerow([i, region, label, 1 - label if region == "east" and i < wrong else label])
'''

CONFIG = """version: 1
kpis:
  accuracy: {max_drop: 0.01}
  fairness.accuracy_gap: {max_increase: 0.05}
fairness:
  file: eval/predictions.csv
  group: region
"""


@pytest.fixture
def project(tmp_path: Path):
    p = make_project(tmp_path / "repo", params={"metrics": {"accuracy": 0.9}, "eval": {"wrong_east": 2}},
                     stages=None, config=CONFIG, repro=False, commit=False)
    p.write("evaluate.py", EVALUATE)
    p.write("dvc.yaml", __import__("yaml").safe_dump({"stages": {
        "train": train_stage({"metrics.json": "metrics"}),
        "evaluate": {"cmd": f"{PYTHON} evaluate.py", "deps": ["evaluate.py"], "params": ["eval"],
                     "outs": [{"eval/predictions.csv": {"cache": False}}]},
    }}, sort_keys=False))
    p.repro()
    p.commit("main: the east is 2 % wrong")
    return p


def _pull_request(project, run, wrong_east: int):
    """A branch whose east region has ``wrong_east`` wrong predictions, judged against main with the family."""
    project.checkout(f"east-{wrong_east}", new=True)
    project.update_params({"eval": {"wrong_east": wrong_east}})
    project.commit(f"{wrong_east} wrong in the east")
    with registered(FAMILY):
        return run(project.dir, "--base", "main")


def test_a_registered_family_is_computed_gated_and_reported(project, tmp_path, monkeypatch, capsys):
    done = _pull_request(project, runner(tmp_path, monkeypatch, capsys), 30)
    assert done.code == 1, done.err
    gap = done.gate("fairness.accuracy_gap")
    assert gap["status"] == "fail"
    assert (gap["old"], gap["new"]) == pytest.approx((0.02, 0.30))
    assert done.gate("accuracy")["status"] == "pass"  # the pipeline's own metric did not move
    assert "Fairness: accuracy by region" in done.report
    assert "| `east` | 98.0 % | 70.0 % |" in done.report  # the family's own template and filter
    assert "| `west` | 100.0 % | 100.0 % |" in done.report
    assert FAMILY not in FAMILIES  # registered for the block only


def test_a_change_that_keeps_the_groups_level_passes(project, tmp_path, monkeypatch, capsys):
    done = _pull_request(project, runner(tmp_path, monkeypatch, capsys), 3)
    assert done.code == 0, done.err
    assert done.gate("fairness.accuracy_gap")["status"] == "pass"


def test_its_block_is_validated_by_its_schema_with_the_line(project, tmp_path, monkeypatch, capsys):
    run = runner(tmp_path, monkeypatch, capsys)
    project.write_config(CONFIG + "  colour: red\n")
    with registered(FAMILY):
        done = run(project.dir, "--base", "main")
    assert done.code == 2
    line = len(CONFIG.splitlines()) + 1
    assert f"mlgate.yaml:{line}: fairness.colour: unknown key" in done.err, done.err
    assert "file, group, label, prediction" in done.err  # the keys its schema allows
    project.write_config(CONFIG.replace("  group: region\n", ""))
    with registered(FAMILY):
        done = run(project.dir, "--base", "main")
    assert done.code == 2
    assert "mlgate.yaml:5: fairness.group: required key is missing" in done.err, done.err


def test_without_the_family_its_block_is_an_unknown_key(project, tmp_path, monkeypatch, capsys):
    run = runner(tmp_path, monkeypatch, capsys)
    done = run(project.dir, "--base", "main")
    assert done.code == 2
    assert "fairness: unknown key" in done.err, done.err


def test_no_file_of_mlgate_names_the_family():
    src = Path(__file__).resolve().parents[2] / "src"
    named = subprocess.run(["grep", "-ril", "fairness", str(src)], capture_output=True, text=True).stdout
    assert named == ""
