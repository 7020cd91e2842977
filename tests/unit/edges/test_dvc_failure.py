"""An exception that escapes DVC is named as DVC's (or the environment's), never as a bug in mlgate; one mlgate
raised itself still is. Real exceptions with real tracebacks, through frames whose files sit where installed
packages do (tests/integration/test_cli_errors.py drives a real .dvcignore through `mlgate run`)."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

from mlgate.edges.dvc.failure import MLGATE, dvc_failure
from mlgate.errors import EXIT_BAD_INPUT, EXIT_PIPELINE

SITE = "/venv/lib/python3.11/site-packages"


def _define(filename: str, source: str) -> dict[str, Any]:
    names: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), names)  # noqa: S102 - the test's own source, placed at a fake path
    return names


def _raised(inner_file: str, inner: str) -> BaseException:
    """What mlgate's code (run/gate.py) sees when the function at ``inner_file`` raises."""
    dvc = _define(inner_file, f"def call():\n    {inner}\n")
    ours = _define(str(MLGATE / "run" / "gate.py"), "def run(f):\n    f()\n")
    with pytest.raises(BaseException) as caught:
        ours["run"](dvc["call"])
    return caught.value


def test_an_import_dvc_cannot_make_names_the_package_and_both_versions():
    # dvc==3.54.1 with pathspec 1.x: `from pathspec.patterns.gitwildmatch import _DIR_MARK` inside dvc/ignore.py
    exc = _raised(f"{SITE}/dvc/ignore.py", "from pathspec.patterns.gitwildmatch import _NO_SUCH_NAME")
    failure = dvc_failure(exc)
    assert failure is not None and failure.exit_code == EXIT_PIPELINE
    dvc, pathspec = metadata.version("dvc"), metadata.version("pathspec")
    assert str(failure).startswith(f"DVC {dvc} cannot start in this environment: ImportError: cannot import name "
                                   "'_NO_SUCH_NAME' from 'pathspec.patterns.gitwildmatch'")
    assert str(failure).endswith(f"; pathspec {pathspec} does not fit DVC {dvc}: upgrade dvc, or pin pathspec to a "
                                 f"release DVC {dvc} supports")


def test_any_other_exception_raised_inside_dvc_is_dvc_s_failure_not_a_bug_in_mlgate():
    exc = _raised(f"{SITE}/dvc/repo/index.py", "raise KeyError('outs')")
    failure = dvc_failure(exc)
    assert failure is not None and failure.exit_code == EXIT_PIPELINE
    assert str(failure) == (f"DVC {metadata.version('dvc')} failed: KeyError: 'outs'; run 'dvc doctor' and 'dvc status' "
                            "in the project for DVC's own view (set MLGATE_DEBUG=1 for the traceback)")


def test_an_ignore_pattern_dvc_rejects_is_bad_input_naming_the_file(tmp_path):
    parser = _define(f"{SITE}/pathspec/patterns/gitwildmatch.py",
                     "class GitWildMatchPatternError(ValueError):\n    pass\n"
                     "def compile(p):\n    raise GitWildMatchPatternError(f'Invalid git pattern: {p!r}')\n")
    ignore = _define(f"{SITE}/dvc/ignore.py", "def parse(dirname, compile):\n    compile('!')\n")
    ours = _define(str(MLGATE / "run" / "gate.py"), "def run(f, *a):\n    f(*a)\n")
    with pytest.raises(ValueError) as caught:
        ours["run"](ignore["parse"], str(tmp_path / "data"), parser["compile"])
    failure = dvc_failure(caught.value)
    assert failure is not None and failure.exit_code == EXIT_BAD_INPUT
    assert str(failure) == (f"{tmp_path / 'data' / '.dvcignore'}: DVC cannot read a pattern in it "
                            "(GitWildMatchPatternError: Invalid git pattern: '!'); fix or remove that line")


@pytest.mark.parametrize(("where", "inner"), [
    (str(MLGATE / "report" / "render.py"), "raise KeyError('gate')"),  # mlgate's own code raised it
    (f"{SITE}/pathspec/util.py", "raise ValueError('bad')"),  # a package mlgate called itself, DVC nowhere
])
def test_an_exception_mlgate_raised_itself_stays_a_bug(where, inner):
    assert dvc_failure(_raised(where, inner)) is None


def test_a_module_is_named_by_the_distribution_that_installs_it():
    exc = _raised(f"{SITE}/dvc/utils/serialize/_yaml.py", "from yaml import _NO_SUCH_NAME")
    failure = dvc_failure(exc)
    assert failure is not None
    assert f"; PyYAML {metadata.version('PyYAML')} does not fit DVC" in str(failure)


def test_a_module_dvc_needs_that_is_not_installed_says_to_reinstall_dvc():
    exc = _raised(f"{SITE}/dvc/repo/__init__.py", "import dvc_no_such_module")
    failure = dvc_failure(exc)
    assert failure is not None and failure.exit_code == EXIT_PIPELINE
    dvc = metadata.version("dvc")
    assert str(failure) == (f"DVC {dvc} cannot start in this environment: ModuleNotFoundError: No module named "
                            f"'dvc_no_such_module'; a package DVC needs is missing: reinstall dvc with its dependencies "
                            f"(pip install 'dvc=={dvc}')")
