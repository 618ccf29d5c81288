"""Great-circle distances between a child's location and trial sites.

The haversine formula on a sphere of the IUGG mean Earth radius, 6371.0088 km (Moritz H.,
Geodetic Reference System 1980, J Geodesy 2000;74:128-33: mean radius R1 = (2a + b)/3). The
spherical model differs from the ellipsoid by at most about 0.5%, well below what matters for
choosing a site.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from remission.errors import FieldProblem, InputError
from remission.trials.model import OPEN_STATUSES, SOON_STATUSES, Site

EARTH_MEAN_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Point:
    """A position in decimal degrees (WGS 84 latitude and longitude)."""

    lat: float
    lon: float


def great_circle_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres between two points (haversine formula)."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlambda = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min() guards against rounding pushing h a hair above 1 for antipodal points.
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def parse_point(text: str, *, option: str = "--near") -> Point:
    """``"LAT,LON"`` in decimal degrees; raise :class:`InputError` naming the option otherwise."""
    parts = [part.strip() for part in text.split(",")]
    problem = None
    if len(parts) != 2:
        problem = "expected LAT,LON in decimal degrees, e.g. 37.5665,126.9780"
    else:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            problem = "LAT and LON must be numbers in decimal degrees, e.g. 37.5665,126.9780"
        else:
            if not (math.isfinite(lat) and -90 <= lat <= 90):
                problem = f"latitude {parts[0]} is not between -90 and 90"
            elif not (math.isfinite(lon) and -180 <= lon <= 180):
                problem = f"longitude {parts[1]} is not between -180 and 180"
    if problem is not None:
        raise InputError(option, [FieldProblem(text, problem)])
    return Point(lat, lon)


@dataclass(frozen=True, slots=True)
class NearestSite:
    """The nearest site with coordinates, its distance, and how many sites lacked coordinates."""

    site: Site
    distance_km: float
    without_coordinates: int


def nearest_site(sites: Iterable[Site], near: Point) -> NearestSite | None:
    """The nearest site that recruits or will recruit (or whose status is not given).

    Sites known to be closed are used only when no other site has coordinates. ``None`` when no
    site has coordinates.
    """
    sites = list(sites)
    located = [s for s in sites if s.lat is not None and s.lon is not None]
    usable = [s for s in located if s.status is None or s.status in OPEN_STATUSES | SOON_STATUSES]
    pool = usable or located
    if not pool:
        return None
    distances = [(great_circle_km(near, Point(s.lat, s.lon)), s) for s in pool]  # type: ignore[arg-type]
    distance, site = min(distances, key=lambda pair: pair[0])
    return NearestSite(site, distance, len(sites) - len(located))
