"""`artemis tui --web`: the dashboard served to browsers by textual-serve, with our own page and checks.

textual-serve runs one dashboard process per browser session and relays its terminal over a WebSocket to
xterm.js in the page. What this module changes:

- **The page** (``templates/index.html``): everything from this server. textual-serve's own page links a
  Google Fonts stylesheet in its head; the terminal starts in ``window.onload``, which waits for that
  stylesheet, so on a network where the CDN is slow or unreachable the browser showed the splash for as long
  as the request took to fail (or forever when it stalls). The font is textual-serve's local copy.
- **Who may connect**: the console has no login of its own and runs the dashboard with the operator's token,
  so requests must name a loopback host (no DNS rebinding) and the WebSocket must come from a page of this
  server (another site open in the same browser must not be able to drive it: browsers do not apply CORS to
  WebSockets). Origins behind a reverse proxy are listed in ``ARTEMIS_TUI_WEB_ORIGINS``.
- **The session command** starts the dashboard directly (``python -m artemis_cli.tui.web.session``), without
  the CLI's option parsing and config loading: the serving process resolved servers, token and operator once.
"""

from __future__ import annotations

ORIGINS_ENV = "ARTEMIS_TUI_WEB_ORIGINS"  # extra origins allowed to open sessions (a reverse proxy's)
SESSION_ENV = "ARTEMIS_TUI_SESSION"  # JSON options of the per-session dashboard process (session.py)
