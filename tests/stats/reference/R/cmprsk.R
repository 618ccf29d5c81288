# Reference numbers for competing risks from R's `cmprsk`: cumulative incidence (cuminc, with
# its own variance and the step-function layout), timepoints(), Gray's test ($Tests, with strata
# and rho) and Fine-Gray regression (crr: coefficients, sandwich variance, log pseudo-likelihood).
# Usage, from tests/stats/reference:   Rscript R/cmprsk.R fixtures
# Writes fixtures/cmprsk_*.json. Deterministic: the simulated cohort uses a fixed seed and is
# written into its fixture, so the Python tests analyse exactly what R analysed.
suppressMessages(library(cmprsk))
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
put <- function(x, name) {
  write_json(x, file.path(out, paste0("cmprsk_", name, ".json")), digits = NA, auto_unbox = TRUE,
             na = "null")
}

# cuminc curves as a list of {name, time, est, var}; "name" is cuminc's "<group> <cause>".
curves <- function(fit) {
  fit <- fit[names(fit) != "Tests"]
  lapply(names(fit), function(nm) {
    list(name = nm, time = I(fit[[nm]]$time), est = I(fit[[nm]]$est), var = I(fit[[nm]]$var))
  })
}
# timepoints() per curve: estimates and variances at the (sorted, unique) times, NA beyond the end.
at_times <- function(fit, times) {
  tp <- timepoints(fit, times)
  list(times = I(sort(unique(times))),
       curves = lapply(rownames(tp$est), function(nm) {
         list(name = nm, est = I(unname(tp$est[nm, ])), var = I(unname(tp$var[nm, ])))
       }))
}
# $Tests as rows {cause, stat, pv, df}.
tests <- function(fit) {
  t <- fit$Tests
  lapply(seq_len(nrow(t)), function(i) {
    list(cause = as.integer(rownames(t)[i]), stat = t[i, "stat"], pv = t[i, "pv"], df = t[i, "df"])
  })
}
cuminc_fixture <- function(fit, times) {
  x <- list(curves = curves(fit), timepoints = at_times(fit, times))
  if (!is.null(fit$Tests)) x$tests <- tests(fit)
  x
}
crr_fixture <- function(fit) {
  list(terms = I(names(fit$coef)), coef = I(unname(fit$coef)), se = I(sqrt(diag(fit$var))),
       var = lapply(seq_len(nrow(fit$var)), function(i) I(fit$var[i, ])),
       information = lapply(seq_len(nrow(fit$inf)), function(i) I(fit$inf[i, ])),
       loglik = fit$loglik, loglik_null = fit$loglik.null, converged = fit$converged, n = fit$n)
}

mgus2 <- read.csv("data/mgus2.csv")
edge <- read.csv("data/edge.csv")

# --- cuminc on mgus2 (cause 1 progression, 2 death before progression) ----------------------
mgus_times <- c(0, 12, 60, 120.5, 240, 360, 424, 500)
put(cuminc_fixture(with(mgus2, cuminc(time, cause)), mgus_times), "cuminc_mgus2_overall")
put(cuminc_fixture(with(mgus2, cuminc(time, cause, group = sex)), mgus_times), "cuminc_mgus2_sex")

# --- cuminc on the edge cohort: ties, censoring at event times, group C without events --------
edge_times <- c(0, 0.5, 1, 2.5, 4, 5, 10, 11, 12, 13)
put(cuminc_fixture(with(edge, cuminc(time, cause, group = group)), edge_times), "cuminc_edge_group")
put(cuminc_fixture(with(edge, cuminc(time, cause)), edge_times), "cuminc_edge_overall")

# --- Gray's test: strata and rho ---------------------------------------------------------------
mgus2$agegroup <- ifelse(mgus2$age >= 70, "70+", "<70")
gray <- list(
  mgus2_sex_rho1 = with(mgus2, cuminc(time, cause, group = sex, rho = 1)),
  mgus2_sex_strata_age = with(mgus2, cuminc(time, cause, group = sex, strata = agegroup)),
  mgus2_sex_strata_age_rho1 = with(mgus2, cuminc(time, cause, group = sex, strata = agegroup, rho = 1)),
  mgus2_agegroup_strata_sex_rho_half = with(mgus2, cuminc(time, cause, group = agegroup, strata = sex,
                                                          rho = 0.5)),
  edge_group_rho1 = with(edge, cuminc(time, cause, group = group, rho = 1))
)
put(lapply(gray, tests), "gray_tests")

