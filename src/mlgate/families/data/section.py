"""The data family's report section: plain JSON for ``templates/sections/data.md.j2``.

Per dataset: schema changes against the base, the most drifting columns (largest PSI first) with what
moved most in each, the target's class shares, columns without drift statistics and why, and the
profile of every column at the head.
"""

from __future__ import annotations

from typing import Any

from mlgate.config.schema import DatasetConfig
from mlgate.families.data.drift import ColumnDrift
from mlgate.families.data.profile import NUMERIC, ColumnProfile, DatasetProfile
from mlgate.families.data.sketches import SAMPLE_ROWS

TOP_DRIFT = 5
PSI_ALARM = 0.2  # ⚠️ in the report: PSI at least this, and a test p-value below ALARM_P
ALARM_P = 0.01


def dataset_section(name: str, dataset: DatasetConfig, h: DatasetProfile, b: DatasetProfile | None,
                    drifts: list[ColumnDrift], base_note: str | None) -> dict[str, Any]:
    section: dict[str, Any] = {
        "name": name, "path": dataset.path, "parts": h.parts, "target": dataset.target,
        "rows": {"base": b.rows if b else None, "head": h.rows},
        "columns": {"base": len(b.columns) if b else None, "head": len(h.columns)},
        "base_note": base_note, "psi_chance": None, "schema_changes": [], "drift": [], "drift_total": 0, "skips": [], "reference": None,
        "classes": None,
        "profile": [_profile_row(h, col) for col in h.columns],
    }
    if b is not None:
        section["psi_chance"] = psi_chance(b, h)
        section["schema_changes"] = schema_changes(b, h)
        section["drift"] = top_drifts(drifts, b, h)
        section["drift_total"] = sum(1 for d in drifts if d.skipped is None)
        section["skips"] = [{"column": d.column, "why": d.skipped} for d in drifts
                            if d.skipped and not d.skipped.startswith(("numeric in", "categorical in"))]
    if dataset.target and dataset.target in h.columns:
        section["classes"] = _classes(dataset.target, h, b)
    return section


def psi_chance(reference: DatasetProfile, current: DatasetProfile) -> float | None:
    """PSI's expected value between two samples of one distribution on 10 bins: 9 * (1/n1 + 1/n2), with
    n the rows each side's statistics are counted on (at most the row sample)."""
    n1, n2 = min(reference.rows, SAMPLE_ROWS), min(current.rows, SAMPLE_ROWS)
    return 9 * (1 / n1 + 1 / n2) if n1 and n2 else None


def schema_changes(base: DatasetProfile, head: DatasetProfile) -> list[dict[str, Any]]:
    changes = [{"column": n, "change": "removed", "old": c.type, "new": None}
               for n, c in base.columns.items() if n not in head.columns]
    for n, c in head.columns.items():
        old = base.columns.get(n)
        if old is None:
            changes.append({"column": n, "change": "added", "old": None, "new": c.type})
        elif old.type != c.type:
            changes.append({"column": n, "change": "retyped", "old": old.type, "new": c.type})
    return changes


def top_drifts(drifts: list[ColumnDrift], reference: DatasetProfile, current: DatasetProfile) -> list[dict[str, Any]]:
    """The most drifting columns first (by PSI), each with what moved most."""
    judged = [d for d in drifts if d.psi is not None]
    judged.sort(key=lambda d: (-(d.psi or 0.0), d.column))
    rows = []
    for d in judged[:TOP_DRIFT]:
        row = d.to_dict()
        p = d.ks_pvalue if d.ks_pvalue is not None else d.chi2_pvalue
        above = (d.psi or 0.0) >= PSI_ALARM
        row["alarm"] = above and p is not None and p < ALARM_P
        # above the level but chance could make it: not judged drift, and not to be read as a pass either
        row["unjudged"] = above and not row["alarm"]
        row["change"] = _change(reference.columns[d.column], current.columns[d.column])
        rows.append(row)
    return rows


def _change(ref: ColumnProfile, cur: ColumnProfile) -> dict[str, Any] | None:
    """The move a reader sees first: the mean for numbers, the category whose share moved most otherwise."""
    if ref.kind == NUMERIC:
        return {"what": "mean", "old": ref.mean, "new": cur.mean} if ref.present and cur.present else None
    old, new = dict(ref.top(50)), dict(cur.top(50))
    if not old and not new:
        return None
    moved = max(set(old) | set(new), key=lambda n: (abs(new.get(n, 0.0) - old.get(n, 0.0)), n))
    return {"what": "share", "category": moved, "old": old.get(moved, 0.0), "new": new.get(moved, 0.0)}


def _profile_row(p: DatasetProfile, name: str) -> dict[str, Any]:
    c = p.columns[name]
    row: dict[str, Any] = {"column": name, "type": c.type, "kind": c.kind, "missing_share": c.missing_share,
                           "distinct": c.distinct_count, "mean": None, "std": None, "min": None, "p50": None,
                           "max": None, "top": [], "note": None}
    if c.kind == NUMERIC and c.present:
        row.update(mean=c.mean, std=c.std, min=c.min, p50=p.quantile(name, 0.5), max=c.max)
    else:
        row["top"] = [[n, share] for n, share in c.top(3)]
    if not c.present:
        row["note"] = "all values missing" if c.rows else "no rows"
    return row


def _classes(target: str, h: DatasetProfile, b: DatasetProfile | None) -> list[dict[str, Any]] | None:
    cur = h.columns[target]
    old = b.columns.get(target) if b is not None else None
    if cur.counts is None:
        return None
    names = sorted(set(cur.counts) | set(old.counts or {} if old else {}))

    def share(c: ColumnProfile | None, n: str) -> float | None:
        return None if c is None or not c.counts or not c.present else c.counts.get(n, 0) / c.present

    return [{"class": n, "base": share(old, n), "head": share(cur, n)} for n in names]
