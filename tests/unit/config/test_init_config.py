"""What `mlgate init` writes, built from a Discovery: gates with guessed directions, a comment on every line,
files that mlgate's config loader, zizmor and the workflow JSON schema accept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlgate.config import starter as init_config
from mlgate.config.load import parse_config
from mlgate.config.starter import Discovery, config_text, guess_direction, plan_gates, workflow_text
from mlgate.report.render import render

BIN = Path(sys.executable).parent
SHA = "0123456789abcdef0123456789abcdef01234567"


def _starter(name: str) -> str:
    return (init_config.starter_dir() / name).read_text(encoding="utf-8")


def _config(found: Discovery) -> str:
    return config_text(found, _starter(init_config.STARTER_CONFIG))


def _workflow(found: Discovery, action: str | None = None) -> str:
    return workflow_text(found, _starter(init_config.STARTER_WORKFLOW), action)


@pytest.mark.parametrize(("key", "expected"), [
    ("loss", ("lower", "loss")), ("val_loss", ("lower", "loss")), ("valLoss", ("lower", "loss")),
    ("test.rmse", ("lower", "rmse")), ("mae", ("lower", "mae")), ("latency_ms", ("lower", "latency")),
    ("model_size_mb", ("lower", "size")), ("error", ("lower", "error")),
    ("val_accuracy", ("higher", "accuracy")), ("acc", ("higher", "acc")), ("f1", ("higher", "f1")),
    ("roc_auc", ("higher", "auc")), ("precision", ("higher", "precision")), ("r2", ("higher", "r2")),
    ("per_class.cat.recall", ("higher", "recall")), ("roc_auc.test", ("higher", "auc")),
    ("avg_prec.test", ("higher", "prec")), ("eval.f1", ("higher", "f1")), ("macro avg.f1-score", ("higher", "f1")),
    ("epochs", None), ("n_features", None), ("loss_auc", None), ("test.step", None),  # neither, or both: no guess
    # ranking, detection, generation and calibration names; a number after the word is part of it
    ("ndcg@10", ("higher", "ndcg")), ("recall_at_5", ("higher", "recall")), ("metrics/mAP50-95(B)", ("higher", "ap")),
    ("top1", ("higher", "top")), ("top_5_accuracy", ("higher", "accuracy")), ("auroc", ("higher", "auroc")),
    ("val/psnr", ("higher", "psnr")), ("rouge1", ("higher", "rouge")), ("mrr", ("higher", "mrr")),
    ("val_nll", ("lower", "nll")), ("fid", ("lower", "fid")), ("test.ece", ("lower", "ece")),
    ("inference_ms", ("lower", "ms")), ("latency_ms", ("lower", "latency")), ("brier_score", ("lower", "brier")),
    ("error_analysis.accuracy", ("higher", "accuracy")),  # the leaf speaks first
    ("top", None), ("timestamp", None), ("heatmap", None),
])
def test_direction_is_guessed_from_the_words_of_the_name(key, expected) -> None:
    assert guess_direction(key) == expected


def test_loss_and_val_accuracy_get_gates_in_their_directions() -> None:
    gates, ungated = plan_gates({"metrics.json": {"loss": 0.2, "val_accuracy": 0.9, "epochs": 10}})
    by_name = {g.selector: g for g in gates}
    assert by_name["loss"].direction == "lower" and by_name["val_accuracy"].direction == "higher"
    assert by_name["loss"].sure and by_name["val_accuracy"].sure
    assert ungated == ["epochs"]
    config = parse_config(_config(Discovery(metric_files=("metrics.json",), metrics={"metrics.json": {
        "loss": 0.2, "val_accuracy": 0.9, "epochs": 10}})))
    assert config.kpis["loss"].max_increase_pct == init_config.MAX_INCREASE_PCT
    assert config.kpis["loss"].severity == "fail"
    assert config.kpis["val_accuracy"].max_drop_pct == init_config.MAX_DROP_PCT
    assert set(config.kpis) == {"loss", "val_accuracy"}


def test_unsure_gates_warn_and_a_key_in_two_files_is_qualified() -> None:
    found = Discovery(metric_files=("a.json", "b.json"),
                      metrics={"a.json": {"acc": 0.9, "per_class.x.recall": 0.8}, "b.json": {"acc": 0.7, "size": 3}})
    config = parse_config(_config(found))
    assert config.kpis["a.json:acc"].severity == "fail" and config.kpis["b.json:acc"].severity == "fail"
    assert config.kpis["per_class.x.recall"].severity == "warn"  # nested: maybe not a headline
    assert config.kpis["size"].severity == "warn"  # a size is a cost, not always a headline


@pytest.mark.parametrize(("key", "blocks"), [
    ("test.accuracy", True), ("eval.f1", True), ("roc_auc.test", True), ("avg_prec.test", True), ("val_loss", True),
    ("validation.loss", True), ("eval.acc", True), ("metrics.test.auc", True), ("macro avg.f1-score", True),
    ("dice_multi", True), ("top5_accuracy", True), ("test_set.rmse", True),
    ("train.loss", False), ("roc_auc.train", False), ("train_accuracy", False), ("training.f1", False),
    ("per_class.cat.recall", False), ("0.precision", False), ("test.cat.recall", False), ("class_3_f1", False),
    ("test.latency_ms", False), ("model_size_mb", False), ("eval.time", False),
    # a number in the name: a cutoff (ranking, top-k, an IoU threshold) is a headline, a class index is not
    ("ndcg@10", True), ("test.recall_at_5", True), ("top_5_accuracy", True), ("map_50", True),
    ("metrics/mAP50-95(B)", True), ("hit_rate@20", True), ("recall_0", False), ("ap_class_3", False),
    ("inference_ms", False), ("peak_memory_gb", False),
])
def test_a_split_word_is_where_it_was_measured_not_doubt(key: str, blocks: bool) -> None:
    """Held-out splits (test, val, eval) of a headline metric block wherever the split sits in the key;
    the training split, a class or slice, a size or a time are reported only."""
    config = parse_config(_config(Discovery(metric_files=("m.json",), metrics={"m.json": {key: 0.7}})))
    assert config.kpis[key].severity == ("fail" if blocks else "warn")


@pytest.mark.parametrize(("value", "rule", "threshold"), [
    (0.013, "max_drop", init_config.MIN_MARGIN),  # 2% of 0.013 is 0.00026: no margin at all
    (0.0, "max_drop", init_config.MIN_MARGIN), (-0.2, "max_drop", init_config.MIN_MARGIN),
    (0.45, "max_drop", init_config.MIN_MARGIN), (0.5, "max_drop_pct", init_config.MAX_DROP_PCT),
    (0.93, "max_drop_pct", init_config.MAX_DROP_PCT), (-3.5, "max_drop_pct", init_config.MAX_DROP_PCT),
])
def test_a_score_near_zero_gets_an_absolute_margin(value: float, rule: str, threshold: float) -> None:
    config = parse_config(_config(Discovery(metric_files=("m.json",), metrics={"m.json": {"test.r2": value}})))
    kpi = config.kpis["test.r2"]
    assert getattr(kpi, rule) == threshold
    assert (kpi.max_drop_pct if rule == "max_drop" else kpi.max_drop) is None


def test_an_error_rate_near_zero_gets_an_absolute_margin_and_a_loss_keeps_its_percentage() -> None:
    found = Discovery(metric_files=("m.json",), metrics={"m.json": {"test.wer": 0.04, "test.loss": 0.004, "mae": 0}})
    gates, ungated = plan_gates(found.metrics)
    by_name = {g.selector: g for g in gates}
    assert by_name["test.wer"].margin == init_config.MIN_MARGIN  # 5% of 0.04 is 0.002
    assert by_name["test.loss"].margin is None  # a loss has no 0-1 scale: a percentage of it is the margin
    assert ungated == ["mae"]  # 0 with no scale: no margin can be set
    config = parse_config(_config(found))
    assert config.kpis["test.wer"].max_increase == init_config.MIN_MARGIN
    assert config.kpis["test.loss"].max_increase_pct == init_config.MAX_INCREASE_PCT


def test_values_no_margin_can_be_set_on_are_listed_not_gated() -> None:
    metrics = {"m.json": {"test.acc": float("inf"), "test.f1": float("nan"), "test.auc": 10**400, "loss": True,
                          "test.recall": "high", "test.precision": [0.5, 0.6]}}
    gates, ungated = plan_gates(metrics)
    assert gates == [] and sorted(ungated) == sorted(metrics["m.json"])
    assert parse_config(_config(Discovery(metric_files=("m.json",), metrics=metrics))).kpis == {}


def test_every_line_of_the_config_carries_a_comment() -> None:
    found = Discovery(metric_files=("m.json", "missing.json"), metrics={"m.json": {"loss": 1.5, "mode": "fast"}},
                      params={"params.yaml": {"train.lr": 0.1}}, plots=("plots/roc.json",))
    lines = [line for line in _config(found).splitlines() if line.strip()]
    assert [line for line in lines if "#" not in line] == []
    text = _config(found)
    assert "missing.json" in text and "train.lr" in text and "plots/roc.json" in text and "mode" in text


def test_an_unreadable_metrics_file_is_named_with_why_not_as_missing() -> None:
    found = Discovery(metric_files=("m.json", "bad.json"), metrics={"m.json": {"acc": 0.9}},
                      unreadable={"bad.json": "Expecting value: line 1\ncolumn 2"})
    text = _config(found).replace("\n#  ", " ")  # notes wrap onto comment lines starting "#  "
    assert "could not read" in text and "bad.json (Expecting value: line 1?column 2)" in text  # as handed in
    assert "not produced yet" not in text
    assert parse_config(text).kpis["acc"].max_drop_pct


def test_metric_names_cannot_break_out_of_the_yaml() -> None:
    """A key with a line break, quotes and a colon stays one quoted key and one comment line."""
    nasty = 'acc"\nversion: 2 #: x'
    text = _config(Discovery(metric_files=("m.json",), metrics={"m.json": {nasty: 0.5}}))
    config = parse_config(text)
    assert config.version == 1 and list(config.kpis) == [nasty]


def test_no_metrics_writes_a_valid_config_without_gates() -> None:
    text = _config(Discovery())
    assert parse_config(text).kpis == {}
    assert "no metrics found in dvc.yaml" in text


def test_too_many_metrics_gate_the_sure_ones_first() -> None:
    metrics = {"m.json": {f"class{i}.recall": 0.5 for i in range(20)} | {"accuracy": 0.9}}
    gates, ungated = plan_gates(metrics)
    assert len(gates) == init_config.MAX_GATES and gates[0].selector == "accuracy"
    assert len(ungated) == 21 - init_config.MAX_GATES


def test_workflow_fills_requirements_project_dir_branch_and_remote_secrets() -> None:
    found = Discovery(project_dir="ml/model", default_branch="trunk", requirements="requirements.txt",
                      remote_url="s3://bucket/dvc")
    workflow = yaml.safe_load(_workflow(found, f"octo/mlgate@{SHA}"))
    assert workflow[True]["push"]["branches"] == ["trunk"]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write", "statuses": "write"}
    steps = workflow["jobs"]["mlgate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"] == f"octo/mlgate@{SHA}"
    assert steps[1]["with"] == {"project-dir": "ml/model", "requirements": "requirements.txt", "python-version": "3.11"}
    assert steps[1]["env"] == {"AWS_ACCESS_KEY_ID": "${{ secrets.AWS_ACCESS_KEY_ID }}",
                               "AWS_SECRET_ACCESS_KEY": "${{ secrets.AWS_SECRET_ACCESS_KEY }}"}


@pytest.mark.parametrize(("found", "said"), [
    (Discovery(remote_url="/home/me/dvc-store"), "is a directory on this machine (/home/me/dvc-store): a runner cannot"),
    (Discovery(remote_url="file:///srv/dvc"), "is a directory on this machine (file:///srv/dvc)"),
    (Discovery(remote_url="s3://bucket/dvc", remote_committed=False), "is set outside .dvc/config (in .dvc/config.local"),
], ids=["a-path", "a-file-url", "only-in-config-local"])
def test_a_remote_a_runner_cannot_reach_is_said_in_the_workflow_instead_of_secrets(found: Discovery, said: str) -> None:
    text = _workflow(found, f"octo/mlgate@{SHA}")
    assert said in text and "secrets." not in text
    assert init_config.remote_problem(found) is not None
    assert "env" not in yaml.safe_load(text)["jobs"]["mlgate"]["steps"][1]  # a comment, no env block
    assert init_config.remote_problem(Discovery(remote_url="s3://bucket/dvc")) is None


def test_the_config_points_a_new_user_at_the_noise_band_and_the_ratchet() -> None:
    text = _config(Discovery(metric_files=("m.json",), metrics={"m.json": {"test.r2": 0.6, "val_loss": 0.3}}))
    flat = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "add `confidence: 0.95` to a gate to judge it on main's run-to-run noise once the ledger holds 8" in flat
    assert "`max_drop_pct_from_best: 2` (`max_increase_pct_from_best` where lower is better) to fail a slow slide" in flat
    parse_config(text)
    assert "confidence" not in _config(Discovery(metric_files=("m.json",), metrics={"m.json": {"epochs": 3}}))


def test_default_workflow_names_the_release_tag() -> None:
    workflow = yaml.safe_load(_workflow(Discovery()))
    step = workflow["jobs"]["mlgate"]["steps"][1]
    assert step["uses"] == f"{init_config.ACTION_REPOSITORY}@v{init_config.__version__}"
    assert "env" not in step and "project-dir" not in step["with"]


@pytest.mark.parametrize("found", [
    Discovery(),
    Discovery(project_dir="sub", requirements="pyproject.toml", remote_url="s3://b/x", default_branch="main"),
    Discovery(remote_url="ssh://host/path"),
    Discovery(remote_url="/home/me/dvc-store"),
], ids=["plain", "full", "unknown-remote", "local-remote"])
def test_generated_workflow_passes_zizmor_and_the_workflow_schema(tmp_path: Path, found: Discovery) -> None:
    path = tmp_path / "mlgate.yml"
    path.write_text(_workflow(found, f"octo/mlgate@{SHA}"), encoding="utf-8")
    zizmor = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "plain", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    schema = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_zizmor_flags_the_unpinned_default_so_the_check_above_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "mlgate.yml"
    path.write_text(_workflow(Discovery()), encoding="utf-8")
    zizmor = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "plain", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert zizmor.returncode != 0 and "unpinned-uses" in zizmor.stdout


def test_the_example_report_template_extends_the_built_in_one() -> None:
    from tests.unit.report.test_report import make_result

    folder = init_config.starter_dir() / init_config.STARTER_REPORT
    built_in, custom = render(make_result()), render(make_result(), template_dir=folder)
    assert "model-review checklist" in custom and "model-review checklist" not in built_in
    heading = next(line for line in built_in.splitlines() if line.startswith("## "))
    assert heading in custom


# -- any names a metrics file may hold: what init writes still loads, and gates what it planned ------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(["acc", "val", "loss", "ndcg@10", "top5", "class_3", "f1-score", "mAP50-95(B)", "train",
                          "test", "r2", "valLoss", "per_class", "cat", "size_mb", "epoch", "step", "0"])
_KEY = st.lists(st.one_of(_WORDS, st.text(min_size=1, max_size=12)), min_size=1, max_size=4).map(".".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEY, st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**6),
                                       st.booleans(), st.text(max_size=5)), min_size=1, max_size=8))
def test_whatever_the_metric_names_init_writes_a_config_that_loads_and_gates_what_it_planned(metrics) -> None:
    found = Discovery(metric_files=("m.json",), metrics={"m.json": metrics})
    gates, _ = plan_gates(found.metrics)
    config = parse_config(_config(found))  # a name with a quote, a newline, a '#' or YAML syntax stays data
    assert set(config.kpis) == {g.selector for g in gates}
    for g in gates:
        kpi = config.kpis[g.selector]
        assert kpi.severity == ("fail" if g.sure else "warn")
        assert guess_direction(g.selector) is not None
