"""Customer service: order search and case views, goodwill refunds, account suspension, review moderation and
the audit trail; every action audited."""
