"""Use cases: what each call of the API (and each periodic job) does, over the domain services.

Plain functions with keyword-only arguments, each taking exactly the collaborators it needs: the routes
call them with narrow dependencies (api/dependencies.py), the container wires the periodic jobs to them,
and tests call them directly with fakes.

submit.py       POST /api/optimize/submit: charge and record one upload as one unit of work, then queue it
tasks.py        status, download and delete of one task
quota.py        a token's quota, its refresh, an admin's reset and usage history
readiness.py    GET /ready: probe each backend
startup.py      what a starting API process tells the operator
failed_tasks.py a failed task's charge: given back, or kept past the token's free failures
maintenance.py  the periodic jobs: lost leases, expired tasks and orphan files, due resets, the ledger check
"""
