# Reference numbers for the report's baseline-characteristics table (remission.stats.report.baseline):
# per risk group (and pending, and all enrolled patients) the count, the median and quartiles of age
# at diagnosis in months (days / (365.25 / 12)) and of WBC, by R's default quantile(type = 7) over the
# recorded values, and the count of every category and of missing values.
# Reads ../report/reference/baseline.csv (written by tests/stats/report/reference/write_dataset.py).
# Usage (from tests/stats/reference): Rscript R/baseline.R OUTDIR     (committed: fixtures/report_baseline.json)
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
d <- read.csv(file.path("..", "report", "reference", "baseline.csv"), stringsAsFactors = FALSE, na.strings = "")
d <- d[!is.na(d$protocol_id), ]  # enrolled patients only

measured <- function(x) {
  x <- x[!is.na(x)]
  q <- if (length(x)) unname(quantile(x, c(0.25, 0.5, 0.75), type = 7)) else c(NA, NA, NA)
  list(recorded = length(x), q1 = q[1], median = q[2], q3 = q[3])
}
counts <- function(x, levels) {
  found <- setNames(lapply(levels, function(l) sum(!is.na(x) & x == l)), levels)
  c(found, list(not_recorded = sum(is.na(x))))
}
describe <- function(s) list(
  n = nrow(s),
  age_months = measured(s$age_at_diagnosis_days / (365.25 / 12)),
  age_not_recorded = sum(is.na(s$age_at_diagnosis_days)),
  wbc = measured(s$wbc_at_diagnosis_1e9_per_l),
  wbc_not_recorded = sum(is.na(s$wbc_at_diagnosis_1e9_per_l)),
  sex = counts(s$sex, c("female", "male", "other")),
  cns_status = counts(s$cns_status, c("CNS1", "CNS2", "CNS3")),
  kmt2a_status = counts(s$kmt2a_status, c("rearranged", "germline")),
  who_type = counts(s$who_type, c("B-ALL", "T-ALL", "ALAL", "AML", "mature-B/Burkitt"))
)
groups <- c("LR", "IR", "HR", "pending")
result <- setNames(lapply(groups, function(g) describe(d[d$risk_group == g, ])), groups)
result$Total <- describe(d)
write_json(result, file.path(out, "report_baseline.json"), digits = NA, auto_unbox = TRUE, na = "null")
