"""Gates judged on the default branch's ledger history: the noise band and the ratchet.

Two judges (mlgate.gating.gates.Judge) over the last ``baseline.window`` ledger entries on the default branch's
first-parent line, up to the base (oldest first):

* ``noise`` — a rule with ``confidence`` on a metric no per-example interval decides (the predictions
  family's judge goes first). The noise model is the metric's run-to-run spread in that history
  (mlgate.stats.noise: the spread about the levels, with its degrees of freedom); the reference
  is main's level at the base: the mean of the runs since its last change point (mlgate.stats.change_points). A drop rule fails only when the head's drop below that level
  exceeds the margin by more than the noise allows at the confidence (one-sided Student t); ``min``/``max``
  fail when the head is beyond the threshold by more than one run's noise allows. With fewer than
  ``baseline.min_history`` runs holding the metric, the rule is judged on the number alone and says so.
* ``ratchet`` — the ``*_from_best`` rules: the head against the best value of the metric in that history.
  Plainly, the best single run; with ``confidence`` (and enough history), the best level the history
  supports — the best segment mean between main's change points — and the margin widened by the noise of
  the head against that mean; that noise is from the successive differences inside the levels, which a
  slide in progress hardly inflates (mlgate.stats.noise.between_neighbours). The levels are found on
  main's runs alone, never with the head's: a reference the head could move would be judged against itself
  (a low head could split off main's last runs as a level of their own, and make a best level of the rest). A slide's recorded steps are a level of their
  own once the finder can tell them apart; until then they lower the level they are in a little.

Each outcome carries a record (``RuleOutcome.interval``, ``of`` = ``history`` or ``best``) that the report
reads: the spread, how many runs, the smallest change it can tell from noise, the reference and its commits.
Pure: the history comes in as ledger hits, the head's and the base's numbers as Snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlgate.gating.gates import RuleOutcome
from mlgate.gating.rules import FAIL, NO_BASELINE, PASS, RULES, TOLERANCE
from mlgate.gating.snapshot import Snapshot
from mlgate.gating.trend import flat_metrics, plottable
from mlgate.text.numbers import number_format

SHORT = 7


@dataclass(frozen=True)
class Point:
    sha: str
    value: float


def series(hits: Sequence[Any], name: str) -> list[Point]:
    """The usable values of metric ``name`` ("file:key") in the hits (oldest first), with their commits: finite
    numbers within ±1e300 (``plottable``: beyond it a value is no measurement, and its differences overflow)."""
    out = []
    for hit in hits:
        value = plottable(flat_metrics(hit.entry.get("metrics")).get(name))
        if value is not None:
            out.append(Point(hit.sha, value))
    return out


def noise_model(values: Sequence[float]) -> Any:
    """A history's noise and levels, oldest first: (Spread, [Segment]), or None with too few values.

    The robust first spread sets the change-point finder's penalty; the noise judged with is then the spread
    about the levels it found (mlgate.stats.noise.within_levels), with its degrees of freedom. The first
    spread, a median of a few differences, is itself noisy: when it came out below the spread about the levels
    (the efficient estimate), the levels are found again with the larger one. A change point that only a
    low first estimate let through is then dropped (pure noise of 20 runs split in 0.4 % of histories instead
    of 1 %), and a real one, which explains far more than noise, stays."""
    from mlgate.stats.change_points import segments
    from mlgate.stats.noise import spread, within_levels

    first = spread(values)
    if first is None:
        return None
    segs = segments(values, first.sigma)
    noise = within_levels(values, [s.start for s in segs[1:]])
    if noise is not None and noise.sigma > first.sigma:
        segs = segments(values, noise.sigma)
        noise = within_levels(values, [s.start for s in segs[1:]])
    return noise, segs


def ratchet_noise(values: Sequence[float], segs: Sequence[Any]) -> Any:
    """The noise the ratchet judges with: the successive differences inside main's levels
    (mlgate.stats.noise.between_neighbours), which a slide in progress hardly inflates."""
    from mlgate.stats.noise import between_neighbours

    return between_neighbours(values, [s.start for s in segs[1:]])


@dataclass
class HistoryJudge:
    """The judges over one history. ``hits``: ledger hits, oldest first, the head's own entry excluded."""

    hits: Sequence[Any]
    head: Snapshot
    base: Snapshot | None
    min_history: int = 8
    ledger_off: bool = False  # baseline.ledger: false: no history is read, and the rows say why
    _models: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- the judges (mlgate.gating.gates.Judge) ----------------------------------------------------------------
    def ratchet(self, path: str | None, key: str, rule: str, threshold: float, kpi: Any) -> RuleOutcome | None:
        if RULES[rule].kind != "best" or path is None:
            return None
        new = self._value(self.head, path, key)
        points = series(self.hits, f"{path}:{key}")
        r = RULES[rule]
        if new is None:
            return None
        if not points:
            return RuleOutcome(rule, threshold, NO_BASELINE,
                               f"{r.describe(threshold)}: no ledger history of this metric on the default branch")
        higher = r.better == "higher"
        level = kpi.confidence_level
        enough = level is not None and len(points) >= self.min_history
        model = self._model(path, key, points) if enough else None
        if model is None:
            best = (max if higher else min)(points, key=lambda p: p.value)
            back = len(points) - 1 - points.index(best)
            record = {"of": "best", "plain": True, "confidence": level, "runs": len(points),
                      "min_history": self.min_history, "reference": best.value, "reference_from": best.sha,
                      "reference_to": best.sha, "reference_runs": 1, "entries_back": back}
            outcome = self._decide(r, rule, threshold, new, best.value, 0.0, record)
            if level is not None:
                record["said"] = self._too_few(len(points))
                outcome.message += f"; {record['said']}"
                record["reading"] = outcome.message
            return outcome
        segs = model[1]
        noise = ratchet_noise([p.value for p in points], segs)
        best_seg = (max if higher else min)(segs, key=lambda s: s.level)
        from mlgate.stats.noise import change_sd, quantile

        bound = quantile(level, noise.df) * change_sd(noise.sigma, best_seg.runs)
        record = {"of": "best", "plain": False, "confidence": level, "runs": len(points), "noise": noise.sigma,
                  "min_history": self.min_history, "reference": best_seg.level,
                  "reference_from": points[best_seg.start].sha, "reference_to": points[best_seg.end - 1].sha,
                  "reference_runs": best_seg.runs, "entries_back": len(points) - best_seg.end, "detectable": bound}
        return self._decide(r, rule, threshold, new, best_seg.level, bound, record)

    def noise(self, path: str | None, key: str, rule: str, threshold: float, kpi: Any) -> RuleOutcome | None:
        r = RULES[rule]
        level = kpi.confidence_level
        if level is None or path is None or r.kind not in ("change", "value"):
            return None
        new = self._value(self.head, path, key)
        if new is None:
            return None
        if r.kind == "change" and self.base is None:
            return None  # no baseline: the plain rule says so
        points = series(self.hits, f"{path}:{key}")
        old = None if self.base is None else self.base.metrics.get(path, {}).get(key)
        if len(points) < self.min_history:
            status, message = r.check(old, new, threshold, self.base is not None)
            said = self._too_few(len(points))
            message += f"; {said}"
            return RuleOutcome(rule, threshold, status, message,
                               interval={"of": "history", "plain": True, "confidence": level, "runs": len(points),
                                         "min_history": self.min_history, "reading": message, "said": said})
        model = self._model(path, key, points)
        assert model is not None
        noise, segs = model
        from mlgate.stats.noise import change_sd, quantile

        if r.kind == "value":
            bound = quantile(level, noise.df) * noise.sigma
            return self._decide_value(r, rule, threshold, new, bound, {
                "of": "history", "plain": False, "confidence": level, "runs": len(points), "noise": noise.sigma,
                "min_history": self.min_history, "detectable": bound})
        last = segs[-1]
        bound = quantile(level, noise.df) * change_sd(noise.sigma, last.runs)
        record = {"of": "history", "plain": False, "confidence": level, "runs": len(points), "noise": noise.sigma,
                  "min_history": self.min_history, "reference": last.level,
                  "reference_from": points[last.start].sha, "reference_to": points[last.end - 1].sha,
                  "reference_runs": last.runs, "entries_back": 0, "detectable": bound}
        return self._decide(r, rule, threshold, new, last.level, bound, record)

    # -- internals ---------------------------------------------------------------------------------------
    def _too_few(self, runs: int) -> str:
        if self.ledger_off:
            return "no history read, baseline.ledger is false: judged on the number alone"
        return (f"{runs} recorded run{'s' if runs != 1 else ''}, fewer than {self.min_history}: "
                "judged on the number alone")

    def _model(self, path: str, key: str, points: list[Point]) -> Any:
        name = f"{path}:{key}"
        if name not in self._models:
            self._models[name] = noise_model([p.value for p in points])
        return self._models[name]

    @staticmethod
    def _value(snap: Snapshot, path: str, key: str) -> float | None:
        return plottable(snap.metrics.get(path, {}).get(key))

    @staticmethod
    def _decide(r: Any, rule: str, threshold: float, new: float, reference: float, bound: float,
                record: dict[str, Any]) -> RuleOutcome:
        """A drop/rise rule: the head against ``reference``, the margin widened by ``bound`` of noise."""
        watch_drop = r.better == "higher"
        worse = (reference - new) if watch_drop else (new - reference)  # positive = got worse
        margin = threshold / 100 * abs(reference) if r.percent else threshold
        slack = TOLERANCE * max(1.0, abs(reference))
        failed = worse > margin + bound + slack
        fmt = number_format(reference, new)
        word, against = ("drop", "below") if watch_drop else ("rise", "above")
        allowed = f"{threshold:g}%" if r.percent else f"{threshold:g}"
        what = "the best level" if record["of"] == "best" and not record["plain"] else (
            "the best run" if record["of"] == "best" else "main's level")
        shown = f"{fmt.value(reference)}"
        if abs(worse) <= slack or fmt.same(reference, new):
            moved = f"level with {what} {shown}"
        elif worse < 0:
            moved = f"{fmt.amount(-worse)} {'above' if watch_drop else 'below'} {what} {shown} (better)"
        else:
            moved = f"{fmt.amount(worse)} {against} {what} {shown}"
        if failed:
            verdict = f"more than the {allowed} allowed" + (f" and the noise ({fmt.amount(bound)})" if bound else "")
        elif worse > margin + slack:
            verdict = f"beyond the {allowed} allowed, but within noise ({fmt.amount(bound)})"
        elif worse > slack:
            verdict = f"within the {allowed} allowed"
        else:
            verdict = ""
        message = f"{moved}, {verdict}" if verdict else moved
        record["past_margin"] = verdict if worse > margin + slack else ""  # the report's words past the margin
        limit = reference - margin - bound if watch_drop else reference + margin + bound  # where the head would fail
        record.update({"value": new - reference, "margin": margin, "significant": worse - bound > 0 or worse + bound < 0,
                       "low": new - reference - bound, "high": new - reference + bound, "reading": message,
                       "limit": limit})
        return RuleOutcome(rule, threshold, FAIL if failed else PASS, message, interval=record)

    @staticmethod
    def _decide_value(r: Any, rule: str, threshold: float, new: float, bound: float,
                      record: dict[str, Any]) -> RuleOutcome:
        fmt = number_format(new, threshold)
        shown, t = fmt.value(new), f"{threshold:g}"
        if r.name == "min":
            failed, beyond = new + bound < threshold, new < threshold
            word = "below the minimum"
        else:
            failed, beyond = new - bound > threshold, new > threshold
            word = "above the maximum"
        if failed:
            message = f"{shown}, {word} {t} by more than the noise ({fmt.amount(bound)})"
        elif beyond:
            message = f"{shown}, {word} {t} but within noise ({fmt.amount(bound)})"
        else:
            message = f"{shown}, {'at least' if r.name == 'min' else 'at most'} {t}"
        record.update({"value": new, "low": new - bound, "high": new + bound, "margin": None,
                       "significant": abs(new - threshold) > bound, "reading": message,
                       "limit": threshold - bound if r.name == "min" else threshold + bound})
        return RuleOutcome(rule, threshold, FAIL if failed else PASS, message, interval=record)


