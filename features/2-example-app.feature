@source:st.logout
Feature: The example app on the st.logout page
  The example printed on the st.logout reference page, run exactly as printed
  (fixtures/apps/example.py), with its secrets.toml pointed at the fixture identity provider.

  Source: https://docs.streamlit.io/1.50.0/develop/api-reference/user/st.logout, "Example"

  Background:
    Given the example app with the default secrets.toml

  @streamlit:>=1.45
  Rule: The documented example logs in, greets the user, and logs out
    > if not st.user.is_logged_in:
    >     if st.button("Log in"):
    >         st.login()
    > else:
    >     if st.button("Log out"):
    >         st.logout()
    >     st.write(f"Hello, {st.user.name}!")
    > (st.logout, docs 1.50.0, Example; Streamlit 1.45 and later, the versions with st.user)

    Scenario: Log in, see the greeting, log out, see the Log in button again
      Given Alice has opened the app without logging in
      Then the tab shows the button "Log in"
      When she clicks "Log in" and signs in at the identity provider
      Then the tab shows "Hello, Alice Liddell!"
      And the tab shows the button "Log out"
      When she clicks "Log out"
      Then the tab shows the button "Log in"
      And the tab does not show "Hello, Alice Liddell!"

    Scenario: The script run that calls st.logout sees st.user already cleared
      Given Alice is logged in
      When she clicks "Log out"
      Then the script run that called st.logout failed with 'st.user has no attribute "name".'
