"""One judged run: choose the base commit, get the base's numbers, compute the families, judge the gates
and assemble the Result; the same for monitoring."""
