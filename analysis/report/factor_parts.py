"""One part per risk factor at «повышенный» or above in a school's reference, in plain words:
what was found, the factor's indicators with the school's value, its interval and the
district's reference (the mean of the district's schools, or the benchmark's), the items of
a scale where they say where to act (:mod:`analysis.report.factor_detail`) and the split by
level of education; every other factor in one line, and the factors that measure the results
themselves described as results, not as risks.

Statistical terms (SD, z) stay in the appendix: a position is «заметно выше среднего по
району» (half an SD to one and a half, the bands of :mod:`analysis.risk`) or «значительно»
(beyond one and a half), and a level is the distance in those words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from analysis.indicators import AudienceAnswers, form_keys
from analysis.privacy import reportable_audiences
from analysis.report.factor_detail import ItemDetail, LevelTable, item_detail, level_table
from analysis.report.factor_indicators import (
    IndicatorLine,
    band_step,
    format_value,
    indicator_lines,
    on_risk_side,
    reference_means,
)
from analysis.report.russian import ru_count, ru_join, ru_plural
from analysis.risk import Reference
from instruments.audiences import AUDIENCE_NAMES
from instruments.risk_factors import Indicator
from instruments.schema import INSTITUTIONAL_AUDIENCES, text_in

if TYPE_CHECKING:
    from analysis.report.profile import FactorRow

#: the levels that get a part of their own
AT_RISK = ("high", "elevated")
#: at most this many scales of a factor are shown item by item
MAX_DETAILS = 3


@dataclass(frozen=True)
class FactorPart:
    code: str
    title: str
    level: str
    level_label: str
    #: what was found, paragraph by paragraph
    findings: list[str]
    indicators: list[IndicatorLine]
    details: list[ItemDetail] = field(default_factory=list)
    levels: LevelTable | None = None


@dataclass(frozen=True)
class FactorLine:
    """A factor at the district's level or better, in one line."""

    title: str
    level: str
    level_label: str
    #: after the level: «риск на уровне среднего по району.»
    text: str

    def __str__(self) -> str:
        return f"«{self.title}» — {self.level_label}: {self.text}"


@dataclass(frozen=True)
class FactorParts:
    #: the factors at «повышенный» or above, the highest level and the largest distance first
    parts: list[FactorPart]
    #: the other assessed factors, one line each
    lines: list[FactorLine]
    #: the factors that measure low results themselves, described as results
    results: list[str]
    #: factors no form of the campaign measures, or the reference cannot place
    unmeasured: list[str]
    #: the heading of the district's reference column («В среднем по району», «Эталон «…»»)
    reference_label: str = "В среднем по району"
    #: how many factors are at risk and how the others stand, in a sentence or two
    overview: str = ""
    #: after the lists, once per group of respondents under the minimum: its number of
    #: answers and every factor it holds back (assessed without its indicators, or not at all)
    short_notes: list[str] = field(default_factory=list)


def _against(reference_name: str | None) -> str:
    """The reference after «среднего» / «при среднем»: «по району», «по эталону «…»»."""
    return "по району" if reference_name is None else f"по эталону «{reference_name}»"


def _findings(
    factor: FactorRow,
    lines: list[IndicatorLine],
    drivers: list[str],
    *,
    credible: bool,
    reference_name: str | None,
) -> list[str]:
    """What was found, in plain words: the level and what it rests on."""
    against = _against(reference_name)
    by_code = {line.code: line for line in lines}
    beyond = [by_code[c] for c in drivers if c in by_code and by_code[c].beyond_cutoff]
    beyond += [line for line in lines if line.beyond_cutoff and line not in beyond]
    worse = [
        by_code[c]
        for c in drivers
        if c in by_code and on_risk_side(by_code[c].risk) and not by_code[c].beyond_cutoff
    ]
    paragraphs = []
    norm = "; ".join(f"«{line.title}» — {line.value}, {line.cutoff_text}" for line in beyond)
    if factor.raised_by_cutoff and beyond:
        # by the risk, never «лучше»: the factor may describe who the pupils are
        step = band_step(factor.composite)
        compared = "ниже среднего" if step is not None and step < 0 else "на уровне среднего"
        paragraphs.append(
            f"Уровень риска — {factor.level_label}, по порогу методики: {norm}. По сравнению "
            f"с другими школами риск в школе {compared} {against}: порог методики не зависит "
            "от того, как обстоят дела в других школах, и это может быть общей проблемой района."
        )
    else:
        degree = "значительно" if factor.level == "high" else "заметно"
        paragraphs.append(
            f"Уровень риска — {factor.level_label}: по совокупности показателей риск {degree} "
            f"выше среднего {against}."
        )
        if beyond:
            paragraphs.append(f"По порогу, установленному методикой: {norm}.")
    if worse:
        listed = "; ".join(f"«{line.title}» — {line.compared(against)}" for line in worse[:3])
        paragraphs.append(f"Больше всего на оценку повлияли: {listed}.")
    rest = [
        line
        for line in lines
        if not line.hidden and line.risk is not None and not on_risk_side(line.risk)
    ]
    if rest and (worse or beyond):
        # of a factor describing who the pupils are, by the risk: never «лучше»
        where = (
            f"риск не выше среднего {against}"
            if factor.pupils_weight > 0
            else f"школа на уровне среднего {against} или лучше"
        )
        paragraphs.append(
            f"По остальным показателям фактора ({len(rest)} из {len(lines)}) {where}."
        )
    if not credible and not factor.raised_by_cutoff:
        paragraphs.append(
            "С учётом погрешности (ответов в школе немного или они сильно расходятся) нельзя "
            "уверенно сказать, что школа в зоне риска по этому фактору, поэтому он не назван "
            "вероятной причиной; его стоит проверить в следующую волну."
        )
    # A group under the minimum is named once for the whole profile (FactorParts.short_notes);
    # the part's table marks its hidden indicators.
    return paragraphs


