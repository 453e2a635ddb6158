"""Request dependencies: the store session, the authenticated caller, role and jurisdiction checks.

Roles: ``congress`` sees aggregates only (figures, reports, charts) — never case-level data, so never a
name, ID number or address of a natural person; ``supervisor`` also sees case-level lists inside their
jurisdiction (a region-code prefix); ``admin`` sees everything its region prefix allows (usually all).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.errors import forbidden_region, forbidden_role, token_config_broken, unauthorized
from hub.api.tokens import Principal, TokenConfigError, TokenStore
from hub.reports.figures import district_condition, resolve_agency
from hub.store.models import Case

bearer = HTTPBearer(auto_error=False, description="pilhub API token: `Authorization: Bearer pil_…`")

AGGREGATE_ROLES: tuple[str, ...] = ("congress", "supervisor", "admin")
CASE_ROLES: tuple[str, ...] = ("supervisor", "admin")
_REGION_CODE = re.compile(r"^\d{6}$")


def get_session(request: Request) -> Iterator[Session]:
    """A read-only session on the store (writes — audit entries — go through :func:`audit_session`)."""
    factory = request.app.state.session_factory()
    with factory() as session:
        yield session


@contextmanager
def audit_session(request: Request) -> Iterator[Session]:
    """A short write transaction for one audit entry: begun, written and committed, nothing else inside."""
    factory = request.app.state.writer_factory()
    with factory() as session, session.begin():
        yield session


def get_principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    store: TokenStore = request.app.state.tokens
    try:
        principal = store.authenticate(credentials.credentials, today=request.app.state.today())
    except TokenConfigError:
        raise token_config_broken() from None
    if principal is None:
        raise unauthorized()
    request.state.principal = principal
    return principal


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only ``roles`` (403 otherwise)."""

    def check(principal: Principal = Depends(get_principal)) -> Principal:
        if principal.role not in roles:
            raise forbidden_role(principal.role, roles)
        return principal

    return check


def check_district(session: Session, principal: Principal, district: str | None) -> None:
    """403 when a named district lies outside the caller's jurisdiction (unknown districts just match nothing)."""
    if not district or not principal.region:
        return
    codes = {
        code for (code,) in session.execute(select(Case.region_code).where(district_condition(district)).distinct())
    }
    if _REGION_CODE.match(district):
        codes.add(district)
    if any(not principal.covers(code) for code in codes):
        raise forbidden_region("地区", "district")


def check_agency(session: Session, principal: Principal, agency: str | None) -> None:
    """403 when the named agency belongs to another jurisdiction."""
    if not agency or not principal.region:
        return
    found = resolve_agency(session, agency)
    if found is not None and found.region_code is not None and not principal.covers(found.region_code):
        raise forbidden_region("机关", "agency")
