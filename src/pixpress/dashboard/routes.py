"""The dashboard's pages: sign-in and out, the overview, tokens, and a token's usage reset."""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from pixpress.api.dependencies import QueueDep, QuotaDep, RecordsDep, SettingsDep, client_address
from pixpress.dashboard import queries
from pixpress.dashboard.charts import Point, bar_chart, line_chart
from pixpress.dashboard.csrf import FIELD, csrf_ok
from pixpress.dashboard.pages import redirect, render
from pixpress.dashboard.session import Session
from pixpress.dashboard.state import Dashboard, SignInRequired
from pixpress.errors import AdminRequired, RateLimited
from pixpress.quota.info import MB
from pixpress.usecases.quota import reset_usage_by_hash

log = logging.getLogger("pixpress.dashboard")
router = APIRouter(prefix="/admin", include_in_schema=False)

TOKEN_HASH = re.compile(r"^[0-9a-f]{64}$")
MAX_TOKEN_FIELD_CHARS = 4096


def get_dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def admin_session(request: Request, dashboard: Annotated[Dashboard, Depends(get_dashboard)]) -> Session:
    session = dashboard.admin_session(request)
    if session is None:
        raise SignInRequired()
    return session


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]
SessionDep = Annotated[Session, Depends(admin_session)]
PageQuery = Annotated[int, Query(ge=1, le=1_000_000)]


# --- signing in and out ------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, dashboard: DashboardDep) -> Response:
    if dashboard.admin_session(request) is not None:
        return redirect("/admin")
    return _login_page(request, dashboard, signed_out="signed_out" in request.query_params)


@router.post("/login")
async def login(request: Request, dashboard: DashboardDep, quota: QuotaDep) -> Response:
    form = await request.form()
    if not csrf_ok(dashboard.session(request), form.get(FIELD)):
        return _login_page(
            request, dashboard, error="The form had expired; please sign in again.", status=403
        )
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        return _login_page(request, dashboard, error="Enter an admin token.", status=400)
    try:
        await run_in_threadpool(
            quota.authorize_admin,
            token[:MAX_TOKEN_FIELD_CHARS],
            client_address=client_address(request),
        )
    except RateLimited as exc:
        return render(
            request,
            "rate_limited.html",
            session=None,
            status_code=429,
            headers=exc.headers,
            retry_after_s=exc.headers.get("Retry-After", "60"),
        )
    except AdminRequired:
        return _login_page(request, dashboard, error="That is not an admin token.", status=401)
    log.info("dashboard sign-in from %s", client_address(request))
    response = redirect("/admin")
    dashboard.set_cookie(response, request, dashboard.signer.new(admin_token=token))  # a fresh CSRF token
    return response


@router.post("/logout")
async def logout(request: Request, dashboard: DashboardDep, session: SessionDep) -> Response:
    form = await request.form()
    if not csrf_ok(session, form.get(FIELD)):
        return _refused(request, session)
    response = redirect("/admin/login?signed_out=1")
    dashboard.clear_cookie(response, request)
    return response


def _login_page(
    request: Request,
    dashboard: Dashboard,
    *,
    error: str | None = None,
    status: int = 200,
    signed_out: bool = False,
) -> Response:
    # The sign-in form has its own not-signed-in session, so its CSRF token is checked like any other.
    session = dashboard.signer.new()
    response = render(
        request, "login.html", session=session, status_code=status, error=error, signed_out=signed_out
    )
    dashboard.set_cookie(response, request, session)
    return response


# --- the overview ------------------------------------------------------------------------------


