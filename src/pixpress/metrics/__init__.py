"""Prometheus metrics: what the API and worker processes did, added up across the processes of a group.

- group.py: the directory where one `serve` or `worker` and its worker processes add up (set before
  prometheus_client is first imported, which is why this package's __init__ imports nothing);
- record.py: the instruments, and the one-line calls the API, the quota service and the worker make;
- exposition.py: the text a scrape gets (plus the queue depth, read at scrape time);
- listener.py: the optional plain HTTP listener on PIXPRESS_METRICS_ADDRESS.

This package imports nothing of pixpress: every layer may record into it.
"""
