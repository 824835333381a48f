"""Who may use the web console and the API: one-time sign-in links, sessions, API tokens, permissions."""
