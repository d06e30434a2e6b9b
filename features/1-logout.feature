@source:st.logout
Feature: st.logout
  What st.logout promises, sentence by sentence, as the Streamlit documentation states it.
  Before 1.45 the documentation calls st.user st.experimental_user; the promises are the same.

  Source: the st.logout API reference, Streamlit docs 1.50.0,
  https://docs.streamlit.io/1.50.0/develop/api-reference/user/st.logout

  The app is the probe app (fixtures/apps/probe.py): it shows st.user as JSON at the start and at
  the end of every script run, and has "Log in" and "Log out" buttons. Alice is a user of the
  fixture identity provider (fixtures/idp.toml); she logs in with the app's default provider.

  Background:
    Given the probe app with the default secrets.toml

  @streamlit:>=1.42
  Rule: st.logout removes the user's information from st.user
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them [...]"
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later)

    Scenario: st.user is logged out for the rest of the script run that calls st.logout
      Given Alice is logged in
      When she clicks "Log out"
      Then the script run that called st.logout started with st.user logged in as "Alice Liddell"
      And that script run ended with st.user {"is_logged_in": false}

    Scenario: st.user keeps the user's information while st.logout is not called
      Given Alice is logged in
      When she reruns the app
      Then the tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42
  Rule: st.logout deletes the identity cookie
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them [...]"
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later)

    Scenario: The logout response deletes the identity cookie with the name and path it was set with
      Given Alice is logged in
      When she clicks "Log out"
      Then the logout response deletes the identity cookie with the path it was set with
      And the browser holds no identity cookie

    Scenario: The identity cookie stays while st.logout is not called
      Given Alice is logged in
      When she reloads the tab
      Then the browser holds the identity cookie
      And the tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42,<1.53
  Rule: st.logout redirects the browser to the app's home page
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them back to your app's home page."
    > (st.logout, docs 1.50.0; Streamlit 1.42 to 1.52)

    Scenario: Logging out from a page with a query string ends on the home page
      Given Alice is logged in on the page "?view=details"
      When she clicks "Log out"
      Then the browser was redirected straight from the logout endpoint to the app's home page
      And the tab is on the app's home page

    Scenario: An app served under a base path sends the browser to its own home page
      Given the probe app is served under the base path "myapp"
      And Alice is logged in
      When she clicks "Log out"
      Then the browser was redirected straight from the logout endpoint to the app's home page
      And the tab is on the app's home page "/myapp/"

  @streamlit:>=1.53
  Rule: st.logout sends the browser through the identity provider's logout, then to the app's home page
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them to perform a proper logout from the OAuth provider (if available) before
    > returning to your app's home page."
    > (st.logout, docs 1.53.0; Streamlit 1.53 and later)

    Scenario: With an end-session endpoint, the browser passes through it and ends on the home page
      Given Alice is logged in on the page "?view=details"
      When she clicks "Log out"
      Then the browser went from the logout endpoint through the identity provider's end-session endpoint to the app's home page
      And the tab is on the app's home page

    Scenario: Under a base path, the identity provider's logout returns to the app's own home page
      Given the probe app is served under the base path "myapp"
      And Alice is logged in
      When she clicks "Log out"
      Then the browser went from the logout endpoint through the identity provider's end-session endpoint to the app's home page
      And the tab is on the app's home page "/myapp/"

    Scenario: Without an end-session endpoint, the browser goes straight to the home page
      Given the probe app with the secrets.toml "no-end-session"
      And Alice is logged in
      When she clicks "Log out"
      Then the browser was redirected straight from the logout endpoint to the app's home page
      And the tab is on the app's home page

  @streamlit:>=1.42
  Rule: Logging out on another page of a multipage app ends on the app's home page
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them [...] to your app's home page."
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later. The words left out are "back" up to 1.52
    > and "to perform a proper logout from the OAuth provider (if available) before returning"
    > from 1.53; the rest stands in every release. The home page of a multipage app is its default
    > page, at the app's base URL, whichever page st.logout was called on. The app is
    > fixtures/apps/multipage.py: st.navigation with a home page and an "account" page.)

    Scenario: Logging out on the account page ends on the home page, logged out
      Given the multipage app with the default secrets.toml
      And Alice is logged in on the page "account"
      Then the tab shows "This is the account page."
      When she clicks "Log out"
      Then the browser holds no identity cookie
      And the tab is on the app's home page
      And the tab shows "This is the home page."
      And the tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: Logging out creates a new session
    > "This creates a new session."
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later)

    Scenario: The home page the browser lands on runs in a new, logged-out session
      Given Alice is logged in
      When she clicks "Log out"
      Then the tab runs in a new session
      And the tab shows st.user {"is_logged_in": false}

    Scenario: A rerun without logging out stays in the same session
      Given Alice is logged in
      When she reruns the app
      Then the tab runs in the same session

  @streamlit:>=1.42
  Rule: A session st.logout ran in cannot be resumed
    > "This creates a new session."
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later. The documentation is silent on resuming,
    > but the promise is only kept if the logged-out session never comes back: Streamlit's frontend
    > asks to resume its last session when it reconnects after a dropped connection, naming it as
    > the third entry of the websocket's Sec-WebSocket-Protocol, and any client can do the same.
    > Streamlit 1.67.0 marks the session st.logout ran in as never to be resumed
    > (streamlit/runtime/websocket_session_manager.py, lines 149-152 and 269-275, in 1.67.0);
    > earlier releases give it back, with what the app kept in it, to whoever asks.)

    Scenario: A tab that asks to resume the session she logged out of gets a new, logged-out session
      Given Alice is logged in
      When she clicks "Log out"
      And she opens a new tab that asks to resume the session she logged out of
      Then the tab runs in a new session
      And the new tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: A session is resumed only for the identity it has
    > "st.user only reads from the identity cookie at the start of a session."
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later. The documentation is silent on resuming,
    > but st.user comes from the identity cookie, so a session's id must not stand in for it: a
    > connection that asks to resume a logged-in session without her identity cookie must get a
    > new session, logged out. Her own browser, presenting the same cookie, gets her session back,
    > as after a dropped connection. Streamlit 1.61.0 resumes a session only for the identity it
    > has (AppSession.matches_user_info, streamlit/runtime/websocket_session_manager.py, lines
    > 284-292, in 1.67.0); earlier releases resume it for anyone who names it.)

    Scenario: Another browser that asks to resume her session gets a new, logged-out session
      Given Alice is logged in
      And she has closed the tab
      When a new tab in another browser, where nobody is logged in, asks to resume her session
      Then the tab runs in a new session
      And the new tab shows st.user {"is_logged_in": false}

    Scenario: Her own browser that asks to resume her session gets it back, logged in
      Given Alice is logged in
      And she has closed the tab
      When she opens a new tab that asks to resume that session
      Then the tab runs in the same session
      And the new tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42
  Rule: Other sessions of the same browser keep their st.user
    > "If the user has multiple sessions open in the same browser, st.user will not be cleared in
    > any other session. st.user only reads from the identity cookie at the start of a session.
    > After a session is running, you must call st.login() or st.logout() within that session to
    > update st.user."
    > (st.logout, docs 1.50.0; Streamlit 1.42 and later)

    Scenario: The second tab stays logged in after it reruns
      Given Alice is logged in
      And she has opened a second tab
      When she clicks "Log out" in the first tab
      And she reruns the second tab
      Then the second tab shows st.user logged in as "Alice Liddell"

    Scenario: A tab reloaded after the logout reads the cookie anew and is logged out
      Given Alice is logged in
      And she has opened a second tab
      When she clicks "Log out" in the first tab
      And she reloads the second tab
      Then the second tab shows st.user {"is_logged_in": false}

    Scenario: A tab opened after the logout is logged out
      Given Alice is logged in
      When she clicks "Log out"
      And she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

    Scenario: Another browser is unaffected
      Given Alice is logged in
      And Alice is logged in in another browser
      When she clicks "Log out" in the first browser
      And she opens a new tab in the other browser
      Then the new tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42,<1.53
  Rule: st.logout does not log the user out of the identity provider
    > "This does not log the user out of their underlying account from the identity provider."
    > (st.logout, docs 1.50.0, Note; Streamlit 1.42 to 1.52. From 1.53 Streamlit also ends the
    > identity provider's session when the provider publishes an end_session_endpoint, as the
    > fixture identity provider does.)

    Scenario: No request reaches the identity provider's end-session endpoint
      Given Alice is logged in
      When she clicks "Log out"
      Then the identity provider received no end-session request
      And Alice's session at the identity provider is still alive

    Scenario: Logging in again does not ask for credentials
      Given Alice is logged in
      And she has clicked "Log out"
      When she clicks "Log in"
      Then the tab shows st.user logged in as "Alice Liddell"
      And the identity provider did not ask for her credentials again

  @streamlit:>=1.53
  Rule: st.logout logs the user out of the identity provider when it publishes an end_session_endpoint
    > "If the OAuth provider supports OIDC end_session_endpoint in their server metadata, the user
    > will be logged out from the identity provider as well. If not available, only local logout is
    > performed."
    > (st.logout, docs 1.53.0, Note; Streamlit 1.53 and later)

    Scenario: The end-session request identifies the client, the user's token and the way back
      Given Alice is logged in
      When she clicks "Log out"
      Then the identity provider received one end-session request
      And it carried the client_id "logoutspec-app", an id_token_hint and the app's redirect_uri as post_logout_redirect_uri
      And Alice's session at the identity provider has ended

    Scenario: After the identity provider's logout, logging in again asks for credentials
      Given Alice is logged in
      And she has clicked "Log out"
      When she clicks "Log in"
      Then the tab shows st.user logged in as "Alice Liddell"
      And the identity provider asked for her credentials again

    Scenario: Without an end-session endpoint only the app logs out
      Given the probe app with the secrets.toml "no-end-session"
      And Alice is logged in
      When she clicks "Log out"
      Then the identity provider received no end-session request
      And Alice's session at the identity provider is still alive

  @streamlit:>=1.53
  Rule: When the identity provider's logout is not available, st.logout logs out of the app alone
    > "If the OAuth provider supports OIDC end_session_endpoint in their server metadata, the user
    > will be logged out from the identity provider as well. If not available, only local logout
    > is performed."
    > (st.logout, docs 1.53.0, Note; Streamlit 1.53 and later. "Not available" is a provider
    > whose metadata has no end_session_endpoint, and also one whose metadata cannot be fetched
    > at the moment of the logout: the local logout is all of it, cookies deleted and home page.)

    Scenario: Without an end-session endpoint, logging out deletes the cookies and ends on the home page
      Given the probe app with the secrets.toml "no-end-session"
      And Alice is logged in
      When she clicks "Log out"
      Then the browser was redirected straight from the logout endpoint to the app's home page
      And the browser holds no identity cookie
      And the browser holds no tokens cookie
      And the tab shows st.user {"is_logged_in": false}

    Scenario: When the identity provider's metadata cannot be fetched, logging out still deletes the cookies and ends on the home page
      Given Alice is logged in
      And the identity provider's metadata cannot be fetched
      When she clicks "Log out"
      Then the browser was redirected straight from the logout endpoint to the app's home page
      And the browser holds no identity cookie
      And the browser holds no tokens cookie
      And the tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.53
  Rule: st.logout deletes the tokens cookie along with the identity cookie
    > "This command removes the user's information from st.user, deletes their identity cookie, [...]"
    > (st.logout, docs 1.53.0. From 1.53 Streamlit keeps the provider's tokens in a second cookie,
    > _streamlit_user_tokens, set at login beside the identity cookie.)

    Scenario: Logging out deletes both cookies
      Given Alice is logged in
      And the browser holds the tokens cookie
      When she clicks "Log out"
      Then the logout response deletes the tokens cookie with the path it was set with
      And the browser holds no tokens cookie

  @streamlit:>=1.53
  Rule: st.logout deletes every chunk of the identity cookie
    > "This command removes the user's information from st.user, deletes their identity cookie, [...]"
    > (st.logout, docs 1.53.0; Streamlit 1.53 and later. From 1.53 a cookie too large for one
    > Set-Cookie (4096 bytes) is split: _streamlit_user then holds the number of chunks, signed,
    > and _streamlit_user_1 to _N the value; the tokens cookie likewise (streamlit/auth_util.py,
    > lines 213-334, in 1.53.0). All of them are the identity cookie, also when the count cannot
    > be verified. Carol is a user of the fixture identity provider whose id_token carries 5000
    > random characters, which no compression shrinks.)

    Scenario: After a login with large claims, logging out leaves no chunk of the identity cookie
      Given Carol is logged in
      And the browser holds the identity cookie in more than one chunk
      When she clicks "Log out"
      Then the browser holds no cookie whose name starts with "_streamlit_user"
      And the tab shows st.user {"is_logged_in": false}

    Scenario: When the identity cookie's signature does not verify, logging out still deletes its chunks
      Given Carol is logged in
      And the browser holds the identity cookie in more than one chunk
      When the signature of the identity cookie in her browser is altered
      And she clicks "Log out"
      Then the browser holds no cookie whose name starts with "_streamlit_user"

  @streamlit:>=1.53
  Rule: st.logout empties st.user.tokens along with the rest of st.user
    > "This command removes the user's information from st.user, deletes their identity cookie, [...]"
    > "tokens: A read-only, dict-like object for accessing exposed tokens from the identity provider."
    > (st.logout and st.user, docs 1.53.0; Streamlit 1.53 and later, where [auth] expose_tokens
    > names the tokens st.user.tokens shows; st.user.to_dict() includes them under "tokens".)

    Scenario: The script run that calls st.logout has no tokens left, and no tokens cookie stays behind
      Given the probe app with the secrets.toml "expose-tokens"
      And Alice is logged in
      Then st.user.tokens has the identity provider's "id" and "access" tokens
      When she clicks "Log out"
      Then the script run that called st.logout started with st.user logged in as "Alice Liddell"
      And that script run ended with st.user {"is_logged_in": false}
      And the browser holds no tokens cookie
      When she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: st.logout as a button's on_click callback logs out as it does in the script
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them back to your app's home page. This creates a new session."
    > on_click: "An optional callback invoked when this button is clicked."
    > (st.logout and st.button, docs 1.50.0; Streamlit 1.42 and later. The app is
    > fixtures/apps/callback.py: st.button("Log out", on_click=st.logout). Streamlit runs the
    > callback before the script, so the run that follows the click starts logged out.)

    Scenario: The on_click callback deletes the cookie and the page starts a new, logged-out session
      Given the callback app with the default secrets.toml
      And Alice is logged in
      When she clicks "Log out"
      Then the script run that called st.logout ended with st.user {"is_logged_in": false}
      And the browser holds no identity cookie
      And the tab runs in a new session
      And the tab shows st.user {"is_logged_in": false}

    Scenario: The on_click callback leaves her other tabs logged in
      Given the callback app with the default secrets.toml
      And Alice is logged in
      And she has opened a second tab
      When she clicks "Log out" in the first tab
      And she reruns the second tab
      Then the second tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42
  Rule: Logging out when nobody is logged in is harmless
    > "This command removes the user's information from st.user, deletes their identity cookie,
    > and redirects them [...] your app's home page."
    > (st.logout, docs 1.50.0; a logout without a login still ends on the home page, logged out.
    > Observed in Streamlit 1.42 to 1.67.)

    Scenario: Logging out without being logged in ends on the home page, logged out
      Given Alice has opened the app without logging in
      When she clicks "Log out"
      Then the tab is on the app's home page
      And the tab shows st.user {"is_logged_in": false}
      And the browser holds no identity cookie
