"""The reference's part on the school's own results: every imported ВПР/ОГЭ/ЕГЭ row of the
school beside the district's figure for the same assessment, subject, grade and year, the
trend of its share of «2» over the years imported, and a plain statement of how the school
compares with the district.

The district's figure is participant-weighted over the schools of the frame it is given: the
caller passes the campaign's schools only (:func:`surveys.dataset.assessment_history`). Results
are public school-level figures, so nothing is suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis.report.russian import POINTS, ru_number, ru_percent, ru_plural, ru_points

#: the external assessments the part reports, in the order of its tables
ASSESSMENTS = ("ВПР", "ОГЭ", "ЕГЭ")
#: a difference that rounds to 0,0 percentage points is "на уровне района"
_LEVEL_PP = 0.05
#: percentage points, kept on the line of their number
_POINTS = POINTS
HOW_TO_IMPORT = (
    "Результаты загружает координатор: на странице «Результаты ВПР/ОГЭ» (меню сотрудника) или "
    "командой «rootcause import results ФАЙЛ» (CSV или XLSX; столбцы: код школы, год, "
    "процедура, предмет, класс, число участников, средний балл, доля «2»)."
)


#: the noun agreeing with a number (one rule for the whole reference)
plural = ru_plural


def _procedures_genitive(n: int) -> str:
    """After «из»: «из 1 процедуры», «из 3 процедур», «из 21 процедуры»."""
    return f"{n} {plural(n, 'процедуры', 'процедур', 'процедур')}"


def share_text(share: float | None) -> str:
    """A share of «2» in percent with one decimal ("8,3 %"); a dash for no value."""
    return ru_percent(share, 1)


def mean_text(mean: float | None) -> str:
    """A mean mark ("3,62") or a mean test score ("62,4"); a dash for no value."""
    if mean is None:
        return "—"
    return ru_number(mean, 2 if mean <= 5.5 else 1)


def points_text(change: float) -> str:
    """A change of a share in percentage points, signed: "+1,2 п. п.", "−2,0 п. п.",
    "0,0 п. п."."""
    return ru_points(change)


def procedure_label(assessment: str, subject: str, grade: int) -> str:
    """A procedure as the tables name it: "ВПР, Математика, 5 класс"."""
    return f"{assessment}, {subject}, {grade} класс"


@dataclass(frozen=True)
class ResultRow:
    """One imported row of the school against the district's figure for the same key."""

    assessment: str
    subject: str
    grade: int
    year: int
    participants: int
    mean_score: float | None
    share_failing: float | None
    #: participant-weighted over the campaign's schools with the same assessment, subject,
    #: grade and year (this school included)
    district_mean: float | None
    district_share: float | None
    #: schools whose share of «2» enters ``district_share``
    district_schools: int
    #: "below", "above", "level"; None when there is nothing to compare (no share, or the
    #: school is the only one in the district with this result)
    comparison: str | None

    @property
    def label(self) -> str:
        return procedure_label(self.assessment, self.subject, self.grade)

    @property
    def only_school(self) -> bool:
        return self.share_failing is not None and self.district_schools == 1

    @property
    def mean_cell(self) -> str:
        return mean_text(self.mean_score)

    @property
    def district_mean_cell(self) -> str:
        return "—" if self.only_school else mean_text(self.district_mean)

    @property
    def share_cell(self) -> str:
        return share_text(self.share_failing)

    @property
    def district_share_cell(self) -> str:
        return "—" if self.only_school else share_text(self.district_share)

    @property
    def comparison_cell(self) -> str:
        if self.only_school:
            return "в районе только эта школа"
        if self.comparison is None or self.share_failing is None or self.district_share is None:
            return "—"
        if self.comparison == "level":
            return "на уровне района"
        difference = ru_number(abs(round((self.share_failing - self.district_share) * 100, 1)), 1)
        word = "ниже" if self.comparison == "below" else "выше"
        return f"{word} на {difference}{_POINTS}"


@dataclass(frozen=True)
class YearTable:
    year: int
    rows: list[ResultRow]

    @property
    def has_mean(self) -> bool:
        return any(r.mean_score is not None for r in self.rows)


@dataclass(frozen=True)
class TrendRow:
    """The school's share of «2» for one assessment, subject and grade in each year."""

    label: str
    #: per year of :attr:`ResultsSection.trend_years`, the share in percent or a dash
    shares: list[str]
    first_year: int
    last_year: int
    #: last year's share minus the first year's (a fraction: 0,021 is 2,1 п. п.)
    change: float

    @property
    def change_cell(self) -> str:
        return points_text(self.change)


