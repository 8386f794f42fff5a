"""The reference's part on the support of pupils as the school's specialists report it: the
facts of their form (items marked ``fact``: pupils on their caseload and of what kind, those the
commission recommended sessions for and those who get them in full), summed over the school's
specialists.

Why these figures are shown for a school of one or two specialists while their views are not:
they are counts from the school's records, not anyone's view, and are reported like the
administration's answers (:mod:`analysis.privacy`); the text says so, and says that the views
are shown only from the campaign's minimum group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.indicators import fact_sums
from analysis.report.russian import ru_count, ru_int, ru_percent
from instruments.audiences import AUDIENCE_NAMES
from instruments.risk_factors import RiskFactorCatalogue
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, text_in


@dataclass(frozen=True)
class FactRow:
    """One fact of the school: its label, the sum over the school's respondents, and for a
    count that is a part of another (pupils getting the recommended sessions, of those they
    were recommended for) the percentage."""

    label: str
    #: the school's sum, written as an integer («85»); «—» when nobody answered
    value: str
    #: respondents who gave this figure
    answered: int
    #: the percentage of the row it is a part of («64 % от 14»); None when it is not a part
    share: str | None = None

    @property
    def part(self) -> bool:
        """A row of the row above («из них …»), indented under it."""
        return self.label.startswith("из ")


@dataclass(frozen=True)
class SupportForm:
    """The facts of one form for one school."""

    label: str
    instrument_title: str
    n_responses: int
    rows: list[FactRow] = field(default_factory=list)
    #: how the figures are summed and why they are shown whatever the number of answers
    note: str = ""


@dataclass(frozen=True)
class SupportSection:
    forms: list[SupportForm]


def fact_items(instrument: Instrument) -> list[str]:
    """Codes of the instrument's items that ask for facts about the school, in order."""
    return [item.code for item in instrument.items() if item.fact is not None]


def _ratios(catalogue: RiskFactorCatalogue | None, instrument: Instrument) -> dict[str, str]:
    """item -> denominator, for the catalogue's percentages read from the form's facts."""
    if catalogue is None:
        return {}
    by_factor = catalogue.indicators_by_factor([instrument])
    return {
        i.item: i.denominator
        for items in by_factor.values()
        for i in items
        if i.instrument == instrument.code and i.item and i.denominator
    }


def _sum(column: pd.Series) -> tuple[float | None, int]:
    numbers = pd.to_numeric(column, errors="coerce").dropna()
    return (float(numbers.sum()) if len(numbers) else None), len(numbers)


#: no figure of who could answer: unknown (no campaign facts given)
UNKNOWN = -1


def _note(n: int, audience: str, min_group_size: int, expected: int | None) -> str:
    """How the figures were summed and why they are shown; ``expected``: how many could
    answer by the school card (None: the card lists none; :data:`UNKNOWN`: not known)."""
    who = AUDIENCE_NAMES.get(audience, audience)
    if n == 0:
        if expected is None:
            return (
                "По карточке школы специалистов сопровождения в штате нет, и анкету никто не "
                "заполнил: сведений нет."
            )
        if expected > 0:
            return (
                "Анкету не заполнил ни один из специалистов школы (по карточке школы — "
                f"{ru_int(expected)}): сведений нет."
            )
        return f"Анкету не заполнил никто из группы «{who}»: сведений нет."
    answered = ru_count(n, "человек", "человека", "человек")
    if expected is not None and expected > 0:
        answered += f" (по карточке школы специалистов — {ru_int(expected)})"
    text = (
        f"Ответили: {answered}. Числа — суммы по всем ответам школы: ребёнок, с которым "
        "занимаются два специалиста, учтён у каждого из них. Это сведения о школе из её "
        "документов, а не мнения, поэтому они приводятся при любом числе ответов, как ответы "
        "администрации."
    )
    if n < min_group_size:
        text += (
            " Остальные ответы этой анкеты (оценки и мнения) показываются только при "
            f"{ru_count(min_group_size, 'ответе', 'ответах', 'ответах')} и больше; в этой "
            "школе их меньше, и они скрыты, чтобы ничей ответ нельзя было узнать."
        )
    return text


def _share(own: pd.DataFrame, item: str, whole: str) -> tuple[str, float] | None:
    """The percentage the risk profile reads (:func:`analysis.indicators.fact_sums`: over the
    answers that give both figures) with its base, «43 % от 23», and the base."""
    sums = fact_sums(own, item, whole)
    part, below = float(sums["a"].sum()), float(sums["b"].sum())
    if below <= 0:
        return None
    return f"{ru_percent(part / below)} от {ru_int(below)}", below


def support_form(
    instrument: Instrument,
    answers: pd.DataFrame,
    school_code: str,
    *,
    label: str,
    min_group_size: int,
    catalogue: RiskFactorCatalogue | None = None,
    expected: int | None = UNKNOWN,
) -> SupportForm | None:
    """The school's facts on one form, or None when the form asks for none. ``expected``:
    how many could answer by the school card (None: none; :data:`UNKNOWN`: not known)."""
    codes = fact_items(instrument)
    if not codes:
        return None
    own = answers[answers["school_code"] == school_code]
    items = instrument.items_by_code()
    ratios = _ratios(catalogue, instrument)
    sums: dict[str, tuple[float | None, int]] = {
        code: _sum(own[code]) if code in own.columns else (None, 0) for code in codes
    }
    rows = []
    partial: list[str] = []
    for code in codes:
        total, answered = sums[code]
        fact = items[code].fact or {"ru": code}
        share = None
        whole = ratios.get(code)
        if whole is not None and whole in own.columns and code in own.columns:
            found = _share(own, code, whole)
            if found is not None:
                share, base = found
                listed = sums.get(whole, (None, 0))[0]
                if listed is not None and base != listed:
                    partial.append(
                        f"Доля в строке «{text_in(fact)}» рассчитана по ответам, где указаны "
                        f"оба числа ({ru_int(base)} из {ru_int(listed)})."
                    )
        rows.append(
            FactRow(
                label=text_in(fact),
                value="—" if total is None or math.isnan(total) else ru_int(total),
                answered=answered,
                share=share,
            )
        )
    audience = instrument.audience.value
    minimum = 1 if instrument.audience in INSTITUTIONAL_AUDIENCES else min_group_size
    return SupportForm(
        label=label,
        instrument_title=text_in(instrument.title),
        n_responses=len(own),
        rows=rows,
        note=" ".join([_note(len(own), audience, minimum, expected), *partial]),
    )


def build_support_section(
    forms: Iterable[tuple[Instrument, pd.DataFrame, str]],
    school_code: str,
    *,
    min_group_size: int,
    catalogue: RiskFactorCatalogue | None = None,
    expected: Mapping[str, int | None] | None = None,
) -> SupportSection | None:
    """The facts of every form that asks for them ((instrument, every school's answers, the
    form's label)); None when no form does. ``expected``: per instrument code, how many could
    answer by the school card (None: none), as the campaign's rates count them; a form
    missing from it (or no mapping) is not known."""
    found = [
        form
        for instrument, answers, label in forms
        if (
            form := support_form(
                instrument,
                answers,
                school_code,
                label=label,
                min_group_size=min_group_size,
                catalogue=catalogue,
                expected=(expected or {}).get(instrument.code, UNKNOWN),
            )
        )
        is not None
    ]
    return SupportSection(found) if found else None
