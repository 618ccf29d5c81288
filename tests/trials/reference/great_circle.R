# Reference great-circle distances for tests/trials/test_geo.py.
# Run from the repository root:  Rscript tests/trials/reference/great_circle.R
# Writes tests/trials/reference/great_circle.json.
#
# Uses the Vincenty formula for a sphere (atan2 form), an algorithm independent of the
# haversine formula remission uses, on the same sphere: the IUGG mean Earth radius
# R1 = 6371.0088 km (Moritz, Geodetic Reference System 1980, J Geodesy 2000).
library(jsonlite)

radius_km <- 6371.0088
rad <- function(degrees) degrees * pi / 180

vincenty_sphere_km <- function(lat1, lon1, lat2, lon2) {
  p1 <- rad(lat1); p2 <- rad(lat2); dl <- rad(lon2 - lon1)
  y <- sqrt((cos(p2) * sin(dl))^2 + (cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl))^2)
  x <- sin(p1) * sin(p2) + cos(p1) * cos(p2) * cos(dl)
  radius_km * atan2(y, x)
}

pairs <- data.frame(
  name = c("seoul-busan", "seoul-utrecht", "utrecht-brussels", "across-dateline", "south-north"),
  lat1 = c(37.5665, 37.5665, 52.0907, 10.0, -33.8688),
  lon1 = c(126.9780, 126.9780, 5.1214, 179.5, 151.2093),
  lat2 = c(35.1796, 52.0907, 50.8503, -10.0, 40.7128),
  lon2 = c(129.0756, 5.1214, 4.3517, -179.5, -74.0060)
)
pairs$km <- mapply(vincenty_sphere_km, pairs$lat1, pairs$lon1, pairs$lat2, pairs$lon2)
writeLines(
  toJSON(list(radius_km = radius_km, pairs = pairs), digits = NA, pretty = TRUE, auto_unbox = TRUE),
  "tests/trials/reference/great_circle.json"
)
