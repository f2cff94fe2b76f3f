"""Leaders use cases: applications, the active-leader gate, suspension, "my leader", nearby search, credit."""

from groupbuy.leaders.service.applications import (
    approve_application,
    latest_application,
    list_applications,
    reject_application,
    submit_application,
    view_application,
)
from groupbuy.leaders.service.leaders import (
    LeaderDetail,
    choose_my_leader,
    get_active_leader,
    get_leader,
    get_public_leader,
    my_leader,
    public_credit,
    public_leader_detail,
    reinstate_leader,
    suspend_leader,
)
from groupbuy.leaders.service.ledger import (
    CreditReport,
    add_credit_events,
    credit_report,
    record_identity_credit,
    record_licence_credit,
    record_review_credit,
    refresh_all_credit,
    refresh_credit,
)
from groupbuy.leaders.service.nearby import NearbyLeader, NearbyPage, find_nearby_leaders, haversine_m

__all__ = [
    "CreditReport",
    "LeaderDetail",
    "NearbyLeader",
    "NearbyPage",
    "add_credit_events",
    "approve_application",
    "choose_my_leader",
    "credit_report",
    "find_nearby_leaders",
    "get_active_leader",
    "get_leader",
    "get_public_leader",
    "haversine_m",
    "latest_application",
    "list_applications",
    "my_leader",
    "public_credit",
    "public_leader_detail",
    "record_identity_credit",
    "record_licence_credit",
    "record_review_credit",
    "refresh_all_credit",
    "refresh_credit",
    "reinstate_leader",
    "reject_application",
    "submit_application",
    "suspend_leader",
    "view_application",
]
