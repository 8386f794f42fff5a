"""The reference's appendices («Приложения»): the scales of the campaign's questionnaires with
their reliability and the school's results on them, how every figure, level and cause is
computed (:mod:`analysis.report.appendix_method`, worded from the code's own constants), the
rule that hides small groups, and the questionnaires used with their versions.

Statistical terms (SD, z, ICC, POMP, α, ω, ρ) live here; the body of the reference says the
same in plain words.

Reliability is a property of a scale in the campaign, not of one school: Cronbach's α and
McDonald's ω (:mod:`analysis.psychometrics`, as ``psych::alpha`` and ``psych::omega``) are
computed over the answers of every school at or above the minimum group, on each scale with
at least the minimum scored (:func:`analysis.privacy.reportable`: a hidden school's answers
move nothing that is published), once per campaign and form (:func:`analysis.memo.memoized`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError
from analysis.memo import memoized
from analysis.privacy import POOLED_SCHOOL, reportable, reportable_rows
from analysis.report.appendix_method import MethodPart, method_parts
from analysis.report.russian import NBSP, ru_count, ru_number, ru_plural
from analysis.scoring import keyed_items, score_scales
from instruments.audiences import AUDIENCE_HEADINGS
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, text_in

if TYPE_CHECKING:
    from analysis.benchmark import Benchmark
    from analysis.report.model import AudienceSection
    from instruments.risk_factors import RiskFactorCatalogue

#: α or ω from which a scale is reliable enough to compare groups of respondents, and below
#: which its results are to be read with caution (the usual rule of thumb: Nunnally, 1978)
RELIABLE = 0.7
DOUBTFUL = 0.6
#: fewest respondents with every item of a scale answered for α and ω (as the designer's page)
MIN_COMPLETE = 10
#: fewest items for ω (a one-factor solution of two items is not identified)
MIN_OMEGA_ITEMS = 3


@dataclass(frozen=True)
class ScaleReliability:
    """One scale of a form over the campaign's reportable answers."""

    code: str
    title: str
    items: int
    #: respondents with at least one of its items answered
    n: int
    alpha: float | None = None
    omega: float | None = None
    #: "низкая" below :data:`DOUBTFUL`, "удовлетворительная" up to :data:`RELIABLE`, else None
    caution: str | None = None
    #: the share of the scale's variance lying between schools (the school's scale section's)
    icc: float | None = None


@dataclass(frozen=True)
class FormAppendix:
    """A questionnaire of the campaign: what it is, its scales' reliability, and the school's
    results on them (the body's technical table of the scales)."""

    key: str
    audience: str
    #: the audience's heading, with the form's title when the audience has several forms
    label: str
    title: str
    version: int
    #: who answers, as the table of questionnaires says it («обучающиеся», …)
    respondents: str
    #: «41 вопрос»
    questions: str
    #: «8 шкал» (or «шкал нет»)
    scales: str
    #: the campaign's reportable answers to the form, «1 301 анкета»
    answers: str
    reliability: list[ScaleReliability]
    #: the school's results on the form's scales
    section: AudienceSection | None = None
    #: why α or ω are not given for some scales, in words (None: every scale has both)
    note: str | None = None
    #: why no scale has a reliability at all, in a sentence (None: some scale has answers to
    #: compute it from); the appendix says this instead of a table of dashes
    no_reliability: str | None = None


@dataclass(frozen=True)
class Appendix:
    forms: list[FormAppendix]
    #: how scores, positions, levels and causes are computed
    method: list[MethodPart]
    #: the rule that hides small groups, paragraph by paragraph
    suppression: list[str]
    min_group_size: int
    #: how α and ω are read
    reliability_rule: str = ""
    notes: list[str] = field(default_factory=list)


