"""Shared test set-up.

DVC attaches its log handlers to the sys.stdout of the moment it is first imported. Importing it here,
before any test captures output, keeps a later test's closed capture stream out of DVC's handlers.
"""

import dvc.repo  # noqa: F401
