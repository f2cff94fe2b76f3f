from enum import StrEnum


class GroupStatus(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class GroupOpenedBy(StrEnum):
    LEADER = "leader"
    ORDER = "order"
