#!/usr/bin/env python3
"""targets.py - ginetd's benchmark targets (issues 2 and 3), PASS/FAIL.

usage: bench/targets.py [--peers RUN/raw.jsonl ...] [--resources RAW]
                        [--scale RAW] [--reload RAW]

--peers: run-peers.sh raw files (merged); every ratio compares ginetd with
peers measured in the same files; a measure repeated over rounds is the
median of its rounds. "best peer" = best real super-server (floor-* are
reference loops, not peers; they are shown apart). The other inputs are
the raw.jsonl files of ginetd-resources.sh, ginetd-scale.sh and
reload-under-load.sh. Prints Markdown on stdout.
"""
import argparse, json, statistics as st

ap = argparse.ArgumentParser()
ap.add_argument("--peers", nargs="*", default=[])
ap.add_argument("--resources")
ap.add_argument("--scale")
ap.add_argument("--reload")
ap.add_argument("--medians", action="store_true", help="also print every peer's medians over the rounds (--peers)")
a = ap.parse_args()

def lines(p):
    with open(p) as f:
        for l in f:
            l = l.strip()
            if l:
                yield json.loads(l)

loads, peerrecs = {}, {}
for p in a.peers:
    for r in lines(p):
        if "tags" in r and "cps" in r:
            t = r["tags"]
            loads.setdefault((t["peer"], t["test"], int(t["c"])), []).append(r)
        elif r.get("record") == "peer" and r.get("start_ok"):
            peerrecs.setdefault(r["peer"], []).append(r)

def med(v):
    v = [x for x in v if x is not None]
    return st.median(v) if v else None

def measure(peer, test, c, f):
    rs = loads.get((peer, test, c), [])
    return med([f(r) for r in rs]), len(rs)

cps = lambda r: r["cps"]
cpu = lambda r: (r.get("server") or {}).get("cpu_us_per_conn")
p50 = lambda r: r["lat_us"]["p50"] if r["ok"] else None
peers = sorted({k[0] for k in loads})
real = [p for p in peers if p != "ginetd" and not p.startswith("floor-")]
floors = [p for p in peers if p.startswith("floor-")]
rows = []

def fmt(x, d=1):
    return "–" if x is None else (f"{x:.{d}f}" if isinstance(x, float) else str(x))

def add(target, ginetd, ref, ratio, limit, ok, note=""):
    rows.append((target, ginetd, ref, ratio, limit, "PASS" if ok else ("FAIL" if ok is not None else "n/a"), note))

