# Worker process: run benchmark tasks with R's survival and cmprsk on one cohort, reporting JSON lines.
# Usage: Rscript r_worker.R COHORT_DIR TASKS(km,logrank,aj,cuminc_gray,cox,cox_breslow,finegray) REPEATS BUDGET PROBE
# The cohort is read from raw binaries (readBin) before anything is timed. Each call is timed inside R
# with system.time(...)["elapsed"] around the call only, so process start, library loading and data
# loading are excluded. Memory: the rise of the process's resident set over the call (peak mark reset
# through /proc/self/clear_refs, as the Python workers do), plus R's own gc() "max used" for reference.
suppressMessages(library(survival))
suppressMessages(library(cmprsk))
suppressMessages(library(jsonlite))

args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
tasks <- strsplit(args[2], ",")[[1]]
repeats <- as.integer(args[3])
budget <- as.numeric(args[4])
probe <- as.numeric(strsplit(args[5], ",")[[1]])

summary_json <- fromJSON(file.path(folder, "cohort.json"))
n <- summary_json$n
column <- function(name, type) {
  path <- file.path(folder, paste0(name, if (type == "double") ".f64" else ".i32"))
  readBin(path, what = type, n = n, size = if (type == "double") 8 else 4, endian = "little")
}
time <- column("time", "double")
age <- column("age", "double")
event <- column("event", "integer")
cause <- column("cause", "integer")
group <- column("group", "integer")
sex <- column("sex", "integer")
stage <- column("stage", "integer")
log_wbc <- column("log_wbc", "double")
mrd <- column("mrd", "integer")
terms <- summary_json$covariates
cohort <- data.frame(time = time, event = event, group = group, age = age, sex = sex, stage = factor(stage),
                     log_wbc = log_wbc, mrd = mrd)
# The model columns in the order remission's design matrix has them (stage as two indicators).
matrix_columns <- list()
for (term in terms) {
  if (term == "stage") {
    matrix_columns[["stage=1"]] <- as.numeric(stage == 1)
    matrix_columns[["stage=2"]] <- as.numeric(stage == 2)
  } else {
    matrix_columns[[term]] <- as.numeric(cohort[[term]])
  }
}
covariates <- do.call(cbind, matrix_columns)
cox_formula <- as.formula(paste("Surv(time, event) ~", paste(terms, collapse = " + ")))
group_codes <- sort(unique(group))

emit <- function(x) {
  cat(toJSON(x, auto_unbox = TRUE, digits = NA, na = "null"), "\n", sep = "")
  flush(stdout())
}
status_mb <- function(field) {
  line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}
reset_peak <- function() {
  ok <- tryCatch({ cat("5", file = "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
  if (ok) status_mb("VmRSS") else NA_real_
}

timepoint_rows <- function(fit, prefix) {
  tp <- timepoints(fit, probe)
  out <- list()
  for (name in rownames(tp$est)) {
    parts <- strsplit(name, " ")[[1]]
    key <- if (prefix == "aj") paste0("c", parts[2]) else paste0("g", parts[1], ".c", parts[2])
    out[[paste0(prefix, ".estimate.", key)]] <- I(unname(tp$est[name, ]))
    out[[paste0(prefix, ".variance.", key)]] <- I(unname(tp$var[name, ]))
  }
  out
}

calls <- list(
  km = list(
    run = function() survfit(Surv(time, event) ~ group, data = cohort),
    numbers = function(fit) {
      s <- summary(fit, times = probe, extend = TRUE)
      out <- list()
      for (g in group_codes) {
        rows <- s$strata == paste0("group=", g)
        out[[paste0("km.survival.g", g)]] <- I(s$surv[rows])
        out[[paste0("km.std_err.g", g)]] <- I(s$std.err[rows])
        out[[paste0("km.lower.g", g)]] <- I(s$lower[rows])
        out[[paste0("km.upper.g", g)]] <- I(s$upper[rows])
      }
      out
    }
  ),
  logrank = list(
    run = function() survdiff(Surv(time, event) ~ group, data = cohort),
    numbers = function(fit) list(logrank.statistic = I(fit$chisq))
  ),
  aj = list(
    run = function() cuminc(time, cause),
    numbers = function(fit) timepoint_rows(fit, "aj")
  ),
  cuminc_gray = list(
    run = function() cuminc(time, cause, group = group),
    numbers = function(fit) {
      out <- timepoint_rows(fit, "cuminc")
      out[["gray.statistic"]] <- I(unname(fit$Tests[, "stat"]))
      out
    }
  ),
  cox = list(
    run = function() coxph(cox_formula, data = cohort, ties = "efron"),
    numbers = function(fit) list(cox.coef = I(unname(coef(fit))), cox.se = I(unname(sqrt(diag(fit$var)))))
  ),
  cox_breslow = list(
    run = function() coxph(cox_formula, data = cohort, ties = "breslow"),
    numbers = function(fit) list(cox_breslow.coef = I(unname(coef(fit))), cox_breslow.se = I(unname(sqrt(diag(fit$var)))))
  ),
  finegray = list(
    run = function() crr(time, cause, covariates, failcode = 1, cencode = 0),
    numbers = function(fit) list(finegray.coef = I(unname(fit$coef)), finegray.se = I(unname(sqrt(diag(fit$var)))))
  )
)

emit(list(ready = TRUE, pid = Sys.getpid()))
for (name in tasks) {
  task <- calls[[name]]
  started <- proc.time()[["elapsed"]]
  runs <- 0
  result <- tryCatch({
    repeat {
      invisible(gc())
      baseline <- reset_peak()
      before_gc <- sum(gc(reset = TRUE)[, 2])
      seconds <- system.time(fit <- task$run())[["elapsed"]]
      peak <- max(0, status_mb("VmHWM") - baseline)
      gc_peak <- sum(gc()[, 6]) - before_gc
      runs <- runs + 1
      emit(list(task = name, run = runs, seconds = seconds, peak_mb = peak, r_gc_peak_mb = gc_peak))
      if (runs >= repeats || proc.time()[["elapsed"]] - started + seconds > budget) break
    }
    emit(list(task = name, numbers = task$numbers(fit)))
  }, error = function(e) emit(list(task = name, error = conditionMessage(e))))
}
