"""In-app notifications and the outbox of outbound messages (mini-app, SMS, e-mail, console) with delivery
through channels. A sink: it takes plain facts and imports no other domain."""
