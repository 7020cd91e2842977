"""Gates that know the noise from main's ledger history, and the ratchet, through `mlgate run`.

A real git repository (bare ``origin``) whose main has a ledger entry on every commit, each recorded by
`mlgate run --record` (tests/support/ledger_project.py): twelve runs of the same pipeline whose accuracy
moves by noise of about 0.004, with one real step down of 0.02 after the sixth (a regression that was
merged). Pull requests in fresh clones are then judged against it. Expected numbers are read back from the
ledger on origin and computed with mlgate.stats from those values, never typed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlgate.gating.history import noise_model, ratchet_noise
from mlgate.stats.change_points import segments
from mlgate.stats.noise import change_sd, quantile, spread
from mlgate.text.numbers import number_format
from tests.support.ledger_project import CONFIG, Origin, Runner

NOISE = [0.003, -0.004, 0.001, 0.005, -0.002, -0.005, 0.002, 0.0, -0.003, 0.004, -0.001, 0.002]
STEP_AT = 6  # the seventh run is the first at the lower level
LEVELS = [0.92] * STEP_AT + [0.90] * (len(NOISE) - STEP_AT)
ACCURACY = [round(level + e, 6) for level, e in zip(LEVELS, NOISE)]


def _config(**accuracy: Any) -> dict[str, Any]:
    return {"version": 1, "kpis": {"accuracy": accuracy, "loss": CONFIG["kpis"]["loss"]}}


@pytest.fixture(scope="module")
def recorded_template(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    world = Origin.make(tmp_path_factory.mktemp("history") / "world", config=_config(min=0.5))
    for i, accuracy in enumerate(ACCURACY):
        world.dev.update_params({"train": {"accuracy": accuracy}})
        world.land(f"run {i}")
    return world


@pytest.fixture
def world(recorded_template: Origin, tmp_path: Path) -> Origin:
    return recorded_template.copy(tmp_path / "world")


def _recorded(world: Origin) -> list[float]:
    """main's accuracy per commit as the ledger on origin holds it, oldest first."""
    shas = world.dev.git("rev-list", "--first-parent", "--reverse", "main").split()
    entries = [world.notes(sha) for sha in shas]
    return [e["metrics"]["metrics.json"]["accuracy"] for e in entries if e is not None]


def _pull_request(world: Origin, accuracy: float, config: dict[str, Any]) -> Any:
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.update_params({"train": {"accuracy": accuracy}})
    clone.write_config(config)
    clone.commit("feature")
    return clone


def test_the_history_is_what_the_ledger_recorded(world: Origin) -> None:
    assert _recorded(world) == ACCURACY


