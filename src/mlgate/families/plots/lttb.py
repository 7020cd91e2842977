"""Largest-triangle-three-buckets: pick `n` of a curve's points that keep its shape (peaks, dips, knees).

Steinarsson's algorithm (2013): keep the first and the last point; split the rest into `n - 2` buckets of
equal count; from each bucket keep the point that makes the largest triangle with the point kept from
the bucket before and the mean of the bucket after. Pure Python, O(len(points)).
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def lttb(points: Sequence[Point], n: int) -> list[Point]:
    """At most `n` of `points` (sorted by x), first and last always kept; all of them when they are few."""
    if n < 3:
        raise ValueError(f"lttb needs n >= 3, got {n}")
    size = len(points)
    if size <= n:
        return list(points)
    kept = [points[0]]
    width = (size - 2) / (n - 2)  # points per middle bucket, fractional
    previous = points[0]
    for bucket in range(n - 2):
        start = int(bucket * width) + 1
        end = int((bucket + 1) * width) + 1
        # The mean of the next bucket (the last point alone after the final bucket).
        next_start, next_end = end, min(int((bucket + 2) * width) + 1, size - 1)
        if next_start >= next_end:
            mean_x, mean_y = points[-1]
        else:
            span = points[next_start:next_end]
            mean_x = sum(p[0] for p in span) / len(span)
            mean_y = sum(p[1] for p in span) / len(span)
        best, best_area = points[start], -1.0
        px, py = previous
        for candidate in points[start:end]:
            cx, cy = candidate
            area = abs((px - mean_x) * (cy - py) - (px - cx) * (mean_y - py))  # twice the triangle's area
            if area > best_area:
                best, best_area = candidate, area
        kept.append(best)
        previous = best
    kept.append(points[-1])
    return kept
