"""What lies under a risk factor's indicators in a school's reference: the items of a
questionnaire scale (which forms of bullying, which areas of a teacher's professional
deficits, which of the parents' statements) and the split by level of education (1–4, 5–9,
10–11) where the form records the pupil's grade, each against the mean of the district's
schools.

Both are answer groups of their own, and the privacy gate applies to them as to a school's
form (:mod:`analysis.privacy`):

* only the answers of schools at or above the minimum in the form enter anything here (the
  caller passes the gated answers of :func:`analysis.privacy.reportable_audiences`);
* an item answered by fewer respondents than the minimum at a school is not shown there, and
  the district's mean of the item is taken over the schools where it reaches the minimum;
* a school's split by level is shown, and enters the district's level means, only when every
  group of it (each level, and the respondents whose grade is unknown) is empty or at the
  minimum: the school's total is published, so a single small group would be its total less
  the other groups (complementary suppression), and a small group in the district's level
  mean would be that mean less the other schools' published values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.indicators import proportion_interval, respondent_values
from analysis.memo import memoized
from analysis.report.charts import Chart, Share, share_chart
from analysis.report.coverage import grades_of
from analysis.report.russian import NBSP, ru_count, ru_grades, ru_join, ru_percent, ru_range
from analysis.report.study import LEVELS
from analysis.scoring import keyed_items
from instruments.risk_factors import Indicator
from instruments.schema import Instrument, Item, ItemType, Scale, text_in

#: the respondents of each audience in the genitive plural («доля педагогов, …»)
AUDIENCE_GENITIVE = {
    "student": "обучающихся",
    "parent": "родителей",
    "teacher": "педагогов",
    "specialist": "специалистов",
}
#: the group of respondents whose grade is not known (never shown, but counted for the gate)
UNKNOWN_LEVEL = "unknown"


def ru_share(share: float) -> str:
    """A share 0–1 in percent: «63 %»."""
    return ru_percent(share)


def ru_share_interval(low: float, high: float) -> str:
    """A 95 % interval of a share: «52–72 %»."""
    return f"{ru_range(low * 100, high * 100, 0)}{NBSP}%"


@dataclass(frozen=True)
class ItemLine:
    """One item of a scale at the school: the share of unfavourable answers."""

    label: str
    #: «63 %»
    value: str
    #: «52–72 %» (Wilson's 95 % interval)
    interval: str
    #: the district's mean over its schools («21 %»), None when fewer than two schools
    reference: str | None
    n: int
    share: float
    reference_share: float | None
    #: the answers counted, when they are not the caption's («Скорее согласен(на)» …)
    counted: str | None = None


@dataclass(frozen=True)
class ItemDetail:
    """A scale's items at the school, the most frequent unfavourable answer first."""

    title: str
    caption: str
    rows: list[ItemLine]
    #: items not shown (too few answers) and answers left out («не знаю»)
    notes: list[str]
    #: the same shares as bars, the district's as a mark (:func:`.charts.share_chart`)
    chart: Chart | None = None


def unfavourable_values(instrument: Instrument, scale: Scale, item: Item) -> list[int]:
    """The raw answers to ``item`` on the unfavourable side of ``scale``: the scale's own
    prevalence rule where it has one for its items (bullying: «несколько раз в месяц» and
    more often), otherwise the half of the answer range beyond its midpoint on the risk side
    (the upper half of a risk scale, the lower half of a favourable one), after the item's
    reverse key."""
    low, high = instrument.item_range(item)
    middle = (low + high) / 2
    values = [int(o.value) for o in instrument.options_for(item) if not o.missing]

    def keyed(value: int) -> int:
        return low + high - value if item.reverse else value

    if scale.higher_is == "risk":
        rule = scale.prevalence
        if rule is not None and rule.any_item:
            return [v for v in values if keyed(v) >= rule.at_least]
        return [v for v in values if keyed(v) > middle]
    return [v for v in values if keyed(v) < middle]


def _labels(instrument: Instrument, item: Item, values: list[int]) -> str:
    options = {o.value: text_in(o.label) for o in instrument.options_for(item)}
    return ru_join([f"«{options[v]}»" for v in values]).replace(" и «", " или «")


def item_labels(texts: list[str]) -> tuple[str | None, list[str]]:
    """Row labels of a scale's items: their wording, or, when every item starts with the same
    words (three or more: «Насколько вам нужна поддержка в …»), that common stem and each
    item's own rest («В планировании: рабочие программы, цели и структура урока»). A short
    last word of the stem (a preposition) stays with the rest."""
    words = [t.split() for t in texts]
    common = 0
    if len(words) >= 2:
        while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
            common += 1
    if common and len(words[0][common - 1]) <= 2:
        common -= 1
    if common < 3:
        return None, texts
    stem = " ".join(words[0][:common])
    rests = [" ".join(w[common:]).rstrip("?").rstrip() for w in words]
    return stem, [r[:1].upper() + r[1:] for r in rests]


