"""How the platform orders and names the audiences (who answers a form), in one place for the
staff pages, the designer, the exported files and the school's reference."""

from __future__ import annotations

from instruments.schema import Audience

#: audiences in the order references, pages and files show them
AUDIENCE_ORDER: tuple[str, ...] = tuple(a.value for a in Audience)

#: the respondents as a group, inside a sentence or a table cell ("обучающиеся, анкета «…»")
AUDIENCE_NAMES: dict[str, str] = {
    Audience.student.value: "обучающиеся",
    Audience.parent.value: "родители",
    Audience.teacher.value: "педагоги",
    Audience.specialist.value: "специалисты",
    Audience.administration.value: "администрация",
}

#: who answers a new form, as the designer offers the choice: the administration answers for
#: the school, which the short name leaves unsaid
RESPONDENT_CHOICES: dict[str, str] = {
    **AUDIENCE_NAMES,
    Audience.administration.value: "администрация школы",
}

#: the heading of an audience's part of a school's reference (a parent answers as the child's
#: legal representative)
AUDIENCE_HEADINGS: dict[str, str] = {
    Audience.student.value: "Обучающиеся",
    Audience.parent.value: "Родители (законные представители)",
    Audience.teacher.value: "Педагоги",
    Audience.specialist.value: "Специалисты",
    Audience.administration.value: "Администрация школы",
}
