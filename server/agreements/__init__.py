"""Agreement documents (terms, privacy), their versions and acceptances."""
