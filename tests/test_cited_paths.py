"""Every file that ``protocol show`` cites is in the repository (the web's Downloads: tests/web)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.cited_paths import cited_paths, missing_paths
from tests.support.cli import run_cli

from remission.protocols import shipped_protocol_ids

REPO = Path(__file__).resolve().parents[1]


class TestCitedPathFinder:
    def test_finds_repository_paths_and_bare_markdown_names_but_not_urls(self):
        """The finder takes docs/… and shared/… paths and NAME.md, and leaves URLs and prose alone."""
        text = (
            "see docs/export.md, (remission shared/seeds/002) and CLINICAL_FACTS.md §1; "
            "https://example.org/docs/page.md and IG/TR RQ-PCR"
        )
        assert cited_paths(text) == {"docs/export.md", "shared/seeds/002", "CLINICAL_FACTS.md"}
        assert missing_paths(text, REPO) == ["CLINICAL_FACTS.md", "shared/seeds/002"]


class TestProtocolShow:
    @pytest.mark.parametrize("protocol_id", shipped_protocol_ids())
    @pytest.mark.parametrize("json_output", [False, True], ids=["table", "json"])
    def test_every_cited_file_exists(self, protocol_id: str, json_output: bool):
        """`protocol show` cites no file that is missing from the repository."""
        result = run_cli("protocol", "show", protocol_id, *(["--json"] if json_output else []), cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert missing_paths(result.stdout, REPO) == []
