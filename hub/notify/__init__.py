"""Notifications: the transactional outbox and its delivery channels.

The sweep (``sla.sweep``) writes escalations and their outbox messages in one transaction; this package
delivers them: ``outbox.send_pending`` claims due messages (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
write lock on SQLite), renders the Chinese text from Jinja2 templates (``render``), hands it to a channel
(``email`` SMTP, ``webhook`` DingTalk/WeCom robot JSON, ``inbox`` the in-hub inbox, ``file`` JSON lines for
the demo) with the message's dedupe key as idempotency key, and records every attempt.

Every channel carries the hub-signed notice document (``signed``): the final rendered notice with its facts,
Ed25519-signed through the same manifest as reports, so the recipient can prove with ``pilhub verify`` (or
openssl) that what it holds is what the hub sent; a retry re-sends the same bytes.
"""
