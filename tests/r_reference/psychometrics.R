# Reference values for tests/analysis/test_psychometrics.py, computed with psych, GPArotation
# and lavaan on two data sets the packages ship.
#
# Run from the repository root:  Rscript tests/r_reference/psychometrics.R
# Writes tests/data/bfi.csv, tests/data/holzinger.csv and tests/data/expected/psychometrics_*.json.
#
# Missing answers in psych::bfi (2,800 rows, 2,436 complete on A1..O5): item statistics, alpha
# and omega use every answer (pairwise covariances/correlations, psych's default); KMO, Bartlett,
# parallel analysis and fa use the complete cases, so that factor scores exist for every row.

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(lavaan)
  library(jsonlite)
})

out_dir <- file.path("tests", "data", "expected")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

versions <- list(
  R = R.version.string,
  psych = as.character(packageVersion("psych")),
  GPArotation = as.character(packageVersion("GPArotation")),
  lavaan = as.character(packageVersion("lavaan"))
)

# A labelled matrix as {index, columns, data (rows)}.
frame <- function(m) {
  m <- as.matrix(unclass(m))
  index <- if (is.null(rownames(m))) as.character(seq_len(nrow(m)) - 1) else rownames(m)
  list(index = I(index), columns = I(colnames(m)), data = unname(m))
}
named <- function(v) as.list(v)
save <- function(x, name) {
  x$versions <- versions
  write_json(x, file.path(out_dir, name), digits = NA, auto_unbox = TRUE, pretty = TRUE)
}

# ---- data -----------------------------------------------------------------------------------
bfi_items <- c(outer(c("A", "C", "E", "N", "O"), 1:5, paste0))
bfi_items <- bfi_items[order(substr(bfi_items, 1, 1), bfi_items)]
bfi <- psych::bfi[, bfi_items]
rownames(bfi) <- NULL
write.csv(bfi, file.path("tests", "data", "bfi.csv"), row.names = FALSE, na = "")
bfi_cc <- bfi[complete.cases(bfi), ]

hs_items <- paste0("x", 1:9)
hs <- lavaan::HolzingerSwineford1939[, hs_items]
write.csv(hs, file.path("tests", "data", "holzinger.csv"), row.names = FALSE)

# ---- reliability ----------------------------------------------------------------------------
alpha_case <- function(items, reverse) {
  x <- bfi[, items]
  a <- psych::alpha(x, keys = reverse, check.keys = FALSE, warnings = FALSE)
  keys <- ifelse(items %in% reverse, -1, 1)
  keyed <- x
  keyed[, items %in% reverse] <- max(x, na.rm = TRUE) + min(x, na.rm = TRUE) -
    x[, items %in% reverse]
  answered <- colSums(!is.na(keyed))
  # one factor: psych warns that omega_h is not meaningful; only omega.tot is used
  om <- suppressWarnings(suppressMessages(
    psych::omega(x, nfactors = 1, key = keys, plot = FALSE)
  ))
  list(
    items = I(items), reverse = I(reverse),
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    r_drop = named(setNames(a$item.stats$r.drop, items)),
    alpha_if_dropped = named(setNames(a$alpha.drop$raw_alpha, items)),
    n = named(setNames(a$item.stats$n, items)),
    mean = named(setNames(a$item.stats$mean, items)),
    sd = named(setNames(a$item.stats$sd, items)),
    missing_share = named(colMeans(is.na(x))),
    floor_share_1_6 = named(colSums(keyed == 1, na.rm = TRUE) / answered),
    ceiling_share_1_6 = named(colSums(keyed == 6, na.rm = TRUE) / answered),
    omega_total = om$omega.tot
  )
}
agreeableness <- alpha_case(paste0("A", 1:5), "A1")
conscientiousness <- alpha_case(paste0("C", 1:5), c("C4", "C5"))

