#!/bin/sh
# Set up a fresh machine for logoutspec: Debian's Chromium (the browser target and the report's
# browser test drive it; Playwright never downloads a browser here), Debian's nginx (the proxy and
# replicas targets put it in front of Streamlit; it runs as a child of the harness, never as a
# service) and the Python environment.
# Real Streamlit versions are installed later, on first use, into .cache/streamlit/.
set -eu
cd "$(dirname "$0")"
MISSING=""
command -v chromium >/dev/null 2>&1 || MISSING="chromium"
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || MISSING="$MISSING nginx"
if [ -n "$MISSING" ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    # shellcheck disable=SC2086  # one word per package
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $MISSING >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
