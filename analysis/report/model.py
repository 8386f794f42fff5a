"""The report model: everything a reference shows, computed once, rendered by any format."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.benchmark import Benchmark, missing_indicators
from analysis.indicators import form_of, icc1, scale_cutoff_position
from analysis.memo import memoized
from analysis.privacy import reportable, reportable_rows
from analysis.profiles import scale_summary
from analysis.report.appendix import Appendix, build_appendix
from analysis.report.conclusions import Conclusions, build_conclusions
from analysis.report.dynamics_section import DynamicsSection, Wave, build_dynamics_section
from analysis.report.front_matter import (
    FrontMatter,
    assessments_of,
    build_front_matter,
    compared_with,
)
from analysis.report.profile import RiskSection, build_risk_section, fielded_indicators, risk_note
from analysis.report.results_section import ResultsSection, build_results_section
from analysis.report.roadmap import Roadmap, build_roadmap, staff_of
from analysis.report.study import StudyFacts
from analysis.report.summary_section import SummarySection, summary_of
from analysis.report.support import SupportSection, build_support_section
from analysis.scoring import ScaleScores, scale_scores, score_scales
from instruments.audiences import AUDIENCE_HEADINGS
from instruments.risk_factors import RiskFactorCatalogue
from instruments.schema import Instrument, Scale, text_in


@dataclass(frozen=True)
class ScaleRow:
    code: str
    title: str
    higher_is: str
    n: int
    suppressed: bool
    mean: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pomp: float | None = None
    prevalence: float | None = None
    prevalence_label: str | None = None
    item_min: int = 1
    item_max: int = 4
    #: share of the scale's variance lying between schools (ICC(1) over the campaign)
    icc: float | None = None
    #: position against the instrument's published cut-offs: "high", "low", "middle" or None
    cutoff: str | None = None


@dataclass(frozen=True)
class AudienceSection:
    """Scale results of one form (an audience's questionnaire) for one school."""

    audience: str
    #: the audience's label, with the form's title when the audience has several forms
    audience_label: str
    instrument_title: str
    n_responses: int
    rows: list[ScaleRow]
    instrument_code: str = ""

    @property
    def group_label(self) -> str:
        """The audience alone ("Обучающиеся"), where the form is named beside it."""
        return AUDIENCE_HEADINGS.get(self.audience, self.audience)


@dataclass(frozen=True)
class ReferenceModel:
    school_code: str
    school_name: str
    district_name: str
    campaign_title: str
    period: str
    min_group_size: int
    generated_on: dt.date
    sections: list[AudienceSection] = field(default_factory=list)
    risk: RiskSection | None = None
    #: the frozen reference of z-scores; None: the campaign's own schools
    benchmark: Benchmark | None = None
    #: indicators the benchmark cannot place (titles): shown without a position
    unbenchmarked: list[str] = field(default_factory=list)
    dynamics: DynamicsSection | None = None
    #: why there is no risk part (no instrument of the campaign has risk indicators), or which
    #: instruments the risk part leaves out
    risk_note: str | None = None
    #: the title block, the study's aim and methods, the sample and its coverage
    front: FrontMatter | None = None
    #: the school's own ВПР/ОГЭ/ЕГЭ results against the district's; None: not loaded
    results: ResultsSection | None = None
    #: «Приложения»: scales and their reliability, how figures are computed, the suppression
    #: rule, the questionnaires used
    appendix: Appendix | None = None
    #: the draft roadmap, dated from ``generated_on``; None without a risk part
    roadmap: Roadmap | None = None
    #: «Выводы и рекомендации»; None without a risk part
    conclusions: Conclusions | None = None
    #: facts about the support of pupils as the school's specialists report them (the items
    #: marked ``fact``); None: no form of the campaign asks for them
    support: SupportSection | None = None
    #: «Краткие итоги»: the risk profile chart and the findings in plain words; None
    #: without a risk part
    summary: SummarySection | None = None


def _num(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _cutoff(scale: Scale, row: pd.Series, item_range: tuple[int, int]) -> str | None:
    """Where the school stands against the scale's published cut-offs, in risk terms (the
    same rule as the risk profile's indicators: :mod:`analysis.indicators`)."""
    return scale_cutoff_position(scale, row, item_range)


def form_labels(forms: Iterable[tuple[str, Instrument]]) -> dict[str, str]:
    """key -> the label of the form's section: the audience's label ("Обучающиеся"), followed
    by the form's title when the audience has several forms among ``forms`` (key, instrument)
    ("Обучающиеся — Анкета для обучающихся 2–4 классов")."""
    pairs = list(forms)
    per_audience = Counter(instrument.audience.value for _, instrument in pairs)
    labels = {}
    for key, instrument in pairs:
        audience = instrument.audience.value
        label = AUDIENCE_HEADINGS.get(audience, audience)
        if per_audience[audience] > 1:
            label = f"{label} — {text_in(instrument.title)}"
        labels[key] = label
    return labels


#: a school's rows of a scale table (:func:`analysis.profiles.scale_summary`), by scale
SchoolRows = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _PooledForm:
    """The district's part of a form's sections, the same for every school's reference."""

    #: the schools below the minimum, with their n (:func:`analysis.privacy.reportable`)
    hidden: dict[str, int]
    #: the scale table of the other schools, by school
    rows: dict[str, SchoolRows]
    #: each scale's ICC(1) (:func:`_scale_iccs`)
    icc: dict[str, float | None]
    #: every school's number of responses
    responses: dict[str, int]


@memoized
def _pooled_form(
    answers: pd.DataFrame, instrument: Instrument, audience: str, min_group_size: int
) -> _PooledForm:
    """:class:`_PooledForm` of every school's ``answers`` to the form: keyed once, by the
    answers a cached campaign holds, rather than each of its parts by the gated frame and
    the column of its schools (hashed by content when small)."""
    kept, hidden = reportable(answers, audience=audience, min_group_size=min_group_size)
    scores = score_scales(kept, instrument)
    summary = scale_summary(scores, kept["school_code"], instrument, min_group_size=min_group_size)
    return _PooledForm(
        hidden=hidden,
        rows=_by_school(summary),
        icc=_scale_iccs(scores, kept, instrument, audience, min_group_size),
        responses={code: int(n) for code, n in answers["school_code"].value_counts().items()},
    )


def _by_school(summary: pd.DataFrame) -> dict[str, SchoolRows]:
    """The rows of a scale table as plain values (a lookup of a school's row by labels
    costs more than the row's figures), by school and scale."""
    out: dict[str, SchoolRows] = {}
    # (each column as Python values, as DataFrame.to_dict gives them, at a fraction of its
    # cost: it boxes value by value)
    columns = {str(name): summary[name].tolist() for name in summary.columns}
    for values in zip(*columns.values(), strict=True):
        record = dict(zip(columns, values, strict=True))
        out.setdefault(record["school_code"], {})[record["scale"]] = record
    return out


def audience_section(
    audience: str,
    instrument: Instrument,
    answers: pd.DataFrame,
    school_code: str,
    *,
    min_group_size: int,
    label: str | None = None,
) -> AudienceSection:
    """Scale results of one school for one form of ``audience``; suppressed below
    ``min_group_size`` (per school and form). ``label`` names the section (by default the
    audience's label; see :func:`form_labels`).

    ``answers`` are every school's; only those of schools at or above the minimum
    (:func:`analysis.privacy.reportable`) enter the ICC, and only the schools with at least
    the minimum scored on a scale enter that scale's ICC. A school below the minimum shows
    its n per scale (from its own answers) and no value.
    """
    pooled = _pooled_form(answers, instrument, audience, min_group_size)
    if school_code in pooled.hidden:
        # (a few rows of one school: scored and summed up outside the store, whose keys
        # would hash them by content)
        own = answers[answers["school_code"] == school_code]
        summary = scale_summary(
            scale_scores(own, instrument),
            own["school_code"],
            instrument,
            min_group_size=min_group_size,
        )
        mine = _by_school(summary).get(school_code, {})
    else:
        mine = pooled.rows.get(school_code, {})
    items = instrument.items_by_code()
    rows = []
    for scale in instrument.scales:
        low, high = instrument.item_range(items[scale.items[0]])
        r = mine.get(scale.code)
        n, suppressed = (0, True) if r is None else (int(r["n"]), bool(r["suppressed"]))
        cutoff = None
        if r is not None and not suppressed and scale.cutoffs is not None:
            cutoff = _cutoff(scale, pd.Series(r), (low, high))
        rows.append(
            ScaleRow(
                code=scale.code,
                title=text_in(scale.title),
                higher_is=scale.higher_is,
                n=n,
                suppressed=suppressed,
                mean=None if r is None else _num(r["mean"]),
                ci_low=None if r is None else _num(r["ci_low"]),
                ci_high=None if r is None else _num(r["ci_high"]),
                pomp=None if r is None else _num(r["pomp"]),
                prevalence=None if r is None else _num(r["prevalence"]),
                prevalence_label=text_in(scale.prevalence.label) if scale.prevalence else None,
                item_min=low,
                item_max=high,
                icc=pooled.icc[scale.code],
                cutoff=cutoff,
            )
        )
    n_responses = pooled.responses.get(school_code, 0)
    return AudienceSection(
        audience=audience,
        audience_label=label or AUDIENCE_HEADINGS.get(audience, audience),
        instrument_title=text_in(instrument.title),
        n_responses=n_responses,
        rows=rows,
        instrument_code=instrument.code,
    )


def _scale_iccs(
    scores: ScaleScores,
    answers: pd.DataFrame,
    instrument: Instrument,
    audience: str,
    min_group_size: int,
) -> dict[str, float | None]:
    """ICC(1) of each scale over the schools with at least ``min_group_size`` scores on it
    (``scores`` are those of ``answers``). The schools are numbered once for every scale
    (:func:`analysis.indicators.icc1` numbers the groups it is given in order of appearance,
    so their numbers group the respondents exactly as their codes do)."""
    codes = pd.factorize(answers["school_code"].to_numpy())[0]
    placed = codes >= 0
    iccs: dict[str, float | None] = {}
    for scale in instrument.scales:
        values = scores.score[scale.code].to_numpy()
        scored = placed & ~np.isnan(values)
        groups = codes[scored]
        kept = reportable_rows(pd.Series(groups), audience=audience, min_group_size=min_group_size)
        iccs[scale.code] = _num(icc1(values[scored][kept], groups[kept]))
    return iccs


def build_school_reference(
    *,
    school_code: str,
    school_name: str,
    district_name: str,
    campaign_title: str,
    period: str,
    min_group_size: int,
    audiences: list[tuple[str, Instrument, pd.DataFrame]],
    generated_on: dt.date | None = None,
    catalogue: RiskFactorCatalogue | None = None,
    results: pd.DataFrame | None = None,
    status: pd.DataFrame | None = None,
    benchmark: Benchmark | None = None,
    previous: Wave | None = None,
    study: StudyFacts | None = None,
    assessment_history: pd.DataFrame | None = None,
) -> ReferenceModel:
    """The reference of one school from the answers to each form (all schools' answers given,
    so that the school is compared with the campaign's schools, or with ``benchmark``); with
    a risk-factor catalogue, also its risk profile, probable causes, conclusions and a draft
    roadmap dated from ``generated_on`` (its specialists from ``study`` and the
    administration's answers: :func:`analysis.report.roadmap.staff_of`), and
    with the ``previous`` wave the change since then. ``status`` is the campaign's schools'
    official status (:func:`surveys.dataset.school_status_frame`); ``study`` the campaign's
    dates and the school's enrolment and response counts, for the title block and the
    coverage (without it they say what is unknown).

    ``audiences`` holds (key, instrument, answers) per form, the key being the instrument's
    code (:func:`surveys.benchmarks.campaign_answers`); a form's audience is its
    instrument's. ``assessment_history`` holds the campaign's schools' assessment results
    of every year (:func:`surveys.dataset.assessment_history`), for the part on the school's
    own results; without them the reference has no such part."""
    labels = form_labels((key, instrument) for key, instrument, _ in audiences)
    sections = [
        audience_section(
            instrument.audience.value,
            instrument,
            answers,
            school_code,
            min_group_size=min_group_size,
            label=labels[key],
        )
        for key, instrument, answers in audiences
    ]
    risk = None
    dynamics = None
    unbenchmarked: list[str] = []
    reference = benchmark.reference if benchmark is not None else None
    data = {a: (instrument, answers) for a, instrument, answers in audiences}
    instruments = [instrument for instrument, _ in data.values()]
    note = None if catalogue is None else risk_note(catalogue, instruments)
    # Without a single indicator (only the psychologist's own questionnaires) there is no
    # profile, cause or change of a factor to state: the note says why instead.
    if catalogue is not None and any(fielded_indicators(catalogue, instruments).values()):
        risk = build_risk_section(
            school_code,
            data,
            catalogue,
            min_group_size=min_group_size,
            results=results,
            status=status,
            reference=reference,
            reference_name=benchmark.title if benchmark is not None else None,
        )
        if reference is not None:
            by_factor = catalogue.indicators_by_factor(
                instrument for instrument, _ in data.values()
            )
            used = {
                i.code: text_in(i.title)
                for items in by_factor.values()
                for i in items
                if form_of(data, i) is not None
            }
            unbenchmarked = [used[c] for c in missing_indicators(list(used), reference)]
        if previous is not None:
            current = Wave(title=campaign_title, min_group_size=min_group_size, data=data)
            dynamics = build_dynamics_section(
                school_code, previous, current, catalogue, reference=reference
            )
    generated_on = generated_on or dt.date.today()
    front = build_front_matter(
        school_code=school_code,
        school_name=school_name,
        forms=[(key, instrument, answers, labels[key]) for key, instrument, answers in audiences],
        facts=study,
        min_group_size=min_group_size,
        generated_on=generated_on,
        with_risk=risk is not None,
        compared_with=compared_with(risk, benchmark),
        assessments=assessments_of(school_code, results),
        previous=previous.title if previous is not None and dynamics is not None else None,
    )
    roadmap = conclusions = None
    if risk is not None and catalogue is not None:
        staff, source = staff_of(school_code, data, study.specialists if study else None)
        roadmap = build_roadmap(
            risk,
            catalogue,
            today=generated_on,
            staff=staff,
            staff_source=source,
            campaign_title=campaign_title,
            audiences=[instrument.audience.value for instrument in instruments],
        )
        conclusions = build_conclusions(
            school_code=school_code,
            risk=risk,
            catalogue=catalogue,
            roadmap=roadmap,
            coverage=front.coverage,
            results=results,
            status=status,
        )
    return ReferenceModel(
        school_code=school_code,
        school_name=school_name,
        district_name=district_name,
        campaign_title=campaign_title,
        period=period,
        min_group_size=min_group_size,
        generated_on=generated_on,
        sections=sections,
        risk=risk,
        benchmark=benchmark,
        unbenchmarked=unbenchmarked,
        dynamics=dynamics,
        roadmap=roadmap,
        conclusions=conclusions,
        risk_note=note,
        front=front,
        results=None
        if assessment_history is None
        else build_results_section(assessment_history, school_code),
        appendix=build_appendix(
            forms=[(key, instrument, frame, labels[key]) for key, instrument, frame in audiences],
            sections=sections,
            versions={f.key: f.version for f in study.forms} if study else {},
            min_group_size=min_group_size,
            with_risk=risk is not None,
            catalogue=catalogue,
            benchmark=benchmark,
        ),
        support=build_support_section(
            ((instrument, answers, labels[key]) for key, instrument, answers in audiences),
            school_code,
            min_group_size=min_group_size,
            catalogue=catalogue,
            expected={f.key: f.eligible for f in study.forms} if study else None,
        ),
        summary=summary_of(risk, school_code=school_code, benchmark=benchmark, status=status),
    )
