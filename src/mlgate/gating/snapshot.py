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


class AmbiguousKey(ValueError):
    """Two metrics of one file flatten to the same dotted name (``{"a.b": 1, "a": {"b": 2}}``)."""


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings become dotted keys; lists stay values (DVC's convention).

    Two entries that flatten to one name are refused (AmbiguousKey): which one a gate saw would depend
    on the order of the keys in the file.
    """
    if not isinstance(data, dict):
        return {prefix: data} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        found = flatten(value, dotted) if isinstance(value, dict) and value else {dotted: value}
        for name, leaf in found.items():
            if name in out:
                raise AmbiguousKey(f"two metrics are both named {name!r} (a dotted key and a nested one); "
                                   "rename one so each name is unique")
            out[name] = leaf
    return out
