#!/usr/bin/python3
"""notmuch searched in process, for `search_bench.py`: one process, the database opened once.

Run with the Python that Debian's `python3-notmuch2` bindings are built for (/usr/bin/python3),
with NOTMUCH_CONFIG naming the benchmark's notmuch config. It reads one JSON request per line
on stdin and answers each with one JSON line on stdout:

  {"query": Q, "limit": N}  ->  {"hits": total, "seconds": time}
      the exact total (`count_messages`) and the first N messages, newest first, with what a
      result list shows (message id, date, From, Subject, tags): what archiver's search does.
      Only the search itself is timed, not the pipe.
  {"ids": Q}                ->  {"ids": [message ids]}   every message Q matches

The first line it writes is {"ready": version} or, when the bindings cannot be imported or the
database opened, {"error": why}. Standard library only: it does not run in the project's venv.
"""

import json
import sys
import time


def main() -> int:
    try:
        import notmuch2  # type: ignore[import-not-found]  # Debian's system Python only

        db = notmuch2.Database(mode=notmuch2.Database.MODE.READ_ONLY)
    except Exception as exc:  # noqa: BLE001 -- reported to the benchmark, which skips notmuch2
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    newest = notmuch2.Database.SORT.NEWEST_FIRST
    print(json.dumps({"ready": str(db.version)}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "ids" in request:
            ids = [m.messageid for m in db.messages(request["ids"])]
            print(json.dumps({"ids": ids}), flush=True)
            continue
        query, limit = request["query"], request["limit"]
        start = time.perf_counter()
        hits = db.count_messages(query)
        page = []
        for message in db.messages(query, sort=newest):
            page.append(
                (
                    message.messageid,
                    message.date,
                    message.header("from"),
                    message.header("subject"),
                    list(message.tags),
                )
            )
            if len(page) == limit:
                break
        spent = time.perf_counter() - start
        print(json.dumps({"hits": hits, "seconds": spent}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
