"""Stream a dataset's files (CSV or Parquet; one file or a glob of partitions) into a DatasetProfile.

Engine: pyarrow. Parquet is read one row group at a time in batches (``ParquetFile.iter_batches`` per row
group: over the whole file it reads ahead and held 1.1 GiB for a 0.9 GB file, per group 0.4 GiB), CSV
block by block (``pyarrow.csv.open_csv``, gzip/bz2/zstd detected from the file name), so memory is
bounded by a row group or a block and the profile, not the file. Each file is profiled on its own and the profiles are merged.

Every way a file can be unreadable becomes one ``InputError`` line naming the dataset, the file, the
revision and the fix. CSV types are inferred from the first block (8 MiB); when a later block holds a
decimal in a column inferred as integers the file is read again with that column as floats; a later
block holding text in a numeric column is an error (mixed types). A column name used twice is an error.

A CSV's first row is its header unless ``header: false`` or ``columns`` says otherwise, or it looks like a
row of data: each column Arrow typed as numbers is named by a number among that column's values, and the
names are no run of consecutive integers. Such a file is read as data (columns ``column_1`` …) and
``DatasetReader.notes`` says so. What a message quotes from a file is bounded (``text.safe.excerpt``), and
bytes that are not text are never echoed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mlgate.config.schema import DatasetConfig
from mlgate.errors import InputError
from mlgate.families.data.profile import NUMERIC, DatasetProfile, SchemaMismatch, kind_of, quiet_numbers
from mlgate.text.safe import excerpt, quoted

BATCH_ROWS = 262_144
CSV_BLOCK = 8 << 20
_GLOB = re.compile(r"[*?\[]")
_CONVERSION = re.compile(r"CSV column #(\d+).*?(?:Row #(\d+): )?CSV conversion error to (\w+): invalid value '(.*)'")
_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


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
        self.notes: list[str] = []  # what the reader decided on its own (a first row read as data)

    def profile(self, files: list[tuple[str, Path]]) -> DatasetProfile:
        """The merged profile of the files, given as (project-relative name, local path)."""
        total: DatasetProfile | None = None
        first = ""
        for rel, path in files:
            with quiet_numbers():
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
            if self.dataset.header is not None or self.dataset.columns is not None:
                raise InputError(f"{where}: header and columns are CSV options and this is a Parquet file (its "
                                 f"columns are named inside it); remove them from data.{self.name}")
            return self._profile(where, *self._parquet(where, path), seed=seed)
        column_types: dict[str, pa.DataType] = {}
        while True:
            schema, batches = self._csv(where, path, column_types)
            try:
                return self._profile(where, schema, batches, seed=seed)
            except _Retype as retype:
                column_types[retype.column] = pa.float64()

    def _profile(self, where: str, schema: pa.Schema, batches: Iterator[pa.RecordBatch], *, seed: int) -> DatasetProfile:
        self._check_names(where, schema)
        self._check_target(where, schema)
        profile = DatasetProfile.empty(schema, self.categorical)
        for batch in batches:
            profile.add(batch, seed)
        return profile

    def _check_names(self, where: str, schema: pa.Schema) -> None:
        seen: set[str] = set()
        for name in schema.names:
            if name in seen:
                count = schema.names.count(name)
                raise InputError(
                    f"{where}: column {quoted(name, 60)} appears {count} times among the file's columns; rename all but one "
                    "(every column needs its own name)"
                )
            seen.add(name)

    def _check_target(self, where: str, schema: pa.Schema) -> None:
        target = self.dataset.target
        if target is not None and target not in schema.names:
            shown = excerpt(", ".join(schema.names[:10]) + (" …" if len(schema.names) > 10 else ""), 200)
            raise InputError(
                f"{where}: target column {quoted(target, 60)} is not in the file (columns: {shown}); "
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
        header = False if dataset.columns is not None else dataset.header
        names = dataset.columns
        if header is False:
            count = self._count_columns(where, path, delimiter)
            if names is not None and count != len(names):
                raise InputError(f"{where}: data.{self.name}.columns names {len(names)} column"
                                 f"{'s' if len(names) != 1 else ''} but the file's rows have {count}; name every "
                                 "column, in order")
            names = names or _generated(count)
        stream, reader = self._open_csv(where, path, delimiter, column_types, names)
        first: list[pa.RecordBatch] = []
        if header is None:
            data_like, first = self._first_row_is_data(where, reader, stream)
            if data_like:
                shown, n = excerpt(", ".join(reader.schema.names), 60), len(reader.schema)
                stream.close()
                first = []
                stream, reader = self._open_csv(where, path, delimiter, column_types, _generated(n))
                self.notes.append(
                    f"{where}: the first row ({shown}) looks like data, not a header (its numbers fall among the "
                    f"values below them), so the file was read without a header, as columns column_1…column_{n}; "
                    f"set data.{self.name}.header: true if it is a header, or name the columns with "
                    f"data.{self.name}.columns"
                )
        schema = reader.schema
        self._check_delimiter(where, schema, delimiter)
        undecodable = [f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
        if undecodable:
            stream.close()
            raise InputError(
                f"{where}: column {quoted(undecodable[0], 60)} is not valid {dataset.encoding} text; "
                f"set data.{self.name}.encoding, e.g. latin-1 or cp1252"
            )

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from first
                for batch in reader:  # noqa: UP028 - not `yield from`, which would close the reader on close()
                    yield batch
            except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
                raise self._read_error(where, exc, schema) from None
            finally:
                stream.close()

        return schema, batches()

    def _open_csv(self, where: str, path: Path, delimiter: str, column_types: dict[str, pa.DataType],
                  names: list[str] | None = None, *, autogenerate: bool = False) -> tuple[Any, Any]:
        """The input stream and Arrow's streaming reader (which has read and typed the first block); ``names``:
        the columns of a file without a header row."""
        stream = pa.input_stream(str(path), compression="detect")
        try:
            reader = pa_csv.open_csv(
                stream,
                read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK, encoding=self.dataset.encoding,
                                                column_names=names, autogenerate_column_names=autogenerate),
                # tab-separated values have no quoting (IANA text/tab-separated-values; DVC's get-started writes
                # question texts that open with a quote): a '"' is text there, never the start of a quoted field
                parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False if delimiter == "\t" else '"'),
                convert_options=pa_csv.ConvertOptions(column_types=column_types),
            )
        except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
            stream.close()
            found = _COUNT.search(str(exc))
            if found and self.dataset.columns is not None:
                raise InputError(f"{where}: data.{self.name}.columns names {found.group(1)} columns but a row has "
                                 f"{found.group(2)}; name every column, in order") from None
            raise self._csv_error(where, exc, []) from None
        return stream, reader

    def _count_columns(self, where: str, path: Path, delimiter: str) -> int:
        stream, reader = self._open_csv(where, path, delimiter, {}, autogenerate=True)
        stream.close()
        return len(reader.schema)

    def _first_row_is_data(self, where: str, reader: Any, stream: Any) -> tuple[bool, list[pa.RecordBatch]]:
        """Whether the header row looks like a row of data: every column Arrow typed as numbers (from the rows
        below) is named by a number among that column's first values, and the names are not a run of
        consecutive integers (pandas' 0, 1, 2 … or years). Also the first block read, to read on from."""
        schema = reader.schema
        numeric = [i for i, f in enumerate(schema) if kind_of(f.type) == NUMERIC]
        names = schema.names
        if not numeric or not all(_NUMBER.fullmatch(names[i]) for i in numeric) or _consecutive(names):
            return False, []
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return False, []
        except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
            stream.close()
            raise self._read_error(where, exc, schema) from None
        for i in numeric:
            text, dtype = names[i], schema.field(i).type
            if pa.types.is_integer(dtype) and not _INTEGER.fullmatch(text):
                return False, [batch]
            bounds = pc.min_max(batch.column(i))
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is None or not low - (high - low) <= float(text) <= high + (high - low):
                return False, [batch]
        return True, [batch]

    def _read_error(self, where: str, exc: Exception, schema: pa.Schema) -> Exception:
        retype = self._retype(exc, schema)
        return retype if retype is not None else self._csv_error(where, exc, schema.names)

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
                f"{where}: column {quoted(column, 60)} holds {found.group(3)} values in its first rows but "
                f"{quoted(found.group(4), 60)} later (mixed types); make the column one type, e.g. write missing "
                "numbers as empty fields"
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
                    f"{where}: read as one column {quoted(header, 60)}, which looks delimited by {shown!r}; "
                    f"set data.{self.name}.delimiter: {shown!r}"
                )


