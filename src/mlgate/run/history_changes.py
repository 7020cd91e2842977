"""Where each KPI's level shifted on the default branch: change points over its ledger history.

Pure functions over ledger hits (oldest first) and trend series; the segmentation is the history gates'
noise model (mlgate.gating.history.noise_model: ruptures' PELT penalised by the history's robust run-to-run
noise, then the spread within the levels it found), so the σ printed is the one the noise gate judges with
(the ratchet's, from the differences between neighbouring runs, is in the report's row). Used by
``mlgate history --changes`` (a list per KPI) and by the run's trend (the report marks the commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlgate.text.numbers import MINUS, number_format
from mlgate.text.safe import one_line

MIN_POINTS = 4  # two segments of two runs at least


def kpi_shifts(points: Sequence[tuple[str, float]]) -> tuple[list[dict[str, Any]], float | None]:
    """The shifts in one series of (commit, value): [{sha, size, before, after}], and the noise σ: the same
    levels and the same spread within them that the history gates judge with (mlgate.gating.history)."""
    if len(points) < MIN_POINTS:
        return [], None
    from mlgate.gating.history import noise_model

    noise, levels = noise_model([v for _, v in points])
    return [{"sha": points[b.start][0], "size": b.level - a.level, "before": a.level, "after": b.level}
            for a, b in zip(levels, levels[1:])], noise.sigma


def trend_changes(trend: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    """For each trend series (``{"file:key": [[short sha, value or None], ...]}``), its shifts as
    ``[[short sha, size], ...]`` (the first commit at the new level); series without one are left out."""
    out: dict[str, list[list[Any]]] = {}
    for name, series in trend.items():
        points = [(str(label), float(value)) for label, value in series if value is not None]
        found, _ = kpi_shifts(points)
        if found:
            out[name] = [[s["sha"], s["size"]] for s in found]
    return out


def render_changes(series: Sequence[tuple[str, Sequence[tuple[str, str, float]]]], *, title: str) -> str:
    """``series``: (KPI label, [(sha, date, value), ...] oldest first) → the text of ``history --changes``."""
    out = [f"mlgate history --changes: {title} · commits where a KPI's level shifted, oldest first", ""]
    for label, points in series:
        found, sigma = kpi_shifts([(sha, value) for sha, _, value in points])
        dates = {sha: date for sha, date, _ in points}
        fmt = number_format(*(v for _, _, v in points))
        noise = f"noise ±{fmt.amount(sigma)}" if sigma is not None else "too few entries to tell noise"
        head = f"{one_line(label)}: {len(points)} ledger entr{'y' if len(points) == 1 else 'ies'}, {noise}"
        if not found:
            out.append(f"{head}; no shift of level")
            continue
        out.append(f"{head}; {len(found)} shift{'s' if len(found) != 1 else ''} of level:")
        for s in found:
            size = s["size"]
            went = "up" if size > 0 else "down"
            amount = fmt.amount(abs(size))
            out.append(f"  {s['sha'][:7]}  {one_line(dates[s['sha']])}  {went} {('+' if size > 0 else MINUS) + amount}:"
                       f" {fmt.value(s['before'])} → {fmt.value(s['after'])}")
    return "\n".join(out)
