"""The data family through compute(): metrics, base and reference comparisons, the report section, and
every bad input as one InputError line or a stated skip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.config.load import parse_config
from mlgate.edges.sides import DirectorySide
from mlgate.errors import InputError
from mlgate.families.data import family
from mlgate.report.render import _environment
from tests.support.data_files import classified, write


def config(block: str):
    return parse_config("version: 1\ndata:\n" + block)


def run(tmp_path: Path, block: str, *, base: bool = True):
    head = DirectorySide("head", None, tmp_path / "head")
    (tmp_path / "head").mkdir(exist_ok=True)
    (tmp_path / "base").mkdir(exist_ok=True)
    other = DirectorySide("base", None, tmp_path / "base") if base else None
    return family.compute(config(block), head, other)


def render(section: dict) -> str:
    return _environment(None).get_template("sections/data.md.j2").render(s=section)


TRAIN = "  train: {path: data/train.csv, target: label}\n"


def test_no_data_block_no_family(tmp_path):
    assert family.compute(parse_config("version: 1\n"), DirectorySide("head", None, tmp_path), None) is None


def test_head_and_base_profiles_and_drift(tmp_path):
    base, head = classified(3000, seed=1), classified(2500, seed=2, shift=8)
    write(tmp_path / "base", "data/train.csv", base)
    write(tmp_path / "head", "data/train.csv", head)
    result = run(tmp_path, TRAIN)
    h, b = result.head, result.base
    assert (result.key, result.file) == ("data", "data")
    assert (b["data.train.rows"], h["data.train.rows"]) == (3000, 2500)
    assert h["data.train.columns"] == 4 and h["data.train.schema"] == b["data.train.schema"]
    assert h["data.train.columns.age.mean"] == pytest.approx(head["age"].mean())
    assert b["data.train.columns.age.std"] == pytest.approx(base["age"].std())
    assert h["data.train.columns.region.distinct"] == 3
    assert h["data.train.target.classes"] == 2
    assert h["data.train.target.share_min"] == pytest.approx(head["label"].value_counts(normalize=True).min())
    assert h["data.train.drift.age.psi"] > 0.2 and h["data.train.drift.age.ks_pvalue"] < 1e-6
    assert h["data.train.drift.income.psi"] < 0.1
    assert h["data.train.drift.region.chi2_pvalue"] > 0.001 and h["data.train.drift.region.js"] < 0.05
    assert 0 < h["data.train.columns.age.out_of_base_range_share"] < 0.1
    assert h["data.train.columns.region.new_category_share"] == 0
    assert not any(".drift." in k for k in b)  # drift against the base exists at the head only
    json.dumps(result.section)
    text = render(result.section)
    assert "train: 3,000 → 2,500 rows" in text and "| `age` | mean" in text and "⚠️" in text


def test_a_dataset_absent_at_the_base_is_new_and_profiled_at_the_head_only(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(100))
    result = run(tmp_path, TRAIN)
    assert "data.train.rows" in result.head and "data.train.rows" not in result.base
    assert not any(".drift." in k for k in result.head)
    assert result.section["datasets"][0]["base_note"] == "new dataset: absent at the base, profiled at the head only"
    assert "new dataset" in render(result.section)


def test_without_base_files_the_head_stands_alone(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(100))
    result = run(tmp_path, TRAIN, base=False)
    assert result.base is None and result.head["data.train.rows"] == 100


def test_schema_changes_come_first_and_a_retyped_column_is_named(tmp_path):
    base = classified(500)
    head = base.drop(columns=["income"]).assign(age=base["age"].astype(str) + "y", extra=1)
    write(tmp_path / "base", "data/train.parquet", base)
    write(tmp_path / "head", "data/train.parquet", head)
    result = run(tmp_path, "  train: {path: data/train.parquet}\n")
    assert result.head["data.train.schema"] != result.base["data.train.schema"]
    changes = {c["column"]: c for c in result.section["datasets"][0]["schema_changes"]}
    assert changes["income"]["change"] == "removed"
    assert (changes["age"]["change"], changes["age"]["old"], changes["age"]["new"]) == ("retyped", "double", "string")
    assert changes["extra"]["change"] == "added"
    text = render(result.section)
    assert text.index("schema change") < text.index("Profile of")
    assert "| `age` | retyped `double` → `string` |" in text


def test_reference_drift_at_both_revisions(tmp_path):
    for side, shift in (("base", 0), ("head", 15)):
        write(tmp_path / side, "data/train.csv", classified(2000, seed=1))
        write(tmp_path / side, "data/test.csv", classified(700, seed=2, shift=shift))
    result = run(tmp_path, TRAIN + "  test: {path: data/test.csv, target: label, reference: train}\n")
    assert result.head["data.test.reference_drift.age.psi"] > 1
    assert result.base["data.test.reference_drift.age.psi"] < 0.1
    assert result.section["datasets"][1]["reference"]["drift"][0]["column"] == "age"


def test_a_reference_given_as_a_path(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(500))
    write(tmp_path / "head", "prod/sample.parquet", classified(500, seed=3))
    result = run(tmp_path, "  train: {path: data/train.csv, reference: prod/sample.parquet}\n")
    assert "data.train.reference_drift.age.ks" in result.head


def test_partitions_by_glob_are_one_dataset(tmp_path):
    whole = classified(900)
    for i in range(3):
        write(tmp_path / "head", f"data/part-{i}.parquet", whole.iloc[i * 300 : (i + 1) * 300])
    result = run(tmp_path, "  train: {path: 'data/part-*.parquet'}\n")
    assert result.head["data.train.rows"] == 900
    assert result.head["data.train.columns.age.mean"] == pytest.approx(whole["age"].mean())
    assert result.section["datasets"][0]["parts"] == 3


def test_a_dot_in_a_column_name_becomes_an_underscore_in_keys_and_names_are_escaped(tmp_path):
    frame = pd.DataFrame({"a.b": [1.0, 2.0], "<b>|x": ["u", "v"]})
    write(tmp_path / "head", "d.csv", frame)
    result = run(tmp_path, "  d: {path: d.csv}\n")
    assert "data.d.columns.a_b.mean" in result.head
    text = render(result.section)
    assert "`<b>\\|x`" in text and "<b>|" not in text


# -- bad input: one InputError line each, or a stated skip ---------------------------------------------

def error_of(tmp_path, block: str) -> str:
    with pytest.raises(InputError) as caught:
        run(tmp_path, block)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_at_the_head(tmp_path):
    assert error_of(tmp_path, TRAIN) == (
        "data.train.path: data/train.csv does not exist at the head; run the stage that writes it "
        "(dvc repro / dvc pull), or fix the path"
    )


def test_a_glob_matching_nothing(tmp_path):
    message = error_of(tmp_path, "  train: {path: 'data/*.parquet'}\n")
    assert message.startswith("data.train.path: data/*.parquet matches no file at the head")


def test_an_empty_file(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_bytes(b"")
    assert error_of(tmp_path, TRAIN) == (
        "data.train: data/train.csv at the head: the file is empty (0 bytes); write the data there or fix "
        "data.train.path"
    )


def test_a_header_without_rows_is_bad_input_not_a_pass(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("a,label\n")
    assert error_of(tmp_path, TRAIN) == (
        "data.train.path: data/train.csv at the head holds no rows, so nothing in it can be checked; write the "
        "rows (run the stage that writes it), or fix the path"
    )


def test_a_base_without_rows_is_profiled_and_its_columns_skipped(tmp_path):
    (tmp_path / "base" / "data").mkdir(parents=True)
    (tmp_path / "base" / "data" / "train.csv").write_text("age,income,region,label\n")
    write(tmp_path / "head", "data/train.csv", classified(100))
    result = run(tmp_path, TRAIN)
    assert result.base["data.train.rows"] == 0 and result.head["data.train.rows"] == 100
    assert not any(".drift." in k for k in result.head)


def test_a_truncated_parquet_file(tmp_path):
    write(tmp_path / "head", "data/train.parquet", classified(1000))
    path = tmp_path / "head" / "data" / "train.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    message = error_of(tmp_path, "  train: {path: data/train.parquet}\n")
    assert message.startswith("data.train: data/train.parquet at the head: not a readable Parquet file (")
    assert message.endswith("the file is truncated or not Parquet: rewrite it, or set format: csv")


def test_a_missing_target_column(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(10).drop(columns=["label"]))
    assert error_of(tmp_path, TRAIN) == (
        "data.train: data/train.csv at the head: target column 'label' is not in the file "
        "(columns: age, income, region); fix data.train.target"
    )


PAD = "p" * 200  # 45,000 rows of 204 bytes: past the first 8 MiB block


def test_text_after_numbers_in_one_csv_column_is_mixed_types(tmp_path):
    # Types are inferred from the first 8 MiB block; the text comes in a later block.
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("x,pad\n" + f"1,{PAD}\n" * 45_000 + "abc,p\n")
    message = error_of(tmp_path, "  train: {path: data/train.csv}\n")
    assert message == (
        "data.train: data/train.csv at the head: column 'x' holds int64 values in its first rows but 'abc' "
        "later (mixed types); make the column one type, e.g. write missing numbers as empty fields"
    )


def test_a_decimal_after_integers_reads_the_column_as_floats(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("x,pad\n" + f"1,{PAD}\n" * 45_000 + "2.5,p\n")
    result = run(tmp_path, "  train: {path: data/train.csv}\n")
    assert result.head["data.train.columns.x.max"] == 2.5
    assert result.section["datasets"][0]["profile"][0]["type"] == "double"


def test_text_and_numbers_within_the_first_block_are_text(tmp_path):
    write(tmp_path / "head", "data/train.csv", pd.DataFrame({"x": ["1", "2", "three"]}))
    result = run(tmp_path, "  train: {path: data/train.csv}\n")
    assert result.section["datasets"][0]["profile"][0]["type"] == "string"


def test_partitions_with_mixed_types(tmp_path):
    write(tmp_path / "head", "data/a.parquet", pd.DataFrame({"x": [1, 2]}))
    write(tmp_path / "head", "data/b.parquet", pd.DataFrame({"x": ["u", "v"]}))
    assert error_of(tmp_path, "  train: {path: 'data/*.parquet'}\n") == (
        "data.train: data/a.parquet and data/b.parquet at the head differ: column 'x' is int64 in one part but "
        "string in another; partitions of one dataset must share one schema (mixed types in a column)"
    )


def test_an_all_null_column_is_a_stated_skip(tmp_path):
    for side in ("base", "head"):
        write(tmp_path / side, "d.parquet", pd.DataFrame({"x": [1.0, 2.0, 3.0], "empty": [np.nan] * 3}))
    result = run(tmp_path, "  d: {path: d.parquet}\n")
    assert result.head["data.d.columns.empty.missing_share"] == 1.0
    assert not any(k.startswith("data.d.drift.empty.") for k in result.head)
    section = result.section["datasets"][0]
    assert {"column": "empty", "why": "no values on either side"} in section["skips"]
    assert "`empty`: no values on either side" in render(result.section)


def test_another_delimiter_is_named(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(5), sep=";")
    assert error_of(tmp_path, TRAIN) == (
        "data.train: data/train.csv at the head: read as one column 'age;income;region;label', which looks "
        "delimited by ';'; set data.train.delimiter: ';'"
    )
    result = run(tmp_path, "  train: {path: data/train.csv, target: label, delimiter: ';'}\n")
    assert result.head["data.train.columns"] == 4


def test_another_encoding_is_named(tmp_path):
    write(tmp_path / "head", "data/train.csv", pd.DataFrame({"city": ["Zürich", "Genève"]}), encoding="latin-1")
    message = error_of(tmp_path, "  train: {path: data/train.csv}\n")
    assert message.startswith("data.train: data/train.csv at the head: column 'city' is not valid utf-8 text; ")
    assert message.endswith("set data.train.encoding, e.g. latin-1 or cp1252")
    result = run(tmp_path, "  train: {path: data/train.csv, encoding: latin-1}\n")
    assert result.section["datasets"][0]["profile"][0]["top"][0][0] in ("Zürich", "Genève")


def test_a_directory_instead_of_a_file(tmp_path):
    (tmp_path / "head" / "data" / "train").mkdir(parents=True)
    assert error_of(tmp_path, "  train: {path: data/train}\n") == (
        "data: data/train at the head is a directory; give a file or a glob of its partitions, "
        "e.g. data/train/*.parquet"
    )


def test_an_unreadable_base_is_a_warning_and_the_head_stands_alone(tmp_path):
    write(tmp_path / "head", "data/train.parquet", classified(100))
    (tmp_path / "base" / "data").mkdir(parents=True)
    (tmp_path / "base" / "data" / "train.parquet").write_bytes(b"not parquet at all")
    result = run(tmp_path, "  train: {path: data/train.parquet}\n")
    assert "data.train.rows" in result.head and "data.train.rows" not in result.base
    assert len(result.warnings) == 1 and result.warnings[0].startswith(
        "data.train: data/train.parquet at the base: not a readable Parquet file")
    assert result.section["datasets"][0]["base_note"].startswith("the base's file could not be read")


def test_a_base_profiled_in_a_second_process_gives_the_same_result(tmp_path):
    for side, seed in (("base", 1), ("head", 2)):
        write(tmp_path / side, "data/train.parquet", classified(3000, seed=seed))
    write(tmp_path / "base", "data/bad.parquet", classified(10))
    (tmp_path / "base" / "data" / "bad.parquet").write_bytes(b"PAR1 broken")
    write(tmp_path / "head", "data/bad.parquet", classified(10))
    cfg = config("  train: {path: data/train.parquet, target: label}\n  bad: {path: data/bad.parquet}\n")
    sides = DirectorySide("head", None, tmp_path / "head"), DirectorySide("base", None, tmp_path / "base")
    here = family.compute(cfg, *sides)
    there = family.compute(cfg, *sides, parallel_bytes=0)
    assert there.head == here.head and there.base == here.base
    assert there.warnings == here.warnings and len(there.warnings) == 1  # an error in the child is the same warning


def test_the_families_metrics_gate_like_any_metric(tmp_path):
    """Through the real gates: `schema: unchanged`, a class-share floor and a glob over drift statistics."""
    from mlgate.gating import gates
    from mlgate.gating.snapshot import Snapshot

    base = classified(2000, seed=1)
    head = base[(base["label"] == 0) | (base.index % 4 == 0)].assign(age=lambda f: f["age"].astype(str) + " years")
    write(tmp_path / "base", "data/train.csv", base)
    write(tmp_path / "head", "data/train.csv", head)
    cfg = parse_config(
        "version: 1\ndata:\n" + TRAIN + "kpis:\n"
        "  data.train.schema: unchanged\n"
        "  data.train.target.share_min: {min: 0.25}\n"
        "  'data.train.drift.*.psi': {max: 0.2}\n"
    )
    result = family.compute(cfg, DirectorySide("head", None, tmp_path / "head"), DirectorySide("base", None, tmp_path / "base"))
    outcomes = gates.evaluate(cfg, Snapshot({"data": result.head}), Snapshot({"data": result.base}))
    status = {g.key: g.status for g in outcomes}
    assert status["data.train.schema"] == "fail"
    assert status["data.train.target.share_min"] == "fail"
    assert status["data.train.drift.label.psi"] == "fail"
    assert status["data.train.drift.income.psi"] == "pass"


def test_a_wide_dataset_shows_the_first_60_columns_of_its_profile(tmp_path):
    write(tmp_path / "head", "wide.parquet", pd.DataFrame({f"c{i}": [1.0, 2.0] for i in range(75)}))
    text = render(run(tmp_path, "  wide: {path: wide.parquet}\n").section)
    assert "| `c59` |" in text and "| `c60` |" not in text
    assert "15 more columns not shown; all are in the result JSON" in text


def test_a_large_psi_on_few_rows_is_no_alarm_and_the_chance_level_is_stated(tmp_path):
    rng = np.random.default_rng(5)
    for side in ("base", "head"):
        write(tmp_path / side, "d.csv", pd.DataFrame({"x": rng.normal(0, 1, 30)}))
    result = run(tmp_path, "  d: {path: d.csv}\n")
    section = result.section["datasets"][0]
    assert section["psi_chance"] == pytest.approx(9 * (1 / 30 + 1 / 30))
    (row,) = section["drift"]
    assert row["psi"] >= 0.2 and row["ks_pvalue"] > 0.01 and row["alarm"] is False and row["unjudged"] is True
    text = render(result.section)
    assert "would be about 0.60 at these sizes" in text and "⚠️ |" not in text
    assert f"| {row['psi']:.2f} (not judged) |" in text  # never read as a bare pass


def test_a_gzipped_csv_and_a_tsv_are_read_by_their_names(tmp_path):
    frame = classified(200)
    write(tmp_path / "head", "data/train.csv.gz", frame, compression="gzip")
    write(tmp_path / "head", "data/test.tsv", frame, sep="\t")
    result = run(tmp_path, "  train: {path: data/train.csv.gz}\n  test: {path: data/test.tsv}\n")
    assert result.head["data.train.rows"] == result.head["data.test.rows"] == 200
    assert result.head["data.test.columns"] == 4


def test_progress_is_one_step_for_the_whole_family(tmp_path):
    import io

    from mlgate.edges.progress import Progress

    write(tmp_path / "head", "data/train.csv", classified(50))
    stream = io.StringIO()
    family.compute(config(TRAIN), DirectorySide("head", None, tmp_path / "head"), None, progress=Progress(stream))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "mlgate: data: profiling train at the head"
    assert lines[1].startswith("mlgate: data: profiling train at the head: done in ") and len(lines) == 2


def test_columns_whose_keys_collide_are_named(tmp_path):
    write(tmp_path / "head", "d.csv", pd.DataFrame({"a.b": [1], "a_b": [2]}))
    assert error_of(tmp_path, "  d: {path: d.csv}\n") == (
        "data.d: columns 'a.b' and 'a_b' both become 'a_b' in metric keys (a '.' is written '_'); rename one of them"
    )


def test_a_binary_parquet_column_is_profiled_as_categories(tmp_path):
    frame = pd.DataFrame({"blob": [b"\x00\x01", b"\xff", b"\x00\x01", None]})
    write(tmp_path / "head", "d.parquet", frame)
    write(tmp_path / "base", "d.parquet", frame)
    result = run(tmp_path, "  d: {path: d.parquet}\n")
    assert result.head["data.d.columns.blob.distinct"] == 2
    assert result.head["data.d.columns.blob.missing_share"] == 0.25
    assert result.head["data.d.drift.blob.psi"] == 0.0


def test_the_schema_fingerprint_counts_types_and_hashes_names(tmp_path):
    write(tmp_path / "head", "a.parquet", pd.DataFrame({"x": [1.0], "y": [2.0], "n": [1], "s": ["u"]}))
    write(tmp_path / "head", "b.parquet", pd.DataFrame({"x": [1.0], "z": [2.0], "n": [1], "s": ["u"]}))
    result = run(tmp_path, "  a: {path: a.parquet}\n  b: {path: b.parquet}\n")
    a, b = result.head["data.a.schema"], result.head["data.b.schema"]
    assert a.startswith("4 columns: 2 double, 1 int64, 1 string #") and len(a.rpartition("#")[2]) == 8
    assert b.rpartition("#")[0] == a.rpartition("#")[0] and b != a  # a renamed column changes the hash


def test_a_csv_of_blank_lines_has_no_header(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("\n\n")
    assert error_of(tmp_path, "  train: {path: data/train.csv}\n") == (
        "data.train: data/train.csv at the head: the file holds no header row; write the data there or fix the path"
    )


def test_a_crafted_section_renders_inert(tmp_path):
    """A result file is untrusted in publish mode: every text the section holds goes through an escape."""
    write(tmp_path / "head", "data/train.csv", classified(50))
    write(tmp_path / "base", "data/train.csv", classified(60, seed=1).drop(columns=["income"]))
    section = run(tmp_path, TRAIN).section
    d = section["datasets"][0]
    d["columns"]["head"] = "<img src=x onerror=alert(1)>"
    d["drift_total"] = "[click](https://evil.example)"
    d["schema_changes"][0]["change"] = "@everyone <b>"
    text = render(section)
    assert text.count("<img") == text.count("`<img src=x onerror=alert(1)>`") == 1  # inside a code span
    assert text.count("[click](https://evil.example)") == text.count("`[click](https://evil.example)`") == 1
    assert "<b>" not in text and "`@everyone` &lt;b&gt;" in text  # a would-be mention in a code span: inert
    assert "@everyone" not in re.sub(r"(`+).*?\1", "", text)


# -- names and headers -----------------------------------------------------------------------------------

def test_a_column_named_twice_is_one_line_naming_file_and_column(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("age,label,label\n1,0,1\n")
    assert error_of(tmp_path, TRAIN) == (
        "data.train: data/train.csv at the head: column 'label' appears 2 times among the file's columns; rename "
        "all but one (every column needs its own name)"
    )


def test_a_parquet_column_named_twice_is_one_line(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "head").mkdir()
    pq.write_table(pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"]), tmp_path / "head" / "d.parquet")
    assert error_of(tmp_path, "  d: {path: d.parquet}\n") == (
        "data.d: d.parquet at the head: column 'a' appears 2 times among the file's columns; rename all but one "
        "(every column needs its own name)"
    )


def tsv_without_header(path: Path, rows: int = 300, seed: int = 0) -> None:
    """Rows like DVC's get-started prepare stage writes: an id, a 0/1 label and a text, no header row."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for i in range(rows):
            out.write(f"{rng.integers(1, 100_000)}\t{rng.integers(0, 2)}\tsome words about item {i}\n")