@memoized
def item_shares(
    answers: pd.DataFrame, instrument: Instrument, scale_code: str
) -> dict[str, pd.DataFrame]:
    """Per item of the scale, per school: the respondents who answered it (``n``, «не знаю»
    left out) and the share of them answering on the unfavourable side (``share``)."""
    scale = next(s for s in instrument.scales if s.code == scale_code)
    items = instrument.items_by_code()
    keyed = keyed_items(answers, instrument, scale)
    out = {}
    for code in scale.items:
        item = items[code]
        low, high = instrument.item_range(item)
        bad = {
            float(low + high - v if item.reverse else v)
            for v in unfavourable_values(instrument, scale, item)
        }
        flags = keyed[code].isin(bad).astype("float64").where(keyed[code].notna())
        frame = pd.DataFrame({"school_code": answers["school_code"], "v": flags}).dropna()
        out[code] = frame.groupby("school_code")["v"].agg(n="size", share="mean")
    return out


def item_detail(
    indicator_title: str,
    instrument: Instrument,
    scale: Scale,
    answers: pd.DataFrame,
    school_code: str,
    *,
    min_group_size: int,
) -> ItemDetail | None:
    """The scale's items at ``school_code`` against the district's schools, from ``answers``
    gated by the privacy rule (schools below the minimum in the form absent). None when the
    school has no item with enough answers."""
    shares = item_shares(answers, instrument, scale.code)
    items = instrument.items_by_code()
    stem, labels = item_labels([text_in(items[c].text) for c in scale.items])
    counted = {
        c: _labels(instrument, items[c], unfavourable_values(instrument, scale, items[c]))
        for c in scale.items
    }
    # The most common set of counted answers; on a tie the first item's, in the scale's order
    # (not a set's order, which changes with the process's hash seed).
    sets = list(counted.values())
    usual = max(sets, key=sets.count)
    rows: list[ItemLine] = []
    hidden = 0
    for code, label in zip(scale.items, labels, strict=True):
        table = shares[code]
        if school_code not in table.index or int(table.at[school_code, "n"]) < min_group_size:
            hidden += 1
            continue
        n, share = int(table.at[school_code, "n"]), float(table.at[school_code, "share"])
        reportable = table[table["n"] >= min_group_size]
        mean = float(reportable["share"].mean()) if len(reportable) >= 2 else None
        low, high = proportion_interval(share, n)
        rows.append(
            ItemLine(
                label=label,
                value=ru_share(share),
                interval=ru_share_interval(float(low), float(high)),
                reference=None if mean is None else ru_share(mean),
                n=n,
                share=share * 100,
                reference_share=None if mean is None else mean * 100,
                counted=None if counted[code] == usual else counted[code],
            )
        )
    if not rows:
        return None
    rows.sort(key=lambda r: -r.share)
    who = AUDIENCE_GENITIVE.get(instrument.audience.value, "ответивших")
    asked = f"Вопросы «{stem} …»: доля" if stem else "Доля"
    caption = f"{asked} {who}, выбравших {usual}, по каждому вопросу — от наибольшей к наименьшей."
    notes = []
    if hidden:
        notes.append(
            f"Не показаны вопросы, на которые в школе ответили меньше {min_group_size} человек: "
            f"{hidden}."
        )
    if any(instrument.missing_values(items[c]) for c in scale.items):
        notes.append("Ответ «Не знаю» в доле не учитывается.")
    title = f"{indicator_title}: по вопросам"
    chart = share_chart(
        f"items-{instrument.code}-{scale.code}".replace("_", "-"),
        title,
        [
            Share(
                r.label,
                r.share / 100,
                None if r.reference_share is None else r.reference_share / 100,
            )
            for r in rows
        ],
    )
    return ItemDetail(title, caption, rows, notes, chart)


# -- levels of education -----------------------------------------------------------------------


def form_levels(instrument: Instrument) -> list[str]:
    """The levels of education the form's grades cover, when it records the grade (a grade
    question) and covers two or more; otherwise none: there is nothing to split."""
    if not any(item.type is ItemType.grade for item in instrument.items()):
        return []
    low, high = instrument.grades or (1, 11)
    levels = [lvl for lvl, (a, b) in LEVELS.items() if max(low, a) <= min(high, b)]
    return levels if len(levels) >= 2 else []


def _levels_of(grades: pd.Series) -> pd.Series:
    """Each response's level of education from its grade: the first of :data:`LEVELS` whose
    grades hold it, :data:`UNKNOWN_LEVEL` for no grade or one outside them (on the array:
    a form's few thousand answers, grouped for each indicator of a factor at risk)."""
    grade = grades.to_numpy(dtype="float64")
    levels = np.full(len(grade), UNKNOWN_LEVEL, dtype=object)
    for level, (low, high) in reversed(LEVELS.items()):  # the first level wins
        levels[(low <= grade) & (grade <= high)] = level
    return pd.Series(levels, index=grades.index, name=grades.name)


