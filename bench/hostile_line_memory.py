"""Peak memory of reading a registry file with one huge line, by the code at a given checkout.

Writes a JSON Lines file: a good case, one line of ``--mb`` megabytes, another good case. Then, in a fresh
process per checkout, reads it the way ``pilhub cases import`` does (``read_lines`` + ``parse_line``) and
reports the process's peak resident memory and what became of each line::

    python bench/hostile_line_memory.py --mb 400 --checkout /tmp/pilhub-before --checkout .

(``git worktree add /tmp/pilhub-before <commit>`` gives an older checkout to compare with.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys
from pathlib import Path
from hub.registry.importer import parse_line, read_lines
outcomes = []
try:
    for number, text in read_lines(Path(sys.argv[1])):
        result = parse_line(number, text)
        outcomes.append("rejected" if isinstance(result, list) else "ok")
        del text, result
    error = None
except BaseException as exc:  # the figure to report, whatever the old code did
    error = type(exc).__name__
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peak_rss_mb": round(peak_mb), "lines": outcomes, "error": error}))
"""


def write_file(path: Path, megabytes: int) -> None:
    sample = (Path(__file__).resolve().parents[1] / "hub" / "samples" / "cases.jsonl").read_text(encoding="utf-8")
    first, second = sample.splitlines()[:2]
    with path.open("wb") as fh:
        fh.write(first.encode() + b"\n")
        fh.write(b'{"case_id": "HUGE", "title": "')
        block = b"x" * (1 << 20)
        for _ in range(megabytes):
            fh.write(block)
        fh.write(b'"}\n')
        fh.write(second.encode() + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=400, help="size of the huge line in MB")
    parser.add_argument("--checkout", action="append", required=True, help="a pilhub checkout (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "huge-line.jsonl"
        write_file(path, args.mb)
        for checkout in args.checkout:
            # cwd=tmp: "python -c" puts the working directory first on sys.path, which would win over PYTHONPATH
            env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
            run = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, env=env, check=False, cwd=tmp
            )
            result = json.loads(run.stdout) if run.stdout.strip() else {"error": run.stderr[-300:]}
            print(json.dumps({"checkout": checkout, "line_mb": args.mb, **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
