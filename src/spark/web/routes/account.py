"""Accounts: sign-up, sign-in, sign-out, the account page (password, API tokens) and, for
admins, creating users.

Server-rendered forms, each with the session's CSRF token in a hidden field. The first account
that can sign in becomes the admin; after that, open sign-up follows the switch an admin sets
on this page (stored in the database, so every instance agrees), which defaults to
``SPARK_ALLOW_SIGNUP``; admins can always create accounts here or with ``spark users create``.
Failed sign-ins are throttled per username and address, across instances
(:mod:`spark.web.throttle`).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from spark import __version__
from spark.config import Settings
from spark.db import Database
from spark.db.cache import cache_settings
from spark.db.fallback import fallback_lists
from spark.db.instructions import instructions_in_force
from spark.db.preferences import find_preferences
from spark.db.site import NotAdminError, set_signup_open, signup_open
from spark.db.users import (
    authenticate,
    count_users,
    create_api_token,
    create_user,
    delete_api_token,
    list_api_tokens,
    list_users,
    set_password,
    sign_up_user,
    verify_password,
)
from spark.db.users import get_user as load_user
from spark.db.web_sessions import end_user_web_sessions
from spark.errors import UsageError
from spark.unity.target import default_target
from spark.web.auth import (
    SESSION_THEME,
    CurrentUser,
    OptionalUser,
    WebUser,
    end_session,
    set_notice,
    set_theme,
    start_session,
    take_notice,
)
from spark.web.deps import DatabaseDep, SettingsDep, TemplatesDep, ThrottleDep
from spark.web.errors import ApiError
from spark.web.params import TokenId
from spark.web.routing import SparkRoute, invalid_text
from spark.web.security import check_csrf, csrf_token
from spark.web.target import INPUT_CHOICES, PIPELINE_CHOICES
from spark.web.text import decode_pairs, pair_problems

router = APIRouter(include_in_schema=False, route_class=SparkRoute)

MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but not arbitrarily much of it per request


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (first value of each field), CSRF-checked;
    a field that is not text (not UTF-8, a NUL, a lone surrogate) is 422 naming the field."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise ApiError(400, "invalid_form", "Send the form from SPARK's page.")
    pairs = decode_pairs(await request.body())
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    check_csrf(request, form.get("csrf_token"))
    problems = [(("form", name), problem) for name, problem in pair_problems(pairs)]
    if problems:
        raise invalid_text(problems)
    return form


def _render(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    status: int = 200,
    **context: Any,
) -> Response:
    context |= {"csrf_token": csrf_token(request), "version": __version__}
    return templates.TemplateResponse(request, name, context, status_code=status)


def local_path(value: str | None) -> str:
    """``value`` when it is a path of this site, else ``/`` (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def _signup_open(database: Database, allow_signup: bool) -> tuple[bool, bool]:
    """(open sign-up allowed, no account can sign in yet)."""
    async with database.session() as session:
        first = await count_users(session=session, can_sign_in=True) == 0
        allowed = await signup_open(session=session, default=allow_signup)
    return allowed, first


# --- sign-in / sign-out ------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    settings: SettingsDep,
    user: OptionalUser,
    next: str = "/",
) -> Response:
    if user is not None:
        return RedirectResponse(local_path(next), status_code=303)
    allowed, first = await _signup_open(database, settings.allow_signup)
    return _render(
        templates,
        request,
        "signin.html",
        next=local_path(next),
        signup=allowed,
        first=first,
        notice=take_notice(request),
    )


@router.post("/signin")
async def signin(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
) -> Response:
    form = await read_form(request)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")[:MAX_PASSWORD_CHARS]
    next_path = local_path(form.get("next"))
    address = request.client.host if request.client else "?"
    allowed, first = await _signup_open(database, settings.allow_signup)

    def again(message: str, status: int) -> Response:
        return _render(
            templates,
            request,
            "signin.html",
            status,
            next=next_path,
            signup=allowed,
            first=first,
            username=username,
            error=message,
        )

    # Reserve, then verify: the attempt is counted as a failure (committed, so every instance
    # sees it) before the password is checked, and a success clears the count.
    async with database.session() as session:
        wait = await throttle.reserve(session, username, address)
    if wait > 0:
        return again(f"Too many failed sign-ins. Try again in {math.ceil(wait)} s.", 429)
    async with database.session() as session:
        account = await authenticate(session=session, username=username, password=password)
    if account is None:
        return again("Wrong username or password.", 401)
    async with database.session(user_id=account.id) as session:
        await throttle.succeeded(session, username, address)
        await start_session(request, session, account)
    return RedirectResponse(next_path, status_code=303)


