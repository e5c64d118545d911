#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: the tables (and the picture) of virtif's benchmark.

usage: report.py [--svg FILE] [--no-table] [RESULTS]

Reads the BENCH lines scripts/bench-guest printed (from RESULTS or stdin;
other lines are ignored) and prints, for every row and metric, the median
of the rounds with its spread [min-max], and every ratio to the row's
references, also median [min-max]. A ratio is computed per round (row /
reference measured in the same round: rounds interleave the rows, so a
ratio compares measurements taken minutes, not a whole run, apart), then
summarised like a value. It also prints the summary as BENCH lines:

  BENCH median row=R metric=M value=V min=A max=B n=K
  BENCH ratio row=R ref=REF metric=M value=V min=A max=B n=K better=higher|lower

--svg FILE writes a picture of the ratios (SVG, hand-written: no
third-party module). --no-table prints nothing (with --svg).

Input lines (written by scripts/bench-guest):
  BENCH meta KEY=VALUE...                  (VALUE: the rest of the line)
  BENCH def row=R kind=data|control refs=A,B [status=unavailable|skipped] note=TEXT
  BENCH sample row=R round=N METRIC=VALUE ...
  BENCH sample row=R round=N status=failed note=TEXT
Standard library only.
"""
import argparse
import math
import sys

# metric: (title, unit, better, format of a value)
METRICS = {
    "tcp1_mbps": ("TCP, 1 flow", "Mbit/s", "higher", "%.0f"),
    "tcp4_mbps": ("TCP, 4 flows", "Mbit/s", "higher", "%.0f"),
    "udp_kpps": ("UDP, 64-byte datagrams received", "kpps", "higher", "%.1f"),
    "rr_p50_us": ("TCP request/response latency, p50", "us", "lower", "%.0f"),
    "rr_p99_us": ("TCP request/response latency, p99", "us", "lower", "%.0f"),
    "udp_cpu": ("CPU per packet, UDP 64 B", "CPU s per million packets", "lower", "%.2f"),
    "tcp1_cpu": ("CPU per byte, TCP 1 flow", "CPU s per GB", "lower", "%.2f"),
    "create_ms": ("create with one ip -batch", "ms", "lower", "%.0f"),
    "delete_ms": ("delete with one ip -batch", "ms", "lower", "%.0f"),
    "nsdel_ms": ("namespace full of pair ends deleted, until the peers are gone", "ms", "lower", "%.0f"),
    "rmmod_ms": ("rmmod virtif with them all", "ms", "lower", "%.0f"),
    "mem_kb": ("memory each (MemTotal - MemFree - Buffers - Cached)", "kB", "lower", "%.1f"),
    "slab_kb": ("of which slab", "kB", "lower", "%.1f"),
}
DATA_METRICS = ["tcp1_mbps", "tcp4_mbps", "udp_kpps", "rr_p50_us", "rr_p99_us", "udp_cpu", "tcp1_cpu"]
CONTROL_METRICS = ["create_ms", "delete_ms", "nsdel_ms", "rmmod_ms", "mem_kb", "slab_kb"]
SHORT = {
    "tcp1_mbps": "TCP 1", "tcp4_mbps": "TCP 4", "udp_kpps": "UDP pps",
    "rr_p50_us": "RR p50", "rr_p99_us": "RR p99", "udp_cpu": "CPU/pkt",
    "tcp1_cpu": "CPU/GB", "create_ms": "create", "delete_ms": "delete",
    "nsdel_ms": "netns del", "rmmod_ms": "rmmod", "mem_kb": "memory",
    "slab_kb": "slab",
}
# A metric the reference row does not have is compared with another of
# the reference's: rmmod (one bulk unregistration of every interface) with
# the deletion of a namespace (the other one the kernel has).
REF_METRIC = {"rmmod_ms": "nsdel_ms"}


def parse_kv(words):
    kv = {}
    for i, w in enumerate(words):
        k, eq, v = w.partition("=")
        if not eq:
            continue
        if k == "note":
            kv[k] = " ".join([v] + words[i + 1:])
            break
        kv[k] = v
    return kv


class Results:
    def __init__(self, lines):
        self.meta = []          # (key, value) in order
        self.defs = {}          # row -> kv
        self.order = []         # rows in order of definition
        self.samples = {}       # row -> round -> {metric: float}
        self.failed = {}        # row -> [(round, note)]
        for line in lines:
            if not line.startswith("BENCH "):
                continue
            words = line.split()
            kind = words[1]
            if kind == "meta":
                k, _, v = line.split(None, 2)[2].partition("=")
                self.meta.append((k, v.strip()))
                continue
            kv = parse_kv(words[2:])
            row = kv.get("row")
            if not row:
                continue
            if kind == "def":
                if row not in self.defs:
                    self.order.append(row)
                self.defs[row] = kv
            elif kind == "sample":
                rnd = kv.get("round", "1")
                if kv.get("status") == "failed":
                    self.failed.setdefault(row, []).append((rnd, kv.get("note", "")))
                    continue
                vals = {}
                for k, v in kv.items():
                    if k in METRICS:
                        try:
                            vals[k] = float(v)
                        except ValueError:
                            pass
                self.samples.setdefault(row, {})[rnd] = vals
                if row not in self.defs:
                    self.defs[row] = {"row": row, "kind": "data"}
                    self.order.append(row)

    def refs(self, row):
        r = self.defs.get(row, {}).get("refs", "")
        return [x for x in r.split(",") if x and x != "-"]

    def values(self, row, metric):
        return [v[metric] for v in self.samples.get(row, {}).values() if metric in v]

    def ratios(self, row, ref, metric):
        out = []
        refm = metric
        refs = self.samples.get(ref, {})
        if not any(metric in v for v in refs.values()) and metric in REF_METRIC:
            refm = REF_METRIC[metric]
        for rnd, vals in self.samples.get(row, {}).items():
            rv = refs.get(rnd, {}).get(refm)
            if metric in vals and rv:
                out.append(vals[metric] / rv)
        return out, refm


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def summary(xs):
    return (median(xs), min(xs), max(xs), len(xs)) if xs else None


def fmt_val(fmt, s):
    if not s:
        return "-"
    m, lo, hi, n = s
    if n == 1:
        return fmt % m
    return "%s [%s-%s]" % (fmt % m, fmt % lo, fmt % hi)


def fmt_ratio(s):
    if not s:
        return "-"
    m, lo, hi, n = s
    f = "%.2f" if m < 10 else "%.1f"
    if n == 1:
        return f % m
    return "%s [%s-%s]" % (f % m, f % lo, f % hi)


def tables(res, out):
    w = out.write
    meta = dict(res.meta)
    w("\n")
    w("virtif benchmark%s\n" % (" (" + meta["label"] + ")" if meta.get("label") else ""))
    for k, v in res.meta:
        if k != "label":
            w("  %s: %s\n" % (k, v))
    w("\n")
    w("Each value: the median of the rounds [min-max]. Each ratio: row / reference,\n")
    w("computed per round (the rows run interleaved, round after round), then the\n")
    w("median [min-max] of those. 'better' says which way a ratio is good for the row.\n")

    rows = res.order
    unavailable = [r for r in rows if res.defs[r].get("status")]
    for kind, metrics in (("data", DATA_METRICS), ("control", CONTROL_METRICS)):
        krows = [r for r in rows if res.defs[r].get("kind", "data") == kind and not res.defs[r].get("status")]
        if not krows:
            continue
        w("\n%s\n" % ("== Data plane: from namespace A to namespace B over the row's link"
                      if kind == "data" else
                      "== Control plane: n interfaces, n pairs at once (memory: per interface, per pair)"))
        for r in krows:
            d = res.defs[r]
            note = d.get("note", "")
            refs = res.refs(r)
            w("  %-20s %s%s\n" % (r, note, "" if not refs else "  [ref: %s]" % ", ".join(refs)))
        for m in metrics:
            title, unit, better, fmt = METRICS[m]
            have = [r for r in krows if res.values(r, m)]
            if not have:
                continue
            w("\n-- %s: %s (%s is better)\n" % (title, unit, better))
            for r in have:
                cells = []
                for ref in res.refs(r):
                    rs, refm = res.ratios(r, ref, m)
                    s = summary(rs)
                    if s:
                        tag = ref if refm == m else "%s %s" % (ref, SHORT[refm])
                        cells.append("x %s %s" % (tag, fmt_ratio(s)))
                w("  %-20s %-24s %s\n" % (r, fmt_val(fmt, summary(res.values(r, m))), "   ".join(cells)))

        # At a glance: the median ratios, one line per (row, reference).
        pairs = [(r, ref) for r in krows for ref in res.refs(r)]
        cols = [m for m in metrics if any(res.values(r, m) for r in krows)]
        if pairs and cols:
            w("\n-- At a glance (%s): median ratio row / reference\n" % kind)
            w("  %-20s %-14s" % ("row", "/ reference") + "".join("%10s" % SHORT[m] for m in cols) + "\n")
            for r, ref in pairs:
                cells = []
                for m in cols:
                    s = summary(res.ratios(r, ref, m)[0])
                    cells.append("%10s" % ("-" if not s else ("%.2f" % s[0] if s[0] < 10 else "%.1f" % s[0])))
                w("  %-20s %-14s" % (r, ref) + "".join(cells) + "\n")
            w("  %-35s" % "better:" + "".join("%10s" % METRICS[m][2] for m in cols) + "\n")

    if unavailable:
        w("\n== Not measured\n")
        for r in unavailable:
            d = res.defs[r]
            w("  %-20s %s: %s\n" % (r, d["status"], d.get("note", "")))
    failed = [r for r in rows if r in res.failed]
    if failed:
        w("\n== Failed measurements (the rounds above do not include them)\n")
        for r in failed:
            for rnd, note in res.failed[r]:
                w("  %-20s round %s: %s\n" % (r, rnd, note))
    w("\n")


def bench_lines(res, out):
    for r in res.order:
        for m in METRICS:
            s = summary(res.values(r, m))
            if s:
                out.write("BENCH median row=%s metric=%s value=%.6g min=%.6g max=%.6g n=%d\n" % ((r, m) + s))
            for ref in res.refs(r):
                rs, refm = res.ratios(r, ref, m)
                s = summary(rs)
                if s:
                    out.write("BENCH ratio row=%s ref=%s metric=%s value=%.4g min=%.4g max=%.4g n=%d better=%s%s\n"
                              % ((r, ref, m) + s + (METRICS[m][2], "" if refm == m else " ref_metric=" + refm)))


# --- the picture ---------------------------------------------------------------
def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(res, path):
    """One panel per metric: for every (row, reference), a bar from 1 to the
    median ratio on a log scale, a whisker over the rounds' min-max; green
    where the row is better than its reference, red where it is worse."""
    panels = []
    for kind, metrics in (("data", DATA_METRICS), ("control", CONTROL_METRICS)):
        rows = [r for r in res.order if res.defs[r].get("kind", "data") == kind and not res.defs[r].get("status")]
        for m in metrics:
            bars = []
            for r in rows:
                for ref in res.refs(r):
                    rs, refm = res.ratios(r, ref, m)
                    s = summary(rs)
                    if s:
                        lab = "%s / %s" % (r, ref) + ("" if refm == m else " " + SHORT[refm])
                        bars.append((lab, s))
            if bars:
                panels.append((m, bars))
    if not panels:
        return
    lo = min(min(b[1][1] for b in bars) for _, bars in panels)
    hi = max(max(b[1][2] for b in bars) for _, bars in panels)
    # Symmetric in log2 around 1, whole powers of two.
    e = max(1, math.ceil(max(abs(math.log2(lo)), abs(math.log2(hi)))))
    LW, PW, BH, COLS = 230, 300, 16, 2      # label width, plot width, bar height
    pw_total = LW + PW + 60
    heights = [40 + BH * len(b) + 30 for _, b in panels]
    meta = dict(res.meta)
    head = 70
    # Panels flow into two columns, each panel in the shorter column.
    colh = [head] * COLS
    place = []
    for h in heights:
        c = colh.index(min(colh))
        place.append((c, colh[c]))
        colh[c] += h
    W, H = pw_total * COLS + 20, max(colh) + 40
    o = []
    o.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="sans-serif" font-size="11">' % (W, H))
    o.append('<rect width="100%" height="100%" fill="white"/>')
    title = "virtif benchmark: each row relative to its reference (median of the rounds, whisker min-max)"
    o.append('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>' % esc(title))
    sub = ", ".join(v for k, v in res.meta if k in ("label", "kernel", "machine", "run"))
    o.append('<text x="10" y="38">%s</text>' % esc(sub))
    o.append('<text x="10" y="54">green: virtif is better than the reference, red: worse, grey: '
             'two references compared; log scale, 1 = the same</text>')

    def xpos(x0, v):
        t = (math.log2(max(min(v, 2.0 ** e), 2.0 ** -e)) + e) / (2 * e)
        return x0 + LW + t * PW

    for (m, bars), (c, y0) in zip(panels, place):
        x0 = 10 + c * pw_total
        title, unit, better, _ = METRICS[m]
        o.append('<text x="%d" y="%d" font-weight="bold">%s (%s is better)</text>'
                 % (x0, y0 + 16, esc(title + ", " + unit), better))
        top = y0 + 26
        bot = top + BH * len(bars)
        # Grid: powers of two.
        for k in range(-e, e + 1):
            x = xpos(x0, 2.0 ** k)
            o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
                     % (x, top, x, bot, "#000" if k == 0 else "#ddd", "1.2" if k == 0 else "1"))
            if e <= 5 or k % 2 == 0:
                lab = ("%g" % 2.0 ** k) if k >= 0 else "1/%d" % 2 ** -k
                o.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#666" font-size="9">%s</text>'
                         % (x, bot + 11, lab))
        for i, (lab, (med, mn, mx, n)) in enumerate(bars):
            y = top + i * BH
            good = (med >= 1) == (better == "higher")
            if "virtif" not in lab.split(" / ")[0] or abs(med - 1) < 0.005:
                color = "#9aa0a8"   # a reference against another, or even
            else:
                color = "#3a9a4a" if good else "#c8453c"
            xa, xb = sorted((xpos(x0, 1.0), xpos(x0, med)))
            o.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (x0 + LW - 6, y + BH - 4, esc(lab)))
            o.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                     % (xa, y + 2, max(xb - xa, 1), BH - 4, color))
            if n > 1:
                ya = y + BH / 2
                o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>'
                         % (xpos(x0, mn), ya, xpos(x0, mx), ya))
                for v in (mn, mx):
                    o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>'
                             % (xpos(x0, v), ya - 3, xpos(x0, v), ya + 3))
            o.append('<text x="%d" y="%d" fill="#333">%s</text>'
                     % (x0 + LW + PW + 4, y + BH - 4, ("%.2f" if med < 10 else "%.1f") % med))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="?")
    ap.add_argument("--svg")
    ap.add_argument("--no-table", action="store_true")
    a = ap.parse_args()
    f = open(a.results) if a.results else sys.stdin
    res = Results(f.read().splitlines())
    if not a.no_table:
        tables(res, sys.stdout)
        bench_lines(res, sys.stdout)
    if a.svg:
        svg(res, a.svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
