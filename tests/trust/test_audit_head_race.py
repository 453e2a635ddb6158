"""Two writers appending the very first audit entries at once must both succeed (one chain, no fork)."""

from __future__ import annotations

import threading
import time

from hub import audit
from hub.store import open_store


def test_concurrent_first_appends_on_an_empty_chain_both_succeed(store_url: str) -> None:
    """Regression: the head row is created with INSERT … ON CONFLICT DO NOTHING (was a UniqueViolation)."""
    factory = open_store(store_url)
    errors: list[BaseException] = []
    first = factory()
    first.begin()
    audit.append(first, actor="a", action="test", object_type="t", object_id="1")  # head inserted, not committed

    def second() -> None:
        try:
            with factory() as s, s.begin():
                audit.append(s, actor="b", action="test", object_type="t", object_id="2")
        except Exception as exc:  # noqa: BLE001 - the failure is what the test reports
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second writer is now waiting on the first one's lock
    first.commit()
    first.close()
    thread.join(timeout=60)
    assert not errors, f"second appender failed: {type(errors[0]).__name__}" if errors else ""
    with factory() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.checked == 2
