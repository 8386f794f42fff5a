"""Personal one-time tokens printed on slips: issuing them, and letting their holder in.

Only a hash of each token is stored. A token's use is recorded on the token (the date), never
on the response; while the holder's questionnaire is unfinished the token points at it, so
the holder can resume on another day or device, and that pointer is cleared on completion,
and for unfinished ones when the campaign is closed or its close date has passed
(:func:`forget_progress`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from surveys import models as m
from surveys.campaigns import new_link_code
from surveys.errors import Conflict, InvalidInput
from surveys.responses import new_submission_id
from surveys.throttle import TOO_MANY, TooManyAttempts, record, refuse_past

# No 0/O, 1/I/L: read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_LENGTH = 8
MAX_BATCH = 1000
# Failed attempts (unknown or malformed tokens) per link and window; right tokens do not
# count, so a class or a parents' meeting can enter theirs at once. Per link, never per
# address: a school shares one. Once the limit is reached every attempt on the link is
# refused until the window ends (a right token too, or the refusal would tell a guesser).
# Guessing stays infeasible: 31**8 = 852,891,037,441 tokens (~39.6 bits); at 30 guesses per
# 10 minutes a link takes 4,320 a day, and with 1,000 tokens issued on it each guess hits
# with probability 1,000 / 8.5e11 = 1.2e-9: 5e-6 a day, 3e-4 over a 60-day campaign.
FAILURES_PER_WINDOW = 30
WINDOW = dt.timedelta(minutes=10)


def token_hash(token: str) -> str:
    return hashlib.sha256(normalise(token).encode("ascii", "ignore")).hexdigest()


def normalise(token: str) -> str:
    """Upper case without spaces or dashes; Cyrillic look-alikes typed by mistake mapped."""
    lookalikes = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")
    return "".join(c for c in token.upper().translate(lookalikes) if c.isalnum())


def token_link(session: Session, open_link: m.SurveyLink) -> m.SurveyLink:
    """The token link beside an open link (same school, form, class), made on demand."""
    link = session.scalar(
        select(m.SurveyLink).where(
            m.SurveyLink.campaign_id == open_link.campaign_id,
            m.SurveyLink.school_id == open_link.school_id,
            m.SurveyLink.fielding_id == open_link.fielding_id,
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
            fielding_id=open_link.fielding_id,
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
    one the token started). Failed attempts are throttled per link, not per address; the
    failure is counted in a transaction of its own, so it stays counted whatever the caller
    does with its own (surveys.throttle.record).

    Raises
    ------
    InvalidInput
        Unknown or malformed token.
    Conflict
        A token already used to finish a questionnaire.
    TooManyAttempts
        Too many failed attempts on this link lately.
    """
    key = f"token:{link.id}"
    refuse_past(session, key, limit=FAILURES_PER_WINDOW, window=WINDOW)
    plain = normalise(token)
    found = None
    if len(plain) == TOKEN_LENGTH and all(c in ALPHABET for c in plain):
        found = session.scalar(
            select(m.PersonalToken).where(
                m.PersonalToken.link_id == link.id,
                m.PersonalToken.token_hash == token_hash(plain),
            )
        )
    if found is None:
        if record(session, key, window=WINDOW) > FAILURES_PER_WINDOW:
            raise TooManyAttempts(TOO_MANY)  # others failed at the same time
        raise InvalidInput("Такого кода нет. Проверьте код на листке и введите его ещё раз.")
    if found.used_on is not None and found.resume_submission_id is None:
        raise Conflict("Этот код уже использован: анкета по нему заполнена.")
    if found.resume_submission_id is None:
        found.resume_submission_id = new_submission_id()
    found.used_on = found.used_on or today
    session.flush()
    return found.resume_submission_id


def forget_progress(
    session: Session, *, campaign_id: int | None = None, today: dt.date | None = None
) -> int:
    """Clear the tokens' pointers to unfinished questionnaires (keeping ``used_on``), so that
    an abandoned partial response is tied to no token once answering is over: of one campaign
    (when it is closed), or of every campaign that is closed or whose close date is before
    ``today`` (the local date by default). A token so cleared lets nobody in again (it is
    spent). Returns the number of tokens cleared; the caller commits.
    """
    links = select(m.SurveyLink.id)
    if campaign_id is not None:
        links = links.where(m.SurveyLink.campaign_id == campaign_id)
    else:
        ended = or_(
            m.Campaign.status == m.CampaignStatus.closed.value,
            m.Campaign.closes_on < (today or dt.date.today()),
        )
        links = links.join(m.Campaign, m.Campaign.id == m.SurveyLink.campaign_id).where(ended)
    result = session.execute(
        update(m.PersonalToken)
        .where(
            m.PersonalToken.link_id.in_(links),
            m.PersonalToken.resume_submission_id.is_not(None),
        )
        .values(resume_submission_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
