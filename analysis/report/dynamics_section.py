"""The dynamics part of a school's reference: how each risk factor changed since the previous
wave, in a plain statement, with the indicators that moved beyond noise and their intervals.

Both waves are read on the same indicators (those of the forms both fielded), each school
estimate with the larger of the two waves' minimum group sizes, so a cell hidden in either
wave stays hidden here; the schools below that minimum are left out of both waves' district
quantities (:mod:`analysis.privacy`). Changes and their intervals come from
:mod:`analysis.dynamics`; a factor's change is the weighted change of its indicators'
risk-aligned z, both waves placed against one yardstick: the campaign's benchmark if it has
one, otherwise the earlier wave's schools. (Against each wave's own schools, a school whose
figures did not move would seem to change whenever the other schools did, and a real change
would shrink to the share of it that differs from the district's.) The statement about a
factor follows its indicators that changed beyond noise
(:func:`analysis.dynamics.factor_changes`), so it never rests on the composite, which
indicators with little spread between schools can push either way.

The school's own figures have no sampling error and so no interval: the administration's
answers (one form per school) and the facts from the school's records on a form of many
respondents (the specialists' counts, :func:`analysis.indicators.is_fact`, summed over however
many specialists answered). Their changes are listed apart, worded as what they are, and
never decide a statement; the part's explanation names which of the compared forms and
indicators these are (:func:`without_interval`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace

import pandas as pd

from analysis.benchmark import z_against
from analysis.dynamics import SINGLE_ANSWER, factor_changes, indicator_changes
from analysis.indicators import form_of, is_fact, reportable_indicators
from analysis.report.profile import _value_text
from analysis.report.russian import POINTS, ru_join, ru_number
from analysis.risk import Reference
from instruments.audiences import AUDIENCE_NAMES
from instruments.risk_factors import Indicator, RiskFactorCatalogue
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, text_in

NOT_ASSESSED = "не оценивается (мало ответов)"
NOT_PLACED = "уровень не оценивается (показателей нет в эталоне)"
#: the verdict of a change of the school's own figure (no interval)
NO_VERDICT = "значимость не оценивается"
#: what a figure without an interval is, after its change, by kind
#: (:func:`_figure_kind`); the table lists them «без интервала»
FIGURE_WORDS = {
    "fact": "сведения школы из её документов",
    "institutional": "одна анкета на школу",
    "single": "один ответ",
}
PERCENT_STATISTICS = ("prevalence", "share")


@dataclass(frozen=True)
class Wave:
    """One wave's answers as the analysis reads them: instrument code -> (instrument, answers
    of all its schools), one entry per form."""

    title: str
    min_group_size: int
    data: dict[str, tuple[Instrument, pd.DataFrame]]
    #: when the wave collected answers, e.g. "02.11.2026–31.01.2027" (None: not known)
    dates: str | None = None


@dataclass(frozen=True)
class IndicatorChangeRow:
    title: str
    audience: str
    before: str
    after: str
    #: the change with its 95% interval, e.g. "+12 п. п. [+5; +19]"
    change: str
    verdict: str


@dataclass(frozen=True)
class FactorChangeRow:
    code: str
    title: str
    #: change of the factor's composite, in SD of the reference (positive: more risk)
    composite_change: float | None
    statement: str
    #: indicators whose change is beyond noise
    changed: list[IndicatorChangeRow]
    #: indicators that could not be compared (a group below the minimum in either wave)
    not_assessed: int = 0
    #: the school's own figures (no interval: the administration's answers, the facts from
    #: its records) that changed; shown, never deciding the statement
    figures: list[IndicatorChangeRow] = field(default_factory=list)


@dataclass(frozen=True)
class DynamicsSection:
    previous_title: str
    min_group_size: int
    #: the forms compared, as their respondents are named ("обучающиеся", "родители"; with the
    #: form's title when an audience has several)
    audiences: list[str]
    factors: list[FactorChangeRow]
    notes: list[str] = field(default_factory=list)
    #: the previous wave's dates, e.g. "02.11.2026–31.01.2027"
    previous_dates: str | None = None
    #: which of the compared figures have no interval and why, in a sentence (None: all have
    #: one)
    without_interval: str | None = None


def _signed(value: float, digits: int) -> str:
    return ru_number(value, digits, sign=True)


def _change_text(
    row: pd.Series, statistic: str, kind: str | None = None, unit_of: str | None = None
) -> str:
    """The change with its interval, or for the school's own figure (``kind``, a key of
    :data:`FIGURE_WORDS`) with what it is instead; in the units its values are written in
    (``unit_of``: a percentage answered as a number changes in «п. п.», a count by whole
    numbers)."""
    scale, unit, digits = (100.0, POINTS, 1) if statistic in PERCENT_STATISTICS else (1.0, "", 2)
    if statistic == "pomp":
        digits = 1
    elif statistic not in PERCENT_STATISTICS and unit_of == "percent":
        unit, digits = POINTS, 0
    elif statistic not in PERCENT_STATISTICS and unit_of == "count":
        digits = 0
    change, low, high = (float(row[c]) * scale for c in ("change", "change_low", "change_high"))
    if kind is not None and statistic in PERCENT_STATISTICS and _yes_no(row):
        return ""  # «нет → да» says it: a share of one answer changes by no number worth printing
    if kind is not None or low == high:
        # The school's figure has no sampling error, so no interval: say what it is.
        return f"{_signed(change, digits)}{unit} ({FIGURE_WORDS[kind or 'single']})"
    return f"{_signed(change, digits)}{unit} [{_signed(low, digits)}; {_signed(high, digits)}]"


def _yes_no(row: pd.Series) -> bool:
    """A share of one answer in both waves: written «да»/«нет» (:func:`_value`)."""
    return all(pd.notna(row[c]) and int(row[c]) == 1 for c in ("n_before", "n_after"))


def _figure_kind(indicator: Indicator, instrument: Instrument | None) -> str:
    """What a figure without an interval is: facts from the school's records (whatever the
    number of respondents who gave them), an institutional form's answer, or one answer."""
    if instrument is not None and is_fact(indicator, instrument):
        return "fact"
    if indicator.audience in INSTITUTIONAL_AUDIENCES:
        return "institutional"
    return "single"