def test_a_first_row_that_looks_like_data_is_read_as_data(tmp_path):
    tsv_without_header(tmp_path / "head" / "data" / "train.tsv")
    result = run(tmp_path, "  train: data/train.tsv\n")
    assert result.head["data.train.rows"] == 300  # the first row counted, not taken for names
    assert result.head["data.train.columns"] == 3
    assert result.head["data.train.columns.column_2.distinct"] == 2
    [note] = result.warnings
    assert note.startswith("data.train: data/train.tsv at the head: the first row (")
    assert note.endswith("so the file was read without a header, as columns column_1…column_3; set "
                         "data.train.header: true if it is a header, or name the columns with data.train.columns")


def test_columns_name_a_file_without_a_header(tmp_path):
    tsv_without_header(tmp_path / "head" / "data" / "train.tsv")
    result = run(tmp_path, "  train: {path: data/train.tsv, columns: [id, label, text], target: label}\n")
    assert result.head["data.train.rows"] == 300 and result.head["data.train.target.classes"] == 2
    assert "data.train.columns.text.distinct" in result.head and not result.warnings
    result = run(tmp_path, "  train: {path: data/train.tsv, header: false}\n")
    assert "data.train.columns.column_3.distinct" in result.head and not result.warnings


def test_columns_of_the_wrong_count_are_one_line(tmp_path):
    tsv_without_header(tmp_path / "head" / "data" / "train.tsv")
    assert error_of(tmp_path, "  train: {path: data/train.tsv, columns: [id, text]}\n") == (
        "data.train: data/train.tsv at the head: data.train.columns names 2 columns but the file's rows have 3; "
        "name every column, in order"
    )


