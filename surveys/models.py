"""SQLAlchemy 2.0 typed models of the core domain: district to response, assessments and audit."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Defined without SQLAlchemy so that the command line can offer them cheaply; used here as
# m.Role, m.AudienceKind and so on.
from surveys.enums import (
    AudienceKind,
    CampaignStatus,
    Locality,
    ResponseStatus,
    Role,
    VersionStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        dt.datetime: DateTime(timezone=True),
        dt.date: Date(),
    }


intpk = Annotated[int, mapped_column(primary_key=True)]
code = Annotated[str, mapped_column(String(32))]
name = Annotated[str, mapped_column(String(300))]
created_at = Annotated[dt.datetime, mapped_column(server_default=func.now())]


def _choices(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class District(Base):
    __tablename__ = "district"

    id: Mapped[intpk]
    name: Mapped[name] = mapped_column(unique=True)
    region: Mapped[str] = mapped_column(String(300), server_default="")
    # Free-form settings; the demo generator keeps its planted truth here under "demo_truth".
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'"))
    created_at: Mapped[created_at]

    schools: Mapped[list[School]] = relationship(
        back_populates="district", lazy="raise", order_by="School.code"
    )


class School(Base):
    __tablename__ = "school"
    __table_args__ = (_choices("locality", Locality),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    # The regional code of the school (the one the region's own lists use).
    code: Mapped[code] = mapped_column(unique=True)
    name: Mapped[name]
    short_name: Mapped[str] = mapped_column(String(150), server_default="")
    kind: Mapped[str] = mapped_column(String(100), server_default="")
    locality: Mapped[str] = mapped_column(String(8), server_default=Locality.urban.value)
    low_results: Mapped[bool] = mapped_column(server_default=false())
    adverse_conditions: Mapped[bool] = mapped_column(server_default=false())
    # Levels of education taught: НОО (1–4), ООО (5–9), СОО (10–11).
    teaches_primary: Mapped[bool] = mapped_column(server_default=true())
    teaches_basic: Mapped[bool] = mapped_column(server_default=true())
    teaches_secondary: Mapped[bool] = mapped_column(server_default=true())
    # Enrolment per grade, {"1": n, ..., "11": n}; empty when only the per-level figures are
    # known. When it is given, the per-level columns below are derived from it.
    enrolment_by_grade: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'"))
    # Enrolment per level of education, the denominators of response rates.
    enrolment_primary: Mapped[int] = mapped_column(server_default="0")
    enrolment_basic: Mapped[int] = mapped_column(server_default="0")
    enrolment_secondary: Mapped[int] = mapped_column(server_default="0")
    teachers: Mapped[int] = mapped_column(server_default="0")
    # Specialists on the staff (roadmaps assign measures to them, or to outside partners):
    # педагог-психолог, учитель-логопед or дефектолог, социальный педагог.
    has_psychologist: Mapped[bool] = mapped_column(server_default=false())
    has_speech_specialist: Mapped[bool] = mapped_column(server_default=false())
    has_social_pedagogue: Mapped[bool] = mapped_column(server_default=false())
    # A deactivated school keeps its data and history but is offered to no new campaign.
    is_active: Mapped[bool] = mapped_column(server_default=true())

    district: Mapped[District] = relationship(back_populates="schools", lazy="raise")

    @property
    def enrolment(self) -> int:
        return self.enrolment_primary + self.enrolment_basic + self.enrolment_secondary


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (_choices("role", Role),)

    id: Mapped[intpk]
    login: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    full_name: Mapped[str] = mapped_column(String(300), server_default="")
    # Должность, as documents sign it ("заместитель директора по УВР").
    position: Mapped[str] = mapped_column(String(200), server_default="")
    role: Mapped[str] = mapped_column(String(16))
    # Scope: a coordinator or psychologist works in a district, a deputy in one school;
    # an admin has neither.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    is_active: Mapped[bool] = mapped_column(server_default=true())
    # Bumped when the password changes or the account is deactivated: a signed-in session
    # carries the number it was opened with, and one with an older number is over.
    session_version: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[created_at]

    school: Mapped[School | None] = relationship(lazy="raise")
    district: Mapped[District | None] = relationship(lazy="raise")


class PasswordToken(Base):
    """A one-time link to set a password (a new account, or a reset by an administrator).

    Only the SHA-256 of the token is kept; the link is shown once to whoever made it.
    """

    __tablename__ = "password_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class Instrument(Base):
    __tablename__ = "instrument"
    __table_args__ = (_choices("audience", AudienceKind),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(48), unique=True)
    audience: Mapped[str] = mapped_column(String(16))
    title: Mapped[name]
    builtin: Mapped[bool] = mapped_column(server_default=false())
    created_at: Mapped[created_at]

    versions: Mapped[list[InstrumentVersion]] = relationship(
        back_populates="instrument", lazy="raise", order_by="InstrumentVersion.version"
    )


class InstrumentVersion(Base):
    """One immutable version of an instrument; responses pin it so scoring never drifts."""

    __tablename__ = "instrument_version"
    __table_args__ = (
        UniqueConstraint("instrument_id", "version"),
        _choices("status", VersionStatus),
    )

    id: Mapped[intpk]
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), server_default=VersionStatus.draft.value)
    definition: Mapped[dict[str, Any]]
    # sha256 of the canonical JSON of the definition, to detect a changed built-in file.
    checksum: Mapped[str] = mapped_column(String(64))
    # The text a psychologist edits (YAML); for a draft it may be ahead of ``definition``,
    # which always holds the last valid state.
    source_text: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    published_at: Mapped[dt.datetime | None]

    instrument: Mapped[Instrument] = relationship(back_populates="versions", lazy="raise")


class Campaign(Base):
    """A wave of the diagnostic study across a set of a district's schools."""

    __tablename__ = "campaign"
    __table_args__ = (
        _choices("status", CampaignStatus),
        CheckConstraint("min_group_size >= 1", name="min_group_size_positive"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    title: Mapped[name]
    period: Mapped[str] = mapped_column(String(32), server_default="")
    opens_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(16), server_default=CampaignStatus.draft.value)
    anonymous: Mapped[bool] = mapped_column(server_default=true())
    min_group_size: Mapped[int] = mapped_column(server_default="5")
    # Leave responses flagged for data quality (too fast, straight-lined) out of analysis.
    exclude_flagged: Mapped[bool] = mapped_column(server_default=false())
    # The reference of z-scores: a frozen benchmark, or NULL for the campaign's own schools.
    # use_alter breaks the campaign <-> benchmark cycle when tables are sorted.
    benchmark_id: Mapped[int | None] = mapped_column(
        ForeignKey("benchmark.id", ondelete="SET NULL", use_alter=True)
    )
    # The earlier wave this one is compared with (dynamics), if any.
    previous_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]

    district: Mapped[District] = relationship(lazy="raise")
    fieldings: Mapped[list[Fielding]] = relationship(back_populates="campaign", lazy="raise")
    schools: Mapped[list[School]] = relationship(
        secondary="campaign_school", lazy="raise", order_by="School.code"
    )


