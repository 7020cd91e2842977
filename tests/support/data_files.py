"""Generated datasets for the data family's tests: profiles built in memory, and files on disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from mlgate.families.data.profile import DatasetProfile


def profile_of(frame: pd.DataFrame, *, seed: int = 1, chunk: int = 97, categorical: tuple[str, ...] = ()) -> DatasetProfile:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    profile = DatasetProfile.empty(table.schema, categorical)
    for batch in table.to_batches(max_chunksize=chunk):
        profile.add(batch, seed)
    return profile


def sample_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, n)
    x[rng.random(n) < 0.1] = np.nan
    k = pd.array(rng.integers(0, 50, n), dtype="Int64")
    k[rng.random(n) < 0.05] = pd.NA
    color = pd.Series(rng.choice(["red", "green", "blue", None], n, p=[0.5, 0.3, 0.15, 0.05]), dtype=object)
    return pd.DataFrame({"x": x, "k": k, "color": color})


def write(root, rel: str, frame: pd.DataFrame, **csv_options) -> None:
    """Write `frame` to root/rel as Parquet or CSV, by the file name."""
    from pathlib import Path

    import pyarrow.parquet as pq

    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".parquet"):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        frame.to_csv(path, index=False, **csv_options)


def classified(n: int, seed: int = 0, *, shift: float = 0.0, positive: float = 0.4) -> pd.DataFrame:
    """Rows of a binary classification dataset: two numeric features, a category and a 0/1 label."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(40 + shift, 10, n).round(1),
        "income": rng.lognormal(10, 0.5, n),
        "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
        "label": (rng.random(n) < positive).astype(int),
    })