# A group whose subjects all leave before the first event makes the score variance singular:
# cuminc then reports the statistic as -1 (its sentinel for "not computable") and p = 1.
singular <- rbind(edge[, c("time", "cause", "group")],
                  data.frame(time = c(0.5, 0.5), cause = c(0, 0), group = c("D", "D")))
put(list(time = I(singular$time), cause = I(singular$cause), group = I(singular$group),
         tests = tests(with(singular, cuminc(time, cause, group = group)))), "gray_singular")

# --- a simulated cohort: three groups, three causes, ties from rounding, two strata -------------
set.seed(20240611)
n <- 600
grp <- sample(c("low", "mid", "high"), n, replace = TRUE)
x1 <- round(rnorm(n), 2)
x2 <- rbinom(n, 1, 0.4)
rate <- exp(0.5 * x1 - 0.7 * x2 + ifelse(grp == "high", 0.6, ifelse(grp == "mid", 0.2, 0)))
event_time <- rexp(n, rate)
censor_time <- runif(n, 0, 3)
cause_drawn <- sample(1:3, n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
sim_time <- round(pmin(event_time, censor_time), 1)
sim_cause <- ifelse(event_time <= censor_time, cause_drawn, 0L)
site <- rep(c("s1", "s2"), length.out = n)
sim_fit <- cuminc(sim_time, sim_cause, group = grp)
sim_strata <- cuminc(sim_time, sim_cause, group = grp, strata = site, rho = 0.25)
sim_cov <- cbind(x1 = x1, x2 = x2)
put(list(time = I(sim_time), cause = I(sim_cause), group = I(grp), site = I(site), x1 = I(x1),
         x2 = I(x2),
         cuminc = cuminc_fixture(sim_fit, c(0, 0.25, 1, 2, 2.95, 3.5)),
         tests_strata_site_rho_quarter = tests(sim_strata),
         crr_failcode1 = crr_fixture(crr(sim_time, sim_cause, sim_cov, failcode = 1)),
         crr_failcode3 = crr_fixture(crr(sim_time, sim_cause, sim_cov, failcode = 3))), "sim")

# --- crr on mgus2: age, sex (male = 1), hgb; rows with a missing covariate dropped explicitly ---
complete <- mgus2[complete.cases(mgus2[, c("time", "cause", "age", "sex", "hgb")]), ]
mgus_cov <- cbind(age = complete$age, "sex=M" = as.numeric(complete$sex == "M"), hgb = complete$hgb)
put(crr_fixture(crr(complete$time, complete$cause, mgus_cov, failcode = 1)), "crr_mgus2_failcode1")
put(crr_fixture(crr(complete$time, complete$cause, mgus_cov, failcode = 2)), "crr_mgus2_failcode2")

# --- crr on edge: a deterministic numeric covariate and group B (group C has no events) --------
edge_x <- ((seq_len(nrow(edge)) * 7) %% 11) / 4
edge_cov <- cbind(x = edge_x, "group=B" = as.numeric(edge$group == "B"))
put(c(list(x = I(edge_x)), crr_fixture(crr(edge$time, edge$cause, edge_cov, failcode = 1))),
    "crr_edge_failcode1")
put(c(list(x = I(edge_x)), crr_fixture(crr(edge$time, edge$cause, edge_cov, failcode = 2))),
    "crr_edge_failcode2")

# --- events and censorings at time 0 (crr evaluates G just before each time: G(0-) quirks) ------
zero <- rbind(edge[, c("time", "cause", "group")],
              data.frame(time = c(0, 0, 0, 0), cause = c(0, 1, 2, 1), group = c("A", "A", "B", "C")))
zero_x <- ((seq_len(nrow(zero)) * 5) %% 7) / 3
put(list(time = I(zero$time), cause = I(zero$cause), group = I(zero$group), x = I(zero_x),
         cuminc = cuminc_fixture(with(zero, cuminc(time, cause, group = group)), c(0, 1, 4, 12)),
         crr_failcode1 = crr_fixture(crr(zero$time, zero$cause, cbind(x = zero_x), failcode = 1)),
         crr_failcode2 = crr_fixture(crr(zero$time, zero$cause, cbind(x = zero_x), failcode = 2))),
    "zero_times")

# --- a group without events as a covariate: the coefficient runs off to -Inf and crr stops after
# its 10 Newton iterations with converged = FALSE -------------------------------------------------
edge_groups <- cbind("group=C" = as.numeric(edge$group == "C"), "group=B" = as.numeric(edge$group == "B"))
put(crr_fixture(crr(edge$time, edge$cause, edge_groups, failcode = 1)), "crr_edge_not_converged")
