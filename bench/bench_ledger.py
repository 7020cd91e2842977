"""Issue 4: a pull request's run in a fresh clone, with the metrics ledger vs. reproducing the base.

The bundled ``examples/classifier`` (prepare → train → evaluate, each a real Python process loading
pandas/scikit-learn) is copied to a temp dir with ``git init`` + ``dvc init``, a local directory as
its DVC remote and a bare ``origin``. ``main`` is recorded once with ``mlgate run --record`` (ledger
entry pushed, DVC cache and run-cache pushed). Then, three times each, in a fresh ``git clone``:

- **ledger**: a PR commit changing ``train.n_estimators``, ``mlgate run --base main`` (defaults);
- **reproduce**: the same commit, ``baseline: {ledger: false, reproduce: always}`` (the base is
  rebuilt in a worktree: what every PR paid before the ledger);
- **docs only**: a commit touching only a README, with the ledger (every stage restored).

Each stage command is wrapped to append its name to a log, so "stages executed" counts real runs.
The timed part is the ``mlgate run`` subprocess only (the clone is not timed).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "classifier"
RUNS = 3
COMMAND = "python bench/run.py ledger"


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _env(log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLGATE_")) and k != "CI"}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # `python` in dvc.yaml
        "DVC_NO_ANALYTICS": "1",
        "STAGE_LOG": str(log),
        "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    })  # fmt: skip
    return env


def _mlgate(cwd: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, Any]]:
    out = cwd.parent / f"out-{cwd.name}"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mlgate", "run", *args, "--quiet", "--report", str(out / "report.md"),
         "--json", str(out / "result.json")],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"mlgate {' '.join(args)} in {cwd} exited {proc.returncode}: {proc.stderr.strip()}")
    return seconds, json.loads((out / "result.json").read_text())


def _world(tmp: Path, env: dict[str, str]) -> Path:
    """dev (recorded main), origin.git, dvc-remote under tmp; returns origin."""
    dev = tmp / "dev"
    shutil.copytree(EXAMPLE, dev, ignore=shutil.ignore_patterns("data", "models", "eval", ".dvc", "dvc.lock"))
    pipeline = yaml.safe_load((dev / "dvc.yaml").read_text())
    for name, stage in pipeline["stages"].items():
        stage["cmd"] = f"{stage['cmd']} && echo {name} >> \"$STAGE_LOG\""
    (dev / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    _git(tmp, "init", "--quiet", "--initial-branch=main", str(dev))
    subprocess.run([sys.executable, "-m", "dvc", "init", "--quiet"], cwd=dev, env=env, check=True, stdout=subprocess.DEVNULL)
    config = dev / ".dvc" / "config"  # a relative remote URL, so every clone beside dev finds it
    config.write_text("[core]\n    remote = storage\n    analytics = false\n"
                      "['remote \"storage\"']\n    url = ../../dvc-remote\n")
    subprocess.run([sys.executable, "-m", "dvc", "repro", "--quiet"], cwd=dev, env=env, check=True, stdout=subprocess.DEVNULL)
    _git(dev, "add", "-A")
    _git(dev, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "classifier")
    origin = tmp / "origin.git"
    _git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    _git(dev, "remote", "add", "origin", str(origin))
    _git(dev, "push", "--quiet", "origin", "main")
    _mlgate(dev, env, "--record")  # ledger entry for main, pushed; DVC cache and run-cache pushed
    return origin


def _clone(origin: Path, dest: Path, change: str) -> Path:
    _git(origin.parent, "clone", "--quiet", str(origin), str(dest))
    _git(dest, "checkout", "--quiet", "-b", "pr")
    if change == "params":
        params = dest / "params.yaml"
        params.write_text(params.read_text().replace("n_estimators: 50", "n_estimators: 60"))
    else:
        (dest / "README.md").write_text((dest / "README.md").read_text() + "\nA note.\n")
    _git(dest, "-c", "commit.gpgsign=false", "commit", "--quiet", "-am", change)
    return dest


def main() -> str:
    scenarios = [
        ("ledger", "params", []),
        ("reproduce the base", "params", ["--config", "{no_ledger}"]),
        ("docs-only commit, ledger", "docs", []),
    ]
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-ledger-") as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "stages.log"
        env = _env(log)
        origin = _world(tmp, env)
        no_ledger = tmp / "mlgate-no-ledger.yaml"
        config = yaml.safe_load((EXAMPLE / "mlgate.yaml").read_text())
        config["baseline"] = {"ledger": False, "reproduce": "always"}
        no_ledger.write_text(yaml.safe_dump(config, sort_keys=False))
        figures: dict[str, dict[str, Any]] = {}
        for i in range(RUNS):
            for k, (label, change, args) in enumerate(scenarios):
                clone = _clone(origin, tmp / f"clone-{i}-{k}", change)
                log.unlink(missing_ok=True)
                seconds, result = _mlgate(clone, env, "--base", "main",
                                          *[a.format(no_ledger=no_ledger) for a in args])
                executed = log.read_text().split() if log.exists() else []
                entry = figures.setdefault(label, {"times": [], "executed": set(), "source": set()})
                entry["times"].append(seconds)
                entry["executed"].add(len(executed))
                entry["source"].add(result["baseline"]["source"])
                shutil.rmtree(clone)
    ledger_time = statistics.median(figures["ledger"]["times"])
    rows = []
    for label, _, _ in scenarios:
        f = figures[label]
        median = statistics.median(f["times"])
        ratio = "1.00×" if label == "ledger" else f"{median / ledger_time:.2f}×"
        rows.append(f"| {label} | {', '.join(sorted(f['source']))} | {median:.1f} s | {ratio} | "
                    f"{'/'.join(str(n) for n in sorted(f['executed']))} |")
    reproduce = statistics.median(figures["reproduce the base"]["times"])
    return f"""## Ledger: a pull request's run in a fresh clone (issue 4)

`{COMMAND}` — the bundled `examples/classifier` (3 stages) with a local DVC remote and a bare `origin`;
`main` recorded once with `mlgate run --record`. Each figure is the median of {RUNS} runs of
`mlgate run --base main` in a fresh `git clone` (clone not timed). "Stages executed" counts real stage
processes (the PR head's and, without the ledger, the base's in its worktree).

| scenario | baseline source | wall time | vs. ledger | stages executed |
|---|---|---:|---:|---:|
{chr(10).join(rows)}

With the ledger the base costs nothing: reproducing it instead takes {reproduce / ledger_time:.2f}× as long.
A docs-only commit restores every stage from the DVC remote and run-cache and executes none.
"""


if __name__ == "__main__":
    print(main())