class Benchmark(Base):
    """A frozen reference: per-indicator mean and SD over a past campaign's schools.

    ``stats`` is computed once, when the benchmark is made, so later answers or imports into
    the source campaign do not move it: ``{"indicators": {code: {"mean", "sd", "schools"}},
    "instrument_versions": {instrument code: version id}, "schools": n, "min_group_size": k}``
    (benchmarks frozen before campaigns had several forms per audience key the versions by
    audience).
    """

    __tablename__ = "benchmark"

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    title: Mapped[name]
    source_campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    created_at: Mapped[created_at]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    stats: Mapped[dict[str, Any]]


class CampaignSchool(Base):
    __tablename__ = "campaign_school"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)


class Fielding(Base):
    """Which instrument version a campaign gives to which audience; an audience may get
    several forms (the grades 2–4 and 5–11 questionnaires for students in one wave)."""

    __tablename__ = "fielding"
    __table_args__ = (
        UniqueConstraint("campaign_id", "instrument_version_id"),
        _choices("audience", AudienceKind),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    audience: Mapped[str] = mapped_column(String(16))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))

    campaign: Mapped[Campaign] = relationship(back_populates="fieldings", lazy="raise")
    instrument_version: Mapped[InstrumentVersion] = relationship(lazy="raise")


