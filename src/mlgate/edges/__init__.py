"""The outside world, opened once per command: git, the DVC project, the ledger, the progress log and
the CI's log dialect, the paths inside the repository, and the sides (a revision's files)."""
