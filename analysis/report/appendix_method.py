"""How the reference's figures are computed, in words and formulas, for its appendix.

Every threshold and quantile in the text is read from the code that applies it
(:mod:`analysis.scoring`, :mod:`analysis.indicators`, :mod:`analysis.risk`,
:mod:`analysis.causes`, :mod:`analysis.report.profile`) and every rule of an instrument from the
instruments fielded, so the text cannot say one thing while the code does another (an earlier
method text wrote (1 + ρ)/2 where the code took (1 + max(ρ, 0))/2).
``tests/analysis/test_report_appendix.py`` checks the text against the constants.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

from analysis import causes, indicators, risk
from analysis.report.russian import ru_number, ru_percent, ru_plural
from instruments.schema import INSTITUTIONAL_AUDIENCES, Instrument, text_in

if TYPE_CHECKING:
    from analysis.benchmark import Benchmark
    from instruments.risk_factors import RiskFactorCatalogue


@dataclass(frozen=True)
class Block:
    """A paragraph of the method, or a formula set on a line of its own."""

    text: str
    formula: bool = False


@dataclass(frozen=True)
class MethodPart:
    title: str
    blocks: list[Block] = field(default_factory=list)
    #: numbered conditions (the rule of probable causes)
    steps: list[str] = field(default_factory=list)
    #: blocks after the steps
    after: list[Block] = field(default_factory=list)


def one_sided_percent(quantile: float) -> int:
    """The level of a one-sided interval whose bound is ``quantile`` SE away: 0,8416 → 80."""
    return round(NormalDist().cdf(quantile) * 100)


def two_sided_percent(quantile: float) -> int:
    """The level of a two-sided interval of ± ``quantile`` SE: 1,96 → 95."""
    return round((2 * NormalDist().cdf(quantile) - 1) * 100)


def _n(value: float) -> str:
    """A threshold as the text writes it, as precisely as it is set: «0,5», «−1,5», «1,0»,
    «0,75»."""
    return ru_number(value, 1 if round(value, 1) == value else 2)


def _answered_share(instruments: Sequence[Instrument]) -> str:
    shares = sorted({s.min_answered for i in instruments for s in i.scales})
    if not shares:
        return ru_percent(0.5)
    if len(shares) == 1:
        return ru_percent(shares[0])
    return f"доли, заданной для шкалы (от {ru_percent(shares[0])} до {ru_percent(shares[-1])})"


def _cutoff_examples(instruments: Sequence[Instrument]) -> list[str]:
    """The published cut-offs of the fielded scales, in words."""
    out = []
    for instrument in instruments:
        for scale in instrument.scales:
            cut = scale.cutoffs
            if cut is None:
                continue
            what = {
                "prevalence": text_in(scale.prevalence.label) if scale.prevalence else "",
                "pomp": f"{text_in(scale.title)}, балл 0–100",
                "mean": f"{text_in(scale.title)}, средний балл",
            }[cut.statistic] or text_in(scale.title)
            unit = "\u00a0%" if cut.statistic == "prevalence" else ""
            low, high = _threshold(cut.low_below), _threshold(cut.high_above)
            low_word, high_word = (
                ("низкий", "высокий") if scale.higher_is == "risk" else ("высокий", "низкий")
            )
            out.append(
                f"«{what}»: ниже {low}{unit} — {low_word} риск, выше {high}{unit} — {high_word} "
                "риск"
            )
    return list(dict.fromkeys(out))


def _threshold(value: float) -> str:
    return ru_number(value, 0) if float(value).is_integer() else ru_number(value, 1)


def _positions() -> str:
    """How a school's position on an indicator is worded, from the bands of :mod:`analysis.risk`
    (their inner and outer boundaries), by the value's own direction."""
    near = next(high for low, high, _ in risk.BANDS if low < 0 < high)
    far = next(high for low, high, _ in risk.BANDS if low == near)
    return (
        f"|z| < {_n(near)} — «на уровне среднего»; {_n(near)} ≤ |z| < {_n(far)} — «заметно "
        f"выше среднего» или «заметно ниже среднего»; |z| ≥ {_n(far)} — «значительно выше» или "
        "«значительно ниже среднего»"
    )


def _levels() -> str:
    parts = []
    upper: float | None = None
    for threshold, _, label in risk.LEVELS:
        if threshold == float("-inf"):
            parts.append(f"«{label}» — c < {_n(upper or 0.0)}")
        elif upper is None:
            parts.append(f"«{label}» — c ≥ {_n(threshold)}")
        else:
            parts.append(f"«{label}» — {_n(threshold)} ≤ c < {_n(upper)}")
        upper = threshold
    return "; ".join(parts)


