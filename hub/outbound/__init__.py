"""Outbound documents the hub issues to agencies, signed so the addressee can prove what it received.

``recommendation``  a procuratorial recommendation (检察建议) as served on the agency: a canonical JSON document
                    and a Chinese text, each with the hub's Ed25519 manifest (``pilhub recommendations export``)

Escalation notices are signed where they are delivered (``hub.notify.signed``); reports in ``hub.reports``.
"""