def test_header_true_keeps_a_numeric_looking_header(tmp_path):
    tsv_without_header(tmp_path / "head" / "data" / "train.tsv")
    result = run(tmp_path, "  train: {path: data/train.tsv, header: true}\n")
    assert result.head["data.train.rows"] == 299 and not result.warnings


@pytest.mark.parametrize("header", ["0,1,2", ",0,1", "2019,2020,2021", "x,y,z", "id,0.5,label"])
def test_headers_that_are_names_stay_headers(tmp_path, header):
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{rng.integers(0, 3000)},{rng.random():.3f},{rng.integers(0, 2)}" for _ in range(100))
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "d.csv").write_text(header + "\n" + rows + "\n")
    result = run(tmp_path, "  d: d.csv\n")
    assert result.head["data.d.rows"] == 100 and not result.warnings


def test_pandas_name_of_a_lone_column_stays_a_header(tmp_path):
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "d.csv").write_text("0\n" + "".join(f"{i / 10 - 2}\n" for i in range(40)))
    result = run(tmp_path, "  d: d.csv\n")
    assert result.head["data.d.rows"] == 40 and "data.d.columns.0.mean" in result.head


def test_a_lone_numeric_column_without_a_header_is_read_as_data(tmp_path):
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "d.csv").write_text("".join(f"{i / 10 + 1}\n" for i in range(40)))
    result = run(tmp_path, "  d: d.csv\n")
    assert result.head["data.d.rows"] == 40 and result.head["data.d.columns.column_1.min"] == 1.0