def _reference_words(benchmark: Benchmark | None) -> str:
    if benchmark is None:
        return (
            "школ кампании (каждая школа — одно наблюдение; школы, где ответов меньше "
            "минимума, не учитываются)"
        )
    return f"школ эталона «{benchmark.title}» (зафиксирован {benchmark.frozen_on:%d.%m.%Y})"


def scores_part(instruments: Sequence[Instrument], min_group_size: int) -> MethodPart:
    """Scale scores, POMP, prevalence, intervals, ICC, α and ω (:mod:`analysis.scoring`)."""
    summed = any(s.method == "sum" for i in instruments for s in i.scales)
    score = (
        "Балл респондента по шкале — среднее его ответов на вопросы шкалы. Вопросы с обратной "
        "формулировкой переворачиваются (x′ = a + b − x, где a и b — наименьший и наибольший "
        "варианты ответа); ответы «не знаю» и «затрудняюсь ответить» в расчёт не входят. Балл "
        f"рассчитывается, если респондент ответил не менее чем на {_answered_share(instruments)} "
        "вопросов шкалы"
    )
    score += (
        "; у шкал, балл которых — сумма, среднее умножается на число вопросов (пропущенный "
        "вопрос не считается нулём)."
        if summed
        else "."
    )
    answers = ru_plural(min_group_size, "человек", "человека", "человек")
    return MethodPart(
        title="Баллы по шкалам",
        blocks=[
            Block(score),
            Block(
                "Балл 0–100 (POMP — процент от максимально возможного): каждый ответ "
                "пересчитывается в проценты от размаха вариантов ответа и усредняется, так что "
                "шкалы с разным числом вариантов сравнимы между собой:"
            ),
            Block("POMP = 100 × (x − a) / (b − a)", formula=True),
            Block(
                "Распространённость — доля респондентов, отвечающих правилу, заданному в анкете: "
                "хотя бы один ответ на вопросы шкалы (или балл шкалы) не ниже указанного "
                "варианта ответа."
            ),
            Block(
                "Интервал — 95-процентный доверительный интервал среднего по школе, где x̄ — "
                "среднее, s — стандартное отклонение ответов, n — число ответивших, t — квантиль "
                "распределения Стьюдента с n − 1 степенями свободы:"
            ),
            Block("x̄ ± t × s / √n", formula=True),
            Block(
                "ICC — доля различий в баллах, приходящаяся на различия между школами "
                "(внутриклассовая корреляция по однофакторному дисперсионному анализу), где СКм "
                "и СКв — средние квадраты между школами и внутри школ, n₀ — средний размер "
                "школы с поправкой на неравные группы; рассчитывается по школам кампании, где "
                f"на шкалу ответили не меньше {min_group_size} {answers}:"
            ),
            Block("ICC = (СКм − СКв) / (СКм + (n₀ − 1) × СКв)", formula=True),
            Block(
                "α Кронбаха (k — число вопросов, s²ᵢ — дисперсии вопросов, s² — дисперсия их "
                "суммы; по попарным ковариациям) и ω Макдональда (ΣR — сумма всех элементов "
                "матрицы корреляций вопросов, λᵢ — нагрузки вопросов на общий фактор "
                "однофакторной модели, метод минимальных остатков, u²ᵢ = 1 − λ²ᵢ):"
            ),
            Block("α = k / (k − 1) × (1 − Σ s²ᵢ / s²);   ω = (ΣR − Σ u²ᵢ) / ΣR", True),
        ],
    )


def _facts_forms(instruments: Sequence[Instrument]) -> str | None:
    """The forms of many respondents whose facts about the school (items marked ``fact``) are
    read as the school's figures, «анкете «…»», or None."""
    titles = [
        f"«{text_in(i.title)}»"
        for i in instruments
        if i.audience not in INSTITUTIONAL_AUDIENCES and any(x.fact for x in i.items())
    ]
    if not titles:
        return None
    return f"{'анкете' if len(titles) == 1 else 'анкетах'} {', '.join(titles)}"


