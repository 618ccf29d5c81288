# Reference for a Cox fit whose log partial likelihood is exactly 0 at every beta: the one event is
# alone in its risk set (the last time). survival's coxfit6.c tests convergence with
# fabs(1 - loglik_old / loglik_new) <= eps, which is NaN for 0/0, so R never converges and runs out
# of iterations (iter = iter.max + 1) with the coefficient left at 0 and the loglik 0.
# Written to fixtures/cox_zero_loglik.json. Usage (from tests/stats/reference):
#   Rscript R/cox_zero_loglik.R OUTDIR
suppressMessages(library(survival))
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "fixtures"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

data <- data.frame(time = c(1, 2, 3, 4, 5), event = c(0, 0, 0, 0, 1), x = c(1, 2, 3, 4, 5))
result <- list()
for (ties in c("efron", "breslow")) {
  messages <- character(0)
  fit <- withCallingHandlers(
    coxph(Surv(time, event) ~ x, data = data, ties = ties),
    warning = function(w) {
      messages <<- c(messages, trimws(conditionMessage(w)))
      invokeRestart("muffleWarning")
    }
  )
  result[[ties]] <- list(
    coef = unname(coef(fit)),
    loglik = I(fit$loglik),
    iter = fit$iter,
    warnings = I(messages)
  )
}
result$data <- data
write_json(result, file.path(out, "cox_zero_loglik.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
