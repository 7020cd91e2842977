"""mlgate promote: tag the commit whose run passed as the next version of a model (see mlgate.publish.promotion).

Reads the finished result (``--json``), refuses anything but a passing, complete run of a committed head,
a fork, or a commit that already carries a version of the artifact; creates the annotated version tag
(its message is the model card) and the stage tag, and pushes both to origin. A push that is refused
is a warning: the tags stay local and the command still exits 0.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlgate.edges.dvc.project import DvcProject
from mlgate.edges.git import NETWORK_TIMEOUT_S, Git
from mlgate.errors import EXIT_OK
from mlgate.publish.promotion import Bump, check_names, check_run_result, model_card, next_version, refuse, stage_tag
from mlgate.result import Result
from mlgate.text.safe import redact_urls, say


@dataclass(frozen=True)
class Promoted:
    tags: tuple[str, ...] = ()  # the tags created, version first
    pushed: bool = False
    why_not: str | None = None  # not promoted: why
    warnings: tuple[str, ...] = ()


def promote_command(args: argparse.Namespace) -> int:
    result = Result.read(Path(args.json))
    check_run_result(result, args.json)
    git = Git.discover(Path(args.project_dir))
    done = promote(git, Path(args.project_dir), result, artifact=args.artifact, stage=args.stage, bump=args.bump,
                   push=args.push_tags)
    report(done)
    return EXIT_OK


def report(done: Promoted, stream: TextIO = sys.stdout) -> None:
    if done.why_not:
        say(f"mlgate: not promoted: {done.why_not}", file=stream)
        return
    where = "and pushed to origin" if done.pushed else "locally"
    say(f"mlgate: promoted: created {', '.join(done.tags)} {where}", file=stream)
    for warning in done.warnings:
        say(f"mlgate: warning: {warning}", file=sys.stderr)


def promote(git: Git, project_dir: Path, result: Result, *, artifact: str, stage: str | None, bump: Bump,
            push: bool, fork: bool = False) -> Promoted:
    check_names(artifact, stage)
    why = refuse(result, fork=fork)
    if why:
        return Promoted(why_not=why)
    sha = result.head.sha
    assert sha is not None
    if git.resolve(sha) is None:
        return Promoted(why_not=f"commit {sha[:7]} is not in this repository")
    by_commit = git.tags_by_commit()
    mine = [t for t in by_commit.get(sha, []) if t.startswith(f"{artifact}@v")]
    if mine:
        return Promoted(why_not=f"{sha[:7]} is already {mine[0]}")
    tags = [t for names in by_commit.values() for t in names]
    version = f"{artifact}@{next_version(tags, artifact, bump)}"
    project = DvcProject(project_dir.resolve())
    card = model_card(result, version, project.input_versions())
    identity = git.identity_env()
    git.exec("tag", "--annotate", version, "--message", card, "--cleanup=verbatim", sha, env=identity)
    created = [version]
    if stage:
        assigned = stage_tag(tags, artifact, stage)
        git.exec("tag", "--annotate", assigned, "--message", f"{assigned}: stage {stage} assigned to {version}\n",
                 sha, env=identity)
        created.append(assigned)
    if not push or not git.ok("remote", "get-url", "origin"):
        return Promoted(tuple(created))
    proc = git.exec("push", "origin", *(f"refs/tags/{t}" for t in created), check=False, timeout=NETWORK_TIMEOUT_S)
    if proc.returncode != 0:
        detail = redact_urls(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0]
                             if proc.stderr.strip() else f"exit {proc.returncode}")
        return Promoted(tuple(created), warnings=(f"the tags were created locally but not pushed: {detail}; "
                                                  "the token needs `contents: write`",))
    return Promoted(tuple(created), pushed=True)