def test_a_number_header_outside_the_values_is_a_header(tmp_path):
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "d.csv").write_text("name,2024\n" + "".join(f"n{i},{0.5 + i / 1000}\n" for i in range(50)))
    result = run(tmp_path, "  d: d.csv\n")
    assert result.head["data.d.rows"] == 50 and "data.d.columns.2024.mean" in result.head


def test_header_options_on_a_parquet_file_are_one_line(tmp_path):
    write(tmp_path / "head", "d.parquet", classified(10))
    assert error_of(tmp_path, "  d: {path: d.parquet, header: false}\n") == (
        "data.d: d.parquet at the head: header and columns are CSV options and this is a Parquet file (its "
        "columns are named inside it); remove them from data.d"
    )


# -- nothing checked is no pass; a mistyped reference is no switch ---------------------------------------

def test_a_reference_absent_at_the_head_is_one_line_naming_the_key(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(50))
    assert error_of(tmp_path, "  train: {path: data/train.csv, reference: data/nope.csv}\n") == (
        "data.train.reference: data/nope.csv does not exist at the head, so drift against it cannot be measured; "
        "fix the path, or run the stage that writes it (dvc repro / dvc pull)"
    )


def test_a_reference_absent_at_the_base_only_is_measured_at_the_head(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(50))
    write(tmp_path / "head", "prod.csv", classified(50, seed=3))
    result = run(tmp_path, "  train: {path: data/train.csv, reference: prod.csv}\n")
    assert "data.train.reference_drift.age.psi" in result.head


