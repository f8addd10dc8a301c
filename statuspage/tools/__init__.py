"""Tools of the CLI that build their own app and databases (the tickets evaluation and fit). They sit
above the rules (support/, services/) and beside cli.py, which calls them; no rule module imports them."""