def build_factor_parts(
    school_code: str,
    data: AudienceAnswers,
    by_factor: Mapping[str, Sequence[Indicator]],
    table: pd.DataFrame,
    factors: Sequence[FactorRow],
    profile: pd.DataFrame,
    *,
    min_group_size: int,
    cutoff_texts: Mapping[str, str | None] | None = None,
    reference: Reference | None = None,
    reference_name: str | None = None,
) -> FactorParts:
    """The factor parts of ``school_code``'s reference.

    ``table`` is the indicator table the profile is built on (:func:`analysis.risk.indicator_z`
    of the gated indicators), ``factors`` the profile's rows, ``profile`` the school's rows of
    :func:`analysis.risk.factor_profiles` indexed by factor (drivers, credibility);
    ``cutoff_texts`` per indicator its position against the instrument's cut-offs in words;
    ``reference``/``reference_name`` the frozen benchmark, when the school is read against
    one."""
    pooled, _ = reportable_audiences(data, min_group_size=min_group_size)
    keys = form_keys(data)
    references = reference_means(table, reference)
    rows = table[table["school_code"] == school_code].set_index("indicator").to_dict("index")
    against = _against(reference_name)
    parts: list[FactorPart] = []
    lines: list[FactorLine] = []
    results: list[str] = []
    unmeasured: list[str] = []
    for factor in factors:
        indicators = list(by_factor.get(factor.code, []))
        titles = {i.code: text_in(i.title) for i in indicators}
        shown = indicator_lines(
            indicators,
            rows,
            references,
            titles,
            cutoff_texts or {},
            min_group_size=min_group_size,
        )
        if factor.outcome:
            if factor.level is not None:
                results.append(_result_line(factor, shown, against))
            continue
        if factor.level is None:
            if factor.short_note is None:
                reason = (
                    "анкеты с его показателями в кампании не использовались"
                    if not indicators
                    else "показатели школы не с чем сравнить"
                )
                unmeasured.append(f"«{factor.title}» — не оценён: {reason}.")
            continue
        if factor.level not in AT_RISK:
            lines.append(_line(factor, against))
            continue
        entry = profile.loc[factor.code] if factor.code in profile.index else None
        drivers = list(entry["drivers"]) if entry is not None else []
        credible = bool(entry["credible"]) if entry is not None else False
        details: list[ItemDetail] = []
        seen: set[tuple[str, str]] = set()
        # The scales of the indicators beyond a cut-off first, then the furthest on the risk
        # side; two indicators of one scale (its mean and its prevalence) get one table.
        for line in sorted(
            (x for x in shown if on_risk_side(x.risk) or x.beyond_cutoff),
            key=lambda x: (not x.beyond_cutoff, -(x.risk or 0.0)),
        ):
            indicator = next(i for i in indicators if i.code == line.code)
            if indicator.scale is None or indicator.instrument not in keys:
                continue
            instrument, answers = pooled[keys[indicator.instrument]]
            scale = next(s for s in instrument.scales if s.code == indicator.scale)
            if len(scale.items) < 2 or (instrument.code, scale.code) in seen:
                continue
            seen.add((instrument.code, scale.code))
            detail = item_detail(
                line.title, instrument, scale, answers, school_code, min_group_size=min_group_size
            )
            if detail is not None:
                details.append(detail)
            if len(details) == MAX_DETAILS:
                break
        split = level_table(
            [
                (i, titles[i.code], *pooled[keys[i.instrument]])
                for i in indicators
                if i.instrument in keys
                and i.audience not in INSTITUTIONAL_AUDIENCES
                and any(line.code == i.code and not line.hidden for line in shown)
            ],
            school_code,
            min_group_size=min_group_size,
            formatter=format_value,
        )
        parts.append(
            FactorPart(
                code=factor.code,
                title=factor.title,
                level=factor.level,
                level_label=factor.level_label,
                findings=_findings(
                    factor, shown, drivers, credible=credible, reference_name=reference_name
                ),
                indicators=shown,
                details=details,
                levels=split,
            )
        )
    parts.sort(key=lambda p: (p.level != "high", -_composite(factors, p.code)))
    label = "В среднем по району" if reference_name is None else f"Эталон «{reference_name}»"
    return FactorParts(
        parts,
        lines,
        results,
        unmeasured,
        label,
        _overview(len(parts), len(lines), against),
        short_notes(factors, min_group_size),
    )


