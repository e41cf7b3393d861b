"""One reader per user task (map, panel, routes, wall, overview, export), read through a Source."""
