"""The predictions family: metrics with intervals from per-example predictions, paired with the base."""
