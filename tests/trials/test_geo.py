"""Great-circle distances against R, the --near option, and the choice of the nearest site."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from remission.errors import InputError
from remission.trials import EARTH_MEAN_RADIUS_KM, Point, Site, great_circle_km, nearest_site, parse_point

REFERENCE = json.loads((Path(__file__).parent / "reference" / "great_circle.json").read_text("utf-8"))


class TestDistance:
    @pytest.mark.parametrize("pair", REFERENCE["pairs"], ids=[p["name"] for p in REFERENCE["pairs"]])
    def test_distance_matches_r_vincenty_on_the_same_sphere(self, pair: dict[str, float]) -> None:
        """Haversine distances equal R's Vincenty-formula distances (reference/great_circle.R)."""
        got = great_circle_km(Point(pair["lat1"], pair["lon1"]), Point(pair["lat2"], pair["lon2"]))
        assert got == pytest.approx(pair["km"], rel=1e-9)

    def test_the_radius_is_the_one_r_used(self) -> None:
        """Both sides use the IUGG mean radius."""
        assert REFERENCE["radius_km"] == EARTH_MEAN_RADIUS_KM

    def test_antipodal_points_are_half_a_circumference_apart(self) -> None:
        """(0, 0) and (0, 180) are π·R apart."""
        assert great_circle_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * EARTH_MEAN_RADIUS_KM)


class TestNearOption:
    def test_lat_lon_is_read(self) -> None:
        """'37.5665,126.9780' is a point."""
        assert parse_point("37.5665, 126.9780") == Point(37.5665, 126.978)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("37.5", "expected LAT,LON"),
            ("north,east", "must be numbers"),
            ("91,0", "latitude 91"),
            ("0,181", "longitude 181"),
            ("nan,0", "latitude nan"),
        ],
    )
    def test_bad_points_are_refused_naming_the_option(self, text: str, message: str) -> None:
        """A malformed --near value is an input error on --near."""
        with pytest.raises(InputError) as caught:
            parse_point(text)
        assert caught.value.source == "--near"
        assert message in caught.value.problems[0].problem


class TestNearestSite:
    SEOUL = Site(facility="Seoul", status="RECRUITING", lat=37.5665, lon=126.978)
    BUSAN = Site(facility="Busan", status="RECRUITING", lat=35.1796, lon=129.0756)
    DAEGU_CLOSED = Site(facility="Daegu", status="COMPLETED", lat=35.8714, lon=128.6014)

    def test_a_closed_site_is_passed_over_for_an_open_one(self) -> None:
        """Near Daegu, the closed Daegu site loses to the recruiting Busan site."""
        nearest = nearest_site([self.SEOUL, self.BUSAN, self.DAEGU_CLOSED], Point(35.8714, 128.6014))
        assert nearest is not None
        assert nearest.site.facility == "Busan"

    def test_closed_sites_are_used_when_no_other_has_coordinates(self) -> None:
        """With only a closed site located, it is reported (its status says it is closed)."""
        nearest = nearest_site([self.DAEGU_CLOSED, Site(facility="x")], Point(35.0, 128.0))
        assert nearest is not None
        assert (nearest.site.facility, nearest.without_coordinates) == ("Daegu", 1)

    def test_no_coordinates_gives_none(self) -> None:
        """Sites without coordinates give no nearest site."""
        assert nearest_site([Site(facility="x", country="Belgium")], Point(0, 0)) is None