@router.get("")
def overview(
    request: Request,
    session: SessionDep,
    records: RecordsDep,
    quota: QuotaDep,
    queue: QueueDep,
    settings: SettingsDep,
) -> Response:
    data = queries.overview(records=records, quota=quota, queue=queue, settings=settings)
    labels = [day.day.strftime("%m-%d") for day in data.days]
    uploads_chart = bar_chart(
        [Point(label, day.uploads) for label, day in zip(labels, data.days, strict=True)],
        title="Images uploaded per day, last 30 days",
        unit="images",
        chart_id="uploads",
    )
    mb_chart = line_chart(
        [Point(label, round(day.size_bytes / MB, 2)) for label, day in zip(labels, data.days, strict=True)],
        title="MB uploaded per day, last 30 days",
        unit="MB",
        chart_id="megabytes",
    )
    return render(
        request,
        "overview.html",
        session=session,
        data=data,
        uploads_chart=uploads_chart,
        mb_chart=mb_chart,
        result_ttl_h=settings.result_ttl_s / 3600,
    )


# --- tokens ------------------------------------------------------------------------------------


@router.get("/tokens")
def tokens(
    request: Request,
    session: SessionDep,
    quota: QuotaDep,
    q: Annotated[str, Query(max_length=64)] = "",
    page: PageQuery = 1,
) -> Response:
    prefix = q.strip().lower()
    rows, pagination = queries.search_tokens(quota=quota, prefix=prefix, page=page)
    return render(
        request,
        "tokens.html",
        session=session,
        rows=rows,
        pagination=pagination,
        q=prefix,
        is_expired=queries.is_expired,
    )


@router.get("/tokens/{token_hash}")
def token(
    request: Request,
    session: SessionDep,
    records: RecordsDep,
    quota: QuotaDep,
    token_hash: str,
    page: PageQuery = 1,
) -> Response:
    data = (
        queries.token_page(records=records, quota=quota, token_hash=token_hash, page=page)
        if _valid(token_hash)
        else None
    )
    if data is None:
        return _not_found(request, session)
    history = data.history
    periods = [*history.past_periods, history.current_period]
    usage_chart = bar_chart(
        [Point(_period_label(p.started_at, current=p is periods[-1]), p.used_mb) for p in periods],
        title="Usage per period against the quota",
        unit="MB",
        limit=history.quota_mb,
        chart_id="usage",
    )
    return render(
        request,
        "token.html",
        session=session,
        data=data,
        usage_chart=usage_chart,
        periods=periods,
        expired=queries.is_expired(data.licence),
        reset_done="reset" in request.query_params,
    )


@router.get("/tokens/{token_hash}/reset")
def confirm_reset(request: Request, session: SessionDep, quota: QuotaDep, token_hash: str) -> Response:
    licence = quota.records.get(token_hash) if _valid(token_hash) else None
    if licence is None:
        return _not_found(request, session)
    return render(request, "confirm_reset.html", session=session, licence=licence)


@router.post("/tokens/{token_hash}/reset")
async def reset(request: Request, session: SessionDep, quota: QuotaDep, token_hash: str) -> Response:
    form = await request.form()
    if not csrf_ok(session, form.get(FIELD)):
        return _refused(request, session)
    old = (
        await run_in_threadpool(lambda: reset_usage_by_hash(token_hash=token_hash, quota=quota))
        if _valid(token_hash)
        else None
    )
    if old is None:
        return _not_found(request, session)
    log.info(
        "dashboard reset the usage of %s from %s (was %d bytes)",
        token_hash[:10],
        client_address(request),
        old,
    )
    return redirect(f"/admin/tokens/{token_hash}?reset=1")


# --- helpers -----------------------------------------------------------------------------------


def _valid(token_hash: str) -> bool:
    return TOKEN_HASH.fullmatch(token_hash) is not None


def _period_label(started_at: str | None, *, current: bool) -> str:
    return "now" if current or started_at is None else started_at[:10]


def _not_found(request: Request, session: Session) -> Response:
    return render(
        request,
        "message.html",
        session=session,
        status_code=404,
        title="Not found",
        message="No token with this hash is known to this deployment.",
    )


def _refused(request: Request, session: Session) -> Response:
    return render(
        request,
        "message.html",
        session=session,
        status_code=403,
        title="Form expired",
        message="This form was stale or not sent from the dashboard; nothing was changed. "
        "Go back, reload the page and try again.",
    )
