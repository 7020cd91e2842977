"""A model's interface: the inputs it takes and the outputs it gives, and a short fingerprint of both.

For scikit-learn models: ``feature_names_in_`` (with the sample's dtypes), ``n_features_in_``,
``classes_``, and the kind and shape of ``predict`` (and ``predict_proba`` when there is one) on a few
sample rows. For ONNX: the session's input and output names, types and shapes. ``fingerprint`` is
one short line; two models with the same one take and give the same.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from mlgate.families.model.loading import Loaded


def describe(loaded: Loaded, x: pd.DataFrame | None) -> dict[str, Any]:
    """Inputs (names, dtypes), classes and outputs (kind, shape with n for the rows) of a loaded model."""
    model = loaded.model
    if loaded.loader == "onnx":
        ins = [{"name": i.name, "type": i.type, "shape": [str(d) for d in i.shape]} for i in model.get_inputs()]
        outs = [{"name": o.name, "type": o.type, "shape": [str(d) for d in o.shape]} for o in model.get_outputs()]
        return {"features": [i["name"] for i in ins], "dtypes": [i["type"] for i in ins], "n_features": len(ins),
                "classes": None, "outputs": {o["name"]: f"{o['type']} {o['shape']}" for o in outs}}
    names = getattr(model, "feature_names_in_", None)
    features = [str(n) for n in names] if names is not None else (list(map(str, x.columns)) if x is not None else None)
    dtypes = [str(x[c].dtype) for c in features] if x is not None and features else None
    n = getattr(model, "n_features_in_", None)
    classes = getattr(model, "classes_", None)
    outputs: dict[str, str] = {}
    if x is not None:
        head = x.head(5)
        for method in ("predict", "predict_proba"):
            fn = getattr(model, method, None)
            if callable(fn):
                try:
                    out = np.asarray(fn(head))
                except BaseException as exc:  # noqa: BLE001 - the model's own failure is reported, not raised
                    outputs[method] = f"fails: {type(exc).__name__}"
                    continue
                outputs[method] = f"{out.dtype.kind}{_shape(out.shape, len(head))}"
    return {
        "features": features,
        "dtypes": dtypes,
        "n_features": int(n) if n is not None else (len(features) if features else None),
        "classes": [_plain(c) for c in classes.tolist()] if classes is not None else None,
        "outputs": outputs,
    }


def _shape(shape: tuple[int, ...], rows: int) -> str:
    parts = ["n" if i == 0 and d == rows else str(d) for i, d in enumerate(shape)]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def fingerprint(info: dict[str, Any]) -> str:
    """One short line: input count and a hash of their names and dtypes, the classes, the output shapes,
    e.g. ``30 inputs #beabd89d · classes 0,1 · out i(n,) f(n, 2)`` (predict, then predict_proba)."""
    features = info.get("features") or []
    digest = hashlib.sha256(repr((features, info.get("dtypes"))).encode()).hexdigest()[:8]
    parts = [f"{info.get('n_features')} inputs #{digest}"]
    classes = info.get("classes")
    if classes is not None:
        parts.append("classes " + ",".join(map(str, classes[:6])) + (",…" if len(classes) > 6 else ""))
    outs = info.get("outputs") or {}
    if outs:
        parts.append("out " + " ".join(v for _, v in sorted(outs.items())))
    return " · ".join(parts)


def changes(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """What differs between two interfaces, one short sentence each (empty when the same)."""
    out: list[str] = []
    bf, hf = base.get("features") or [], head.get("features") or []
    added, removed = [f for f in hf if f not in bf], [f for f in bf if f not in hf]
    if removed:
        out.append(f"{len(removed)} input column(s) removed: " + ", ".join(removed[:5]) + (" …" if len(removed) > 5 else ""))
    if added:
        out.append(f"{len(added)} input column(s) added: " + ", ".join(added[:5]) + (" …" if len(added) > 5 else ""))
    if not added and not removed and bf != hf:
        out.append("input columns reordered")
    if not added and not removed and bf == hf and base.get("dtypes") != head.get("dtypes"):
        out.append("input dtypes changed")
    if base.get("classes") != head.get("classes"):
        out.append(f"classes changed from {base.get('classes')} to {head.get('classes')}")
    for key in sorted(set(base.get("outputs") or {}) | set(head.get("outputs") or {})):
        b, h = (base.get("outputs") or {}).get(key), (head.get("outputs") or {}).get(key)
        if b != h:
            out.append(f"{key} output changed from {b or 'none'} to {h or 'none'}")
    return out
