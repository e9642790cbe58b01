#!/usr/bin/env python3
"""Turns results/<mode>/{raw,sizes}.tsv (run_peers.sh format, plus Cairn's rows) into the
comparison table (markdown on stdout) and a chart (chart-<mode>.svg next to the tables).

usage: report.py RESULTS_DIR DATA_DIR MODE

MB = 10^6 bytes. Ingest MB/s = logical bytes / wall seconds of the put commands; "later" excludes
the first checkpoint. Restore = the last checkpoint, median of the runs, verified byte for byte.
GC = trim/forget/prune to the last 2 checkpoints plus the space reclamation (compact, gc).
For Cairn, CPU and RSS are the CLI's plus the daemon's for the same phase (the daemon's peak RSS
is over the whole series)."""
import json
import os
import statistics
import sys
from collections import defaultdict

res, data, mode = sys.argv[1], sys.argv[2], sys.argv[3]
raw = defaultdict(list)
for line in open(f"{res}/raw.tsv"):
    p, s, ph, i, w, rss, u, sy, rc = line.rstrip("\n").split("\t")
    raw[(p, s, ph)].append((int(i), float(w), int(rss or 0), float(u or 0), float(sy or 0), int(rc)))
sizes = {}
if os.path.exists(f"{res}/sizes.tsv"):
    for line in open(f"{res}/sizes.tsv"):
        p, s, k, v = line.rstrip("\n").split("\t")
        sizes[(p, s, k)] = v

ORDER = ["cairn", "cairn-tcp", "restic", "borg-none", "borg-repokey", "casync"]
SERIES = [s for s in ["finetune", "shifted", "dbpages", "full-change"] if any(k[1] == s for k in raw)]
peers = [p for p in ORDER if any(k[0] == p for k in raw)]


def manifest(s):
    return json.load(open(f"{data}/{s}/manifest.json"))


rows = {}  # (peer, series) -> metrics
for s in SERIES:
    m = manifest(s)
    logical = m["logical_bytes"]
    files = m["files"]
    first_b, last_b = files[0]["bytes"], files[-1]["bytes"]
    for p in peers:
        ing = sorted(raw.get((p, s, "ingest"), []))
        if not ing:
            continue
        wall = sum(r[1] for r in ing)
        cpu = sum(r[3] + r[4] for r in ing)
        rst = raw.get((p, s, "restore"), [])
        gc = raw.get((p, s, "gc"), []) + raw.get((p, s, "gc_prune"), []) + raw.get((p, s, "gc_compact"), [])
        repo = float(sizes.get((p, s, "repo_bytes"), 0))
        repo2 = float(sizes.get((p, s, "repo_bytes_after_gc"), 0))
        rss = max(r[2] for r in ing) / 1024
        rrss = max((r[2] for r in rst), default=0) / 1024
        d = {}
        if p.startswith("cairn"):
            cpu += float(sizes.get((p, s, "daemon_cpu_ingest_s"), 0))
            d["daemon_rss"] = float(sizes.get((p, s, "daemon_peak_rss_kb"), 0)) / 1024
        d.update(
            ingest=logical / wall / 1e6,
            first=first_b / ing[0][1] / 1e6,
            later=(logical - first_b) / sum(r[1] for r in ing[1:]) / 1e6 if len(ing) > 1 else float("nan"),
            cores=cpu / wall,
            rss=rss,
            repo=repo,
            ratio=logical / repo if repo else 0,
            restore=last_b / statistics.median(r[1] for r in rst) / 1e6 if rst else float("nan"),
            rrss=rrss,
            verify=sizes.get((p, s, "verify"), "?"),
            gc=sum(r[1] for r in gc),
            repo2=repo2,
            verify2=sizes.get((p, s, "verify_after_gc"), "?"),
            failed=sum(1 for r in ing + rst + gc if r[5] != 0),
        )
        rows[(p, s)] = d

out = []
w = out.append
w(f"## End-to-end comparison ({mode}: {manifest(SERIES[0])['count']} checkpoints x "
  f"{manifest(SERIES[0])['size_mib']} MiB per series)")
w("")
w("| series | tool | ingest MB/s | 1st ckpt MB/s | later ckpts MB/s | ingest CPU cores | ingest peak RSS MiB "
  "| stored MiB | logical/stored | restore MB/s | restore peak RSS MiB | GC s | stored after GC MiB | verified |")
