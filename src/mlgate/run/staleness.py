"""A stale baseline, said out loud: the lines the report puts at its top when the base a change is judged
against is old, far behind the default branch, or had to be reproduced.

* the ledger entry used is more than ``baseline.max_age_days`` older than the head commit (commit dates);
* the merge-base is more than ``MAX_BEHIND`` commits behind the default branch's tip;
* the baseline had to be reproduced (main's numbers were neither recorded nor stored).

``stale_lines`` asks git the dates and the distance; ``describe`` is the pure part.
"""

from __future__ import annotations

from mlgate.edges.git import Git
from mlgate.errors import MlgateError
from mlgate.result import Baseline

MAX_BEHIND = 50
DAY = 86_400


def describe(baseline: Baseline, *, age_days: float | None, max_age_days: float, behind: int | None,
             tip: str | None) -> list[str]:
    """The warnings, in words; ``age_days``: the baseline's commit before the head's; ``behind``: the merge-base
    behind the default branch's tip ``tip``."""
    out = []
    short = (baseline.sha or "")[:7]
    if baseline.source == "reproduced":
        out.append(f"the baseline had to be reproduced ({short} has no ledger entry and no stored metrics), so a "
                   "pipeline that is not deterministic moves its numbers without any change: record the default branch with 'mlgate run --record' (the Action does on push) so pull requests read it")
    if baseline.source == "ledger" and age_days is not None and age_days > max_age_days:
        out.append(f"the baseline's ledger entry ({short}) is {age_days:.0f} days older than the head commit, more "
                   f"than baseline.max_age_days ({max_age_days:g}): the default branch has not been recorded lately")
    if behind is not None and behind > MAX_BEHIND:
        out.append(f"the merge-base is {behind} commits behind the tip of {tip or 'the default branch'} (more than "
                   f"{MAX_BEHIND}): merge or rebase onto it to be judged against today's numbers")
    return out


def stale_lines(git: Git, baseline: Baseline, *, base_how: str | None, base_sha: str | None, head_sha: str | None,
                tip: str | None, max_age_days: float) -> list[str]:
    age = behind = None
    try:
        if baseline.source == "ledger" and baseline.sha and head_sha:
            age = (_time(git, head_sha) - _time(git, baseline.sha)) / DAY
        if base_how == "merge-base" and base_sha and tip:
            behind = int(git.run("rev-list", "--count", f"{base_sha}..{tip}"))
    except (MlgateError, ValueError):  # a commit missing from a shallow clone: nothing to say about it
        pass
    return describe(baseline, age_days=age, max_age_days=max_age_days, behind=behind, tip=tip)


def _time(git: Git, sha: str) -> int:
    return int(git.run("show", "-s", "--format=%ct", sha))
