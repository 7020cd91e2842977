"""The model family: size, interleaved latency with a ratio interval, interface, and every bad-model case."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlgate.config.load import parse_config
from mlgate.edges.sides import DirectorySide
from mlgate.errors import InputError
from mlgate.families.model import timing
from mlgate.families.model.family import compute

RNG = np.random.default_rng(1)
COLUMNS = [f"f{i}" for i in range(6)]


def _sample(n: int = 200) -> pd.DataFrame:
    x = pd.DataFrame(RNG.normal(size=(n, 6)), columns=COLUMNS)
    return x.assign(id=[f"ex{i}" for i in range(n)], label=(x["f0"] + x["f1"] > 0).astype(int))


def _project(root: Path, model: object | None, *, dump: str = "joblib", name: str = "models/model.joblib") -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    _sample().to_csv(root / "data" / "test.csv", index=False)
    if model is not None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if dump == "joblib":
            joblib.dump(model, root / name)
        else:
            (root / name).write_bytes(pickle.dumps(model))
    return root


def _fit(columns: list[str], model: object | None = None) -> object:
    data = _sample()
    model = model or DecisionTreeClassifier(max_depth=3, random_state=0)
    return model.fit(data[columns], data["label"])


def _config(extra: str = "", loader: str = "joblib", path: str = "models/model.joblib", sample: bool = True) -> object:
    text = f"version: 1\nmodel:\n  path: {path}\n  loader: {loader}\n  repeats: 6\n  rows: 50\n"
    if sample:
        text += "  sample: data/test.csv\n"
    return parse_config(text + extra)


def _sides(tmp_path: Path, head_model: object | None, base_model: object | None, **kw: str) -> tuple:
    head = DirectorySide("head", "a" * 40, _project(tmp_path / "head", head_model, **kw))
    base = DirectorySide("base", "b" * 40, _project(tmp_path / "base", base_model, **kw))
    return head, base


def test_no_model_block_is_no_family(tmp_path: Path) -> None:
    assert compute(parse_config("version: 1\n"), DirectorySide("head", None, tmp_path), None) is None


def test_head_and_base_size_latency_interface(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS[:4], LogisticRegression()))
    r = compute(_config(), head, base)
    assert r.key == "model" and r.file == "model" and r.warnings == ()
    assert r.head["model.size_mb"] == round((head.root / "models/model.joblib").stat().st_size / 1e6, 6)
    assert r.base["model.size_mb"] == round((base.root / "models/model.joblib").stat().st_size / 1e6, 6)
    for side in (r.head, r.base):
        assert 0 < side["model.latency_p50_ms"] <= side["model.latency_p95_ms"]
        assert 0 < side["model.batch_latency_p50_ms"] <= side["model.batch_latency_p95_ms"]
    ratio = r.section["latency"]["latency_ratio"]
    assert ratio["low"] <= ratio["value"] <= ratio["high"]
    assert r.head["model.latency_ratio"] == round(ratio["value"], 4)
    assert r.head["model.interface"] != r.base["model.interface"]
    assert r.head["model.interface"].startswith("6 inputs #") and " · classes 0,1 · " in r.head["model.interface"]
    assert r.head["model.interface"].endswith(" · out i(n,) f(n, 2)")
    assert r.section["interface_changes"] == ["2 input column(s) added: f4, f5"]


def test_the_same_model_has_the_same_interface(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS, DecisionTreeClassifier(max_depth=5)))
    r = compute(_config(), head, base)
    assert r.head["model.interface"] == r.base["model.interface"] and r.section["interface_changes"] == []


def test_pickle_loader_and_no_sample(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS), dump="pickle", name="models/model.pkl")
    r = compute(_config(loader="pickle", path="models/model.pkl", sample=False), head, base)
    assert "model.latency_p50_ms" not in r.head and "latency" not in r.section
    assert "no model.sample: latency is not measured" in r.section["notes"]
    assert r.head["model.interface"] == r.base["model.interface"]


def test_a_directory_model_gets_its_size_only(tmp_path: Path) -> None:
    root = _project(tmp_path, None)
    (root / "models" / "saved").mkdir(parents=True)
    (root / "models" / "saved" / "a.bin").write_bytes(b"x" * 1500)
    (root / "models" / "saved" / "sub").mkdir()
    (root / "models" / "saved" / "sub" / "b.bin").write_bytes(b"y" * 500)
    r = compute(_config(path="models/saved"), DirectorySide("head", None, root), None)
    assert r.head == {"model.size_mb": 0.002}
    assert r.section["notes"] == ["the model is a directory: size only (latency and interface need a model file)"]


def test_missing_at_the_head_is_an_input_error(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, None, _fit(COLUMNS))
    with pytest.raises(InputError, match=r"^models/model.joblib: no such file or directory at the head; check model.path"):
        compute(_config(), head, base)


def test_missing_at_the_base_is_a_stated_skip(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), None)
    r = compute(_config(), head, base)
    assert r.base is None and "model.latency_ratio" not in r.head and "model.latency_p50_ms" in r.head
    assert r.warnings == ("models/model.joblib (base bbbbbbb): absent at the base; model.* is reported for the head "
                          "alone",)


def test_an_unloadable_head_is_one_line(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS))
    (head.root / "models/model.joblib").write_bytes(b"not a model at all")
    with pytest.raises(InputError) as info:
        compute(_config(), head, base)
    message = str(info.value)
    assert message.startswith("models/model.joblib: cannot load with joblib: ") and "\n" not in message
    assert message.endswith("check model.loader and that the pipeline writes a model this loader reads")


def test_an_unloadable_base_is_a_warning(tmp_path: Path) -> None:
    head, base = _sides(tmp_path, _fit(COLUMNS), _fit(COLUMNS))
    (base.root / "models/model.joblib").write_bytes(b"\x80\x04garbage")
    r = compute(_config(), head, base)
    assert "model.interface" not in r.base and "model.latency_ratio" not in r.head
    assert len(r.warnings) == 1 and r.warnings[0].startswith("models/model.joblib (base bbbbbbb): cannot load with joblib")
    assert r.warnings[0].endswith("the base's latency and interface are left out")


def test_an_object_without_predict(tmp_path: Path) -> None:
    head, _ = _sides(tmp_path, {"weights": [1, 2]}, None)
    with pytest.raises(InputError, match=r"models/model.joblib: the loaded object \(dict\) has no predict\(\)"):
        compute(_config(), head, None)


def test_a_sample_without_the_models_columns(tmp_path: Path) -> None:
    data = _sample()
    model = DecisionTreeClassifier().fit(data[COLUMNS].rename(columns={"f5": "other"}), data["label"])
    head, _ = _sides(tmp_path, model, None)
    with pytest.raises(InputError, match=r"the model expects column 'other' \(of 6 features\), which model.sample"):
        compute(_config(), head, None)


def test_a_missing_sample_file(tmp_path: Path) -> None:
    head, _ = _sides(tmp_path, _fit(COLUMNS), None)
    (head.root / "data/test.csv").unlink()
    with pytest.raises(InputError, match=r"^data/test.csv: no such file at the head; check model.sample"):
        compute(_config(), head, None)


@pytest.mark.parametrize(("loader", "module", "extra"), [("skops", "skops", "skops"), ("onnx", "onnxruntime", "onnx")])
def test_an_optional_loader_not_installed_names_the_extra(tmp_path: Path, loader: str, module: str, extra: str) -> None:
    try:
        __import__(module)
    except ImportError:
        pass
    else:
        pytest.skip(f"{module} is installed here")
    head, _ = _sides(tmp_path, _fit(COLUMNS), None)
    with pytest.raises(InputError) as info:
        compute(_config(loader=loader), head, None)
    assert str(info.value) == (f"model.loader: {loader} needs the {module} package, which is not installed; "
                               f"pip install 'mlgate[{extra}]' (or {module})")


def test_measure_interleaves_and_alternates_the_order() -> None:
    calls: list[tuple[str, int]] = []
    x = pd.DataFrame({"a": range(10)})

    def side(name: str):
        return lambda rows: calls.append((name, len(rows)))

    timings = timing.measure([(side("head"), x), (side("base"), x)], repeats=4)
    timed = calls[4:]  # after one warm-up single-row and batch call per side
    assert [c[0] for c in timed] == ["head", "base", "head", "base", "base", "head", "base", "head"] * 2
    assert [c[1] for c in timed[:4]] == [1, 1, 10, 10]
    assert len(timings) == 2 and timings[0].single.shape == (4,) and timings[0].batch_rows == 10


def test_ratio_interval() -> None:
    base = np.array([1.0, 1.1, 0.9, 1.0, 1.05, 0.95])
    r = timing.ratio(2 * base, base)
    assert (r.value, r.low, r.high) == pytest.approx((2.0, 2.0, 2.0))
    noisy = timing.ratio(base * RNG.uniform(1.1, 1.5, 6), base, resamples=500)
    assert noisy.low <= noisy.value <= noisy.high and noisy.low > 1


def _written(tmp_path: Path, side: str, data: bytes, name: str) -> DirectorySide:
    root = _project(tmp_path / side, None)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(data)
    return DirectorySide(side, side[0] * 40, root)


def test_the_skops_loader_times_and_fingerprints_a_skops_file(tmp_path: Path) -> None:
    skops_io = pytest.importorskip("skops.io")
    head_model, base_model = _fit(COLUMNS), _fit(COLUMNS[:4])
    name = "models/model.skops"
    head = _written(tmp_path, "head", skops_io.dumps(head_model), name)
    base = _written(tmp_path, "base", skops_io.dumps(base_model), name)

    r = compute(_config(loader="skops", path=name), head, base)

    assert r.head["model.size_mb"] == pytest.approx(len(skops_io.dumps(head_model)) / 1e6)
    assert r.head["model.interface"].startswith("6 inputs") and r.base["model.interface"].startswith("4 inputs")
    assert r.head["model.latency_ratio"] > 0


def test_the_onnx_loader_runs_an_onnx_model_with_onnxruntime(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType

    def onnx_bytes(model: object, n: int) -> bytes:
        return skl2onnx.convert_sklearn(model, initial_types=[("x", FloatTensorType([None, n]))]).SerializeToString()

    name = "models/model.onnx"
    head = _written(tmp_path, "head", onnx_bytes(_fit(COLUMNS), 6), name)
    base = _written(tmp_path, "base", onnx_bytes(_fit(COLUMNS), 6), name)

    ids = "predictions:\n  path: eval/p.csv\n  id: id\n  label: label\n"  # not model inputs
    r = compute(_config(ids, loader="onnx", path=name), head, base)

    assert r.head["model.latency_ratio"] > 0 and r.head["model.latency_p50_ms"] > 0
    assert r.head["model.interface"] == r.base["model.interface"]  # same inputs and outputs: unchanged


def test_an_onnx_file_that_is_not_onnx_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    name = "models/model.onnx"
    head = _written(tmp_path, "head", b"not a model", name)
    with pytest.raises(InputError, match=r"models/model.onnx: cannot load with onnx: .*; check model.loader"):
        compute(_config(loader="onnx", path=name), head, None)


def test_a_json_lines_sample_with_a_line_that_is_not_an_object_names_the_line(tmp_path: Path) -> None:
    head, _ = _sides(tmp_path, _fit(COLUMNS), None)
    rows = [json.dumps(dict(zip(COLUMNS, map(float, range(6)))))] * 3
    (head.root / "data/test.jsonl").write_text("\n".join([rows[0], "[1, 2, 3]", *rows[1:]]) + "\n")
    with pytest.raises(InputError) as info:
        compute(parse_config(
            "version: 1\nmodel:\n  path: models/model.joblib\n  sample: data/test.jsonl\n  repeats: 6\n"), head, None)
    assert str(info.value) == ('data/test.jsonl: line 2 holds a list, not a JSON object; write one object a line, '
                               'e.g. {"id": "a", "label": 1, "pred": 1}')
