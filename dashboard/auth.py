"""Who is using the dashboard and what they may do: sign-in and roles for team mode.

The mode comes from `INCIDENTMAP_AUTH` (`incidentmap serve --auth` sets it for the Streamlit child):
- `none` (the default, single user): nobody signs in and everyone is an admin; the Review view asks
  the reviewer's name once per session.
- `header`: a trusted reverse proxy (oauth2-proxy, Authelia, nginx auth_request…) signs users in and
  passes the user in a request header (`INCIDENTMAP_AUTH_HEADER`; by default `X-Forwarded-Email`,
  else `X-Forwarded-User`), read from the WebSocket handshake through `st.context.headers`. Without
  the header the page says sign-in goes through the proxy, and nothing else is drawn.
- `oidc`: Streamlit's own `st.login()` / `st.user` (an `[auth]` section in `.streamlit/secrets.toml`).

Roles, each allowed what the ones before it are: viewer (map, list, timeline, filters, passages,
downloads), reviewer (+ the Review view's actions, adding articles and URLs), admin (+ managing feeds).
They come from the roles file (`INCIDENTMAP_ROLES`, default `$INCIDENTMAP_HOME/roles.toml`: glob
patterns per role, and `default` for a signed-in user no pattern names) and, optionally, from groups:
a header named by `INCIDENTMAP_AUTH_GROUPS_HEADER` (comma-separated) or an OIDC `groups` claim, where
`incidentmap-admin`, `incidentmap-reviewer` and `incidentmap-viewer` give that role. The highest wins.

The pure part (`Roles`, `load_roles`, `user_from_headers`, `user_from_oidc`) knows nothing of
Streamlit. `current_user` and `sidebar` are the page's side; `require(role)` is what every function
that writes calls first, because a hidden button is not a permission check.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NoReturn

MODES = ("none", "header", "oidc")
ROLES = ("viewer", "reviewer", "admin")  # lowest first
NO_ACCESS = "none"  # a roles file's `default` that lets unknown signed-in users in nowhere
GROUP_PREFIX = "incidentmap-"
DEFAULT_HEADERS = ("X-Forwarded-Email", "X-Forwarded-User")


class AuthConfigError(ValueError):
    """A mode or a roles file that cannot be used; the message names the setting or the file."""


class Forbidden(PermissionError):
    """The user's role is below what the action needs."""


@dataclass(frozen=True)
class User:
    name: str | None  # None in mode `none`: nobody signs in (the Review view asks a name)
    role: str | None  # None: signed in, but the roles file gives no access
    mode: str = "none"

    def can(self, role: str) -> bool:
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


