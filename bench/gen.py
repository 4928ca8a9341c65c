#!/usr/bin/env python3
"""Deterministic input generators for bench/run.sh (fixed seeds, no network).

  gen.py osworld-series N OUT      an osworld_detailed document giving ~N series (one entry per category)
  gen.py osworld-big MB OUT        an osworld_detailed document of ~MB megabytes, json.dump(indent=2), 30 categories
  gen.py langmem LINES OUT         a LangMem JSON-lines log (TTL + dedup mix, some noise and errors)
"""
import json
import random
import sys

SERIES_PER_CATEGORY = 31  # one successful entry with time and steps: 1+2+14+13+1


def osworld_series(n, out):
    cats = max(1, n // SERIES_PER_CATEGORY)
    rnd = random.Random(1)
    entries = [{"task_id": f"t{i}", "category": f"cat_{i:07d}", "success": True,
                "steps_taken": rnd.randint(1, 40), "execution_time": round(rnd.uniform(0.1, 200), 3)}
               for i in range(cats)]
    doc = {"timestamp": 1761690105, "detailed_results": entries}
    with open(out, "w") as f:
        json.dump(doc, f)


CATEGORIES = [f"category_{i:02d}" for i in range(30)]


def osworld_entry(rnd, i):
    e = {"task_id": f"task_{i:08d}", "category": CATEGORIES[i % 30]}
    ok = rnd.random() < 0.8
    e["success"] = ok
    if not ok and rnd.random() < 0.3:
        e["error"] = "Timeout after 300s"
    else:
        e["steps_taken"] = rnd.randint(1, 60)
    e["execution_time"] = round(rnd.uniform(0.1, 600), 3)
    return e


def osworld_big(mb, out):
    target = int(mb * 1_000_000)
    rnd = random.Random(2)
    # ~1 KiB per 6 entries at indent=2: write the entries in chunks until the target size.
    with open(out, "w") as f:
        f.write('{\n  "timestamp": 1761690105,\n  "success_rate": 0.8,\n  "total_tasks": 0,\n'
                '  "passed_tasks": 0,\n  "total_time": 0,\n  "category_stats": {},\n'
                '  "detailed_results": [\n')
        size, i = 200, 0
        while size < target:
            s = json.dumps(osworld_entry(rnd, i), indent=2)
            s = ("    " + s.replace("\n", "\n    "))
            if i:
                f.write(",\n")
            f.write(s)
            size += len(s) + 2
            i += 1
        f.write("\n  ]\n}\n")


def langmem(lines, out):
    rnd = random.Random(3)
    base = 1761694800.0
    with open(out, "w") as f:
        for i in range(lines):
            t = base + i * 0.01
            ts = "2025-10-29T%02d:%02d:%02d.%06d+00:00" % (
                (int(t) // 3600) % 24, (int(t) // 60) % 60, int(t) % 60, int((t % 1) * 1e6))
            k = i % 10
            if k < 4:
                logger, fn = "infrastructure.memory.langmem_ttl", "cleanup_expired"
                level = "INFO"
                msg = "TTL cleanup complete: deleted %d entries from %d namespaces in %.2fs" % (
                    rnd.randint(0, 500), rnd.randint(1, 8), rnd.uniform(0.01, 5))
            elif k < 8:
                logger, fn = "infrastructure.memory.langmem_dedup", "deduplicate"
                level = "INFO"
                n_in = rnd.randint(1, 1000)
                n_out = rnd.randint(0, n_in)
                e = rnd.randint(0, n_in - n_out)
                msg = "Deduplication complete: %d \u2192 %d (exact=%d, semantic=%d) in %.3fs" % (
                    n_in, n_out, e, n_in - n_out - e, rnd.uniform(0.01, 3))
            elif k == 8:
                logger, fn = "infrastructure.memory.langmem_dedup", "_is_semantic_duplicate"
                level = "DEBUG"
                msg = "Near-duplicate (below threshold): similarity=%.3f" % rnd.uniform(0.5, 0.85)
            else:
                logger, fn = "infrastructure.memory.langmem_ttl", "cleanup_loop"
                level = "ERROR"
                msg = "TTL cleanup failed: connection reset" if i % 20 == 9 else "Cleanup loop error: timeout"
            f.write(json.dumps({"timestamp": ts, "level": level, "logger": logger, "message": msg,
                                "module": logger.rsplit(".", 1)[1], "function": fn, "line": 271}) + "\n")


if __name__ == "__main__":
    what, n, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    {"osworld-series": lambda: osworld_series(int(n), out),
     "osworld-big": lambda: osworld_big(n, out),
     "langmem": lambda: langmem(int(n), out)}[what]()
