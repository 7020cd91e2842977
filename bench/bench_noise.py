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
(a′, b′) ``MORE`` further no-op changes and drops of 3 σ at margin 0, pooled with the 200 of (a) and (b), for
    the targets' gates: 200 trials cannot tell a false-alarm rate of 1 % from 1.5 % (a gate at exactly 1 %
    shows 3 or more in 200 a third of the time).
(c) a slow slide: after ``WINDOW`` recorded runs at the level, main takes four merged steps of 1 σ down
    (each recorded), then four no-op commits, at ratchet margins of 1 and 1.5 σ (both crossed at the second
    step, 1 and 0.5 σ beyond). For each of ``SLIDES`` slides: the first commit whose pull request the gate
    fails, beside what the best test that learns the level and σ from the same runs catches.
(d) ``PRECISE`` pure-noise histories through the judges' own pieces (no config around them): the true
    false-alarm rates, which a few hundred or a thousand trials cannot tell from nominal.
(e) the lever a user has: a longer ``baseline.window`` (``LONGER``), ``LONG_TRIALS`` no-op changes and drops of
    3 σ each at margin 0, for the two gates at 0.95, beside the ceilings at that window.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.stats import binomtest, nct, norm
from scipy.stats import t as student

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
SLIDE_MARGINS = (1.0, 1.5)  # the ratchet's margin in σ: crossing at the second step, 1 and 0.5 σ beyond it
SLIDES = 300  # slides per margin
PRECISE = 20_000  # pure-noise histories for the true false-alarm rates
MORE = 800  # further trials for the targets' cells (margin 0: no-op and 3 σ), pooled with the TRIALS
TARGET_GATES = ("history95", "history99", "best95", "best99")
LONGER = (40, 60)  # (e): longer windows
LONG_TRIALS = 1000
LONG_PRECISE = 5000  # pure-noise histories per longer window for its true false-alarm rate at 0.95


