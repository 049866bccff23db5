"""Cutout Studio's thin sync server: accounts, agreements, credits, cancellation.

The server never receives an image. Build an app with
`server.app.create_app(Settings(...))`; run one with `python -m server`.
"""
