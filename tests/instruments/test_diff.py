"""Differences between instrument versions."""

from __future__ import annotations

from instruments.diff import diff_instruments
from instruments.library import builtin


def test_identical_versions_have_no_changes() -> None:
    student = builtin("student_5_11")
    assert diff_instruments(student, student.model_copy(update={"version": 2})) == []


def test_added_removed_changed_and_reordered() -> None:
    old = builtin("student_5_11")
    data = old.model_dump(mode="json", exclude_defaults=True)
    items = data["sections"][1]["items"]
    items[0]["text"]["ru"] = "Новая формулировка."
    removed = items.pop(1)["code"]
    items.append({"code": "mot_new", "type": "likert", "response_scale": "agree4", "text": "Ещё"})
    items[1], items[2] = items[2], items[1]
    data["scales"] = [s for s in data["scales"] if s["code"] != "home_support"]
    data["scales"][0]["items"] = [c for c in data["scales"][0]["items"] if c != removed]
    new = type(old).model_validate(data)
    text = [str(c) for c in diff_instruments(old, new)]
    assert "изменено: вопрос «mot_int_1» (text)" in text
    assert f"удалено: вопрос «{removed}»" in text
    assert "добавлено: вопрос «mot_new»" in text
    assert "удалено: шкала «home_support»" in text
    assert "изменено: шкала «motivation_intrinsic» (items)" in text
    assert "изменено: методика «student_5_11» (порядок вопросов)" in text
