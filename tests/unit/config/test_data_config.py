"""config: the `data:` block loads, and each bad dataset entry is one ConfigError line naming the key and fix."""

from __future__ import annotations

import pytest

from mlgate.config.load import parse_config
from mlgate.errors import ConfigError


def test_the_block_from_the_issue_loads():
    config = parse_config(
        "version: 1\n"
        "data:\n"
        "  train:\n"
        "    path: data/prepared/train.parquet\n"
        "    target: label\n"
        "  test:\n"
        "    path: data/prepared/test.parquet\n"
        "    reference: train\n"
        "  prod:\n"
        "    path: 'data/prod/*.csv'\n"
        "    reference: data/production/sample.parquet\n"
        "    delimiter: ';'\n"
        "    encoding: latin-1\n"
        "kpis:\n"
        "  data.train.schema: unchanged\n"
        "  data.train.rows: {min: 10000, max_drop_pct: 20}\n"
    )
    assert list(config.data) == ["train", "test", "prod"]
    assert (config.data["train"].target, config.data["test"].reference) == ("label", "train")
    assert (config.data["prod"].delimiter, config.data["prod"].encoding) == (";", "latin-1")
    assert config.data["train"].format is None and config.data["train"].encoding == "utf-8"


def test_a_path_alone_is_the_shorthand_for_a_dataset():
    config = parse_config("version: 1\ndata:\n  train: data/train.csv\n")
    assert (config.data["train"].path, config.data["train"].target) == ("data/train.csv", None)


BAD = {
    "path outside": ("  t: {path: ../secret.csv}\n",
                     "mlgate.yaml:3: data.t.path: '../secret.csv' is not a path inside the repository; write it "
                     "relative to the project root, without '..'"),
    "absolute path": ("  t: {path: /etc/passwd}\n",
                      "mlgate.yaml:3: data.t.path: '/etc/passwd' is not a path inside the repository; write it "
                      "relative to the project root, without '..'"),
    "no path": ("  t: {target: y}\n", "mlgate.yaml:3: data.t.path: required key is missing; add it"),
    "typo": ("  t: {path: a.csv, targte: y}\n",
             "mlgate.yaml:3: data.t.targte: unknown key; did you mean 'target'? "
             "(allowed: path, target, reference, format, delimiter, encoding, header, columns)"),
    "bad format": ("  t: {path: a.csv, format: xlsx}\n",
                   "mlgate.yaml:3: data.t.format: expected 'csv' or 'parquet', got 'xlsx'"),
    "long delimiter": ("  t: {path: a.csv, delimiter: ';;'}\n",
                       "mlgate.yaml:3: data.t: delimiter must be one character, got ';;'; e.g. ';' or '\\t'"),
    "unknown encoding": ("  t: {path: a.csv, encoding: klingon}\n",
                         "mlgate.yaml:3: data.t: encoding 'klingon' is not known; use e.g. utf-8, latin-1 or cp1252"),
    "dotted name": ("  tr.ain: {path: a.csv}\n",
                    "mlgate.yaml:3: data.tr.ain: a dataset name is part of metric keys; use letters, digits, '_' "
                    "or '-', e.g. 'train'"),
    "own reference": ("  t: {path: a.csv, reference: t}\n",
                      "mlgate.yaml:3: data.t.reference: a dataset cannot be its own reference; name another"),
    "reference outside": ("  t: {path: a.csv, reference: ../b.csv}\n",
                          "mlgate.yaml:3: data.t.reference: not a dataset under data:, and '../b.csv' is not a path "
                          "inside the repository; write it relative to the project root, without '..'"),
    "path in .git": ("  t: {path: .git/config}\n",
                     "mlgate.yaml:3: data.t.path: '.git/config' is inside .git/, git's own files, not a dataset; "
                     "give the path of a CSV or Parquet file in the project"),
    "glob in .git": ("  t: {path: 'sub/.git/*.csv'}\n",
                     "mlgate.yaml:3: data.t.path: 'sub/.git/*.csv' is inside .git/, git's own files, not a dataset; "
                     "give the path of a CSV or Parquet file in the project"),
    "reference in .git": ("  t: {path: a.csv, reference: .git/HEAD}\n",
                          "mlgate.yaml:3: data.t.reference: not a dataset under data:, and '.git/HEAD' is inside "
                          ".git/, git's own files, not a dataset; give the path of a CSV or Parquet file in the project"),
    "columns with a header": ("  t: {path: a.tsv, header: true, columns: [a, b]}\n",
                              "mlgate.yaml:3: data.t: columns names the columns of a file without a header row; "
                              "remove it, or set header: false"),
    "a column named twice": ("  t: {path: a.tsv, columns: [a, b, a]}\n",
                             "mlgate.yaml:3: data.t: columns names 'a' twice; every column needs its own name"),
    "an empty column name": ("  t: {path: a.tsv, columns: [a, '']}\n",
                             "mlgate.yaml:3: data.t: columns must be a list of non-empty names, e.g. [id, label, text]"),
}


def test_header_and_columns_load():
    config = parse_config("version: 1\ndata:\n  a: {path: a.tsv, header: false}\n  b: {path: b.tsv, columns: [id, text]}\n"
                          "  c: .gitignore.csv\n")
    assert (config.data["a"].header, config.data["a"].columns) == (False, None)
    assert (config.data["b"].header, config.data["b"].columns) == (None, ["id", "text"])
    assert config.data["c"].path == ".gitignore.csv"  # a name starting with .git is no folder of git's


@pytest.mark.parametrize("block, expected", BAD.values(), ids=BAD.keys())
def test_a_bad_dataset_entry_is_one_line(block, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config("version: 1\ndata:\n" + block)
    assert str(caught.value) == expected
    assert caught.value.exit_code == 2