def _config(margin: float, ratchet: float, window: int = WINDOW) -> object:
    m, r = f"{margin:.6g}", f"{ratchet:.6g}"
    return parse_config(f"""version: 1
baseline: {{window: {window}}}
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


def _judge(config: object, history: list[float], head: float, window: int = WINDOW,
           names: tuple[str, ...] = GATES) -> dict[str, bool]:
    """Which gates fail a pull request whose head is ``head`` on top of main's ``history`` (oldest first)."""
    keys = {name: head for name in names}
    hits = [LedgerHit(f"{i + 1:040x}", len(history) - i, {"metrics": {FILE: dict.fromkeys(names, v)}})
            for i, v in enumerate(history[-window:])]
    head_snap, base_snap = Snapshot({FILE: keys}), Snapshot({FILE: dict.fromkeys(names, history[-1])})
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


def _true_rates(rng: np.random.Generator, window: int = WINDOW, histories: int = PRECISE
                ) -> dict[tuple[str, float], float]:
    """The false-alarm rates over ``histories`` pure-noise histories, which the 1,000-trial cells cannot resolve:
    the judges' own pieces (``noise_model``, one per history, as the gates share it, and the ratchet's
    ``ratchet_noise``; the quantile and the head's spread against the level) without the config and gates
    around them, margin 0."""
    from mlgate.gating.history import noise_model, ratchet_noise
    from mlgate.stats.noise import change_sd, quantile

    fails = {(gate, conf): 0 for gate in ("noise", "ratchet") for conf in (0.95, 0.99)}
    for _ in range(histories):
        history = list(rng.normal(0, 1, window))
        head = float(rng.normal())
        within, levels = noise_model(history)
        judged = (("noise", within, levels[-1]),
                  ("ratchet", ratchet_noise(history, levels), max(levels, key=lambda s: s.level)))
        for gate, noise, level in judged:
            for conf in (0.95, 0.99):
                fails[(gate, conf)] += level.level - head > quantile(conf, noise.df) * change_sd(noise.sigma, level.runs)
    return {key: k / histories for key, k in fails.items()}


def _more(rng: np.random.Generator) -> dict[str, dict[str, int]]:
    """``MORE`` no-op changes and ``MORE`` drops of 3 σ at margin 0, as in ``_replay``."""
    config = _config(0.0, 0.0)
    counts: dict[str, dict[str, int]] = {}
    for size in (0, 3):
        fails = dict.fromkeys(GATES, 0)
        for _ in range(MORE):
            history = list(LEVEL + rng.normal(0, SIGMA, WINDOW))
            head = LEVEL - size * SIGMA + rng.normal(0, SIGMA)
            for name, failed in _judge(config, history, head).items():
                fails[name] += failed
        counts[f"{size}"] = fails
    return counts


def _longer(rng: np.random.Generator) -> dict[int, dict[str, dict[str, int]]]:
    """(e): per window in ``LONGER``, ``LONG_TRIALS`` no-op changes and drops of 3 σ at margin 0, judged by the
    noise gate and the ratchet at 0.95 (a config holding those two only: the same judges, a third of the work)."""
    names = ("history95", "best95")
    out: dict[int, dict[str, dict[str, int]]] = {}
    for window in LONGER:
        config = parse_config(f"""version: 1
baseline: {{window: {window}}}
kpis:
  "{FILE}:history95": {{max_drop: 0, confidence: 0.95}}
  "{FILE}:best95": {{max_drop_from_best: 0, confidence: 0.95}}
""", "mlgate.yaml")
        out[window] = {}
        for size in (0, 3):
            fails = dict.fromkeys(names, 0)
            for _ in range(LONG_TRIALS):
                history = list(LEVEL + rng.normal(0, SIGMA, window))
                head = LEVEL - size * SIGMA + rng.normal(0, SIGMA)
                for name, failed in _judge(config, history, head, window, names).items():
                    fails[name] += failed
            out[window][str(size)] = fails
    return out


def _verdict(k: int, n: int, target: float, kind: str) -> str:
    """met: the whole exact 95 % interval on the target's side; NOT met: all of it beyond; else undecided."""
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    inside, outside = (ci.high <= target, ci.low > target) if kind == "max" else (ci.low >= target, ci.high < target)
    return "met" if inside else "NOT met" if outside else "undecided (its interval holds the target)"


def _crossing(margin: float) -> int:
    """The first step of a 1 σ-per-step slide whose level is more than ``margin`` σ below the best."""
    return math.floor(margin) + 1


def _ceilings(window: int = WINDOW) -> tuple[float, float]:
    """What no honest gate can beat on a 3 σ drop at 0.95 (scipy; the head one run, main's level the mean of
    ``window`` runs): the power with σ known (the Neyman–Pearson z test), and with σ estimated from the
    ``window`` runs (the t test, uniformly most powerful unbiased: noncentral t)."""
    z = norm.ppf(0.95)
    shift = 3 / math.sqrt(1 + 1 / window)
    known = float(norm.cdf(shift - z))
    estimated = float(nct.sf(student.ppf(0.95, window - 1), window - 1, shift))
    return known, estimated


def _slide_ceilings(margin: float) -> tuple[float, float]:
    """The chance that a slide of 1 σ steps past a ratchet margin of ``margin`` σ is caught at its crossing or
    within two steps, judging each step's head (one run) alone against the level before the slide: with the
    level and σ known, 1 − Π Φ(z − (j − margin)) over the three steps (the heads' noise is independent); and
    with both learnt from the ``WINDOW`` runs before the slide (the t test on each head; the three share the
    estimate, so the chance is simulated: 200,000 slides, seeded). A gate that fails earlier, before the
    crossing, is counted as not catching it within two steps."""
    z = norm.ppf(0.95)
    crossing = _crossing(margin)
    known = 1 - math.prod(norm.cdf(z - (j - margin)) for j in range(crossing, crossing + 3))
    rng = np.random.default_rng(0)
    n = 200_000
    runs = rng.normal(0, 1, (n, WINDOW))
    level, sd = runs.mean(axis=1), runs.std(axis=1, ddof=1) * math.sqrt(1 + 1 / WINDOW)
    q = student.ppf(0.95, WINDOW - 1)
    early, caught = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for step in range(1, crossing + 3):
        fails = level - rng.normal(-step, 1, n) > margin + q * sd
        if step < crossing:
            early |= fails
        else:
            caught |= fails & ~early
    return known, float(caught.mean())


def _slide_rows(caught: dict[str, list[int | None]], crossing: int, trials: int) -> list[str]:
    rows = []
    for name in GATES:
        firsts = caught[name]
        early = sum(1 for f in firsts if f is not None and f < crossing)
        within = sum(1 for f in firsts if f is not None and crossing <= f <= crossing + 2)
        later = sum(1 for f in firsts if f is not None and f > crossing + 2)
        never = sum(1 for f in firsts if f is None)
        rows.append(f"| {LABELS[name]} | {_rate(early, trials)} | {_rate(within, trials)} | "
                    f"{_rate(later, trials)} | {_rate(never, trials)} |")
    return rows


def _slide(rng: np.random.Generator, margin_sigmas: float) -> dict[str, list[int | None]]:
    margin = margin_sigmas * SIGMA
    config = _config(margin, margin)
    steps = [LEVEL - SIGMA * min(i, 4) for i in range(1, 9)]  # four steps down, then four no-op commits
    caught: dict[str, list[int | None]] = {name: [] for name in GATES}
    for _ in range(SLIDES):
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
    return caught


def binomtest_sf(p: float) -> float:
    """The chance that ``TRIALS`` trials at a true rate ``p`` count at least 90 %."""
    from scipy.stats import binom

    return float(binom.sf(math.ceil(0.9 * TRIALS) - 1, TRIALS, p))


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
    slides = []
    for margin_sigmas in SLIDE_MARGINS:
        caught = _slide(rng, margin_sigmas)
        crossing = _crossing(margin_sigmas)
        within95 = sum(1 for f in caught["best95"] if f is not None and crossing <= f <= crossing + 2)
        slides.append((margin_sigmas, crossing, caught, within95, *_slide_ceilings(margin_sigmas)))
    more = _more(rng)
    true = _true_rates(rng)
    longer = _longer(rng)
    longer_true = {window: _true_rates(rng, window, LONG_PRECISE) for window in LONGER}
    precise = (f"Over {PRECISE:,} further pure-noise histories (the judges' own noise model, quantile and spread, "
               "without the gates around them), the true false-alarm rates at margin 0: "
               + "; ".join(f"{'the noise gate' if g == 'noise' else 'the ratchet'} {100 * true[(g, 0.95)]:.2f} % "
                           f"at 0.95 and {100 * true[(g, 0.99)]:.2f} % at 0.99" for g in ("noise", "ratchet"))
               + f" (a rate's standard error here is about {100 * math.sqrt(0.05 * 0.95 / PRECISE):.2f} points at "
               f"5 % and {100 * math.sqrt(0.01 * 0.99 / PRECISE):.2f} at 1 %).")
    n_all = TRIALS + MORE
    pooled = {size: {g: first[size][g] + more[size][g] for g in GATES} for size in ("0", "3")}
    large_rows = [f"| {LABELS[name]} | {_rate(pooled['0'][name], n_all)} | {_rate(pooled['3'][name], n_all)} |"
                  for name in TARGET_GATES]
    checks = [
        ("false alarms at 0.95 ≤ 5 % (margin 0)", ("history95", "best95"), "0", 0.05, "max"),
        ("false alarms at 0.99 ≤ 1 % (margin 0)", ("history99", "best99"), "0", 0.01, "max"),
        ("detection of 3 σ at 0.95 ≥ 90 %", ("history95", "best95"), "3", 0.90, "min"),
    ]
    verdicts = []
    for what, names, size, target, kind in checks:
        pick = max if kind == "max" else min
        worst = pick(names, key=lambda g: first[size][g])
        worst_all = pick(names, key=lambda g: pooled[size][g])
        k, k_all = first[size][worst], pooled[size][worst_all]
        at_200 = k / TRIALS <= target if kind == "max" else k / TRIALS >= target
        verdicts.append(f"- {what}: {'met' if at_200 else 'NOT met'} in the {TRIALS} trials "
                        f"({100 * k / TRIALS:.1f} % at the worse gate); in all {n_all:,}: "
                        f"{_verdict(k_all, n_all, target, kind)}, {_rate(k_all, n_all)} at the worse gate")
    for margin_sigmas, _, _, within95, known_slide, learnt_slide in slides:
        verdicts.append(f"- slide past a margin of {margin_sigmas:g} σ caught by the ratchet (0.95) within two steps "
                        f"of crossing: {_rate(within95, SLIDES)} of {SLIDES} slides, against {100 * learnt_slide:.1f} % "
                        f"for the best test that learns the level and σ from the {WINDOW} runs before the slide "
                        f"({100 * known_slide:.1f} % with both known); in every one of {SLIDES} slides with "
                        f"probability below {known_slide ** SLIDES:.0e}: NOT met, as no honest gate can")
    known, estimated = _ceilings()
    lever_rows = [f"| {WINDOW} (the cells above) | {_rate(pooled['0']['history95'], n_all)} | "
                  f"{_rate(pooled['0']['best95'], n_all)} | {_rate(pooled['3']['history95'], n_all)} | "
                  f"{_rate(pooled['3']['best95'], n_all)} | {100 * estimated:.1f} % / {100 * known:.1f} % |"]
    for window, counts in longer.items():
        k, e = _ceilings(window)
        lever_rows.append(f"| {window} | {_rate(counts['0']['history95'], LONG_TRIALS)} | "
                          f"{_rate(counts['0']['best95'], LONG_TRIALS)} | {_rate(counts['3']['history95'], LONG_TRIALS)} | "
                          f"{_rate(counts['3']['best95'], LONG_TRIALS)} | {100 * e:.1f} % / {100 * k:.1f} % |")
    slide_tables = "\n\n".join(
        f"Margin {m:g} σ (`max_drop_from_best: {m * SIGMA:g}`, and `max_drop: {m * SIGMA:g}`): the level is more "
        f"than the margin below the best from step {c} on ({c - m:g} σ beyond it there).\n\n"
        "| gate | before crossing (false alarm) | at crossing or within two steps | later | never |\n"
        "|---|---:|---:|---:|---:|\n" + "\n".join(_slide_rows(caught, c, SLIDES))
        for m, c, caught, *_ in slides)
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
four no-op commits, at two ratchet margins; the per-pull-request `max_drop` has the same margin. For each of
{SLIDES} slides per margin, the first commit whose pull request the gate fails:

{slide_tables}

The targets' cells again, with {MORE} more trials each (pooled with the {TRIALS} above: {n_all:,} per cell),
margin 0:

| gate | false alarms (no-op) | detects 3 σ |
|---|---:|---:|
{chr(10).join(large_rows)}

Targets, as measured above ("met" over all {n_all:,} trials when the whole exact 95 % interval is on the
target's side, "NOT met" when all of it is beyond):

{chr(10).join(verdicts)}

{precise}

The lever: a longer `baseline.window` (main's last N recorded runs; the same history, margin 0, confidence
0.95, {LONG_TRIALS:,} no-op changes and {LONG_TRIALS:,} drops of 3 σ per longer window). The last column is what
no honest gate can beat on the 3 σ drop at that window: the t test that learns σ from the runs, and the z test
that knows it.

| `baseline.window` | false alarms, noise gate | false alarms, ratchet | detects 3 σ, noise gate | detects 3 σ, ratchet | ceiling (σ learnt / known) |
|---|---:|---:|---:|---:|---:|
{chr(10).join(lever_rows)}

The true false-alarm rates at 0.95 at those windows, over {LONG_PRECISE:,} further pure-noise histories each (the
judges' own pieces, as for the {PRECISE:,} above; a rate's standard error about
{100 * math.sqrt(0.05 * 0.95 / LONG_PRECISE):.2f} points): {"; ".join(
    f"{w} runs: the noise gate {100 * r[('noise', 0.95)]:.2f} %, the ratchet {100 * r[('ratchet', 0.95)]:.2f} %"
    for w, r in longer_true.items())}.

What no honest gate can reach, whatever its method (computed with scipy; "honest": its false alarms at
0.95 are at most 5 % on whatever history it is given):

- detection of a 3 σ drop at 0.95: one head run against the mean of {WINDOW} runs differs by
  N(3 σ, σ²·(1 + 1/{WINDOW})); even with σ known, the most powerful test (Neyman–Pearson: the one-sided z test)
  detects it with probability Φ(3/√(1 + 1/{WINDOW}) − 1.645) = {100 * known:.1f} %. With σ estimated from the
  {WINDOW} runs, the t test (the uniformly most powerful unbiased test; noncentral t) reaches
  {100 * estimated:.1f} %. A target of 90 % is {'beyond' if estimated < 0.90 else 'within'} what a gate that
  learns σ from {WINDOW} runs can expect; a count of 200 at {100 * estimated:.1f} % reads ≥ 90 % by chance
  {100 * binomtest_sf(estimated):.0f} % of the time. (A larger `baseline.window` raises both: at 50 runs the
  t test reaches 90.0 %.)
- the slide: each step's pull request is judged on its head, one run. At the crossing and the two steps
  after it the head is j − m σ beyond a margin of m σ; even with the level and σ known, the most powerful
  test at 0.95 misses each with probability Φ(1.645 − (j − m)), independently, and learning the level and σ
  from the {WINDOW} runs before the slide costs more (the rates above, beside each margin's verdict). So no
  gate catches every slide within two steps: "in every replay" is not reachable by any honest gate, and
  the ratchet's rate is to be read against those ceilings.

Reading: the plain rule with margin 0 fails half of all no-op changes (the noise of two runs). The noise
gate learns σ as the pooled spread of main's runs about their own level's mean (the levels between change
points), with n − L degrees of freedom (19 for 20 runs at one level; the successive differences of the same
runs would carry only 12.9), and judges one-sided Student t against the mean of main's runs since its last
change point. The plain ratchet compares with the luckiest run of the window and fails most no-op changes at
a small margin; with `confidence` it compares with the best level between change points, found on main's
runs alone (the head never moves its own reference: with the head's run appended, a low head could split
main's last runs off as a level and make a best level of the rest, a false alarm). The ratchet learns σ from
the successive differences inside the levels: a slide in progress, which the finder cannot yet isolate as a
level, inflates the spread about a level's mean but hardly the differences (at fb2167f, with the spread
about the level's mean, the ratchet caught 82.3 % and 71.0 % of these 300 slides within two steps; the price
of the differences' 12.9 degrees of freedom is about half a point of power on a sudden 3 σ drop, 87.7 %
against 88.2 %). What is left
above the nominal false-alarm rates comes from the change-point finder: in about 0.4 % of pure-noise
histories it still finds a change point (1 % before the levels were found again with the spread about them
when the first, robust estimate came out lower), and the level after it is a mean selected for being far
from the one before (the ratchet, taking the better of the two, more so); the 1,000-trial cells cannot
resolve it.
"""

if __name__ == "__main__":
    print(main())
