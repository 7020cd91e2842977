"""Issue 10's target: render the report of a run with 50 changed plots and 2,000 metrics in under 0.5 s,
within the 65,536-character comment limit (plots folded and summarised first).

Builds the plots through the plots family (two generated sides of 50 dvclive-like step plots, 300 points
each) and a Result with 2,000 metrics and 5 gates, then times ``mlgate.report.render.render`` in-process.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

RUNS = 7
PLOTS, POINTS, METRICS = 50, 300, 2000


def _sides(tmp: Path) -> tuple[object, object]:
    from mlgate.edges.sides import DirectorySide

    sides = []
    for name, scale in (("head", 1.0), ("base", 1.2)):
        root = tmp / name
        (root / "eval").mkdir(parents=True)
        (root / "dvc.yaml").write_text("plots:\n" + "".join(
            f"  - eval/p{i:02d}.json:\n      x: step\n      y: loss\n" for i in range(PLOTS)))
        for i in range(PLOTS):
            (root / "eval" / f"p{i:02d}.json").write_text(json.dumps(
                [{"step": s, "loss": scale * (1 + i) / (1 + s)} for s in range(POINTS)]))
        sides.append(DirectorySide(name, None, root))
    return sides[0], sides[1]


def _result(section: dict) -> object:
    from mlgate.gating.gates import GateOutcome, RuleOutcome
    from mlgate.result import Baseline, Result, Revision

    gates = tuple(
        GateOutcome(kpi=f"slice_{i:04d}.recall", file="eval/metrics.json", key=f"slice_{i:04d}.recall",
                    severity="fail", status="pass", message="improved by 0.0001", old=0.5, new=0.5 + i / 1e5,
                    diff=i / 1e5, pct=i / 5e3, higher_is_better=True,
                    rules=[RuleOutcome("max_drop", 0.01, "pass", "improved by 0.0001")])
        for i in range(5))
    metrics = {"eval/metrics.json": {f"slice_{i:04d}.recall": {"old": 0.5, "new": 0.5 + i / 1e5, "diff": i / 1e5}
                                     for i in range(METRICS)}}
    return Result(
        verdict="pass", head=Revision("feature", "3f2a9c1" + "4" * 33), base=Revision("main", "a81d0e4" + "5" * 33),
        base_how="merge-base", baseline=Baseline("git", "metrics committed to git", "a81d0e4" + "5" * 33, 0),
        gates=gates, metrics=metrics, params={}, sections={"plots": section},
        links={"run_url": "https://github.com/OWNER/REPO/actions/runs/1"}, context={"pr_number": 1})


def main() -> str:
    from mlgate.config.load import parse_config
    from mlgate.families.plots import family as plots
    from mlgate.report.render import COMMENT_LIMIT, render

    with tempfile.TemporaryDirectory() as tmp:
        head, base = _sides(Path(tmp))
        start = time.perf_counter()
        section = json.loads(json.dumps(plots.compute(parse_config("version: 1"), head, base).section))
        family_s = time.perf_counter() - start
    result = _result(section)
    render(result)  # warm: template compilation, imports
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        report = render(result)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    ok = "meets" if median < 0.5 and len(report) <= COMMENT_LIMIT else "MISSES"
    return "\n".join([
        "## Report with 50 plots and 2,000 metrics (issue 10)",
        "",
        "Command: `python bench/run.py report` (bench/bench_report.py): `mlgate.report.render.render` of a Result with",
        f"{PLOTS} changed line plots ({POINTS} points a side, read by the plots family) and {METRICS:,} metrics; "
        f"median of {RUNS} renders after one warm-up.",
        "",
        "| figure | value | target |",
        "|---|---:|---|",
        f"| render time (median) | {median * 1000:.0f} ms | < 500 ms ({ok}) |",
        f"| render time (max) | {max(times) * 1000:.0f} ms | |",
        f"| report size | {len(report):,} characters | ≤ {COMMENT_LIMIT:,} |",
        f"| charts drawn / plots named | {report.count('```mermaid')} / {PLOTS} | charts while they fit, a line each after |",
        f"| plots family on the two sides | {family_s * 1000:.0f} ms | (for scale) |",
    ])


if __name__ == "__main__":
    print(main())
