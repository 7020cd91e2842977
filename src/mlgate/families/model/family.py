"""The ``model.*`` family: the trained model's size, prediction latency against the base, and interface.

``model:`` in mlgate.yaml names the model file (or directory) both revisions write. Metrics, for each
side that has the model:

* ``model.size_mb`` — the file, or every file under the directory, in 10^6 bytes;
* ``model.interface`` — a short fingerprint of inputs, classes and outputs (gate it with ``unchanged``);
* with ``model.sample``: ``model.latency_p50_ms`` / ``model.latency_p95_ms`` (one row a call) and
  ``model.batch_latency_p50_ms`` / ``model.batch_latency_p95_ms`` (the whole sample a call), measured
  interleaved with the other side in this process; and at the head ``model.latency_ratio`` and
  ``model.batch_latency_ratio`` (head/base of the medians; the interval is in the section).

A model missing or unloadable at the head is an InputError (exit 2); at the base it is a warning and
the base's figures are absent. A directory gets its size only. Loading and predicting run the revision's
code, in a worker process with a time limit per call (``mlgate.families.model.worker``): whatever it does is
that file's error (exit 2 at the head), never mlgate's exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.edges.sides import Side
from mlgate.errors import InputError, MlgateError
from mlgate.families import FamilyResult

if TYPE_CHECKING:
    from mlgate.config.schema import Config
    from mlgate.edges.progress import Progress

KEY = "model"
FILE = "model"
ABSOLUTE_NOTE = ("Absolute times depend on the machine and its load; the head/base ratio, measured side by "
                 "side in one process, is the stable figure")


def compute(config: Config, head: Side, base: Side | None, *, recorded: Any = None,
            progress: Progress | None = None) -> FamilyResult | None:
    """The model's figures at both sides (see the module doc); None without a ``model:`` block.
    ``recorded`` (the base's numbers from the baseline) is not needed: a base without the model file keeps
    its recorded values."""
    cfg = config.model
    if cfg is None:
        return None
    import numpy as np

    from mlgate.families.model import interface, loading, timing, worker

    warnings: list[str] = []
    head_path = head.path(cfg.path)
    if head_path is None:
        raise InputError(f"{cfg.path}: no such file or directory at the head; check model.path in mlgate.yaml "
                         "and that the pipeline writes the model there")
    base_name = f"{cfg.path} (base {base.sha[:7]})" if base is not None and base.sha else f"{cfg.path} (base)"
    try:
        base_path = base.path(cfg.path) if base is not None else None
    except MlgateError as exc:  # its data cannot be fetched (say, the DVC remote's plugin is not installed)
        base_path = None
        warnings.append(f"{base_name}: not read ({exc}); model.* is reported for the head alone")
    else:
        if base is not None and base_path is None:
            warnings.append(f"{base_name}: absent at the base; model.* is reported for the head alone")

    head_m: dict[str, Any] = {"model.size_mb": loading.size_mb(head_path)}
    base_m: dict[str, Any] | None = {"model.size_mb": loading.size_mb(base_path)} if base_path is not None else None
    section: dict[str, Any] = {"path": cfg.path, "loader": cfg.loader, "notes": []}

    if head_path.is_dir():
        section["notes"].append("the model is a directory: size only (latency and interface need a model file)")
        return FamilyResult(key=KEY, file=FILE, head=head_m, base=base_m, section=section, warnings=tuple(warnings))

    drop = tuple(c for c in ((config.predictions.id, config.predictions.label) if config.predictions else ()))
    sample = None
    if cfg.sample is not None:
        sample_path = head.path(cfg.sample)
        if sample_path is None:
            raise InputError(f"{cfg.sample}: no such file at the head; check model.sample in mlgate.yaml")
        sample = [str(sample_path), cfg.sample]
    else:
        section["notes"].append("no model.sample: latency is not measured")
    base_file = [str(base_path), base_name] if base_path is not None and not base_path.is_dir() else None
    job = {"loader": cfg.loader, "head": [str(head_path), cfg.path], "base": base_file, "sample": sample,
           "rows": cfg.rows, "repeats": cfg.repeats, "drop": list(drop)}
    found = worker.run(job, say=progress.line if progress is not None else None)  # the model's code, fenced
    warnings += found["warnings"]

    h_info, b_info = found["head_info"], found["base_info"]
    head_m["model.interface"] = interface.fingerprint(h_info)
    section["head_interface"] = h_info
    if b_info is not None:
        assert base_m is not None
        base_m["model.interface"] = interface.fingerprint(b_info)
        section["base_interface"] = b_info
        section["interface_changes"] = interface.changes(b_info, h_info)

    if found["timings"] is not None:
        measured = [timing.Timings(single=np.asarray(t["single"]), batch=np.asarray(t["batch"]),
                                   batch_rows=int(t["batch_rows"])) for t in found["timings"]]
        for values, t in zip((head_m, base_m), measured):
            assert values is not None
            values.update(_latencies(t, timing))
        section["latency"] = {"repeats": cfg.repeats, "rows": measured[0].batch_rows, "note": ABSOLUTE_NOTE}
        if len(measured) == 2:
            for kind, attr in (("latency_ratio", "single"), ("batch_latency_ratio", "batch")):
                r = timing.ratio(getattr(measured[0], attr), getattr(measured[1], attr))
                head_m[f"model.{kind}"] = round(r.value, 4)
                section["latency"][kind] = {"value": r.value, "low": r.low, "high": r.high,
                                            "confidence": r.confidence, "resamples": r.resamples}
    return FamilyResult(key=KEY, file=FILE, head=head_m, base=base_m, section=section, warnings=tuple(warnings))


def _latencies(t: Any, timing: Any) -> dict[str, float]:
    p50, p95 = timing.percentiles(t.single)
    b50, b95 = timing.percentiles(t.batch)
    return {"model.latency_p50_ms": round(p50, 4), "model.latency_p95_ms": round(p95, 4),
            "model.batch_latency_p50_ms": round(b50, 4), "model.batch_latency_p95_ms": round(b95, 4)}
