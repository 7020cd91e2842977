"""config: the `monitor:` block loads with its defaults, and each bad entry is one ConfigError line."""

from __future__ import annotations

import pytest

from mlgate.config.load import parse_config
from mlgate.errors import ConfigError

DATA = "version: 1\ndata:\n  train: data/train.csv\n  test: data/test.csv\n"


def test_the_block_loads_with_sensible_defaults():
    config = parse_config(DATA + "monitor:\n  sample: prod/\n")
    m = config.monitor
    assert m is not None and m.sample == "prod/" and m.dataset is None and m.report_id == "monitoring"
    assert (m.psi, m.significance, m.max_empty_share, m.min_distinct_labels) == (0.2, 0.01, 0.05, 2)
    assert (m.max_label_shift_js, m.max_metric_drop, m.min_labelled_rows, m.dispatch) == (0.2, 0.05, 30, "mlgate-drift")


def test_thresholds_and_a_dataset_can_be_set():
    config = parse_config(DATA + "monitor:\n  sample: 'prod/*.parquet'\n  dataset: test\n  psi: 0.1\n"
                          "  significance: 0.05\n  dispatch: null\n  report_id: prod-eu\n")
    m = config.monitor
    assert (m.dataset, m.psi, m.significance, m.dispatch, m.report_id) == ("test", 0.1, 0.05, None, "prod-eu")


@pytest.mark.parametrize(("block", "message"), [
    ("  sample: ../elsewhere/prod.csv\n",
     "monitor.sample: '../elsewhere/prod.csv' is not a path inside the repository; write it relative to the "
     "project root, without '..'"),
    ("  sample: /data/prod.csv\n", "monitor.sample: '/data/prod.csv' is not a path inside the repository"),
    ("  sample: .git/objects\n", "monitor.sample: '.git/objects' is inside .git/, git's own files, not a dataset"),
    ("  dataset: prod\n", "monitor.dataset: 'prod' is not a dataset under data:; use one of train, test"),
    ("  psi: 0\n", "monitor.psi: must be above 0.0, got 0 (int)"),
    ("  significance: 1.5\n", "monitor.significance: must be below 1.0, got 1.5 (float)"),
    ("  report_id: 'a b'\n", "monitor.report_id: report-id 'a b' is not valid"),
    ("  dispatch: 'drift now!'\n", "monitor.dispatch: 'drift now!' is not a usable event type"),
    ("  tresholds: 1\n", "monitor.tresholds: unknown key"),
])
def test_a_bad_entry_names_the_key_and_the_fix(block: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(DATA + "monitor:\n" + block, "mlgate.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_monitoring_needs_a_data_block():
    with pytest.raises(ConfigError, match=r"^mlgate.yaml:2: monitor: needs the training data to compare with; add a "
                                          r"data: block"):
        parse_config("version: 1\nmonitor:\n  sample: prod/\n", "mlgate.yaml")
