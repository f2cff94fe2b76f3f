"""File storage (product images, leader documents) behind one Protocol: the registry slot is ready, nothing is
installed yet. The first feature that stores files adds a local-disk implementation for development and an
object-store one, both chosen at start in groupbuy/implementations.py."""

from __future__ import annotations

from typing import Protocol

from groupbuy.registry import Slot


class FileStorage(Protocol):
    def save(self, key: str, data: bytes, *, content_type: str) -> str:
        """Store ``data`` under ``key``; returns the absolute URL clients fetch it from."""
        ...

    def delete(self, key: str) -> None: ...


FILE_STORAGE: Slot[FileStorage] = Slot("file_storage")
