"""Web concerns: static files, security headers, CSRF, server-rendered pages."""
