"""What a run loads before it does any work is part of its cost (issue 14): a run whose gates are on pipeline
metrics only imports no data or statistics library and no second validation library; a metric family's
libraries load only when its block is in mlgate.yaml."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.dvc_repo import make_project, mlgate_env

HEAVY = ["numpy", "pandas", "scipy", "sklearn", "pyarrow", "pydantic"]
PROBE = f"""
import contextlib, io, json, sys
import mlgate.cli
sys.argv = ["mlgate", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        mlgate.cli.entry()
    except SystemExit as exit:
        code = exit.code
print(json.dumps({{"code": code, "loaded": sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))}}))
"""


def probe(project, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=project.dir, env=mlgate_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_run_gated_on_pipeline_metrics_loads_no_data_or_statistics_library(tmp_path):
    project = make_project(tmp_path / "repo")
    project.checkout("change", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    project.commit("better")

    found = probe(project, "run", "--no-repro", "--base", "main", "--quiet")

    assert found == {"code": 0, "loaded": []}


def test_a_family_block_loads_its_libraries(tmp_path):
    project = make_project(tmp_path / "repo")
    project.write("data/train.csv", "x,label\n1,a\n2,b\n3,a\n")
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "data": {"train": "data/train.csv"}})
    project.commit("a dataset")

    found = probe(project, "run", "--no-repro", "--base", "main", "--quiet")

    assert found["code"] == 0 and "pyarrow" in found["loaded"]  # the data family reads with pyarrow