def _plain(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


@memoized
def form_reliability(
    answers: pd.DataFrame, instrument: Instrument, *, min_group_size: int
) -> pd.DataFrame:
    """α and ω of each scale of ``instrument`` (columns scale, title, items, n, alpha,
    omega_total; NaN where not computed) over the answers of the schools with at least
    ``min_group_size`` respondents scored on that scale (the privacy gate of a statistic whose
    own n is smaller than the group's: :mod:`analysis.privacy`), reverse-keyed, pairwise, as
    :func:`analysis.factor_scores.scale_reliability` and the designer's page compute them:
    α with at least :data:`MIN_COMPLETE` complete answers, ω with :data:`MIN_OMEGA_ITEMS`
    items. One table per campaign and form, shared by every school's reference."""
    from analysis.psychometrics.reliability import scale_coefficients

    audience = instrument.audience.value
    kept, _ = reportable(answers, audience=audience, min_group_size=min_group_size)
    scores = score_scales(kept, instrument)
    schools = kept["school_code"]
    rows = []
    for scale in instrument.scales:
        scored = schools[scores.score[scale.code].notna().to_numpy()]
        gated = scored[reportable_rows(scored, audience=audience, min_group_size=min_group_size)]
        # (the items of the gated schools' respondents: the rows of those of every school)
        keyed = keyed_items(kept, instrument, scale)[schools.isin(gated).to_numpy()]
        answered = ~np.isnan(keyed.to_numpy())
        row: dict[str, object] = {
            "scale": scale.code,
            "title": text_in(scale.title),
            "items": len(scale.items),
            "n": int(answered.any(axis=1).sum()),
            "alpha": np.nan,
            "omega_total": np.nan,
        }
        if len(scale.items) >= 2 and int(answered.all(axis=1).sum()) >= MIN_COMPLETE:
            try:
                alpha, omega_total = scale_coefficients(
                    keyed,
                    items=list(scale.items),
                    with_omega=len(scale.items) >= MIN_OMEGA_ITEMS,
                )
            except AnalysisError:
                pass  # no variance to speak of: left without a value, as the designer does
            else:
                row["alpha"] = alpha
                row["omega_total"] = np.nan if omega_total is None else omega_total
        rows.append(row)
    columns = ["scale", "title", "items", "n", "alpha", "omega_total"]
    return pd.DataFrame(rows, columns=columns)


def _caution(alpha: float | None, omega: float | None) -> str | None:
    value = omega if omega is not None else alpha
    # as printed (two decimals): a scale shown at «0,70» is not called less than 0,7
    if value is None or round(value, 2) >= RELIABLE:
        return None
    return "низкая" if round(value, 2) < DOUBTFUL else "удовлетворительная"


def _reliability(table: pd.DataFrame, section: AudienceSection | None) -> list[ScaleReliability]:
    icc = {r.code: r.icc for r in section.rows} if section is not None else {}
    rows = []
    for _, r in table.iterrows():
        alpha, omega = _plain(r["alpha"]), _plain(r["omega_total"])
        rows.append(
            ScaleReliability(
                code=str(r["scale"]),
                title=str(r["title"]),
                items=int(r["items"]),
                n=int(r["n"]),
                alpha=alpha,
                omega=omega,
                caution=_caution(alpha, omega),
                icc=icc.get(str(r["scale"])),
            )
        )
    return rows


def _reliability_note(instrument: Instrument, rows: list[ScaleReliability]) -> str | None:
    """Why some scales have no α or ω."""
    if instrument.audience in INSTITUTIONAL_AUDIENCES:
        return (
            "Анкету заполняет один представитель школы: надёжность её шкал рассчитана по "
            "ответам школ кампании и описывает согласованность вопросов, а не респондентов."
        )
    reasons = []
    if any(r.alpha is None and r.items >= 2 for r in rows):
        reasons.append(
            f"если полностью ответивших на шкалу меньше {MIN_COMPLETE}, α и ω не рассчитаны"
        )
    if any(r.items == 1 for r in rows):
        reasons.append("у шкалы из одного вопроса надёжность не рассчитывается")
    if any(r.omega is None and r.alpha is not None for r in rows):
        reasons.append(f"для шкал менее чем из {MIN_OMEGA_ITEMS} вопросов ω не рассчитывается")
    if not reasons:
        return None
    text = "; ".join(reasons)
    return f"{text[:1].upper()}{text[1:]}."


def _no_reliability(
    instrument: Instrument, rows: list[ScaleReliability], kept: int, min_group_size: int
) -> str | None:
    """Why no scale of the form has a reliability, when none has: no school reached the
    minimum on the form, or those that did left its scales' questions unanswered (a form
    whose facts about the school are answered at any number of answers, the specialists',
    may have answers and no scale scored in a reportable school)."""
    if not rows or (kept and any(r.n for r in rows)):
        return None
    people = ru_plural(min_group_size, "человек", "человека", "человек")
    answers = ru_plural(min_group_size, "ответа", "ответов", "ответов")
    if kept:
        why = f"ни в одной школе кампании на вопросы шкал не ответили {min_group_size} {people}"
    else:
        why = f"ни в одной школе кампании нет {min_group_size} {answers} на эту анкету"
    text = f"Надёжность шкал не рассчитана: {why}."
    if any(item.fact is not None for item in instrument.items()):
        text += (
            " Числа из документов школы в этой анкете от числа ответов не зависят: они "
            "приведены в части «Сведения о сопровождении обучающихся»."
        )
    return text


def _held(n: int, one: str, few: str, many: str) -> str:
    """«41 вопрос» with a no-break space: a narrow table cell keeps the number with its noun."""
    return ru_count(n, one, few, many).replace(" ", NBSP, 1)


def _respondents(instrument: Instrument) -> str:
    name = AUDIENCE_HEADINGS.get(instrument.audience.value, instrument.audience.value)
    if instrument.grades is not None:
        low, high = instrument.grades
        grades = f"{low}–{high}" if low != high else f"{low}"
        return f"{name}, {grades} {'класс' if low == high else 'классы'}"
    return name


def _facts_rule(instrument: Instrument, min_group_size: int) -> str | None:
    """Why a form's facts about the school (items marked ``fact``: the specialists' counts of
    pupils) are shown at any number of answers while the rest of the form is gated, in words;
    None for a form without them. The facts are named by their labels, the rows of
    «Сведения о сопровождении обучающихся» (:mod:`analysis.report.support`), without the
    «из них …» rows under them."""
    facts = [item.fact for item in instrument.items() if item.fact is not None]
    if not facts or instrument.audience in INSTITUTIONAL_AUDIENCES:
        return None
    labels = [text_in(fact) for fact in facts]
    heads = [label for label in labels if not label.startswith("из ")]
    named = ", ".join(f"«{label}»" for label in heads or labels)
    if len(heads) < len(labels):
        named += " (и строки «из них …» под ними)"
    answers = ru_plural(min_group_size, "ответа", "ответов", "ответов")
    return (
        f"Исключение — числа из документов школы в анкете «{text_in(instrument.title)}»: "
        f"{named}. Они показываются при любом числе ответов, суммой по всем ответившим, как "
        "ответы администрации, и по той же причине: это сведения о школе (о её учениках, по "
        "документам, которые школа ведёт и так), а не мнения, и по ним нельзя узнать, что "
        "думает кто-то из ответивших. Остальные ответы этой анкеты "
        "(оценки и мнения) подчиняются общему правилу: если в школе меньше "
        f"{min_group_size} {answers}, они не показываются и не входят в показатели района."
    )


def suppression_rule(min_group_size: int, instruments: Sequence[Instrument] = ()) -> list[str]:
    """The privacy gate of :mod:`analysis.privacy` in words, with the exemption of the facts
    about the school on the campaign's ``instruments`` (:func:`_facts_rule`)."""
    answers = ru_plural(min_group_size, "ответа", "ответов", "ответов")
    facts = [text for i in instruments if (text := _facts_rule(i, min_group_size)) is not None]
    return [
        f"Группа — ответы одной школы на одну анкету. Если в группе меньше {min_group_size} "
        f"{answers}, её результаты не показываются ни в одной части справки и ни в одном её "
        "формате (веб-страница, документ для редактирования, файл для печати): вместо значений "
        "указано только число анкет.",
        "Ответы такой группы не входят и в показатели, общие для школ района: средние и "
        "стандартные отклонения, сглаживание, положение других школ, связь факторов с "
        "результатами, надёжность шкал. Поэтому скрытый результат нельзя восстановить, "
        "сравнив опубликованные цифры.",
        f"То же правило применяется к отдельной шкале или показателю: если в школе на них "
        f"ответили меньше {min_group_size} человек, значение не показывается.",
        "Анкету администрации заполняет один представитель школы, и она описывает школу, а не "
        "человека, поэтому правило к ней не применяется.",
        *facts,
        "В выгрузках ответов отдельных респондентов (их получают координатор и психолог района, "
        "но не школа) школа, где "
        f"ответивших меньше {min_group_size}, записана под общим кодом «{POOLED_SCHOOL}», "
        "класс не указывается.",
    ]


def build_appendix(
    *,
    forms: Sequence[tuple[str, Instrument, pd.DataFrame, str]],
    sections: Sequence[AudienceSection],
    versions: dict[str, int],
    min_group_size: int,
    with_risk: bool,
    catalogue: RiskFactorCatalogue | None = None,
    benchmark: Benchmark | None = None,
) -> Appendix:
    """The appendices of a school's reference. ``forms`` holds (key, instrument, every
    school's answers, the form's label); ``sections`` the school's scale results of each form
    (:func:`analysis.report.model.audience_section`, by instrument code); ``versions`` the
    stored version of each form (by key; the instrument's own number otherwise)."""
    by_code = {s.instrument_code: s for s in sections}
    out = []
    for key, instrument, answers, label in forms:
        table = form_reliability(answers, instrument, min_group_size=min_group_size)
        kept, _ = reportable(
            answers, audience=instrument.audience.value, min_group_size=min_group_size
        )
        section = by_code.get(instrument.code)
        rows = _reliability(table, section)
        questions = len(list(instrument.items()))
        scales = len(instrument.scales)
        out.append(
            FormAppendix(
                key=key,
                audience=instrument.audience.value,
                label=label,
                title=text_in(instrument.title),
                version=versions.get(key, instrument.version),
                respondents=_respondents(instrument),
                questions=_held(questions, "вопрос", "вопроса", "вопросов"),
                scales=_held(scales, "шкала", "шкалы", "шкал") if scales else "шкал нет",
                answers=ru_count(len(kept), "анкета", "анкеты", "анкет"),
                reliability=rows,
                section=section,
                note=_reliability_note(instrument, rows),
                no_reliability=_no_reliability(instrument, rows, len(kept), min_group_size),
            )
        )
    return Appendix(
        forms=out,
        method=method_parts(
            [instrument for _, instrument, _, _ in forms],
            min_group_size=min_group_size,
            with_risk=with_risk,
            catalogue=catalogue,
            benchmark=benchmark,
        ),
        suppression=suppression_rule(min_group_size, [i for _, i, _, _ in forms]),
        min_group_size=min_group_size,
        reliability_rule=reliability_rule(min_group_size),
    )


def reliability_rule(min_group_size: int) -> str:
    """How α and ω are computed and read, with :data:`RELIABLE` and :data:`DOUBTFUL`."""
    reliable, doubtful = ru_number(RELIABLE, 1), ru_number(DOUBTFUL, 1)
    answers = ru_plural(min_group_size, "ответа", "ответов", "ответов")
    return (
        "Надёжность шкалы показывает, насколько согласованно её вопросы измеряют одно и то же. "
        "α Кронбаха и ω Макдональда рассчитаны по ответам всех школ кампании, в которых не "
        f"меньше {min_group_size} {answers}. Значения от {reliable} и выше говорят о "
        f"надёжности, достаточной для сравнения групп; от {doubtful} до {reliable} — об "
        f"удовлетворительной; ниже {doubtful} — результаты шкалы следует толковать осторожно. "
        "ICC — доля различий в ответах, приходящаяся на различия между школами."
    )
