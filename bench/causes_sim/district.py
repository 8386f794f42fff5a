"""The simulation's truth: a district's schools, their latent risk factors, planted causes and
the assessment results those factors drive.

Independent of surveys/demo.py by construction: school factors are drawn from a multivariate
normal whose correlations come from a socio-economic component (it lifts the "social" factors
together, less so the institutional ones), a third of the schools get one or two causes planted
at a chosen intensity (in SD of the school-level factor, risk direction), and the shares of «2»
are binomial draws around a logit driven by five of the factors with a chosen R².

One factor is an outcome, not a cause: «Обучающиеся с рисками учебной неуспешности» is read
from pupils' marks, recommended extra classes and teachers naming gaps, so its latent level
here follows the school's own (noisy) result and its causal coefficient is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: the catalogue's factor whose indicators are outcomes (see the module docstring)
OUTCOME_FACTOR = "students_at_risk"
#: factors a school's social intake lifts together (strong loading on the SES component)
SOCIAL = frozenset(
    {"motivation", "parental_involvement", "language_barriers", "sen_support", "discipline"}
)
PLANTED_SHARE = 1 / 3
N_CAUSAL = 5
BASE_FAILING = 0.12  # district's typical share of «2»
LOGIT_PER_SD = 0.55  # spread of the schools' true logit of failing, per SD of it


@dataclass
class School:
    code: str
    name: str
    rural: bool
    grades: dict[int, int]  # grade -> enrolment
    teachers: int

    @property
    def enrolment(self) -> int:
        return sum(self.grades.values())


@dataclass
class District:
    seed: int
    intensity: float
    factors: list[str]  # all catalogue factors, in catalogue order
    schools: list[School]
    #: school × factor latent level (risk direction, SD units of the school distribution)
    levels: np.ndarray
    causal: dict[str, float]  # factor -> coefficient (logit of failing per SD); others 0
    planted: dict[str, list[str]]  # school code -> planted factors
    r2: float
    outcome_logit: np.ndarray  # per school, the true logit of the share of «2»
    results: list[dict[str, object]] = field(default_factory=list)

    def coefficient(self, factor: str) -> float:
        return self.causal.get(factor, 0.0)


def _schools(rng: np.random.Generator, n: int) -> list[School]:
    schools = []
    for index in range(n):
        rural = rng.random() < 0.45
        if rural:
            per_grade = rng.uniform(3, 16)
            top = 9 if rng.random() < 0.35 else 11
        else:
            per_grade = rng.uniform(30, 110)
            top = 11
        grades = {}
        for grade in range(1, top + 1):
            shrink = 0.65 if grade >= 10 else 1.0  # fewer pupils stay on after grade 9
            grades[grade] = max(1, int(rng.poisson(per_grade * shrink)))
        enrolment = sum(grades.values())
        teachers = max(6, int(np.rint(enrolment / rng.uniform(9, 14))))
        code = f"{700000 + index * 7 + 3}"
        kind = "сельская" if rural else "городская"
        schools.append(School(code, f"МБОУ «СОШ № {index + 1}» ({kind})", rural, grades, teachers))
    return schools


def _correlated_levels(rng: np.random.Generator, factors: list[str], n: int) -> np.ndarray:
    """School × factor levels: a socio-economic component plus each factor's own part, every
    column with unit variance in the population (correlations ~0.1–0.45)."""
    ses = rng.standard_normal(n)
    loadings = np.array(
        [rng.uniform(0.45, 0.7) if f in SOCIAL else rng.uniform(0.1, 0.4) for f in factors]
    )
    unique = rng.standard_normal((n, len(factors)))
    return ses[:, None] * loadings + unique * np.sqrt(1 - loadings**2)


def simulate_district(
    seed: int, intensity: float, factors: list[str], n_schools: int | None = None
) -> District:
    rng = np.random.default_rng([seed, round(intensity * 100)])
    # the district itself (schools, levels, causal set) depends on the seed only, so
    # intensities compare like with like; the plants and the noise of results vary with both
    base = np.random.default_rng(seed)
    n = n_schools or int(base.integers(36, 55))
    schools = _schools(base, n)
    levels = _correlated_levels(base, factors, n)
    candidates = [f for f in factors if f != OUTCOME_FACTOR]
    causal_set = [str(f) for f in base.choice(candidates, size=N_CAUSAL, replace=False)]
    weights = base.uniform(0.5, 1.0, N_CAUSAL)
    r2 = float(base.uniform(0.35, 0.5))

    planted: dict[str, list[str]] = {}
    order = rng.permutation(n)
    for position in order[: round(n * PLANTED_SHARE)]:
        count = 1 if rng.random() < 0.6 else 2
        chosen = [str(f) for f in rng.choice(causal_set, size=count, replace=False)]
        planted[schools[position].code] = chosen
        for factor in chosen:
            levels[position, factors.index(factor)] += intensity

    # results: eta from the causal factors (coefficients scaled so that eta has unit variance
    # in the unplanted population), structural noise for the chosen R²
    idx = [factors.index(f) for f in causal_set]
    population_cov = np.cov(
        _correlated_levels(np.random.default_rng(seed + 10_000), factors, 4000), rowvar=False
    )[np.ix_(idx, idx)]
    scale = float(np.sqrt(weights @ population_cov @ weights))
    beta = weights / scale
    eta = levels[:, idx] @ beta
    noise = rng.standard_normal(n) * np.sqrt((1 - r2) / r2)
    latent = eta + noise  # SD ≈ 1/sqrt(R²) in the population
    outcome_logit = np.log(BASE_FAILING / (1 - BASE_FAILING)) + LOGIT_PER_SD * latent * np.sqrt(r2)
    causal = {
        f: float(b * LOGIT_PER_SD * np.sqrt(r2)) for f, b in zip(causal_set, beta, strict=True)
    }

    # the outcome factor's latent level: the school's result as its own indicators see it
    out = factors.index(OUTCOME_FACTOR)
    standard = (latent - 0.0) * np.sqrt(r2)
    levels[:, out] = 0.85 * standard + np.sqrt(1 - 0.85**2) * rng.standard_normal(n)

    district = District(
        seed, intensity, factors, schools, levels, causal, planted, r2, outcome_logit
    )
    district.results = _results(rng, district)
    return district


def _results(rng: np.random.Generator, district: District) -> list[dict[str, object]]:
    """ВПР (grades 4–8) and ОГЭ (grade 9) in two subjects: binomial shares around the school's
    logit (a subject and grade add a little of their own), so small schools are noisy."""
    rows: list[dict[str, object]] = []
    for school, logit in zip(district.schools, district.outcome_logit, strict=True):
        for grade, enrolled in school.grades.items():
            kind = "ВПР" if 4 <= grade <= 8 else "ОГЭ" if grade == 9 else None
            if kind is None:
                continue
            for subject in ("математика", "русский язык"):
                participants = max(1, int(rng.binomial(enrolled, 0.92)))
                p = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.15))))
                failing = int(rng.binomial(participants, p))
                rows.append(
                    {
                        "school_code": school.code,
                        "year": 2026,
                        "assessment": kind,
                        "subject": subject,
                        "grade": grade,
                        "participants": participants,
                        "share_failing": round(failing / participants, 4),
                    }
                )
    return rows