# ---- configuration -----------------------------------------------------------------------------------
def auth_mode(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    mode = (env.get("INCIDENTMAP_AUTH") or "none").strip().lower()
    if mode not in MODES:
        raise AuthConfigError(f"INCIDENTMAP_AUTH={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def roles_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("INCIDENTMAP_ROLES"):
        return Path(env["INCIDENTMAP_ROLES"]).expanduser()
    from geodata.paths import data_home

    return data_home() / "roles.toml"


@dataclass(frozen=True)
class Roles:
    """Glob patterns (fnmatch, case-insensitive) per role, and the role of a signed-in user whom no
    pattern or group names (`default`; None: no access)."""
    patterns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: str | None = "viewer"
    path: Path | None = None

    def role_of(self, name: str, groups: Iterable[str] = ()) -> str | None:
        who = name.strip().lower()
        found = {role for role, pats in self.patterns.items() if any(fnmatch.fnmatchcase(who, p) for p in pats)}
        found |= {g.strip().lower().removeprefix(GROUP_PREFIX) for g in groups
                  if g.strip().lower().startswith(GROUP_PREFIX)} & set(ROLES)
        return max(found, key=ROLES.index) if found else self.default


def load_roles(path: str | Path) -> Roles:
    """The roles file at `path` (re-read when it changes); no file: every signed-in user a viewer."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return Roles(path=path)
    return _parse_roles(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _parse_roles(path: str, _mtime: int, _size: int) -> Roles:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not TOML (a TOMLDecodeError is a ValueError)
        raise AuthConfigError(f"roles file {path}: not a readable TOML file "
                              f"({getattr(exc, 'strerror', None) or exc})") from exc
    table = data.get("roles", {})
    if not isinstance(table, dict) or set(data) - {"roles", "default"}:
        raise AuthConfigError(f"roles file {path}: expected a [roles] table (and `default`), "
                              f"found {', '.join(sorted(data)) or 'nothing'}")
    default = table.get("default", data.get("default", "viewer"))
    if default not in (*ROLES, NO_ACCESS):
        raise AuthConfigError(f"roles file {path}: default = {default!r}; expected one of "
                              f"{', '.join(ROLES)} or {NO_ACCESS!r} (no access)")
    patterns = {}
    for role, pats in table.items():
        if role == "default":
            continue
        if role not in ROLES:
            raise AuthConfigError(f"roles file {path}: unknown role {role!r}; roles are {', '.join(ROLES)}")
        if not isinstance(pats, list) or not all(isinstance(p, str) and p.strip() for p in pats):
            raise AuthConfigError(f"roles file {path}: {role} must be a list of names or patterns, "
                                  f'like {role} = ["alice@example.org", "*@ngo.example"]')
        patterns[role] = tuple(p.strip().lower() for p in pats)
    return Roles(patterns, None if default == NO_ACCESS else default, Path(path))


# ---- who is it (pure) ----------------------------------------------------------------------------------
def user_from_headers(headers: Mapping[str, str], roles: Roles, env: Mapping[str, str] | None = None) -> User | None:
    """The user a trusted proxy named in `headers` (None: no user header)."""
    env = os.environ if env is None else env
    lower = {k.lower(): v for k, v in headers.items()}
    names = (env["INCIDENTMAP_AUTH_HEADER"],) if env.get("INCIDENTMAP_AUTH_HEADER") else DEFAULT_HEADERS
    name = next((v.strip() for h in names if (v := lower.get(h.lower())) and v.strip()), None)
    if name is None:
        return None
    groups_header = env.get("INCIDENTMAP_AUTH_GROUPS_HEADER")
    groups = (lower.get(groups_header.lower()) or "").split(",") if groups_header else []
    return User(name, roles.role_of(name, groups), "header")


def user_from_oidc(info: Mapping, roles: Roles) -> User | None:
    """The user Streamlit's st.user describes (None: not signed in)."""
    name = info.get("email") or info.get("preferred_username") or info.get("sub")
    if not info.get("is_logged_in") or not name:
        return None
    groups = info.get("groups")
    return User(str(name), roles.role_of(str(name), groups if isinstance(groups, list) else ()), "oidc")


# ---- the page's side ------------------------------------------------------------------------------------
def _tr(tr=None):
    if tr is not None:
        return tr
    import streamlit as st

    from dashboard.i18n import Tr

    return Tr(st.session_state.get("lang"))


def _halt(title: str | None, text: str, error: bool = False) -> NoReturn:
    """Say why on the page and stop the run (raise where no Streamlit run is under way)."""
    import streamlit as st

    if title:
        st.title(title)
    (st.error if error else st.info)(text)
    st.stop()
    raise Forbidden(text)


def _oidc_ready() -> bool:
    import importlib.util

    import streamlit as st

    try:
        return "auth" in st.secrets and importlib.util.find_spec("authlib") is not None
    except FileNotFoundError:  # no secrets file at all
        return False


def current_user(tr=None) -> User:
    """The signed-in user and their role. Nobody signed in (or no access, or a broken configuration):
    the page says so and the run stops there."""
    import streamlit as st

    tr = _tr(tr)
    try:
        mode = auth_mode()
        if mode == "none":
            return User(None, "admin", "none")
        roles = load_roles(roles_path())
    except AuthConfigError as exc:
        _halt(None, tr("auth_config_error", error=str(exc)), error=True)
    if mode == "header":
        user = user_from_headers(st.context.headers, roles)
        if user is None:
            _halt(tr("auth_required_title"), tr("auth_proxy_required"))
    else:
        user = user_from_oidc(st.user, roles)
        if user is None:
            if not _oidc_ready():
                _halt(tr("auth_required_title"), tr("auth_oidc_missing"), error=True)
            st.title(tr("auth_required_title"))
            st.write(tr("auth_oidc_prompt"))
            provider = os.environ.get("INCIDENTMAP_AUTH_PROVIDER")
            st.button(tr("auth_sign_in"), type="primary", on_click=st.login, args=(provider,) if provider else ())
            st.stop()
            raise Forbidden(tr("auth_oidc_prompt"))
    if user.role is None:
        _halt(tr("auth_required_title"), tr("auth_no_access", name=user.name))
    return user


def sidebar(tr, user: User) -> None:
    """"Signed in as NAME (role)" (and "Sign out" with OIDC) at the top of the sidebar; nothing when
    nobody signs in."""
    if user.mode == "none":
        return
    import streamlit as st

    from dashboard.detail import safe

    text = tr("auth_signed_in", name=f"<bdi>{safe(user.name)}</bdi>", role=tr("role_" + user.role))
    with st.sidebar:
        st.markdown(f"<div id='signed-in'>{text}</div>", unsafe_allow_html=True)
        if user.mode == "oidc":
            st.button(tr("auth_sign_out"), key="auth_sign_out", on_click=st.logout)


def require(role: str) -> User:
    """The current user, when their role is `role` or above. Else an error on the page and the run
    stops (`Forbidden` is raised where no Streamlit run is under way, so nothing after it runs)."""
    user = current_user()
    if not user.can(role):
        tr = _tr()
        _halt(None, tr("auth_forbidden", role=tr("role_" + role), name=user.name, current=tr("role_" + user.role)),
              error=True)
    return user