if loads:
    g = lambda test, c, f: measure("ginetd", test, c, f)
    # 1. exec CPU per connection at c=8 vs xinetd and openbsd-inetd
    gc, n = g("exec-daytime", 8, cpu)
    for ref in ("xinetd", "openbsd-inetd"):
        rc, _ = measure(ref, "exec-daytime", 8, cpu)
        if gc is not None and rc:
            add(f"exec CPU µs/conn, c=8 ≤ 0.75× {ref}", f"{gc:.1f} (n={n})", f"{ref} {rc:.1f}", f"{gc/rc:.2f}×", "≤ 0.75×", gc / rc <= 0.75)
    # 2. exec throughput at c=8 and c=64 vs best peer
    for c in (8, 64):
        gv, n = g("exec-daytime", c, cps)
        best = max(((measure(p, "exec-daytime", c, cps)[0] or 0, p) for p in real), default=(0, None))
        fl = max(((measure(p, "exec-daytime", c, cps)[0] or 0, p) for p in floors), default=(0, None))
        if gv is not None and best[1]:
            add(f"exec conn/s, c={c} ≥ 0.95× best peer", f"{gv:.0f} (n={n})", f"{best[1]} {best[0]:.0f}", f"{gv/best[0]:.2f}×", "≥ 0.95×", gv / best[0] >= 0.95,
                f"best floor {fl[1]} {fl[0]:.0f}" if fl[0] else "")
    # 3. p50 latency at c=1 vs best peer
    gv, n = g("exec-daytime", 1, p50)
    best = min(((measure(p, "exec-daytime", 1, p50)[0] or 1e18, p) for p in real), default=(0, None))
    fl = min(((measure(p, "exec-daytime", 1, p50)[0] or 1e18, p) for p in floors), default=(0, None))
    if gv is not None and best[1]:
        add("exec p50 latency µs, c=1 ≤ 1.0× best peer", f"{gv:.0f} (n={n})", f"{best[1]} {best[0]:.0f}", f"{gv/best[0]:.2f}×", "≤ 1.0×", gv / best[0] <= 1.0,
            f"best floor {fl[1]} {fl[0]:.0f}" if fl[1] else "")
    # 4. builtin daytime CPU vs xinetd
    gv, n = g("builtin-daytime", 8, cpu)
    rc, _ = measure("xinetd", "builtin-daytime", 8, cpu)
    if gv is not None and rc:
        add("builtin daytime CPU µs/conn, c=8 ≤ 1.5× xinetd", f"{gv:.1f} (n={n})", f"xinetd {rc:.1f}", f"{gv/rc:.2f}×", "≤ 1.5×", gv / rc <= 1.5)
    # 5. stream echo throughput vs best peer
    for c in (8, 64):
        gv, n = g("builtin-echo", c, cps)
        best = max(((measure(p, "builtin-echo", c, cps)[0] or 0, p) for p in real), default=(0, None))
        fl = max(((measure(p, "builtin-echo", c, cps)[0] or 0, p) for p in floors), default=(0, None))
        if gv is not None and best[1]:
            add(f"stream echo conn/s, c={c} ≥ 2× best peer", f"{gv:.0f} (n={n})", f"{best[1]} {best[0]:.0f}", f"{gv/best[0]:.2f}×", "≥ 2×", gv / best[0] >= 2,
                f"{fl[1]} {fl[0]:.0f}" if fl[0] else "")  # no note when no floor ran the test
    # 6. UDP
    rs = loads.get(("ginetd", "udp-daytime", 8), [])
    if rs:
        lost = sum((r.get("errors") or {}).get("timeout", 0) for r in rs)
        other = sum(r["errors_total"] for r in rs) - lost
        ok = sum(r["ok"] for r in rs)
        add("closed-loop UDP daytime client loses nothing", f"{ok} answered, {lost} lost, {other} other errors ({len(rs)} runs)", "", "", "0 lost", lost == 0 and other == 0)
    # 7. idle RSS in the run
    pr = peerrecs.get("ginetd", [])
    if pr:
        v = [r["idle_rss_kb"] for r in pr]
        add("idle RSS ≤ 8 MiB (bench config)", f"{med(v):.0f} KiB [{min(v)}–{max(v)}] (n={len(v)})", "", "", "≤ 8192 KiB", max(v) <= 8192)
        z = sum(r.get("zombies_before_stop", 0) for r in pr); lo = sum(r.get("leftover_procs", 0) for r in pr)
        add("no zombie / leftover at stop (every run)", f"zombies {z}, leftovers {lo}, stopped by {','.join(sorted({r['stop'] for r in pr}))}", "", "", "0", z == 0 and lo == 0)

if a.resources:
    rec = {}
    for r in lines(a.resources):
        rec.setdefault(r.get("record", "load"), r)
    i, t, h = rec.get("idle"), rec.get("threads"), rec.get("hygiene")
    if i:
        add("idle RSS ≤ 8 MiB (ginetd-resources.sh)", f"{i['rss_kb']} KiB ({i['rss_kb_2s']} 2 s later), {i['threads']} threads", "", "", "≤ 8192 KiB", max(i['rss_kb'], i['rss_kb_2s']) <= 8192)
    if t:
        reached = t["children_max"] >= t["children_target"]
        add(f"threads with {t['children_target']} children at once ≤ 30", f"{t['threads_at_children_max']} at {t['children_max']} children (max {t['threads_max']})", "", "", "≤ 30",
            (t["threads_max"] <= 30) if reached else None, "" if reached else "children target not reached")
    if h:
        want = h.get("connections_target", 100000)
        add(f"no zombie, no fd growth after {want:,} connections", f"{h['connections_ok']} conns; fds {h['fds_before']}→{h['fds_after']}; zombies {h['zombies_before']}→{h['zombies_after']}", "", "", "0 growth, 0 zombies",
            h["fds_after"] <= h["fds_before"] and h["zombies_after"] == 0 and h["connections_ok"] >= 0.99 * want)

