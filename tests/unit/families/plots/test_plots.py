"""plots: LTTB, dvc.yaml plot definitions, data files, curves, confusion matrices and the plots family."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlgate.config.load import parse_config
from mlgate.edges.sides import DirectorySide
from mlgate.errors import ConfigError, InputError
from mlgate.families.plots import family
from mlgate.families.plots.confusion import confusion_plot, counts, roles
from mlgate.families.plots.curves import POINTS, area, line_plot, resample, side_curves
from mlgate.families.plots.data import PlotDataError, read_records
from mlgate.families.plots.definitions import plot_definitions
from mlgate.families.plots.lttb import lttb
from mlgate.report.charts import plot_body, plot_summary

# -- LTTB ------------------------------------------------------------------------------------------


def test_lttb_keeps_the_ends_and_returns_n_points():
    points = [(float(i), math.sin(i / 10)) for i in range(1000)]
    kept = lttb(points, 40)
    assert len(kept) == 40
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert [p[0] for p in kept] == sorted(p[0] for p in kept)  # still in x order
    assert set(kept) <= set(points)


def test_lttb_keeps_a_single_spike_that_averaging_would_flatten():
    points = [(float(i), 0.0) for i in range(1000)]
    points[537] = (537.0, 10.0)
    kept = lttb(points, 20)
    assert (537.0, 10.0) in kept
    assert max(y for _, y in kept) == 10.0


def test_lttb_picks_the_extreme_of_each_bucket_on_a_zigzag():
    points = [(float(i), float(i % 2)) for i in range(100)]
    kept = lttb(points, 10)
    assert {y for _, y in kept[1:-1]} <= {0.0, 1.0}


def test_lttb_returns_short_input_unchanged_and_refuses_tiny_n():
    points = [(0.0, 1.0), (1.0, 2.0)]
    assert lttb(points, 5) == points
    with pytest.raises(ValueError, match="n >= 3"):
        lttb(points, 2)


# -- definitions ----------------------------------------------------------------------------------


def test_definitions_from_top_level_and_stage_plots():
    dvc_yaml = {
        "plots": [
            "eval/importance.png",
            {"eval/roc.json": {"x": "fpr", "y": "tpr", "title": "ROC", "x_label": "FPR"}},
            {"losses": {"x": "step", "y": {"train.tsv": "loss", "val.tsv": ["loss", "acc"]}}},
            42,
        ],
        "stages": {"evaluate": {"cmd": "x", "plots": [
            {"eval/cm.csv": {"cache": False, "template": "confusion", "x": "predicted", "y": "actual"}},
            "eval/roc.json",  # already declared at the top level
        ]}},
    }
    plots, notes = plot_definitions(dvc_yaml)
    by_id = {p.id: p for p in plots}
    assert list(by_id) == ["eval/importance.png", "eval/roc.json", "losses", "eval/cm.csv"]
    assert by_id["eval/importance.png"].kind == "image"
    roc = by_id["eval/roc.json"]
    assert (roc.kind, roc.x, roc.sources, roc.title, roc.x_label) == ("line", "fpr", {"eval/roc.json": ("tpr",)}, "ROC", "FPR")
    assert by_id["losses"].sources == {"train.tsv": ("loss",), "val.tsv": ("loss", "acc")}
    assert by_id["eval/cm.csv"].kind == "confusion"
    assert notes == ["dvc.yaml: plots: entry '42' is not a plot definition; skipped"]


def test_definitions_of_a_project_without_plots():
    assert plot_definitions({"stages": {"a": {"cmd": "x"}}}) == ([], [])
    assert plot_definitions(None) == ([], [])


# -- data files -------------------------------------------------------------------------------------


def test_records_from_json_yaml_csv_and_tsv(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"roc": [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]}))
    (tmp_path / "b.yaml").write_text("- {step: 1, loss: 0.5}\n- {step: 2, loss: 0.4}\n")
    (tmp_path / "c.csv").write_text("actual,predicted,p\ncat,dog,0.25\n")
    (tmp_path / "d.tsv").write_text("step\tloss\n0\t1e-3\n")
    assert read_records(tmp_path / "a.json", "a.json")[1] == {"fpr": 1, "tpr": 1}
    assert read_records(tmp_path / "b.yaml", "b.yaml")[0] == {"step": 1, "loss": 0.5}
    assert read_records(tmp_path / "c.csv", "c.csv") == [{"actual": "cat", "predicted": "dog", "p": 0.25}]
    assert read_records(tmp_path / "d.tsv", "d.tsv") == [{"step": 0, "loss": 0.001}]


@pytest.mark.parametrize(("name", "content", "why"), [
    ("x.json", "{not json", "not valid JSON"),
    ("x.json", '{"a": 1}', "holds no list of records"),
    ("x.yaml", "a: [", "not valid YAML"),
])
def test_unreadable_data_says_why(tmp_path, name, content, why):
    (tmp_path / name).write_text(content)
    with pytest.raises(PlotDataError, match=why):
        read_records(tmp_path / name, name)


# -- curves -----------------------------------------------------------------------------------------


def roc_records(power: float) -> list[dict]:
    return [{"fpr": 0.0, "tpr": 0.0}] + [{"fpr": i / 50, "tpr": (i / 50) ** power} for i in range(51)]


def test_a_roc_curve_gets_0_to_1_axes_and_its_auc():
    head = side_curves({"roc.json": roc_records(0.5)}, {"roc.json": ("tpr",)}, "fpr")
    base = side_curves({"roc.json": roc_records(0.25)}, {"roc.json": ("tpr",)}, "fpr")
    plot = line_plot(head, base, x_label=None, y_label=None)
    assert plot["curve"] == "roc"
    assert plot["x_range"] == [0.0, 1.0] and plot["y_range"] == [0.0, 1.0]
    assert [s["side"] for s in plot["series"]] == ["base", "head"]
    assert all(len(s["values"]) == POINTS for s in plot["series"])
    assert plot["summary"] == [{"what": "AUC", "of": None, "base": pytest.approx(0.8, abs=0.01),
                                "head": pytest.approx(2 / 3, abs=0.01)}]


def test_area_is_the_trapezoid_sum():
    assert area([(0.0, 0.0), (1.0, 1.0)]) == 0.5
    assert area([(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]) == 1.0  # a perfect ROC: the vertical step counts


def test_resample_spreads_values_evenly_and_keeps_the_shape():
    curve = [(0.0, 0.0), (0.0, 0.9), (1.0, 1.0)]  # a ROC's jump at x = 0: the last point at a repeated x counts
    values = resample(curve, 0.0, 1.0, 10)
    assert len(values) == 10 and values[0] == 0.9 and values[-1] == 1.0


def test_a_step_plot_shows_where_both_sides_ran_and_the_final_values():
    head = side_curves({"loss.tsv": [{"step": i, "loss": 1 / (i + 1)} for i in range(100)]}, {"loss.tsv": ()}, None)
    base = side_curves({"loss.tsv": [{"step": i, "loss": 2 / (i + 1)} for i in range(50)]}, {"loss.tsv": ()}, None)
    plot = line_plot(head, base, x_label=None, y_label=None)
    assert plot["curve"] == "curve" and plot["x_label"] == "step" and plot["y_label"] == "loss"
    assert plot["x_range"] == [0.0, 49.0] and plot["x_note"] == "overlap"
    assert plot["summary"] == [{"what": "final", "of": "loss", "base": 2 / 50, "head": 1 / 100}]
    low, high = plot["y_range"]
    assert low == 0.0 and high >= 2.0  # loss is not a rate: the data's range, padded, never below 0


def test_a_plot_of_one_step_on_both_sides_is_compared_in_numbers_not_drawn():
    # dvclive's per-metric plots of a single evaluation: one row at step 0 on each side
    head = side_curves({"mae.tsv": [{"step": 0, "mae": 52.4}]}, {"mae.tsv": ()}, None)
    base = side_curves({"mae.tsv": [{"step": 0, "mae": 48.4}]}, {"mae.tsv": ()}, None)
    plot = line_plot(head, base, x_label=None, y_label=None)
    assert plot["x_note"] == ""  # the same single step on both sides overlaps
    assert plot["series"] == []  # no flat line drawn through one point
    assert plot["summary"] == [{"what": "final", "of": "mae", "base": 48.4, "head": 52.4}]
    assert plot_body({"kind": "line", **plot}) == ""
    assert plot_summary({"kind": "line", "id": "eval/plots/metrics/mae.tsv", "status": "changed", **plot}) == (
        "`eval/plots/metrics/mae.tsv` — final `mae` 48.4 → 52.4")


def test_sides_that_only_touch_at_one_step_do_not_overlap():
    head = side_curves({"loss.tsv": [{"step": i, "loss": 1.0} for i in range(5, 10)]}, {"loss.tsv": ()}, None)
    base = side_curves({"loss.tsv": [{"step": i, "loss": 2.0} for i in range(6)]}, {"loss.tsv": ()}, None)
    plot = line_plot(head, base, x_label=None, y_label=None)
    assert plot["x_note"] == "no_overlap" and plot["x_range"] == [5.0, 9.0]
    assert [s["side"] for s in plot["series"]] == ["head"]


# -- confusion --------------------------------------------------------------------------------------


def test_confusion_counts_cells_and_names_the_largest_shift():
    rows = [{"actual": a, "predicted": p} for a, p, n in (("b", "b", 88), ("b", "m", 2), ("m", "b", 9), ("m", "m", 44))
            for _ in range(n)]
    base_rows = [{"actual": a, "predicted": p} for a, p, n in (("b", "b", 87), ("b", "m", 3), ("m", "b", 3), ("m", "m", 50))
                 for _ in range(n)]
    plot = confusion_plot(counts(rows, "actual", "predicted"), counts(base_rows, "actual", "predicted"), normalized=False)
    assert plot["labels"] == ["b", "m"]
    assert plot["cells"] == [[[88, 87], [2, 3]], [[9, 3], [44, 50]]]
    assert plot["shifts"][0] == {"actual": "m", "predicted": "b", "change": 6}


@pytest.mark.parametrize(("x", "y", "expected"), [
    ("actual", "predicted", ("actual", "predicted")),  # DVC's convention: x is the actual class
    ("label", "class", ("label", "class")),  # names that say nothing: DVC's convention still
    ("y_true", "y_pred", ("y_true", "y_pred")),
    ("predicted", "actual", ("actual", "predicted")),  # the names say the other way round
    ("pred", "label", ("label", "pred")),
])
def test_confusion_roles_follow_dvc_unless_the_names_say_otherwise(x, y, expected):
    assert roles(x, y) == expected


# -- the family -------------------------------------------------------------------------------------

DVC_YAML = """stages:
  evaluate:
    cmd: python evaluate.py
    plots:
      - eval/roc.json:
          x: fpr
          y: tpr
          title: ROC curve
      - eval/cm.csv:
          template: confusion
          x: predicted
          y: actual
      - eval/importance.png
      - eval/same.png
