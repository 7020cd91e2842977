"""The one exception family mlgate raises for expected failures, and their exit codes.

Every expected failure is an ``MlgateError`` subclass; ``mlgate.cli`` maps it to its exit code and a
one-line message. Anything else that escapes is a bug (exit 70) and says so.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PIPELINE = 3
EXIT_PUBLISH = 4
EXIT_BUG = 70


class MlgateError(Exception):
    """Base of every expected failure. The message is one line: what, where, and the fix."""

    exit_code = EXIT_BUG


class ConfigError(MlgateError):
    """mlgate.yaml is malformed or contradicts itself."""

    exit_code = EXIT_BAD_INPUT


class InputError(MlgateError):
    """Bad command-line usage or bad input data (metrics, predictions, event payload)."""

    exit_code = EXIT_BAD_INPUT


class PipelineError(MlgateError):
    """The DVC pipeline failed to reproduce or load."""

    exit_code = EXIT_PIPELINE


class GitError(MlgateError):
    """A git operation failed (unknown ref, shallow clone, worktree trouble)."""

    exit_code = EXIT_PIPELINE


class PublishError(MlgateError):
    """Publishing failed where it was required."""

    exit_code = EXIT_PUBLISH
