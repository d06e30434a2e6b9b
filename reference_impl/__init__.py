"""A compact reference implementation of st.login, st.user and st.logout as in Streamlit 1.50.

ReferenceServer serves one app script: HTTP endpoints through handle(), app sessions (the
websocket equivalent) through connect().
"""

from .server import ReferenceServer

__all__ = ["ReferenceServer"]
