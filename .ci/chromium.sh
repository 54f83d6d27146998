#!/usr/bin/env bash
# Make sure a headless chromium is installed for the browser tests of `artemis tui --web` (tests/tui/
# test_browser.py); source it, then call chromium_ensure. Installs the distribution's chromium package when
# no chromium is on PATH. The tests drive it over the DevTools protocol (no chromedriver needed) and start it
# themselves with a fresh profile, loopback-only.
set -euo pipefail

chromium_ensure() {
    if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
        return 0
    fi
    echo "installing chromium from the distribution's packages" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    command -v chromium >/dev/null 2>&1
}