if a.scale:
    rs = [r for r in lines(a.scale) if r.get("record") == "scale" and r["server"] == "ginetd"]
    if rs:
        n = rs[0]["services"]
        took = med([r["reload_took_median_ms"] for r in rs if r["reload_took_median_ms"] >= 0])
        allt = [x["took_ms"] for r in rs for x in (r["reloads"] or []) if x["took_ms"] >= 0]
        add(f"reload time with {n} services < 100 ms (median)", f"{fmt(med(allt))} ms over {len(allt)} reloads (max {fmt(max(allt) if allt else None)})", "", "", "< 100 ms", med(allt) is not None and med(allt) < 100)
        rd = [r["ready_ms"] for r in rs if r["ready_ms"] >= 0]; li = [r["listening_ms"] for r in rs if r["listening_ms"] >= 0]
        add(f"start-up to ready with {n} services < 300 ms", f"msg=ready {fmt(med(rd))} ms [{fmt(min(rd) if rd else None)}–{fmt(max(rd) if rd else None)}]; all listening {fmt(med(li))} ms", "", "", "< 300 ms",
            bool(rd) and med(rd) < 300 and (not li or med(li) < 300))
        rss = [r["idle_rss_kb"] for r in rs]
        add(f"idle RSS with {n} services < 30 MiB", f"{med(rss):.0f} KiB [{min(rss)}–{max(rss)}]", "", "", "< 30720 KiB", max(rss) < 30720)

if a.reload:
    res = [r for r in lines(a.reload) if r.get("record") == "result"]
    for srv in sorted({r["server"] for r in res}):
        rr = [r for r in res if r["server"] == srv and r["mode"] == "reload"]
        e = {}
        for r in rr:
            for k, v in (r["load"].get("errors") or {}).items():
                e[k] = e.get(k, 0) + v
        ok = sum(r["load"]["ok"] for r in rr)
        sent = sum(r["hups_sent"] for r in rr); seen = sum(r["hups_seen_applied"] for r in rr)
        desc = f"{ok} ok; refused {e.get('refused',0)}, reset {e.get('reset',0)}, timeout {e.get('timeout',0)}, other {sum(e.values())-e.get('refused',0)-e.get('reset',0)-e.get('timeout',0)}; {seen}/{sent} reloads applied"
        if srv == "ginetd":
            add("reload under load: 0 refused/reset (ginetd)", desc, "", "", "0 errors", sum(e.values()) == 0,
                "applied = new config seen in force before the next SIGHUP (~100 ms later)")
        else:
            add(f"reload under load: {srv} (reference)", desc, "", "", "", None)

if a.medians and loads:
    def cell(p, t, c, f, d=0):
        v, n = measure(p, t, c, f)
        if v is None:
            return "–"
        rs = [f(r) for r in loads[(p, t, c)] if f(r) is not None]
        return f"{v:.{d}f} [{min(rs):.{d}f}–{max(rs):.{d}f}]" if n > 1 else f"{v:.{d}f}"
    def udp(p):
        rs = loads.get((p, "udp-daytime", 8), [])
        if not rs:
            return "–"
        lost = sum((r.get("errors") or {}).get("timeout", 0) for r in rs)
        return f"{med([r['cps'] for r in rs]):.0f} ({lost} lost)"
    order = ["ginetd"] + real + floors
    print("Medians over the rounds [min–max] (n = rounds in which the peer ran the test; one value = round 1 only).\n")
    print("| peer | exec c=1 conn/s | exec c=1 p50 µs | exec c=8 conn/s | exec c=64 conn/s | server CPU µs/conn, exec c=8 | server CPU µs/conn, exec c=1 | builtin daytime c=8 conn/s | server CPU µs/conn, daytime c=8 | echo c=8 conn/s | echo c=64 conn/s | UDP daytime c=8 dgram/s | idle RSS KiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in order:
        rss = [r["idle_rss_kb"] for r in peerrecs.get(p, [])]
        print(f"| {p} | {cell(p,'exec-daytime',1,cps)} | {cell(p,'exec-daytime',1,p50)} | {cell(p,'exec-daytime',8,cps)} | {cell(p,'exec-daytime',64,cps)} | {cell(p,'exec-daytime',8,cpu,1)} | {cell(p,'exec-daytime',1,cpu,1)} | {cell(p,'builtin-daytime',8,cps)} | {cell(p,'builtin-daytime',8,cpu,1)} | {cell(p,'builtin-echo',8,cps)} | {cell(p,'builtin-echo',64,cps)} | {udp(p)} | {fmt(med(rss),0) if rss else '–'} |")
    print()

print("| target | ginetd | compared with | ratio | limit | result | note |")
print("|---|---|---|---:|---|---|---|")
for r in rows:
    print("| " + " | ".join(str(x) for x in r) + " |")