@dataclass(frozen=True)
class ResultsSection:
    #: one table per year, the latest first; empty when nothing is imported for the school
    years: list[YearTable] = field(default_factory=list)
    #: how the school's share of «2» in the latest year compares with the district's
    statement: str | None = None
    #: what the district's figure is and what is left out
    notes: list[str] = field(default_factory=list)
    trend_years: list[int] = field(default_factory=list)
    trend: list[TrendRow] = field(default_factory=list)
    trend_statement: str | None = None
    #: nothing imported for the school: what to do
    empty_text: str | None = None


def _value(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


_KEY = ["year", "assessment", "subject_key", "grade"]


def _weighted(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per key, the participant-weighted ``column`` over the schools that have it, and how
    many schools that is."""
    usable = frame[frame[column].notna() & (frame["participants"] > 0)]
    grouped = (
        usable.assign(weight=usable[column] * usable["participants"])
        .groupby(_KEY)
        .agg(
            weight=("weight", "sum"),
            participants=("participants", "sum"),
            schools=("school_code", "nunique"),
        )
    )
    return pd.DataFrame(
        {
            column: grouped["weight"] / grouped["participants"],
            f"{column}_schools": grouped["schools"],
        }
    )


def _compare(own: float | None, district: float | None, schools: int) -> str | None:
    if own is None or district is None or schools < 2:
        return None
    difference = own - district
    if abs(difference * 100) < _LEVEL_PP:
        return "level"
    return "below" if difference < 0 else "above"


def comparison_statement(year: int, below: int, above: int, level: int) -> str:
    """The school's share of «2» against the district's over the ``year``'s procedures that
    can be compared, in plain Russian; when it is lower on most of them, says the results
    are not low."""
    total = below + above + level
    if total == 0:
        return (
            f"В {year} году долю неудовлетворительных отметок школы не с чем сравнить: "
            "по этим процедурам нет данных других школ района или не загружена доля «2»."
        )
    start = f"В {year} году доля неудовлетворительных отметок в школе"
    of_total = f"из {_procedures_genitive(total)}"

    def extras(*parts: tuple[int, str]) -> str:
        return "".join(f", {word} — по {count}" for count, word in parts if count)

    if below > total / 2:
        return (
            f"{start} ниже средней по району по {below} {of_total}"
            f"{extras((above, 'выше'), (level, 'на уровне района'))}: результаты школы нельзя "
            "назвать низкими по сравнению с районом."
        )
    if above > total / 2:
        return (
            f"{start} выше средней по району по {above} {of_total}"
            f"{extras((below, 'ниже'), (level, 'на уровне района'))}."
        )
    if below == 0:
        rest = extras((above, "выше"), (level, "на уровне района")).removeprefix(", ")
        return f"{start} ни по одной {of_total} не ниже средней по району: {rest}."
    return (
        f"{start} ниже средней по району по {below} {of_total}"
        f"{extras((above, 'выше'), (level, 'на уровне района'))}."
    )


def trend_statement(first: int, last: int, fell: int, rose: int, same: int) -> str:
    """How the school's share of «2» changed over the years imported, over the procedures
    with at least two years."""
    total = fell + rose + same
    parts = []
    for count, word in ((fell, "снизилась"), (rose, "выросла"), (same, "не изменилась")):
        if count:
            parts.append((count, word))
    (count, word), others = parts[0], parts[1:]
    text = (
        f"С {first} по {last} год доля «2» в школе {word} по {count} из "
        f"{_procedures_genitive(total)}"
    )
    for count, word in others:
        text += f", {word} — по {count}"
    return text + "."


def build_results_section(results: pd.DataFrame, school_code: str) -> ResultsSection:
    """The school's part on its own results from ``results`` (every year, the campaign's
    schools only: columns school_code, year, assessment, subject, grade, participants,
    mean_score, share_failing, as :func:`surveys.dataset.assessment_history` returns them).

    Each of the school's ВПР/ОГЭ/ЕГЭ rows is set beside the district's participant-weighted
    share of «2» and mean for the same assessment, subject (letter case aside), grade and
    year; a row is compared only when another school has the same result (with the school
    alone, the district's figure would be its own). The trend lists, per assessment, subject
    and grade with a share of «2» in at least two years, the share in each year and its change
    from the first year to the last."""
    frame = results.copy()
    frame["subject_key"] = frame["subject"].astype(str).str.strip().str.casefold()
    frame["participants"] = frame["participants"].astype("int64")
    mine = frame["school_code"] == school_code
    others = int((mine & ~frame["assessment"].isin(ASSESSMENTS)).sum())
    frame = frame[frame["assessment"].isin(ASSESSMENTS)]
    own = frame[frame["school_code"] == school_code]
    notes = []
    if others:
        notes.append(
            "Четвертные и годовые отметки в этот раздел не входят (загружено строк: "
            f"{others}): раздел сравнивает результаты внешних оценочных процедур."
        )
    if own.empty:
        return ResultsSection(
            notes=notes,
            empty_text=(
                "Результаты оценочных процедур (ВПР, ОГЭ, ЕГЭ) школы не загружены, поэтому "
                f"в справке их нет. {HOW_TO_IMPORT}"
            ),
        )
    district = _weighted(frame, "share_failing").join(_weighted(frame, "mean_score"), how="outer")
    own = own.join(district, on=_KEY, rsuffix="_district")
    order = {name: i for i, name in enumerate(ASSESSMENTS)}
    own = own.assign(order=own["assessment"].map(order)).sort_values(
        ["year", "order", "subject_key", "grade"], ascending=[False, True, True, True]
    )
    tables = []
    for year, rows in own.groupby("year", sort=False):
        table_rows = []
        for _, row in rows.iterrows():
            share = _value(row["share_failing"]) if row["participants"] > 0 else None
            district_share = _value(row["share_failing_district"])
            schools = _value(row["share_failing_schools"])
            schools_n = 0 if schools is None else int(schools)
            table_rows.append(
                ResultRow(
                    assessment=str(row["assessment"]),
                    subject=str(row["subject"]).strip(),
                    grade=int(row["grade"]),
                    year=int(year),
                    participants=int(row["participants"]),
                    mean_score=_value(row["mean_score"]),
                    share_failing=share,
                    district_mean=_value(row["mean_score_district"]),
                    district_share=district_share,
                    district_schools=schools_n,
                    comparison=_compare(share, district_share, schools_n),
                )
            )
        tables.append(YearTable(year=int(year), rows=table_rows))
    latest = tables[0]
    counts = {c: sum(r.comparison == c for r in latest.rows) for c in ("below", "above", "level")}
    statement = comparison_statement(latest.year, counts["below"], counts["above"], counts["level"])
    alone = sum(r.only_school for r in latest.rows)
    schools = frame.loc[frame["year"] == latest.year, "school_code"].nunique()
    notes.insert(
        0,
        "Показатель района — доля «2» (и средний балл) среди всех участников школ кампании, "
        "писавших ту же процедуру по тому же предмету в том же классе в том же году; "
        f"в {latest.year} году результаты загружены по {schools} "
        f"{plural(schools, 'школе', 'школам', 'школам')}.",
    )
    if alone:
        verb = plural(alone, "не сравнивается", "не сравниваются", "не сравниваются")
        noun = plural(alone, "процедура", "процедуры", "процедур")
        notes.append(
            f"С районом {verb} {alone} {noun} {latest.year} года: в районе "
            + ("этот результат загружен" if alone == 1 else "эти результаты загружены")
            + " только у этой школы."
        )
    trend_years, trend, trend_text = _trend(own)
    return ResultsSection(
        years=tables,
        statement=statement,
        notes=notes,
        trend_years=trend_years,
        trend=trend,
        trend_statement=trend_text,
    )


def _trend(own: pd.DataFrame) -> tuple[list[int], list[TrendRow], str | None]:
    usable = own[own["share_failing"].notna() & (own["participants"] > 0)]
    years = sorted(int(y) for y in usable["year"].unique())
    if len(years) < 2:
        only = f"за {years[0]} год" if years else "ни за один год"
        return years, [], f"Динамика по годам не показывается: доля «2» загружена только {only}."
    rows = []
    for _, group in usable.sort_values(["order", "subject_key", "grade"]).groupby(
        ["order", "subject_key", "grade"], sort=False
    ):
        if group["year"].nunique() < 2:
            continue
        by_year = group.sort_values("year").drop_duplicates("year", keep="last")
        shares = dict(
            zip(by_year["year"].astype(int), by_year["share_failing"].astype(float), strict=True)
        )
        first, last = min(shares), max(shares)
        latest_row = by_year.iloc[-1]
        rows.append(
            TrendRow(
                label=procedure_label(
                    str(latest_row["assessment"]),
                    str(latest_row["subject"]).strip(),
                    int(latest_row["grade"]),
                ),
                shares=[share_text(shares.get(y)) for y in years],
                first_year=first,
                last_year=last,
                change=shares[last] - shares[first],
            )
        )
    if not rows:
        return (
            years,
            [],
            "Динамика по годам не показывается: ни одна процедура не загружена больше чем "
            "за один год.",
        )
    fell = sum(round(r.change * 100, 1) < 0 for r in rows)
    rose = sum(round(r.change * 100, 1) > 0 for r in rows)
    same = len(rows) - fell - rose
    first = min(r.first_year for r in rows)
    last = max(r.last_year for r in rows)
    return years, rows, trend_statement(first, last, fell, rose, same)
