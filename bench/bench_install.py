"""Issue 14's install targets: the Action's install step (scripts/install.sh) from an empty cache, pip against
uv (cold uv at least 5x faster than pip), and from a warm actions/cache (a cache hit: under 2 s).

Everything in one run on this machine, each install into a new venv under a temp dir, from the package
registry (pypi.org) with empty pip and uv caches and no local wheel folders. The warm case is what a
cache hit does: actions/cache extracts the saved venv (tar + zstd, as actions/cache does; timed here
from a local archive, so the download is not in the figure) and the install step finds it complete.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLD_TARGET = 5.0  # cold uv at least this many times faster than cold pip
WARM_TARGET = 2.0  # seconds on a cache hit: shown for the install step alone and with the restore


def clean_python() -> str:
    """An interpreter >= 3.11 with no third-party packages, like setup-python's (the venv sees its packages)."""
    found = [os.environ.get("MLGATE_BENCH_PYTHON", "")]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[1-9]*/bin/python3")))
    found += [shutil.which(f"python3.{minor}") or "" for minor in range(11, 15)]
    found.append(getattr(sys, "_base_executable", sys.executable))
    for python in filter(None, found):
        probe = subprocess.run([python, "-c", "import sys; assert sys.version_info >= (3, 11); import numpy"],
                               capture_output=True, text=True)
        if probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr:
            return python
    return sys.executable


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "GITHUB_", "INPUT_", "RUNNER_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", UV_CACHE_DIR=str(tmp / "uv-cache"),
               UV_NO_CONFIG="1", GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(tmp / "output"),
               RUNNER_TEMP=str(tmp / "runner-temp"))
    env.update(extra)
    return env


def _install(tmp: Path, *args: str, **env: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "install.sh"), *args], cwd=tmp, env=_env(tmp, **env),
                          capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"install.sh {' '.join(args)} failed: {proc.stdout[-800:]} {proc.stderr[-800:]}")
    return elapsed, proc.stdout


def main() -> str:
    python = clean_python()
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-install-") as name:
        tmp = Path(name)
        (tmp / "pip").mkdir()
        (tmp / "uv").mkdir()
        pip_cold, _ = _install(tmp / "pip", INPUT_PYTHON=python, INPUT_INSTALLER="pip")
        uv_cold, out = _install(tmp / "uv", INPUT_PYTHON=python, INPUT_INSTALLER="uv")
        if "with uv" not in out:
            raise RuntimeError(f"the uv install fell back to pip: {out[-800:]}")
        venv = tmp / "uv" / "runner-temp" / "mlgate-venv"
        # A new venv with uv's cache warm (the actions/cache key changed, e.g. new requirements; uv itself
        # is not cached by the action, so on a hosted runner this is between cold and warm).
        shutil.rmtree(venv)
        uv_cache_warm, _ = _install(tmp / "uv", INPUT_PYTHON=python, INPUT_INSTALLER="uv")
        # The cache hit: what actions/cache saved (tar + zstd), extracted into a new runner's temp dir.
        archive = tmp / "venv.tzst"
        subprocess.run(["tar", "--posix", "-cf", str(archive), "--use-compress-program", "zstd -T0", "-C",
                        str(venv.parent), venv.name], check=True)
        shutil.rmtree(venv)
        size_mb = archive.stat().st_size / 1e6
        plan, plan_out = _install(tmp / "uv", "plan", INPUT_PYTHON=python)
        start = time.perf_counter()
        subprocess.run(["tar", "-xf", str(archive), "--use-compress-program", "zstd -d", "-C", str(venv.parent)],
                       check=True)
        restore = time.perf_counter() - start
        step, step_out = _install(tmp / "uv", INPUT_PYTHON=python, INPUT_CACHE_HIT="true")
        if "nothing to install" not in step_out:
            raise RuntimeError(f"the cache hit installed something: {step_out[-800:]}")
        warm = plan + restore + step
        check = subprocess.run([str(venv / "bin" / "mlgate"), "--version"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"the restored venv does not run mlgate: {check.stderr[-400:]}")
    ratio = pip_cold / uv_cold
    rows = [
        ("cold, pip (empty pip cache)", pip_cold, "—"),
        ("cold, uv (empty uv cache; uv itself installed from PyPI first)", uv_cold,
         f"≥ {COLD_TARGET:g}× faster than pip: {ratio:.1f}× {'✅' if ratio >= COLD_TARGET else '❌'}"),
        ("new venv, uv with its cache warm (cache miss on a runner that kept uv's cache)", uv_cache_warm, "—"),
        ("warm: the install step on an actions/cache hit (plan + install, nothing installed)", plan + step,
         f"< {WARM_TARGET:g} s {'✅' if plan + step < WARM_TARGET else '❌'}"),
        (f"warm, with actions/cache's restore before it (extract {size_mb:.0f} MB of tar + zstd: {restore:.1f} s)",
         warm, f"< {WARM_TARGET:g} s {'✅' if warm < WARM_TARGET else '❌ (the extract dominates)'}"),
    ]
    table = "\n".join(f"| {what} | {seconds:.1f} s | {target} |" for what, seconds, target in rows)
    return f"""## Install: the Action's install step, cold and warm, pip against uv (issue 14)

Command: `make bench` (module `bench/bench_install.py`; `python bench/run.py install` alone). One run of
each, in this order, on this machine: `scripts/install.sh` installing mlgate from this checkout and its
dependencies from pypi.org into a new venv built from {version} (an interpreter with no third-party
packages, like setup-python's), with `installer: pip`, then `installer: uv` (uv {_uv_version()}, pinned in
the script). Caches empty, local wheel folders and pip config switched off. The warm row is a cache hit:
the venv archived as actions/cache saves it (tar + zstd) and extracted again (local, so without the
download a hosted runner adds), then the install step, which installs nothing.

| install step | wall time | target |
|---|---:|---|
{table}
"""


def _uv_version() -> str:
    for line in (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8").splitlines():
        if line.startswith("UV_VERSION="):
            return line.split('"')[1]
    return "?"


if __name__ == "__main__":
    print(main())