def indicators_part(
    benchmark: Benchmark | None, instruments: Sequence[Instrument] = ()
) -> MethodPart:
    """School indicators, shrinkage and z (:mod:`analysis.indicators`, :mod:`analysis.risk`);
    the facts about the school on ``instruments`` are read like the administration's answer
    (:func:`analysis.indicators.is_fact`)."""
    forms = _facts_forms(instruments)
    facts = (
        f"; показатель из чисел документов школы в {forms} — среднее на одного ответившего "
        "или доля одной суммы от другой по ответам всех ответивших, при любом их числе"
        if forms
        else ""
    )
    whose = (
        "Ответ администрации и сведения школы не сглаживаются"
        if forms
        else "Ответ администрации не сглаживается"
    )
    error = "у ответа администрации и сведений школы" if forms else "у ответа администрации"
    blocks = [
        Block(
            "Показатель школы — средний балл шкалы, балл 0–100, распространённость или доля "
            "респондентов, давших определённый ответ (y — по ответам n респондентов школы); "
            f"показатель анкеты администрации — её ответ, как он дан{facts}."
        ),
        Block(
            "Чтобы случайные колебания в малых школах не выдавались за различия, показатель "
            "сглаживается к среднему по школам (эмпирическая байесовская оценка), где σ² — "
            "дисперсия ответов внутри школ, τ² — дисперсия различий между школами (по "
            "однофакторному дисперсионному анализу, не меньше нуля), ȳ — среднее по школам с "
            "весами 1 / (τ² + σ² / n). Чем меньше ответов, тем меньше w и тем ближе оценка к "
            f"среднему. {whose}:"
        ),
        Block("ŷ = ȳ + w × (y − ȳ),   w = τ² / (τ² + σ² / n)", formula=True),
        Block(
            "Положение школы по показателю — z-оценка, где m и SD — среднее и стандартное "
            f"отклонение сглаженных показателей {_reference_words(benchmark)}:"
        ),
        Block("z = (ŷ − m) / SD", formula=True),
        Block(
            "Словами положение названо по значению самого показателя, выше или ниже среднего, "
            "а не по тому, хорошо это или плохо (доля детей с ОВЗ или говорящих дома на другом "
            f"языке не бывает «хуже» среднего): {_positions()}."
        ),
        Block(
            "Для оценки риска у показателей, у которых больше — лучше, знак меняется: z′ = z у "
            "показателей риска и z′ = −z у благоприятных, так что положительное z′ всегда "
            "означает риск выше среднего. Погрешность z′ (s — стандартное отклонение ответов в "
            f"школе) {error} равна нулю:"
        ),
        Block("s(z′) = √w × s / √n / SD", formula=True),
    ]
    return MethodPart(title="Показатели школы и её положение среди других школ", blocks=blocks)


def levels_part(instruments: Sequence[Instrument]) -> MethodPart:
    """Factor composites, their errors, levels and cut-offs (:mod:`analysis.risk`)."""
    high = one_sided_percent(risk.HIGH_QUANTILE)
    examples = _cutoff_examples(instruments)
    cutoffs = (
        "Если для показателя методикой установлен порог"
        + (f" ({'; '.join(examples)})" if examples else "")
        + ", школа считается за порогом, только если за ним лежит весь её 95-процентный "
        "интервал (для долей — интервал Уилсона, для средних — по распределению Стьюдента). "
        "Показатель за порогом высокого риска поднимает фактор до уровня "
        f"«{risk.LEVEL_LABELS[risk.CUTOFF_LEVEL]}», даже если по сравнению с другими школами "
        "оценка ниже: порог не зависит от того, как обстоят дела в других школах."
    )
    return MethodPart(
        title="Уровень фактора риска",
        blocks=[
            Block(
                "Оценка фактора c — взвешенное среднее z′ его показателей, рассчитанных в школе "
                "(веса заданы в перечне факторов риска):"
            ),
            Block("c = Σ aᵢ z′ᵢ,   aᵢ = весᵢ / Σ вес", formula=True),
            Block(
                "Погрешность оценки фактора учитывает, что показатели одной группы "
                "респондентов рассчитаны по ответам одних и тех же людей: rᵢₖ — корреляция "
                "ответов на два показателя внутри школ по району (для показателей одной анкеты, "
                f"если на оба ответили не меньше {indicators.MIN_PAIRS} человек; иначе для одной "
                "группы респондентов принимается 1), для показателей разных групп — 0:"
            ),
            Block("s(c)² = Σᵢ Σₖ aᵢ aₖ rᵢₖ s(z′ᵢ) s(z′ₖ)", formula=True),
            Block(f"Уровень риска: {_levels()}."),
            Block(
                f"Уровень «{risk.LEVEL_LABELS['high']}» присваивается, только если нижняя "
                f"граница одностороннего {high}-процентного интервала, "
                f"c − {ru_number(risk.HIGH_QUANTILE, 2)} × s(c), не ниже "
                f"{_n(risk.HIGH_COMPOSITE)}; иначе уровень — "
                f"«{risk.LEVEL_LABELS['elevated']}»."
            ),
            Block(cutoffs),
        ],
    )


