"""`make demo`: show mlgate passing a good change and blocking a bad one, on a scratch git repository.

Builds demo-out/repo from examples/classifier, runs the pipeline on `main` and commits it (metrics
included), then on two branches changes params.yaml, commits, and runs
`mlgate run --base main` there:

- `improve`: deeper trees, expected to pass the gates (exit 0);
- `degrade`: shallower trees on fewer features, expected to fail a blocking gate (exit 1): accuracy
  stays above its 0.90 floor but drops more than 0.01 against main;
- `slice`: train without the east clinic's rows, expected to fail only a slice gate (exit 1): accuracy
  on the whole test set is unchanged, but the east clinic (whose scanner reads sizes high) loses
  accuracy, and `predictions.slice.site=*.accuracy` catches it.
- `outliers`: the prepare stage drops the top fifth of `mean_radius` as "outliers" before splitting,
  which removes mostly malignant tumours. Every model gate passes (accuracy even rises, 0.958 → 0.965,
  on an easier test set); only the data gates fail (exit 1), and the report's Data section shows why:
  train rows 426 → 341, the malignant share 37 % → 24 %, `mean_radius` and its relatives drifting.

Exits 0 only when both behaved as expected. Uses the standard library and the tools installed next to
the running interpreter (`mlgate`, `dvc`, and the `python` the pipeline's stages call).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "classifier"
OUT = ROOT / "demo-out"
REPO = OUT / "repo"
BIN = Path(sys.executable).parent  # not resolved: a venv's bin/ holds the symlink we want
# What the copy of the example leaves out, should someone have run the pipeline inside examples/.
NOT_SOURCES = ("data", "models", "eval", ".dvc", "dvc.lock", "__pycache__", "mlgate-report.md", "mlgate-result.json")
EXIT_MEANING = {0: "pass", 1: "gate failed", 2: "bad input", 3: "pipeline or git failed", 4: "publish failed", 70: "internal error"}


class DemoError(Exception):
    """A step of the demonstration failed; the message says which and why."""


@dataclass(frozen=True)
class Scenario:
    branch: str
    message: str
    params: dict[tuple[str, str], object]
    expected_exit: int
    only_failing: str | None = None  # when set, every failing gate's KPI must start with this
    edits: tuple[tuple[str, str, str], ...] = ()  # (file, text, replacement) in the scratch repository


SCENARIOS = (
    Scenario(
        branch="improve",
        message="Deeper trees (train.max_depth 4 -> 8)",
        params={("train", "max_depth"): 8},
        expected_exit=0,
    ),
    Scenario(
        branch="degrade",
        # Accuracy stays above the 0.90 floor; only the comparison with main catches the regression.
        message="Smaller model: shallower trees on the first 10 features (train.max_depth 3, train.n_features 10)",
        params={("train", "max_depth"): 3, ("train", "n_features"): 10},
        expected_exit=1,
    ),
    Scenario(
        branch="slice",
        # Fine on average: the whole test set's accuracy does not move; one clinic's does.
        message="Train on the north, south and west clinics only (train.sites without east)",
        params={("train", "sites"): ["north", "south", "west"]},
        expected_exit=1,
        only_failing="predictions.slice.",
    ),
    Scenario(
        branch="outliers",
        # A data change the model metrics do not show: they pass; only the data gates fail.
        message="prepare: drop outliers (the top fifth of mean_radius) before the split",
        params={},
        edits=(("src/prepare.py", "    frame = load_frame()\n",
                "    frame = load_frame()\n"
                "    frame = frame[frame[\"mean_radius\"] < frame[\"mean_radius\"].quantile(0.8)]  # drop outliers\n"),),
        expected_exit=1,
        only_failing="data.",
    ),
)


def say(line: str = "") -> None:
    print(line, flush=True)


def tool_env() -> dict[str, str]:
    """The environment of every child: our bin/ first (the stages call `python`), no DVC analytics."""
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["DVC_NO_ANALYTICS"] = "1"
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def run(*args: str, quiet: bool = True) -> str:
    """Run a command in the scratch repo; return its output, or raise DemoError with the output's tail."""
    completed = subprocess.run(
        args,
        cwd=REPO,
        env=tool_env(),
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout or "").strip().splitlines()[-15:])
        raise DemoError(f"`{' '.join(args)}` exited {completed.returncode}" + (f":\n{tail}" if tail else ""))
    return completed.stdout or ""


