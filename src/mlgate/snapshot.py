"""A Snapshot is one side's numbers: metrics and params per file, flattened, plus load errors.

Both sides of a comparison (the head and the baseline) are Snapshots, however they were obtained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Flat = dict[str, dict[str, Any]]  # file path -> dotted key -> value


@dataclass
class Snapshot:
    metrics: Flat = field(default_factory=dict)
    params: Flat = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # file path -> why it could not be read

    def metric_count(self) -> int:
        return sum(len(keys) for keys in self.metrics.values())

    def is_empty(self) -> bool:
        return self.metric_count() == 0

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "params": self.params, "errors": self.errors}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            metrics=data.get("metrics") or {},
            params=data.get("params") or {},
            errors=data.get("errors") or {},
        )


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings become dotted keys; lists stay values (DVC's convention)."""
    if not isinstance(data, dict):
        return {prefix: data} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted))
        else:
            out[dotted] = value
    return out
