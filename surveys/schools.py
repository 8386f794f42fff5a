"""Districts and schools as a district describes them: one check of a school's fields for the
import and the screens, creating, changing and deactivating, each change audited."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import access, audit
from surveys import models as m
from surveys.districts import district_key, districts_by_key
from surveys.errors import FieldsInvalid

GRADES = tuple(range(1, 12))
#: level -> (its code in the levels field, the grades it covers, the school's flag)
LEVELS: dict[str, tuple[str, range, str]] = {
    "primary": ("НОО", range(1, 5), "teaches_primary"),
    "basic": ("ООО", range(5, 10), "teaches_basic"),
    "secondary": ("СОО", range(10, 12), "teaches_secondary"),
}
LEVEL_WORDS = {
    "ноо": "primary",
    "начальное": "primary",
    "primary": "primary",
    "ооо": "basic",
    "основное": "basic",
    "basic": "basic",
    "соо": "secondary",
    "среднее": "secondary",
    "secondary": "secondary",
}
LOCALITY_WORDS = {
    "urban": "urban",
    "городская": "urban",
    "город": "urban",
    "городская местность": "urban",
    "rural": "rural",
    "сельская": "rural",
    "село": "rural",
    "сельская местность": "rural",
}
YES = frozenset({"да", "1", "+", "yes", "y", "true", "есть", "д"})
NO = frozenset({"нет", "0", "-", "no", "n", "false", "н", ""})
FLAGS = (
    "low_results",
    "adverse_conditions",
    "has_psychologist",
    "has_speech_specialist",
    "has_social_pedagogue",
)
MAX_COUNT = 5000  # a bound on pupils of one grade or teachers of one school: catches typos
CODE_RE = re.compile(r"^\w[\w.\-]*$")
#: what the school's attributes are called on screens, in files and in messages
LABELS = {
    "district": "Район",
    "code": "Код школы",
    "name": "Полное наименование",
    "short_name": "Краткое наименование",
    "locality": "Местность",
    "levels": "Уровни образования",
    "low_results": "ШНОР",
    "adverse_conditions": "ШНСУ",
    **{f"grade_{g}": f"{g} класс" for g in GRADES},
    "teachers": "Педагогов",
    "has_psychologist": "Педагог-психолог",
    "has_speech_specialist": "Логопед/дефектолог",
    "has_social_pedagogue": "Социальный педагог",
}
#: the attributes a change may touch, in the order changes are reported
ATTRIBUTES = (
    "code",
    "name",
    "short_name",
    "locality",
    "teaches_primary",
    "teaches_basic",
    "teaches_secondary",
    "low_results",
    "adverse_conditions",
    "enrolment_by_grade",
    "enrolment_primary",
    "enrolment_basic",
    "enrolment_secondary",
    "teachers",
    "has_psychologist",
    "has_speech_specialist",
    "has_social_pedagogue",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).casefold().replace("ё", "е")
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError("нужно «да» или «нет» (также 1/0, +/-)")


def _count(value: object) -> int:
    text = _text(value).replace(" ", "").replace("\u00a0", "")
    if text == "":
        return 0
    if not text.isdigit():
        raise ValueError(f"«{_text(value)}» — нужно целое число не меньше 0")
    number = int(text)
    if number > MAX_COUNT:
        raise ValueError(f"{number} — больше {MAX_COUNT}, проверьте число")
    return number


def _levels(value: object) -> dict[str, bool]:
    words = value if isinstance(value, list | tuple | set) else re.split(r"[\s,;/+]+", _text(value))
    found = set()
    for word in words:
        key = _text(word).casefold().replace("ё", "е")
        if not key:
            continue
        if key not in LEVEL_WORDS:
            raise ValueError(f"неизвестный уровень «{_text(word)}»: допустимы НОО, ООО, СОО")
        found.add(LEVEL_WORDS[key])
    if not found:
        raise ValueError("укажите хотя бы один уровень: НОО, ООО, СОО")
    return {flag: level in found for level, (_, _, flag) in LEVELS.items()}


def parse_fields(values: Mapping[str, object]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a school's fields as written (text from a file or a form, or Python values).

    Only the keys present in ``values`` are read (see :data:`LABELS`); the result is the
    school's attributes they set (``district`` is the district's name) and Russian messages
    keyed by field. The grades' cells all blank mean "not given": the enrolment stored stays.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, limit in (("district", 300), ("code", 32), ("name", 300), ("short_name", 150)):
        if key not in values:
            continue
        text = _text(values[key])
        if not text and key != "short_name":
            errors[key] = "не заполнено"
        elif len(text) > limit:
            errors[key] = f"длиннее {limit} символов"
        elif key == "code" and not CODE_RE.match(text):
            errors[key] = f"«{text}» — код из букв и цифр (допустимы также . - _), без пробелов"
        else:
            clean[key] = text
    if "locality" in values:
        word = _text(values["locality"]).casefold().replace("ё", "е")
        if word in LOCALITY_WORDS:
            clean["locality"] = LOCALITY_WORDS[word]
        else:
            shown = _text(values["locality"])
            errors["locality"] = (
                f"«{shown}» — нужно «городская» или «сельская»" if shown else "не заполнено"
            )
    if "levels" in values:
        try:
            clean.update(_levels(values["levels"]))
        except ValueError as exc:
            errors["levels"] = str(exc)
    for key in FLAGS:
        if key in values:
            try:
                clean[key] = _flag(values[key])
            except ValueError as exc:
                errors[key] = f"«{_text(values[key])}» — {exc}"
    if "teachers" in values:
        try:
            clean["teachers"] = _count(values["teachers"])
        except ValueError as exc:
            errors["teachers"] = str(exc)
    grade_keys = [f"grade_{g}" for g in GRADES if f"grade_{g}" in values]
    if grade_keys and any(_text(values[k]) for k in grade_keys):
        by_grade: dict[str, int] = {}
        for key in grade_keys:
            try:
                by_grade[key.removeprefix("grade_")] = _count(values[key])
            except ValueError as exc:
                errors[key] = str(exc)
        clean["enrolment_by_grade"] = by_grade
    return clean, errors


def per_level(by_grade: Mapping[str, int]) -> dict[str, int]:
    """Enrolment per level (the response rates' denominators) from enrolment per grade."""
    return {
        f"enrolment_{level}": sum(int(by_grade.get(str(g), 0)) for g in grades)
        for level, (_, grades, _) in LEVELS.items()
    }


def _state(school: m.School | None, clean: Mapping[str, Any]) -> dict[str, Any]:
    """The school's attributes after ``clean`` is applied (a new school from its defaults)."""
    state: dict[str, Any] = {
        "code": "",
        "name": "",
        "short_name": "",
        "locality": m.Locality.urban.value,
        **{flag: True for _, _, flag in LEVELS.values()},
        **dict.fromkeys(FLAGS, False),
        "enrolment_by_grade": {},
        "enrolment_primary": 0,
        "enrolment_basic": 0,
        "enrolment_secondary": 0,
        "teachers": 0,
    }
    if school is not None:
        state.update({a: getattr(school, a) for a in ATTRIBUTES})
    state.update({k: v for k, v in clean.items() if k in ATTRIBUTES})
    if "enrolment_by_grade" in clean:
        state.update(per_level(clean["enrolment_by_grade"]))
    return state


def _level_errors(state: Mapping[str, Any], given: Collection[str]) -> dict[str, str]:
    """Pupils in a grade whose level the school does not teach."""
    errors: dict[str, str] = {}
    by_grade = state["enrolment_by_grade"] or {}
    for code, grades, flag in LEVELS.values():
        if state[flag]:
            continue
        for grade in grades:
            if int(by_grade.get(str(grade), 0)) > 0:
                key = f"grade_{grade}" if f"grade_{grade}" in given else "levels"
                errors.setdefault(
                    key,
                    f"в {grade} классе указаны обучающиеся, но уровень {code} "
                    f"({grades.start}–{grades.stop - 1} классы) не отмечен",
                )
    return errors


def plan_school(
    school: m.School | None, clean: Mapping[str, Any], given: Collection[str]
) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """What saving ``clean`` would change on ``school`` (None: a new one), as
    ``{attribute: [old, new]}``, and the errors of the fields taken together."""
    state = _state(school, clean)
    errors = _level_errors(state, given)
    before = _state(school, {}) if school is not None else dict.fromkeys(state)
    changes = {a: [before[a], state[a]] for a in ATTRIBUTES if before[a] != state[a]}
    return changes, errors


def in_campaigns(session: Session, school: m.School) -> bool:
    found = session.scalar(
        select(m.CampaignSchool.campaign_id).where(m.CampaignSchool.school_id == school.id)
    )
    return found is not None


def apply_school(
    session: Session,
    school: m.School | None,
    district: m.District,
    changes: Mapping[str, list[Any]],
    *,
    user_id: int | None,
    via: str,
    source: str = "",
) -> m.School:
    """Store planned ``changes`` (from :func:`plan_school`) and audit them."""
    created = school is None
    if school is None:
        school = m.School(district_id=district.id, **{a: new for a, (_, new) in changes.items()})
        session.add(school)
    else:
        for attribute, (_, new) in changes.items():
            setattr(school, attribute, new)
    moved = school.district_id != district.id
    audited = dict(changes)
    if moved:
        old = session.get(m.District, school.district_id)
        audited["district"] = [old.name if old else None, district.name]
        school.district_id = district.id
    if created:
        audited["district"] = [None, district.name]
    session.flush()
    if created or audited:
        details: dict[str, Any] = {"changed": audited, "via": via}
        if source:
            details["file"] = source
        audit.record(
            session,
            "school_created" if created else "school_edited",
            user_id=user_id,
            target=f"school {school.code}",
            details=details,
        )
    return school


def save_school(
    session: Session,
    user: m.User,
    values: Mapping[str, object],
    *,
    school: m.School | None = None,
    via: str = "web",
) -> m.School:
    """Create (``school`` None) or change a school from a form's fields.

    Raises
    ------
    FieldsInvalid
        With a Russian message per wrong field; nothing is stored.
    """
    clean, errors = parse_fields(values)
    district = None
    if "district" in clean:
        district = districts_by_key(session).get(district_key(clean["district"]))
        if district is None or not access.can_manage_district(user, district.id):
            errors["district"] = "выберите район из списка"
    elif school is not None:
        district = session.get(m.District, school.district_id)
    if "code" in clean:
        other = session.scalar(select(m.School).where(m.School.code == clean["code"]))
        if other is not None and other is not school:
            errors["code"] = f"школа с кодом «{clean['code']}» уже есть"
    if (
        school is not None
        and district is not None
        and district.id != school.district_id
        and in_campaigns(session, school)
    ):
        errors["district"] = "школа участвует в кампаниях своего района; перенос невозможен"
    changes, level_errors = plan_school(school, clean, values.keys())
    for key, message in level_errors.items():
        errors.setdefault(key, message)
    if errors or district is None:
        raise FieldsInvalid(errors or {"district": "не заполнено"})
    return apply_school(session, school, district, changes, user_id=user.id, via=via)


def find_school(session: Session, code: str) -> m.School | None:
    return session.scalar(select(m.School).where(m.School.code == code))


def school_values(session: Session, school: m.School) -> dict[str, object]:
    """A school's fields as a form shows them (the inverse of :func:`parse_fields`)."""
    district = session.get(m.District, school.district_id)
    values: dict[str, object] = {
        "district": district.name if district else "",
        "code": school.code,
        "name": school.name,
        "short_name": school.short_name,
        "locality": school.locality,
        "levels": [code for code, _, flag in LEVELS.values() if getattr(school, flag)],
        "teachers": school.teachers,
        **{flag: getattr(school, flag) for flag in FLAGS},
    }
    by_grade = school.enrolment_by_grade or {}
    for grade in GRADES:
        values[f"grade_{grade}"] = by_grade.get(str(grade), "") if by_grade else ""
    return values


def set_school_active(
    session: Session, school: m.School, active: bool, *, user_id: int | None, via: str = "web"
) -> bool:
    """Deactivate (or bring back) a school; its data stays. Returns whether it changed."""
    if school.is_active == active:
        return False
    school.is_active = active
    audit.record(
        session,
        "school_reactivated" if active else "school_deactivated",
        user_id=user_id,
        target=f"school {school.code}",
        details={"changed": {"is_active": [not active, active]}, "via": via},
    )
    session.flush()
    return True
