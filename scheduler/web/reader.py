"""`python -m scheduler.web.reader`: one read for the status page, in a process of its own.

The weekly view needs pandas (the per-section figures) and the ledger readers: some 60 MB
that a service idling for a week has no use for. Read in a child process, they leave with
it, and a ledger that blows up a reader cannot take the service down. The parent writes the
settings, the stamp and the time to stdin; the child answers on stdout with ("ok", state),
("error", message) or ("bug", traceback). Both ends are this package: pickle is trusted here.
"""

from __future__ import annotations

import pickle
import sys
import traceback

from scheduler.errors import TaizhangError


def main() -> int:
    from scheduler.web.board import build

    settings, stamp, now = pickle.load(sys.stdin.buffer)
    try:
        result: tuple[str, object] = ("ok", build(settings, stamp, now))
    except TaizhangError as e:  # its own constructor arguments do not survive pickling: send the words
        result = ("error", e.message)
    except Exception:
        result = ("bug", traceback.format_exc())
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
