"""DVC's words for a file it could not parse, shortened for a message, and made safe for mlgate.yaml."""

from __future__ import annotations

import pytest

from mlgate.edges.dvc.discovery import describe, unreadable_reason

YAML = ("unable to read: 'dvc.yaml', YAML file structure is corrupted: while parsing a flow sequence in \"<unicode "
        "string>\", line 4, column 11: deps: [${x}] ^ (line: 4) expected ',' or ']', but got '{' in \"<unicode "
        "string>\", line 4, column 13: deps: [${x}] ^ (line: 4)")
JSON = ("unable to read: '../../tmp/x/metrics.json', JSON file structure is corrupted: Expecting value: line 1 column 2 "
        "(char 1)")


def test_describe_keeps_the_parsers_words_and_drops_the_wrapping() -> None:
    assert describe(YAML) == "not valid YAML at line 4 (while parsing a flow sequence; expected ',' or ']', but got '{')"
    assert describe(JSON) == "not valid JSON: Expecting value: line 1 column 2 (char 1)"
    assert describe("'./dvc.yaml' validation failed: extra keys not allowed") == \
        "'./dvc.yaml' validation failed: extra keys not allowed"


@pytest.mark.parametrize(("why", "reason"), [
    (YAML, "not valid YAML (line 4)"), (JSON, "not valid JSON (line 1)"),
    ("missing (the file does not exist)", "missing"),
    ("[Errno 2] No such file or directory: '/root/project/.dvc/cache/files/md5/ab/cdef'",
     "DVC cannot read it; `mlgate check` says why"),
])
def test_the_reason_written_to_mlgate_yaml_has_no_raw_text_nor_path(why: str, reason: str) -> None:
    assert unreadable_reason(why) == reason
    assert "/" not in reason.replace("`mlgate check`", "")