@router.post("/signout")
async def signout(request: Request, database: DatabaseDep, user: OptionalUser) -> Response:
    """Sign this browser out; its session ends in the database, so on every instance."""
    await read_form(request)
    theme = request.session.get(SESSION_THEME)
    if user is not None and not user.by_token:
        async with database.session(user_id=user.id) as session:
            await end_session(request, session, user.id)
    request.session.clear()
    set_theme(request, theme)  # the sign-in page keeps the colours the user chose
    set_notice(request, "You are signed out.")
    return RedirectResponse("/signin", status_code=303)


# --- sign-up -----------------------------------------------------------------------------------


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    if user is not None:  # signed in already: nothing to sign up for
        return RedirectResponse("/", status_code=303)
    allowed, first = await _signup_open(database, settings.allow_signup)
    return _render(
        templates, request, "signup.html", 200 if allowed else 403, closed=not allowed, first=first
    )


@router.post("/signup")
async def signup(
    request: Request, templates: TemplatesDep, database: DatabaseDep, settings: SettingsDep
) -> Response:
    form = await read_form(request)
    allowed, first = await _signup_open(database, settings.allow_signup)
    if not allowed:
        return _render(templates, request, "signup.html", 403, closed=True, first=first)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")[:MAX_PASSWORD_CHARS]
    if password != form.get("confirm", "")[:MAX_PASSWORD_CHARS]:
        return _render(
            templates,
            request,
            "signup.html",
            422,
            first=first,
            username=username,
            error="The two passwords differ.",
        )
    try:
        async with database.session() as session:
            account = await sign_up_user(session=session, username=username, password=password)
    except UsageError as exc:
        return _render(
            templates, request, "signup.html", 422, first=first, username=username, error=str(exc)
        )
    async with database.session(user_id=account.id) as session:
        await start_session(request, session, account)
    return RedirectResponse("/", status_code=303)


# --- the account page --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountPage:
    """The account page for the signed-in user, rendered with a status and messages."""

    request: Request
    templates: Jinja2Templates
    database: Database
    user: WebUser
    settings: Settings

    async def __call__(self, status: int = 200, **context: Any) -> Response:
        user = self.user
        async with self.database.session(user_id=user.id) as session:
            tokens = await list_api_tokens(session=session, user_id=user.id)
            users = await list_users(session=session) if user.is_admin else []
            allowed = await signup_open(session=session, default=self.settings.allow_signup)
            prefs = await find_preferences(session=session, user_id=user.id)
            instructions = await instructions_in_force(session=session, user_id=user.id)
            fallback = await fallback_lists(
                session=session, user_id=user.id, default=self.settings.fallback
            )
            caching = await cache_settings(session=session, settings=self.settings)
        return _render(
            self.templates,
            self.request,
            "account.html",
            status,
            user=user,
            tokens=tokens,
            users=users,
            allow_signup=allowed,
            prefs=prefs,
            fallback=fallback,
            caching=caching,
            allow_project_paths=self.settings.allow_project_paths,
            default_target=default_target(self.settings),
            input_choices=INPUT_CHOICES,
            pipeline_choices=PIPELINE_CHOICES,
            instructions=instructions,
            max_instructions_chars=self.settings.max_instructions_chars,
            **context,
        )


