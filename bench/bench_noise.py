"""Issue 21's replay: gates that learn the noise from main's ledger history, and the ratchet.

A synthetic metric (accuracy-like, level 0.9, run-to-run noise σ = 0.004) on a default branch whose last
``WINDOW`` commits are recorded in the ledger. Each change is one pull request: its head is one run of the
changed code, its base main's last run. Every change is judged through the real gate path — one mlgate.yaml
(``config.parse_config``) holding every gate, ``gating.history.judges`` over the ledger hits (in memory: the
same ``LedgerHit`` objects ``Ledger.history`` returns), ``gates.evaluate`` — as ``mlgate run`` does once the
history is read. (The git and DVC parts of that path are tested in tests/integration/test_history_gates.py;
here they would only add minutes per change.)

(a) 200 no-op changes (noise only), each on a fresh history: false alarms.
(b) 200 changes per effect size with a true drop of 1, 2, 3 and 5 σ beyond the gate's margin: detection.
(c) a slow slide: after ``WINDOW`` recorded runs at the level, main takes four merged steps of 1 σ down
    (each recorded), then four no-op commits; the ratchet's margin is 1.5 σ, so the slide crosses it at
    its second step. For each of 200 slides: the first commit whose pull request the gate fails.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.stats import binomtest

from mlgate.config.load import parse_config
from mlgate.edges.ledger import LedgerHit
from mlgate.gating import gates
from mlgate.gating.history import judges
from mlgate.gating.snapshot import Snapshot

SIGMA = 0.004
LEVEL = 0.9
WINDOW = 20
TRIALS = 200
FILE = "metrics.json"
SIZES = (1, 2, 3, 5)


def _config(margin: float, ratchet: float) -> object:
    m, r = f"{margin:.6g}", f"{ratchet:.6g}"
    return parse_config(f"""version: 1
baseline: {{window: {WINDOW}}}
kpis:
  "{FILE}:plain": {{max_drop: {m}}}
  "{FILE}:history95": {{max_drop: {m}, confidence: 0.95}}
  "{FILE}:history99": {{max_drop: {m}, confidence: 0.99}}
  "{FILE}:best": {{max_drop_from_best: {r}}}
  "{FILE}:best95": {{max_drop_from_best: {r}, confidence: 0.95}}
  "{FILE}:best99": {{max_drop_from_best: {r}, confidence: 0.99}}
""", "mlgate.yaml")


GATES = ("plain", "history95", "history99", "best", "best95", "best99")
LABELS = {"plain": "plain `max_drop`", "history95": "`max_drop` + `confidence: 0.95`",
          "history99": "`max_drop` + `confidence: 0.99`", "best": "ratchet, plain (best single run)",
          "best95": "ratchet + `confidence: 0.95`", "best99": "ratchet + `confidence: 0.99`"}


def _judge(config: object, history: list[float], head: float) -> dict[str, bool]:
    """Which gates fail a pull request whose head is ``head`` on top of main's ``history`` (oldest first)."""
    keys = {name: head for name in GATES}
    hits = [LedgerHit(f"{i + 1:040x}", len(history) - i, {"metrics": {FILE: dict.fromkeys(GATES, v)}})
            for i, v in enumerate(history[-WINDOW:])]
    head_snap, base_snap = Snapshot({FILE: keys}), Snapshot({FILE: dict.fromkeys(GATES, history[-1])})
    judge = judges(config, hits, head_snap, base_snap, [])
    return {g.key: g.status == "fail" for g in gates.evaluate(config, head_snap, base_snap, judge=judge)}


def _rate(k: int, n: int) -> str:
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return f"{100 * k / n:.1f} % [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"


def _replay(margin: float, rng: np.random.Generator) -> dict[str, dict[str, int]]:
    config = _config(margin, margin)
    counts: dict[str, dict[str, int]] = {}
    for size in (0, *SIZES):
        fails = dict.fromkeys(GATES, 0)
        for _ in range(TRIALS):
            history = list(LEVEL + rng.normal(0, SIGMA, WINDOW))
            head = LEVEL - (margin + size * SIGMA if size else 0.0) + rng.normal(0, SIGMA)
            for name, failed in _judge(config, history, head).items():
                fails[name] += failed
        counts[f"{size}"] = fails
    return counts


def _slide(rng: np.random.Generator) -> tuple[dict[str, list[int | None]], float]:
    margin = 1.5 * SIGMA
    config = _config(margin, margin)
    steps = [LEVEL - SIGMA * min(i, 4) for i in range(1, 9)]  # four steps down, then four no-op commits
    caught: dict[str, list[int | None]] = {name: [] for name in GATES}
    for _ in range(TRIALS):
        history = list(LEVEL + rng.normal(0, SIGMA, WINDOW))
        first: dict[str, int | None] = dict.fromkeys(GATES)
        for i, level in enumerate(steps, start=1):
            head = level + rng.normal(0, SIGMA)
            for name, failed in _judge(config, history, head).items():
                if failed and first[name] is None:
                    first[name] = i
            history.append(head)  # merged and recorded on main
        for name in GATES:
            caught[name].append(first[name])
    return caught, margin


