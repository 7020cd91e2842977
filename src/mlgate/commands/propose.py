"""mlgate propose: commit the work tree's changes to a branch, push it, and open or update its pull request.

For the retraining workflow: after ``mlgate run`` refreshed ``dvc.lock`` and the outputs committed to git,
``mlgate propose --branch mlgate/retrain --title "Retrain on refreshed data" --body-file report.md`` commits
them on top of HEAD (the checkout is left as it is; the body file never goes into the commit), force-pushes
the branch to origin with ``GITHUB_TOKEN`` (see mlgate.publish.github.git_auth), and opens the pull request into the
default branch (``--base``) with the file as its body, or updates the body of the one already open for that
branch (mlgate.publish.github.pulls). Without changes there is nothing to propose.

Exit codes: 0 proposed, or nothing to propose · 2 bad input (the branch, the title, the body file, no token or
repository) · 3 git failed · 4 the push or the GitHub API refused (one line that says which and why).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from mlgate.errors import EXIT_OK, InputError
from mlgate.text.safe import one_line, say

TITLE_LIMIT = 256  # characters GitHub accepts in a pull request's title


def propose_command(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from mlgate.edges.git import Git
    from mlgate.publish.channels import github_seconds, open_client
    from mlgate.publish.github.git_auth import token_env
    from mlgate.publish.github.pulls import default_branch, upsert_pull
    from mlgate.publish.proposal import check_branch, commit_changes, push_branch

    environ = os.environ if environ is None else environ
    title = _title(args.title)
    body = _body(Path(args.body_file))
    token, repository = environ.get("GITHUB_TOKEN", ""), environ.get("GITHUB_REPOSITORY", "")
    if not token:
        raise InputError("GITHUB_TOKEN is not set: pass a token that may push and open pull requests "
                         "(env GITHUB_TOKEN: ${{ secrets.MLGATE_PR_TOKEN || github.token }})")
    if not _is_repository(repository):
        raise InputError(f"GITHUB_REPOSITORY={one_line(repository)!r}: expected owner/name (GitHub Actions sets it)")
    git = Git.discover(Path(args.project_dir))
    branch = check_branch(git, args.branch)
    if environ.get("GITHUB_ACTIONS") == "true":
        from mlgate.edges import ci_context as workflow

        workflow.mask(token)
    api = environ.get("GITHUB_API_URL") or "https://api.github.com"
    with open_client(api, token, repository, github_seconds(environ)) as client:
        default = default_branch(client)
        base = args.base or default
        if branch in (base, default):
            what = "the pull request's base" if branch == base else "the repository's default branch"
            raise InputError(f"--branch {branch} is {what}; propose on another branch (e.g. mlgate/retrain)")
        sha = commit_changes(git, args.message or title, leave_out=[Path(args.body_file)])
        if sha is None:
            say("mlgate: nothing to propose: the work tree has no changes against HEAD")
            return EXIT_OK
        push_branch(git, sha, branch, token_env(git, server_url=environ.get("GITHUB_SERVER_URL") or "https://github.com",
                                               token=token, environ=environ))
        say(f"mlgate: pushed {sha[:7]} to {branch}")
        pull = upsert_pull(client, branch=branch, base=base, title=title, body=body)
    say(f"mlgate: pull request #{pull.number} {pull.action}: {pull.url}")
    if environ.get("GITHUB_OUTPUT"):
        from mlgate.edges import ci_context as workflow

        workflow.set_outputs(environ["GITHUB_OUTPUT"], {"pull-request-url": pull.url or "",
                                                         "pull-request-number": str(pull.number or ""),
                                                         "commit": sha})
    return EXIT_OK


def _title(title: str) -> str:
    if not title.strip() or len(title) > TITLE_LIMIT or one_line(title) != title:
        raise InputError(f"--title {one_line(title)[:60]!r}: expected one line of 1 to {TITLE_LIMIT} characters")
    return title.strip()


def _body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--body-file {one_line(path)}: no such file; pass the report "
                         "(mlgate run --report PATH) as the pull request's body") from None
    except IsADirectoryError:
        raise InputError(f"--body-file {one_line(path)}: is a directory; pass a Markdown file") from None
    except UnicodeDecodeError:
        raise InputError(f"--body-file {one_line(path)}: not UTF-8 text; pass a Markdown file") from None
    except OSError as exc:
        raise InputError(f"--body-file {one_line(path)}: {exc.strerror or exc}") from None


def _is_repository(name: str) -> bool:
    owner, _, repo = name.partition("/")
    return bool(owner and repo and "/" not in repo)
