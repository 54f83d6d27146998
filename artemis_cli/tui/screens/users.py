"""Users (admins only; the key and the palette entry are hidden for others): users with role and status,
the selected user's login history, this token's sessions; create, change role, deactivate / activate and
reset password, each through a form and the confirm modal."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from artemis_cli.tui import data
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.base import DashScreen
from artemis_cli.tui.screens.forms import Field, ask, confirm_then
from artemis_cli.tui.widgets import KeyedTable
from artemis_client.wire.auth import User

USER_COLUMNS = ("username", "role", "status", "email", "created")
USER_LABELS = ("USER", "ROLE", "STATUS", "EMAIL", "CREATED (UTC)")
HISTORY_COLUMNS = ("time", "result", "ip", "agent")
HISTORY_LABELS = ("TIME (UTC)", "RESULT", "IP", "USER AGENT")
SESSION_COLUMNS = ("session", "ip", "created", "last", "expires")
SESSION_LABELS = ("SESSION", "IP", "CREATED", "LAST ACTIVITY", "EXPIRES")
ROLES = ("admin", "operator", "viewer")


def _ms_or_s(t: int) -> str:
    return data.fmt_time(t // 1000 if t > 10**11 else t)


def _password(text: str) -> str:
    if len(text) < 8:
        raise ValueError("at least 8 characters")
    return text


class UsersScreen(DashScreen):
    TITLE = "Users"
    what = "users refresh"
    poll = False  # nothing pushes user changes; r reloads, actions reload
    BINDINGS = [
        Binding("n", "create", "New user"),
        Binding("o", "role", "Change role"),
        Binding("d", "status", "Deactivate/activate"),
        Binding("p", "reset", "Reset password"),
    ]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.users: dict[str, User] = {}

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="users-body"):
            yield KeyedTable(USER_COLUMNS, USER_LABELS, id="users")
            yield Label("Login history of the selected user, newest first", classes="section")
            yield KeyedTable(HISTORY_COLUMNS, HISTORY_LABELS, id="history")
            yield Label("Sessions of this console's user", classes="section")
            yield KeyedTable(SESSION_COLUMNS, SESSION_LABELS, id="sessions")
            yield Static("", id="users-summary", classes="summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "users and roles"
        self.query_one("#users", KeyedTable).focus()

    async def load(self) -> None:
        users = await sources.users(self.dash)
        self.users = {u.user_id: u for u in users}
        self.query_one("#users", KeyedTable).sync(
            (u.user_id, (u.username, u.role, u.status, u.email or "", _ms_or_s(u.created_at))) for u in users
        )
        sessions = await sources.sessions(self.dash)
        self.query_one("#sessions", KeyedTable).sync(
            (
                s.session_id,
                (
                    s.session_id[:12],
                    s.ip_address or "",
                    _ms_or_s(s.created_at),
                    _ms_or_s(s.last_activity),
                    _ms_or_s(s.expires_at),
                ),
            )
            for s in sessions
        )
        active = sum(1 for u in users if u.status == "active")
        self.query_one("#users-summary", Static).update(
            f"{len(users)} users ({active} active), {len(sessions)} sessions of this user"
        )
        await self._history()

    async def _history(self) -> None:
        u = self.selected(quiet=True)
        rows = await sources.login_history(self.dash, u.user_id) if u is not None else []
        self.query_one("#history", KeyedTable).sync(
            (str(h.id), (_ms_or_s(h.login_time), h.status, h.ip_address, h.user_agent[:40])) for h in rows
        )

    @on(DataTable.RowHighlighted, "#users")
    def _moved(self) -> None:
        self.run_guarded(self._history(), "login history")

    def selected(self, quiet: bool = False) -> User | None:
        u = self.users.get(self.query_one("#users", KeyedTable).selected_key() or "")
        if u is None and not quiet:
            self.notify("no user selected", severity="warning")
        return u

    # -- actions ---------------------------------------------------------------------------------------
    def action_create(self) -> None:
        fields = [
            Field("username", "User name:"),
            Field("password", "Password (8 characters or more):", password=True, check=_password),
            Field("role", "Role:", "viewer", choices=ROLES),
            Field("email", "E-mail (optional):", required=False),
        ]

        def then(v: dict[str, str]) -> None:
            async def run() -> None:
                await sources.create_user(self.dash, v["username"], v["password"], v["role"], v["email"])

            lines = [f"Create user {v['username']} with role {v['role']}"]
            confirm_then(
                self,
                "Create user?",
                lines,
                run,
                verb="Create",
                danger=v["role"] == "admin",
                done="user created",
            )

        ask(self, "New user", fields, then)

    def action_role(self) -> None:
        u = self.selected()
        if u is None:
            return

        def then(v: dict[str, str]) -> None:
            if v["role"] == u.role:
                self.notify(f"{u.username} is {u.role} already")
                return

            async def run() -> None:
                await sources.update_user(self.dash, u.user_id, role=v["role"])

            lines = [f"Change the role of {u.username}: {u.role} -> {v['role']}"]
            if u.role == "admin":
                lines.append("  the user loses user administration (the last active admin cannot be demoted)")
            confirm_then(self, "Change role?", lines, run, verb="Change", done=f"{u.username} is {v['role']}")

        ask(self, f"Role of {u.username}", [Field("role", "Role:", u.role, choices=ROLES)], then)

    def action_status(self) -> None:
        u = self.selected()
        if u is None:
            return
        new = "inactive" if u.status == "active" else "active"
        verb = "Deactivate" if new == "inactive" else "Activate"
        lines = [f"{verb} {u.username} ({u.role})"]
        if new == "inactive":
            lines.append("  the user cannot log in; their sessions end now")

        async def run() -> None:
            await sources.set_user_status(self.dash, u.user_id, new)

        confirm_then(
            self, f"{verb} user?", lines, run, verb=verb, danger=new == "inactive", done=f"{u.username} {new}"
        )

    def action_reset(self) -> None:
        u = self.selected()
        if u is None:
            return

        def then(v: dict[str, str]) -> None:
            async def run() -> None:
                await sources.reset_password(self.dash, u.user_id, v["password"])

            lines = [f"Reset the password of {u.username}", "  tell the user the new password out of band"]
            confirm_then(self, "Reset password?", lines, run, verb="Reset", done="password reset")

        ask(
            self,
            f"New password for {u.username}",
            [Field("password", "New password (8 characters or more):", password=True, check=_password)],
            then,
        )
