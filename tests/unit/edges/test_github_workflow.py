"""Workflow commands (escaping), step outputs and the job summary."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from mlgate.edges import ci_context as workflow
from mlgate.errors import InputError


def parse_output_file(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT the way the runner does: `k=v` lines and `k<<DELIM` ... `DELIM` blocks."""
    lines = text.split("\n")
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            out[line[:eq]] = line[eq + 1:]
            continue
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        body = []
        while lines[i] != delimiter:
            body.append(lines[i])
            i += 1
        i += 1
        out[name] = "\n".join(body)
    return out


def test_data_escapes_percent_and_newlines() -> None:
    assert workflow.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"


def test_properties_also_escape_colon_and_comma() -> None:
    assert workflow.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_error_annotation_with_properties() -> None:
    out = io.StringIO()
    workflow.error("accuracy dropped\nby 0.02", title="gate: accuracy, drop", file="eval/metrics.json", line=3,
                   stream=out)
    assert out.getvalue() == (
        "::error file=eval/metrics.json,line=3,title=gate%3A accuracy%2C drop::accuracy dropped%0Aby 0.02\n")


def test_injected_command_in_a_metric_name_stays_inside_one_command() -> None:
    out = io.StringIO()
    workflow.warning("size\n::add-mask::x\n::set-env name=A::B", title="x::y", stream=out)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.startswith("::warning title=x%3A%3Ay::")


def test_group_folds_even_when_the_body_raises() -> None:
    out = io.StringIO()
    with pytest.raises(RuntimeError), workflow.group("dvc repro: train", stream=out):
        out.write("log line\n")
        raise RuntimeError("stage failed")
    assert out.getvalue() == "::group::dvc repro: train\nlog line\n::endgroup::\n"


def test_mask_each_line_of_a_multi_line_secret() -> None:
    out = io.StringIO()
    workflow.mask("line-one\nline-two", stream=out)
    assert out.getvalue() == "::add-mask::line-one\n::add-mask::line-two\n"


def test_stop_commands_uses_a_fresh_token_and_resumes() -> None:
    out = io.StringIO()
    with workflow.stop_commands(stream=out) as token:
        out.write("::error::from untrusted code\n")
    lines = out.getvalue().splitlines()
    assert lines[0] == f"::stop-commands::{token}" and lines[-1] == f"::{token}::"
    assert re.fullmatch(r"mlgate-[0-9a-f]{32}", token)


def test_outputs_round_trip_single_and_multi_line(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("earlier=1\n", encoding="utf-8")
    values = {"verdict": "fail", "failed-gates": "accuracy\nf1", "blocking": True, "empty": None, "n": 3,
              "tricky": "a=b<<c"}
    workflow.set_outputs(path, values)
    parsed = parse_output_file(path.read_text(encoding="utf-8"))
    assert parsed == {"earlier": "1", "verdict": "fail", "failed-gates": "accuracy\nf1", "blocking": "true",
                      "empty": "", "n": "3", "tricky": "a=b<<c"}


def test_multi_line_outputs_get_distinct_random_delimiters(tmp_path: Path) -> None:
    text = workflow.format_outputs({"a": "x\ny", "b": "x\ny"})
    delimiters = re.findall(r"<<(\S+)", text)
    assert len(set(delimiters)) == 2


def test_invalid_output_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="step output name"):
        workflow.set_outputs(tmp_path / "out", {"bad\nname": "x"})


def test_summary_appends(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    assert workflow.append_summary(path, "# one") is False
    assert workflow.append_summary(path, "two\n") is False
    assert path.read_text(encoding="utf-8") == "# one\ntwo\n"


def test_summary_is_cut_at_a_line_to_stay_under_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("x" * 100 + "\n", encoding="utf-8")
    markdown = "".join(f"| row {i} | é |\n" for i in range(20_000))
    assert workflow.append_summary(path, markdown, limit_bytes=4096) is True
    data = path.read_bytes()
    assert len(data) <= 4096
    text = data.decode("utf-8")
    assert "Summary truncated" in text
    body = text[101: text.index("> **Summary truncated**")].rstrip("\n")
    assert body.endswith("|") and all(line.startswith("| row ") for line in body.split("\n"))


def test_summary_default_limit_is_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    assert workflow.append_summary(path, "y" * 1000 + "\n" + "z" * (1024 * 1024)) is True
    assert path.stat().st_size <= 1024 * 1024
