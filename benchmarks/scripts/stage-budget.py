#!/usr/bin/env python3
"""Classifies JFR CPU-time samples (jdk.CPUTimeSample of JDK 25, as JSON on stdin) into
the stages of a put or a get and prints ns per byte for each, from the StageBudget line given as
argv[1] ("... cpu X ns/B ... [R x M MiB]  window T0 T1"). Only events inside the measured window
count. The collector's CPU comes from jdk.GCCPUTime; the rest of the process CPU is divided by
the share of CPU-time samples per stage (JIT threads are not sampled and fall into the shares)."""
import json, re, sys
from datetime import datetime

line = sys.argv[1]
cpu_nspb = float(re.search(r"cpu ([0-9.]+) ns/B", line).group(1))
rounds, mib = map(int, re.search(r"\[(\d+) x (\d+) MiB\]", line).groups())
t0, t1 = map(int, re.search(r"window (\d+) (\d+)", line).groups())
nbytes = rounds * mib * 1048576

# First match from the top of the stack wins; order matters (a SHA-256 under ChunkBatch is hash).
# Matched against the whole stack first: the benchmark's own work, and the daemon's reads and
# writes of descriptors a local client passed (their syscalls would otherwise look like packs).
WHOLE_STACK = [
    ("bench: check output (SHA-256)", r"bench\.StageBudget\.readVerified"),
    ("bench: make input", r"bench\.StageBudget\.(vary|random)|java\.nio\.file\.Files\.write"),
    ("passed fd: write restore output", r"server\.net\.LocalFd\.writeFrom"),
]
WHOLE_STACK = [(n, re.compile(p)) for n, p in WHOLE_STACK]
RULES = [
    ("fsync (wait)", r"FileDispatcherImpl\.force|FileChannelImpl\.force|\.fsync|fdatasync"),
    ("idle", r"epollWait|EPoll\.wait|epoll_wait|Native\.epollWait|Object\.wait|Unsafe\.park|Thread\.sleep|socketAccept|accept0|pollOnce|Selector"),
    ("hash (SHA-256)", r"sun\.security\.provider\.(SHA2|DigestBase)|MessageDigest|ChunkId\.of"),
    ("cut (gear hash)", r"protocol\.chunk\.Chunker\."),
    ("compress (LZ4)", r"LZ4JNI\.LZ4_compress|LZ4Compressor|LZ4JNICompressor|ChunkCodec\.encode|Zstd\.compress"),
    ("decompress", r"LZ4JNI\.LZ4_decompress|Decompressor|ChunkCodec\.decode"),
    ("checksum (CRC32C)", r"CRC32C"),
    ("index (RocksDB)", r"org\.rocksdb\.|store\.meta\.MetaDb"),
    ("catalog", r"store\.catalog\."),
    ("pack write", r"FileDispatcherImpl\.(pwrite|write)|LocalPackWriter|PackCodec\.(write|encode)|IOUtil\.write"),
    ("pack/file read", r"FileDispatcherImpl\.(pread|read)|PackFileReader|ChannelCache|IOUtil\.read"),
    ("wire (Netty, codecs)", r"io\.netty\.|protocol\.wire\.|server\.net\.Connection|ClientConnection"),
    ("copies", r"arraycopy|copyMemory|Arrays\.copyOf|ByteBuffer\.(get|put)|ChunkBatcher\.(write|emit|readFrom)|CheckpointInputStream\.read|LocalFd\.(readInto|writeFrom)|InputStream\.read"),
    ("manifest, refs", r"store\.manifest\.|protocol\.manifest\.|EntryBuilder|FormBuilder"),
]
RULES = [(n, re.compile(p)) for n, p in RULES]

def frame_name(f):
    m = f.get("method", {})
    t = m.get("type", {}).get("name", "?")
    return f"{t.replace('/', '.')}.{m.get('name', '?')}"

def ts(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)

data = json.load(sys.stdin)
def dur(x):
    """ns of an ISO-8601 duration as jfr prints it (PT0.01S, PT1M2.5S)."""
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([0-9.]+)S)?", str(x))
    if not m:
        return 0
    h, mi, sec = m.groups()
    return ((int(h or 0) * 60 + int(mi or 0)) * 60 + float(sec or 0)) * 1e9

counts, tops = {}, {}
gc_ns = 0
for ev in data["recording"]["events"]:
    v = ev["values"]
    if not (t0 <= ts(v["startTime"]) <= t1):
        continue
    if ev["type"] == "jdk.GCCPUTime":
        gc_ns += dur(v.get("userTime")) + dur(v.get("systemTime"))
        continue
    frames = [frame_name(f) for f in (v.get("stackTrace") or {}).get("frames", [])]
    if not frames and v.get("failed"):
        counts["stack walk failed"] = counts.get("stack walk failed", 0) + 1
        continue
    if not frames:
        continue
    stage = next((n for n, rx in WHOLE_STACK if any(rx.search(fr) for fr in frames)), None)
    if stage is None and any("server.net.LocalFd.readInto" in fr for fr in frames) and \
            re.search(r"FileDescriptor\.read|Native\.read|\.readAddress|FileDescriptor\.readAddress", frames[0]):
        stage = "passed fd: read input"
    for fr in ([] if stage else frames):
        hit = next((n for n, rx in RULES if rx.search(fr)), None)
        if hit:
            stage = hit
            break
    stage = stage or "other Java"
    counts[stage] = counts.get(stage, 0) + 1
    if stage == "other Java":
        tops[frames[0]] = tops.get(frames[0], 0) + 1

cpu_stages = {k: c for k, c in counts.items() if k not in ("idle", "fsync (wait)")}
total = sum(cpu_stages.values())
# The sampler's rate is not exact under load (samples are throttled and lost), so samples give
# shares only: the CPU of Java threads is the process CPU minus the collector's (jdk.GCCPUTime).
java_nspb = max(0.0, cpu_nspb - gc_ns / nbytes)
print(f"{'stage':28s} {'ns/B':>7s} {'share':>6s}   ({total} samples)")
for k, c in sorted(cpu_stages.items(), key=lambda kv: -kv[1]):
    nspb = java_nspb * c / total
    print(f"{k:28s} {nspb:7.3f} {100 * nspb / cpu_nspb:5.1f}%")
print(f"{'JVM garbage collector':28s} {gc_ns / nbytes:7.3f} {100 * gc_ns / nbytes / cpu_nspb:5.1f}%")
print(f"{'total process CPU':28s} {cpu_nspb:7.3f}")
if tops:
    print("  other Java, top frames:", ", ".join(f"{k} {v}" for k, v in sorted(tops.items(), key=lambda kv: -kv[1])[:5]))