def without_interval(
    indicators: list[Indicator], data: dict[str, tuple[Instrument, pd.DataFrame]]
) -> str | None:
    """The explanation's sentence on the compared figures that have no interval, named from
    the forms and indicators compared: the institutional forms' answers and the facts from
    the school's records. None when every compared figure has one."""
    forms, facts = [], []
    for indicator in indicators:
        found = form_of(data, indicator)
        if found is None:
            continue
        instrument = found[0]
        title = f"«{text_in(instrument.title)}»"
        if is_fact(indicator, instrument):
            facts.append((title, f"«{text_in(indicator.title)}»"))
        elif indicator.audience in INSTITUTIONAL_AUDIENCES and title not in forms:
            forms.append(title)
    said = []
    if forms:
        which = "анкеты" if len(forms) == 1 else "анкет"
        said.append(f"ответы {which} {ru_join(forms)} (одна анкета на школу)")
    for title in dict.fromkeys(form for form, _ in facts):
        names = ru_join(list(dict.fromkeys(name for form, name in facts if form == title)))
        said.append(
            f"числа из документов школы в анкете {title} — {names} — по ответам всех "
            "ответивших, сколько бы их ни было"
        )
    if not said:
        return None
    return (
        f"Без интервала — сведения самой школы, а не выборка мнений: {'; '.join(said)}. "
        "Погрешности выборки у них нет, поэтому их изменение показано отдельно и вывода не "
        "определяет."
    )


def _verdict(row: pd.Series, pupils: bool) -> str:
    """The verdict of an indicator's change; of one that describes who the pupils are, its
    direction only («рост», «снижение»): more pupils with special needs is no «ухудшение»."""
    verdict = str(row["verdict"])
    if pupils and verdict in ("улучшение", "ухудшение"):
        return "рост" if float(row["change"]) > 0 else "снижение"
    return verdict