@memoized
def answer_levels(instrument: Instrument, answers: pd.DataFrame) -> pd.Series:
    """Each response's level of education (:func:`_levels_of` of
    :func:`analysis.report.coverage.grades_of`), once per form for all its indicators."""
    return _levels_of(grades_of(instrument, answers))


@memoized
def level_values(
    answers: pd.DataFrame, instrument: Instrument, indicator: Indicator, *, min_group_size: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Per school and level (index school_code, level): the respondents with a value (``n``)
    and the indicator's value among them (``value``); and per level the district's mean over
    the schools whose split may be shown (``reportable``). A school's split may be shown when
    every group of it has no answer or at least ``min_group_size``."""
    values = respondent_values(indicator, instrument, answers)
    answered = values.notna().to_numpy()
    levels = answer_levels(instrument, answers)
    # (one plain grouping of the answered values: a frame, its dropna and a named
    # aggregation cost ~3 ms an indicator)
    groups = values[answered].groupby(
        [answers["school_code"][answered], levels[answered].rename("level")]
    )
    table = pd.DataFrame({"n": groups.size(), "value": groups.mean()})
    small = table.index[(table["n"] > 0) & (table["n"] < min_group_size)]
    hidden = set(small.get_level_values("school_code"))
    shown = table[~table.index.get_level_values("school_code").isin(hidden)]
    shown = shown[shown.index.get_level_values("level") != UNKNOWN_LEVEL]
    district = shown.groupby(level="level")["value"].agg(["mean", "count"])
    means = district["mean"].where(district["count"] >= 2)
    return table.assign(reportable=~table.index.get_level_values(0).isin(hidden)), means


@dataclass(frozen=True)
class LevelCell:
    #: «63 %», «48 из 100»; None: not shown (see ``status``)
    value: str | None
    #: the district's mean at this level, None when fewer than two schools
    reference: str | None
    n: int
    #: "shown", "none" (no answers at this level), "hidden" (the split is not shown),
    #: "not_asked" (the form is not for this level)
    status: str


@dataclass(frozen=True)
class LevelRow:
    title: str
    cells: list[LevelCell]


@dataclass(frozen=True)
class LevelTable:
    #: the columns' headings («1–4 классы»)
    levels: list[str]
    rows: list[LevelRow]
    notes: list[str]


def level_table(
    rows: list[tuple[Indicator, str, Instrument, pd.DataFrame]],
    school_code: str,
    *,
    min_group_size: int,
    formatter: Callable[[Indicator, float], str],
) -> LevelTable | None:
    """The split by level of education of the given indicators (indicator, its title, its
    form and the form's gated answers) at ``school_code``; ``formatter(indicator, value)``
    writes a value. Only the levels where the school has answers are columns, and a split
    needs two of them (one level is the school's total again); a split that may not be
    shown leaves a note instead. None when there is nothing to show or say."""
    usable = [(i, t, f, a) for i, t, f, a in rows if form_levels(f)]
    kept: list[tuple[str, dict[str, LevelCell]]] = []
    notes: list[str] = []
    for indicator, title, instrument, answers in usable:
        table, means = level_values(answers, instrument, indicator, min_group_size=min_group_size)
        if school_code not in table.index.get_level_values(0):
            continue
        mine = table.loc[school_code]
        if not bool(mine["reportable"].all()):
            small = mine[(mine["n"] > 0) & (mine["n"] < min_group_size)]
            groups = "; ".join(
                f"{_level_name(str(level))} — {ru_count(int(n), 'ответ', 'ответа', 'ответов')}"
                for level, n in small["n"].items()
            )
            notes.append(
                f"«{title}»: по уровням образования не показывается ({groups} при минимуме "
                f"{min_group_size}: ответы такой группы можно было бы вычислить из значения "
                "школы в целом)."
            )
            continue
        cells: dict[str, LevelCell] = {}
        for level in LEVELS:
            mean = means.get(level)
            reference = None if mean is None or pd.isna(mean) else formatter(indicator, mean)
            if level not in form_levels(instrument):
                cells[level] = LevelCell(None, None, 0, "not_asked")
            elif level not in mine.index:
                cells[level] = LevelCell(None, reference, 0, "none")
            else:
                value = formatter(indicator, float(mine.at[level, "value"]))
                cells[level] = LevelCell(value, reference, int(mine.at[level, "n"]), "shown")
        kept.append((title, cells))
    columns = [lvl for lvl in LEVELS if any(c[lvl].status == "shown" for _, c in kept)]
    if len(columns) < 2:
        return LevelTable([], [], notes) if notes else None
    out = [
        LevelRow(title, [cells[lvl] for lvl in columns])
        for title, cells in kept
        if any(cells[lvl].status == "shown" for lvl in columns)
    ]
    return LevelTable([ru_grades(*LEVELS[lvl]) for lvl in columns], out, notes)


def _level_name(level: str) -> str:
    if level == UNKNOWN_LEVEL:
        return "без указания класса"
    return ru_grades(*LEVELS[level])
