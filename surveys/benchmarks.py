"""Frozen benchmarks (the reference a coordinator may choose for a campaign's z-scores) and the
link from a campaign to the earlier wave it is compared with.

A benchmark freezes, at one moment, the mean and SD of every risk indicator over a campaign's
schools (computed exactly as the reference of z-scores is: shrunken school estimates, groups
below the campaign's minimum left out). It is stored as data, so answers or imports that reach
the source campaign later do not move it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.benchmark import Benchmark, reference_from_stats, reference_stats
from analysis.indicators import reportable_indicators
from analysis.report.profile import fielded_indicators
from analysis.risk import Reference
from instruments.risk_factors import builtin_risk_factors
from instruments.schema import Instrument
from surveys import audit
from surveys import models as m
from surveys.campaign_forms import FieldedForm, campaign_forms
from surveys.campaigns import get_campaign
from surveys.dataset import load_forms
from surveys.errors import InvalidInput, NotFound

#: a reference of fewer schools would make every SD, and so every z, meaningless
MIN_BENCHMARK_SCHOOLS = 3
TITLE_MAX = 300

#: instrument code -> (instrument, answers of all the campaign's schools to that form)
Answers = dict[str, tuple[Instrument, pd.DataFrame]]


def campaign_answers(
    session: Session,
    campaign_id: int,
    forms: Iterable[str] | None = None,
    *,
    listed: Sequence[FieldedForm] | None = None,
) -> Answers:
    """One entry per form the campaign fields (only the instrument codes in ``forms``, when
    given), keyed by the instrument's code: (instrument, answers of all the campaign's
    schools), in the order of :func:`surveys.campaign_forms.campaign_forms`; the shape
    :mod:`analysis` reads. An entry's audience is ``instrument.audience``. ``listed``: the
    campaign's forms as the caller has just listed them (not listed again)."""
    wanted = None if forms is None else set(forms)
    campaign = get_campaign(session, campaign_id)
    if listed is None:
        listed = campaign_forms(session, campaign_id)
    fielded = [form for form in listed if wanted is None or form.instrument_code in wanted]
    return {
        data.form.instrument_code: (data.instrument, data.answers)
        for data in load_forms(session, campaign, fielded)
    }


def freeze_benchmark(
    session: Session, campaign_id: int, title: str, user_id: int | None = None
) -> m.Benchmark:
    """Freeze the reference of ``campaign_id``'s schools as a benchmark of its district.

    Raises
    ------
    InvalidInput
        No title, or fewer than :data:`MIN_BENCHMARK_SCHOOLS` schools with enough answers.
    NotFound
        No such campaign.
    """
    title = title.strip()
    if not title:
        raise InvalidInput("Укажите название эталона.")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Название эталона длиннее {TITLE_MAX} символов.")
    campaign = get_campaign(session, campaign_id)
    data = campaign_answers(session, campaign.id)
    catalogue = builtin_risk_factors()
    by_factor = catalogue.indicators_by_factor(instrument for instrument, _ in data.values())
    indicators = [i for items in by_factor.values() for i in items]
    if not any(fielded_indicators(catalogue, (i for i, _ in data.values())).values()):
        raise InvalidInput(
            f"В кампании «{campaign.title}» нет анкет с показателями факторов риска (только "
            "авторские методики без индикаторов): эталон, то есть средние этих показателей, "
            "строить не из чего."
        )
    # Only schools at or above the minimum: the stored mean and SD must not let anyone
    # recover a hidden school from the other schools' published figures.
    table = reportable_indicators(data, indicators, min_group_size=campaign.min_group_size)
    usable = table[~table["suppressed"].astype(bool)] if len(table) else table
    schools = int(usable["school_code"].nunique()) if len(usable) else 0
    if schools < MIN_BENCHMARK_SCHOOLS:
        raise InvalidInput(
            f"Эталон строится не меньше чем по {MIN_BENCHMARK_SCHOOLS} школам, в которых "
            f"ответов достаточно для показа (не меньше {campaign.min_group_size}); "
            f"в кампании «{campaign.title}» таких школ: {schools}."
        )
    versions = {f.instrument_code: f.version_id for f in campaign_forms(session, campaign.id)}
    stats = {
        "indicators": reference_stats(Reference.from_indicators(table)),
        # Keyed by instrument code (benchmarks frozen before several forms per audience were
        # possible key it by audience; nothing reads it but people auditing a benchmark).
        "instrument_versions": {code: versions[code] for code in data},
        "schools": schools,
        "min_group_size": campaign.min_group_size,
    }
    benchmark = m.Benchmark(
        district_id=campaign.district_id,
        title=title,
        source_campaign_id=campaign.id,
        created_by=user_id,
        stats=stats,
    )
    session.add(benchmark)
    session.flush()
    audit.record(
        session,
        "benchmark_frozen",
        user_id=user_id,
        target=title,
        details={"benchmark": benchmark.id, "campaign": campaign.id, "schools": schools},
    )
    return benchmark


