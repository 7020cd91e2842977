"""Shared test set-up.

DVC never reports analytics from a test (every test; in-process DVC calls read the environment too), and
the terminal is 100 columns wide.

DVC attaches its log handlers to the sys.stdout of the moment it is first imported. Importing it here,
before any test captures output, keeps a later test's closed capture stream out of DVC's handlers.
"""

import dvc.repo  # noqa: F401
import pytest


@pytest.fixture(autouse=True)
def _quiet_dvc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("COLUMNS", "100")  # the terminal's layout is tested at 100 columns, whatever runs pytest
