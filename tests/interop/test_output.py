"""An export's files appear whole or not at all, owner-only, and never over a file by surprise."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from remission.interop.output import directory_output, file_output
from remission.store import FILE_EXISTS, Refused


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestFile:
    def test_a_written_file_takes_its_place_owner_only(self, tmp_path: Path) -> None:
        target = tmp_path / "study.xml"
        with file_output(target) as temporary:
            temporary.write_text("<ODM/>")
            assert not target.exists()
        assert target.read_text() == "<ODM/>"
        assert mode(target) == 0o600
        assert list(tmp_path.iterdir()) == [target]

    def test_a_failure_leaves_nothing(self, tmp_path: Path) -> None:
        target = tmp_path / "study.xml"

        def fail() -> None:
            with file_output(target) as temporary:
                temporary.write_text("<ODM>")
                raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            fail()
        assert list(tmp_path.iterdir()) == []

    def test_an_existing_file_is_refused_without_overwrite_and_kept(self, tmp_path: Path) -> None:
        target = tmp_path / "study.xml"
        target.write_text("old")
        with pytest.raises(Refused) as refused, file_output(target):
            pass
        assert (refused.value.field, refused.value.detail) == ("path", FILE_EXISTS)
        with file_output(target, overwrite=True) as temporary:
            temporary.write_text("new")
        assert target.read_text() == "new"

    def test_a_missing_directory_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(Refused, match="does not exist"), file_output(tmp_path / "no" / "x.xml"):
            pass


class TestDirectory:
    def test_a_filled_directory_takes_its_place_owner_only(self, tmp_path: Path) -> None:
        target = tmp_path / "fhir"
        with directory_output(target) as temporary:
            (temporary / "INF-01.json").write_text("{}")
        assert [p.name for p in target.iterdir()] == ["INF-01.json"]
        assert (mode(target), mode(target / "INF-01.json")) == (0o700, 0o600)
        assert [p.name for p in tmp_path.iterdir()] == ["fhir"]

    def test_overwrite_replaces_the_whole_directory_and_a_failure_keeps_the_old_one(
        self, tmp_path: Path
    ) -> None:
        target = tmp_path / "fhir"
        with directory_output(target) as temporary:
            (temporary / "old.json").write_text("{}")

        def fail() -> None:
            with directory_output(target, overwrite=True) as temporary:
                (temporary / "new.json").write_text("{}")
                raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            fail()
        assert [p.name for p in target.iterdir()] == ["old.json"]
        with directory_output(target, overwrite=True) as temporary:
            (temporary / "new.json").write_text("{}")
        assert [p.name for p in target.iterdir()] == ["new.json"]
        assert [p.name for p in tmp_path.iterdir()] == ["fhir"]

    def test_a_file_where_the_directory_should_go_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "fhir").write_text("")
        with pytest.raises(Refused, match="is a file"), directory_output(tmp_path / "fhir", overwrite=True):
            pass
