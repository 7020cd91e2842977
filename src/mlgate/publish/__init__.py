"""After the run: post the report and the status over the configured channels, record the ledger and
push the cache, promote a model, propose a change. GitHub's REST edge lives in ``publish.github``."""
