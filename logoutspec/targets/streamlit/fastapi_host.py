"""A FastAPI site with Streamlit's st.App mounted under a prefix, as Streamlit documents it (the
docstring of App.lifespan: `FastAPI(lifespan=streamlit_app.lifespan())`, then
`fastapi_app.mount("/dashboard", streamlit_app)`), served by uvicorn.

The harness copies this file into the server's working directory and runs `uvicorn fastapi_host:app`
with the interpreter of a provisioned Streamlit (1.57+) and FastAPI; it never imports it. The app
script is LOGOUTSPEC_APP, the mount's path LOGOUTSPEC_MOUNT (without slashes). The site answers
its own root with a JSON page of its own, as a real host does: a redirect that leaves the mount
lands there, on a page that is not the app.
"""

import os

import streamlit as st
from fastapi import FastAPI

streamlit_app = st.App(os.environ["LOGOUTSPEC_APP"])
app = FastAPI(lifespan=streamlit_app.lifespan())


@app.get("/")
def host_root() -> dict[str, str]:
    return {"site": "the FastAPI host", "app": f"/{os.environ['LOGOUTSPEC_MOUNT']}/"}


app.mount(f"/{os.environ['LOGOUTSPEC_MOUNT']}", streamlit_app)