"""


def write_side(root: Path, power: float, errors: int, image: bytes) -> DirectorySide:
    (root / "eval").mkdir(parents=True)
    (root / "dvc.yaml").write_text(DVC_YAML)
    (root / "eval" / "roc.json").write_text(json.dumps({"roc": roc_records(power)}))
    lines = ["actual,predicted"] + ["cat,cat"] * 40 + ["dog,cat"] * errors + ["dog,dog"] * (30 - errors)
    (root / "eval" / "cm.csv").write_text("\n".join(lines) + "\n")
    (root / "eval" / "importance.png").write_bytes(image)
    (root / "eval" / "same.png").write_bytes(b"same")
    return DirectorySide(root.name, None, root)


def sides(tmp_path):
    return (write_side(tmp_path / "head", 0.5, 7, b"new"), write_side(tmp_path / "base", 0.25, 2, b"old"))


def test_the_family_shows_every_plot_changed_first(tmp_path):
    head, base = sides(tmp_path)
    result = family.compute(parse_config("version: 1"), head, base)
    assert result.key == "plots" and result.head == {} and result.judge is None
    section = json.loads(json.dumps(result.section))  # JSON-serialisable, as the Result stores it
    assert [(p["id"], p["status"]) for p in section["plots"]] == [
        ("eval/roc.json", "changed"), ("eval/cm.csv", "changed"), ("eval/importance.png", "changed"),
        ("eval/same.png", "unchanged")]
    assert section["changed"] == 3 and section["total"] == 4
    assert section["images_changed"] == ["eval/importance.png"]


def test_without_a_base_the_head_is_shown_alone(tmp_path):
    head, _ = sides(tmp_path)
    section = family.compute(parse_config("version: 1"), head, None).section
    assert {p["status"] for p in section["plots"]} == {"no base"}
    roc = section["plots"][0]
    assert [s["side"] for s in roc["series"]] == ["head"] and roc["summary"][0]["base"] is None


def test_report_plots_false_or_no_dvc_yaml_means_no_section(tmp_path):
    head, base = sides(tmp_path)
    assert family.compute(parse_config("version: 1\nreport: {plots: false}"), head, base) is None
    assert family.compute(parse_config("version: 1"), DirectorySide("head", None, tmp_path), None) is None


def test_report_plots_picks_plots_by_id(tmp_path):
    head, base = sides(tmp_path)
    section = family.compute(parse_config("version: 1\nreport: {plots: [eval/cm.csv]}"), head, base).section
    assert [p["id"] for p in section["plots"]] == ["eval/cm.csv"]


def test_report_plots_naming_an_unknown_plot_is_a_config_error(tmp_path):
    head, base = sides(tmp_path)
    with pytest.raises(ConfigError, match=r"report.plots: 'eval/rock.json' is not a plot in dvc.yaml \(plots: "
                                          r"eval/cm.csv, eval/importance.png, eval/roc.json, eval/same.png\)"):
        family.compute(parse_config("version: 1\nreport: {plots: [eval/rock.json]}"), head, base)


def test_report_plots_must_be_a_bool_or_a_list_of_ids():
    with pytest.raises(ConfigError, match=r"^mlgate.yaml:2: report.plots: expected true, false or a list of plot "
                                          r"ids from dvc.yaml, got 'yes please'$"):
        parse_config("version: 1\nreport: {plots: yes please}")


def test_an_unreadable_plot_is_a_warning_not_an_error(tmp_path):
    head, base = sides(tmp_path)
    (tmp_path / "head" / "eval" / "roc.json").write_text("{broken")
    result = family.compute(parse_config("version: 1"), head, base)
    roc = next(p for p in result.section["plots"] if p["id"] == "eval/roc.json")
    assert roc["status"] == "unreadable" and roc["error"].startswith("not valid JSON")
    assert result.warnings == (f"plot eval/roc.json: {roc['error']}",)


def test_a_broken_base_file_is_the_base_not_read_and_the_head_still_shown(tmp_path):
    head, base = sides(tmp_path)
    (tmp_path / "base" / "eval" / "roc.json").write_text("{broken")
    result = family.compute(parse_config("version: 1"), head, base)
    roc = next(p for p in result.section["plots"] if p["id"] == "eval/roc.json")
    assert roc["status"] == "base unread" and roc["base_unread"].startswith("eval/roc.json at the base: not valid JSON")
    assert [s["side"] for s in roc["series"]] == ["head"]
    assert f"plot eval/roc.json: the base's data was not read ({roc['base_unread']}); the head is shown alone" \
        in result.warnings


class _Unfetchable(DirectorySide):
    """A base whose DVC-cached files cannot be fetched (as RevisionSide says when a remote's plugin is missing)."""

    def path(self, rel: str) -> Path | None:
        if rel.endswith((".json", ".csv", ".png")):
            raise InputError(f"{rel} at abc1234: not in the DVC cache, and the DVC remote 'store' (gdrive://x) needs "
                             "DVC's gdrive plugin, which is not installed: pip install dvc-gdrive")
        return super().path(rel)


def test_a_base_that_cannot_be_fetched_says_so_and_why_in_the_report(tmp_path):
    head, _ = sides(tmp_path)
    base = _Unfetchable("base", "abc1234", tmp_path / "base")
    section = json.loads(json.dumps(family.compute(parse_config("version: 1"), head, base).section))
    assert {p["status"] for p in section["plots"]} == {"base unread"}  # neither "new" nor a range apart
    report = render(make_result(sections={"plots": section}, warnings=[], metrics={}, params={}))
    assert ("ROC curve · `eval/roc.json` — AUC 0.6661 (the base's data was not read: eval/roc.json at abc1234: not "
            "in the DVC cache, and the DVC remote 'store' (gdrive://x) needs DVC's gdrive plugin, which is not "
            "installed: pip install dvc-gdrive)") in report
    assert "`eval/importance.png` — image (the base's data was not read: eval/importance.png at abc1234: " in report
    assert "x-range does not overlap" not in report and "new" not in report.split("<summary>Plots")[1]
    assert "<summary>Plots (0 changed of 4, 4 without the base's data)</summary>" in report


def test_a_base_file_without_the_head_s_x_field_is_not_a_range_apart(tmp_path):
    """The base wrote no ``step`` column: its rows are not the head's steps, so no "x-ranges do not overlap"."""
    sides_ = []
    for name, rows in (("head", "step,loss\n100,0.5\n101,0.4\n"), ("base", "epoch,loss\n0,0.9\n1,0.8\n")):
        root = tmp_path / name
        (root / "eval").mkdir(parents=True)
        (root / "dvc.yaml").write_text("plots:\n  - eval/loss.csv:\n      x: step\n      y: loss\n")
        (root / "eval" / "loss.csv").write_text(rows)
        sides_.append(DirectorySide(name, None, root))
    section = family.compute(parse_config("version: 1"), *sides_).section
    (plot,) = section["plots"]
    assert plot["status"] == "base unread" and plot["x_note"] == ""
    assert plot["base_unread"] == "eval/loss.csv at the base holds no numeric values of 'loss' along 'step'"
    report = render(make_result(sections={"plots": json.loads(json.dumps(section))}, warnings=[], metrics={}, params={}))
    assert "does not overlap" not in report and "head only: the base's data was not read" in report


def test_a_directory_plot_is_one_plot_per_file(tmp_path):
    root = tmp_path / "head"
    (root / "dvclive" / "plots" / "metrics").mkdir(parents=True)
    (root / "dvc.yaml").write_text("plots:\n  - dvclive/plots/metrics:\n      x: step\n")
    for name in ("loss", "acc"):
        (root / "dvclive" / "plots" / "metrics" / f"{name}.tsv").write_text(f"timestamp\tstep\t{name}\n0\t0\t1\n0\t1\t0.5\n")
    section = family.compute(parse_config("version: 1"), DirectorySide("head", None, root), None).section
    assert [p["id"] for p in section["plots"]] == ["dvclive/plots/metrics/acc.tsv", "dvclive/plots/metrics/loss.tsv"]
    assert section["plots"][1]["summary"] == [{"what": "final", "of": "loss", "base": None, "head": 0.5}]


# -- in the report ----------------------------------------------------------------------------------

import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[2] / "report"))

