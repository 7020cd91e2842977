"""Data checks: stream a CSV or Parquet dataset into a small, mergeable profile, and compare profiles.

- ``read``: record batches from CSV or Parquet files (one file, or a glob of partitions), with every
  unreadable input turned into one ``InputError`` line;
- ``sketches``: the fixed-size summaries a profile holds (a uniform bottom-k row sample of 10,000 rows,
  HyperLogLog registers), each mergeable, deterministic and JSON-serialisable;
- ``profile``: ``DatasetProfile``, built batch by batch, merged partition by partition;
- ``drift``: PSI, Kolmogorov–Smirnov, chi-squared and Jensen–Shannon between two profiles.

Memory is bounded by the batch and the profile (about 100 KiB a numeric column), never by the file.
"""
