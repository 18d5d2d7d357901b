"""Alembic environment and revisions of slabot (a package so that installs ship them)."""
