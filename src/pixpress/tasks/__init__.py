"""Optimization tasks: records and states, the service behind the routes, the queue and the job."""