def main() -> str:
    started = time.perf_counter()
    rng = np.random.default_rng(21)
    tables = []
    first: dict[str, dict[str, int]] = {}
    for margin_sigmas in (0.0, 1.0):
        counts = _replay(margin_sigmas * SIGMA, rng)
        first = first or counts
        header = "| gate | false alarms (no-op) | " + " | ".join(f"detects {k} σ" for k in SIZES) + " |"
        rule = "|---|---:|" + "---:|" * len(SIZES)
        rows = [f"| {LABELS[name]} | {_rate(counts['0'][name], TRIALS)} | "
                + " | ".join(_rate(counts[str(k)][name], TRIALS) for k in SIZES) + " |" for name in GATES]
        tables.append(f"Margin {margin_sigmas:g} σ (`max_drop: {margin_sigmas * SIGMA:g}`; the ratchet "
                      f"`max_drop_from_best: {margin_sigmas * SIGMA:g}`):\n\n" + "\n".join([header, rule, *rows]))
    caught, margin = _slide(rng)
    crossing = 2  # the second step's level is 2 σ below the best, beyond the 1.5 σ margin
    slide_rows = []
    for name in GATES:
        firsts = caught[name]
        early = sum(1 for f in firsts if f is not None and f < crossing)
        within = sum(1 for f in firsts if f is not None and crossing <= f <= crossing + 2)
        later = sum(1 for f in firsts if f is not None and f > crossing + 2)
        never = sum(1 for f in firsts if f is None)
        slide_rows.append(f"| {LABELS[name]} | {_rate(early, TRIALS)} | {_rate(within, TRIALS)} | "
                          f"{_rate(later, TRIALS)} | {_rate(never, TRIALS)} |")
    within95 = sum(1 for f in caught["best95"] if f is not None and crossing <= f <= crossing + 2)
    checks = [
        ("false alarms at 0.95 ≤ 5 % (margin 0)", [first["0"][g] for g in ("history95", "best95")], 0.05, "max"),
        ("false alarms at 0.99 ≤ 1 % (margin 0)", [first["0"][g] for g in ("history99", "best99")], 0.01, "max"),
        ("detection of 3 σ at 0.95 ≥ 90 %", [first["3"][g] for g in ("history95", "best95")], 0.90, "min"),
    ]
    verdicts = []
    for what, ks, target, kind in checks:
        worst = max(ks) if kind == "max" else min(ks)
        met = worst / TRIALS <= target if kind == "max" else worst / TRIALS >= target
        verdicts.append(f"- {what}: {'met' if met else 'NOT met'} ({100 * worst / TRIALS:.1f} % at the worse gate)")
    met = within95 == TRIALS
    verdicts.append(f"- slide caught by the ratchet (0.95) within two steps of crossing: {'met' if met else 'NOT met'} "
                    f"in every replay ({100 * within95 / TRIALS:.1f} % of replays)")
    elapsed = time.perf_counter() - started
    return f"""## Noise from the ledger history and the ratchet: replayed

Command: `python bench/run.py noise` (module `bench/bench_noise.py`, part of `make bench`); {elapsed:.0f} s on
this machine. A synthetic metric at level {LEVEL} with run-to-run noise σ = {SIGMA} on a default branch whose
last {WINDOW} commits are recorded; each change is one pull request (its head one run, its base main's last
run), judged by the real gate path: one mlgate.yaml with all six gates, `gating.history.judges` over the ledger
hits, `gates.evaluate`. {TRIALS} changes per row and column, each on a fresh history; rates with exact 95 %
binomial intervals. A drop of k σ is a true drop of k σ *beyond the margin*.

Targets: at `confidence: 0.95` at most 5 % false alarms, at 0.99 at most 1 %; at least 90 % detection of
a drop of 3 σ; a slide caught by the ratchet within two steps of crossing its margin.

{tables[0]}

{tables[1]}

The slow slide: {WINDOW} runs at the level, then four merged steps of 1 σ down (each recorded on main), then
four no-op commits; the ratchet's margin is {margin / SIGMA:g} σ (`max_drop_from_best: {margin:g}`), and the
per-pull-request `max_drop` has the same margin. The slide crosses the margin at its second step (2 σ below the
level). For each of {TRIALS} slides, the first commit whose pull request the gate fails:

| gate | before crossing (false alarm) | at crossing or within two steps | later | never |
|---|---:|---:|---:|---:|
{chr(10).join(slide_rows)}

Targets, as measured above:

{chr(10).join(verdicts)}

Reading: the plain rule with margin 0 fails half of all no-op changes (the noise of two runs); the history
gates use a one-sided Student t bound on the differences' degrees of freedom, against the mean of main's runs
since its last change point. Their detection is limited by the head being one run: the best any test with
5 % false alarms can do on a 3 σ drop of one run is about 91 %, and estimating σ from 20 runs costs a few
points more. The plain ratchet compares with the luckiest run of the window and fails most no-op changes at
a small margin; with `confidence` it compares with the best level between change points.
"""


if __name__ == "__main__":
    print(main())
