"""mlgate: train-on-commit for DVC pipelines."""

__version__ = "0.1.0"
