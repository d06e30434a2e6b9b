@source:st.login
Feature: st.login and st.user, the behaviour st.logout depends on
  st.logout undoes what st.login did; these rules pin down what that is.

  Sources: the st.login and st.user API references, Streamlit docs 1.50.0,
  https://docs.streamlit.io/1.50.0/develop/api-reference/user/st.login and
  https://docs.streamlit.io/1.50.0/develop/api-reference/user/st.user

  Background:
    Given the probe app with the default secrets.toml

  @streamlit:>=1.42
  Rule: After signing in at the identity provider, the user returns to the app's home page
    > "This command redirects the user to an OpenID Connect (OIDC) provider. After the user
    > authenticates their identity, they are redirected back to the home page of your app."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The browser goes from the app to the
    > identity provider, which sends it back to the app's redirect_uri, the callback under the
    > app's base URL, and from there it ends on the home page: the app itself, under its base path.)

    Scenario: Logging in goes through the identity provider and ends on the app's home page
      Given Alice has opened the app without logging in
      When she clicks "Log in" and signs in at the identity provider
      Then the tab is on the app's home page
      And the tab shows st.user logged in as "Alice Liddell"

    Scenario: Under a base path, logging in ends on the app's own home page
      Given the probe app is served under the base path "myapp"
      And Alice has opened the app without logging in
      When she clicks "Log in" and signs in at the identity provider
      Then the tab is on the app's home page "/myapp/"
      And the tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42
  Rule: st.login stores the identity in a cookie that expires after 30 days
    > "Streamlit stores a cookie with the user's identity information in the user's browser."
    > "If a user closes your app without logging out, the identity cookie will expire after 30 days."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The cookie is HttpOnly: scripts in the
    > page cannot read it.)

    Scenario: The identity cookie is HttpOnly and lasts 30 days
      Given Alice is logged in
      Then the browser holds the identity cookie
      And the identity cookie is HttpOnly
      And the identity cookie expires 30 days after the login

    @needs:clock
    Scenario: A tab opened 29 days after the login is still logged in
      Given Alice is logged in
      When 29 days pass
      And she opens a new tab
      Then the new tab shows st.user logged in as "Alice Liddell"

    @needs:clock
    Scenario: A tab opened 30 days and one second after the login is logged out
      Given Alice is logged in
      When 30 days and 1 second pass
      And she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: Closing the browser does not log the user out
    > "If a user closes your app without logging out, the identity cookie will expire after 30 days."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The identity cookie outlives the browser
    > session: a browser forgets its session cookies when it quits, so a cookie without an expiry
    > would log the user out at every restart, long before 30 days. Streamlit 1.57 sets it
    > without Max-Age, a session cookie; 1.58 restores Max-Age.)

    Scenario: After the browser restarts, a new tab is still logged in
      Given Alice is logged in
      When she restarts the browser
      And she opens a new tab
      Then the new tab shows st.user logged in as "Alice Liddell"
      And the browser holds the identity cookie

  @streamlit:>=1.42
  Rule: The identity cookie is signed with cookie_secret
    > "cookie_secret should be a strong, randomly generated secret."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. A cookie whose signature does not verify
    > must not log anybody in.)

    Scenario: A tampered identity cookie logs nobody in
      Given Alice is logged in
      When the signature of the identity cookie in her browser is altered
      And she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

    Scenario: The untampered identity cookie logs her in
      Given Alice is logged in
      When she opens a new tab
      Then the new tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.42
  Rule: st.login accepts only the identity token of the login it started
    > "state and nonce, which are used for security, are handled automatically and don't need to be
    > specified."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The identity token must also come from the
    > configured provider and be meant for this app: its issuer and audience are checked too. And
    > the state must come back to the browser that started the login: a link back to the app taken
    > from someone else's login must not log anybody in as them, the "login CSRF" that state exists
    > to prevent.)

    Scenario Outline: A login answer that does not belong to the login the app started logs nobody in
      Given Alice has opened the app without logging in
      And the identity provider answers logins with <answer>
      When she tries to log in
      Then the browser brought the identity provider's answer to the app's callback
      And the browser holds no identity cookie
      When she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

      Examples:
        | answer                           |
        | a state the app did not send     |
        | an id_token with another nonce   |
        | an id_token from another issuer  |
        | an id_token for another audience |

    Scenario: A login started in another browser does not log her in
      Given Alice has opened the app without logging in
      And Bob has started a login in his own browser and kept the link back to the app
      When Alice opens Bob's link
      Then the tab shows st.user {"is_logged_in": false}
      And the browser holds no identity cookie

  @streamlit:>=1.42
  Rule: st.user carries the identity token's claims
    > "When authentication is configured in secrets.toml, Streamlit will parse the OpenID Connect
    > (OIDC) identity token and copy the attributes to st.user."
    > is_logged_in: "Whether a user is logged in."
    > (st.user, docs 1.50.0; Streamlit 1.42 and later, as st.experimental_user before 1.45)

    Scenario: After logging in, st.user has the identity token's claims and is_logged_in true
      Given Alice is logged in
      Then st.user has these values:
        | key            | value                   |
        | is_logged_in   | true                    |
        | name           | "Alice Liddell"         |
        | email          | "alice@example.com"     |
        | email_verified | true                    |
        | sub            | "alice-0001"            |
        | aud            | "logoutspec-app"        |
      And st.user's "iss" is the identity provider's issuer
      And st.user has the claims "iat", "exp" and "nonce"

    Scenario: Before logging in, st.user is {"is_logged_in": false}
      Given Alice has opened the app without logging in
      Then the tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: A named provider is configured in [auth.NAME] and chosen with st.login("NAME")
    > "If you specify a name for your provider, save the shared settings in the [auth] dictionary
    > of your secrets.toml file, and save the other settings in an [auth.{provider}] dictionary,
    > where {provider} is the name of your provider."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later)

    Scenario: st.login("acme") logs in with the [auth.acme] client
      Given Alice has opened the app without logging in
      When she clicks "Log in with acme" and signs in at the identity provider
      Then st.user has these values:
        | key          | value             |
        | is_logged_in | true              |
        | aud          | "logoutspec-acme" |

    Scenario: st.login() without a name logs in with the [auth] client
      Given Alice is logged in
      Then st.user has these values:
        | key          | value            |
        | aud          | "logoutspec-app" |

  @streamlit:>=1.42
  Rule: A login that does not complete ends on the app's home page, logged out
    > "This command redirects the user to an OpenID Connect (OIDC) provider. After the user
    > authenticates their identity, they are redirected back to the home page of your app."
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The documentation promises the home page
    > after a login and says nothing of a login that does not complete. Streamlit's own callback
    > sends the browser home without an identity cookie when the identity provider answers with
    > an error or with a state it does not know (streamlit/web/server/oauth_authlib_routes.py,
    > lines 147-169, in 1.50.0); this Rule holds every failed login to that same answer: home,
    > logged out, never an error page. Observed: Streamlit 1.50.0 answers 302 to the home page
    > for access_denied, an unknown state and a bad provider token, but 500 for a code the
    > identity provider will not exchange and 400 for the return address without parameters;
    > Streamlit 1.67.0 answers 302 to the home page in every case.)

    Scenario Outline: A login the identity provider refuses ends on the home page, logged out
      Given Alice has opened the app without logging in
      And the identity provider answers logins with <answer>
      When she tries to log in
      Then the browser ended up on the app's home page
      And the browser holds no identity cookie
      When she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

      Examples:
        | answer                               |
        | access_denied, as when she declines  |
        | a state the app did not send         |

    Scenario: A login whose code the identity provider will not exchange ends on the home page, logged out
      Given Alice has opened the app without logging in
      And the identity provider answers logins with a code the token endpoint refuses
      When she tries to log in
      Then the browser ended up on the app's home page
      And the browser holds no identity cookie
      When she opens a new tab
      Then the new tab shows st.user {"is_logged_in": false}

    Scenario: The login's return address opened without parameters ends on the home page, logged out
      Given Alice has opened the app without logging in
      When she opens "oauth2callback" in a new tab
      Then the browser ended up on the app's home page
      And the browser holds no identity cookie
      And the new tab shows st.user {"is_logged_in": false}

    Scenario: The login address with a provider token the app did not sign ends on the home page, logged out
      Given Alice has opened the app without logging in
      When she opens "auth/login?provider=not-a-token" in a new tab
      Then the browser ended up on the app's home page
      And the browser holds no identity cookie
      And the new tab shows st.user {"is_logged_in": false}

  @streamlit:>=1.42
  Rule: Streamlit does not check the identity token's expiry once the user is logged in
    > "Identity tokens include an issuance and expiration time. Streamlit does not implicitly
    > check these. If you want to automatically expire a user's authentication, check these
    > values manually and programmatically log out your user (st.logout()) when needed."
    > (st.user, docs 1.50.0; Streamlit 1.42 and later. The user stays logged in until st.logout or
    > the identity cookie's 30 days, whatever the token's exp. Only the login itself looks at exp,
    > through Authlib, which accepts an id_token up to 2 minutes past it (leeway=120 in
    > authlib/integrations/base_client/sync_openid.py, the Authlib 1.6.5 that Streamlit 1.50.0 uses).)

    Scenario: An identity token that expires the second it is issued leaves her logged in
      Given the identity provider issues identity tokens that expire the second they are issued
      And Alice is logged in
      When she opens a new tab
      Then the new tab shows st.user logged in as "Alice Liddell"
      And the identity token st.user shows has expired

    @needs:clock
    Scenario: Two days after the login, her identity token long expired, a new tab is still logged in
      Given Alice is logged in
      When 2 days pass
      And she opens a new tab
      Then the new tab shows st.user logged in as "Alice Liddell"
      And the identity token st.user shows has expired