def has_ratchet(kpi: Any) -> bool:
    return any(RULES[name].kind == "best" for name, _ in kpi.rules())


def reads_history(selector: str, kpi: Any) -> bool:
    """Whether this KPI's gate is judged on main's history: a ratchet rule, or a confidence level on a metric
    no predictions file gives an interval for (what `mlgate check` reports the history of)."""
    return has_ratchet(kpi) or (kpi.confidence_level is not None
                                and not selector.rpartition(":")[2].startswith("predictions."))


def wants_history(config: Any) -> bool:
    """Whether any KPI may need the history: a ratchet rule, or a confidence level (on any metric: a
    predictions gate falls back on it when its family gives no interval)."""
    return any(kpi.confidence_level is not None or has_ratchet(kpi) for kpi in config.kpis.values())


def judges(config: Any, hits: Sequence[Any], head: Snapshot, base: Snapshot | None,
           family_judges: Sequence[Any]) -> Any:
    """One judge for the gates: the ratchet first, then the families' (per-example intervals), then the
    noise from the history for the confidence rules no family decided."""
    from mlgate.gating.gates import combine_judges

    if not wants_history(config):
        return combine_judges(list(family_judges))
    history = HistoryJudge(hits, head, base, config.baseline.min_history, ledger_off=not config.baseline.ledger)
    return combine_judges([history.ratchet, *family_judges, history.noise])
