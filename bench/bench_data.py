"""Issue 12's target: profile and drift of a 10,000,000-row x 20-column Parquet dataset against its base in
under 30 s on 2 cores with peak memory under 2 GiB; and the same for a 1 GB CSV.

Generates the datasets once into .bench/data (10 numeric float64 columns, 10 text columns of 5 to 200
categories; the head shifts two numeric columns and moves one category's share), then runs the data
family's ``compute()`` on head and base in a fresh child process, which reports its wall time and peak
resident memory (``ru_maxrss``), so generating the data never counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench" / "data"
ROWS = 10_000_000
CHUNK = 1_000_000
CSV_BYTES = 1_000_000_000

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from mlgate.config.load import parse_config
from mlgate.families import DirectorySide
from mlgate.families.data import family
root, rel = Path(sys.argv[1]), sys.argv[2]
config = parse_config(f"version: 1\ndata:\n  train: {{path: {rel}}}\n")
start = time.perf_counter()
result = family.compute(config, DirectorySide("head", None, root / "head"), DirectorySide("base", None, root / "base"))
seconds = time.perf_counter() - start
section = result.section["datasets"][0]
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the process profiling the base
print(json.dumps({"seconds": seconds, "rss_mib": own + child, "own_mib": own, "child_mib": child,
                  "rows": [section["rows"]["base"], section["rows"]["head"]], "metrics": len(result.head),
                  "top": [(d["column"], round(d["psi"], 3)) for d in section["drift"][:3]]}))
"""


def _chunk(rng: np.random.Generator, n: int, head: bool) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for i in range(10):
        shift = 0.25 if head and i in (0, 1) else 0.0
        columns[f"num_{i}"] = pa.array(rng.normal(i + shift, 1 + i / 10, n))
    for i in range(10):
        k = (5, 10, 20, 50, 200)[i % 5]
        names = pa.array([f"c{i}_{j}" for j in range(k)])
        p = np.full(k, 1 / k)
        if head and i == 0:
            p[0], p[1:] = 0.5, 0.5 / (k - 1)
        columns[f"cat_{i}"] = pa.DictionaryArray.from_arrays(pa.array(rng.choice(k, n, p=p).astype(np.int32)), names)
    return pa.table(columns)


def _parquet(path: Path, head: bool) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1 if head else 0)
    writer = None
    for _ in range(ROWS // CHUNK):
        table = _chunk(rng, CHUNK, head)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()


def _csv(path: Path, head: bool) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3 if head else 2)
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        while sink.tell() < CSV_BYTES:
            table = _chunk(rng, 200_000, head)
            table = pa.table({n: (c.cast(pa.string()) if n.startswith("cat") else c) for n, c in zip(table.column_names, table.columns)})
            if writer is None:
                writer = pa_csv.CSVWriter(sink, table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()


def _measure(rel: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(DATA), rel], capture_output=True, text=True,
                         cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    return json.loads(out.stdout)


def main() -> str:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    for side in ("base", "head"):
        _parquet(DATA / side / "train.parquet", side == "head")
        _csv(DATA / side / "train.csv", side == "head")
    generated = time.perf_counter() - started
    rows = []
    for label, rel in (("Parquet, 10,000,000 rows × 20 columns", "train.parquet"), ("CSV, 1 GB", "train.csv")):
        size = (DATA / "head" / rel).stat().st_size
        m = _measure(rel)
        ok = m["seconds"] < 30 and m["rss_mib"] < 2048
        rows.append(f"| {label} ({size / 1e9:.2f} GB each side, {m['rows'][1]:,} rows) | {m['seconds']:.1f} s | "
                    f"{m['rss_mib']:,.0f} MiB ({m['own_mib']:,.0f} + {m['child_mib']:,.0f}) | < 30 s, < 2 GiB | "
                    f"{'yes' if ok else '**no**'} | "
                    f"{', '.join(f'{c} {p}' for c, p in m['top'])} |")
    table = "\n".join(rows)
    return f"""## Data: profile and drift of a large dataset against its base (issue 12)

Command: `make bench` (module `bench/bench_data.py`; `python bench/run.py data` runs it alone). One run each
(not a median: each takes seconds), in a fresh child process: the data family's `compute()` on the head
and the base, i.e. two full profiles (pyarrow batches, one Parquet row group of 1,000,000 rows or one
8 MiB CSV block at a time; per column exact counts and moments, HyperLogLog distinct counts, exact
category counts, and a 10,000-row sample) plus the drift of every column. Time is
wall time; memory is the peak resident set of the process that runs `compute()` plus that of the
process it starts to profile the base meanwhile (their sum: an upper bound of the peak together). The
machine's 1-minute load average when the section started: {load:.1f} (other work shared its 2 cores).
The head shifts `num_0` and `num_1` by 0.25 and moves
`cat_0`'s first category from 20 % to 50 %; the last column lists the three largest PSIs found. Generating
the data ({generated:.0f} s this time, cached in `.bench/data`) is not counted.

| dataset | time | peak memory | target | met | largest PSI |
|---|---:|---:|---|---|---|
{table}
"""


if __name__ == "__main__":
    print(main())
