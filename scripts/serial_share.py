#!/usr/bin/env python3
"""Serial share of a run, from `perf script` output of `perf record -a -C 0-1 -F HZ` taken while
the command ran with 2 threads pinned to CPUs 0 and 1 (see scripts/serial-share.sh).

Time is cut into buckets (1 ms). A CPU is busy in a bucket when some sample there is the
command's own work: a rayon worker waiting for work (spinning in its sleep or steal loop) is not
work. The serial time is the buckets where exactly one CPU was busy and the other idle (or
spinning for work): code that ran on one thread while the other had nothing to do. A bucket where
the other CPU ran another program (perf itself writes its samples on these CPUs) is not counted:
the command's threads were then crowded onto one CPU, not serial. It is an estimate: the
scheduler may still put both threads on one CPU for a few milliseconds.

Prints one line: span, serial seconds, and the longest serial stretches with where they ran.
"""
import collections
import re
import sys

IDLE = ("wait_until", "rayon_core::sleep", "crossbeam_deque", "find_work")


def samples(path):
    cur = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur:
                yield cur
            cur = None
        elif not line[0].isspace():
            m = re.match(r"(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):", line)
            cur = [m.group(1), int(m.group(3)), float(m.group(4)), []] if m else None
        elif cur is not None:
            parts = line.strip().split(None, 1)
            frame = parts[1] if len(parts) > 1 else "?"
            frame = re.sub(r"::h[0-9a-f]{16}|\+0x[0-9a-f]+| \(.*\)$", "", frame)
            cur[3].append(frame)
    if cur:
        yield cur


# A frame that runs a job: what lies above it in the stack (towards the leaf) is work, even
# when a waiting worker stole the job (its stack then holds `wait_until` further down).
JOB = ("Job>::execute", "rayon::iter::", "rayon::slice::", "join_context")


def working(stack):
    """Whether a sample (stack from the leaf) is the command's work rather than a rayon worker
    waiting for some: judged by the frame nearest the leaf that is either a job or a wait."""
    for frame in stack:
        if any(j in frame for j in JOB) or ("corrcause" in frame and "rayon" not in frame):
            return True
        if any(i in frame for i in IDLE):
            return False
    return True


def main():
    path, bucket = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.001
    everything = list(samples(path))
    ours = [s for s in everything if s[0].startswith(("corrcause", "rayon"))]
    t0, t1 = min(s[2] for s in ours), max(s[2] for s in ours)
    busy = collections.defaultdict(lambda: collections.defaultdict(list))
    for s in ours:
        if working(s[3]):
            busy[int((s[2] - t0) / bucket)][s[1]].append(s)
    # CPUs that ran another program (not idle, not this command) in a bucket.
    crowded = collections.defaultdict(set)
    for s in everything:
        if not s[0].startswith(("corrcause", "rayon", "swapper")) and t0 <= s[2] <= t1:
            crowded[int((s[2] - t0) / bucket)].add(s[1])
    serial, stretches, cur = 0, [], None
    for b in range(int((t1 - t0) / bucket) + 1):
        cpus = busy.get(b, {})
        if len(cpus) == 1 and not crowded.get(b, set()) - set(cpus):
            serial += 1
            if cur is None:
                cur = [b, b, collections.Counter()]
            cur[1] = b
            for s in next(iter(cpus.values())):
                ours_frames = [f for f in s[3] if f.startswith(("corrcause::", "<corrcause"))]
                cur[2][(ours_frames or s[3] or ["?"])[0][:60]] += 1
        elif cur:
            stretches.append(cur)
            cur = None
    if cur:
        stretches.append(cur)
    stretches.sort(key=lambda s: s[0] - s[1])
    where = "; ".join(
        f"{(b - a + 1) * bucket * 1000:.0f} ms at {a * bucket:.2f} s ({c.most_common(1)[0][0]})"
        for a, b, c in stretches[:3]
    )
    print(f"{t1 - t0:.3f}\t{serial * bucket:.3f}\t{where}")


if __name__ == "__main__":
    main()