class SurveyLink(Base):
    """An open link for one school and audience (optionally one class) in a campaign."""

    __tablename__ = "survey_link"
    __table_args__ = (
        _choices("audience", AudienceKind),
        CheckConstraint("enrolment IS NULL OR enrolment > 0", name="enrolment_positive"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    # The form (fielding) the link opens; each school gets a link per form of an audience.
    fielding_id: Mapped[int] = mapped_column(ForeignKey("fielding.id"), index=True)
    class_name: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(server_default=true())
    # A token link admits only holders of its personal one-time tokens (printed slips).
    requires_token: Mapped[bool] = mapped_column(server_default=false())
    # A class link's denominator of the response rate: the students of the class (or their
    # families), entered by staff; NULL when unknown and for school-wide links, whose rate
    # comes from the school's enrolment figures.
    enrolment: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[created_at]

    campaign: Mapped[Campaign] = relationship(lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")


class PersonalToken(Base):
    """A one-time token on a printed slip; its use is recorded here, never on the response."""

    __tablename__ = "personal_token"

    id: Mapped[intpk]
    link_id: Mapped[int] = mapped_column(ForeignKey("survey_link.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_on: Mapped[dt.date | None]
    # While the holder's questionnaire is unfinished, the token resumes it; cleared when it is
    # finished, so that nothing then ties the response to the token.
    resume_submission_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[created_at]


class Response(Base):
    """One submission. Anonymous: only the date is kept, and nothing ties it to a token or IP."""

    __tablename__ = "response"
    __table_args__ = (
        _choices("status", ResponseStatus),
        _choices("audience", AudienceKind),
        Index("ix_response_campaign_school_audience", "campaign_id", "school_id", "audience"),
    )

    id: Mapped[intpk]
    # Chosen by the form when it is first shown; a retried submission carries the same id.
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("survey_link.id"))
    audience: Mapped[str] = mapped_column(String(16))
    class_name: Mapped[str | None] = mapped_column(String(16))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    answers: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), server_default=ResponseStatus.complete.value)
    # Pages (sections) finished so far; a partial response resumes after the last of them.
    progress: Mapped[int] = mapped_column(server_default="0")
    submitted_on: Mapped[dt.date]
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[Any]] = mapped_column(server_default=text("'[]'"))
    source: Mapped[str] = mapped_column(String(16), server_default="web")


class AssessmentResult(Base):
    """School results of an external assessment (ВПР, ОГЭ, ЕГЭ) or term marks."""

    __tablename__ = "assessment_result"
    __table_args__ = (
        UniqueConstraint("school_id", "year", "assessment", "subject", "grade"),
        CheckConstraint("share_failing >= 0 AND share_failing <= 1", name="share_failing_range"),
        CheckConstraint("participants >= 0", name="participants_non_negative"),
    )

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    year: Mapped[int]
    assessment: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(100))
    grade: Mapped[int]
    participants: Mapped[int]
    mean_score: Mapped[float | None]
    share_failing: Mapped[float | None]


class Throttle(Base):
    """Attempts per key (e.g. token entry on one link) in fixed time windows, shared by all
    workers through the database; never keyed by a respondent's address."""

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(server_default="0")


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[intpk]
    at: Mapped[created_at] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'"))
    note: Mapped[str] = mapped_column(Text, server_default="")
