"""Git.state: the branch, HEAD's sha and whether tracked files changed, in one git call, in every shape a
checkout can be in (before the first commit, on a branch, detached, with and without changes)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mlgate.edges.git import Git


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def test_state_matches_what_branch_rev_parse_and_status_say(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.invalid")
    git(repo, "config", "user.name", "t")
    g = Git.discover(repo)
    assert g.state() == ("main", None, False)  # no commit yet

    (repo / "a.txt").write_text("one\n")
    (repo / "untracked.txt").write_text("not added\n")
    git(repo, "add", "a.txt")
    assert g.state() == ("main", None, True)  # staged, still no commit
    git(repo, "commit", "-qm", "one")
    sha = git(repo, "rev-parse", "HEAD")
    assert g.state() == ("main", sha, False)  # untracked files do not count

    (repo / "a.txt").write_text("two\n")
    assert g.state() == ("main", sha, True)
    assert g.state() == (g.current_branch(), g.head_sha(), g.is_dirty())

    git(repo, "checkout", "-q", "-b", "feature/x")
    assert g.state()[0] == "feature/x"
    git(repo, "stash", "-q")
    git(repo, "checkout", "-q", "--detach")
    assert g.state() == (None, sha, False)
    assert g.state() == (g.current_branch(), g.head_sha(), g.is_dirty())


def test_mlgate_s_own_outputs_do_not_make_the_tree_dirty(tmp_path, monkeypatch):
    # a repository that committed its mlgate-report.md and mlgate-result.json (a `git add -A` after a run):
    # the next run removes and rewrites them, and that is not a change to the commit being judged
    repo = tmp_path / "repo"
    (repo / "sub dir").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.invalid")
    git(repo, "config", "user.name", "t")
    for name in ("mlgate-report.md", "sub dir/mlgate-result.json", "params.yaml", "old name.txt"):
        (repo / name).write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    g = Git.discover(repo / "sub dir")
    monkeypatch.chdir(repo / "sub dir")
    outputs = (Path("../mlgate-report.md"), Path("mlgate-result.json"))  # as given on the command line
    (repo / "mlgate-report.md").unlink()
    (repo / "sub dir" / "mlgate-result.json").write_text("two\n")

    assert g.state().dirty
    assert not g.state(ignore=outputs).dirty
    # run from another directory: the paths are the same files
    assert not Git.discover(repo).state(ignore=[(repo / "sub dir" / "mlgate-result.json"), repo / "mlgate-report.md"]).dirty

    (repo / "params.yaml").write_text("two\n")  # a real change still counts
    assert g.state(ignore=outputs).dirty
    git(repo, "checkout", "-q", "--", "params.yaml")
    git(repo, "mv", "old name.txt", "new name.txt")  # a rename (two paths in git's record) counts too
    assert g.state(ignore=outputs).dirty
