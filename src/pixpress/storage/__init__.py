"""Blob storage for inputs and results: a local directory by default, S3-compatible buckets to scale out."""

from pixpress.storage.base import BlobNotFound, BlobStorage, BlobStream
from pixpress.storage.registry import open_storage

__all__ = ["BlobNotFound", "BlobStorage", "BlobStream", "open_storage"]
