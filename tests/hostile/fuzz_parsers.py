"""Coverage-guided fuzzing (atheris / libFuzzer) of every parser in ``hostile_targets``.

Run bounded: ``python tests/hostile/fuzz_parsers.py -max_total_time=20 -seed=1 tests/hostile/corpus``
(``test_fuzz.py`` does exactly that). The first input byte picks the parser; the rest
becomes its text (or bytes). An input that makes a parser raise anything but its
documented error — and not a tracked ``KNOWN_BUGS`` entry — stops the run with the
traceback and the crashing input written to ``crash-*`` (pass ``-artifact_prefix=``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

with atheris.instrument_imports(include=["schemas", "hub.registry", "hub.ingest", "connectors", "sla.notice"]):
    import hostile_targets

TARGETS = hostile_targets.TARGETS


def one_input(data: bytes) -> None:
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    payload = data[1:]
    if target.takes_bytes:
        hostile_targets.check(target, payload)
        return
    fdp = atheris.FuzzedDataProvider(payload)
    text = fdp.ConsumeUnicodeNoSurrogates(len(payload)) if data[0] & 0x80 else payload.decode("utf-8", "replace")
    hostile_targets.check(target, text)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
