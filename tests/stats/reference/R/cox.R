# Reference fits of the Cox proportional hazards model (survival::coxph) for remission.stats.cox_ph.
# Each case is fitted with ties = "efron" (R's default) and "breslow" and written to
# fixtures/cox_<case>_<ties>.json: coefficients, standard errors (model-based), z, p, exp(coef),
# both log partial likelihoods, iterations, the three global tests and any warning R raised.
# Usage (from tests/stats/reference): Rscript R/cox.R OUTDIR
suppressMessages(library(survival))
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

read <- function(name) read.csv(file.path("data", paste0(name, ".csv")))

global_test <- function(statistic, df) {
  list(statistic = statistic, df = df, p_value = pchisq(statistic, df, lower.tail = FALSE))
}

write_case <- function(case, formula, data) {
  for (ties in c("efron", "breslow")) {
    messages <- character(0)
    fit <- withCallingHandlers(
      coxph(formula, data = data, ties = ties),
      warning = function(w) {
        messages <<- c(messages, trimws(conditionMessage(w)))
        invokeRestart("muffleWarning")
      }
    )
    coef <- coef(fit)
    se <- sqrt(diag(fit$var))
    df <- sum(!is.na(coef))
    result <- list(
      case = case,
      ties = ties,
      formula = paste(deparse(formula), collapse = " "),
      n = fit$n,
      events = fit$nevent,
      terms = I(names(coef)),
      coef = I(unname(coef)),
      se = I(unname(se)),
      z = I(unname(coef / se)),
      p_value = I(unname(pchisq((coef / se)^2, 1, lower.tail = FALSE))),
      exp_coef = I(unname(exp(coef))),
      loglik = I(fit$loglik),
      iterations = fit$iter,
      likelihood_ratio_test = global_test(2 * (fit$loglik[2] - fit$loglik[1]), df),
      wald_test = global_test(unname(fit$wald.test), df),
      score_test = global_test(unname(fit$score), df),
      warnings = I(messages)
    )
    if (fit$iter > coxph.control()$iter.max) {
      # Out of iterations, coxph reports a variance that is not the inverse information at its
      # coefficients (coxfit6 inverts the recomputed information without factorising it).
      # Record R's own model-based values at those coefficients: iter.max = 0 evaluates there.
      at <- coxph(formula, data = data, ties = ties, init = coef, iter.max = 0)
      se_at <- sqrt(diag(at$var))
      result$at_coef <- list(
        se = I(unname(se_at)),
        z = I(unname(coef / se_at)),
        p_value = I(unname(pchisq((coef / se_at)^2, 1, lower.tail = FALSE))),
        loglik = at$loglik[2],
        # at$wald.test tests coef against init (itself); the Wald test of coef = 0 is solved here.
        wald_test = global_test(sum(coef * solve(at$var, coef)), df)
      )
    }
    write_json(result, file.path(out, paste0("cox_", case, "_", ties, ".json")),
               digits = NA, auto_unbox = TRUE, na = "null")
  }
}

lung <- read("lung")
veteran <- read("veteran")
ovarian <- read("ovarian")
aml <- read("aml")
edge <- read("edge")
heart <- read("heart")

# lung: two numeric covariates (all rows complete for these).
write_case("lung", Surv(time, event) ~ age + sex, lung)
# lung with ECOG as a factor: ph_ecog has one missing value; the row is dropped explicitly.
lung_ecog <- na.omit(lung[, c("time", "event", "age", "sex", "ph_ecog")])
write_case("lung_ecog", Surv(time, event) ~ age + sex + factor(ph_ecog), lung_ecog)
# veteran: a four-level character covariate (R orders levels alphabetically) plus numerics.
write_case("veteran", Surv(time, event) ~ celltype + karno + trt, veteran)
# ovarian: small, few events.
write_case("ovarian", Surv(time, event) ~ age + rx + resid_ds + ecog_ps, ovarian)
# aml: heavy ties, one binary character covariate.
write_case("aml", Surv(time, event) ~ x, aml)
# edge: group C has no events, so its coefficient diverges (R warns it may be infinite).
write_case("edge", Surv(time, event) ~ group, edge)
# ovarian with a covariate that orders the deaths perfectly (minus the follow-up time): the
# likelihood keeps rising as the coefficient grows, so coxph runs out of iterations and warns.
ovarian$neg_time <- -ovarian$time
write_case("ovarian_separated", Surv(time, event) ~ neg_time + age, ovarian)
# heart: counting-process (start, stop] data, i.e. late entry.
write_case("heart", Surv(start, stop, event) ~ age + surgery + transplant, heart)
# Stratified fits: separate baseline hazards per stratum.
write_case("veteran_strata", Surv(time, event) ~ karno + trt + strata(celltype), veteran)
write_case("heart_strata", Surv(start, stop, event) ~ age + transplant + strata(surgery), heart)
