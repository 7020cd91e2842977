"""The metrics ledger through `mlgate run`: recorded on main, read by pull requests in fresh clones.

Real git repositories (a bare ``origin``), a local directory as the DVC remote, and a two-stage pipeline
whose stages log every real execution (tests/support/ledger_project.py). Every expected number is read
back from the ledger on origin or from the files the pipeline wrote.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from mlgate.edges.ledger import Ledger
from mlgate.gating.gates import GateOutcome
from mlgate.publish.record import ledger_entry
from mlgate.report.charts import sparkline, trend_range
from mlgate.report.marker import COMMENT_LIMIT
from mlgate.report.render import render
from mlgate.result import Baseline, Result, Revision
from mlgate.run.gate import ledger_trend
from tests.support.dvc_repo import git
from tests.support.ledger_project import CONFIG, NOTES_REF, Origin, Runner


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    """main reproduced, committed and pushed; nothing recorded, nothing in the DVC remote."""
    return Origin.make(tmp_path_factory.mktemp("fresh") / "world")


@pytest.fixture(scope="module")
def recorded_template(fresh_template: Origin, tmp_path_factory: pytest.TempPathFactory) -> Origin:
    """origin/main recorded in the ledger (and its cache pushed) by `mlgate run --record` in `dev`."""
    world = fresh_template.copy(tmp_path_factory.mktemp("recorded") / "world")
    world.record_main()
    return world


@pytest.fixture
def fresh(fresh_template: Origin, tmp_path: Path) -> Origin:
    return fresh_template.copy(tmp_path / "world")


@pytest.fixture
def recorded(recorded_template: Origin, tmp_path: Path) -> Origin:
    return recorded_template.copy(tmp_path / "world")


def test_record_on_main_stores_and_pushes_the_entry(fresh: Origin, mlgate: Runner) -> None:
    world = fresh
    main_sha = world.dev.sha()

    run = mlgate(world.dev.dir, "--record")

    assert run.code == 0, run.err
    entry = world.notes(main_sha)
    assert entry is not None, "the ledger was not pushed to origin"
    metrics = world.dev.read_json("metrics.json")
    assert entry["metrics"] == {"metrics.json": metrics}  # nested per file, as Snapshot.from_dict reads it
    assert entry["params"] == {"params.yaml": {"train.accuracy": 0.9, "train.loss": 0.2}}
    assert entry["verdict"] == run.result["verdict"]
    assert entry["created_at"] == run.result["created_at"]
    assert entry["mlgate_version"] == run.result["mlgate_version"]
    # The cache and run-cache went to the DVC remote too.
    assert any((world.remote / "runs").rglob("*")), "run-cache not pushed"


def test_a_committed_report_and_result_do_not_stop_the_next_record(fresh: Origin) -> None:
    # a repository that committed mlgate's own files after a run (`git add -A`): the next run on main removes and
    # rewrites them, and still records its commit
    world = fresh
    first = world.dev.mlgate("run", "--record", "--quiet")
    assert first.returncode == 0, first.stderr
    assert (world.dev.dir / "mlgate-report.md").is_file() and (world.dev.dir / "mlgate-result.json").is_file()
    world.dev.update_params({"train": {"accuracy": 0.91}})
    sha = world.dev.commit("retrain, with the last run's report and result committed")
    assert "mlgate-report.md" in world.dev.git("show", "--name-only", "--format=", sha).splitlines()
    world.dev.git("push", "--quiet", "origin", "main")

    second = world.dev.mlgate("run", "--record", "--quiet")

    assert second.returncode == 0, second.stderr
    assert "not recorded" not in second.stderr, second.stderr
    entry = world.notes(sha)
    assert entry is not None and entry["metrics"]["metrics.json"]["accuracy"] == 0.91


def test_dirty_work_tree_is_not_recorded_and_says_why(fresh: Origin, mlgate: Runner) -> None:
    world = fresh
    world.dev.write("params.yaml", "train:\n  accuracy: 0.8\n  loss: 0.2\n")

    run = mlgate(world.dev.dir, "--record")

    assert run.result is not None, run.err
    assert world.notes(world.dev.sha()) is None
    assert Ledger(world.dev.root).read(world.dev.sha()) is None
    # Recording comes after the finished Result: its warning is printed, not added to the result.
    assert "warning: not recorded in the metrics ledger: the work tree has uncommitted changes" in run.err


def test_fresh_clone_pr_reads_the_base_from_the_ledger_and_never_runs_the_base(recorded: Origin, mlgate: Runner) -> None:
    main_sha = recorded.dev.sha()
    main_metrics = recorded.notes(main_sha)["metrics"]["metrics.json"]
    clone = recorded.clone("pr")
    clone.checkout("feature", new=True)
    clone.update_params({"train": {"accuracy": 0.88}})
    clone.commit("slightly worse")

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "ledger"
    assert (run.result["baseline"]["sha"], run.result["baseline"]["distance"]) == (main_sha, 0)
    accuracy = run.gate("accuracy")
    assert (accuracy["old"], accuracy["new"]) == (main_metrics["accuracy"], clone.read_json("metrics.json")["accuracy"])
    assert accuracy["new"] != accuracy["old"]
    # The head's changed params ran both stages once, here; the base ran nowhere.
    assert sorted(mlgate.executed()) == [("evaluate", str(clone.dir)), ("train", str(clone.dir))]
    assert "baseline: metrics ledger" in run.report


def test_without_an_entry_at_the_merge_base_the_nearest_ancestor_is_used(recorded: Origin, mlgate: Runner) -> None:
    recorded_sha = recorded.dev.sha()
    for i in range(2):  # two commits on main that nobody recorded
        recorded.dev.write(f"docs/note{i}.md", f"note {i}\n")
        recorded.dev.commit(f"docs {i}")
    recorded.dev.git("push", "--quiet", "origin", "main")
    merge_base = recorded.dev.sha()
    clone = recorded.clone("pr")
    clone.checkout("feature", new=True)
    clone.update_params({"train": {"loss": 0.21}})
    clone.commit("feature")

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    baseline = run.result["baseline"]
    assert run.result["base"]["sha"] == merge_base
    assert (baseline["source"], baseline["sha"], baseline["distance"]) == ("ledger", recorded_sha, 2)
    assert f"baseline: metrics ledger (entry for `{recorded_sha[:7]}`, 2 commits before the merge-base)" in run.report
    assert [stage for stage, _ in mlgate.executed()].count("train") == 1  # the head only


def test_a_closer_commit_beyond_max_distance_is_not_used(recorded: Origin, mlgate: Runner) -> None:
    for i in range(3):
        recorded.dev.write(f"docs/note{i}.md", f"note {i}\n")
        recorded.dev.commit(f"docs {i}")
    recorded.dev.write_config({**CONFIG, "baseline": {"max_distance": 2}})
    recorded.dev.commit("tighter ledger distance")
    recorded.dev.git("push", "--quiet", "origin", "main")
    clone = recorded.clone("pr")
    clone.checkout("feature", new=True)
    clone.commit("empty")

    run = mlgate(clone.dir, "--base", "main")

    assert run.result["baseline"]["source"] != "ledger"


def test_ci_push_to_main_records_automatically(recorded: Origin, mlgate: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = recorded.dev
    before = dev.sha()
    dev.update_params({"train": {"accuracy": 0.91}})
    dev.repro()
    after = dev.commit("better")
    dev.git("push", "--quiet", "origin", "main")
    event = mlgate.tmp / "push.json"
    event.write_text(json.dumps({"after": after, "before": before,
                                 "repository": {"full_name": "o/r", "default_branch": "main"}}))
    for name, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
                        "GITHUB_SHA": after, "GITHUB_REF": "refs/heads/main"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    run = mlgate(dev.dir, "--publisher", "none", "--no-status", command="ci")

    assert run.code == 0, run.err
    assert recorded.notes(after)["metrics"]["metrics.json"] == dev.read_json("metrics.json")
    assert run.result["baseline"] == {"source": "ledger", "detail": f"ledger entry for {before[:7]}",
                                      "sha": before, "distance": 0}
    # The trend is decided inside the run, before the head is recorded: main's history up to the base.
    assert [p[0] for p in run.result["trend"]["metrics.json:accuracy"]] == [before[:7]]


def test_ci_ledger_push_refused_is_a_warning_not_a_failure(recorded: Origin, mlgate: Runner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dev = recorded.dev
    hook = recorded.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refs/notes are protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    after = dev.commit("empty commit")
    event = mlgate.tmp / "push.json"
    event.write_text(json.dumps({"after": after, "repository": {"full_name": "o/r", "default_branch": "main"}}))
    for name, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
                        "GITHUB_SHA": after, "GITHUB_REF": "refs/heads/main"}.items():
        monkeypatch.setenv(name, value)

    run = mlgate(dev.dir, "--publisher", "none", "--no-status", "--no-push-cache", command="ci")

    assert run.code == 0, run.err
    assert Ledger(dev.root).read(after) is not None  # recorded locally
    assert recorded.notes(after) is None
    assert "::warning title=mlgate ledger and cache::" in run.out
    assert "recorded locally but not pushed" in run.out  # after the run: an annotation, not in the result


# ---- the trend ---------------------------------------------------------------------------------------


def _ledger_repo(tmp_path: Path, accuracies: list[float]) -> tuple[Path, list[str]]:
    repo = tmp_path / "trend"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    shas = []
    ledger = Ledger(repo)
    for i, value in enumerate(accuracies):
        git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "--quiet", "--allow-empty",
            "-m", f"c{i}")
        shas.append(git(repo, "rev-parse", "HEAD"))
        ledger.record(shas[-1], {"metrics": {"eval/metrics.json": {"accuracy": value, "loss": 1 - value}},
                                 "verdict": "pass"})
    return repo, shas


def _result(gates: list[GateOutcome], ledger: Ledger | None = None, n: int = 20) -> Result:
    trend, context = ledger_trend(ledger, "main", n, gates) if ledger is not None else ({}, {})
    return Result(verdict="pass", head=Revision("feature", "f" * 40), base=Revision("main", "e" * 40),
                  base_how="merge-base", baseline=Baseline("ledger", "ledger entry for eeeeeee", "e" * 40),
                  gates=gates, metrics={}, params={}, trend=trend, context=context)


def _gate(key: str, file: str = "eval/metrics.json") -> GateOutcome:
    return GateOutcome(kpi=key, file=file, key=key, severity="fail", status="pass", message="ok", old=0.9, new=0.9)


@pytest.mark.parametrize("count", [1, 2, 30])
def test_trend_chart_renders_from_the_ledger(tmp_path: Path, count: int) -> None:
    values = [round(0.8 + (i % 7) / 100, 4) for i in range(count)]
    repo, shas = _ledger_repo(tmp_path, values)
    result = _result([_gate("accuracy"), _gate("loss")], Ledger(repo))

    report = render(Result.from_dict(result.to_dict()))  # rendered from the Result alone

    kept = values[-20:]
    assert result.trend["eval/metrics.json:accuracy"] == [[s[:7], v] for s, v in zip(shas[-20:], kept)]
    assert result.context["trend_ref"] == "main"
    assert report.count("```mermaid") == 2
    assert "Trend on <code>main</code>" in report  # HTML: GitHub renders no Markdown inside <summary>
    assert f"last {len(kept)} ledger entr" in report
    # the PR's value (0.9) is the last point, marked by a bar; the sparkline is on the chart's scale
    assert f"    line [{', '.join(str(v) for v in [*kept, 0.9])}]" in report
    x_axis = next(line for line in report.splitlines() if line.startswith("    x-axis"))
    assert "    bar [" in report and "fffffff" in x_axis  # the head's short sha names the last point
    low, high = trend_range([*kept, 0.9], name="accuracy")
    assert f"`accuracy` <code>{sparkline(kept, low, high)} {sparkline([0.9], low, high)}</code>" in report
    assert len(report) <= COMMENT_LIMIT


def test_charts_are_the_first_to_go_when_the_report_is_over_budget(tmp_path: Path) -> None:
    repo, _ = _ledger_repo(tmp_path, [0.8 + i / 1000 for i in range(30)])
    ledger = Ledger(repo)
    for sha in git(repo, "rev-list", "main").split():  # many metrics per entry
        entry = ledger.read(sha)
        entry["metrics"]["eval/metrics.json"].update({f"slice_{k:03d}_recall": 0.5 + k / 1000 for k in range(120)})
        ledger.record(sha, entry)
    gates = [_gate(f"slice_{k:03d}_recall") for k in range(120)]
    result = _result(gates, ledger, 30)
    full = render(result, limit=10**7)
    without = render(_result(gates))
    assert len(without) < COMMENT_LIMIT < len(full)  # the charts alone push it over

    report = render(result)

    assert len(report) <= COMMENT_LIMIT
    assert all(f"| `{g.key}` |" in report for g in gates)  # every gate row kept, sparkline and all
    assert report.count("```mermaid") < len(gates)
    assert "more charts not shown to fit the comment" in report


# ---- mlgate history ----------------------------------------------------------------------------------


def test_history_prints_one_row_per_commit_and_a_sparkline(tmp_path: Path, mlgate: Runner) -> None:
    values = [0.81, 0.84, 0.83, 0.9]
    repo, shas = _ledger_repo(tmp_path, values)

    code, out, _ = mlgate.history(repo, "--kpi", "accuracy", "-n", "3")

    assert code == 0
    lines = out.splitlines()
    rows = [ln.split() for ln in lines if ln[:7] in {s[:7] for s in shas}]
    assert [r[0] for r in rows] == [s[:7] for s in shas[-3:]]  # the last three, oldest first
    assert [float(r[-1]) for r in rows] == values[-3:]
    assert all(r[3] == "pass" for r in rows)
    assert f"accuracy  {sparkline(values[-3:], *trend_range(values[-3:], name='eval/metrics.json:accuracy'))}" in out


def test_history_after_real_recorded_runs(recorded: Origin, mlgate: Runner) -> None:
    dev = recorded.dev
    first = dev.sha()
    dev.update_params({"train": {"accuracy": 0.95}})
    dev.repro()
    second = dev.commit("better")
    dev.git("push", "--quiet", "origin", "main")
    assert mlgate(dev.dir, "--record").code == 0
    clone = recorded.clone("reader")

    code, out, _ = mlgate.history(clone.dir)  # KPIs from mlgate.yaml, ledger fetched from origin

    assert code == 0
    assert first[:7] in out and second[:7] in out
    assert f"accuracy  {sparkline([0.9, 0.95], *trend_range([0.9, 0.95], name='eval/metrics.json:accuracy'))}" in out
    assert "loss" in out


def test_history_without_a_ledger_says_how_to_get_one(tmp_path: Path, mlgate: Runner) -> None:
    repo = tmp_path / "empty"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit", "--quiet",
                    "--allow-empty", "-m", "x"], cwd=repo, check=True)

    code, out, _ = mlgate.history(repo)

    assert code == 0
    assert "no metrics ledger entries" in out and "mlgate run --record" in out


def test_ledger_entry_is_nested_per_file_and_readable_as_a_snapshot() -> None:
    from mlgate.gating.snapshot import Snapshot

    result = dataclasses.replace(
        _result([]), metrics={"m.json": {"acc": {"old": 0.8, "new": 0.9, "diff": 0.1}, "gone": {"old": 1, "new": None}}},
        params={"params.yaml": {"lr": {"old": None, "new": 0.01}}},
    )

    entry = ledger_entry(result)

    snap = Snapshot.from_dict(json.loads(json.dumps(entry)))
    assert snap.metrics == {"m.json": {"acc": 0.9}}
    assert snap.params == {"params.yaml": {"lr": 0.01}}
    assert NOTES_REF == "refs/notes/mlgate"
