"""Pure functions from store data to what the dashboard shows: no Dash, no disk."""
