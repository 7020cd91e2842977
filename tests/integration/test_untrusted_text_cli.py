"""Property-based, through the real command: arbitrary metric keys, metric values, params and selector names
in a real git + DVC project, `mlgate run` in Actions mode. Never an exit 70, never an injected workflow
command on stdout or stderr, never an error of more than one line.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate.cli import main
from tests.support.dvc_repo import Project, make_project

NASTY = ["\n::error title=pwn::x", "\r::add-mask::y", "\u2028::warning::w", "::set-output name=v::p", "\x85::notice::",
         "|`<b>@octocat", "\x00", ".", "\udc00x"]
texts = st.one_of(
    st.text(min_size=1, max_size=30),
    st.builds(lambda a, b: a + b, st.text(max_size=8), st.sampled_from(NASTY)),
)
values = st.one_of(st.floats(allow_nan=False), st.integers(min_value=-10**30, max_value=10**30), texts, st.booleans(),
                   st.none())
OURS = re.compile(r"::(?:group|endgroup)::|::(?:error|warning|notice) title=mlgate[^:,]*::"
                  r"|::stop-commands::mlgate-[0-9a-f]{32}$|::mlgate-[0-9a-f]{32}::$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = make_project(tmp_path_factory.mktemp("props") / "repo", stages={}, config={"version": 1}, repro=False,
                     commit=False)
    p.write("dvc.yaml", "metrics:\n- m.json\nparams:\n- p.json\n")
    p.write("m.json", json.dumps({"accuracy": 0.9}))
    p.write("p.json", json.dumps({"lr": 0.1}))
    p.commit("metrics")
    return p


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=texts, value=values, param=texts, param_value=values, selector=st.one_of(texts, st.just("KEY")))
def test_any_metric_key_value_param_and_selector(project, tmp_path, monkeypatch, capsys, key, value, param,
                                                 param_value, selector):
    selector = key if selector == "KEY" else selector
    project.write("m.json", json.dumps({"accuracy": 0.9, key: value}))
    project.write("p.json", json.dumps({"lr": 0.1, param: param_value}))
    project.write_config(json.dumps({"version": 1, "kpis": {selector: {"min": 0.5}, "accuracy": {"min": 0.5}}}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.chdir(project.dir)
    capsys.readouterr()

    code = main(["run", "--no-repro", "--quiet", "--trend", "0", "--report", str(tmp_path / "r.md"),
                 "--json", str(tmp_path / "r.json")])

    out = capsys.readouterr()
    assert code in (0, 1, 2), out.err
    for line in re.split(r"\r\n|\r|\n", out.out + "\n" + out.err):
        line = line.lstrip()
        assert not line.startswith("::") or OURS.match(line), line
    errors = [line for line in out.err.split("\n") if line.startswith("mlgate: error: ")]
    assert len(errors) <= 1, out.err
    if code == 2:  # bad input: exactly one line on stderr, and it is the error
        assert out.err.strip().split("\n") == errors and len(errors[0].splitlines()) == 1, out.err
