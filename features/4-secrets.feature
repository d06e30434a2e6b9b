@source:st.login
Feature: The [auth] section of secrets.toml
  st.login() reads its settings from the [auth] section of .streamlit/secrets.toml and says what
  is missing or wrong, naming the key, when the app calls it.

  Source: the st.login API reference, Streamlit docs 1.50.0,
  https://docs.streamlit.io/1.50.0/develop/api-reference/user/st.login

  The default secrets.toml (fixtures/secrets/default.toml) configures a default provider in
  [auth] and a named provider in [auth.acme]; each scenario changes one thing in it.

  @streamlit:>=1.42
  Rule: st.login() requires the shared settings and the provider's settings
    > "For all providers, there are [...] shared settings, redirect_uri [...] cookie_secret [...]
    > which you must specify in an [auth] dictionary in secrets.toml."
    > "In addition to the shared settings, the following settings are required:" client_id,
    > client_secret, server_metadata_url.
    > (st.login, docs 1.50.0; Streamlit 1.42 and later. The error texts are Streamlit's own.)

    Scenario Outline: st.login() names what is wrong in secrets.toml
      Given the probe app with the default secrets.toml, changed so that <change>
      And Alice has opened the app without logging in
      When she clicks "<button>"
      Then the script run failed with a StreamlitAuthError saying '<error>'
      And the browser holds no identity cookie

      Examples:
        | change                              | button                   | error |
        | there is no [auth] section          | Log in                   | To use authentication features you need to configure credentials for at least one authentication provider in `.streamlit/secrets.toml`. |
        | auth.redirect_uri is missing        | Log in                   | Authentication credentials in `.streamlit/secrets.toml` are missing the "redirect_uri" key. Please check your configuration. |
        | auth.cookie_secret is missing       | Log in                   | Authentication credentials in `.streamlit/secrets.toml` are missing the "cookie_secret" key. Please check your configuration. |
        | auth.client_id is missing           | Log in                   | Authentication credentials in `.streamlit/secrets.toml` for the default authentication provider are missing the following keys: ['client_id']. Please check your configuration. |
        | auth.client_secret is missing       | Log in                   | Authentication credentials in `.streamlit/secrets.toml` for the default authentication provider are missing the following keys: ['client_secret']. Please check your configuration. |
        | auth.server_metadata_url is missing | Log in                   | Authentication credentials in `.streamlit/secrets.toml` for the default authentication provider are missing the following keys: ['server_metadata_url']. Please check your configuration. |
        | auth.acme.client_secret is missing  | Log in with acme         | Authentication credentials in `.streamlit/secrets.toml` for the authentication provider "acme" are missing the following keys: ['client_secret']. Please check your configuration. |
        | auth.acme is "not a table"          | Log in with acme         | Authentication credentials in `.streamlit/secrets.toml` for the authentication provider "acme" must be valid TOML. Please check your configuration. |
        | nothing changes                     | Log in with nope         | Authentication credentials in `.streamlit/secrets.toml` are missing for the authentication provider "nope". Please check your configuration. |

    Scenario: With complete settings st.login() sends the browser to the identity provider
      Given the probe app with the default secrets.toml
      And Alice has opened the app without logging in
      When she clicks "Log in" and signs in at the identity provider
      Then the tab shows st.user logged in as "Alice Liddell"

  @streamlit:>=1.43
  Rule: A provider name must not contain an underscore
    > "Due to internal implementation details, Streamlit does not support using an underscore
    > within provider at this time."
    > (st.login, docs 1.50.0; Streamlit 1.43 and later)

    Scenario: st.login() refuses a provider name with an underscore
      Given the probe app with the default secrets.toml
      And Alice has opened the app without logging in
      When she clicks "Log in with my_provider"
      Then the script run failed with a StreamlitAuthError saying 'Auth provider name "my_provider" contains an underscore. Please use a provider name without underscores.'
      And the browser holds no identity cookie