from test_report import assert_inert, assert_tables_whole, make_result, render, render_exact  # noqa: E402  # noqa: E402

from mlgate.report.render import COMMENT_LIMIT  # noqa: E402

GOLDEN = Path(__file__).parents[2] / "report" / "golden" / "report_plots.md"

EVERY_KIND = """plots:
  - dvclive/plots/metrics/loss.tsv:
      x: step
      title: Training loss
  - eval/pr.json:
      x: recall
      y: precision
      template: simple
  - eval/cm_share.csv:
      template: confusion_normalized
      x: predicted
      y: actual
  - split confusion:
      template: confusion
      title: Confusion, train and test
      x: actual
      y:
        eval/train_cm.json: predicted
        eval/test_cm.json: predicted
stages:
  evaluate:
    cmd: python evaluate.py
    plots:
      - eval/roc.json:
          x: fpr
          y: tpr
          title: ROC curve
          x_label: false positive rate
          y_label: true positive rate
      - eval/cm.csv:
          template: confusion
          x: predicted
          y: actual
      - eval/importance.png
      - eval/same.png
"""


def write_every_kind(root: Path, shift: int) -> DirectorySide:
    (root / "eval").mkdir(parents=True)
    (root / "dvclive" / "plots" / "metrics").mkdir(parents=True)
    (root / "dvc.yaml").write_text(EVERY_KIND)
    (root / "eval" / "roc.json").write_text(json.dumps({"roc": roc_records(0.5 if shift else 0.25)}))
    pr = [{"recall": i / 20, "precision": 1 - (i / 20) ** (2 + shift)} for i in range(21)]
    (root / "eval" / "pr.json").write_text(json.dumps(pr))
    loss = "timestamp\tstep\tloss\n" + "".join(f"0\t{i}\t{(1.5 + shift / 2) / (1 + i / 10):.4f}\n" for i in range(200))
    (root / "dvclive" / "plots" / "metrics" / "loss.tsv").write_text(loss)
    errors = 2 + 5 * shift
    rows = ["actual,predicted"] + ["benign,benign"] * 88 + ["benign,malignant"] * 2 + \
        ["malignant,benign"] * errors + ["malignant,malignant"] * (50 - errors)
    (root / "eval" / "cm.csv").write_text("\n".join(rows) + "\n")
    (root / "eval" / "cm_share.csv").write_text("\n".join(rows) + "\n")
    # train got better at the head, test worse: summed, the two would cancel out
    train = [("cat", "cat")] * (40 + 4 * shift) + [("cat", "dog")] * (10 - 4 * shift) + [("dog", "dog")] * 50
    test = [("cat", "cat")] * (45 - 4 * shift) + [("cat", "dog")] * (5 + 4 * shift) + [("dog", "dog")] * 50
    for name, pairs in (("train_cm.json", train), ("test_cm.json", test)):
        (root / "eval" / name).write_text(json.dumps([{"actual": a, "predicted": p} for a, p in pairs]))
    (root / "eval" / "importance.png").write_bytes(b"png %d" % shift)
    (root / "eval" / "same.png").write_bytes(b"same")
    return DirectorySide(root.name, None, root)


