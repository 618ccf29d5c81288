# Which Gray statistic is right where remission and cmprsk disagree (10^6 subjects, integer times)?
# Runs cmprsk::cuminc's Gray test on a benchmark cohort three ways: as is (ties of ~1,400 events per
# day), with ties broken by a jitter under 0.001 day, and on every second subject. The statistic
# grows linearly with n, so the half cohort and the jittered one show what the full cohort should give.
# Usage: Rscript benchmarks/stats_bench/r_gray_ties_check.R COHORT_DIR N
#   (COHORT_DIR written by stats_bench.cohorts.write_cohort, e.g. CohortSpec(1000000, "integer"))
suppressMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
n <- as.integer(args[2])
time <- readBin(file.path(folder, "time.f64"), "double", n = n, size = 8)
cause <- readBin(file.path(folder, "cause.i32"), "integer", n = n, size = 4)
group <- readBin(file.path(folder, "group.i32"), "integer", n = n, size = 4)
cat("as is:\n"); print(cuminc(time, cause, group)$Tests)
set.seed(1)
cat("ties broken by a jitter < 0.001:\n"); print(cuminc(time + runif(n) * 1e-3, cause, group)$Tests)
half <- seq(1, n, by = 2)
cat("every second subject:\n"); print(cuminc(time[half], cause[half], group[half])$Tests)