def test_a_reference_sharing_no_column_is_one_line(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(50))
    write(tmp_path / "head", "prod.csv", pd.DataFrame({"when": ["mon", "tue"], "count": [1, 2]}))
    assert error_of(tmp_path, "  train: {path: data/train.csv, reference: prod.csv}\n") == (
        "data.train.reference: prod.csv shares no column with data.train (age, income, region, label against "
        "when, count), so no drift can be measured; point it at the same kind of data"
    )


def test_a_reference_without_rows_is_one_line(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(50))
    (tmp_path / "head" / "prod.csv").write_text("age,income\n")
    assert error_of(tmp_path, "  train: {path: data/train.csv, reference: prod.csv}\n") == (
        "data.train.reference: prod.csv at the head holds no rows, so nothing in it can be checked; write the "
        "rows (run the stage that writes it), or fix the path"
    )


def test_a_reference_sharing_only_an_identifier_is_one_line(tmp_path):
    write(tmp_path / "head", "data/train.csv", classified(50).assign(id=range(50)))
    write(tmp_path / "head", "prod.csv", pd.DataFrame({"id": range(30), "other": [1.0] * 30}))
    assert error_of(tmp_path, "  train: {path: data/train.csv, reference: prod.csv}\n") == (
        "data.train.reference: no column of prod.csv could be compared with data.train ('id': a row identifier "
        "(named 'id'), not compared), so no drift can be measured; point it at the same kind of data"
    )


