"""Credits: lots with expiries, the append-only ledger, spending."""
