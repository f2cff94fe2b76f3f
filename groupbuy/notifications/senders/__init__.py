"""Message senders, one Protocol, one per transport (SMS, e-mail, mini-app); chosen at start by the settings.

"Transport" is how a message travels; "channel" is kept for payment channels only (the outbox column and the
settings keep their old names: GROUPBUY_SMS_CHANNEL …).
"""
