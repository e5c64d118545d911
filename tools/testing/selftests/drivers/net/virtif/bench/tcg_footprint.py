#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of tcg_footprint.sh: per request/response transaction, what the
guest ran for virtif-tap and for tap-tap (see tcg_footprint.sh --help).

usage: tcg_footprint.py DIR [TOP]
"""

import bisect
import collections
import re
import sys

KINDS = ("virtif", "tap")
REGIONS = ("user", "kernel", "virtif module")


def load_symbols(path):
    """Sorted (address, name) of /proc/kallsyms, module names in brackets."""
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or int(parts[0], 16) == 0:
                continue
            name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
            syms.append((int(parts[0], 16), name))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def load_snapshot(path):
    """{address or "user": [insns, execs, indirect]}, summed per address."""
    counts = collections.defaultdict(lambda: [0, 0, 0])
    with open(path) as f:
        for line in f:
            key, *vals = line.split()
            for i, v in enumerate(vals):
                counts[key][i] += int(v)
    return counts


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip())
    out = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) == 3 else 30
    addrs, names = load_symbols(out + "/kallsyms")

    def symbol(addr):
        i = bisect.bisect_right(addrs, addr) - 1
        return names[i] if i >= 0 else "?"

    runs = []
    latency = collections.defaultdict(list)
    with open(out + "/rr.txt") as f:
        for line in f:
            m = re.match(r"rr kind=(\w+) round=(\d+) n=(\d+) p50_us=([\d.]+)", line)
            if m:
                runs.append((m.group(1), m.group(2), int(m.group(3))))
                latency[m.group(1)].append(float(m.group(4)))
    if not runs:
        sys.exit("tcg_footprint.py: no measurement in %s/rr.txt" % out)

    per_sym = {k: collections.defaultdict(lambda: [0.0, 0.0, 0.0]) for k in KINDS}
    per_region = {k: collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0.0]) for k in KINDS}
    nruns = collections.Counter()
    for kind, rnd, n in runs:
        start = load_snapshot("%s/start-%s-%s.txt" % (out, kind, rnd))
        end = load_snapshot("%s/end-%s-%s.txt" % (out, kind, rnd))
        nruns[kind] += 1
        for key, (ins, ex, ind) in end.items():
            s = start.get(key, (0, 0, 0))
            d = (ins - s[0], ex - s[1], ind - s[2])
            if d[1] <= 0:
                continue
            if key == "user":
                name, region = "user space", "user"
            else:
                name = symbol(int(key, 16))
                region = "virtif module" if name.endswith("[virtif]") else "kernel"
            for i in range(3):
                per_sym[kind][name][i] += d[i] / n
                per_region[kind][region][i] += d[i] / n
            # A kernel block run at least once per two transactions is
            # part of the footprint.
            if key != "user" and d[1] >= n / 2:
                per_region[kind][region][3] += 1
    for kind in KINDS:
        if not nruns[kind]:
            sys.exit("tcg_footprint.py: no %s measurement" % kind)
        for table in (per_sym[kind], per_region[kind]):
            for v in table.values():
                for i in range(len(v)):
                    v[i] /= nruns[kind]

    print("Per request/response transaction, mean over %d round(s) (p50 under the plugin: %s)"
          % (max(nruns.values()), ", ".join(
              "%s %.0f us" % (k, sorted(latency[k])[len(latency[k]) // 2]) for k in KINDS)))
    cols = ("instructions", "blocks run", "indirect", "footprint")
    print("%-14s %-14s" % ("link", "region") + "".join("%13s" % c for c in cols))
    for kind in KINDS:
        link = kind + "-tap"
        total = [0.0] * 4
        for region in REGIONS:
            v = per_region[kind].get(region)
            if not v:
                continue
            total = [a + b for a, b in zip(total, v)]
            fp = "%13.0f" % v[3] if region != "user" else "%13s" % "-"
            print("%-14s %-14s%13.0f%13.0f%13.0f%s" % (link, region, v[0], v[1], v[2], fp))
        print("%-14s %-14s%13.0f%13.0f%13.0f%13.0f" % (link, "total", *total))
    tv = [sum(v[i] for v in per_region["virtif"].values()) for i in range(4)]
    tt = [sum(v[i] for v in per_region["tap"].values()) for i in range(4)]
    print("%-29s" % "virtif-tap / tap-tap" + "".join(
        "%13.3f" % (a / b) if b else "%13s" % "-" for a, b in zip(tv, tt)))
    print()
    print("Kernel functions whose instructions per transaction differ most:")
    print("%10s %10s %10s   %s" % ("virtif-tap", "tap-tap", "difference", "function"))
    v, t = per_sym["virtif"], per_sym["tap"]
    keys = sorted((set(v) | set(t)) - {"user space"},
                  key=lambda k: -abs(v.get(k, [0])[0] - t.get(k, [0])[0]))
    for k in keys[:top]:
        a, b = v.get(k, [0])[0], t.get(k, [0])[0]
        print("%10.0f %10.0f %+10.0f   %s" % (a, b, a - b, k))


if __name__ == "__main__":
    main()
