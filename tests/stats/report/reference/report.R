# Reference numbers for the study report (remission.stats.report): survfit summaries at 3, 4 and 5
# years of 365.25 days, survdiff, and cmprsk cuminc/timepoints with Gray's test, on endpoints.csv.
# Usage (from tests/stats/report/reference): Rscript report.R OUTFILE   (committed: report_r.json)
suppressMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "report_r.json"
d <- read.csv("endpoints.csv", stringsAsFactors = FALSE, na.strings = "")
times <- c(3, 4, 5) * 365.25
label_of <- function(strata) sub("^[^=]*=", "", strata)

# Populations, as the report defines them (docs/report.md).
enrolled <- !is.na(d$protocol_id)
final_group <- enrolled & !is.na(d$risk_group) & d$risk_group != "pending"
relapsed <- enrolled & !is.na(d$relapse_site)
relapsed_before <- !is.na(d$relapse_cause) & d$relapse_cause == 1 &
  !is.na(d$time_to_hsct_days) & d$relapse_time_days < d$time_to_hsct_days
hsct_cr1 <- enrolled & d$hsct & !relapsed_before

# summary(survfit, times =, extend = TRUE) per stratum, pooled first; survdiff when grouped.
km <- function(rows, time, event, group = NULL) {
  s <- d[rows & !is.na(d[[time]]) & !is.na(d[[event]]), ]
  if (!is.null(group)) s <- s[!is.na(s[[group]]), ]
  surv <- Surv(s[[time]], s[[event]])
  at <- function(fit) {
    a <- summary(fit, times = times, extend = TRUE)
    g <- if (is.null(a$strata)) rep("all", length(a$time)) else label_of(as.character(a$strata))
    lapply(split(seq_along(a$time), factor(g, levels = unique(g))), function(i) {
      list(time = a$time[i], n_risk = a$n.risk[i], surv = a$surv[i], std_err = a$std.err[i])
    })
  }
  result <- list(pooled = at(survfit(surv ~ 1))[[1]])
  if (!is.null(group)) {
    g <- as.character(s[[group]])
    result$groups <- at(survfit(surv ~ g))
    test <- survdiff(surv ~ g)
    result$logrank <- list(chisq = test$chisq, df = length(test$n) - 1,
                           p = pchisq(test$chisq, length(test$n) - 1, lower.tail = FALSE))
  }
  result
}

# cuminc and timepoints per group × cause, Gray's tests.
ci <- function(rows, group = NULL) {
  s <- d[rows & !is.na(d$relapse_time_days) & !is.na(d$relapse_cause), ]
  g <- if (is.null(group)) NULL else as.character(s[[group]])
  fit <- if (is.null(g)) cuminc(s$relapse_time_days, s$relapse_cause, cencode = 0)
         else cuminc(s$relapse_time_days, s$relapse_cause, g, cencode = 0)
  tp <- timepoints(fit, times)
  curves <- lapply(rownames(tp$est), function(name) {
    list(name = name, est = unname(tp$est[name, ]), var = unname(tp$var[name, ]))
  })
  result <- list(curves = curves)
  if (!is.null(fit$Tests)) {
    result$gray <- lapply(rownames(fit$Tests), function(cause) {
      list(cause = cause, stat = fit$Tests[cause, "stat"], p = fit$Tests[cause, "pv"],
           df = fit$Tests[cause, "df"])
    })
  }
  result
}

# Median follow-up by reverse Kaplan-Meier: deaths censor the follow-up of overall survival.
follow_up <- function() {
  rows <- d[enrolled & !is.na(d$os_time_days) & !is.na(d$os_event), ]
  table <- summary(survfit(Surv(os_time_days, 1 - os_event) ~ 1, data = rows))$table
  list(n = nrow(rows), median = unname(table["median"]), lower = unname(table["0.95LCL"]),
       upper = unname(table["0.95UCL"]))
}

fixture <- list(
  times = times,
  efs_by_risk_group = km(final_group, "efs_time_days", "efs_event", "risk_group"),
  os_by_risk_group = km(final_group, "os_time_days", "os_event", "risk_group"),
  dfs_after_hsct = km(hsct_cr1, "dfs_after_hsct_time_days", "dfs_after_hsct_event"),
  os_after_relapse_by_age = km(relapsed, "os_after_relapse_time_days", "os_after_relapse_event",
                               "age_under_6_months"),
  os_after_relapse_by_site = km(relapsed, "os_after_relapse_time_days", "os_after_relapse_event",
                                "relapse_site"),
  os_after_relapse_by_remission_before_second_hsct = km(
    relapsed & !is.na(d$remission_before_second_hsct), "os_after_relapse_time_days",
    "os_after_relapse_event", "remission_before_second_hsct"),
  relapse_incidence = ci(enrolled),
  relapse_incidence_by_risk_group = ci(final_group, "risk_group"),
  follow_up = follow_up()
)
write_json(fixture, out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
