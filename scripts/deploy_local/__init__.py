"""The documented production topology on one machine (`make deploy-local`): nginx, 2 API and 2 worker
processes under deploy/systemd's units, PostgreSQL, Redis, an S3 server and the licence server."""
