"""The metrics ledger: one JSON entry per commit, stored in git notes under ``refs/notes/mlgate``.

Why git notes: the ledger travels with the repository (``git push``/``git fetch`` of one ref), needs
no service or storage account, never touches the branches, and attaching data to a commit *without
changing it* is exactly what notes are for. Each note is a canonical JSON object (sorted keys, no
whitespace) so identical entries are identical blobs.

Concurrency: entries for distinct commits never conflict. Pushing is fast-forward only; a rejected
push fetches the remote ledger into ``refs/notes/remotes/<remote>/<name>``, merges it (git's three-way
notes merge, then "newest ``recorded_at`` wins" for a commit both sides changed) and retries.

All git calls go through :class:`mlgate.edges.git.Git`, the one runner around the ``git`` CLI.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgate.edges.git import NETWORK_TIMEOUT_S, Git, last_line
from mlgate.edges.progress import Progress
from mlgate.errors import ConfigError, GitError, MlgateError
from mlgate.text.safe import redact_urls

DEFAULT_REF = "refs/notes/mlgate"
_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True)
class LedgerHit:
    """An entry found for ``sha``, ``distance`` first-parent steps from where the search began."""

    sha: str
    distance: int
    entry: dict[str, Any]


@dataclass(frozen=True)
class LedgerSearch:
    """What :meth:`Ledger.search` found and how far it could look.

    ``scanned`` counts the commits examined (the start included). ``truncated`` is true when the
    walk stopped early because history is missing (a shallow clone, or the start commit is not in
    the clone at all), so "no entry" means "none in the commits we have", not "none within reach".
    """

    hit: LedgerHit | None
    scanned: int
    truncated: bool


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8; non-finite floats become ``null`` (JSON has no NaN)."""
    return json.dumps(
        _finite(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _decode(blob: bytes) -> dict[str, Any] | None:
    """A note's entry, or None when the note is not a JSON object (written by someone else)."""
    try:
        value = json.loads(blob)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        return None
    return value if isinstance(value, dict) else None


def entry_problem(entry: dict[str, Any] | None) -> str | None:
    """Why a note is not a usable ledger entry (None when it is): anyone who may push can write notes."""
    if entry is None:
        return "not a JSON object"
    for part in ("metrics", "params"):
        if part not in entry and part == "params":
            continue
        files = entry.get(part)
        if not isinstance(files, dict):
            return f"`{part}` is not a mapping"
        for path, values in files.items():  # {file: {key: value}}, or flat {"file:key": value}
            if isinstance(values, dict) and any(isinstance(v, dict) for v in values.values()):
                return f"`{part}` of {path!r} is not a flat mapping of keys to values"
    return None


def _recorded_at(entry: dict[str, Any] | None) -> datetime:
    """When an entry was recorded; missing or unreadable stamps count as oldest."""
    stamp = entry.get("recorded_at") if entry else None
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Ledger:
    """Per-commit results in git notes, shared through a remote.

    ``env`` is the environment git runs with (default: this process's). ``sleep`` is the back-off
    sleeper used between push attempts.
    """

    def __init__(
        self,
        repo_dir: Path,
        ref: str = DEFAULT_REF,
        remote: str = "origin",
        *,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not ref.startswith("refs/notes/") or ref.endswith("/"):
            raise ConfigError(f"ledger ref {ref!r} must be a full ref under refs/notes/, e.g. {DEFAULT_REF}")
        self.repo_dir = Path(repo_dir)
        self.ref = ref
        self.remote = remote
        self.tracking_ref = f"refs/notes/remotes/{remote}/{ref.removeprefix('refs/notes/')}"
        self._git = Git(self.repo_dir, dict(env) if env is not None else {})
        self._sleep = sleep
        self._identity: dict[str, str] | None = None
        self.skipped: dict[str, str] = {}  # commit -> why its note was skipped (foreign or malformed)
        self._listed: dict[str, tuple[str, dict[str, str]]] = {}  # notes ref -> (its commit, its notes)

    # ---- reading -------------------------------------------------------------------------

    def read(self, sha: str) -> dict[str, Any] | None:
        """The entry recorded for commit ``sha`` (any revision git can resolve), or None."""
        oid = self._resolve(sha, allow_absent=True)
        proc = self._git.exec("notes", "--ref", self.ref, "list", oid, check=False)
        if proc.returncode != 0:
            if b"no note found" in proc.stderr or not self._ref_exists(self.ref):
                return None
            raise GitError(f"git notes list failed in {self.repo_dir}: {last_line(proc.stderr)}")
        return self._usable(oid, self._cat_blob(proc.stdout.decode().strip()))

    def search(self, sha: str, max_distance: int = 20) -> LedgerSearch:
        """Look for an entry at ``sha`` or its first-parent ancestors up to ``max_distance`` back."""
        if max_distance < 0:
            raise ConfigError(f"ledger max distance must be 0 or more, got {max_distance}: use a count of commits")
        notes = self._notes()
        if not notes:  # no ledger here (yet): no commit to look at
            return LedgerSearch(None, 0, False)
        oid = self._resolve(sha, allow_absent=True)
        proc = self._git.exec("rev-list", "--first-parent", f"--max-count={max_distance + 1}", oid, check=False)
        chain = proc.stdout.decode().split() if proc.returncode == 0 else []
        if chain:
            truncated = len(chain) < max_distance + 1 and chain[-1] in self._shallow_boundary()
        else:  # not in this clone, e.g. the merge-base of a depth-1 checkout: only an exact entry can be found
            chain, truncated = [oid], max_distance > 0
        for distance, commit in enumerate(chain):
            if commit in notes:
                entry = self._usable(commit, self._cat_blob(notes[commit]))
                if entry is not None:
                    return LedgerSearch(LedgerHit(commit, distance, entry), distance + 1, False)
        return LedgerSearch(None, len(chain), truncated)

    def nearest(self, sha: str, max_distance: int = 20) -> LedgerHit | None:
        """The entry at ``sha`` (distance 0) or its nearest first-parent ancestor that has one."""
        return self.search(sha, max_distance).hit

    def history(self, rev: str, n: int, max_scan: int = 5000) -> list[LedgerHit]:
        """The last ``n`` entries along the first-parent history of ``rev``, oldest first.

        Looks at most ``max_scan`` commits back; ``distance`` is counted from ``rev``.
        """
        if n <= 0:
            return []
        notes = self._notes()
        if not notes:
            return []
        chain = self._first_parent(self._resolve(rev, allow_absent=False), max_scan)
        found = [(d, c) for d, c in enumerate(chain) if c in notes]
        blobs = self._git.blobs([notes[c] for _, c in found[: n * 2 + 8]])
        hits: list[LedgerHit] = []
        for distance, commit in found:
            blob = blobs.get(notes[commit])
            if blob is None:  # beyond the first batch (many unreadable notes): read one by one
                blob = self._cat_blob(notes[commit])
            entry = self._usable(commit, blob)
            if entry is not None:
                hits.append(LedgerHit(commit, distance, entry))
                if len(hits) == n:
                    break
        return hits[::-1]

    def warnings(self) -> list[str]:
        """One line per note that was skipped while reading (foreign or malformed)."""
        return [f"the metrics ledger note on {commit[:7]} ({self.ref}) was skipped: {why}"
                for commit, why in self.skipped.items()]

    def _usable(self, commit: str, blob: bytes) -> dict[str, Any] | None:
        """The entry in ``blob``, or None (remembered in ``skipped``) when it is not an mlgate entry."""
        entry = _decode(blob)
        problem = entry_problem(entry)
        if problem is not None:
            self.skipped[commit] = problem
            return None
        return entry

    # ---- writing -------------------------------------------------------------------------

    def record(self, sha: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry`` for commit ``sha``, replacing any entry it had.

        Adds ``recorded_at`` (UTC, ISO 8601) unless the entry has one; that stamp decides which of
        two entries for the same commit survives a merge.
        """
        oid = self._resolve(sha, allow_absent=False)
        payload = dict(entry)
        payload.setdefault("recorded_at", utc_now_iso())
        try:
            data = canonical_json(payload)
        except (TypeError, ValueError) as exc:
            raise GitError(f"ledger entry for {oid[:7]} is not JSON-serialisable: {exc}") from exc
        blob = self._git.run("hash-object", "-w", "--stdin", stdin=data)
        # -C reuses the blob byte for byte (-m/-F would run git's whitespace clean-up on it).
        self._git.exec("notes", "--ref", self.ref, "add", "-f", "-C", blob, oid, env=self._identity_env())

    # ---- sharing -------------------------------------------------------------------------

    def has_remote(self) -> bool:
        return self._git.exec("remote", "get-url", self.remote, check=False).returncode == 0

    def fetch(self) -> bool:
        """Fetch the remote ledger and merge it into the local one.

        Returns False when the remote has no ledger yet. Raises GitError when the remote is not
        configured (check :meth:`has_remote` first to treat that as "no ledger") or unreachable.
        """
        self._require_remote()
        proc = self._git.exec(
            "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.remote,
            f"+{self.ref}:{self.tracking_ref}",
            check=False, timeout=NETWORK_TIMEOUT_S,
        )  # fmt: skip
        if proc.returncode != 0:
            if b"couldn't find remote ref" in proc.stderr:
                self._git.exec("update-ref", "-d", self.tracking_ref, check=False)
                return False
            raise GitError(
                f"cannot fetch the ledger {self.ref} from '{self.remote}': {last_line(proc.stderr)}; "
                "check the remote URL and that the token may read the repository"
            )
        self._merge_tracking()
        return True

    def push(self, max_attempts: int = 5) -> None:
        """Push the ledger; a non-fast-forward rejection fetches, merges and retries (bounded).

        Does nothing when nothing was recorded locally.
        """
        if not self._ref_exists(self.ref):
            return
        self._require_remote()
        for attempt in range(1, max_attempts + 1):
            proc = self._git.exec(
                "push", "--porcelain", "--no-verify", self.remote, f"{self.ref}:{self.ref}",
                check=False, timeout=NETWORK_TIMEOUT_S,
            )  # fmt: skip
            if proc.returncode == 0:
                return
            text = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
            if not _is_non_fast_forward(text):
                raise GitError(_push_failure_message(self.ref, self.remote, text))
            if attempt < max_attempts:
                self._sleep(random.uniform(0.05, 0.2) * 2 ** (attempt - 1))
                self.fetch()
        raise GitError(
            f"pushing the ledger {self.ref} to '{self.remote}' was rejected as non-fast-forward "
            f"{max_attempts} times (other runs keep writing it): re-run the job"
        )

    # ---- internals -----------------------------------------------------------------------

    def _merge_tracking(self) -> None:
        """Merge the fetched remote ledger into ours: union, newest ``recorded_at`` per commit."""
        theirs = self._git.run("rev-parse", "--verify", self.tracking_ref)
        ours = self._rev(self.ref)
        if ours is None:
            self._git.exec("update-ref", self.ref, theirs, "")
            return
        if ours == theirs or self._is_ancestor(theirs, ours):
            return
        if self._is_ancestor(ours, theirs):
            self._git.exec("update-ref", self.ref, theirs, ours)
            return
        env = self._identity_env()
        # Three-way merge of the notes trees; where both sides changed one commit's note, keep ours
        # for now, then let the newer recorded_at win below.
        self._git.exec("notes", "--ref", self.ref, "merge", "--quiet", "-s", "ours", self.tracking_ref, env=env)
        theirs_notes = self._notes(self.tracking_ref)
        merged_notes = self._notes(self.ref)
        differing = {
            c: (merged_notes[c], blob)
            for c, blob in theirs_notes.items()
            if c in merged_notes and merged_notes[c] != blob
        }
        if not differing:
            return
        blobs = self._git.blobs([b for pair in differing.values() for b in pair])
        for commit, (kept, other) in sorted(differing.items()):
            if _prefer(blobs.get(other, b""), other, blobs.get(kept, b""), kept):
                self._git.exec("notes", "--ref", self.ref, "add", "-f", "-C", other, commit, env=env)

    def _notes(self, ref: str | None = None) -> dict[str, str]:
        """{annotated commit: note blob} for every note under ``ref``."""
        ref = ref or self.ref
        tip = self._rev(ref)
        if tip is None:
            return {}
        if ref in self._listed and self._listed[ref][0] == tip:  # unchanged since listed: a run reads it twice
            return self._listed[ref][1]
        notes: dict[str, str] = {}
        for line in self._git.run("notes", "--ref", ref, "list").splitlines():
            blob, _, commit = line.partition(" ")
            if commit:
                notes[commit] = blob
        self._listed[ref] = (tip, notes)
        return notes

    def _cat_blob(self, blob: str) -> bytes:
        return self._git.exec("cat-file", "blob", blob).stdout

    def _resolve(self, rev: str, *, allow_absent: bool) -> str:
        """The full commit id for ``rev``; a full hex id is accepted as is when ``allow_absent``."""
        if allow_absent and _FULL_SHA.match(rev.lower()):
            return rev.lower()
        proc = self._git.exec("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
        if proc.returncode != 0:
            raise GitError(
                f"unknown commit {rev!r} in {self.repo_dir}: fetch it (or a deeper history) first"
            )
        return proc.stdout.decode().strip()

    def _first_parent(self, oid: str, count: int) -> list[str]:
        return self._git.run("rev-list", "--first-parent", f"--max-count={count}", oid).split()

    def _shallow_boundary(self) -> set[str]:
        path = Path(self._git.run("rev-parse", "--git-path", "shallow"))
        path = path if path.is_absolute() else self.repo_dir / path
        try:
            return set(path.read_text().split())
        except FileNotFoundError:
            return set()

    def _rev(self, ref: str) -> str | None:
        proc = self._git.exec("rev-parse", "--verify", "--quiet", ref, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def _ref_exists(self, ref: str) -> bool:
        return self._rev(ref) is not None

    def _is_ancestor(self, a: str, b: str) -> bool:
        return self._git.exec("merge-base", "--is-ancestor", a, b, check=False).returncode == 0

    def _require_remote(self) -> None:
        if not self.has_remote():
            raise GitError(
                f"no git remote '{self.remote}' in {self.repo_dir}: add it (git remote add "
                f"{self.remote} URL) or run without sharing the ledger"
            )

    def _identity_env(self) -> dict[str, str]:
        """Author/committer for notes commits: the repository's own if set, else mlgate's."""
        if self._identity is None:
            self._identity = self._git.identity_env()
        return self._identity


def _prefer(candidate: bytes, candidate_oid: str, current: bytes, current_oid: str) -> bool:
    """True when ``candidate`` should replace ``current``: newer recorded_at, ties by blob id.

    The tie-break makes two writers merging concurrently settle on the same entry.
    """
    new, old = _recorded_at(_decode(candidate)), _recorded_at(_decode(current))
    return (new, candidate_oid) > (old, current_oid)


_RACE_REASONS = (
    # the remote moved on: ours is not a fast-forward of theirs
    "non-fast-forward", "fetch first", "stale info",
    # another push updated the ref while ours was being received
    "failed to update ref", "cannot lock ref", "failed to lock", "incorrect old value", "reference already exists",
)  # fmt: skip


def _is_non_fast_forward(text: str) -> bool:
    """A rejection another writer caused (retry after merging), not a refusal (give up)."""
    return ("[rejected]" in text or "[remote rejected]" in text) and any(r in text for r in _RACE_REASONS)


def _push_failure_message(ref: str, remote: str, text: str) -> str:
    lowered = text.lower()
    if "[remote rejected]" in text or any(
        word in lowered for word in ("permission", "denied", "403", "not allowed", "protected")
    ):
        reason = re.search(r"\[remote rejected\][^\n]*", text)
        detail = reason.group(0) if reason else last_line(text.encode())
        return (
            f"'{remote}' refused the ledger push of {ref} ({detail}): the token needs `contents: write` "
            "(workflow `permissions: contents: write`) and no rule may block refs/notes/*"
        )
    return f"cannot push the ledger {ref} to '{remote}': {last_line(text.encode())}"


def ledger_ref(report_id: str = "default") -> str:
    """One notes ref per report id: several projects of one repository never overwrite each other."""
    if report_id == "default":
        return DEFAULT_REF
    return f"{DEFAULT_REF}-{re.sub(r'[^A-Za-z0-9_.-]', '_', report_id).strip('.')[:100] or '_'}"


def open_ledger(git: Git, report_id: str = "default", *,
                progress: Progress | None = None) -> tuple[Ledger, list[str]]:
    """The local ledger, first merged with origin's when there is an origin (quietly: none is fine).

    Returns the ledger and warnings (origin unreachable: the run goes on with what is local). Git runs
    with ``git.env`` (in Actions: the token's credentials, see mlgate.publish.github.git_auth).
    """
    ledger = Ledger(git.root, ledger_ref(report_id), env=git.env)
    warnings: list[str] = []
    if ledger.has_remote():
        try:
            found = ledger.fetch()
        except MlgateError as exc:
            warnings.append(f"the metrics ledger was not fetched ({redact_urls(str(exc))}); "
                            "baselines come from git or DVC instead")
        else:
            if progress is not None:
                progress.line(f"mlgate: metrics ledger {ledger.ref} {'fetched' if found else 'not on origin yet'}")
    return ledger, warnings