def test_confidence_on_a_plain_metric_passes_a_drop_within_main_s_noise(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    noise, parts = noise_model(history)  # the noise within main's levels, and the levels
    level = parts[-1]
    assert level.start == STEP_AT  # main's level now: the runs since the step
    bound = quantile(0.95, noise.df) * change_sd(noise.sigma, level.runs)
    head = round(level.level - bound / 2, 6)  # a drop half the noise allows
    clone = _pull_request(world, head, _config(max_drop=0.0, confidence=0.95))

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    gate = run.gate("accuracy")
    assert gate["status"] == "pass"
    record = gate["rules"][0]["interval"]
    assert record["of"] == "history" and record["runs"] == len(history)
    assert record["noise"] == pytest.approx(noise.sigma)
    assert record["reference"] == pytest.approx(level.level)
    assert record["reference_runs"] == len(history) - STEP_AT
    assert "within noise" in gate["message"]
    # the step of 0.02 in the history did not inflate the noise it measured
    assert noise.sigma < 0.006
    assert f"history of {len(history)} runs: noise ±" in run.report
    assert "cannot be told from noise (95 %)" in run.report
    assert "\u00a0within\u00a0noise |" in run.report  # the Δ cell: the signed change, then the word


def test_the_same_drop_fails_the_plain_rule_with_the_same_margin(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    head = round(history[-1] - 0.002, 6)
    clone = _pull_request(world, head, _config(max_drop=0.0))

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 1
    assert run.gate("accuracy")["status"] == "fail"
    assert run.gate("accuracy")["rules"][0]["interval"] is None


def test_a_drop_beyond_the_noise_fails(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    noise, parts = noise_model(history)
    level = parts[-1]
    bound = quantile(0.95, noise.df) * change_sd(noise.sigma, level.runs)
    clone = _pull_request(world, round(level.level - 0.01 - 2 * bound, 6), _config(max_drop=0.01, confidence=0.95))

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 1, run.err
    gate = run.gate("accuracy")
    assert gate["status"] == "fail"
    assert "more than the 0.01 allowed and the noise" in gate["message"]


def test_too_little_history_is_judged_on_the_number_alone_and_says_so(world: Origin, mlgate: Runner) -> None:
    runs = len(_recorded(world))
    config = {**_config(max_drop=0.05, confidence=0.95), "baseline": {"min_history": runs + 1, "window": 50}}
    clone = _pull_request(world, 0.9, config)

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    text = f"{runs} recorded runs, fewer than {runs + 1}: judged on the number alone"
    assert text in run.gate("accuracy")["message"]
    assert text in run.report


def test_check_says_how_much_history_each_noise_gate_has(world: Origin) -> None:
    runs = len(_recorded(world))
    clone = _pull_request(world, 0.9, {**_config(max_drop=0.05, confidence=0.95), "baseline": {"window": 50}})
    proc = clone.mlgate("check")
    assert proc.returncode == 0, proc.stderr
    assert (f"  history of accuracy: {runs} recorded runs in the last 50 on main (8 needed): judged on main's noise"
            in proc.stdout.splitlines())
    assert "history of loss" not in proc.stdout  # loss has no confidence and no ratchet: no history read

    clone.write_config({**_config(max_drop=0.05, confidence=0.95), "baseline": {"min_history": runs + 1, "window": 50}})
    short = clone.mlgate("check")
    assert (f"  history of accuracy: {runs} recorded runs in the last 50 on main ({runs + 1} needed): judged on the"
            " number alone until then; `mlgate run --record` on each commit of main records them") in short.stdout

    clone.write_config({**_config(max_drop=0.05, confidence=0.95), "baseline": {"ledger": False}})
    off = clone.mlgate("check")
    assert ("  history: baseline.ledger is false, so the gates with confidence are judged on the number alone"
            in off.stdout.splitlines()), off.stdout


def test_the_window_bounds_the_history(world: Origin, mlgate: Runner) -> None:
    config = {**_config(max_drop=0.05, confidence=0.95), "baseline": {"window": 8, "min_history": 8}}
    clone = _pull_request(world, 0.9, config)

    run = mlgate(clone.dir, "--base", "main")

    record = run.gate("accuracy")["rules"][0]["interval"]
    assert record["runs"] == 8
    assert record["noise"] == pytest.approx(noise_model(_recorded(world)[-8:])[0].sigma)


def test_the_ratchet_fails_a_slide_the_per_pr_rule_lets_through(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    shas = world.dev.git("rev-list", "--first-parent", "--reverse", "main").split()[-len(history):]
    best = max(history)
    head = history[-1]  # no change against the base: the per-PR rule passes
    config = _config(max_drop=0.005, max_drop_from_best=0.01)
    clone = _pull_request(world, head, config)

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 1, run.err
    gate = run.gate("accuracy")
    by_rule = {r["rule"]: r for r in gate["rules"]}
    assert by_rule["max_drop"]["status"] == "pass"
    ratchet = by_rule["max_drop_from_best"]
    assert ratchet["status"] == "fail"
    record = ratchet["interval"]
    assert (record["reference"], record["reference_from"]) == (best, shas[history.index(best)])
    assert record["entries_back"] == len(history) - 1 - history.index(best)
    fmt_best = f"{best:.4f}"
    assert f"best run {fmt_best} at `{shas[history.index(best)][:7]}`" in run.report
    assert f"the head is {best - head:.4f} below it" in run.report


def test_with_confidence_the_ratchet_takes_the_best_level_not_the_luckiest_run(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    _, parts = noise_model(history)
    noise = ratchet_noise(history, parts)  # the ratchet's noise: successive differences inside the levels
    best = max(parts, key=lambda s: s.level)
    assert best.start == 0 and best.end == STEP_AT
    bound = quantile(0.95, noise.df) * change_sd(noise.sigma, best.runs)
    # Beyond the margin below the luckiest run, within it (and the noise) below the best level.
    margin = round(max(history) - best.level + 0.002, 4)
    head = round(best.level - margin - bound / 2, 6)
    assert max(history) - head > margin
    assert best.level - head < margin + bound  # within the margin and the noise below the best level
    clone = _pull_request(world, head, _config(max_drop_from_best=margin, confidence=0.95))

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    record = run.gate("accuracy")["rules"][0]["interval"]
    assert record["reference"] == pytest.approx(best.level)
    assert record["reference_runs"] == STEP_AT
    assert record["noise"] == pytest.approx(noise.sigma)
    assert "best level" in run.report and f"the mean of {STEP_AT} runs" in run.report


def test_a_ratchet_without_any_history_has_no_baseline(tmp_path: Path, mlgate: Runner) -> None:
    world = Origin.make(tmp_path / "bare", config=_config(max_drop_from_best=0.01))
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.commit("feature")

    run = mlgate(clone.dir, "--base", "main")

    gate = run.gate("accuracy")
    assert gate["status"] == "no_baseline"
    assert "no ledger history of this metric on the default branch" in gate["message"]


# -- change points: which commit moved the metric -----------------------------------------------------------


def test_history_changes_names_the_step_commit_with_its_size_and_direction(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    shas = world.dev.git("rev-list", "--first-parent", "--reverse", "main").split()[-len(history):]
    parts = segments(history, spread(history).sigma)
    assert [p.start for p in parts] == [0, STEP_AT]
    size = parts[1].level - parts[0].level

    code, out, err = mlgate.history(world.dev.dir, "--changes", "--kpi", "accuracy", "--no-fetch")

    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith(f"accuracy: {len(history)} ledger entries") and "1 shift of level" in line
               for line in lines), out
    (step,) = [line for line in lines if line.startswith("  ")]
    assert step.split()[0] == shas[STEP_AT][:7]
    assert f"down −{abs(size):.4f}" in step
    assert f"{parts[0].level:.4f} → {parts[1].level:.4f}" in step
    # the noise printed is the one the gates judge with: the spread within the two levels, not across the step
    fmt = number_format(*history)
    within, first = fmt.amount(noise_model(history)[0].sigma), fmt.amount(spread(history).sigma)
    assert within != first  # this history tells the two apart
    assert f"noise ±{within}" in out and f"noise ±{first}" not in out


def test_history_changes_finds_none_in_pure_noise(tmp_path: Path, mlgate: Runner) -> None:
    world = Origin.make(tmp_path / "noise", config=_config(min=0.5))
    for i, e in enumerate(NOISE):
        world.dev.update_params({"train": {"accuracy": round(0.9 + e, 6)}})
        world.land(f"run {i}")

    code, out, err = mlgate.history(world.dev.dir, "--changes", "--kpi", "accuracy", "--no-fetch")

    assert code == 0, err
    assert "accuracy: 12 ledger entries, noise ±" in out and "; no shift of level" in out


def test_the_report_s_trend_marks_the_step_commit(world: Origin, mlgate: Runner) -> None:
    history = _recorded(world)
    shas = world.dev.git("rev-list", "--first-parent", "--reverse", "main").split()[-len(history):]
    parts = segments(history, spread(history).sigma)
    clone = _pull_request(world, history[-1], _config(max_drop=0.05))

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    (shift,) = run.result["context"]["trend_changes"]["metrics.json:accuracy"]
    assert shift == [shas[STEP_AT][:7], pytest.approx(parts[1].level - parts[0].level)]
    assert f"level shifted at `{shas[STEP_AT][:7]}` (−{parts[0].level - parts[1].level:.4f}\u00a0worse)" in run.report


def test_history_changes_with_an_unknown_kpi_is_a_usage_error(world: Origin) -> None:
    proc = world.dev.mlgate("history", "--changes", "--kpi", "acuracy", "--no-fetch")

    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "--kpi acuracy: no ledger entry has this metric" in line


# -- a stale baseline is said out loud ------------------------------------------------------------------------

STALE = "> ⚠️ **Stale baseline:** "


def _first_lines(report: str) -> str:
    return "\n".join(report.splitlines()[:6])


def test_an_old_ledger_entry_is_a_warning_at_the_top(tmp_path: Path, mlgate: Runner,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    world = Origin.make(tmp_path / "old", config=_config(max_drop=0.05))
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2020-01-01T12:00:00+00:00")
    world.dev.update_params({"train": {"accuracy": 0.91}})
    old = world.dev.commit("a month before the head")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    world.dev.git("push", "--quiet", "origin", "main")
    world.record_main()
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.commit("feature, today")
    days = (int(clone.git("show", "-s", "--format=%ct", "HEAD")) - int(clone.git("show", "-s", "--format=%ct", old))) / 86400

    run = mlgate(clone.dir, "--base", "main")

    assert run.result["baseline"]["source"] == "ledger"
    line = (f"the baseline's ledger entry ({old[:7]}) is {days:.0f} days older than the head commit, more than "
            "baseline.max_age_days (14): the default branch has not been recorded lately")
    assert run.result["context"]["stale_baseline"] == [line]
    assert f"{STALE}the baseline's ledger entry ({old[:7]}) is {days:.0f} days older" in _first_lines(run.report)

    clone.write_config({**_config(max_drop=0.05), "baseline": {"max_age_days": days + 1}})
    clone.commit("a longer max age")
    assert STALE not in mlgate(clone.dir, "--base", "main").report


def test_a_merge_base_far_behind_the_default_branch_is_a_warning_at_the_top(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.commit("feature")
    merge_base = world.dev.sha()
    for i in range(51):
        world.dev.git("commit", "--quiet", "--allow-empty", "-m", f"main moves on {i}")
    world.dev.git("push", "--quiet", "origin", "main")
    clone.git("fetch", "--quiet", "origin")

    run = mlgate(clone.dir, "--base", "main")

    assert run.result["base"]["sha"] == merge_base
    assert f"{STALE}the merge-base is 51 commits behind the tip of origin/main (more than 50)" in _first_lines(run.report)


def test_a_merge_base_50_commits_behind_is_not_stale(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.commit("feature")
    for i in range(50):
        world.dev.git("commit", "--quiet", "--allow-empty", "-m", f"main moves on {i}")
    world.dev.git("push", "--quiet", "origin", "main")
    clone.git("fetch", "--quiet", "origin")

    assert STALE not in mlgate(clone.dir, "--base", "main").report


def test_a_reproduced_baseline_is_a_warning_at_the_top(tmp_path: Path, mlgate: Runner) -> None:
    world = Origin.make(tmp_path / "unrecorded", config=_config(max_drop=0.05))  # nothing recorded, nothing pushed
    clone = world.clone("pr")
    clone.checkout("feature", new=True)
    clone.update_params({"train": {"accuracy": 0.89}})  # the head's outputs differ: main's are in no cache
    clone.commit("feature")

    run = mlgate(clone.dir, "--base", "main")

    assert run.result["baseline"]["source"] == "reproduced", run.result["baseline"]
    assert f"{STALE}the baseline had to be reproduced" in _first_lines(run.report)
