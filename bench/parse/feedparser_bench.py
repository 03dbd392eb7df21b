#!/usr/bin/python3
"""Python feedparser on the corpus bench_parse writes, measured the same way (MB/s, median).

    build/bench/parse/bench_parse --mb 64 --write /tmp/feedd-corpus
    /usr/bin/python3 bench/parse/feedparser_bench.py /tmp/feedd-corpus [--runs 3] [--limit-mb 16]

Needs python3-feedparser (apt-get install python3-feedparser)."""
import argparse
import os
import statistics
import sys
import time

try:
    import feedparser
except ImportError:
    sys.exit("feedparser_bench: apt-get install python3-feedparser")

parser = argparse.ArgumentParser()
parser.add_argument("corpus")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--limit-mb", type=float, default=16, help="parse only the first N MB (feedparser is slow)")
args = parser.parse_args()

documents = []
total = 0
for name in sorted(os.listdir(args.corpus)):
    with open(os.path.join(args.corpus, name), "rb") as f:
        data = f.read()
    documents.append(data)
    total += len(data)
    if total >= args.limit_mb * 1e6:
        break

rates = []
entries = 0
for _ in range(args.runs):
    start = time.perf_counter()
    for data in documents:
        entries += len(feedparser.parse(data, response_headers={"content-location": "https://bench.example/"}).entries)
    rates.append(total / 1e6 / (time.perf_counter() - start))
print("feedparser %s: %.2f MB/s (median of %d over %d feeds, %.1f MB), entries per run: %d" %
      (feedparser.__version__, statistics.median(rates), args.runs, len(documents), total / 1e6, entries // args.runs))
