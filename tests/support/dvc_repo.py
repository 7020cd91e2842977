"""Small, real git + DVC projects in temp dirs, for integration tests.

``make_project`` builds a git repository (branch ``main``) holding a DVC project, at its root or in a
subdirectory, whose pipeline copies sections of ``params.yaml`` into metrics files. Changing a param
changes a metric, so a test steers the numbers through the real pipeline::

    p = make_project(tmp_path, params={"metrics": {"accuracy": 0.95}})   # main: reproduced, committed
    p.checkout("feature", new=True)
    p.update_params({"metrics": {"accuracy": 0.90}})
    p.commit("worse")
    proc = p.mlgate("run", "--base", "main")                              # real subprocess

Shapes worth knowing:

- metrics committed to git (the default, ``cache: false``): the base's numbers are readable at the base
  commit ("baseline from committed metrics");
- ``repro=False``: main is committed without running the pipeline, so no metrics exist at the base and
  mlgate must reproduce it in a worktree;
- ``metrics={"eval/scores.json": "scores", "eval/model.yaml": "model"}``: several files, JSON, YAML or TOML,
  nested sections become dotted keys;
- a section whose value is a string is written verbatim (a corrupt metrics file: ``"{not json"``);
- ``top_level_metrics=["eval/missing.json"]``: a metrics file DVC knows but no stage writes;
- ``stages={...}``: raw ``dvc.yaml`` stages instead of the generated one (``train_stage`` and ``python_cmd``
  help; the writer script is always there).

Stage commands call this interpreter by absolute path, so no PATH set-up is needed, and DVC analytics are
off in the project's own config, so nothing reaches the network.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WRITER_NAME = "write_metrics.py"
PYTHON = shlex.quote(sys.executable)

DEFAULT_PARAMS: dict[str, Any] = {"metrics": {"accuracy": 0.95, "f1": 0.93, "loss": 0.2}}
DEFAULT_CONFIG: dict[str, Any] = {
    "version": 1,
    "kpis": {"accuracy": {"min": 0.9, "max_drop": 0.01}, "loss": {"max_increase_pct": 10}},
}

# The stage script: `write_metrics.py SECTION=PATH ...` copies params.yaml's SECTION into PATH.
WRITER = '''\
"""Copy sections of params.yaml into metrics files (written by tests/support/dvc_repo.py)."""
import json
import sys
from pathlib import Path

import yaml


def toml(data, prefix=""):
    scalars = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [toml(v, f"{prefix}{k}.") for k, v in data.items() if isinstance(v, dict)]
    head = [f"[{prefix[:-1]}]"] if prefix and scalars else []
    return "\\n".join(head + scalars + tables) + "\\n"


params = yaml.safe_load(Path("params.yaml").read_text())
for arg in sys.argv[1:]:
    section, path = arg.split("=", 1)
    value = params[section]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(value, str):
        out.write_text(value)
    elif out.suffix in (".yaml", ".yml"):
        out.write_text(yaml.safe_dump(value, sort_keys=False))
    elif out.suffix == ".toml":
        out.write_text(toml(value))
    else:
        out.write_text(json.dumps(value, indent=2))
'''


def python_cmd(code: str) -> str:
    """A stage command running `code` with this interpreter, e.g. python_cmd("raise SystemExit(1)")."""
    return f"{PYTHON} -c {shlex.quote(code)}"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def mlgate_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an `mlgate` subprocess: no Actions context, no analytics, no debug tracebacks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLGATE_")) and k != "CI"}
    env["DVC_NO_ANALYTICS"] = "1"
    env.update(extra or {})
    return env


@dataclass
class Project:
    root: Path  # the git repository's top level
    dir: Path  # the DVC project (root, or root/subdir)

    # -- git ---------------------------------------------------------------------------------------------
    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def commit(self, message: str = "update") -> str:
        """Stage everything and commit (allowing an empty commit); return the new sha."""
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.sha()

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def checkout(self, branch: str, *, new: bool = False) -> None:
        self.git("checkout", "--quiet", *(["-b"] if new else []), branch)

    # -- files -------------------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.dir / rel

    def write(self, rel: str, text: str) -> Path:
        target = self.dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def read_json(self, rel: str) -> Any:
        return json.loads((self.dir / rel).read_text(encoding="utf-8"))

    @property
    def params(self) -> dict[str, Any]:
        return yaml.safe_load((self.dir / "params.yaml").read_text(encoding="utf-8")) or {}

    def write_params(self, params: dict[str, Any]) -> None:
        self.write("params.yaml", yaml.safe_dump(params, sort_keys=False))

    def update_params(self, updates: dict[str, Any]) -> None:
        """Deep-merge `updates` into params.yaml (a string section value replaces the section)."""
        self.write_params(_merge(self.params, updates))

    def write_config(self, config: dict[str, Any] | str, rel: str = "mlgate.yaml") -> Path:
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        return self.write(rel, text)

    # -- DVC and mlgate ----------------------------------------------------------------------------------
    def repro(self) -> list[str]:
        """`dvc repro` in-process (from the project dir, as DVC's CLI would); the stages that ran."""
        from dvc.repo import Repo

        with contextlib.chdir(self.dir), Repo(str(self.dir)) as repo:
            return [stage.addressing for stage in repo.reproduce()]

    def mlgate(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`python -m mlgate ARGS` as a real subprocess in the project dir; never raises on exit codes."""
        return subprocess.run(
            [sys.executable, "-m", "mlgate", *args],
            cwd=cwd or self.dir, env=mlgate_env(env), capture_output=True, text=True, timeout=timeout, check=False,
        )

    def copy(self, dest: Path) -> Project:
        """A full copy (git history, DVC cache and all) at `dest`: cheaper than building another."""
        shutil.copytree(self.root, dest, symlinks=True)
        return Project(dest, dest / self.dir.relative_to(self.root))


def make_project(
    root: Path,
    *,
    subdir: str | None = None,
    params: dict[str, Any] | None = None,
    metrics: dict[str, str] | None = None,
    cache_metrics: bool = False,
    top_level_metrics: list[str] | None = None,
    stages: dict[str, Any] | None = None,
    config: dict[str, Any] | str | None = DEFAULT_CONFIG,
    repro: bool = True,
    commit: bool = True,
    branch: str = "main",
) -> Project:
    """A git repo at `root` (created if needed) with a DVC project at `root/subdir` (or `root`).

    params: params.yaml (default DEFAULT_PARAMS). metrics: metrics file path -> params section the stage
    copies into it (default {"metrics.json": "metrics"}); the generated stage is named ``train``.
    cache_metrics: False commits the metrics files to git (``cache: false``), True leaves them to the DVC
    cache. stages: raw dvc.yaml stages replacing the generated one. config: mlgate.yaml (dict or text;
    None writes none). repro: run the pipeline before committing. commit: commit everything on `branch`.
    """
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch", branch)
    for key, value in (("user.name", "mlgate tests"), ("user.email", "tests@example.invalid"),
                       ("commit.gpgsign", "false"), ("core.autocrlf", "false")):
        git(root, "config", key, value)
    project = Project(root, root / subdir if subdir else root)
    project.dir.mkdir(parents=True, exist_ok=True)

    from dvc.repo import Repo

    with Repo.init(str(project.dir), subdir=bool(subdir)) as repo, repo.config.edit() as conf:
        conf["core"]["analytics"] = False

    project.write_params(DEFAULT_PARAMS if params is None else params)
    metrics = {"metrics.json": "metrics"} if metrics is None else metrics
    project.write(WRITER_NAME, WRITER)  # also there for custom stages built with train_stage()
    if stages is None:
        stages = {"train": train_stage(metrics, cache=cache_metrics)} if metrics else {}
    dvc_yaml: dict[str, Any] = {"stages": stages}
    if top_level_metrics:
        dvc_yaml["metrics"] = list(top_level_metrics)
    project.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    if config is not None:
        project.write_config(config)
    if repro and stages:
        project.repro()
    if commit:
        project.commit("initial pipeline")
    return project


def train_stage(metrics: dict[str, str], *, cache: bool = False) -> dict[str, Any]:
    """The generated stage: copies each params section into its metrics file."""
    args = " ".join(shlex.quote(f"{section}={path}") for path, section in metrics.items())
    return {
        "cmd": f"{PYTHON} {WRITER_NAME} {args}",
        "deps": [WRITER_NAME],
        "params": sorted(set(metrics.values())),
        "metrics": [{path: {"cache": cache}} for path in metrics],
    }


def _merge(base: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