def plots_result(tmp_path: Path):
    head = write_every_kind(tmp_path / "head", 1)
    base = write_every_kind(tmp_path / "base", 0)
    section = json.loads(json.dumps(family.compute(parse_config("version: 1"), head, base).section))
    return make_result(sections={"plots": section}, warnings=[], metrics={}, params={})


def test_plots_of_every_kind_match_the_golden_report(tmp_path):
    rendered = render_exact(plots_result(tmp_path))
    if os.environ.get("MLGATE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_golden_plots_show_charts_tables_summaries_and_images():
    report = GOLDEN.read_text(encoding="utf-8").replace("\u00a0", " ")
    assert_tables_whole(report)
    assert "<details><summary>Plots (7 changed of 8)</summary>" in report
    section = report[report.index("<summary>Plots"):]
    ids = re.findall(r"^(?:[^`\n]* · )?`([^`]+)` —", section, flags=re.M)
    assert ids[-1] == "eval/same.png" and len(ids) == 8  # every plot named once, the unchanged one last
    # ROC: honest 0–1 axes, its labels, base and head on the same axes, the AUC in words
    assert "ROC curve · `eval/roc.json` — AUC 0.7976 → 0.6661" in report
    assert 'x-axis "false positive rate" 0 --> 1' in report and 'y-axis "true positive rate" 0 --> 1' in report
    # dvclive step plot: the final value in words
    assert "Training loss · `dvclive/plots/metrics/loss.tsv` — final `loss` 0.0718 → 0.0957" in report
    assert 'y-axis "loss" 0 --> 2.154' in report  # not a rate: the data's range, padded, from 0
    # precision-recall
    assert "`eval/pr.json` — area under PR" in report
    # confusion: head counts with the change against the base, the largest shift named
    assert "`eval/cm.csv` — largest shifts: 5 more `malignant` predicted as `benign`" in report
    assert "| `malignant` | 7 (+5) | 43 (−5) |" in report
    assert "| `benign` | 0.98 | 0.02 |" in report  # normalized: shares of the row
    assert "| `malignant` | 0.14 (+0.10) | 0.86 (−0.10) |" in report
    # a confusion plot of several files: a matrix each, so the test set's loss is not hidden by train's gain
    assert ("Confusion, train and test · `split confusion` — `eval/train_cm.json`: largest shifts: 4 fewer `cat` "
            "predicted as `dog`, 4 more `cat` predicted correctly; `eval/test_cm.json`: largest shifts: 4 more `cat` "
            "predicted as `dog`, 4 fewer `cat` predicted correctly") in report
    test_table = report[report.index("`eval/test_cm.json`:\n"):]
    assert "| `actual` ↓ `predicted` → | `cat` | `dog` |" in test_table and "| `cat` | 41 (−4) | 9 (+4) |" in test_table
    # images by hash, for the run's artifact
    assert "`eval/importance.png` — image, changed" in report and "`eval/same.png` — image, unchanged" in report
    assert "_1 changed image is in the run's artifact: [workflow run](https://github.com/OWNER/REPO/actions/runs/123#artifacts)._" in report
    assert report.count("```mermaid") == 3 and report.count("grey: main · blue: this PR") == 3


def test_hostile_plot_ids_and_labels_stay_inert(tmp_path):
    hostile = "<img src=x onerror=alert(1)> @octocat **b** [l](u) | x"
    root = tmp_path / "head"
    (root / "eval").mkdir(parents=True)
    (root / "dvc.yaml").write_text(json.dumps({"plots": [{"eval/cm.csv": {"template": "confusion", "x": "p", "y": "a",
                                                                       "title": hostile + '" %%{init}%% ```'}}]}))
    (root / "eval" / "cm.csv").write_text(f"a,p\n\"{hostile}\",b\nb,b\n")
    (root / "eval" / "roc.json").write_text("[]")
    section = family.compute(parse_config("version: 1"), DirectorySide("head", None, root), None).section
    report = render(make_result(sections={"plots": json.loads(json.dumps(section))}))
    assert_tables_whole(report)
    for line in report.splitlines()[1:]:
        if not line.startswith(("```", "%%{init", "xychart", "    ")):
            assert_inert(line)


def test_fifty_plots_and_two_thousand_metrics_fit_a_comment(tmp_path):
    report = render(big_plots_result(tmp_path))
    assert len(report) <= COMMENT_LIMIT
    assert_tables_whole(report)
    assert "<details><summary>Plots (50 changed)</summary>" in report
    assert len(re.findall(r"^`eval/p\d\d\.json` — final", report, flags=re.M)) == 50  # every plot named
    assert 0 < report.count("```mermaid") < 50  # charts while they fit, one line each after
    assert report.rstrip().endswith("</sub>")
    summary = render(big_plots_result(tmp_path / "again"), limit=1_048_576)  # the job summary has room for all
    assert summary.count("```mermaid") == 50


def big_plots_result(tmp_path: Path):
    """50 changed line plots and 2,000 metrics: the case bench/bench_report.py times."""
    return make_result(sections={"plots": fifty_plots(tmp_path)}, metrics={
        "eval/metrics.json": {f"slice_{i:04d}.recall": {"old": 0.5, "new": 0.5 + i / 1e5, "diff": i / 1e5}
                              for i in range(2000)}})


def fifty_plots(tmp_path: Path) -> dict:
    sides = []
    for name, scale in (("head", 1.0), ("base", 1.2)):
        root = tmp_path / name
        (root / "eval").mkdir(parents=True)
        (root / "dvc.yaml").write_text("plots:\n" + "".join(f"  - eval/p{i:02d}.json:\n      x: step\n      y: loss\n"
                                                           for i in range(50)))
        for i in range(50):
            (root / "eval" / f"p{i:02d}.json").write_text(json.dumps(
                [{"step": s, "loss": scale * (1 + i) / (1 + s)} for s in range(300)]))
        sides.append(DirectorySide(name, None, root))
    return json.loads(json.dumps(family.compute(parse_config("version: 1"), sides[0], sides[1]).section))


def test_a_confusion_plot_from_an_older_result_still_renders_its_table():
    """Results written before a matrix per file held one flat matrix, its rows under ``y_label``."""
    plot = {"id": "eval/cm.csv", "kind": "confusion", "template": "confusion", "title": None, "status": "changed",
            "labels": ["a", "b"], "cells": [[[1, 1], [0, 1]], [[0, 0], [2, 2]]], "normalized": False,
            "shifts": [{"actual": "a", "predicted": "b", "change": -1}], "head_total": 3, "base_total": 4,
            "classes_hidden": 0, "x_label": "predicted", "y_label": "actual"}
    section = {"plots": [plot], "total": 1, "changed": 1, "images_changed": [], "base": True}
    report = render(make_result(sections={"plots": section}, warnings=[], metrics={}, params={}))
    assert "`eval/cm.csv` — largest shift: 1 fewer `a` predicted as `b`" in report
    assert "| `actual` ↓ `predicted` → | `a` | `b` |" in report and "| `a` | 1 | 0 (−1) |" in report


def test_a_base_confusion_file_without_the_fields_is_not_a_matrix_of_zeros(tmp_path):
    sides_ = []
    for name, header in (("head", "actual,predicted"), ("base", "truth,guess")):
        root = tmp_path / name
        (root / "eval").mkdir(parents=True)
        (root / "dvc.yaml").write_text("plots:\n  - eval/cm.csv:\n      template: confusion\n      x: actual\n"
                                       "      y: predicted\n")
        (root / "eval" / "cm.csv").write_text(header + "\n" + "cat,cat\n" * 3 + "cat,dog\n")
        sides_.append(DirectorySide(name, None, root))
    (plot,) = family.compute(parse_config("version: 1"), *sides_).section["plots"]
    assert plot["status"] == "base unread"
    assert plot["base_unread"] == "eval/cm.csv at the base holds no records with fields 'actual' and 'predicted'"
    assert plot["matrices"][0]["base_total"] is None and plot["matrices"][0]["shifts"] == []
