"""Sign-in and roles (dashboard.auth): the role logic without Streamlit, the write functions refusing a
user below their role, `incidentmap serve --auth`, and team mode in a real browser (header mode
behind a stand-in for the trusted proxy). OIDC needs an identity provider: only its role logic is
tested here."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from playwright.sync_api import expect

from dashboard import auth
from dashboard.auth import AuthConfigError, Forbidden, Roles, User, load_roles, user_from_headers, user_from_oidc
from test_dashboard_browser import browser, ingested_home, serving  # noqa: F401 (browser: a fixture)
from test_review_browser import ARTICLE, MAP_IFRAME, _log, _row, _wait_until

ROLES_TOML = """\
[roles]
admin = ["alice@example.org"]
reviewer = ["bob@example.org", "*@ngo.example"]
default = "viewer"
"""


@pytest.fixture()
def roles(tmp_path) -> Roles:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_TOML, encoding="utf-8")
    return load_roles(path)


# ---- the role logic ------------------------------------------------------------------------------------
def test_roles_from_the_file_globs_and_the_default(roles):
    assert roles.role_of("alice@example.org") == "admin"
    assert roles.role_of("Alice@Example.ORG ") == "admin"  # e-mail addresses are not case-sensitive
    assert roles.role_of("bob@example.org") == "reviewer"
    assert roles.role_of("carol@ngo.example") == "reviewer"  # *@ngo.example
    assert roles.role_of("carol@ngo.example.evil.com") == "viewer"  # a glob matches the whole name
    assert roles.role_of("mallory@elsewhere.example") == "viewer"  # signed in, unknown: the default


def test_the_highest_role_wins_and_groups_give_roles(tmp_path, roles):
    path = tmp_path / "two.toml"
    path.write_text('[roles]\nreviewer = ["*@example.org"]\nadmin = ["alice@example.org"]\n', encoding="utf-8")
    assert load_roles(path).role_of("alice@example.org") == "admin"
    assert roles.role_of("dave@elsewhere.example", ["staff", " incidentmap-admin"]) == "admin"
    assert roles.role_of("dave@elsewhere.example", ["Incidentmap-Reviewer"]) == "reviewer"
    assert roles.role_of("dave@elsewhere.example", ["incidentmap-superuser", "admins"]) == "viewer"
    assert roles.role_of("alice@example.org", ["incidentmap-viewer"]) == "admin"


def test_default_role_no_access_and_the_missing_file(tmp_path):
    path = tmp_path / "roles.toml"
    missing = load_roles(path)  # no file: every signed-in user a viewer
    assert missing.role_of("anyone@example.org") == "viewer" and missing.path == path
    path.write_text('default = "none"\n[roles]\nviewer = ["*@ngo.example"]\n', encoding="utf-8")
    closed = load_roles(path)
    assert closed.role_of("stranger@example.org") is None
    assert closed.role_of("x@ngo.example") == "viewer"
    time.sleep(0.01)
    path.write_text('[roles]\ndefault = "reviewer"\n', encoding="utf-8")  # re-read when it changes
    assert load_roles(path).role_of("stranger@example.org") == "reviewer"


@pytest.mark.parametrize("text, words", [
    ("[roles\nadmin = 1", "not a readable TOML file"),
    (b"[roles]\nadmin = ['\xff']\n", "not a readable TOML file"),  # not UTF-8
    ('[roles]\nsuperuser = ["a@b.c"]\n', "unknown role 'superuser'"),
    ('[roles]\nadmin = "alice@example.org"\n', "admin must be a list"),
    ('[roles]\nreviewer = [""]\n', "reviewer must be a list"),
    ('default = "owner"\n', "default = 'owner'"),
    ('roles = ["alice"]\n', "expected a [roles] table"),
    ('[admins]\nx = 1\n', "expected a [roles] table"),
])
def test_a_bad_roles_file_is_a_clear_error_naming_the_file(tmp_path, text, words):
    path = tmp_path / "roles.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(AuthConfigError) as err:
        load_roles(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_mode_and_roles_path_from_the_environment(tmp_path):
    from geodata.paths import data_home

    assert auth.auth_mode({}) == "none" and auth.auth_mode({"INCIDENTMAP_AUTH": " Header"}) == "header"
    with pytest.raises(AuthConfigError, match="INCIDENTMAP_AUTH='proxy'"):
        auth.auth_mode({"INCIDENTMAP_AUTH": "proxy"})
    assert auth.roles_path({"INCIDENTMAP_ROLES": str(tmp_path / "r.toml")}) == tmp_path / "r.toml"
    assert auth.roles_path({}) == data_home() / "roles.toml"  # $INCIDENTMAP_HOME


def test_users_from_proxy_headers(roles):
    env = {}
    assert user_from_headers({"Host": "x"}, roles, env) is None
    assert user_from_headers({"x-forwarded-email": "  "}, roles, env) is None
    assert user_from_headers({"x-forwarded-email": "bob@example.org"}, roles, env) == \
        User("bob@example.org", "reviewer", "header")
    assert user_from_headers({"X-Forwarded-User": "alice@example.org"}, roles, env).role == "admin"  # fallback
    assert user_from_headers({"X-Forwarded-Email": "alice@example.org", "X-Forwarded-User": "bob"}, roles,
                             env).name == "alice@example.org"
    custom = {"INCIDENTMAP_AUTH_HEADER": "Remote-Email"}  # Authelia's; then no fallback to X-Forwarded-User
    assert user_from_headers({"remote-email": "bob@example.org"}, roles, custom).role == "reviewer"
    assert user_from_headers({"X-Forwarded-User": "alice@example.org"}, roles, custom) is None
    headers = {"X-Forwarded-Email": "dave@elsewhere.example", "X-Forwarded-Groups": "staff,incidentmap-admin"}
    assert user_from_headers(headers, roles, env).role == "viewer"  # groups only when their header is named
    assert user_from_headers(headers, roles, {"INCIDENTMAP_AUTH_GROUPS_HEADER": "X-Forwarded-Groups"}).role == "admin"


def test_users_from_oidc_claims(roles):
    assert user_from_oidc({"is_logged_in": False}, roles) is None
    assert user_from_oidc({}, roles) is None  # no [auth] configured: st.user is empty
    assert user_from_oidc({"is_logged_in": True, "email": "carol@ngo.example", "name": "Carol"}, roles) == \
        User("carol@ngo.example", "reviewer", "oidc")
    assert user_from_oidc({"is_logged_in": True, "sub": "1234"}, roles).role == "viewer"
    assert user_from_oidc({"is_logged_in": True, "email": "e@x.org", "groups": ["incidentmap-admin"]},
                          roles).role == "admin"


def test_what_each_role_may_do():
    viewer, reviewer, admin = (User("u", r, "header") for r in auth.ROLES)
    assert [viewer.can(r) for r in auth.ROLES] == [True, False, False]
    assert [reviewer.can(r) for r in auth.ROLES] == [True, True, False]
    assert [admin.can(r) for r in auth.ROLES] == [True, True, True]
    assert not any(User("u", None, "header").can(r) for r in auth.ROLES)
    assert User(None, "admin", "none").can("admin")  # single-user mode


# ---- the write functions check the role themselves ------------------------------------------------------
def _no_store(*_a, **_k):
    raise AssertionError("a write function opened the store for a user without the role")


def test_write_functions_refuse_a_user_below_their_role(monkeypatch, tmp_path):
    import incidents.store
    from dashboard import addarticle, review, sources
    from dashboard.i18n import Tr

    monkeypatch.setattr(incidents.store, "Store", _no_store)
    monkeypatch.setattr(review, "Store", _no_store)
    db, tr = tmp_path / "incidents.sqlite", Tr("en")
    for role, calls in {
        "viewer": [lambda: review._run(db, "Accepted", review.review.accept),
                   lambda: review._undo(db),
                   lambda: addarticle.add(tr, db, "some text", None),
                   lambda: sources.fetch_url(db, "https://example.org/a"),
                   lambda: sources.read_feed(db, "https://example.org/feed.xml")],
        "reviewer": [lambda: sources.read_feed(db, "https://example.org/feed.xml")],
    }.items():
        monkeypatch.setattr(auth, "current_user", lambda tr=None, r=role: User("u@example.org", r, "header"))
        for call in calls:
            with pytest.raises(Forbidden, match=f"u@example.org has the {role} role"):
                call()


def test_require_lets_the_role_and_above_through(monkeypatch):
    monkeypatch.setattr(auth, "current_user", lambda tr=None: User("a@example.org", "admin", "header"))
    assert auth.require("reviewer").name == "a@example.org" and auth.require("admin").role == "admin"
    monkeypatch.undo()
    monkeypatch.delenv("INCIDENTMAP_AUTH", raising=False)
    assert auth.require("admin") == User(None, "admin", "none")  # no sign-in: everyone is an admin


# ---- incidentmap serve --auth -----------------------------------------------------------------------------
def test_serve_auth_sets_the_mode_for_the_streamlit_child(monkeypatch, capsys):
    import signal
    import subprocess

    from incidents import cli

    seen = []

    class FakeChild:
        def __init__(self, cmd, env):
            seen.append(env)

        def wait(self):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeChild)
    monkeypatch.setattr(signal, "signal", lambda *_a: None)  # keep pytest's own handlers
    monkeypatch.delenv("INCIDENTMAP_AUTH", raising=False)
    assert cli.main(["serve", "--headless", "--auth", "header"]) == 0
    assert cli.main(["serve", "--headless"]) == 0
    assert seen[0]["INCIDENTMAP_AUTH"] == "header" and "INCIDENTMAP_AUTH" not in seen[1]
    assert cli.main(["serve", "--headless", "--auth", "oidc", "--host", "0.0.0.0"]) == 0
    assert cli.main(["serve", "--headless", "--auth", "header", "--host", "0.0.0.0"]) == 0
    assert "only the proxy should reach 0.0.0.0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["serve", "--auth", "ldap"])


# ---- header mode in a real browser ---------------------------------------------------------------------------
class HeaderProxy:
    """A stand-in for the trusted reverse proxy (oauth2-proxy and the like): its own 127.0.0.1 port,
    every connection forwarded to the dashboard with `headers` put into the request head, the
    WebSocket handshake included (what st.context.headers reads); the same headers sent by the browser
    are dropped, as a real proxy does. Plain requests get `Connection: close`, so each connection
    carries one request head and every one is rewritten."""

    def __init__(self, upstream_port: int, headers: dict[str, str]):
        self.upstream, self.headers = upstream_port, headers
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _rewrite(self, head: bytes) -> bytes:
        lines = head.split(b"\r\n")
        upgrade = any(line.lower().startswith(b"upgrade:") for line in lines[1:])
        drop = {k.lower().encode() for k in self.headers} | (set() if upgrade else {b"connection"})
        kept = [lines[0]] + [line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() not in drop]
        kept += [f"{k}: {v}".encode() for k, v in self.headers.items()] + ([] if upgrade else [b"Connection: close"])
        return b"\r\n".join(kept) + b"\r\n\r\n"

    def _serve(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = client.recv(65536)
                if not data:
                    return
                buf += data
            head, rest = buf.split(b"\r\n\r\n", 1)
            with socket.create_connection(("127.0.0.1", self.upstream)) as up:
                up.sendall(self._rewrite(head) + rest)
                back = threading.Thread(target=_pipe, args=(up, client), daemon=True)
                back.start()
                _pipe(client, up)
                back.join(60)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


ADMIN, REVIEWER, VIEWER, GROUP_ADMIN = ("alice@example.org", "bob@ngo.example", "carol@elsewhere.example",
                                        "dave@elsewhere.example")
FEED = "http://127.0.0.1:9/feed.xml"  # nothing listens there: reading it fails at once


@pytest.fixture(scope="module")
def team(tmp_path_factory, real_gazetteer_path):
    """The review test's article in a store, roles.toml in $INCIDENTMAP_HOME, one followed feed, the
    dashboard in header mode, and one proxy per user: {"direct": url, user: url, "db": path}."""
    from incidents.store import Store

    src = tmp_path_factory.mktemp("team_arts") / "idlib.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    home, env = ingested_home(tmp_path_factory, real_gazetteer_path, src, INCIDENTMAP_AUTH="header",
                              INCIDENTMAP_AUTH_GROUPS_HEADER="X-Forwarded-Groups",
                              INCIDENTMAP_REVIEWER="nobody-from-env")
    (home / "roles.toml").write_text(ROLES_TOML, encoding="utf-8")
    store = Store(home / "incidents.sqlite")
    store.feeds.save_state(FEED, label="Test feed", kind="feed", last_checked=time.time())
    store.close()
    with serving(env) as url:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        proxies = {who: HeaderProxy(port, headers) for who, headers in {
            ADMIN: {"X-Forwarded-Email": ADMIN}, REVIEWER: {"X-Forwarded-Email": REVIEWER},
            VIEWER: {"X-Forwarded-Email": VIEWER},
            GROUP_ADMIN: {"X-Forwarded-Email": GROUP_ADMIN, "X-Forwarded-Groups": "staff, incidentmap-admin"},
        }.items()}
        try:
            yield {"direct": url, "db": home / "incidents.sqlite", **{w: p.url for w, p in proxies.items()}}
        finally:
            for p in proxies.values():
                p.close()


def _open_as(browser, url, **context):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, **context)
    page = ctx.new_page()
    page.goto(url)
    return ctx, page


def _signed_in(page, who: str, role: str) -> None:
    page.wait_for_selector("#signed-in", timeout=60_000)
    assert page.locator("#signed-in").inner_text().strip() == f"Signed in as {who} ({role})"


def _open_sources(page):
    page.get_by_text("Sources", exact=True).click()
    page.wait_for_selector("text=1 source(s)", timeout=30_000)


@pytest.mark.shared
@pytest.mark.browser
class TestHeaderModeInABrowser:
    def test_no_header_shows_only_the_sign_in_page(self, team, browser):
        ctx, page = _open_as(browser, team["direct"])
        page.wait_for_selector("text=Sign-in required", timeout=60_000)
        expect(page.get_by_text("through your organisation's sign-in address")).to_be_visible()
        time.sleep(2)  # the run has stopped: nothing else comes
        assert page.locator(MAP_IFRAME).count() == 0 and page.locator("#incident-count").count() == 0
        assert page.locator("#signed-in").count() == 0 and page.get_by_text("Filters").count() == 0
        ctx.close()

    def test_extra_http_headers_reach_st_context_only_from_chromium_151(self, team, browser):
        """Playwright's extra_http_headers go with the page's HTTP requests, but Chromium before 151
        leaves them off the WebSocket handshake (microsoft/playwright#28948, fixed by Chromium's
        "Network.setExtraHTTPHeaders should affect WebSocket handshake requests"), and
        st.context.headers are that handshake's: so the proxy above, not extra_http_headers."""
        ctx, page = _open_as(browser, team["direct"], extra_http_headers={"X-Forwarded-Email": ADMIN})
        if int(browser.version.split(".")[0]) < 151:
            page.wait_for_selector("text=Sign-in required", timeout=60_000)
        else:
            _signed_in(page, ADMIN, "admin")
        ctx.close()

    def test_viewer_sees_the_map_but_no_review_and_no_adding(self, team, browser):
        ctx, page = _open_as(browser, team[VIEWER] + "?view=review")
        _signed_in(page, VIEWER, "viewer")
        page.wait_for_selector("#incident-count", timeout=60_000)
        page.wait_for_selector(MAP_IFRAME, timeout=60_000)
        expect(page.get_by_text("The Review view is for reviewers and administrators")).to_be_visible()
        assert page.get_by_text("Review", exact=True).count() == 0  # no "View" switch
        assert page.get_by_role("button", name="Accept").count() == 0
        assert page.get_by_text("Add an article").count() == 0 and page.get_by_text("Add a URL").count() == 0
        _open_sources(page)  # feed states, read-only
        assert page.get_by_role("button", name="Read it now").count() == 0
        ctx.close()

    def test_reviewer_accepts_and_the_audit_log_names_them(self, team, browser):
        db = team["db"]
        ctx, page = _open_as(browser, team[REVIEWER] + "?view=review")
        _signed_in(page, REVIEWER, "reviewer")
        page.wait_for_selector("#review-count", timeout=60_000)
        assert page.get_by_text("Who is reviewing?").count() == 0  # the signed-in name, no prompt
        assert page.get_by_role("button", name="Change name").count() == 0
        uid = page.locator("#review-state code").inner_text().strip()
        page.get_by_role("button", name="Accept").click()
        row = _wait_until(lambda: (r := _row(db, uid))["review_status"] == "reviewed" and r)
        assert row["reviewed_by"] == REVIEWER
        assert [(r["action"], r["by"]) for r in _log(db, uid)] == [("accept", REVIEWER)]
        page.get_by_text("Map", exact=True).click()  # the map page: adding, but no feed management
        page.wait_for_selector("#incident-count", timeout=60_000)
        expect(page.get_by_text("Add an article")).to_be_visible()
        _open_sources(page)
        assert page.get_by_role("button", name="Read it now").count() == 0
        ctx.close()

    def test_admin_by_group_reads_a_feed_now(self, team, browser):
        from incidents.store import Store

        ctx, page = _open_as(browser, team[GROUP_ADMIN])
        _signed_in(page, GROUP_ADMIN, "admin")  # the roles file makes dave a viewer; his group, an admin
        page.wait_for_selector("#incident-count", timeout=60_000)
        _open_sources(page)
        page.get_by_role("button", name="Read it now").click()
        page.wait_for_selector("text=1 source(s), 0 read", timeout=60_000)

        def checked():
            store = Store(team["db"], readonly=True)
            try:
                return store.feeds.state(FEED)["last_error"]
            finally:
                store.close()

        assert _wait_until(checked)  # the attempt is in the feed's state
        ctx.close()
