"""Use cases that span the domains (quota and tasks), each over one unit of work. Plain functions with
explicit arguments: the routes call them through the container, tests call them directly."""
