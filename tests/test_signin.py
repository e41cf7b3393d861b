"""Signing in and out over HTTP: sessions, lock-out, rate limit, CSRF, headers, wall links."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.dashclient import router_body
from dashboard.app import create_app
from dashboard.passwords import hash_password, token_digest
from dashboard.sessions import COOKIE, MAX_FAILED, digest
from dashboard.settings import Settings
from geodata.accounts import Display, Grant, User, first_broken
from geodata.backends import open_store
from geodata.store import Store
from tests import accounts_city
from tests.accounts_city import PASSWORD, Town
from tests.webutil import form_token, login, session_secret

STRONG = "Another good passphrase 7"


@pytest.fixture(scope="module")
def fresh_town(tmp_path_factory: pytest.TempPathFactory) -> Town:
    """The town as built, before any other test signed in to it."""
    return accounts_city.build(tmp_path_factory.mktemp("fresh-town"))


@pytest.fixture
def store(fresh_town: Town, tmp_path: Path) -> Iterator[Store]:
    """A copy of the town of its own: these tests lock, disable and change accounts."""
    path = tmp_path / "town.gpkg"
    path.write_bytes(fresh_town.path.read_bytes())
    with open_store(path) as opened:
        yield opened


def app_client(store: Store, **settings: Any) -> Any:
    return create_app(Settings.from_env({}, **settings), store).server.test_client()


@pytest.fixture
def client(store: Store) -> Any:
    return app_client(store)


def entries(store: Store, action: str) -> list[Any]:
    return [e for e in store.audit_entries() if e.action == action]


def test_sign_in_sets_a_strict_session_cookie(client: Any, store: Store) -> None:
    response = login(client, "street", PASSWORD)
    assert response.status_code == 303 and response.location == "/"
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert client.get("/").status_code == 200
    assert [e.actor for e in entries(store, "login")] == ["street"]


def test_the_cookie_is_secure_behind_tls(store: Store) -> None:
    response = login(app_client(store, behind_tls=True), "street", PASSWORD)
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_page_says_who_is_signed_in_and_offers_sign_out(client: Any) -> None:
    login(client, "street", PASSWORD)
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    page = client.post("/_dash-update-component", json=router_body("/", ""))
    page = json.dumps(page.get_json(), ensure_ascii=False)
    assert "测试street" in page and "街道主管" in page and "水泊街道" in page
    assert '"action": "/logout"' in page and '"name": "csrf_token"' in page


@pytest.mark.parametrize("who", ["street", "nobody"])
def test_a_wrong_password_never_tells_whether_the_user_exists(
    client: Any, store: Store, who: str
) -> None:
    response = login(client, who, "not the password")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text
    assert session_secret(client) is None
    assert [e.outcome for e in entries(store, "login_failed")][-1] in (
        "wrong password",
        "unknown user",
    )


def test_five_wrong_passwords_lock_the_account(client: Any, store: Store) -> None:
    for _ in range(MAX_FAILED):
        assert login(client, "community", "wrong wrong wrong").status_code == 401
    assert len(entries(store, "locked")) == 1
    user = store.user("community")
    assert user is not None and user.locked_until is not None
    assert user.locked_until > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=14)
    locked = login(client, "community", PASSWORD)  # the right password, too late
    assert locked.status_code == 401 and session_secret(client) is None
    assert entries(store, "login_failed")[-1].outcome == "locked"


def test_one_address_is_limited_in_attempts_per_minute(store: Store) -> None:
    client = app_client(store, login_attempts_per_minute=3)
    codes = [login(client, "nobody", "x" * 12).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert "尝试次数过多" in login(client, "street", PASSWORD).text


@pytest.mark.parametrize(
    "form",
    [
        {"username": "", "password": ""},
        {"username": "street", "password": ""},
        {"username": "x" * 2000, "password": PASSWORD},
    ],
)
def test_empty_and_oversized_fields_are_refused_plainly(
    client: Any, store: Store, form: dict[str, str]
) -> None:
    users = store.users()
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={**form, "csrf_token": token})
    assert response.status_code == 400 and "用户名或密码不正确" in response.text
    assert store.users() == users
    assert entries(store, "login_failed")[-1].outcome == "empty or oversized field"


def test_a_ten_megabyte_field_is_refused_before_it_is_read(client: Any, store: Store) -> None:
    before = store.audit_entries()
    token = form_token(client.get("/login").text)
    big = {"username": "street", "password": "x" * 10_000_000, "csrf_token": token}
    assert client.post("/login", data=big).status_code == 413
    assert store.audit_entries() == before


def test_a_login_form_token_of_another_browser_is_refused(store: Store) -> None:
    mine, theirs = app_client(store), app_client(store)
    token = form_token(theirs.get("/login").text)
    mine.get("/login")
    response = mine.post(
        "/login", data={"username": "street", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400 and session_secret(mine) is None
    assert entries(store, "login_failed")[-1].outcome == "stale or forged form"


@pytest.mark.parametrize("secret", ["forged", "x" * 500, ""])
def test_a_forged_session_cookie_is_a_stranger(client: Any, secret: str) -> None:
    client.set_cookie(COOKIE, secret)
    assert client.get("/").status_code == 302
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_an_idle_session_ends(client: Any, store: Store) -> None:
    login(client, "street", PASSWORD)
    key = digest(session_secret(client))
    store.touch_session(key, dt.datetime.now(dt.UTC) - dt.timedelta(hours=9))
    assert client.get("/").status_code == 302
    assert store.session(key) is None


def test_sign_out_ends_the_session_for_good(client: Any, store: Store) -> None:
    login(client, "street", PASSWORD)
    secret = session_secret(client)
    page = client.get("/password")  # a plain page carrying this session's CSRF token
    token = form_token(page.text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/login?out=1"
    client.set_cookie(COOKIE, secret)  # the old cookie, replayed
    assert client.get("/").status_code == 302
    assert [e.actor for e in entries(store, "logout")] == ["street"]


def test_sign_out_with_another_sessions_token_does_nothing(store: Store) -> None:
    mine, theirs = app_client(store), app_client(store)
    login(mine, "street", PASSWORD)
    login(theirs, "street", PASSWORD)
    token = form_token(theirs.get("/password").text)
    mine.post("/logout", data={"csrf_token": token})
    mine_secret = session_secret(mine)
    assert mine_secret is None or store.session(digest(mine_secret)) is not None
    assert entries(store, "logout") == []


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.set_disabled("street", True),
        lambda s: s.set_password("street", hash_password(STRONG), must_change=False),
        lambda s: s.set_grants("street", [Grant("community", "370832001001")]),
    ],
    ids=["disabled", "password", "roles"],
)
def test_changing_an_account_ends_its_sessions_at_once(client: Any, store: Store, change) -> None:
    login(client, "street", PASSWORD)
    assert client.get("/").status_code == 200
    change(store)
    assert client.get("/").status_code == 302


def test_a_one_time_password_must_be_changed_first(client: Any, store: Store) -> None:
    user = dataclasses.replace(
        store.user("street"), login="newcomer", must_change=True, grants=(Grant("city"),)
    )
    store.add_user(user)
    assert login(client, "newcomer", PASSWORD).location == "/password"
    assert client.get("/").location.endswith("/password")
    assert client.post("/_dash-update-component", json={}).status_code == 403
    token = form_token(client.get("/password").text)
    weak = {"current": PASSWORD, "new": "123456789a", "repeat": "123456789a", "csrf_token": token}
    assert client.post("/password", data=weak).status_code == 400
    good = {"current": PASSWORD, "new": STRONG, "repeat": STRONG, "csrf_token": token}
    assert client.post("/password", data=good).status_code == 303
    assert client.get("/").status_code == 200
    assert store.user("newcomer").must_change is False


@pytest.mark.parametrize("path", ["/login", "/", "/assets/gridboard.css", "/wall"])
def test_security_headers_on_every_answer(client: Any, path: str) -> None:
    if path != "/login":
        login(client, "city", PASSWORD)
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"


def test_a_request_from_another_origin_is_refused(client: Any) -> None:
    login(client, "city", PASSWORD)
    response = client.post(
        "/_dash-update-component", json={}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    token = form_token(client.get("/password").text)
    forged = client.post(
        "/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_sign_in_never_sends_anyone_to_another_site(client: Any, target: str) -> None:
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login?next=" + target,
        data={"username": "street", "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/"


def test_the_language_switch_keeps_where_sign_in_leads(client: Any) -> None:
    page = client.get("/login?next=/routes").text
    assert 'href="/login?next=%2Froutes&amp;lang=en"' in page


def test_a_wall_link_opens_the_wall_and_nothing_else(client: Any, store: Store) -> None:
    store.add_display(
        Display("大厅", "370832001", dt.datetime.now(dt.UTC)), token_digest("wall-token-1")
    )
    opened = client.get("/wall?token=wall-token-1&rotate=0")
    assert opened.status_code == 303 and opened.location == "/wall?rotate=0"
    assert client.get("/wall").status_code == 200
    for path in ("/", "/overview", "/routes", "/audit", "/wall?street=370832002"):
        assert client.get(path).status_code == 403, path
    store.revoke_display("大厅")
    assert client.get("/wall").status_code == 302


def test_an_unknown_wall_token_is_refused(client: Any, store: Store) -> None:
    response = client.get("/wall?token=guess")
    assert response.status_code == 403 and "大屏链接无效" in response.text
    assert session_secret(client) is None


def test_the_audit_page_and_its_csv_are_for_administrators(client: Any, store: Store) -> None:
    login(client, "admin", PASSWORD)
    page = client.get("/audit?actor=admin")
    assert page.status_code == 200 and "审计日志" in page.text and "login" in page.text
    csv = client.get("/audit.csv")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("序号,时间,用户")
    english = client.get("/audit.csv?lang=en").text.lstrip("\ufeff")
    assert english.startswith("No.,Time,User") and "login" in english
    assert client.get("/audit?since=yesterday").status_code == 200
    assert "不是日期" in client.get("/audit?since=yesterday").text
    assert first_broken(store.audit_entries(), store.audit_head()) is None


def test_users_of_the_store_stay_as_they_were_after_bad_input(store: Store) -> None:
    before = [dataclasses.replace(u, failed_logins=0) for u in store.users()]
    client = app_client(store)
    for form in ({"username": "street"}, {"password": "x"}, {}):
        client.post("/login", data=form)
    assert [dataclasses.replace(u, failed_logins=0) for u in store.users()] == before
    assert isinstance(store.user("street"), User)


def test_after_a_lock_ends_one_wrong_password_does_not_lock_again(
    client: Any, store: Store
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    store.login_failed("street", past, past)  # a lock that has run out
    for _ in range(MAX_FAILED - 1):
        login(client, "street", "wrong wrong wrong")
    assert store.user("street").failed_logins == MAX_FAILED - 1
    assert login(client, "street", PASSWORD).status_code == 303
    user = store.user("street")
    assert user.failed_logins == 0 and user.locked_until is None  # the good one cleared them


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(store: Store) -> None:
    forwarded = {"X-Forwarded-For": "10.1.2.3"}
    for hops, address in ((1, "10.1.2.3"), (0, "127.0.0.1")):
        client = app_client(store, proxy_hops=hops)
        token = form_token(client.get("/login").text)
        data = {"username": "street", "password": "wrong!", "csrf_token": token}
        client.post("/login", data=data, headers=forwarded)
        assert entries(store, "login_failed")[-1].address == address


def test_the_sign_in_limit_counts_each_forwarded_client_apart(store: Store) -> None:
    client = app_client(store, proxy_hops=1, login_attempts_per_minute=2)
    for who, expected in (("10.0.0.1", [401, 401, 429]), ("10.0.0.2", [401])):
        codes = []
        for _ in expected:
            token = form_token(client.get("/login").text)
            data = {"username": "nobody", "password": "x" * 12, "csrf_token": token}
            codes.append(
                client.post("/login", data=data, headers={"X-Forwarded-For": who}).status_code
            )
        assert codes == expected, who


def test_signing_in_sweeps_sessions_idle_too_long(client: Any, store: Store) -> None:
    login(client, "street", PASSWORD)
    key = digest(session_secret(client))
    store.touch_session(key, dt.datetime.now(dt.UTC) - dt.timedelta(hours=9))
    login(app_client(store), "city", PASSWORD)  # anyone's sign-in sweeps
    assert store.session(key) is None


def test_a_favicon_asked_before_sign_in_leaves_the_form_on_screen_valid(client: Any) -> None:
    form = client.get("/login?next=/cases")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))[1]
    icon = client.get("/favicon.ico", headers={"Sec-Fetch-Dest": "image"})
    assert icon.status_code == 401 and "Set-Cookie" not in icon.headers  # no new form
    again = client.get("/login", headers={"Sec-Fetch-Dest": "document"})  # a second tab
    assert f'value="{token}"' in again.get_data(as_text=True)
    signed = client.post(
        "/login?next=/cases",
        data={"csrf_token": token, "username": "street", "password": PASSWORD},
    )
    assert signed.status_code == 303 and signed.location == "/cases"
    assert client.get("/cases").status_code == 200


def test_a_store_that_cannot_be_written_now_answers_try_again_not_an_error(
    store: Store, tmp_path: Path
) -> None:
    """As while PostgreSQL restarts: the sign-in's writes fail, and the person is asked to
    try again (503), with no session and no error page."""
    before = len(store.audit_entries())
    with open_store(tmp_path / "town.gpkg", readonly=True) as unwritable:
        client = app_client(unwritable)
        response = login(client, "street", PASSWORD)
        assert response.status_code == 503
        assert "系统暂时无法登录，请稍后重试。" in response.text
        assert session_secret(client) is None
    assert len(store.audit_entries()) == before
    assert login(app_client(store), "street", PASSWORD).status_code == 303