w("|" + "---|" * 14)
for s in SERIES:
    for p in peers:
        d = rows.get((p, s))
        if not d:
            continue
        rss = f"{d['rss']:.0f}" + (f" (+{d['daemon_rss']:.0f} daemon)" if "daemon_rss" in d else "")
        ok = "OK" if d["verify"] == "OK" and d["verify2"] == "OK" and not d["failed"] else \
            f"{d['verify']}/{d['verify2']}" + (f", {d['failed']} failed" if d["failed"] else "")
        w(f"| {s} | {p} | {d['ingest']:.0f} | {d['first']:.0f} | {d['later']:.0f} | {d['cores']:.2f} | {rss} | "
          f"{d['repo'] / 2**20:.1f} | {d['ratio']:.2f} | {d['restore']:.0f} | {d['rrss']:.0f} | {d['gc']:.2f} | "
          f"{d['repo2'] / 2**20:.1f} | {ok} |")
w("")
others = [p for p in peers if not p.startswith("cairn")]
for tool in [p for p in peers if p.startswith("cairn")] if others else []:
    w(f"### {tool} against the best peer of the same run")
    w("")
    w("| series | ingest | 1st ckpt | later ckpts | restore | stored bytes (smaller is better) | GC time (smaller is better) |")
    w("|---|---|---|---|---|---|---|")
    for s in SERIES:
        c = rows.get((tool, s))
        ps = [rows[(p, s)] for p in others if (p, s) in rows]
        if not c or not ps:
            continue

        def best(key, low=False):
            vals = [(q[key], p) for q, p in zip(ps, [p for p in others if (p, s) in rows])]
            return (min if low else max)(vals)

        cells = []
        for key in ["ingest", "first", "later", "restore"]:
            v, who = best(key)
            cells.append(f"{c[key] / v:.2f}x ({who} {v:.0f})")
        v, who = best("repo", low=True)
        cells.append(f"{c['repo'] / v:.2f}x ({who} {v / 2**20:.1f} MiB)")
        v, who = best("gc", low=True)
        cells.append(f"{v / c['gc']:.1f}x faster ({who} {v:.2f} s)" if c["gc"] else "n/a")
        w(f"| {s} | " + " | ".join(cells) + " |")
    w("")
print("\n".join(out))

# ---- chart: three panels of grouped bars (ingest MB/s, restore MB/s, stored MiB)
COLORS = {"cairn": "#d62728", "cairn-tcp": "#ff9896", "restic": "#1f77b4", "borg-none": "#2ca02c", "borg-repokey": "#98df8a",
          "casync": "#9467bd"}
panels = [("ingest", "ingest MB/s (all checkpoints)"), ("restore", "restore MB/s"),
          ("repo", "stored MiB (smaller is better)")]
W, H, PAD = 960, 300, 50
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H * len(panels) + 40}" '
       f'font-family="sans-serif" font-size="11">']
svg.append(f'<text x="{PAD}" y="20" font-size="14">Cairn vs peers ({mode}); same data, same run</text>')
for k, (key, title) in enumerate(panels):
    y0 = 40 + k * H
    vals = [rows[(p, s)][key] / (2**20 if key == "repo" else 1) for s in SERIES for p in peers if (p, s) in rows]
    top = max(vals) * 1.15 if vals else 1
    ph = H - 70
    svg.append(f'<text x="{PAD}" y="{y0 + 14}" font-size="12">{title}</text>')
    gw = (W - 2 * PAD) / max(1, len(SERIES))
    bw = gw * 0.8 / max(1, len(peers))
    for si, s in enumerate(SERIES):
        gx = PAD + si * gw
        svg.append(f'<text x="{gx + gw * 0.4:.0f}" y="{y0 + H - 30}" text-anchor="middle">{s}</text>')
        for pi, p in enumerate(peers):
            if (p, s) not in rows:
                continue
            v = rows[(p, s)][key] / (2**20 if key == "repo" else 1)
            h = ph * v / top
            x = gx + pi * bw
            y = y0 + 25 + ph - h
            svg.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw * 0.9:.1f}" height="{h:.1f}" fill="{COLORS.get(p, "#777")}"/>')
            svg.append(f'<text x="{x + bw * 0.45:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="9">{v:.0f}</text>')
lx = PAD
for p in peers:
    svg.append(f'<rect x="{lx}" y="{H * len(panels) + 20}" width="10" height="10" fill="{COLORS.get(p, "#777")}"/>')
    svg.append(f'<text x="{lx + 14}" y="{H * len(panels) + 29}">{p}</text>')
    lx += 110
svg.append("</svg>")
open(f"{res}/chart-{mode}.svg", "w").write("\n".join(svg))
