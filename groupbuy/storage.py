"""File storage (uploaded images, later leader documents) behind one Protocol, installed in the registry at start by
groupbuy/implementations.py: local disk under instance/ by default, an S3-compatible object store by configuration
(GROUPBUY_STORAGE_BACKEND). The implementations live in groupbuy/uploads/backends.py.

Keys are content-addressed (``<sha256>.<ext>``), so a stored file never changes and is served with a year-long cache.
"""

from __future__ import annotations

from typing import Protocol

from groupbuy.registry import Slot


class FileStorage(Protocol):
    def save(self, key: str, data: bytes, *, content_type: str) -> str:
        """Store ``data`` under ``key`` (again is harmless); returns the absolute URL clients fetch it from."""
        ...

    def url(self, key: str) -> str:
        """The absolute URL clients fetch ``key`` from."""
        ...

    def read(self, key: str) -> bytes | None:
        """The stored bytes, or None when nothing is stored under ``key``."""
        ...

    def delete(self, key: str) -> None: ...


FILE_STORAGE: Slot[FileStorage] = Slot("file_storage")