def causes_part(catalogue: RiskFactorCatalogue | None, min_group_size: int) -> MethodPart:
    """The rule of probable causes (:mod:`analysis.causes`)."""
    from analysis.report.profile import CAUSES_SHOWN

    zone = one_sided_percent(risk.ZONE_QUANTILE)
    coefficient = two_sided_percent(causes.Z95)
    n_boot = inspect.signature(causes.analyse_causes).parameters["n_boot"].default
    floor = ru_percent(causes.SHARE_FLOOR, 1)
    ceiling = ru_percent(1 - causes.SHARE_FLOOR, 1)
    outcomes = []
    if catalogue is not None:
        outcomes = [
            text_in(i.title) for f in catalogue.factors if f.role == "outcome" for i in f.indicators
        ]
    blocks = []
    if outcomes:
        titles = "; ".join(f"«{t}»" for t in outcomes)
        blocks.append(
            Block(
                f"Показатели, которые измеряют сами низкие результаты ({titles}), описывают "
                "проблему и в выборе причин не участвуют: в профиле рисков они отмечены как "
                "показатель результатов."
            )
        )
    blocks.append(Block("Фактор называется вероятной причиной, только если выполнены три условия."))
    per_predictor = causes.MODEL_SCHOOLS_PER_PREDICTOR
    return MethodPart(
        title="Вероятные причины",
        blocks=blocks,
        steps=[
            "Школа достоверно находится в зоне риска по фактору: нижняя граница одностороннего "
            f"{zone}-процентного интервала, c − {ru_number(risk.ZONE_QUANTILE, 2)} × s(c), не "
            f"ниже {_n(risk.RISK_ZONE)} (граница уровня "
            f"«{risk.LEVEL_LABELS[risk.CUTOFF_LEVEL]}»). Превышение порога методики само по "
            "себе причиной фактор не делает: проблема, общая для всех школ района, не "
            "объясняет, почему результаты этой школы ниже, чем у других.",
            "Результаты школы низкие: школа включена в перечень школ с низкими "
            "образовательными результатами или доля «2» в ней (по всем загруженным процедурам, "
            "с весом по числу участников) выше средней по школам района. Если результатов нет и "
            "школа не в перечне, условие не проверяется.",
            "По школам района фактор не связан с лучшими результатами: если весь "
            f"{coefficient}-процентный интервал его коэффициента β в модели ниже нуля, фактор не "
            "называется.",
        ],
        after=[
            Block(
                "Связь с результатами оценивается одной моделью по всем школам района: "
                "байесовская гребневая регрессия логита доли «2» (доля ограничена пределами "
                f"{floor} и {ceiling}) на оценки всех факторов сразу, размер школы (логарифм "
                "числа участников процедур) и, если он известен, статус школы, функционирующей в "
                "неблагоприятных социальных условиях. Так фактор, который лишь сопутствует "
                "действующему, не получает его вес:"
            ),
            Block("логит(p) = b₀ + Σₖ βₖ cₖ + γ₁ × логарифм числа участников + γ₂ × статус", True),
            Block(
                f"Модель строится, если школ с ответами и результатами не меньше "
                f"{causes.MIN_MODEL_SCHOOLS} и не меньше {per_predictor} на каждый фактор модели "
                "(при меньшем числе школ о связи с результатами не говорится, а причины "
                "упорядочены по оценке фактора). Связь считается подтверждённой, если весь "
                f"{coefficient}-процентный интервал коэффициента β выше нуля; иначе фактор назван "
                "по уровню риска школы."
            ),
            Block(
                "Подходящие факторы упорядочены по ожидаемому вкладу в результаты школы β⁺ × c, "
                "где β⁺ — среднее апостериорного распределения коэффициента, если оно больше "
                "нуля, иначе 0; при равенстве и без модели — по оценке фактора c. В справке "
                f"названы не более {CAUSES_SHOWN} "
                f"{ru_plural(CAUSES_SHOWN, 'причины', 'причин', 'причин')}."
            ),
            Block(
                "Для сведения приводится ранговая корреляция Спирмена ρ оценки фактора с долей "
                "«2» по школам района и её 95-процентный интервал (процентильный бутстреп, "
                f"{n_boot} выборок школ с возвращением). Если школ с результатами меньше "
                f"{causes.MIN_SCHOOLS}, справка предупреждает, что связи ненадёжны."
            ),
            Block(
                "Если в школе меньше "
                f"{min_group_size} {ru_plural(min_group_size, 'ответа', 'ответов', 'ответов')} "
                "какой-либо группы респондентов, показатели этой группы не учитываются: фактор "
                "оценивается по показателям других групп, а фактор, у которого их нет, отмечен "
                "как «не оценён» и причиной не называется. В профиле рисков каждая такая группа "
                "названа один раз, с числом её ответов и факторами, которые она затрагивает."
            ),
        ],
    )


def method_parts(
    instruments: Sequence[Instrument],
    *,
    min_group_size: int,
    with_risk: bool,
    catalogue: RiskFactorCatalogue | None = None,
    benchmark: Benchmark | None = None,
) -> list[MethodPart]:
    """The appendix's «how it is computed», part by part (scores always; indicators, levels
    and causes when the reference has a risk part)."""
    parts = [scores_part(instruments, min_group_size)]
    if with_risk:
        parts += [
            indicators_part(benchmark, instruments),
            levels_part(instruments),
            causes_part(catalogue, min_group_size),
        ]
    return parts
