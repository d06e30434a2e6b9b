"""Streamlit's st.App (ASGI, Streamlit 1.57+) as a host file: uvicorn serves `host:app`.

The conformance suite names the app script to serve in LOGOUTSPEC_APP (see conformance.toml);
Streamlit finds .streamlit/secrets.toml in the working directory the harness gives the process.
"""

import os

import streamlit as st

app = st.App(os.environ["LOGOUTSPEC_APP"])