def git(*args: str) -> str:
    return run("git", *args)


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise DemoError(f"{path} not found; run `make demo` (it installs mlgate into .venv) or `pip install -e '.[dev]'`")
    return str(path)


def set_params(path: Path, changes: dict[tuple[str, str], object]) -> None:
    """Change `section.key` values in params.yaml in place, keeping its comments and layout."""
    lines = path.read_text().splitlines(keepends=True)
    section = None
    pending = dict(changes)
    for index, line in enumerate(lines):
        top = re.match(r"^(\w+):\s*(#.*)?$", line)
        if top:
            section = top.group(1)
            continue
        entry = re.match(r"^(\s+)(\w+):(\s*)([^#\n]*?)(\s*#.*)?$", line.rstrip("\n"))
        if entry and (section, entry.group(2)) in pending:
            indent, key, space, _old, comment = entry.groups()
            value = pending.pop((section, key))
            lines[index] = f"{indent}{key}:{space or ' '}{json.dumps(value)}{comment or ''}\n"
    if pending:
        missing = ", ".join(f"{s}.{k}" for s, k in pending)
        raise DemoError(f"{path}: no parameter {missing} to change; the example's params.yaml changed")
    path.write_text("".join(lines))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise DemoError(f"{path}: no {old.strip()!r} to change; the example's code changed")
    path.write_text(text.replace(old, new, 1))


def read_metrics() -> dict:
    return json.loads((REPO / "eval" / "metrics.json").read_text())


def describe(metrics: dict) -> str:
    per_class = metrics.get("per_class", {})
    recall = " ".join(f"recall[{name}]={values['recall']:.4f}" for name, values in per_class.items())
    return f"accuracy={metrics['accuracy']:.4f} f1={metrics['f1']:.4f} roc_auc={metrics['roc_auc']:.4f} {recall}"


def build_main() -> dict:
    say(f"==> Building a scratch git repository at {REPO.relative_to(ROOT)} from {EXAMPLE.relative_to(ROOT)}")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    shutil.copytree(EXAMPLE, REPO, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    git("init", "--quiet", "--initial-branch=main")
    # A local identity, so the demo never depends on (or touches) the user's git configuration.
    git("config", "user.name", "mlgate demo")
    git("config", "user.email", "demo@mlgate.invalid")
    git("config", "commit.gpgsign", "false")
    run(tool("dvc"), "init", "--quiet")
    say("==> main: dvc repro (prepare, train, evaluate)")
    started = time.monotonic()
    output = run(tool("dvc"), "repro")
    for line in output.splitlines():
        if line.startswith(("prepare:", "train:", "evaluate:")):
            say(f"    {line}")
    say(f"    pipeline took {time.monotonic() - started:.1f} s")
    git("add", "--all")
    git("commit", "--quiet", "-m", "Baseline: breast-cancer classifier (metrics committed)")
    metrics = read_metrics()
    say(f"    main @ {git('rev-parse', '--short', 'HEAD').strip()}: {describe(metrics)}")
    return metrics


def demonstrate(scenario: Scenario, base: dict) -> tuple[bool, str]:
    """Branch off main, change params, commit, run `mlgate run --base main`. Return (as expected, summary)."""
    say()
    say(f"==> Branch `{scenario.branch}`: {scenario.message}")
    git("checkout", "--quiet", "-b", scenario.branch, "main")
    run(tool("dvc"), "checkout", "--quiet")  # outputs of main, as a fresh clone with a DVC cache would have
    if scenario.params:
        set_params(REPO / "params.yaml", scenario.params)
    for rel, old, new in scenario.edits:
        edit(REPO / rel, old, new)
    git("commit", "--quiet", "-am", scenario.message)
    report = OUT / f"{scenario.branch}-report.md"
    result = OUT / f"{scenario.branch}-result.json"
    command = [tool("mlgate"), "run", "--base", "main", "--report", str(report), "--json", str(result)]
    say(f"    $ cd {REPO.relative_to(ROOT)} && mlgate run --base main --report {report.relative_to(ROOT)} --json {result.relative_to(ROOT)}")
    say("    " + "-" * 72)
    code = subprocess.run(command, cwd=REPO, env=tool_env(), check=False).returncode
    say("    " + "-" * 72)
    meaning = EXIT_MEANING.get(code, "unexpected")
    verdict = read_verdict(result)
    say(f"    mlgate exited {code} ({meaning}); expected {scenario.expected_exit} ({EXIT_MEANING[scenario.expected_exit]})")
    if verdict:
        say(f"    verdict: {verdict}")
    if (REPO / "eval" / "metrics.json").exists():
        head = read_metrics()
        say(f"    {scenario.branch}: {describe(head)}")
        say(f"    accuracy vs main: {head['accuracy'] - base['accuracy']:+.4f}")
    say(f"    report: {report if report.exists() else 'not written'}{report_heading(report)}")
    data_line = report_line(report, "<details><summary>Data (")
    if data_line:
        say(f"    data: {data_line.removeprefix('<details><summary>Data (').removesuffix(')</summary>')}")
    say(f"    result: {result if result.exists() else 'not written'}")
    for line in plots_lines(result):
        say(f"    {line}")
    # Keep what mlgate reproduced on the branch, as CI would after a green or red run, so the next
    # branch starts from a clean work tree.
    git("add", "--all")
    if git("status", "--porcelain").strip():
        git("commit", "--quiet", "-m", f"Reproduce pipeline on {scenario.branch}")
    as_expected = code == scenario.expected_exit
    if scenario.only_failing is not None:
        failing = failing_gates(result)
        say(f"    failing gates: {', '.join(failing) or 'none'}")
        if not failing or any(not name.startswith(scenario.only_failing) for name in failing):
            as_expected = False
            say(f"    expected only {scenario.only_failing}* gates to fail")
    outcome = "as expected" if as_expected else "NOT as expected"
    return as_expected, f"{scenario.branch:8} exit {code} ({meaning}), expected {scenario.expected_exit}: {outcome}"


def report_heading(report: Path) -> str:
    """The report's first heading (its verdict line), to print beside the path."""
    try:
        lines = report.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    heading = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), "")
    return f"  ({heading})" if heading else ""


