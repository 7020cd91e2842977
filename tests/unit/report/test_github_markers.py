"""The sticky comment's marker, truncation, and the status texts (no HTTP)."""

from __future__ import annotations

import pytest

from mlgate.errors import InputError
from mlgate.publish.github.comments import marker, parse_marker, truncate_body, with_marker
from mlgate.publish.github.statuses import fit_description, status_context
from mlgate.report.marker import COMMENT_LIMIT

SHA = "3f2a9c1" + "0" * 33


def test_marker_round_trips() -> None:
    assert marker("default", SHA) == f"<!-- mlgate:report id=default head={SHA} -->"
    assert parse_marker(marker("models/rf", SHA) + "\n## report") == ("models/rf", SHA)


@pytest.mark.parametrize("body", [
    "## report\n<!-- mlgate:report id=default head=abc1234 -->",  # not the first line
    "> <!-- mlgate:report id=default head=abc1234 -->",  # quoted
    "<!-- mlgate:report id=default -->",  # no head
    "",
])
def test_marker_only_counts_on_the_first_line(body: str) -> None:
    assert parse_marker(body) is None


@pytest.mark.parametrize("bad", ["", "a b", "x-->", "<script>", "a" * 101])
def test_report_id_is_validated(bad: str) -> None:
    with pytest.raises(InputError, match="report-id"):
        marker(bad, SHA)


def test_with_marker_replaces_a_marker_the_renderer_already_wrote() -> None:
    body = "<!-- mlgate:report id=default head=abc1234 -->\n## ❌ mlgate"
    assert with_marker(body, "default", SHA) == f"{marker('default', SHA)}\n## ❌ mlgate"
    assert with_marker("## ✅ mlgate", "default", SHA) == f"{marker('default', SHA)}\n## ✅ mlgate"


def test_truncate_keeps_marker_closes_details_and_fits() -> None:
    body = marker("default", SHA) + "\n## report\n<details><summary>All</summary>\n\n" + "| a | b |\n" * 10_000
    cut = truncate_body(body, 5000)
    assert len(cut) <= 5000
    assert parse_marker(cut) == ("default", SHA)
    assert cut.count("<details") == cut.count("</details>")
    assert "Report truncated" in cut


def test_truncate_leaves_short_bodies_alone() -> None:
    assert truncate_body("short", COMMENT_LIMIT) == "short"


def test_status_context_per_report_id() -> None:
    assert status_context(None) == "mlgate"
    assert status_context("default") == "mlgate"
    assert status_context("rf") == "mlgate/rf"


def test_description_fits_140_characters_on_one_line() -> None:
    text = fit_description("word\n" * 100)
    assert len(text) == 140 and "\n" not in text and text.endswith("…")
