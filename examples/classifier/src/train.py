"""Stage `train`: fit a random forest on data/train.csv and pickle it to models/model.pkl.

Params (params.yaml `train`): n_estimators, max_depth (null for unlimited), seed, n_features, which
keeps only the first N feature columns — lower it (with max_depth) to make a deliberately worse model —
and sites, the clinics whose rows it trains on (leave one out to hurt that clinic's predictions).
Deterministic: seeded forest, one job.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pandas as pd
import yaml
from sklearn.ensemble import RandomForestClassifier

ROOT = Path(__file__).resolve().parent.parent
NOT_FEATURES = ("id", "label", "site")


def main() -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())["train"]
    train = pd.read_csv(ROOT / "data" / "train.csv")
    features = [column for column in train.columns if column not in NOT_FEATURES]
    n_features = int(params["n_features"])
    if not 1 <= n_features <= len(features):
        sys.exit(f"params.yaml: train.n_features is {n_features}; set it between 1 and {len(features)}")
    sites = list(params.get("sites") or [])
    if sites:
        unknown = sorted(set(sites) - set(train["site"]))
        if unknown:
            sys.exit(f"params.yaml: train.sites names {unknown}; the sites are {sorted(set(train['site']))}")
        train = train[train["site"].isin(sites)]
    max_depth = params["max_depth"]
    model = RandomForestClassifier(
        n_estimators=int(params["n_estimators"]),
        max_depth=None if max_depth is None else int(max_depth),
        random_state=int(params["seed"]),
        n_jobs=1,
    )
    model.fit(train[features[:n_features]], train["label"])
    out = ROOT / "models"
    out.mkdir(exist_ok=True)
    with open(out / "model.pkl", "wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"train: {model.n_estimators} trees, max_depth={model.max_depth}, {n_features} features")


if __name__ == "__main__":
    main()