def test_row_identifiers_have_no_drift_metrics(tmp_path):
    write(tmp_path / "base", "data/train.csv", classified(300, seed=1).assign(id=range(300), uid=range(300)))
    write(tmp_path / "head", "data/train.csv", classified(300, seed=2).assign(id=range(900, 1200),
                                                                               uid=range(900, 1200)))
    cfg = parse_config("version: 1\ndata:\n" + TRAIN + "predictions: {path: p.csv, label: label, prediction: pred, "
                       "id: uid}\n")
    result = family.compute(cfg, DirectorySide("head", None, tmp_path / "head"),
                            DirectorySide("base", None, tmp_path / "base"))
    assert "data.train.drift.age.psi" in result.head
    assert not any(k.startswith(("data.train.drift.id.", "data.train.drift.uid.")) for k in result.head)
    skips = {s["column"]: s["why"] for s in result.section["datasets"][0]["skips"]}
    assert skips == {"id": "a row identifier (named 'id'), not compared",
                     "uid": "the predictions' id column (predictions.id): a row identifier, not compared"}


def test_a_symlink_out_of_the_project_is_outside_the_repository_not_absent(tmp_path):
    write(tmp_path, "elsewhere/prod.csv", classified(50))
    write(tmp_path / "head", "data/train.csv", classified(50))
    (tmp_path / "head" / "prod.csv").symlink_to(tmp_path / "elsewhere" / "prod.csv")
    assert error_of(tmp_path, "  train: {path: data/train.csv, reference: prod.csv}\n") == (
        "data.train.reference: prod.csv at the head is a symlink that leads outside the repository; mlgate reads "
        "data inside the repository only: copy the file in, or track it with DVC (dvc add / dvc import)"
    )


