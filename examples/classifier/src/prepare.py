"""Stage `prepare`: load scikit-learn's bundled breast-cancer data and split it into train and test.

Writes data/train.csv and data/test.csv with columns: id (row number in the dataset), the 30 features
(spaces in names replaced by underscores), label (1 = malignant, the positive class; 0 = benign) and
site, the clinic that measured the row (north, south, east or west, fixed by the id). The east clinic's
scanner reads sizes 35 % high (its radius, perimeter and area features are scaled by EAST_SCANNER): a
model that never saw east's rows misreads them, which the demo's `slice` branch shows.
Deterministic: the stratified split is seeded by params.yaml `prepare.seed`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
SITES = ("north", "south", "east", "west")
EAST_SCANNER = 1.35  # the east clinic's size readings, relative to the others


def load_frame() -> pd.DataFrame:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.rename(columns=lambda name: str(name).replace(" ", "_"))
    frame.insert(0, "id", range(len(frame)))
    # scikit-learn encodes malignant as 0; we make malignant the positive class (1).
    frame["label"] = (bunch.target == 0).astype(int)
    frame["site"] = [SITES[(i * 7919) % 97 % len(SITES)] for i in frame["id"]]
    sizes = [c for c in frame.columns if any(word in c for word in ("radius", "perimeter", "area"))]
    east = frame["site"] == "east"
    frame.loc[east, sizes] = frame.loc[east, sizes] * EAST_SCANNER
    return frame


def main() -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())["prepare"]
    frame = load_frame()
    train, test = train_test_split(
        frame,
        test_size=float(params["test_size"]),
        random_state=int(params["seed"]),
        stratify=frame["label"],
    )
    out = ROOT / "data"
    out.mkdir(exist_ok=True)
    train.sort_values("id").to_csv(out / "train.csv", index=False)
    test.sort_values("id").to_csv(out / "test.csv", index=False)
    print(f"prepare: {len(train)} train rows, {len(test)} test rows")


if __name__ == "__main__":
    main()
