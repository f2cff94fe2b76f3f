"""The one registry of outside implementations: payment providers, message senders, the WeChat login client and,
next, file storage. Built once at start from the settings (groupbuy/implementations.py); services look an
implementation up here; tests swap entries (tests.conftest.swap), never settings strings.

Each domain declares its typed slot beside its Protocol (``PAYMENT_PROVIDERS: Slot[PaymentProvider]``), so this
module knows no domain and every domain may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flask import current_app

T = TypeVar("T")
EXTENSION_KEY = "groupbuy.registry"


@dataclass(frozen=True)
class Slot(Generic[T]):
    """A kind of implementation, keyed by name (a payment channel, a message transport) or by "" for a single one."""

    name: str


class NotInstalled(LookupError):
    """No implementation is installed under this slot and key (disabled, or not configured at start)."""


@dataclass
class Registry:
    _entries: dict[str, dict[str, object]] = field(default_factory=dict)

    def install(self, slot: Slot[T], implementation: T, key: str = "") -> None:
        self._entries.setdefault(slot.name, {})[key] = implementation

    def remove(self, slot: Slot[T], key: str = "") -> None:
        self._entries.get(slot.name, {}).pop(key, None)

    def find(self, slot: Slot[T], key: str = "") -> T | None:
        found = self._entries.get(slot.name, {}).get(key)
        return found  # type: ignore[return-value]  # install() only stores a T under a Slot[T]

    def get(self, slot: Slot[T], key: str = "") -> T:
        found = self.find(slot, key)
        if found is None:
            raise NotInstalled(f"{slot.name}: nothing installed for {key or 'the slot'!r}")
        return found

    def keys(self, slot: Slot[T]) -> list[str]:
        return list(self._entries.get(slot.name, {}))

    def copy(self) -> Registry:
        return Registry({name: dict(entries) for name, entries in self._entries.items()})


def registry() -> Registry:
    """The running app's registry (one, built at start)."""
    found: Registry = current_app.extensions[EXTENSION_KEY]
    return found
