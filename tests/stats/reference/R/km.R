# Reference numbers for remission.stats Kaplan–Meier, log-rank (G-rho), restricted mean and
# landmark analyses, from R's `survival` package.
# Usage (from tests/stats/reference): Rscript R/km.R OUTDIR      (committed copies: fixtures/km_*.json)
suppressMessages({
  library(survival)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
put <- function(x, name) {
  write_json(x, file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE, na = "null")
}
read <- function(name) read.csv(file.path("data", paste0(name, ".csv")), stringsAsFactors = FALSE)

# NULL would be written as {}; NA is written as null.
or_na <- function(x) if (is.null(x)) NA else x
# "sex=1" -> "1": the group labels remission uses.
label_of <- function(strata) sub("^[^=]*=", "", strata)

# survfit from column names; entry = NULL for right-censored data.
fit_km <- function(d, group, entry, conf_type, conf_level) {
  rhs <- if (is.null(group)) "1" else group
  lhs <- if (is.null(entry)) "Surv(time, event)" else sprintf("Surv(%s, time, event)", entry)
  survfit(as.formula(paste(lhs, "~", rhs)), data = d, conf.type = conf_type, conf.int = conf_level)
}

# Every curve point (censored times too), the print()/summary() table, and summary(times =, extend = TRUE).
curves <- function(fit, at_times) {
  full <- summary(fit, censored = TRUE)
  tab <- summary(fit)$table
  at <- summary(fit, times = at_times, extend = TRUE)
  if (is.null(fit$strata)) {
    labels <- "all"
    tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
    full_g <- rep("all", length(full$time))
    at_g <- rep("all", length(at$time))
  } else {
    labels <- label_of(names(fit$strata))
    full_g <- label_of(as.character(full$strata))
    at_g <- label_of(as.character(at$strata))
  }
  lcl <- grep("LCL$", colnames(tab))
  ucl <- grep("UCL$", colnames(tab))
  lapply(seq_along(labels), function(i) {
    w <- full_g == labels[i]
    a <- at_g == labels[i]
    list(
      group = labels[i], n = tab[i, "records"], events = tab[i, "events"],
      median = tab[i, "median"], median_lower = tab[i, lcl], median_upper = tab[i, ucl],
      time = I(full$time[w]), n_risk = I(full$n.risk[w]), n_event = I(full$n.event[w]),
      n_censor = I(full$n.censor[w]), survival = I(full$surv[w]), std_err = I(full$std.err[w]),
      lower = I(full$lower[w]), upper = I(full$upper[w]),
      at = list(
        time = I(at$time[a]), n_risk = I(at$n.risk[a]), survival = I(at$surv[a]),
        std_err = I(at$std.err[a]), lower = I(at$lower[a]), upper = I(at$upper[a])
      )
    )
  })
}

km_cases <- function(d, specs, at_times) {
  lapply(specs, function(s) {
    level <- if (is.null(s$conf_level)) 0.95 else s$conf_level
    fit <- fit_km(d, s$group, s$entry, s$conf_type, level)
    list(group = or_na(s$group), entry = or_na(s$entry), conf_type = s$conf_type, conf_level = level,
         at_times = I(at_times), curves = curves(fit, at_times))
  })
}
spec <- function(group = NULL, conf_type = "log", entry = NULL, conf_level = NULL) {
  list(group = group, conf_type = conf_type, entry = entry, conf_level = conf_level)
}
all_types <- function(group = NULL, entry = NULL) {
  lapply(c("log", "log-log", "plain"), function(ct) spec(group, ct, entry))
}

lung <- read("lung")
veteran <- read("veteran")
aml <- read("aml")
ovarian <- read("ovarian")
edge <- read("edge")
heart <- read("heart")
heart$time <- heart$stop

# ---- Kaplan–Meier curves --------------------------------------------------------------------
put(km_cases(lung, c(all_types(), all_types("sex"), list(spec("sex", "log", conf_level = 0.9))),
             c(0, 100, 365, 500, 1000, 2000)), "km_curves_lung")
put(km_cases(aml, c(all_types(), all_types("x")), c(0, 5, 12, 13, 30, 48, 100, 200)), "km_curves_aml")
put(km_cases(veteran, c(all_types("celltype"), list(spec("trt"))), c(0, 30, 90, 180, 365, 1000)),
    "km_curves_veteran")
put(km_cases(ovarian, c(all_types(), all_types("rx")), c(0, 100, 365, 730, 1000, 1500)), "km_curves_ovarian")
put(km_cases(edge, all_types("group"), c(0, 0.5, 1, 1.5, 6, 11.5, 12, 13, 20)), "km_curves_edge")
put(km_cases(heart, c(all_types(entry = "start"), list(spec("surgery", "log", "start"))),
             c(0, 0.5, 1.5, 2.5, 30, 100, 365, 2000)), "km_curves_heart")

# Constructed curves: the median rule (exactly 0.5 over an interval -> midpoint; exactly 0.5 to the
# end -> print() gives the time 0.5 is reached; ties at the median; never below 0.5), an event at
# time 0, and late entry with a risk set that empties and refills (the curve stays at 0).
constructed <- list(
  flat_then_drop = list(time = c(1, 2, 3, 4), event = c(1, 1, 0, 1)),
  flat_to_end = list(time = c(1, 2, 3, 4), event = c(1, 1, 0, 0)),
  tied_half = list(time = c(1, 1, 2, 2, 3, 3, 5, 5), event = c(1, 1, 1, 1, 0, 0, 1, 0)),
  never_half = list(time = c(1, 2, 3, 4, 5), event = c(1, 0, 0, 0, 0)),
  to_zero = list(time = c(2, 4, 6, 8, 10, 12), event = c(1, 1, 1, 0, 1, 1)),
  event_at_zero = list(time = c(0, 0, 1, 2, 3, 3), event = c(1, 0, 1, 0, 1, 1)),
  entry_gap = list(entry = c(0, 0, 5, 5, 1), time = c(2, 3, 8, 9, 4), event = c(1, 1, 1, 0, 0)),
  entry_after_zero = list(entry = c(0, 0, 5, 5), time = c(2, 3, 8, 9), event = c(1, 1, 1, 0))
)
put(lapply(names(constructed), function(name) {
  d <- as.data.frame(constructed[[name]])
  entry <- if (is.null(d$entry)) NULL else "entry"
  lhs <- if (is.null(entry)) "Surv(time, event)" else "Surv(entry, time, event)"
  fit <- survfit(as.formula(paste(lhs, "~ 1")), data = d)
  list(name = name, time = I(d$time), event = I(d$event), entry = if (is.null(entry)) NA else I(d$entry),
       cases = km_cases(d, all_types(entry = entry), c(0, 1, 2, 3, 4.5, 6, 20)),
       quantile_median = unname(quantile(fit, 0.5, conf.int = FALSE)),
       rmean_tau = 4.5, rmean = unname(summary(fit, rmean = 4.5)$table["rmean"]),
       rmean_se = unname(summary(fit, rmean = 4.5)$table["se(rmean)"]))
}), "km_curves_constructed")

# ---- log-rank / G-rho tests (survdiff) -------------------------------------------------------
logrank_case <- function(name, d, group, rho, strata = NULL) {
  rhs <- if (is.null(strata)) group else sprintf("%s + strata(%s)", group, strata)
  s <- survdiff(as.formula(paste("Surv(time, event) ~", rhs)), data = d, rho = rho)
  observed <- if (is.matrix(s$obs)) rowSums(s$obs) else s$obs
  expected <- if (is.matrix(s$exp)) rowSums(s$exp) else s$exp
  df <- sum(expected > 0) - 1
  list(name = name, group = group, strata = or_na(strata), rho = rho,
       groups = I(label_of(names(s$n))), n = I(as.vector(s$n)), observed = I(unname(observed)),
       expected = I(unname(expected)), variance = unname(s$var), statistic = s$chisq, df = df,
       p_value = pchisq(s$chisq, df, lower.tail = FALSE))
}
lung_ecog <- lung[!is.na(lung$ph_ecog), ]
put(list(
  list(data = "lung", rows = "all", test = logrank_case("lung_sex", lung, "sex", 0)),
  list(data = "lung", rows = "all", test = logrank_case("lung_sex_peto", lung, "sex", 1)),
  list(data = "lung", rows = "ph_ecog known",
       test = logrank_case("lung_sex_by_ecog", lung_ecog, "sex", 0, "ph_ecog")),
  list(data = "lung", rows = "ph_ecog known",
       test = logrank_case("lung_sex_by_ecog_peto", lung_ecog, "sex", 1, "ph_ecog")),
  list(data = "lung", rows = "ph_ecog known", test = logrank_case("lung_ecog", lung_ecog, "ph_ecog", 0)),
  list(data = "veteran", rows = "all", test = logrank_case("veteran_celltype", veteran, "celltype", 0)),
  list(data = "veteran", rows = "all", test = logrank_case("veteran_celltype_peto", veteran, "celltype", 1)),
  list(data = "veteran", rows = "all",
       test = logrank_case("veteran_trt_by_celltype", veteran, "trt", 0, "celltype")),
  list(data = "veteran", rows = "all",
       test = logrank_case("veteran_trt_by_celltype_rho_half", veteran, "trt", 0.5, "celltype")),
  list(data = "aml", rows = "all", test = logrank_case("aml_x", aml, "x", 0)),
  list(data = "aml", rows = "all", test = logrank_case("aml_x_peto", aml, "x", 1)),
  list(data = "ovarian", rows = "all", test = logrank_case("ovarian_rx", ovarian, "rx", 0)),
  list(data = "edge", rows = "all", test = logrank_case("edge_group", edge, "group", 0)),
  list(data = "edge", rows = "all", test = logrank_case("edge_group_peto", edge, "group", 1))
), "km_logrank")

# ---- restricted mean survival time -----------------------------------------------------------
rmean_case <- function(data, d, group, tau, entry = NULL) {
  fit <- fit_km(d, group, entry, "log", 0.95)
  tab <- summary(fit, rmean = tau)$table
  if (is.null(fit$strata)) {
    tab <- matrix(tab, nrow = 1, dimnames = list(NULL, names(tab)))
    labels <- "all"
  } else {
    labels <- label_of(names(fit$strata))
  }
  list(data = data, group = or_na(group), entry = or_na(entry), tau = tau, groups = I(labels),
       rmean = I(unname(tab[, "rmean"])), se = I(unname(tab[, "se(rmean)"])))
}
put(list(
  rmean_case("lung", lung, "sex", 365),
  rmean_case("lung", lung, "sex", 1000),
  rmean_case("lung", lung, NULL, 2000),
  rmean_case("veteran", veteran, "celltype", 200),
  rmean_case("aml", aml, "x", 40),
  rmean_case("ovarian", ovarian, "rx", 1000),
  rmean_case("edge", edge, "group", 6),
  rmean_case("edge", edge, "group", 8.5),
  rmean_case("edge", edge, "group", 15),
  rmean_case("heart", heart, NULL, 365, "start"),
  rmean_case("heart", heart, "surgery", 1000, "start")
), "km_rmean")

# ---- landmark analyses: explicit subsetting (time > L), time measured from L -----------------
landmark_case <- function(data, d, group, landmark) {
  kept <- d[d$time > landmark, ]
  kept$time <- kept$time - landmark
  fit <- fit_km(kept, group, NULL, "log", 0.95)
  s <- survdiff(as.formula(paste("Surv(time, event) ~", group)), data = kept)
  df <- sum(s$exp > 0) - 1
  excluded <- table(factor(d[[group]][d$time <= landmark], levels = sort(unique(d[[group]]))))
  list(data = data, group = group, landmark = landmark, excluded = sum(excluded),
       excluded_by_group = I(as.vector(excluded)), group_levels = I(names(excluded)),
       at_times = I(c(0, 90, 180, 365)), curves = curves(fit, c(0, 90, 180, 365)),
       logrank = list(statistic = s$chisq, df = df, p_value = pchisq(s$chisq, df, lower.tail = FALSE)))
}
put(list(
  landmark_case("lung", lung, "sex", 180),
  landmark_case("lung", lung, "sex", 365),
  landmark_case("veteran", veteran, "celltype", 30),
  landmark_case("ovarian", ovarian, "rx", 365),
  landmark_case("edge", edge, "group", 3)
), "km_landmark")