def _overview(parts: int, others: int, against: str) -> str:
    """«Повышенный или высокий уровень риска — по 2 факторам …»."""
    level = "на уровне среднего " + against + " или лучше"
    if not parts:
        if not others:
            return ""
        return (
            "Ни по одному фактору уровень риска не повышенный и не высокий: по всем оценённым "
            f"факторам показатели школы {level}."
        )
    text = (
        f"Повышенный или высокий уровень риска — по {parts} "
        f"{ru_plural(parts, 'фактору', 'факторам', 'факторам')}: "
        f"{'он описан' if parts == 1 else 'каждый описан'} ниже, с показателями и тем, что за "
        "ними стоит."
    )
    if others:
        text += (
            f" По остальным факторам ({others}) показатели школы {level}; они перечислены в "
            "конце раздела."
        )
    return text


def _composite(factors: Sequence[FactorRow], code: str) -> float:
    return next((f.composite or 0.0 for f in factors if f.code == code), 0.0)


def _line(factor: FactorRow, against: str) -> FactorLine:
    """One line for a factor at the district's level or better."""
    where = "риск на уровне среднего" if factor.level == "moderate" else "риск ниже среднего"
    return FactorLine(factor.title, str(factor.level), factor.level_label, f"{where} {against}.")


def short_notes(factors: Sequence[FactorRow], min_group_size: int) -> list[str]:
    """One sentence per group of respondents under the minimum at the school that holds back
    a factor assessed on other groups: «Мало ответов: группа «специалисты» — 3 ответа при
    минимуме 5; её ответы не показываются, поэтому факторы «…» оценены без её показателей, а
    фактор «…» не оценён.» A group of one to three (the specialists) usually holds back several
    factors alike: said once, not per factor. A group that holds back only factors with no
    other group is named in the list of factors not assessed, with each of them."""
    groups: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    for factor in factors:
        if factor.outcome:
            continue
        for group in factor.short_groups:
            partial, missing = groups.setdefault(group, ([], []))
            (missing if factor.composite is None else partial).append(f"«{factor.title}»")
    notes = []
    for (audience, n), (partial, missing) in groups.items():
        said = []
        if partial:
            one = len(partial) == 1
            said.append(
                f"{'фактор' if one else 'факторы'} {ru_join(partial)} "
                f"{'оценён' if one else 'оценены'} без её показателей"
            )
        if missing:
            one = len(missing) == 1
            said.append(
                f"{'фактор' if one else 'факторы'} {ru_join(missing)} "
                f"{'не оценён' if one else 'не оценены'}"
            )
        if not partial:
            continue
        answers = ru_count(n, "ответ", "ответа", "ответов")
        notes.append(
            f"Мало ответов: группа «{AUDIENCE_NAMES.get(audience, audience)}» — {answers} при "
            f"минимуме {min_group_size}; её ответы не показываются, поэтому "
            f"{', а '.join(said)}."
        )
    return notes


def _result_line(factor: FactorRow, lines: list[IndicatorLine], against: str) -> str:
    """A factor that measures the results themselves, as a description of them."""
    shown = [line for line in lines if not line.hidden]
    figures = "; ".join(f"{_lower_first(line.title)} — {line.compared(against)}" for line in shown)
    text = (
        f"«{factor.title}» описывает сами результаты, а не их причину (уровень — "
        f"{factor.level_label})"
    )
    return f"{text}: {figures}." if figures else f"{text}."


def _lower_first(title: str) -> str:
    """A title inside a sentence: «доля учеников …», but «ВПР …» as it is."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]
