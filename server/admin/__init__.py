"""Operator actions: restrict, ban, disputes, agreement publishing, sweeps.
Used by the admin API (role 'admin') and the CLI `python -m server.admin`."""
