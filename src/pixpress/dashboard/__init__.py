"""The operator's dashboard at /admin: server-rendered pages over the domain services (api level).

Off unless PIXPRESS_DASHBOARD_ENABLED and admin tokens are set; see docs/dashboard.md.
"""
