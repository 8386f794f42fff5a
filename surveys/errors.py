"""Domain errors of the surveys package; the web layer maps each to an HTTP status in one place."""

from __future__ import annotations


class SurveysError(Exception):
    """Base of domain errors; ``message`` is shown to the user (Russian)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SurveysError):
    status = 404


class Conflict(SurveysError):
    status = 409


class Forbidden(SurveysError):
    """An action the user's role never has (an object outside their scope is NotFound)."""

    status = 403


class InvalidInput(SurveysError):
    status = 400


class LinkClosed(SurveysError):
    """The campaign is not accepting answers through this link (dates, status, deactivated)."""

    status = 410


class AnswersInvalid(SurveysError):
    """Submitted answers do not fit the pinned instrument version; errors keyed by item code."""

    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Ответы заполнены с ошибками.")
        self.errors = errors


class FieldsInvalid(SurveysError):
    """A form's fields do not pass the domain's checks; Russian messages keyed by field name."""

    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Поля заполнены с ошибками: " + "; ".join(errors.values()))
        self.errors = errors
