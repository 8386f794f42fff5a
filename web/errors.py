"""The one place where errors become pages (HTML) or JSON, with Russian messages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from surveys.errors import SurveysError

MESSAGES = {
    400: "Запрос не может быть обработан.",
    401: "Войдите в систему, чтобы открыть эту страницу.",
    403: "У вас нет доступа к этой странице.",
    404: "Страница не найдена.",
    405: "Этот метод запроса не поддерживается.",
    410: "Приём ответов закрыт.",
    413: "Слишком большой объём отправленных данных.",
    429: "Слишком много запросов. Подождите немного и попробуйте снова.",
    500: "Внутренняя ошибка. Мы уже знаем о ней; попробуйте позже.",
}


def render_error(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    text = message or MESSAGES.get(status, MESSAGES[400])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=text, status=status), status
    return render_template("error.html", status=status, message=text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(SurveysError)
    def _domain(exc: SurveysError):  # type: ignore[no-untyped-def]
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            "Срок действия формы истёк или она была отправлена не со страницы сайта. "
            "Обновите страницу и отправьте ещё раз.",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(exc.code or 500)
