# Reference numbers for `remission analyze ... --where`: the same estimators on R's subset of the rows.
# Usage (from tests/stats/reference): Rscript R/where.R OUTDIR      (committed copy: fixtures/where_subsets.json)
suppressMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
read <- function(name) read.csv(file.path("data", paste0(name, ".csv")), stringsAsFactors = FALSE)

# lung, rows with ph_ecog <= 1 and age >= 50 (rows missing ph_ecog are left out, as na.omit does).
lung <- read("lung")
lung <- lung[!is.na(lung$ph_ecog) & lung$ph_ecog <= 1 & lung$age >= 50, ]
test <- survdiff(Surv(time, event) ~ sex, data = lung)
medians <- summary(survfit(Surv(time, event) ~ sex, data = lung))$table[, "median"]

# mgus2, subjects aged 70 or more, by sex; text conditions: sex != "X" keeps everyone.
mgus2 <- read("mgus2")
old <- mgus2[mgus2$age >= 70 & mgus2$sex != "X", ]
ci <- cuminc(old$time, old$cause, group = old$sex, cencode = 0)

write_json(
  list(
    lung = list(n = nrow(lung), chisq = test$chisq, observed = test$obs, medians = unname(medians)),
    mgus2_old = list(n = nrow(old), gray_statistic = unname(ci$Tests[, "stat"]), gray_p = unname(ci$Tests[, "pv"]))
  ),
  file.path(out, "where_subsets.json"), digits = NA, auto_unbox = TRUE
)
