#!/usr/bin/env python3
"""The python3 anchor for the ingest comparison: json.load + the osworld_detailed arithmetic."""
import bisect
import json
import sys

DUR = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600]
STEPS = [1, 2, 3, 5, 8, 10, 15, 20, 30, 50]


def main(path):
    with open(path, "rb") as f:
        doc = json.load(f)
    cats = {}
    skipped = 0
    for e in doc["detailed_results"]:
        if not isinstance(e, dict) or not isinstance(e.get("success"), bool):
            skipped += 1
            continue
        c = cats.setdefault(e.get("category") or "", {"total": 0, "ok": 0, "failed": 0, "error": 0,
                                                      "dur": {}, "steps": [0] * 11, "steps_sum": 0.0})
        c["total"] += 1
        ok = e["success"]
        err = e.get("error")
        if ok:
            c["ok"] += 1
        elif isinstance(err, str) and err:
            c["error"] += 1
        else:
            c["failed"] += 1
        t = e.get("execution_time")
        if t is not None:
            h = c["dur"].setdefault(ok, [[0] * 12, 0.0])
            h[0][bisect.bisect_left(DUR, float(t))] += 1
            h[1] += float(t)
        s = e.get("steps_taken")
        if s is not None:
            c["steps"][bisect.bisect_left(STEPS, float(s))] += 1
            c["steps_sum"] += float(s)
    rate = sum(100.0 * c["ok"] / c["total"] for c in cats.values())
    print(f"categories={len(cats)} entries={sum(c['total'] for c in cats.values())} skipped={skipped} rate_sum={rate:.3f}")


main(sys.argv[1])
