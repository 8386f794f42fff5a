"""The draft roadmap (дорожная карта) of a school's reference: the organisational rows every
roadmap has, the measures of the factors at «повышенный» or above (probable causes first),
dated from the reference's date through the school year, and assigned to the specialists the
school has, or to the municipal service where it has none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

import pandas as pd

from analysis.report.profile import RiskSection
from analysis.report.russian import ru_date, ru_join, ru_plural
from analysis.report.study import SPECIALISTS, Specialists
from instruments.risk_factors import Measure, RiskFactorCatalogue, Schedule
from instruments.schema import Audience, Instrument, text_in

#: the most rows a draft roadmap has: more would not be carried out in a school year
MAX_ROWS = 12
#: the most measures one factor brings, so that each factor at risk gets its share
PER_FACTOR = 4
#: the levels a factor's measures enter the roadmap at
AT_RISK = ("high", "elevated")
#: school months a measure runs before the next wave measures its effect (the wave falls in
#: the last of them)
MONTHS_TO_REDIAGNOSIS = 4

MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
#: the months of the summer holidays: no measure starts and no wave is held in them
SUMMER = (6, 7, 8)
#: the months in which a school term or half-year ends (the I–IV terms; the half-years)
TERM_ENDS = (10, 12, 3, 5)
HALF_YEAR_ENDS = (12, 5)

#: the municipal service that takes a specialist's measures where the school has none
SERVICE = "муниципальная психолого-педагогическая служба (ППМС-центр)"
SERVICE_GENITIVE = "ППМС-центра"
SERVICE_DATIVE = "муниципальной психолого-педагогической службе (ППМС-центру)"
#: the specialists as the catalogue's ``responsible`` names them, and in the genitive
SPECIALIST_NAMES: dict[str, tuple[str, str]] = {
    "psychologist": ("педагог-психолог", "педагога-психолога"),
    "speech_therapist": ("учитель-логопед", "учителя-логопеда"),
    "social_pedagogue": ("социальный педагог", "социального педагога"),
}
#: the built-in administration form's questions on the specialists and what its options mean
#: (instruments/library/administration.yaml: 1 on the staff, 2 part-time or by contract, 3 no)
ADMINISTRATION_ITEMS = {
    "psychologist": "has_psychologist",
    "speech_therapist": "has_speech_therapist",
    "social_pedagogue": "has_social_pedagogue",
}
ADMINISTRATION_VALUES = {1: "staff", 2: "contract", 3: "none"}
#: who coordinates a measure at school when all its people come from outside
COORDINATOR = "заместитель директора по ВР (координация)"
NO_PARTNER = "—"


# -- months and dates ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def name(self) -> str:
        """«январь 2027»."""
        return f"{MONTHS[self.month - 1]} {self.year}"

    @property
    def school_year_end(self) -> Month:
        """May of the school year this month belongs to (the summer's: the coming one)."""
        return Month(self.year + 1 if self.month >= 6 else self.year, 5)


def school_months(first: Month, last: Month) -> Iterator[Month]:
    """The months from ``first`` to ``last`` outside the summer holidays."""
    month = first
    while month <= last:
        if month.month not in SUMMER:
            yield month
        month = month.plus(1)


def next_school_month(month: Month) -> Month:
    """``month`` itself, or September when it falls in the summer holidays."""
    while month.month in SUMMER:
        month = month.plus(1)
    return month


def month_span(first: Month, last: Month) -> str:
    """«январь – май 2027», «декабрь 2026 – январь 2027», «январь 2027» (one month)."""
    if first == last:
        return first.name
    if first.year == last.year:
        return f"{MONTHS[first.month - 1]} – {last.name}"
    return f"{first.name} – {last.name}"


def month_list(months: Sequence[Month]) -> str:
    """«февраль и апрель 2027», «октябрь и декабрь 2026, март и май 2027»."""
    years: dict[int, list[str]] = {}
    for month in months:
        years.setdefault(month.year, []).append(MONTHS[month.month - 1])
    return ", ".join(f"{ru_join(names)} {year}" for year, names in years.items())


def deadline(day: dt.date) -> str:
    """«до 25 декабря 2026»."""
    return f"до {day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year}"


def working_day(day: dt.date) -> dt.date:
    """``day``, or the first working day after it: not a weekend, not the New Year holidays
    (31 December – 8 January)."""
    while True:
        if day.month == 12 and day.day == 31:
            day = dt.date(day.year + 1, 1, 9)
        elif day.month == 1 and day.day <= 8:
            day = dt.date(day.year, 1, 9)
        elif day.weekday() >= 5:
            day += dt.timedelta(days=7 - day.weekday())
        else:
            return day


def _before_weekend(day: dt.date) -> dt.date:
    """``day``, or the Friday before it when it is a weekend."""
    return day - dt.timedelta(days=max(day.weekday() - 4, 0))


@dataclass(frozen=True)
class Calendar:
    """The roadmap's dates, all after the reference's date ``today``."""

    today: dt.date
    #: the director's order creating the working group
    order_by: dt.date
    #: the pedagogical council considers the reference and the draft
    council_by: dt.date
    #: the measures run from ``start`` to ``end`` (a May: the end of a school year)
    start: Month
    end: Month
    #: the next wave: the diagnosis repeated
    rediagnosis: Month
    #: the report to the education department
    report_by: dt.date

    @property
    def period(self) -> str:
        return month_span(self.start, self.end)

    @property
    def running(self) -> Month:
        """When measures that run through the plan begin: ``start``, or September when
        ``start`` is the last month before the summer (a first step fits in May, a year's
        work does not)."""
        return next_school_month(self.start.plus(1)) if self.start.month == 5 else self.start


def plan_calendar(today: dt.date) -> Calendar:
    """The roadmap's dates from the reference's date: the order within a week, the
    pedagogical council within about three weeks (the August council when that falls in the
    summer holidays), the measures from the next month (September after the summer) to the
    end of the school year, the next wave in the fourth school month of the measures (so that
    they have three months to act), and the report to the education department by the 15th
    of the month after it. No date is before ``today``; every one carries its year."""
    order_by = working_day(today + dt.timedelta(days=7))
    council_by = working_day(today + dt.timedelta(days=18))
    if (council_by.month, council_by.day) >= (6, 10) and council_by.month <= 8:
        council_by = _before_weekend(dt.date(council_by.year, 8, 28))
    if council_by < order_by + dt.timedelta(days=7):
        council_by = working_day(order_by + dt.timedelta(days=7))
    start = next_school_month(Month.of(council_by).plus(1))
    rediagnosis = list(islice(school_months(start, start.plus(24)), MONTHS_TO_REDIAGNOSIS))[-1]
    end = max(start.school_year_end, rediagnosis.school_year_end)
    after = rediagnosis.plus(1)
    report_by = working_day(dt.date(after.year, after.month, 15))
    return Calendar(today, order_by, council_by, start, end, rediagnosis, report_by)


def schedule_text(schedule: Schedule | None, calendar: Calendar) -> str:
    """When a measure takes place in this plan, in words with the months and years."""
    start, end = calendar.start, calendar.end
    kind = schedule.kind if schedule is not None else "ongoing"
    if kind == "once" and schedule is not None:
        months = list(school_months(start, end))[: schedule.months]
        # two months either side of the summer are two months, not a span over it
        text = month_span(start, months[-1]) if months[-1] < start.plus(3) else month_list(months)
    elif kind == "launch" and schedule is not None:
        rest = next_school_month(start.plus(1))
        text = f"{schedule.first} — {start.name}, {schedule.then} — {month_span(rest, end)}"
    elif kind == "course":
        applied = working_day(dt.date(start.year, start.month, 25))
        rest = next_school_month(start.plus(1))
        text = f"заявка — {deadline(applied)}, обучение — {month_span(rest, end)}"
    elif kind == "twice":
        months = list(school_months(calendar.running, end))
        picked = sorted({months[len(months) // 4], months[(3 * len(months)) // 4]})
        text = month_list(picked)
    elif kind in ("quarterly", "half_yearly"):
        ends = TERM_ENDS if kind == "quarterly" else HALF_YEAR_ENDS
        picked = [m for m in school_months(start, end) if m.month in ends]
        # at the end of each term: a recognition, a lecture at the parents' meeting, a check
        what = "каждой четверти" if kind == "quarterly" else "каждого полугодия"
        text = f"в конце {what}: {month_list(picked)}"
    else:
        text = month_span(calendar.running, end)
    if schedule is not None and schedule.note:
        text += f", {schedule.note}"
    return text


# -- who does it -----------------------------------------------------------------------------


def staff_of(
    school_code: str,
    data: Mapping[str, tuple[Instrument, pd.DataFrame]],
    card: Specialists | None,
) -> tuple[Specialists, str]:
    """The school's support specialists: the administration's answer in this wave where it
    gave one (it tells a part-time specialist apart and is the school's own, current word),
    else the school's card (``card``, :attr:`analysis.report.study.StudyFacts.specialists`);
    None for a specialist neither tells of. With where they come from, in words («по анкете
    администрации школы»)."""
    found: dict[str, str | None] = {
        role: getattr(card, role) if card is not None else None for role in SPECIALISTS
    }
    answered: set[str] = set()
    for instrument, answers in data.values():
        if instrument.audience is not Audience.administration or "school_code" not in answers:
            continue
        own = answers[answers["school_code"] == school_code]
        for role, item in ADMINISTRATION_ITEMS.items():
            if item not in own.columns:
                continue
            values = pd.to_numeric(own[item], errors="coerce").dropna()
            if len(values) and int(values.iloc[-1]) in ADMINISTRATION_VALUES:
                found[role] = ADMINISTRATION_VALUES[int(values.iloc[-1])]
                answered.add(role)
    if not answered:
        source = "по карточке школы"
    elif len(answered) == len(SPECIALISTS) or card is None:
        source = "по анкете администрации школы"
    else:
        source = "по анкете администрации школы и карточке школы"
    return Specialists(**found), source


def _missing(staff: Specialists) -> list[str]:
    return [role for role in SPECIALISTS if getattr(staff, role) == "none"]


def assign(responsible: str, partner: str | None, staff: Specialists) -> tuple[str, str]:
    """A measure's responsible people and partner for this school: a specialist it lacks is
    replaced by the municipal service (and the partner column says why), one it has part-time
    or by contract is marked so; when nobody from the school is left, the deputy director
    coordinates."""
    people: list[str] = []
    lacking: list[str] = []
    for person in (p.strip() for p in responsible.split(",")):
        role = next((r for r, (name, _) in SPECIALIST_NAMES.items() if person == name), None)
        presence = getattr(staff, role) if role is not None else None
        if role is not None and presence == "none":
            lacking.append(role)
            person = SERVICE
        elif role is not None and presence == "contract":
            person = f"{person} (по совместительству или договору)"
        if person not in people:
            people.append(person)
    if people == [SERVICE]:
        people.insert(0, COORDINATOR)
    notes = [partner] if partner else []
    if lacking:
        names = ru_join([SPECIALIST_NAMES[role][1] for role in lacking])
        who = "специалист" if len(lacking) == 1 else "специалисты"
        notes.append(f"{who} {SERVICE_GENITIVE} по договору (в школе нет {names})")
    return ", ".join(people), "; ".join(notes) or NO_PARTNER


def staff_text(staff: Specialists, source: str, *, delegated: bool = True) -> str | None:
    """Which specialists the school has, as the roadmap's note says it (None: unknown);
    ``delegated``: some row gives a missing specialist's measure to the municipal service."""
    known = [(role, getattr(staff, role)) for role in SPECIALISTS if getattr(staff, role)]
    if not known:
        return None
    words = {"staff": "есть", "contract": "по совместительству или договору", "none": "нет"}
    parts = [f"{SPECIALIST_NAMES[role][0]} — {words[presence]}" for role, presence in known]
    text = f"Специалисты сопровождения ({source}): {'; '.join(parts)}."
    if _missing(staff) and delegated:
        text += (
            f" Мероприятия отсутствующих специалистов поручены {SERVICE_DATIVE} по договору о "
            "сетевом взаимодействии."
        )
    return text


# -- the roadmap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapRow:
    number: int
    measure: str
    timing: str
    responsible: str
    form: str
    expected_result: str
    #: external help or partner («—»: none)
    partner: str
    #: the factor the measure is for (None: an organisational or control row)
    factor: str | None = None


@dataclass(frozen=True)
class RoadmapGroup:
    """A section of the table: organisational rows, one factor's measures, or control."""

    title: str
    rows: list[RoadmapRow]


@dataclass(frozen=True)
class Roadmap:
    groups: list[RoadmapGroup]
    #: what the plan covers and why, in a sentence or two
    intro: str
    calendar: Calendar
    staff: Specialists
    #: the factors whose measures are in the plan (codes, in priority order)
    factors: list[str] = field(default_factory=list)
    #: factors at risk the row limit left out (titles)
    left_out: list[str] = field(default_factory=list)
    #: which specialists the school has and who takes the missing ones' measures
    staff_note: str | None = None

    @property
    def rows(self) -> list[RoadmapRow]:
        return [row for group in self.groups for row in group.rows]


def at_risk_factors(risk: RiskSection) -> list[str]:
    """The factors at «повышенный» or above, probable causes first (in their rank), then by
    level and by how far the school is from the average."""
    causes = [cause.factor for cause in risk.causes]
    rank = {level: i for i, level in enumerate(AT_RISK)}
    others = sorted(
        (f for f in risk.factors if f.level in AT_RISK and f.code not in causes),
        key=lambda f: (rank[f.level or ""], -(f.composite or 0.0)),
    )
    shown = {f.code for f in risk.factors if f.level in AT_RISK}
    return [c for c in causes if c in shown] + [f.code for f in others]


def _allot(measures: Mapping[str, Sequence[Measure]], budget: int) -> dict[str, list[Measure]]:
    """Measures per factor in priority order: each factor's first measure, then each one's
    second, and so on, up to ``budget`` in all and :data:`PER_FACTOR` per factor."""
    chosen: dict[str, list[Measure]] = {code: [] for code in measures}
    for position in range(PER_FACTOR):
        for code, items in measures.items():
            if budget and position < len(items):
                chosen[code].append(items[position])
                budget -= 1
    return {code: items for code, items in chosen.items() if items}


def _audiences_text(audiences: Sequence[str]) -> str:
    genitive = {
        "student": "обучающихся",
        "parent": "родителей",
        "teacher": "педагогов",
        "specialist": "специалистов сопровождения",
        "administration": "администрации",
    }
    names = [genitive[a] for a in genitive if a in audiences]
    return f"анкетирование {ru_join(names)}" if names else "анкетирование"


def build_roadmap(
    risk: RiskSection,
    catalogue: RiskFactorCatalogue,
    *,
    today: dt.date,
    staff: Specialists,
    staff_source: str,
    campaign_title: str,
    audiences: Sequence[str] = (),
) -> Roadmap:
    """The draft roadmap of a school from its risk part: dated from ``today`` (the
    reference's date), with ``staff`` (:func:`staff_of`) deciding who does a specialist's
    measures; ``staff_source`` says where ``staff`` comes from («по анкете администрации»);
    ``audiences`` are the groups the wave asked (the next wave asks them again)."""
    calendar = plan_calendar(today)
    factors = at_risk_factors(risk)
    rows_by_factor = {f.code: f for f in risk.factors}
    causes = {cause.factor for cause in risk.causes}
    school = {
        code: [m for m in catalogue.factor(code).measures if m.level == "school"]
        for code in factors
    }
    organisation = _organisation(calendar, bool(factors))
    control = _control(calendar, risk, factors, campaign_title, audiences)
    chosen = _allot(school, MAX_ROWS - len(organisation) - len(control))
    sections: list[tuple[str, list[RoadmapRow]]] = [("Организационные мероприятия", organisation)]
    for code, measures in chosen.items():
        factor = rows_by_factor[code]
        title = f"Фактор риска «{factor.title}»: уровень «{factor.level_label}»"
        if code in causes:
            title += ", вероятная причина низких результатов"
        elif factor.outcome:
            title += ", показатель самих результатов"
        rows = []
        for measure in measures:
            responsible, partner = assign(measure.responsible, measure.partner, staff)
            rows.append(
                RoadmapRow(
                    0,
                    text_in(measure.title),
                    schedule_text(measure.schedule, calendar),
                    responsible,
                    measure.form,
                    measure.expected_result,
                    partner,
                    factor=code,
                )
            )
        sections.append((title, rows))
    sections.append(("Контроль и оценка результатов", control))
    left_out = [rows_by_factor[code].title for code in factors if code not in chosen]
    return Roadmap(
        groups=_numbered(sections),
        intro=_intro(calendar, risk, list(chosen), left_out),
        calendar=calendar,
        staff=staff,
        factors=list(chosen),
        left_out=left_out,
        staff_note=staff_text(
            staff,
            staff_source,
            delegated=any(SERVICE in row.responsible for _, rows in sections for row in rows),
        ),
    )


def _numbered(sections: Sequence[tuple[str, list[RoadmapRow]]]) -> list[RoadmapGroup]:
    """The sections as the table's groups, their rows numbered through from 1."""
    groups, number = [], 0
    for title, rows in sections:
        numbered = []
        for row in rows:
            number += 1
            numbered.append(replace(row, number=number))
        groups.append(RoadmapGroup(title, numbered))
    return groups


def _organisation(calendar: Calendar, with_measures: bool) -> list[RoadmapRow]:
    purpose = "реализации дорожной карты" if with_measures else "мониторингу факторов риска"
    council = (
        "Рассмотрение результатов диагностики и проекта дорожной карты на педагогическом совете"
        if with_measures
        else "Рассмотрение результатов диагностики на педагогическом совете"
    )
    decided = (
        "дорожная карта принята с поправками педагогического совета; протокол"
        if with_measures
        else "педагогический коллектив ознакомлен с профилем рисков школы; протокол"
    )
    return [
        RoadmapRow(
            0,
            f"Приказ о создании рабочей группы по {purpose} и назначении ответственных",
            deadline(calendar.order_by),
            "директор",
            "приказ",
            "рабочая группа создана, за каждым мероприятием закреплён ответственный",
            NO_PARTNER,
        ),
        RoadmapRow(
            0,
            council,
            deadline(calendar.council_by),
            "заместитель директора по УВР",
            "педагогический совет",
            decided,
            NO_PARTNER,
        ),
    ]


def _control(
    calendar: Calendar,
    risk: RiskSection,
    factors: Sequence[str],
    campaign_title: str,
    audiences: Sequence[str],
) -> list[RoadmapRow]:
    titles = {f.code: f.title for f in risk.factors}
    rows: list[RoadmapRow] = []
    if factors:
        rows.append(
            RoadmapRow(
                0,
                "Контроль выполнения дорожной карты",
                schedule_text(Schedule(kind="quarterly"), calendar),
                "директор, рабочая группа",
                "совещание при директоре",
                "выполнение мероприятий рассмотрено, сроки и ответственные при необходимости "
                "скорректированы",
                NO_PARTNER,
            )
        )
        named = ru_join([f"«{titles[code]}»" for code in factors])
        measured = f"уровень факторов {named} сопоставлен с волной «{campaign_title}»"
    else:
        rows.append(
            RoadmapRow(
                0,
                "Обсуждение результатов диагностики на заседаниях ШМО и родительских собраниях",
                schedule_text(Schedule(kind="once", months=2), calendar),
                "заместитель директора по УВР, руководители ШМО, классные руководители",
                "заседание ШМО, родительское собрание",
                "педагоги и родители знают результаты диагностики; их предложения учтены в "
                "плане работы школы",
                NO_PARTNER,
            )
        )
        measured = (
            f"подтверждено, что показатели школы остаются вне зоны риска (сравнение с волной "
            f"«{campaign_title}»)"
        )
    rows.append(
        RoadmapRow(
            0,
            "Повторная диагностика (следующая волна мониторинга) по тем же анкетам",
            calendar.rediagnosis.name,
            "заместитель директора по УВР",
            _audiences_text(audiences),
            measured,
            "управление образования (муниципальный координатор мониторинга)",
        )
    )
    rows.append(
        RoadmapRow(
            0,
            "Отчёт в управление образования о выполнении дорожной карты и результатах "
            "повторной диагностики"
            if factors
            else "Отчёт в управление образования о результатах повторной диагностики",
            deadline(calendar.report_by),
            "директор, заместитель директора по УВР",
            "аналитическая справка",
            "отчёт направлен; план на следующий учебный год скорректирован по его итогам",
            "управление образования",
        )
    )
    return rows


def _intro(
    calendar: Calendar, risk: RiskSection, factors: Sequence[str], left_out: Sequence[str]
) -> str:
    dated = (
        f"Сроки отсчитаны от даты справки ({ru_date(calendar.today)}); мероприятия рассчитаны "
        f"на {calendar.period}, повторная диагностика — {calendar.rediagnosis.name}."
    )
    if not factors:
        return (
            "Ни по одному фактору риска школа не находится на уровне «повышенный» или выше, "
            "поэтому мероприятия по факторам не планируются: проект сводится к организационным "
            "мероприятиям, обсуждению результатов и повторной диагностике, которая покажет, "
            f"сохраняется ли благополучная картина. {dated}"
        )
    causes = [c for c in (cause.factor for cause in risk.causes) if c in factors]
    count = len(factors)
    text = (
        f"Мероприятия подобраны по {count} {ru_plural(count, 'фактору', 'факторам', 'факторам')}"
        " риска, по которым школа находится на уровне «повышенный» или выше"
    )
    if causes:
        text += (
            ": сначала — вероятные причины низких результатов, затем остальные по уровню риска. "
        )
    else:
        text += ", по уровню риска. "
    text += dated
    if left_out:
        text += (
            f" Чтобы план оставался выполнимым (не больше {MAX_ROWS} строк), мероприятия по "
            f"{'фактору' if len(left_out) == 1 else 'факторам'} "
            f"{ru_join([f'«{t}»' for t in left_out])} не включены: их можно добавить по "
            "решению педагогического совета."
        )
    text += (
        " Это проект: мероприятия, сроки и ответственных уточняет рабочая группа, утверждает "
        "директор."
    )
    return text
