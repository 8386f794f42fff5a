"""Personal one-time tokens printed on slips: issuing them, and letting their holder in.

Only a hash of each token is stored. A token's use is recorded on the token (the date), never
on the response; while the holder's questionnaire is unfinished the token points at it, so
the holder can resume on another day or device, and that pointer is cleared on completion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import new_link_code
from surveys.errors import Conflict, InvalidInput
from surveys.responses import new_submission_id
from surveys.throttle import hit

# No 0/O, 1/I/L: read off paper and typed on a phone. 8 characters of 31: ~40 bits, and
# guessing is throttled per link.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_LENGTH = 8
MAX_BATCH = 1000
ATTEMPTS_PER_WINDOW = 30
WINDOW = dt.timedelta(minutes=10)


def token_hash(token: str) -> str:
    return hashlib.sha256(normalise(token).encode("ascii", "ignore")).hexdigest()


def normalise(token: str) -> str:
    """Upper case without spaces or dashes; Cyrillic look-alikes typed by mistake mapped."""
    lookalikes = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")
    return "".join(c for c in token.upper().translate(lookalikes) if c.isalnum())


def token_link(session: Session, open_link: m.SurveyLink) -> m.SurveyLink:
    """The token link beside an open link (same school, audience, class), made on demand."""
    link = session.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == open_link.campaign_id,
            m.SurveyLink.school_id == open_link.school_id,
            m.SurveyLink.audience == open_link.audience,
            m.SurveyLink.requires_token.is_(True),
            (m.SurveyLink.class_name == open_link.class_name)
            if open_link.class_name
            else m.SurveyLink.class_name.is_(None),
        )
    )
    if link is None:
        link = m.SurveyLink(
            code=new_link_code(),
            campaign_id=open_link.campaign_id,
            school_id=open_link.school_id,
            audience=open_link.audience,
            class_name=open_link.class_name,
            requires_token=True,
        )
        session.add(link)
        session.flush()
    return link


def issue_tokens(session: Session, link: m.SurveyLink, count: int) -> list[str]:
    """``count`` new tokens for a token link; the plain tokens exist only in the return value."""
    if not link.requires_token:
        raise InvalidInput("Личные коды выдаются только для ссылки с кодами.")
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"Число кодов — от 1 до {MAX_BATCH}.")
    tokens: list[str] = []
    while len(tokens) < count:
        token = "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))
        digest = token_hash(token)
        if token in tokens or session.scalar(
            select(m.PersonalToken.id).where(m.PersonalToken.token_hash == digest)
        ):
            continue
        tokens.append(token)
        session.add(m.PersonalToken(link_id=link.id, token_hash=digest))
    session.flush()
    return tokens


def redeem(session: Session, link: m.SurveyLink, token: str, *, today: dt.date) -> str:
    """Let a token's holder in: the submission id to work on (a new one, or the unfinished
    one the token started). Attempts are throttled per link, not per address.

    Raises
    ------
    InvalidInput
        Unknown token, or one already used to finish a questionnaire.
    TooManyAttempts
        Too many attempts on this link lately.
    """
    hit(session, f"token:{link.id}", limit=ATTEMPTS_PER_WINDOW, window=WINDOW)
    record = session.scalar(
        select(m.PersonalToken).where(
            m.PersonalToken.link_id == link.id,
            m.PersonalToken.token_hash == token_hash(token),
        )
    )
    if record is None:
        raise InvalidInput("Такого кода нет. Проверьте код на листке и введите его ещё раз.")
    if record.used_on is not None and record.resume_submission_id is None:
        raise Conflict("Этот код уже использован: анкета по нему заполнена.")
    if record.resume_submission_id is None:
        record.resume_submission_id = new_submission_id()
    record.used_on = record.used_on or today
    session.flush()
    return record.resume_submission_id