def failing_gates(result: Path) -> list[str]:
    """The keys of the blocking gates that failed, from the result file."""
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return []
    gates = data.get("gates", []) if isinstance(data, dict) else []
    return [str(g.get("key")) for g in gates if isinstance(g, dict) and g.get("status") == "fail"]


def report_line(report: Path, prefix: str) -> str:
    """The report's first line starting with `prefix` (e.g. the Data section's summary), or ''."""
    try:
        lines = report.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return next((line for line in lines if line.startswith(prefix)), "")


def plots_lines(result: Path) -> list[str]:
    """What the report's "Plots" section shows, one line a plot (the ROC curve, the confusion matrix, the image)."""
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return []
    section = (data.get("sections") or {}).get("plots") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return []
    lines = [f"plots in the report: {section.get('total', 0)}, {section.get('changed', 0)} changed"]
    for plot in section.get("plots", []):
        what = {"line": "chart", "confusion": "table", "image": "image"}.get(plot.get("kind"), plot.get("kind"))
        summary = ""
        for item in plot.get("summary", [])[:1]:
            if item.get("base") is not None:
                summary = f": {item['what']} {item['base']:.4f} -> {item['head']:.4f}"
        lines.append(f"  {plot.get('id')} ({what}, {plot.get('status')}){summary}")
    return lines


def read_verdict(result: Path) -> str | None:
    """The verdict line from the result file, when it has one (its schema belongs to mlgate)."""
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return None
    verdict = data.get("verdict") if isinstance(data, dict) else None
    return verdict if isinstance(verdict, str) else None


def preflight() -> None:
    mlgate = tool("mlgate")
    tool("dvc")
    if shutil.which("git") is None:
        raise DemoError("git is not on PATH; install git")
    check = subprocess.run([mlgate, "run", "--help"], env=tool_env(), capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise DemoError(f"`mlgate run --help` exited {check.returncode}; this mlgate has no working `run` command")


def main() -> int:
    started = time.monotonic()
    try:
        preflight()
        base = build_main()
        outcomes = [demonstrate(scenario, base) for scenario in SCENARIOS]
    except DemoError as error:
        say(f"\ndemo failed: {error}")
        return 1
    say()
    say(f"==> Summary ({time.monotonic() - started:.0f} s)")
    for _ok, line in outcomes:
        say(f"    {line}")
    if all(ok for ok, _line in outcomes):
        say("The demo worked: mlgate passed the improvement, blocked the regression, blocked the change that "
            "looked fine on average but hurt one clinic, and blocked the data change the model metrics did not "
            f"show. Reports are in {OUT}/.")
        return 0
    say("The demo did NOT behave as expected; see the output above and the reports.")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
