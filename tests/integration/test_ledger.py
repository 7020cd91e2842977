"""The metrics ledger against real git repositories with a bare ``origin`` in temp dirs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import threading
from pathlib import Path

import pytest

from mlgate.edges.git import IDENTITY as NOTES_IDENTITY
from mlgate.edges.ledger import Ledger, LedgerHit
from mlgate.errors import ConfigError, GitError

REF = "refs/notes/mlgate"


# ---- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A git environment without any user identity or user/system config."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "EMAIL": "",
    }


def git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def commit(repo: Path, message: str, env: dict[str, str]) -> str:
    """An empty commit made with a one-off identity (the repo itself keeps none)."""
    git(repo, "-c", "user.name=dev", "-c", "user.email=dev@example.com",
        "commit", "--quiet", "--allow-empty", "-m", message, env=env)  # fmt: skip
    return git(repo, "rev-parse", "HEAD", env=env)


def make_origin(tmp_path: Path, env: dict[str, str], commits: int = 3) -> tuple[Path, list[str]]:
    """A bare origin whose main branch holds ``commits`` linear commits; returns (origin, shas)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin), env=env)
    seed = tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed), env=env)
    shas = [commit(seed, f"c{i}", env) for i in range(commits)]
    git(seed, "remote", "add", "origin", str(origin), env=env)
    git(seed, "push", "--quiet", "origin", "main", env=env)
    return origin, shas


def clone(origin: Path, dest: Path, env: dict[str, str], *extra: str) -> Path:
    git(origin.parent, "clone", "--quiet", *extra, origin.as_uri() if extra else str(origin), str(dest), env=env)
    return dest


def ledger(repo: Path, env: dict[str, str]) -> Ledger:
    return Ledger(repo, env=env, sleep=lambda _s: None)


