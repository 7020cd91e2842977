"""Prediction files on disk: formats, bad inputs (each an exit-2 InputError naming file and column), end to end."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from mlgate.errors import InputError
from mlgate.stats import PredictionSpec, compare, decide, load_predictions, pair

SPEC = dict(id="id", label="label", prediction="pred", score="proba")


def _write(path: Path, text: str) -> PredictionSpec:
    path.write_text(text, encoding="utf-8")
    return PredictionSpec(path, **SPEC)


def _frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    proba = np.clip(0.4 * label + 0.6 * rng.random(n), 0, 1)
    return pd.DataFrame({"id": [f"ex{i:03d}" for i in range(n)], "label": label,
                         "pred": (proba > 0.5).astype(int), "proba": proba})


def _bad(spec: PredictionSpec, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern) as info:
        load_predictions(spec)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------------
# Formats


def test_csv_and_json_lines_load_the_same_rows(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_csv(tmp_path / "p.csv", index=False)
    frame.to_json(tmp_path / "p.jsonl", orient="records", lines=True)
    csv = load_predictions(PredictionSpec(tmp_path / "p.csv", **SPEC))
    jsonl = load_predictions(PredictionSpec(tmp_path / "p.jsonl", **SPEC))
    for side in (csv, jsonl):
        assert side.ids.tolist() == frame["id"].tolist()
        assert side.label.tolist() == frame["label"].tolist()
        assert side.prediction.tolist() == frame["pred"].tolist()
        assert np.allclose(side.score, frame["proba"])


def test_numeric_looking_ids_keep_their_text_in_csv(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,pred,proba\n007,1,1,0.9\n7,0,0,0.2\n")
    assert load_predictions(spec).ids.tolist() == ["007", "7"]


def test_string_labels_and_a_file_object_with_its_own_name(tmp_path: Path) -> None:
    spec = PredictionSpec("eval/p.csv", id="id", label="label", prediction="pred")
    data = io.BytesIO(b"id,label,pred\na,cat,cat\nb,dog,cat\n")
    side = load_predictions(spec, data, name="eval/p.csv (base a81d0e4)")
    assert (side.source, side.label.tolist(), side.score) == ("eval/p.csv (base a81d0e4)", ["cat", "dog"], None)


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_parquet_without_pyarrow_says_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    path.write_bytes(b"PAR1 not really")
    _bad(PredictionSpec(path, **SPEC), r"p\.parquet: reading Parquet needs pyarrow, which is not installed; "
         r"pip install pyarrow")


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="pyarrow is not installed")
def test_parquet_loads_with_pyarrow(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "p.parquet")
    side = load_predictions(PredictionSpec(tmp_path / "p.parquet", **SPEC))
    assert side.ids.tolist() == frame["id"].tolist()


# --------------------------------------------------------------------------------------------------
# Bad inputs


def test_missing_file(tmp_path: Path) -> None:
    _bad(PredictionSpec(tmp_path / "nope.csv", **SPEC),
         r"nope\.csv: no such file; check predictions\.path in mlgate\.yaml and that the evaluate stage writes it")


def test_unknown_suffix(tmp_path: Path) -> None:
    _bad(_write(tmp_path / "p.txt", "id,label\n"), r"p\.txt: unknown prediction file type; write CSV")


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    _bad(_write(tmp_path / name, ""), rf"{name.replace('.', '[.]')}: empty file; the evaluate stage must write one row")


def test_header_only(tmp_path: Path) -> None:
    _bad(_write(tmp_path / "p.csv", "id,label,pred,proba\n"), r"p\.csv: no rows, only a header")


def test_missing_column_names_it_the_key_and_the_columns_present(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,prediction,proba\na,1,1,0.8\n")
    _bad(spec, r"p\.csv: no column 'pred' \(predictions\.prediction\); columns present: id, label, prediction, "
         r"proba; fix predictions\.prediction in mlgate\.yaml or the file")


def test_duplicate_ids(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,pred,proba\na,1,1,0.8\nb,0,0,0.1\na,0,1,0.6\n")
    _bad(spec, r"p\.csv: column 'id' \(predictions\.id\) has 1 duplicate ids \(first: 'a'\); each row needs a unique id")


# Rows no metric can use are refused, never left out: dropping the rows a model fails on would improve
# its metrics. The message names the file, the column, how many and the first bad row.
REFUSED = {
    "score above one": ("id,label,pred,proba\na,1,1,0.8\nb,0,0,1.7\nc,0,0,-0.1\n",
                        r"p\.csv: column 'proba' \(predictions\.score\) has 2 values that are not a probability in "
                        r"\[0, 1\] \(NaN, infinite or out of range\), first 1\.7 in data row 2 \(id 'b'\); "
                        r"the evaluate stage must write the positive-class probability for every row"),
    "nan score": ("id,label,pred,proba\na,1,1,0.8\nb,0,0,\nc,0,0,nan\n",
                  r"p\.csv: column 'proba' \(predictions\.score\) has 2 values that are not a probability in "
                  r"\[0, 1\] \(NaN, infinite or out of range\), first nan in data row 2 \(id 'b'\)"),
    "infinite score": ("id,label,pred,proba\na,1,1,inf\n",
                       r"p\.csv: column 'proba' \(predictions\.score\) has 1 values that are not a probability "
                       r"in \[0, 1\] \(NaN, infinite or out of range\), first inf in data row 1 \(id 'a'\)"),
    "empty prediction": ("id,label,pred,proba\na,1,1,0.8\nb,0,,0.3\n",
                         r"p\.csv: column 'pred' \(predictions\.prediction\) has 1 missing or infinite values "
                         r"\(NaN, inf or empty\), first in data row 2 \(id 'b'\); the evaluate stage must write a "
                         r"finite value in every row"),
    "infinite regression predictions": ("id,label,pred,proba\na,1.5,2.5,0.5\nb,2.0,inf,0.5\nc,3.0,-inf,0.5\n",
                                        r"p\.csv: column 'pred' \(predictions\.prediction\) has 2 missing or "
                                        r"infinite values \(NaN, inf or empty\), first in data row 2 \(id 'b'\)"),
    "blank text prediction": ("id,label,pred,proba\na,cat,cat,0.8\nb,dog,\" \",0.3\n",
                              r"p\.csv: column 'pred' \(predictions\.prediction\) has 1 missing or infinite "
                              r"values \(NaN, inf or empty\), first in data row 2 \(id 'b'\)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_row_no_metric_can_use_is_refused_naming_column_row_and_count(tmp_path: Path, case: str) -> None:
    text, pattern = REFUSED[case]
    _bad(_write(tmp_path / "p.csv", text), pattern)


def test_nan_label(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.jsonl", '{"id": 1, "label": null, "pred": 1, "proba": 0.5}\n')
    _bad(spec, r"p\.jsonl: column 'label' \(predictions\.label\) has 1 missing or infinite values \(NaN, inf or "
         r"empty\), first in data row 1 \(id '1'\)")


def test_missing_id(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,pred,proba\n,1,1,0.8\n")
    _bad(spec, r"p\.csv: column 'id' \(predictions\.id\) has 1 missing or infinite values \(NaN, inf or empty\), "
         r"first in data row 1;")


def test_score_not_numeric(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,pred,proba\na,1,1,high\n")
    _bad(spec, r"p\.csv: column 'proba' \(predictions\.score\) is not numeric")


def test_label_numbers_but_prediction_text(tmp_path: Path) -> None:
    spec = _write(tmp_path / "p.csv", "id,label,pred,proba\na,1,yes,0.8\n")
    _bad(spec, r"p\.csv: column 'label' holds numbers but 'pred' holds text; label and prediction must use the same")


def test_unparseable_json_lines(tmp_path: Path) -> None:
    _bad(_write(tmp_path / "p.jsonl", '{"id": "a", "label": 1, "pred": 1, "proba": 0.5}\n{"id": 1, "label": 1\n'),
         r"p\.jsonl: line 2 is not valid JSON \(Expecting ',' delimiter, column 21\); write one JSON object a line$")


@pytest.mark.parametrize("line, kind", [("[1, 2]", "a list"), ("7", "a number"), ('"text"', "text"),
                                        ("null", "null")])
def test_a_json_line_that_is_not_an_object_names_the_line(tmp_path: Path, line: str, kind: str) -> None:
    text = '{"id": "a", "label": 1, "pred": 1, "proba": 0.5}\n\n' + line + "\n"
    _bad(_write(tmp_path / "p.jsonl", text), rf"p\.jsonl: line 3 holds {kind}, not a JSON object; write one object "
         r"a line, e\.g\. \{\"id\": \"a\", \"label\": 1, \"pred\": 1\}$")


# --------------------------------------------------------------------------------------------------
# End to end: files -> pairing -> comparison -> decision


def test_csv_head_against_json_lines_base_end_to_end(tmp_path: Path) -> None:
    head_frame = _frame(400, seed=1)
    base_frame = head_frame.copy()
    rng = np.random.default_rng(2)
    base_frame["proba"] = np.clip(base_frame["proba"] + rng.normal(0, 0.05, 400), 0, 1)
    base_frame["pred"] = (base_frame["proba"] > 0.5).astype(int)
    head_frame.to_csv(tmp_path / "head.csv", index=False)
    base_frame.sample(frac=1, random_state=3).to_json(tmp_path / "base.jsonl", orient="records", lines=True)

    head = load_predictions(PredictionSpec(tmp_path / "head.csv", **SPEC), name="eval/predictions.csv")
    base = load_predictions(PredictionSpec(tmp_path / "base.jsonl", **SPEC), name="eval/predictions.csv (base)")
    pairing = pair(head, base)
    assert pairing.paired and pairing.n_paired == 400

    acc = compare("predictions.accuracy", pairing, confidence=0.95, seed=0)
    assert acc.head == accuracy_score(head_frame["label"], head_frame["pred"])
    assert acc.base == accuracy_score(base_frame["label"], base_frame["pred"])
    assert acc.test == "mcnemar_exact" and acc.n_paired == 400

    auc = compare("predictions.roc_auc", pairing)
    assert auc.head == pytest.approx(roc_auc_score(head_frame["label"], head_frame["proba"]), rel=1e-12)
    assert auc.method == "paired_delong"

    decision = decide(acc, "max_drop", 0.01)
    assert decision.reading.startswith(("+", "−", "0"))
    json.dumps({"comparison": acc.to_dict(), "passed": decision.passed, "reading": decision.reading}, allow_nan=False)


def test_changed_evaluation_set_is_compared_unpaired(tmp_path: Path) -> None:
    head_frame = _frame(200, seed=4)
    base_frame = _frame(150, seed=5)
    base_frame["id"] = [f"old{i}" for i in range(150)]
    head_frame.to_csv(tmp_path / "head.csv", index=False)
    base_frame.to_csv(tmp_path / "base.csv", index=False)
    pairing = pair(load_predictions(PredictionSpec(tmp_path / "head.csv", **SPEC)),
                   load_predictions(PredictionSpec(tmp_path / "base.csv", **SPEC)))
    c = compare("predictions.f1", pairing)
    assert (c.paired, c.method, c.n_head, c.n_base) == (False, "unpaired_counts", 200, 150)
    assert "share no ids (the evaluation data changed)" in c.note
