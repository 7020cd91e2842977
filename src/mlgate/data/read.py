"""Stream a dataset's files (CSV or Parquet; one file or a glob of partitions) into a DatasetProfile.

Engine: pyarrow. Parquet is read one row group at a time in batches (``ParquetFile.iter_batches`` per row
group: over the whole file it reads ahead and held 1.1 GiB for a 0.9 GB file, per group 0.4 GiB), CSV
block by block (``pyarrow.csv.open_csv``, gzip/bz2/zstd detected from the file name), so memory is
bounded by a row group or a block and the profile, not the file. Each file is profiled on its own and the profiles are merged.

Every way a file can be unreadable becomes one ``InputError`` line naming the dataset, the file, the
revision and the fix. CSV types are inferred from the first block (8 MiB); when a later block holds a
decimal in a column inferred as integers the file is read again with that column as floats; a later
block holding text in a numeric column is an error (mixed types).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mlgate.config import DatasetConfig
from mlgate.data.profile import DatasetProfile, SchemaMismatch
from mlgate.errors import InputError

BATCH_ROWS = 262_144
CSV_BLOCK = 8 << 20
_GLOB = re.compile(r"[*?\[]")
_CONVERSION = re.compile(r"CSV column #(\d+).*?(?:Row #(\d+): )?CSV conversion error to (\w+): invalid value '(.*)'")


def is_glob(path: str) -> bool:
    return bool(_GLOB.search(path))


def file_format(rel: str, dataset: DatasetConfig) -> str:
    if dataset.format:
        return dataset.format
    name = rel.lower()
    for suffix in (".gz", ".bz2", ".zst", ".lz4"):
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq", ".parq")):
        return "parquet"
    return "csv"


class DatasetReader:
    """Reads one dataset at one revision; messages name ``data.<name>`` and the revision."""

    def __init__(self, name: str, dataset: DatasetConfig, revision: str, categorical: tuple[str, ...] = ()) -> None:
        self.name = name
        self.dataset = dataset
        self.revision = revision
        self.categorical = categorical

    def profile(self, files: list[tuple[str, Path]]) -> DatasetProfile:
        """The merged profile of the files, given as (project-relative name, local path)."""
        total: DatasetProfile | None = None
        first = ""
        for rel, path in files:
            one = self.profile_file(rel, path)
            if total is None:
                total, first = one, rel
                continue
            try:
                total.merge(one)
            except SchemaMismatch as exc:
                raise InputError(
                    f"data.{self.name}: {first} and {rel} at the {self.revision} differ: {exc}; "
                    "partitions of one dataset must share one schema (mixed types in a column)"
                ) from None
        assert total is not None
        return total

    def profile_file(self, rel: str, path: Path) -> DatasetProfile:
        where = f"data.{self.name}: {rel} at the {self.revision}"
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"{where}: cannot read: {exc.strerror or exc}; check the path and its permissions") from None
        if size == 0:
            raise InputError(f"{where}: the file is empty (0 bytes); write the data there or fix data.{self.name}.path")
        seed = zlib.crc32(rel.encode("utf-8"))
        if file_format(rel, self.dataset) == "parquet":
            return self._profile(where, *self._parquet(where, path), seed=seed)
        column_types: dict[str, pa.DataType] = {}
        while True:
            schema, batches = self._csv(where, path, column_types)
            try:
                return self._profile(where, schema, batches, seed=seed)
            except _Retype as retype:
                column_types[retype.column] = pa.float64()

    def _profile(self, where: str, schema: pa.Schema, batches: Iterator[pa.RecordBatch], *, seed: int) -> DatasetProfile:
        self._check_target(where, schema)
        profile = DatasetProfile.empty(schema, self.categorical)
        for batch in batches:
            profile.add(batch, seed)
        return profile

    def _check_target(self, where: str, schema: pa.Schema) -> None:
        target = self.dataset.target
        if target is not None and target not in schema.names:
            shown = ", ".join(schema.names[:10]) + (" …" if len(schema.names) > 10 else "")
            raise InputError(
                f"{where}: target column {target!r} is not in the file (columns: {shown}); "
                f"fix data.{self.name}.target"
            )

    # -- Parquet ---------------------------------------------------------------------------------------

    def _parquet(self, where: str, path: Path) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        try:
            schema = pq.read_schema(path)
            # Text as dictionaries: counting categories then touches small integers, not every string.
            text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            handle = pq.ParquetFile(path, read_dictionary=text)
            schema = handle.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{where}: not a readable Parquet file ({_first_line(exc)}); the file is truncated or not "
                "Parquet: rewrite it, or set format: csv"
            ) from None

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for group in range(handle.num_row_groups):  # one row group at a time: no read-ahead of
                    yield from handle.iter_batches(batch_size=BATCH_ROWS, row_groups=[group])  # the next ones
            except (pa.ArrowException, OSError) as exc:
                raise InputError(f"{where}: reading failed part-way ({_first_line(exc)}); the file is truncated "
                                 "or corrupt: rewrite it") from None

        return schema, batches()

    # -- CSV -------------------------------------------------------------------------------------------

    def _csv(self, where: str, path: Path,
             column_types: dict[str, pa.DataType]) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        dataset = self.dataset
        delimiter = dataset.delimiter or ("\t" if ".tsv" in path.name.lower() else ",")
        try:
            stream = pa.input_stream(str(path), compression="detect")
            reader = pa_csv.open_csv(
                stream,
                read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK, encoding=dataset.encoding),
                parse_options=pa_csv.ParseOptions(delimiter=delimiter),
                convert_options=pa_csv.ConvertOptions(column_types=column_types),
            )
        except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
            raise self._csv_error(where, exc, []) from None
        schema = reader.schema
        self._check_delimiter(where, schema, delimiter)
        undecodable = [f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
        if undecodable:
            stream.close()
            raise InputError(
                f"{where}: column {undecodable[0]!r} is not valid {dataset.encoding} text; "
                f"set data.{self.name}.encoding, e.g. latin-1 or cp1252"
            )

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for batch in reader:
                    yield batch
            except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
                retype = self._retype(exc, schema)
                if retype is not None:
                    raise retype from None
                raise self._csv_error(where, exc, schema.names) from None
            finally:
                stream.close()

        return schema, batches()

    def _retype(self, exc: Exception, schema: pa.Schema) -> _Retype | None:
        found = _CONVERSION.search(str(exc))
        if not found or not found.group(3).startswith(("int", "uint")):
            return None
        try:
            float(found.group(4))
        except ValueError:
            return None
        return _Retype(schema.names[int(found.group(1))])

    def _csv_error(self, where: str, exc: Exception, names: list[str]) -> InputError:
        message = _first_line(exc)
        found = _CONVERSION.search(str(exc))
        if found and names:
            column = names[int(found.group(1))] if int(found.group(1)) < len(names) else f"#{found.group(1)}"
            return InputError(
                f"{where}: column {column!r} holds {found.group(3)} values in its first rows but {found.group(4)!r} "
                "later (mixed types); make the column one type, e.g. write missing numbers as empty fields"
            )
        if "UTF8" in message or "utf-8" in message.lower() or "decode" in message.lower():
            return InputError(
                f"{where}: the text is not valid {self.dataset.encoding} ({message}); "
                f"set data.{self.name}.encoding, e.g. latin-1 or cp1252"
            )
        if "Empty CSV file" in message:
            return InputError(f"{where}: the file holds no header row; write the data there or fix the path")
        return InputError(
            f"{where}: not a readable CSV file ({message}); fix the file, or set data.{self.name}.format / "
            "delimiter / encoding"
        )

    def _check_delimiter(self, where: str, schema: pa.Schema, delimiter: str) -> None:
        if self.dataset.delimiter is not None or len(schema.names) != 1:
            return
        header = schema.names[0]
        for other in (";", "\t", "|"):
            if other != delimiter and other in header:
                shown = "\\t" if other == "\t" else other
                raise InputError(
                    f"{where}: read as one column {header[:60]!r}, which looks delimited by {shown!r}; "
                    f"set data.{self.name}.delimiter: {shown!r}"
                )


def profile_job(name: str, dataset: DatasetConfig, revision: str, categorical: tuple[str, ...],
                files: list[tuple[str, str]]) -> tuple[str, object]:
    """``DatasetReader.profile`` for a child process: ("ok", the profile as a dict) or ("error", message)."""
    reader = DatasetReader(name, dataset, revision, categorical)
    try:
        return "ok", reader.profile([(rel, Path(path)) for rel, path in files]).to_dict()
    except InputError as exc:
        return "error", str(exc)


class _Retype(Exception):
    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
