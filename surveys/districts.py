"""Districts: creating them (by the administrator), finding them by name, listing them with
their schools counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from surveys import access, audit
from surveys import models as m
from surveys.errors import Conflict, InvalidInput


def district_key(name: str) -> str:
    """Districts match whatever the case, spacing or ё/е of their name."""
    return " ".join(name.split()).casefold().replace("ё", "е")


def districts_by_key(session: Session) -> dict[str, m.District]:
    return {district_key(d.name): d for d in session.scalars(select(m.District))}


def find_district(session: Session, name: str) -> m.District | None:
    """The district named ``name`` as a person types it (another case, spacing, ё for е)."""
    exact = session.scalar(select(m.District).where(m.District.name == name))
    return exact if exact is not None else districts_by_key(session).get(district_key(name))


def create_district(
    session: Session, name: str, region: str = "", *, user_id: int | None, via: str = "web"
) -> m.District:
    name, region = " ".join(name.split()), " ".join(region.split())
    if not name:
        raise InvalidInput("Укажите название района.")
    if len(name) > 300 or len(region) > 300:
        raise InvalidInput("Название района и региона — не длиннее 300 символов.")
    if district_key(name) in districts_by_key(session):
        raise Conflict(f"Район «{name}» уже есть.")
    district = m.District(name=name, region=region)
    session.add(district)
    session.flush()
    audit.record(
        session,
        "district_created",
        user_id=user_id,
        target=f"district {district.id}",
        details={"changed": {"name": [None, name], "region": [None, region]}, "via": via},
    )
    return district


@dataclass(frozen=True)
class DistrictRow:
    district: m.District
    schools: int
    active: int


def district_rows(session: Session, user: m.User | None = None) -> list[DistrictRow]:
    """Districts (those ``user`` may see; all for the command line) with school counts."""
    query = access.visible_districts(user) if user else select(m.District).order_by(m.District.name)
    counts = {
        district_id: (total, active or 0)
        for district_id, total, active in session.execute(
            select(
                m.School.district_id,
                func.count(),
                func.sum(case((m.School.is_active, 1), else_=0)),
            ).group_by(m.School.district_id)
        )
    }
    return [DistrictRow(d, *counts.get(d.id, (0, 0))) for d in session.scalars(query)]


@dataclass(frozen=True)
class SetupSteps:
    """How far a new installation has come, as ``user`` sees it: the staff home lists the
    steps left (a district, its schools, staff accounts, a campaign) until all are done."""

    districts: int
    schools: int
    staff: int
    campaigns: int
    #: a district with schools, where the first campaign can be made
    campaign_district_id: int | None = None

    @property
    def complete(self) -> bool:
        # Staff accounts are optional (one administrator may run a small district alone).
        return bool(self.districts and self.schools and self.campaigns)


def setup_steps(session: Session, user: m.User) -> SetupSteps:
    def count(query: Select[Any]) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return SetupSteps(
        districts=count(access.visible_districts(user)),
        schools=count(access.visible_schools(user)),
        staff=count(access.visible_users(session, user).where(m.User.id != user.id)),
        campaigns=count(access.visible_campaigns(session, user)),
        campaign_district_id=session.scalar(
            access.visible_schools(user)
            .where(m.School.is_active)
            .with_only_columns(m.School.district_id)
            .limit(1)
        ),
    )
