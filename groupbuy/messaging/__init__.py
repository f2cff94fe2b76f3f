"""Conversations: shopper and their leader, shopper and customer service; text and photos, unread counts, and
the leader's response figures."""