def list_benchmarks(session: Session, district_id: int) -> list[m.Benchmark]:
    """A district's benchmarks, newest first."""
    return list(
        session.scalars(
            select(m.Benchmark)
            .where(m.Benchmark.district_id == district_id)
            .order_by(m.Benchmark.created_at.desc(), m.Benchmark.id.desc())
        )
    )


def get_benchmark(session: Session, benchmark_id: int) -> m.Benchmark:
    benchmark = session.get(m.Benchmark, benchmark_id)
    if benchmark is None:
        raise NotFound(f"Эталон {benchmark_id} не найден.")
    return benchmark


def set_reference(
    session: Session,
    campaign: m.Campaign,
    benchmark_id: int | None,
    *,
    user_id: int | None = None,
) -> None:
    """Compare the campaign's schools with a benchmark of its district, or (``None``) with
    one another."""
    if benchmark_id is not None:
        benchmark = get_benchmark(session, benchmark_id)
        if benchmark.district_id != campaign.district_id:
            raise InvalidInput("Эталон другого района нельзя выбрать для этой кампании.")
    campaign.benchmark_id = benchmark_id
    audit.record(
        session,
        "campaign_reference_set",
        user_id=user_id,
        target=campaign.title,
        details={"campaign": campaign.id, "benchmark": benchmark_id},
    )
    session.flush()


def earlier_waves(session: Session, campaign: m.Campaign) -> list[m.Campaign]:
    """The campaigns of the same district that open before ``campaign``, latest first: the
    waves it may be compared with."""
    return list(
        session.scalars(
            select(m.Campaign)
            .where(
                m.Campaign.district_id == campaign.district_id,
                m.Campaign.opens_on < campaign.opens_on,
                m.Campaign.id != campaign.id,
            )
            .order_by(m.Campaign.opens_on.desc(), m.Campaign.id.desc())
        )
    )


def set_previous_wave(
    session: Session,
    campaign: m.Campaign,
    previous_id: int | None,
    *,
    user_id: int | None = None,
) -> None:
    """Compare the campaign with an earlier wave of its district, or (``None``) with none."""
    if previous_id is not None:
        if previous_id == campaign.id:
            raise InvalidInput("Кампания не может быть предыдущей волной самой себя.")
        previous = get_campaign(session, previous_id)
        if previous.district_id != campaign.district_id:
            raise InvalidInput("Предыдущей волной может быть только кампания того же района.")
        if previous.opens_on >= campaign.opens_on:
            raise InvalidInput(
                f"Предыдущая волна должна начинаться раньше этой кампании: «{previous.title}» "
                f"начинается {previous.opens_on:%d.%m.%Y}, эта — {campaign.opens_on:%d.%m.%Y}."
            )
    campaign.previous_campaign_id = previous_id
    audit.record(
        session,
        "campaign_previous_set",
        user_id=user_id,
        target=campaign.title,
        details={"campaign": campaign.id, "previous": previous_id},
    )
    session.flush()


def benchmark_reference(session: Session, benchmark_id: int) -> Reference:
    """The stored benchmark as the reference of z-scores. Indicators it does not hold (or
    holds for fewer than two schools) are absent, and :func:`analysis.benchmark.z_against`
    leaves them without a position (NaN z, no band)."""
    stats = get_benchmark(session, benchmark_id).stats
    return reference_from_stats(stats.get("indicators", {}))


def campaign_benchmark(session: Session, campaign: m.Campaign) -> Benchmark | None:
    """The campaign's chosen benchmark as a report names it, or ``None`` (its own schools)."""
    if campaign.benchmark_id is None:
        return None
    row = get_benchmark(session, campaign.benchmark_id)
    return Benchmark(
        title=row.title,
        frozen_on=row.created_at.date(),
        reference=reference_from_stats(row.stats.get("indicators", {})),
        schools=int(row.stats.get("schools", 0)),
    )
