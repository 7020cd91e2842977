"""mlgate init: write mlgate.yaml (a gate per headline metric) and the GitHub workflow for this project."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mlgate.config import starter as init_config
from mlgate.config.load import CONFIG_NAME, parse_config
from mlgate.edges.dvc import discovery as dvc_discovery
from mlgate.edges.dvc.project import DvcProject
from mlgate.edges.git import Git
from mlgate.errors import EXIT_OK, InputError
from mlgate.run.gate import dvc_root
from mlgate.text.safe import one_line

ACTION_REF = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[A-Za-z0-9_.-]+")
WORKFLOW = Path(".github") / "workflows" / "mlgate.yml"


def init_command(args: argparse.Namespace) -> int:
    if args.action is not None and not ACTION_REF.fullmatch(args.action):
        raise InputError(f"--action {args.action!r}: expected OWNER/REPO@REF, e.g. octo/mlgate@<commit sha>")
    start = Path(args.project_dir).resolve()
    if not start.is_dir():
        raise InputError(f"{args.project_dir}: no such directory; pass an existing --project-dir")
    git = Git.discover(start)
    root = dvc_root(start, git.root)
    if root is None:
        raise InputError(f"{start}: not a DVC project (no .dvc directory); run 'dvc init' there or pass --project-dir")
    config_path = Path(args.config).resolve() if args.config else root / CONFIG_NAME
    found, pulled, errors = _discover(root, git)
    starters = init_config.starter_dir()
    outputs = [(config_path, init_config.config_text(found, (starters / init_config.STARTER_CONFIG).read_text("utf-8")))]
    if args.workflow:
        template = (starters / init_config.STARTER_WORKFLOW).read_text("utf-8")
        outputs.append((git.root / WORKFLOW, init_config.workflow_text(found, template, args.action)))
    parse_config(outputs[0][1], str(config_path))  # what we write must be what `mlgate check` accepts

    written = []
    for path, text in outputs:
        shown = _display(path)
        if path.exists() and not args.force:
            print(f"mlgate: kept {shown} (it exists; pass --force to overwrite it)")
            continue
        _write(path, text)
        written.append(path)
        print(f"mlgate: wrote {shown}")
    ignored = _ignore_outputs(root, git) if config_path in written else []  # with the config, never alone
    if ignored:
        written.append(root / ".gitignore")
        print(f"mlgate: added {' and '.join(ignored)} to {_display(root / '.gitignore')} (each run rewrites them)")
    gates, _ = init_config.plan_gates(found.metrics)
    if config_path in written and found.metrics:
        metrics = sum(len(keys) for keys in found.metrics.values())
        blocking = sum(gate.sure for gate in gates)
        print(f"  {len(gates)} gate{'s' if len(gates) != 1 else ''} ({blocking} blocking) on {metrics}"
              f" metric{'s' if metrics != 1 else ''} in {', '.join(one_line(p) for p in found.metrics)};"
              " every line says why")
    elif config_path in written:
        print("  no gates yet: no metrics could be read; every line says why")
    if config_path in written and gates and not any(gate.sure for gate in gates):
        print("  note: no gate blocks (each is a training-split, per-class, size or time metric): set"
              " 'severity: fail' on the one that must not regress")
    if not found.metric_files:
        print("  note: dvc.yaml declares no metrics: add a 'metrics:' output to a stage (or a top-level 'metrics:'"
              " list), then rerun with --force")
    elif found.unreadable:
        for unread, why in errors.items():
            print(f"  note: DVC could not read {one_line(unread)}: {one_line(dvc_discovery.describe(why))}; fix it, then run 'mlgate init --force'")
    elif len(found.metrics) < len(found.metric_files):
        print("  note: some metrics files do not exist yet: run 'dvc repro', then 'mlgate init --force'")
    problem = init_config.remote_problem(found)
    if problem:
        print(f"  warning: {one_line(problem[0].lower() + problem[1:])}")
    if pulled and not found.remote_url:
        data = ", ".join(f"{one_line(path)} ({one_line(dvcfile)})" for path, dvcfile in pulled[:5])
        more = f" and {len(pulled) - 5} more" if len(pulled) > 5 else ""
        print(f"  warning: DVC tracks data here ({data}{more}) and the project has no DVC remote: a run in CI starts"
              " from a fresh clone and cannot pull it, so it fails; add one with 'dvc remote add -d NAME URL',"
              " then 'dvc push'")
    if args.workflow and args.action is None and git.root / WORKFLOW in written:
        print(f"  note: the workflow uses {init_config.ACTION_REPOSITORY}@{init_config.ACTION_REF}: put the action's"
              " repository and release commit SHA there (or pass --action OWNER/REPO@SHA)")
    if not written:
        print("mlgate: nothing written")
    print("next:")
    print("  mlgate check    # shows which metric each gate matches, with its value")
    print("  mlgate run      # reproduces the pipeline, compares with the base, checks the gates")
    if written and args.workflow:
        print(f"then commit {' and '.join(_display(p) for p in written)} and push: the workflow runs on pull requests")
    return EXIT_OK


def _discover(root: Path, git: Git) -> tuple[init_config.Discovery, tuple[tuple[str, str], ...], dict[str, str]]:
    """What the project declares; the DVC-tracked data (path, .dvc file) a fresh clone must pull; and DVC's
    own words for each metrics or params file it could not read (mlgate.yaml gets a safe summary of them)."""
    project = DvcProject(root)
    try:
        declared = dvc_discovery.declared(project)
        if not declared.pipeline:
            raise InputError(f"{root}: no dvc.yaml here, so no DVC pipeline to gate; run 'mlgate init' in"
                             " the folder of the project's dvc.yaml (or pass --project-dir), or add a pipeline"
                             " with 'dvc stage add'")
        snap = project.snapshot()
        remote = project.remote_url()
        committed = project.remote_committed()
    finally:
        project.close()
    branch = (git.default_branch() or git.current_branch() or "main").removeprefix("origin/")
    errors = dvc_discovery.unreadable(snap.errors)
    found = init_config.Discovery(
        metric_files=declared.metric_files,
        metrics={path: keys for path, keys in snap.metrics.items() if keys},
        params={path: keys for path, keys in snap.params.items() if keys},
        plots=declared.plots,
        project_dir=root.relative_to(git.root).as_posix(),
        default_branch=branch,
        requirements=_requirements(root, git.root),
        remote_url=remote,
        remote_committed=committed,
        unreadable={path: dvc_discovery.unreadable_reason(why) for path, why in errors.items()},
    )
    return found, declared.pulled, errors


def _requirements(root: Path, top: Path) -> str | None:
    """The pipeline's dependency list the Action should install, relative to the git root."""
    for name in ("requirements.txt", "pyproject.toml"):
        for folder in dict.fromkeys((root, top)):
            if (folder / name).is_file():
                return (folder / name).relative_to(top).as_posix()
    return None




