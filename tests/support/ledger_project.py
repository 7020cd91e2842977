"""A two-stage DVC project with a bare git ``origin`` and a local DVC remote, for ledger and run-cache tests.

``train`` copies params.yaml's ``train`` section into ``models/model.json`` (a DVC-cached output);
``evaluate`` turns the model into ``metrics.json`` (DVC-cached too, so a fresh clone has no metrics until
they are pulled or reproduced), adding ``OFFSET`` from ``evaluate.py``, so editing the script changes
the numbers. Each stage appends ``<name> <cwd>`` to the file named by ``$STAGE_LOG`` every time it
really runs: tests count executions instead of trusting DVC's log.

``Origin.make`` builds it all under one temp dir: ``dev`` (the first working copy, on ``main``),
``origin.git`` (bare) and ``dvc-remote`` (a directory, the DVC default remote, configured in the
committed ``.dvc/config`` so every clone uses it). The remote's URL is relative (DVC resolves it from
``.dvc/``), so any clone made beside ``dev`` finds it, and ``copy`` can move the whole world.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dvc.repo  # noqa: F401 - DVC sets its log handler up on import: do it now, not under a test's capsys
import pytest

from mlgate.cli import main
from tests.support.dvc_repo import PYTHON, Project, git, make_project
from tests.support.inprocess import Run, run_mlgate

LOG_LINE = "import os; log = os.environ.get('STAGE_LOG'); log and open(log, 'a').write('{name} ' + os.getcwd() + '\\n')"

TRAIN = f'''\
import json, os, yaml
{LOG_LINE.format(name="train")}
params = yaml.safe_load(open("params.yaml"))["train"]
os.makedirs("models", exist_ok=True)
json.dump(params, open("models/model.json", "w"))
'''

EVALUATE = f'''\
import json
{LOG_LINE.format(name="evaluate")}
OFFSET = 0.0
model = json.load(open("models/model.json"))
metrics = {{"accuracy": round(model["accuracy"] + OFFSET, 6), "loss": model["loss"]}}
json.dump(metrics, open("metrics.json", "w"), indent=1)  # never the model's bytes: a different cache object
'''

STAGES: dict[str, Any] = {
    "train": {"cmd": f"{PYTHON} train.py", "deps": ["train.py"], "params": ["train"], "outs": ["models/model.json"]},
    "evaluate": {
        "cmd": f"{PYTHON} evaluate.py",
        "deps": ["evaluate.py", "models/model.json"],
        "metrics": [{"metrics.json": {"cache": True}}],
    },
}
CONFIG: dict[str, Any] = {
    "version": 1,
    "kpis": {"accuracy": {"min": 0.5, "max_drop": 0.05}, "loss": {"max_increase_pct": 50}},
}
PARAMS: dict[str, Any] = {"train": {"accuracy": 0.9, "loss": 0.2}}
NOTES_REF = "refs/notes/mlgate"


@dataclass
class Origin:
    dev: Project
    origin: Path
    remote: Path
    tmp: Path

    @classmethod
    def make(cls, tmp: Path, *, config: dict[str, Any] | None = None) -> Origin:
        dev = make_project(tmp / "dev", stages=STAGES, params=PARAMS, config=config or CONFIG, repro=False,
                           commit=False)
        dev.write("train.py", TRAIN)
        dev.write("evaluate.py", EVALUATE)
        remote = tmp / "dvc-remote"
        # Written by hand: DVC's config API would re-base a relative URL on the current directory.
        config = dev.dir / ".dvc" / "config"
        config.write_text(config.read_text().replace("[core]\n", "[core]\n    remote = storage\n", 1)
                          + "['remote \"storage\"']\n    url = ../../dvc-remote\n")  # from <clone>/.dvc/
        assert dev.repro() == ["train", "evaluate"]
        dev.commit("pipeline")
        origin = tmp / "origin.git"
        git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
        dev.git("remote", "add", "origin", str(origin))
        dev.git("push", "--quiet", "-u", "origin", "main")
        dev.git("remote", "set-head", "origin", "main")
        return cls(dev, origin, remote, tmp)

    def record_main(self) -> None:
        """`mlgate run --record` in `dev` (on main): the ledger entry and the DVC cache reach the remotes."""
        proc = self.dev.mlgate("run", "--record", "--quiet", "--report", os.devnull, "--json", os.devnull,
                               env={"STAGE_LOG": ""})
        assert proc.returncode == 0, proc.stderr

    def land(self, message: str) -> str:
        """Commit what ``dev`` has on main, push it to origin and record it: a merge to the default branch."""
        sha = self.dev.commit(message)
        self.dev.git("push", "--quiet", "origin", "main")
        self.record_main()
        return sha

    def copy(self, dest: Path) -> Origin:
        """The same world (history, ledger, caches and remotes) under ``dest``: cheaper than ``make``."""
        shutil.copytree(self.tmp, dest, symlinks=True, ignore=shutil.ignore_patterns("out*", "stage-log.txt"))
        dev = Project(dest / "dev", dest / "dev")
        dev.git("remote", "set-url", "origin", str(dest / "origin.git"))
        return Origin(dev, dest / "origin.git", dest / "dvc-remote", dest)

    def clone(self, name: str, branch: str = "main") -> Project:
        dest = self.tmp / name
        git(self.tmp, "clone", "--quiet", "--branch", branch, str(self.origin), str(dest))
        for key, value in (("user.name", "clone"), ("user.email", "clone@example.invalid"), ("commit.gpgsign", "false")):
            git(dest, "config", key, value)
        return Project(dest, dest)

    def notes(self, sha: str) -> dict[str, Any] | None:
        proc = subprocess.run(["git", "notes", "--ref", NOTES_REF, "show", sha], cwd=self.origin,
                              capture_output=True, text=True, check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 else None




class Runner:
    """`mlgate ARGS` in-process from a directory, with $STAGE_LOG set; counts the stages that ran."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp, self.monkeypatch, self.capsys = tmp, monkeypatch, capsys
        self.log = tmp / "stage-log.txt"
        self.count = 0
        monkeypatch.setenv("STAGE_LOG", str(self.log))
        monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
        for name in ("GITHUB_ACTIONS", "CI", "MLGATE_DEBUG"):
            monkeypatch.delenv(name, raising=False)

    def __call__(self, cwd: Path, *args: str, command: str = "run") -> Run:
        self.count += 1
        return run_mlgate(self.monkeypatch, self.capsys, cwd, [command, *args, "--quiet"], self.tmp / f"out{self.count}")

    def history(self, cwd: Path, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.chdir(cwd)
        self.capsys.readouterr()
        code = main(["history", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def executed(self) -> list[tuple[str, str]]:
        """(stage, cwd) for every real execution since the last ``reset``."""
        if not self.log.exists():
            return []
        return [tuple(line.split(" ", 1)) for line in self.log.read_text().splitlines()]  # type: ignore[misc]

    def reset(self) -> None:
        self.log.unlink(missing_ok=True)
