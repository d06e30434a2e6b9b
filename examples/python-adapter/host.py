"""A Starlette site of its own with Streamlit 1.67's st.App mounted in it: the implementation the
adapter in mounted_app.py checks. The app script comes from LOGOUTSPEC_APP."""

import os

import streamlit as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

streamlit_app = st.App(os.environ["LOGOUTSPEC_APP"])


async def ping(request: object) -> PlainTextResponse:
    return PlainTextResponse("pong")


app = Starlette(routes=[Route("/api/ping", ping), Mount("/", app=streamlit_app)], lifespan=streamlit_app.lifespan())