def test_a_glob_partition_linked_out_of_the_project_is_refused_not_dropped(tmp_path):
    write(tmp_path, "elsewhere/part-9.parquet", classified(50))
    write(tmp_path / "head", "data/part-0.parquet", classified(50))
    (tmp_path / "head" / "data" / "part-9.parquet").symlink_to(tmp_path / "elsewhere" / "part-9.parquet")
    assert "data/part-9.parquet at the head is a symlink that leads outside the repository" in error_of(
        tmp_path, "  train: {path: 'data/part-*.parquet'}\n")


def test_a_symlink_into_git_is_refused(tmp_path):
    (tmp_path / "head" / ".git").mkdir(parents=True)
    (tmp_path / "head" / ".git" / "config").write_text("[core]\n")
    (tmp_path / "head" / "d.csv").symlink_to(tmp_path / "head" / ".git" / "config")
    assert error_of(tmp_path, "  d: d.csv\n") == (
        "data.d.path: d.csv at the head leads into .git/, git's own files, not a dataset; point it at a CSV or "
        "Parquet file in the project"
    )


def test_a_base_file_linked_out_of_the_project_is_a_warning(tmp_path):
    write(tmp_path, "elsewhere/train.csv", classified(50))
    write(tmp_path / "head", "data/train.csv", classified(50))
    (tmp_path / "base" / "data").mkdir(parents=True)
    (tmp_path / "base" / "data" / "train.csv").symlink_to(tmp_path / "elsewhere" / "train.csv")
    result = run(tmp_path, TRAIN)
    assert result.warnings == ("data.train.path: data/train.csv at the base is a symlink that leads outside the "
                               "repository; mlgate reads data inside the repository only: copy the file in, or "
                               "track it with DVC (dvc add / dvc import) (the base is not compared)",)
    assert result.section["datasets"][0]["base_note"].startswith("the base's file could not be read")


