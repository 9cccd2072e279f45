"""pixpress: a self-hosted image-optimization API with licence-token quotas."""

__version__ = "0.1.0"