def entry(accuracy: float, recorded_at: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {"metrics": {"eval/metrics.json:accuracy": accuracy}, "verdict": "pass"}
    if recorded_at:
        out["recorded_at"] = recorded_at
    return out


def remote_entry(origin: Path, sha: str, env: dict[str, str]) -> dict[str, object]:
    return json.loads(git(origin, "notes", "--ref", REF, "show", sha, env=env))


# ---- record / read ---------------------------------------------------------------------------


def test_record_then_read_round_trips_and_adds_recorded_at(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    repo = clone(origin, tmp_path / "a", env)
    led = ledger(repo, env)
    led.record(shas[1], entry(0.95))

    got = led.read(shas[1])
    assert got is not None
    assert got["metrics"] == {"eval/metrics.json:accuracy": 0.95}
    assert got["verdict"] == "pass"
    assert isinstance(got["recorded_at"], str) and got["recorded_at"].endswith("Z")
    assert led.read(shas[0]) is None
    # Canonical JSON: sorted keys, no whitespace, stored byte for byte.
    raw = git(repo, "notes", "--ref", REF, "show", shas[1], env=env)
    assert raw == json.dumps(got, sort_keys=True, separators=(",", ":"))


def test_read_accepts_any_revision_and_missing_ledger_reads_none(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    repo = clone(origin, tmp_path / "a", env)
    led = ledger(repo, env)
    assert led.read("HEAD") is None  # no ledger ref at all yet
    led.record("HEAD", entry(0.9))
    assert led.read(shas[-1]) == led.read("main")
    with pytest.raises(GitError, match="unknown commit 'no-such-branch'"):
        led.read("no-such-branch")


def test_recording_the_same_commit_again_replaces_its_entry(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    led = ledger(clone(origin, tmp_path / "a", env), env)
    led.record(shas[0], entry(0.1))
    led.record(shas[0], entry(0.2))
    got = led.read(shas[0])
    assert got is not None and got["metrics"] == {"eval/metrics.json:accuracy": 0.2}


def test_non_finite_metrics_are_stored_as_null(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    led = ledger(clone(origin, tmp_path / "a", env), env)
    led.record(shas[0], {"metrics": {"m:a": math.nan, "m:b": math.inf, "m:c": 1.5}})
    got = led.read(shas[0])
    assert got is not None and got["metrics"] == {"m:a": None, "m:b": None, "m:c": 1.5}


def test_notes_commits_use_mlgate_identity_when_the_repo_has_none(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    repo = clone(origin, tmp_path / "a", env)
    ledger(repo, env).record(shas[0], entry(0.5))
    name, email = NOTES_IDENTITY
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", REF, env=env) == (
        f"{name} <{email}>|{name} <{email}>"
    )


def test_notes_commits_use_the_repository_identity_when_configured(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    repo = clone(origin, tmp_path / "a", env)
    git(repo, "config", "user.name", "Robo Trainer", env=env)
    git(repo, "config", "user.email", "robo@example.com", env=env)
    ledger(repo, env).record(shas[0], entry(0.5))
    assert git(repo, "log", "-1", "--format=%an <%ae>", REF, env=env) == "Robo Trainer <robo@example.com>"


def test_a_note_that_is_not_json_reads_as_no_entry_and_is_skipped(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    repo = clone(origin, tmp_path / "a", env)
    led = ledger(repo, env)
    led.record(shas[0], entry(0.7))
    git(repo, "-c", "user.name=x", "-c", "user.email=x@y", "notes", "--ref", REF, "add", "-m", "hello", shas[2], env=env)
    assert led.read(shas[2]) is None
    hit = led.nearest(shas[2])
    assert hit is not None and (hit.sha, hit.distance) == (shas[0], 2)


# ---- nearest / history -----------------------------------------------------------------------


def test_nearest_finds_an_ancestor_two_commits_back_and_none_beyond_max_distance(
    tmp_path: Path, env: dict[str, str]
) -> None:
    origin, shas = make_origin(tmp_path, env, commits=5)
    led = ledger(clone(origin, tmp_path / "a", env), env)
    led.record(shas[1], entry(0.8))

    hit = led.nearest(shas[3], max_distance=20)
    assert hit is not None
    assert (hit.sha, hit.distance, hit.entry["metrics"]) == (shas[1], 2, {"eval/metrics.json:accuracy": 0.8})
    assert led.nearest(shas[3], max_distance=1) is None
    exact = led.nearest(shas[1])
    assert exact is not None and exact.distance == 0
    search = led.search(shas[3], max_distance=1)
    assert (search.hit, search.scanned, search.truncated) == (None, 2, False)


def test_one_ledger_sees_what_was_recorded_after_it_listed_the_notes(tmp_path: Path, env: dict[str, str]) -> None:
    """The notes list is read once while the notes ref is unchanged: a later note, by this ledger or by
    another process, is seen all the same."""
    origin, shas = make_origin(tmp_path, env, commits=3)
    repo = clone(origin, tmp_path / "a", env)
    led = ledger(repo, env)
    led.record(shas[0], entry(0.1))
    first = led.nearest(shas[2])
    assert first is not None and first.sha == shas[0]
    led.record(shas[1], entry(0.2))
    second = led.nearest(shas[2])
    assert second is not None and second.sha == shas[1]
    ledger(repo, env).record(shas[2], entry(0.3))  # another writer of the same repository
    third = led.nearest(shas[2])
    assert third is not None and third.sha == shas[2]
    assert [h.sha for h in led.history(shas[2], 5)] == shas


def test_nearest_follows_first_parents_only(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env, commits=2)
    repo = clone(origin, tmp_path / "a", env)
    git(repo, "switch", "--quiet", "-c", "side", shas[0], env=env)
    side = commit(repo, "side work", env)
    git(repo, "switch", "--quiet", "main", env=env)
    git(repo, "-c", "user.name=d", "-c", "user.email=d@e", "merge", "--quiet", "--no-ff", "-m", "merge", "side", env=env)
    merge = git(repo, "rev-parse", "HEAD", env=env)
    led = ledger(repo, env)
    led.record(side, entry(0.1))  # reachable only through the second parent
    led.record(shas[0], entry(0.2))

    hit = led.nearest(merge)
    assert hit is not None and (hit.sha, hit.distance) == (shas[0], 2)


def test_history_returns_the_last_n_entries_oldest_first(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env, commits=5)
    led = ledger(clone(origin, tmp_path / "a", env), env)
    for i in (0, 2, 4):
        led.record(shas[i], entry(i / 10))

    hits = led.history("HEAD", 2)
    assert [(h.sha, h.distance) for h in hits] == [(shas[2], 2), (shas[4], 0)]
    assert [h.entry["metrics"]["eval/metrics.json:accuracy"] for h in led.history(shas[3], 10)] == [0.0, 0.2]
    assert all(isinstance(h, LedgerHit) for h in hits)


def test_shallow_clone_searches_what_it_has_and_says_the_walk_was_cut(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env, commits=4)
    writer = ledger(clone(origin, tmp_path / "writer", env), env)
    writer.record(shas[1], entry(0.6))
    writer.push()

    shallow = clone(origin, tmp_path / "shallow", env, "--depth=1")
    led = ledger(shallow, env)
    assert led.fetch() is True
    search = led.search(shas[3], max_distance=20)
    assert (search.hit, search.scanned, search.truncated) == (None, 1, True)
    # The ancestor is not in the clone, but its entry is readable by full id.
    got = led.read(shas[1])
    assert got is not None and got["metrics"] == {"eval/metrics.json:accuracy": 0.6}
    exact = led.nearest(shas[1])
    assert exact is not None and exact.distance == 0
    assert led.search(shas[2]).truncated is True
    # A default-branch run in a depth-1 checkout records and pushes while another writer got in first.
    writer.record(shas[2], entry(0.7))
    writer.push()
    led.record(shas[3], entry(0.8))
    led.push()
    assert remote_entry(origin, shas[2], env)["metrics"] == {"eval/metrics.json:accuracy": 0.7}
    assert remote_entry(origin, shas[3], env)["metrics"] == {"eval/metrics.json:accuracy": 0.8}


# ---- fetch / push ----------------------------------------------------------------------------


def test_push_then_a_fresh_clone_fetches_and_reads(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    writer = ledger(clone(origin, tmp_path / "writer", env), env)
    writer.record(shas[2], entry(0.91))
    writer.push()

    reader = ledger(clone(origin, tmp_path / "reader", env), env)
    assert reader.read(shas[2]) is None  # a plain clone does not carry notes
    assert reader.fetch() is True
    assert reader.read(shas[2]) == writer.read(shas[2])


def test_fetch_returns_false_when_the_remote_has_no_ledger(tmp_path: Path, env: dict[str, str]) -> None:
    origin, _ = make_origin(tmp_path, env)
    assert ledger(clone(origin, tmp_path / "a", env), env).fetch() is False


def test_fetch_and_push_without_the_remote_raise_a_clear_git_error(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "lonely"
    git(tmp_path, "init", "--quiet", str(repo), env=env)
    sha = commit(repo, "c0", env)
    led = ledger(repo, env)
    assert led.has_remote() is False
    with pytest.raises(GitError, match="no git remote 'origin'") as info:
        led.fetch()
    assert "\n" not in str(info.value)
    led.record(sha, entry(0.3))
    with pytest.raises(GitError, match="git remote add origin"):
        led.push()


def test_push_with_nothing_recorded_creates_no_remote_ledger(tmp_path: Path, env: dict[str, str]) -> None:
    origin, _ = make_origin(tmp_path, env)
    ledger(clone(origin, tmp_path / "a", env), env).push()
    assert subprocess.run(["git", "rev-parse", "--verify", "--quiet", REF], cwd=origin, env=env).returncode == 1


def test_fetch_merges_remote_entries_into_local_ones(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    a = ledger(clone(origin, tmp_path / "a", env), env)
    b = ledger(clone(origin, tmp_path / "b", env), env)
    a.record(shas[0], entry(0.1))
    a.push()
    b.record(shas[1], entry(0.2))
    assert b.fetch() is True
    assert b.read(shas[0]) == a.read(shas[0])
    assert b.read(shas[1]) is not None


def test_two_concurrent_writers_both_keep_their_entries(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    writers = [ledger(clone(origin, tmp_path / f"w{i}", env), env) for i in range(2)]
    writers[0].record(shas[1], entry(0.1))
    writers[1].record(shas[2], entry(0.2))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def push(led: Ledger) -> None:
        start.wait(timeout=10)
        try:
            led.push()
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert remote_entry(origin, shas[1], env)["metrics"] == {"eval/metrics.json:accuracy": 0.1}
    assert remote_entry(origin, shas[2], env)["metrics"] == {"eval/metrics.json:accuracy": 0.2}


@pytest.mark.parametrize("newer_pushes_first", [True, False])
def test_same_commit_conflict_keeps_the_newer_entry(
    tmp_path: Path, env: dict[str, str], newer_pushes_first: bool
) -> None:
    origin, shas = make_origin(tmp_path, env)
    older = ledger(clone(origin, tmp_path / "older", env), env)
    newer = ledger(clone(origin, tmp_path / "newer", env), env)
    older.record(shas[0], entry(0.1))  # shared history, so the notes merge is a real three-way one
    older.push()
    newer.fetch()
    older.record(shas[2], entry(0.1, recorded_at="2025-01-01T10:00:00Z"))
    newer.record(shas[2], entry(0.2, recorded_at="2025-01-01T10:00:01.5Z"))
    first, second = (newer, older) if newer_pushes_first else (older, newer)
    first.push()
    second.push()  # rejected once, fetches, merges, retries

    assert remote_entry(origin, shas[2], env)["metrics"] == {"eval/metrics.json:accuracy": 0.2}
    assert remote_entry(origin, shas[0], env)["metrics"] == {"eval/metrics.json:accuracy": 0.1}
    got = second.read(shas[2])
    assert got is not None and got["recorded_at"] == "2025-01-01T10:00:01.5Z"


def test_push_refused_by_the_remote_raises_git_error_naming_the_permission(
    tmp_path: Path, env: dict[str, str]
) -> None:
    origin, shas = make_origin(tmp_path, env)
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'error: permission denied for refs/notes' >&2\nexit 1\n")
    hook.chmod(0o755)
    led = ledger(clone(origin, tmp_path / "a", env), env)
    led.record(shas[0], entry(0.5))
    with pytest.raises(GitError, match="contents: write") as info:
        led.push()
    assert "\n" not in str(info.value)
    assert "'origin' refused the ledger push" in str(info.value)


def test_push_gives_up_after_max_attempts_when_always_rejected(tmp_path: Path, env: dict[str, str]) -> None:
    origin, shas = make_origin(tmp_path, env)
    a = ledger(clone(origin, tmp_path / "a", env), env)
    b_repo = clone(origin, tmp_path / "b", env)
    a.record(shas[0], entry(0.1))
    a.push()
    # b's fetch never brings the remote ledger in (its tracking ref is pointed elsewhere), so each
    # attempt is rejected again: the loop must stop after max_attempts.
    b = Ledger(b_repo, ref="refs/notes/mlgate", remote="origin", env=env, sleep=lambda _s: None)
    b.record(shas[1], entry(0.2))
    calls: list[int] = []

    def fetch_that_does_not_merge() -> bool:
        calls.append(1)
        return True

    b.fetch = fetch_that_does_not_merge  # type: ignore[method-assign]
    with pytest.raises(GitError, match="rejected as non-fast-forward 3 times"):
        b.push(max_attempts=3)
    assert len(calls) == 2


def test_a_ref_outside_refs_notes_is_a_config_error(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="must be a full ref under refs/notes/"):
        Ledger(tmp_path, ref="mlgate", env=env)
