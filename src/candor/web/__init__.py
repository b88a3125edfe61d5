"""The registry's web face: the public website, the JSON API under /api/v1 and the served log."""
