"""`mlgate init` on real git + DVC projects: the files it writes are accepted by `mlgate check` and the first
`mlgate run` passes; existing files are kept; a folder without DVC, a pipeline without metrics and a
folder it cannot write are one-line errors or plain notes."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlgate.config.load import load_config
from tests.support.dvc_repo import git, make_project, mlgate_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "classifier"
pytestmark = [pytest.mark.slow]


def mlgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = mlgate_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    return subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _first_run_passes(cwd: Path, tmp_path: Path) -> dict:
    import json

    proc = mlgate(cwd, "run", "--report", str(tmp_path / "r.md"), "--json", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "pass"
    return result


def test_a_project_with_loss_and_val_accuracy(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", params={"metrics": {"loss": 0.31, "val_accuracy": 0.88}}, config=None)

    proc = mlgate(project.dir, "init")

    assert proc.returncode == 0, proc.stderr
    assert "wrote mlgate.yaml" in proc.stdout and "wrote .github/workflows/mlgate.yml" in proc.stdout
    assert "mlgate check" in proc.stdout and "mlgate run" in proc.stdout
    config = load_config(project.dir / "mlgate.yaml")
    assert config.kpis["loss"].max_increase_pct and config.kpis["loss"].severity == "fail"
    assert config.kpis["val_accuracy"].max_drop_pct and config.kpis["val_accuracy"].severity == "fail"
    workflow = yaml.safe_load((project.root / ".github" / "workflows" / "mlgate.yml").read_text(encoding="utf-8"))
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as true

    check = mlgate(project.dir, "check")
    assert check.returncode == 0, check.stderr
    assert re.search(r"^  loss = 0\.31  \[.*\]  in metrics\.json$", check.stdout, re.M), check.stdout
    assert re.search(r"^  val_accuracy = 0\.88  \[.*\]  in metrics\.json$", check.stdout, re.M), check.stdout
    project.commit("mlgate init")
    result = _first_run_passes(project.dir, tmp_path)
    assert {g["kpi"] for g in result["gates"]} == {"loss", "val_accuracy"}


def test_init_keeps_mlgate_s_own_report_and_result_out_of_git(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", params={"metrics": {"val_accuracy": 0.88}}, config=None)
    (project.dir / ".gitignore").write_text("/models", encoding="utf-8")  # the user's own, without a last newline

    proc = mlgate(project.dir, "init")

    assert proc.returncode == 0, proc.stderr
    assert "added mlgate-report.md and mlgate-result.json to .gitignore" in proc.stdout
    assert "and .gitignore and push" in proc.stdout  # the files to commit
    assert (project.dir / ".gitignore").read_text(encoding="utf-8").splitlines()[0] == "/models"
    run = mlgate(project.dir, "run", "--no-repro")
    assert run.returncode == 0, run.stderr
    assert (project.dir / "mlgate-report.md").is_file()
    assert git(project.root, "status", "--porcelain", "--", "mlgate-report.md", "mlgate-result.json") == ""

    again = mlgate(project.dir, "init", "--force")  # already ignored: the file is left as it is
    assert again.returncode == 0, again.stderr
    assert "to .gitignore" not in again.stdout
    assert (project.dir / ".gitignore").read_text(encoding="utf-8").count("mlgate-report.md") == 1


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example, reproduced and committed on main, without its mlgate.yaml."""
    repo = tmp_path_factory.mktemp("example") / "repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("data", "models", "eval", "__pycache__", "mlgate.yaml"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "tests@example.invalid")
    git(repo, "config", "user.name", "tests")
    env = mlgate_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    dvc = str(Path(sys.executable).parent / "dvc")
    subprocess.run([dvc, "init", "-q"], cwd=repo, env=env, check=True, timeout=120)
    subprocess.run([dvc, "repro", "-q"], cwd=repo, env=env, check=True, timeout=600, capture_output=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "example")
    return repo


