"""The stale-baseline lines: each condition at its boundary."""

from mlgate.result import Baseline
from mlgate.run.staleness import MAX_BEHIND, describe

LEDGER = Baseline("ledger", "x", "a" * 40)


def test_a_fresh_baseline_says_nothing():
    assert describe(LEDGER, age_days=14, max_age_days=14, behind=MAX_BEHIND, tip="origin/main") == []


def test_an_old_entry_and_a_far_merge_base_each_say_so():
    lines = describe(LEDGER, age_days=14.6, max_age_days=14, behind=MAX_BEHIND + 1, tip="origin/main")
    assert lines[0].startswith("the baseline's ledger entry (aaaaaaa) is 15 days older than the head commit")
    assert lines[1].startswith("the merge-base is 51 commits behind the tip of origin/main (more than 50)")


def test_age_counts_only_for_a_ledger_entry_and_a_reproduced_baseline_is_said():
    lines = describe(Baseline("reproduced", "x", "b" * 40), age_days=100, max_age_days=14, behind=None, tip=None)
    assert len(lines) == 1 and lines[0].startswith("the baseline had to be reproduced (bbbbbbb has no ledger entry")
