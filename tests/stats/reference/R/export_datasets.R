# Writes the public datasets of R's `survival` package (and one constructed edge-case cohort)
# to CSV, so the Python tests read exactly what the R reference scripts analyse.
# Usage: Rscript export_datasets.R OUTDIR      (the committed copies live in ../data/)
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "data"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
put <- function(frame, name) {
  write.csv(frame, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "")
}

# lung: status 1 = censored, 2 = dead -> event 0/1. ph.ecog has missing values.
put(data.frame(time = lung$time, event = as.integer(lung$status == 2), sex = lung$sex,
               age = lung$age, ph_ecog = lung$ph.ecog, inst = lung$inst), "lung")
# veteran: four cell types (categorical), treatment arms.
put(data.frame(time = veteran$time, event = veteran$status, trt = veteran$trt,
               celltype = as.character(veteran$celltype), karno = veteran$karno,
               age = veteran$age, prior = veteran$prior), "veteran")
# aml: small, many ties.
put(data.frame(time = aml$time, event = aml$status, x = as.character(aml$x)), "aml")
# ovarian: small, two treatment groups.
put(data.frame(time = ovarian$futime, event = ovarian$fustat, rx = ovarian$rx,
               age = ovarian$age, resid_ds = ovarian$resid.ds, ecog_ps = ovarian$ecog.ps), "ovarian")
# heart (Stanford transplant): counting-process data, i.e. late entry (start, stop].
put(data.frame(start = heart$start, stop = heart$stop, event = heart$event,
               transplant = as.integer(as.character(heart$transplant)), age = heart$age,
               surgery = heart$surgery, id = heart$id), "heart")
# mgus2: competing risks. cause 1 = progression to plasma-cell malignancy, 2 = death first, 0 = censored.
etime <- with(mgus2, ifelse(pstat == 0, futime, ptime))
cause <- with(mgus2, ifelse(pstat == 0, 2L * death, 1L))
put(data.frame(time = etime, cause = cause, sex = as.character(mgus2$sex), age = mgus2$age,
               hgb = mgus2$hgb, mspike = mgus2$mspike), "mgus2")
# Constructed edge cases: integer times with heavy ties, censoring at event times, a group with
# no events, and a competing cause. Deterministic (no random numbers).
edge <- data.frame(
  time  = c(1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 6, 6, 7, 8, 8, 9, 10, 10,
            2, 3, 5, 5, 7, 9, 11, 12,
            1, 2, 3, 4),
  cause = c(1, 1, 0, 2, 1, 1, 0, 2, 0, 1, 0, 1, 2, 0, 1, 0, 1, 2, 1, 0,
            1, 0, 2, 1, 0, 1, 0, 2,
            0, 0, 0, 0),
  group = c(rep("A", 20), rep("B", 8), rep("C", 4))
)
edge$event <- as.integer(edge$cause != 0)
put(edge, "edge")
