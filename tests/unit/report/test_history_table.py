"""history_table: `mlgate history` fits 100 columns, reads each KPI in one format, states the scale."""

from __future__ import annotations

from mlgate.report.history_table import render_history


def rows(n: int) -> list[dict]:
    return [{"sha": f"{i:07d}abc", "date": "2026-01-01 10:00", "verdict": "pass"} for i in range(n)]


def test_many_kpis_fit_100_columns_and_the_rest_are_named():
    columns = [(f"per_class.class_{i}.recall_at_k", f"m.json:per_class.class_{i}.recall_at_k") for i in range(12)]
    series = {name: [0.9 + i / 1000 for i in range(5)] for _, name in columns}
    out = render_history(rows(5), columns, series, title="main")
    assert all(len(line) <= 100 for line in out.splitlines()), max(out.splitlines(), key=len)
    assert "more KPIs not shown to fit 100 columns" in out and "pick some with --kpi" in out


def test_a_kpi_column_reads_with_one_format_and_the_sparkline_states_its_scale():
    columns = [("accuracy", "m.json:accuracy"), ("n_rows", "m.json:n_rows")]
    series = {"m.json:accuracy": [0.965, 1.0, None, 0.9231], "m.json:n_rows": [20170428, 20170429, 20170429, 20170430]}
    out = render_history(rows(4), columns, series, title="main")
    table = out.split("\n\n")[1]
    assert "0.9650" in table and "1.0000" in table and "0.9231" in table and "—" in table
    assert "20170428" in table and "20,170,428" not in table
    spark_line = next(line for line in out.splitlines() if line.startswith("accuracy "))
    assert "scale " in spark_line and "· last 0.9231" in spark_line