def test_the_bundled_example(example: Path, tmp_path: Path) -> None:
    proc = mlgate(example, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert not (example / ".github").exists()
    text = (example / "mlgate.yaml").read_text(encoding="utf-8")
    assert "eval/plots/roc.json" in text and "params.yaml:train.max_depth" in text
    config = load_config(example / "mlgate.yaml")
    assert {"accuracy", "f1", "roc_auc", "model_size_mb"} <= set(config.kpis)
    assert config.kpis["accuracy"].max_drop_pct and config.kpis["model_size_mb"].max_increase_pct
    check = mlgate(example, "check")
    assert check.returncode == 0, check.stderr
    assert re.search(r"^  accuracy = 0\.\d+  \[max_drop_pct 2\]  in eval/metrics\.json$", check.stdout, re.M), \
        check.stdout
    _first_run_passes(example, tmp_path)


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo")  # has its own mlgate.yaml
    before = (project.dir / "mlgate.yaml").read_text(encoding="utf-8")
    workflow = project.write(".github/workflows/mlgate.yml", "# mine\n")

    proc = mlgate(project.dir, "init")

    assert proc.returncode == 0, proc.stderr
    assert "kept mlgate.yaml (it exists; pass --force to overwrite it)" in proc.stdout
    assert "kept .github/workflows/mlgate.yml" in proc.stdout and "nothing written" in proc.stdout
    assert (project.dir / "mlgate.yaml").read_text(encoding="utf-8") == before
    assert workflow.read_text(encoding="utf-8") == "# mine\n"

    forced = mlgate(project.dir, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "wrote mlgate.yaml" in forced.stdout
    assert "written by `mlgate init`" in (project.dir / "mlgate.yaml").read_text(encoding="utf-8")
    assert "written by `mlgate init`" in workflow.read_text(encoding="utf-8")


def test_a_repository_without_dvc_is_one_line_and_exit_2(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    repo.mkdir()
    git(repo, "init", "-q")

    proc = mlgate(repo, "init")

    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"mlgate: error: {repo.resolve()}: not a DVC project (no .dvc directory); "
                                   "run 'dvc init' there or pass --project-dir")
    assert list(repo.iterdir()) == [repo / ".git"]


def test_a_pipeline_without_metrics_gets_a_config_without_gates(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", metrics={}, config=None)

    proc = mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert "dvc.yaml declares no metrics" in proc.stdout
    assert load_config(project.dir / "mlgate.yaml").kpis == {}
    assert mlgate(project.dir, "check").returncode == 0


def test_declared_metrics_not_produced_yet_are_named(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None, repro=False)

    proc = mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert "run 'dvc repro', then 'mlgate init --force'" in proc.stdout
    text = (project.dir / "mlgate.yaml").read_text(encoding="utf-8")
    assert "not produced yet" in text and "metrics.json" in text


@contextlib.contextmanager
def _read_only(folder: Path):
    """A folder no one may write into, root included (an immutable directory for root)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_a_read_only_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None)

    with _read_only(project.dir):
        proc = mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ("mlgate: error: mlgate.yaml: cannot write: Permission denied; "
                                   "make the folder writable or pass --config") or \
        proc.stderr.strip() == ("mlgate: error: mlgate.yaml: cannot write: Operation not permitted; "
                                "make the folder writable or pass --config")
    assert not (project.dir / "mlgate.yaml").exists()


def test_requirements_and_a_dvc_remote_fill_the_workflow(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", subdir="model", config=None)
    (project.root / "requirements.txt").write_text("scikit-learn\n", encoding="utf-8")
    subprocess.run([str(Path(sys.executable).parent / "dvc"), "remote", "add", "-d", "store", "s3://bucket/dvc"],
                   cwd=project.dir, check=True, capture_output=True, env=mlgate_env())

    proc = mlgate(project.dir, "init", "--action", "octo/mlgate@0123456789abcdef0123456789abcdef01234567")

    assert proc.returncode == 0, proc.stderr
    workflow = yaml.safe_load((project.root / ".github" / "workflows" / "mlgate.yml").read_text(encoding="utf-8"))
    step = workflow["jobs"]["mlgate"]["steps"][1]
    assert step["uses"] == "octo/mlgate@0123456789abcdef0123456789abcdef01234567"
    assert step["with"]["requirements"] == "requirements.txt" and step["with"]["project-dir"] == "model"
    assert set(step["env"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    # from the project's folder, the workflow at the repository's root is named as a path from here
    assert "wrote ../.github/workflows/mlgate.yml" in proc.stdout
    assert "then commit mlgate.yaml and ../.github/workflows/mlgate.yml and .gitignore and push" in proc.stdout


@pytest.mark.parametrize("local", [False, True], ids=["a-directory-remote", "a-remote-only-in-config-local"])
def test_a_remote_a_runner_cannot_reach_is_a_warning(tmp_path: Path, local: bool) -> None:
    project = make_project(tmp_path / "repo", config=None)
    url = str(tmp_path / "store") if not local else "s3://bucket/dvc"
    subprocess.run([str(Path(sys.executable).parent / "dvc"), "remote", "add", "-d", *(["--local"] if local else []),
                    "store", url], cwd=project.dir, check=True, capture_output=True, env=mlgate_env())

    proc = mlgate(project.dir, "init")

    assert proc.returncode == 0, proc.stderr
    said = ("warning: the default DVC remote is set outside .dvc/config (in .dvc/config.local" if local
            else f"warning: the default DVC remote is a directory on this machine ({url}): a runner cannot reach it")
    assert said in proc.stdout
    workflow = (project.root / ".github" / "workflows" / "mlgate.yml").read_text(encoding="utf-8")
    assert "secrets." not in workflow  # no credentials asked for a remote the runner cannot use as it is


def test_a_bad_action_reference_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None)
    proc = mlgate(project.dir, "init", "--action", "mlgate latest")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("mlgate: error: --action 'mlgate latest': expected OWNER/REPO@REF, "
                                   "e.g. octo/mlgate@<commit sha>")


def test_a_corrupt_metrics_file_is_named_as_unreadable(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None, params={"metrics": "{not json"})

    proc = mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert "note: DVC could not read metrics.json" in proc.stdout
    text = (project.dir / "mlgate.yaml").read_text(encoding="utf-8")
    assert "could not read" in text and "not produced yet" not in text