# -- what a message quotes from a file is bounded ---------------------------------------------------------

def test_binary_bytes_are_not_echoed(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_bytes(b"a\n" + rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    message = error_of(tmp_path, TRAIN)
    assert message.startswith("data.train: data/train.csv at the head: ")
    assert len(message) < 300 and "\ufffd" not in message
    assert all(c.isprintable() for c in message)


def test_a_huge_field_is_quoted_short(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("a,b\n1,2,3," + "x" * 50_000 + "\n")
    message = error_of(tmp_path, TRAIN)
    assert message.startswith("data.train: data/train.csv at the head: not a readable CSV file (CSV parse error: "
                              "Expected 2 columns, got 4: 1,2,3,xxx")
    assert len(message) < 320


def test_a_huge_column_name_is_quoted_short(tmp_path):
    (tmp_path / "head" / "data").mkdir(parents=True)
    (tmp_path / "head" / "data" / "train.csv").write_text("y" * 50_000 + ",age\n1,2\n")
    message = error_of(tmp_path, TRAIN)
    assert message.startswith("data.train: data/train.csv at the head: target column 'label' is not in the file "
                              "(columns: yyy")
    assert message.endswith("…); fix data.train.target") and len(message) < 320


def test_infinities_give_numbers_not_warnings(tmp_path):
    # warnings are errors under pytest: a RuntimeWarning from numpy would fail this test
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "d.csv").write_text("x,y\n1,inf\n-1,-inf\n1e308,2\n1e308,3\n")
    result = run(tmp_path, "  d: d.csv\n")
    assert result.head["data.d.rows"] == 4 and "data.d.drift.x.psi" in result.head