def profile_job(name: str, dataset: DatasetConfig, revision: str, categorical: tuple[str, ...],
                files: list[tuple[str, str]]) -> tuple[str, object]:
    """``DatasetReader.profile`` for a child process: ("ok", the profile as a dict) or ("error", message)."""
    reader = DatasetReader(name, dataset, revision, categorical)
    try:
        return "ok", (reader.profile([(rel, Path(path)) for rel, path in files]).to_dict(), reader.notes)
    except InputError as exc:
        return "error", str(exc)


class _Retype(Exception):
    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def _first_line(exc: Exception) -> str:
    """The first line of a parser's complaint, bounded: it may quote the file's bytes."""
    lines = str(exc).strip().splitlines()
    if not lines:
        return type(exc).__name__
    line = lines[0]
    odd = next((i for i, c in enumerate(line) if c == "\ufffd" or not (c.isprintable() or c == "\t")), None)
    if odd is not None:  # the parser quoted bytes that are not text: say so instead of echoing them
        line = line[: line.rfind(": ", 0, odd) if ": " in line[:odd] else odd].rstrip(": ") + ": not text (binary bytes)"
    return excerpt(line, 160)


def _generated(count: int) -> list[str]:
    return [f"column_{i}" for i in range(1, count + 1)]


def _consecutive(names: list[str]) -> bool:
    """Names that are at least two consecutive integers (0, 1, 2 …; 2019, 2020 …) or a lone 0, a leading
    empty name (pandas' index column) aside: column names, not a row of data."""
    numbers = names[1:] if names and not names[0].strip() else names
    if len(numbers) < 2:
        return [n.strip() for n in numbers] == ["0"]  # pandas' name of a lone unnamed column
    if not all(_INTEGER.fullmatch(n) for n in numbers):
        return False
    values = [int(n) for n in numbers]
    return all(b - a == 1 for a, b in zip(values, values[1:]))