omega_case <- function(x, nfactors) {
  # two factors: psych's option = "equal"; flip = TRUE reverses items loading negatively on g
  om <- suppressMessages(psych::omega(x, nfactors = nfactors, fm = "minres", plot = FALSE))
  list(
    n_factors = nfactors, omega_total = om$omega.tot, omega_hierarchical = om$omega_h,
    general_loadings = named(setNames(om$schmid$sl[, "g"], colnames(x))),
    flipped = I(colnames(x)[om$key < 0])
  )
}
save(list(
  agreeableness = agreeableness,
  conscientiousness = conscientiousness,
  holzinger_omega3 = omega_case(hs, 3),
  holzinger_omega2 = omega_case(hs, 2),
  bfi_omega5 = omega_case(bfi, 5)
), "psychometrics_reliability.json")

# ---- adequacy: KMO, Bartlett, parallel analysis ---------------------------------------------
adequacy <- function(x, seed) {
  k <- psych::KMO(x)
  b <- suppressMessages(psych::cortest.bartlett(x, n = nrow(x)))
  set.seed(seed)
  pa <- suppressMessages(psych::fa.parallel(x, fa = "fa", SMC = TRUE, n.iter = 100,
                                            plot = FALSE))
  list(
    n = nrow(x),
    kmo_overall = k$MSA, kmo_items = named(k$MSAi),
    bartlett_chisq = b$chisq, bartlett_df = b$df, bartlett_p = b$p.value,
    parallel_observed = pa$fa.values, parallel_simulated_mean = pa$fa.sim,
    parallel_n_factors = pa$nfact
  )
}
save(list(bfi = adequacy(bfi_cc, 1), holzinger = adequacy(hs, 2)), "psychometrics_adequacy.json")

# ---- exploratory factor analysis ------------------------------------------------------------
efa_case <- function(x, nfactors, fm, rotate) {
  f <- psych::fa(x, nfactors = nfactors, fm = fm, rotate = rotate, warnings = FALSE)
  phi <- if (is.null(f$Phi)) NA else frame(f$Phi)  # NA is written as null
  scores <- psych::factor.scores(x, f = unclass(f$loadings), Phi = f$Phi,
                                 method = "Thurstone")$scores
  colnames(scores) <- colnames(f$loadings)
  rownames(scores) <- NULL  # rows 0..4 of the complete cases, as Python counts them
  list(
    n_factors = nfactors, method = fm, rotation = rotate,
    loadings = frame(f$loadings), phi = phi,
    communalities = named(f$communality), uniquenesses = named(f$uniquenesses),
    variance = frame(f$Vaccounted),
    scores_first5 = frame(scores[1:5, , drop = FALSE])
  )
}
efa <- list()
for (fm in c("minres", "ml")) {
  for (rotate in c("oblimin", "varimax", "promax", "none")) {
    efa[[paste("bfi", fm, rotate, sep = "_")]] <- efa_case(bfi_cc, 5, fm, rotate)
    efa[[paste("holzinger", fm, rotate, sep = "_")]] <- efa_case(hs, 3, fm, rotate)
  }
}
save(efa, "psychometrics_efa.json")

# ---- confirmatory factor analysis -----------------------------------------------------------
model <- "visual =~ x1 + x2 + x3
          textual =~ x4 + x5 + x6
          speed =~ x7 + x8 + x9"
fit <- lavaan::cfa(model, data = hs)
measures <- lavaan::fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"))
std <- lavaan::standardizedSolution(fit)
ld <- std[std$op == "=~", ]
est <- lavaan::parameterEstimates(fit)
est_ld <- est[est$op == "=~", ]
save(list(
  n = nrow(hs),
  fit = named(measures),
  std_loadings = list(factor = I(ld$lhs), item = I(ld$rhs), value = ld$est.std),
  loadings = list(factor = I(est_ld$lhs), item = I(est_ld$rhs), value = est_ld$est)
), "psychometrics_cfa.json")

cat("written to", out_dir, "\n")
