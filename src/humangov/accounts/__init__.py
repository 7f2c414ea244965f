"""Users, API tokens and login throttling."""
