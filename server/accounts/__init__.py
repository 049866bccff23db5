"""Accounts: sign-up, activation, sign-in, sessions, password flows."""
