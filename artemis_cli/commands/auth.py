"""`artemis login` / `artemis logout`: a console token stored in the current context (file mode 0600)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from artemis_cli.cmdline import lazy_parser
from artemis_cli.common import Refusal, os_user, state, stdin_is_tty
from artemis_client.errors import ArtemisError, InvalidArgumentError, InvalidResponseError, TransportError


def login(
    ctx: typer.Context,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            metavar="NAME",
            help="User name (default: the context's last login, else its user, else the OS user).",
            parser=lazy_parser("ident_parser", "--user", "a user name"),
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Log in and store the token in the current context (created as `default` when there is none)."""
    from artemis_cli import config

    st = state(ctx)
    s = st.settings
    ctx_name = s.context_name or "default"
    stored = (s.config_doc.get("contexts") or {}).get(ctx_name) or {}
    if st.server and stored.get("servers") and not config.within(s.servers, list(stored["servers"])):
        # the token would be stored where the context's other servers get it: keep tokens with their servers
        raise InvalidArgumentError(
            f"--server: {', '.join(s.servers)} is not a server of context {ctx_name}, where the token "
            "would be stored; log in with --context NAME of a context for this server (see 'artemis "
            "context set')"
        )
    name = user or stored.get("login-user") or s.user or os_user("admin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif stdin_is_tty():
        password = getpass.getpass(f"password for {name}: ", stream=sys.stderr)
    else:
        raise Refusal("no terminal to ask for the password: pass --password-stdin")
    if not password:
        raise InvalidArgumentError("empty password")
    result = st.client.login(name, password)
    token = result.access_token
    if not token:
        raise InvalidResponseError("the server answered the login without a token")
    path = s.config_file
    doc = config.load(path)
    ctxs = config.contexts(doc)
    c = dict(ctxs.get(ctx_name) or {})
    c.setdefault("servers", list(s.servers))
    c["token"] = token
    c["login-user"] = name
    ctxs[ctx_name] = c
    doc.setdefault("current-context", ctx_name)
    config.save(path, doc)
    st.out.done(
        {"user": name, "context": ctx_name, "expiresIn": result.expires_in},
        f"logged in as {name} (token stored in context {ctx_name})",
    )


def logout(ctx: typer.Context) -> None:
    """Revoke the token on the server and drop it from the current context."""
    from artemis_cli import config

    st = state(ctx)
    s = st.settings
    if not s.token:
        if s.token_withheld:
            raise InvalidArgumentError(
                f"--server: the token of context {s.token_withheld} is not sent to other servers; "
                "log out with --context instead"
            )
        raise InvalidArgumentError("not logged in: no token in the current context, --token or ARTEMIS_TOKEN")
    server_error: Exception | None = None
    try:
        st.client.logout()
    except TransportError:
        raise
    except ArtemisError as exc:  # token already dead: still forget it locally
        server_error = exc
    if s.context_name:
        path = s.config_file
        doc = config.load(path)
        c = config.contexts(doc).get(s.context_name)
        if c is not None and "token" in c:
            if "login-user" not in c:
                c.pop("user", None)  # written by the login of an older CLI next to its token
            del c["token"]
            c.pop("login-user", None)  # changes are audited as the OS user (or --operator) from now on
            config.save(path, doc)
    if server_error is not None:
        st.out.warn(f"the server did not accept the logout ({server_error}); token forgotten locally")
    st.out.done({"loggedOut": True, "context": s.context_name}, "logged out")
