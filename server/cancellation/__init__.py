"""Account cancellation: blockers, request, emailed confirmation, erasure."""
