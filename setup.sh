#!/bin/sh
# Set up a fresh machine for logoutspec: Debian's Chromium (the browser target and the report's
# browser test drive it; Playwright never downloads a browser here) and the Python environment.
# Real Streamlit versions are installed later, on first use, into .cache/streamlit/.
set -eu
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