def _value(value: float, statistic: str, unit: str | None = None, n: object = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "скрыто"
    return _value_text(pd.Series({"value": value, "statistic": statistic, "n": n}), unit)


def _form_names(instruments: list[Instrument]) -> list[str]:
    """How the compared forms' respondents are named: the audience, with the form's title
    when the audience has several forms ("обучающиеся (Анкета для обучающихся 2–4 классов)")."""
    per_audience = Counter(instrument.audience.value for instrument in instruments)
    names = []
    for instrument in instruments:
        audience = instrument.audience.value
        name = AUDIENCE_NAMES.get(audience, audience)
        if per_audience[audience] > 1:
            name = f"{name} ({text_in(instrument.title)})"
        names.append(name)
    return names


def build_dynamics_section(
    school_code: str,
    previous: Wave,
    current: Wave,
    catalogue: RiskFactorCatalogue,
    *,
    reference: Reference | None = None,
) -> DynamicsSection:
    """How ``school_code`` changed from ``previous`` to ``current``, per risk factor.

    Parameters
    ----------
    previous, current
        Both waves' answers of all their schools (each wave's shrinkage and, without a
        benchmark, its z reference use all those at or above the larger minimum).
    reference
        The campaign's benchmark, if it has one: both waves are then placed against it.
    """
    # The forms both waves fielded: the same instrument in each (its code keys both).
    before_codes = {instrument.code for instrument, _ in previous.data.values()}
    forms = [k for k, (instrument, _) in current.data.items() if instrument.code in before_codes]
    min_group_size = max(previous.min_group_size, current.min_group_size)
    section = DynamicsSection(
        previous_title=previous.title,
        min_group_size=min_group_size,
        audiences=_form_names([current.data[k][0] for k in forms]),
        factors=[],
        previous_dates=previous.dates,
    )
    if not forms:
        section.notes.append(
            f"В волне «{previous.title}» не опрашивались те же группы респондентов: "
            "сравнивать не с чем."
        )
        return section
    after_data = {k: current.data[k] for k in forms}
    compared = {current.data[k][0].code for k in forms}
    before_data = {k: v for k, v in previous.data.items() if v[0].code in compared}
    by_factor = catalogue.indicators_by_factor(
        [instrument for instrument, _ in after_data.values()]
    )
    indicators: list[Indicator] = [i for items in by_factor.values() for i in items]
    section = replace(section, without_interval=without_interval(indicators, after_data))
    statistic = {i.code: i.statistic for i in indicators}
    units = {i.code: i.unit for i in indicators}
    audience_of = {i.code: AUDIENCE_NAMES.get(i.audience.value, "") for i in indicators}
    titles = {i.code: text_in(i.title) for i in indicators}
    pupils = {i.code for i in indicators if i.describes == "pupils"}
    kinds = {
        i.code: _figure_kind(i, found[0] if (found := form_of(after_data, i)) else None)
        for i in indicators
    }
    # The privacy gate, in each wave with the larger minimum: a school hidden in either wave
    # is in neither wave's shrinkage nor in the yardstick, and shows only its n.
    before = reportable_indicators(
        before_data, indicators, min_group_size=min_group_size, school_code=school_code
    )
    after = reportable_indicators(
        after_data, indicators, min_group_size=min_group_size, school_code=school_code
    )
    changes = indicator_changes(before, after)
    mine = changes[changes["school_code"] == school_code].set_index("indicator")
    if mine.empty:
        section.notes.append(
            f"В волне «{previous.title}» нет ответов этой школы по тем же показателям: "
            "сравнивать не с чем."
        )
        return section
    factor_codes = {f: [i.code for i in items] for f, items in by_factor.items()}
    # One yardstick for both waves, so a factor's change is the school's own: the benchmark,
    # or else the earlier wave's schools. An indicator on which those schools did not differ
    # at all has no SD to measure a change in; it still counts for the statement.
    base = (reference if reference is not None else Reference.from_indicators(before)).stats
    yardstick = Reference(base[base["sd"] > 0])
    summary = factor_changes(
        z_against(before, yardstick), z_against(after, yardstick), changes, factor_codes
    )
    summary = summary[summary["school_code"] == school_code].set_index("factor")
    for factor in catalogue.factors:
        codes = [c for c in factor_codes.get(factor.code, []) if c in mine.index]
        if not codes:
            continue
        rows = mine.loc[codes]

        def line(code: str, row: pd.Series, kind: str | None, verdict: str) -> IndicatorChangeRow:
            return IndicatorChangeRow(
                title=titles[code],
                audience=audience_of[code],
                before=_value(row["value_before"], statistic[code], units[code], row["n_before"]),
                after=_value(row["value_after"], statistic[code], units[code], row["n_after"]),
                change=_change_text(row, statistic[code], kind, units[code]),
                verdict=verdict,
            )

        changed = [
            line(code, row, None, _verdict(row, code in pupils))
            for code, row in rows.iterrows()
            if bool(row["beyond_noise"])
        ]
        figures = [
            line(code, row, kinds[code], NO_VERDICT)
            for code, row in rows.iterrows()
            if row["verdict"] == SINGLE_ANSWER
            and pd.notna(row["change"])
            and float(row["change"]) != 0.0
        ]
        not_assessed = int((rows["verdict"] == NOT_ASSESSED).sum())
        if factor.code in summary.index:
            entry = summary.loc[factor.code]
            composite: float | None = float(entry["composite_change"])
            statement = str(entry["statement"])
        else:
            # No indicator with z in both waves: too few answers, or none the benchmark holds.
            composite = None
            statement = NOT_ASSESSED if not_assessed == len(codes) else NOT_PLACED
        section.factors.append(
            FactorChangeRow(
                code=factor.code,
                title=text_in(factor.title),
                composite_change=composite,
                statement=statement,
                changed=changed,
                not_assessed=not_assessed,
                figures=figures,
            )
        )
    return section
