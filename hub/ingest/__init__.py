"""The loading pipeline every agency feed goes through (connectors, replay, file checks).

Raw landing (:mod:`~hub.ingest.landing`) → record contract and batch suite →
idempotent, versioned load or quarantine (:mod:`~hub.ingest.loader`) → replay
(:mod:`~hub.ingest.quarantine`). ``pilhub validate`` uses :mod:`~hub.ingest.file_check`.
"""
