"""A compact reference implementation of st.login, st.user and st.logout as in Streamlit 1.50,
or with 1.53's logout from the identity provider and tokens cookie (ReferenceServer(version=...)).

ReferenceServer serves one app script: HTTP endpoints through handle(), app sessions (the
websocket equivalent) through connect().
"""

from .server import ReferenceServer

__all__ = ["ReferenceServer"]
