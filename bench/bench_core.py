"""Issue 2's targets: compare + gate + render within 1.5x one `dvc metrics diff`; `mlgate --help` < 0.3 s.

On the bundled example with its outputs up to date, times `mlgate run --no-repro --base main` (the whole
compare, gate and render, process start-up included) against one `dvc metrics diff main` CLI call.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNS = 7


def _time(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-400:]}")
    return elapsed


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env.pop("GITHUB_ACTIONS", None)
    return env


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=_env())


def _project(tmp: Path) -> Path:
    repo = tmp / "repo"
    shutil.copytree(ROOT / "examples" / "classifier", repo, ignore=shutil.ignore_patterns("data", "models", "eval"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.invalid")
    _git(repo, "config", "user.name", "bench")
    subprocess.run([str(BIN / "dvc"), "init", "-q"], cwd=repo, check=True, env=_env())
    subprocess.run([str(BIN / "dvc"), "repro", "-q"], cwd=repo, check=True, env=_env(), capture_output=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "main")
    _git(repo, "checkout", "-qb", "change")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("max_depth: 4", "max_depth: 8"))
    subprocess.run([str(BIN / "dvc"), "repro", "-q"], cwd=repo, check=True, env=_env(), capture_output=True)
    _git(repo, "commit", "-qam", "change")
    return repo


def main() -> str:
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as tmp:
        repo = _project(Path(tmp))
        mlgate = [str(BIN / "mlgate"), "run", "--no-repro", "--base", "main", "--quiet",
                  "--report", str(Path(tmp) / "r.md"), "--json", str(Path(tmp) / "r.json")]
        dvc = [str(BIN / "dvc"), "metrics", "diff", "main"]
        helpcmd = [str(BIN / "mlgate"), "--help"]
        _time(mlgate, repo), _time(dvc, repo)  # warm the file cache
        ours = statistics.median(_time(mlgate, repo) for _ in range(RUNS))
        theirs = statistics.median(_time(dvc, repo) for _ in range(RUNS))
        helps = statistics.median(_time(helpcmd, repo) for _ in range(RUNS))
    ratio = ours / theirs
    return f"""## Core: compare, gate and render vs. `dvc metrics diff` (issue 2)

Command: `make bench` (module `bench/bench_core.py`). The bundled example, outputs up to date, a branch
that changed `train.max_depth`; median of {RUNS} runs each, process start-up included.

| what | median | target |
|---|---:|---|
| `mlgate run --no-repro --base main` (collect both sides, compare, gate, render, write) | {ours:.2f} s | ≤ 1.5 × dvc |
| `dvc metrics diff main` (one CLI call) | {theirs:.2f} s | — |
| ratio mlgate / dvc | {ratio:.2f} × | ≤ 1.5 × {'✅' if ratio <= 1.5 else '❌'} |
| `mlgate --help` | {helps * 1000:.0f} ms | < 300 ms {'✅' if helps < 0.3 else '❌'} |
"""