async def _account_page(
    request: Request,
    templates: TemplatesDep,
    database: DatabaseDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> AccountPage:
    return AccountPage(request, templates, database, user, settings)


AccountPageDep = Annotated[AccountPage, Depends(_account_page)]


@router.post("/account/signup")
async def switch_signup(page: AccountPageDep) -> Response:
    """Admins open or close sign-up for everyone, at once and on every instance."""
    database, user = page.database, page.user
    form = await read_form(page.request)
    open_ = form.get("open") == "true"
    try:
        async with database.session(user_id=user.id) as session:
            account = await load_user(session=session, user_id=user.id)
            if account is None:
                raise NotAdminError("Only an admin can change who may sign up.")
            await set_signup_open(session=session, admin=account, open_=open_)
    except NotAdminError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    message = "Sign-up is open." if open_ else "Sign-up is closed: only admins can add accounts."
    return await page(user_message=message)


@router.get("/account", response_class=HTMLResponse)
async def account_page(page: AccountPageDep) -> Response:
    return await page(notice=take_notice(page.request))


@router.post("/account/password")
async def change_password(page: AccountPageDep) -> Response:
    request, database, user = page.request, page.database, page.user
    form = await read_form(request)
    current = form.get("current", "")[:MAX_PASSWORD_CHARS]
    new = form.get("password", "")[:MAX_PASSWORD_CHARS]

    if new != form.get("confirm", "")[:MAX_PASSWORD_CHARS]:
        return await page(422, password_error="The two new passwords differ.")
    async with database.session(user_id=user.id) as session:
        account = await load_user(session=session, user_id=user.id)
        if account is None or account.password_hash is None:
            return await page(422, password_error="This account has no password to change.")
        if not await asyncio.to_thread(verify_password, current, account.password_hash):
            return await page(422, password_error="The current password is wrong.")
        try:
            # Ends every session of the account, on every instance; this one starts afresh.
            await set_password(session=session, user_id=user.id, password=new)
        except UsageError as exc:
            return await page(422, password_error=str(exc))
        await start_session(request, session, account)
    return await page(
        200, password_message="Password changed. Every other session of this account is signed out."
    )


@router.post("/account/signout-everywhere")
async def signout_everywhere(
    request: Request, database: DatabaseDep, user: CurrentUser
) -> Response:
    """End every session of this account, on every instance, this one included."""
    await read_form(request)
    async with database.session(user_id=user.id) as session:
        ended = await end_user_web_sessions(session=session, user_id=user.id)
    request.session.clear()
    others = max(ended - 1, 0)  # this browser's session was one of them
    if others == 0:
        detail = "no other session was open"
    else:
        detail = f"{others} other session{'s' if others > 1 else ''} ended too"
    set_notice(request, f"You are signed out everywhere: {detail}.")
    return RedirectResponse("/signin", status_code=303)


@router.post("/account/tokens")
async def new_token(page: AccountPageDep) -> Response:
    database, user = page.database, page.user
    form = await read_form(page.request)
    try:
        async with database.session(user_id=user.id) as session:
            row, token = await create_api_token(
                session=session, user_id=user.id, name=form.get("name", "")
            )
    except UsageError as exc:
        return await page(422, token_error=str(exc))
    # Shown once, on this page only (never stored, never in a URL).
    return await page(new_token=token, new_token_name=row.name)


@router.post("/account/tokens/{token_id}/delete")
async def revoke_token(
    request: Request, token_id: TokenId, database: DatabaseDep, user: CurrentUser
) -> Response:
    await read_form(request)
    async with database.session(user_id=user.id) as session:
        deleted = await delete_api_token(session=session, user_id=user.id, token_id=token_id)
    set_notice(
        request, "Token deleted: it no longer signs anything in." if deleted else "No such token."
    )
    return RedirectResponse("/account", status_code=303)


@router.post("/account/users")
async def admin_create_user(page: AccountPageDep) -> Response:
    form = await read_form(page.request)
    if not page.user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin can create accounts.")
    try:
        async with page.database.session() as session:
            created = await create_user(
                session=session,
                username=form.get("username", ""),
                password=form.get("password", "")[:MAX_PASSWORD_CHARS],
                is_admin=form.get("is_admin") == "on",
            )
            name = created.username
    except UsageError as exc:
        return await page(422, user_error=str(exc))
    return await page(user_message=f"Account {name!r} created.")