def _ignore_outputs(root: Path, git: Git) -> list[str]:
    """Add mlgate's own report and result to the project's .gitignore (those git does not ignore yet), so a
    `git add -A` after a run does not commit them; the names added."""
    from mlgate.publish.channels import ARTIFACT_FILES  # what `mlgate run` writes in the project by default

    missing = [name for name in ARTIFACT_FILES
               if git.exec("check-ignore", "-q", "--no-index", "--", (root / name).relative_to(git.root).as_posix(),
                           check=False).returncode != 0]
    if not missing:
        return []
    path = root / ".gitignore"
    try:
        before = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{_display(path)}: cannot read: {exc}; fix the file or add {', '.join(missing)} to it"
                         " yourself") from None
    lead = "" if not before or before.endswith("\n") else "\n"
    _write(path, before + lead + "# mlgate's report and result (`mlgate run` writes them here)\n"
           + "".join(f"/{name}\n" for name in missing))
    return missing


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"{_display(path)}: cannot write: {exc.strerror or exc}; make the folder writable or pass --config"
        ) from None


def _display(path: Path) -> str:
    """``path`` as the user would type it here: relative to the current directory (a ``..`` or two up to the
    repository's root, for a project in a subfolder), else absolute."""
    try:
        shown = Path(os.path.relpath(path, Path.cwd())).as_posix()
    except ValueError:  # another drive
        return str(path)
    return str(path) if shown.startswith("../../../") else shown
