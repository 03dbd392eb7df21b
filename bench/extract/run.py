#!/usr/bin/python3
"""feedd's article extractor against Python readability (readability-lxml) on the same pages.

    /usr/bin/python3 bench/extract/run.py [--pages 300] [--runs 5] [--corpus DIR] [--bench build/bench/extract/bench_extract]

Generates pages with a known main text (gen_pages.py, or --corpus DIR of NNNN.html + NNNN.txt),
extracts each with both, and prints word-level precision, recall and F1 against the known text
(mean over pages, per page shape and overall) and the time per page (median of --runs passes over
all pages; readability's import and file reading are outside the timing, as feedd's are).
Needs python3-readability (Debian's package of readability-lxml): scripts/install-deps python3-readability."""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

try:
    import lxml.html
    from readability import Document
except ImportError:
    sys.exit("run.py: scripts/install-deps python3-readability, and run it with /usr/bin/python3")

WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    return collections.Counter(WORD.findall(text.lower()))


def score(predicted, gold):
    common = sum((predicted & gold).values())
    p = common / max(1, sum(predicted.values()))
    r = common / max(1, sum(gold.values()))
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return p, r, f


def readability_text(page):
    summary = Document(page).summary(html_partial=True)
    return " ".join(lxml.html.fromstring(summary).itertext()) if summary.strip() else ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus")
    parser.add_argument("--bench", default=os.path.join(ROOT, "build/bench/extract/bench_extract"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="feedd-extract-")
    corpus = args.corpus
    if not corpus:
        corpus = os.path.join(work, "pages")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_pages.py"), "--pages", str(args.pages), "--out", corpus],
                       check=True)
    names = sorted(n[:-5] for n in os.listdir(corpus) if n.endswith(".html"))
    pages = {}
    for n in names:
        with open(os.path.join(corpus, n + ".html"), "rb") as f:
            pages[n] = f.read()

    out = os.path.join(work, "feedd")
    run = subprocess.run([args.bench, corpus, "--runs", str(args.runs), "--out", out], check=True,
                         capture_output=True, text=True)
    feedd = json.loads(run.stdout)

    texts = {}
    times = []
    parse_times = []
    for r in range(args.runs):
        start = time.perf_counter()
        for n in names:
            lxml.html.document_fromstring(pages[n])
        parse_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for n in names:
            text = readability_text(pages[n])
            if r == 0:
                texts[n] = text
        times.append(time.perf_counter() - start)
    readability_ms = 1000 * statistics.median(times) / len(names)
    lxml_ms = 1000 * statistics.median(parse_times) / len(names)

    rows = collections.defaultdict(lambda: {"feedd": [], "readability": []})
    for n in names:
        with open(os.path.join(corpus, n + ".txt"), encoding="utf-8") as f:
            gold = words(f.read())
        with open(os.path.join(out, n + ".txt"), encoding="utf-8", errors="replace") as f:
            ours = words(f.read())
        shape = n.split("-", 1)[1] if "-" in n else "pages"
        for key in (shape, "all"):
            rows[key]["feedd"].append(score(ours, gold))
            rows[key]["readability"].append(score(words(texts[n]), gold))

    print(f"{len(names)} pages, {feedd['bytes'] / 1e6:.1f} MB; word-level precision / recall / F1 (mean over pages)")
    print(f"{'shape':<16}{'pages':>6}  {'feedd P/R/F1':>22}  {'readability P/R/F1':>22}")
    for key in sorted(rows, key=lambda k: (k == "all", k)):
        line = f"{key:<16}{len(rows[key]['feedd']):>6}"
        for who in ("feedd", "readability"):
            p, r, f = (statistics.mean(x[i] for x in rows[key][who]) for i in range(3))
            line += f"  {p:6.3f} {r:6.3f} {f:6.3f}    "
        print(line)
    print(f"time per page (median of {args.runs} passes): feedd {feedd['ms_per_page']:.3f} ms, "
          f"readability {readability_ms:.3f} ms: feedd {readability_ms / feedd['ms_per_page']:.1f}x faster")
    print(f"the parsers alone (median of {args.runs} passes): libxml2 for feedd {feedd['parser_ms_per_page']:.3f} ms "
          f"({100 * feedd['parser_ms_per_page'] / feedd['ms_per_page']:.0f} % of its time), "
          f"lxml (libxml2 and its tree) for readability {lxml_ms:.3f} ms ({100 * lxml_ms / readability_ms:.0f} % of its time)")
    fa = statistics.mean(x[2] for x in rows["all"]["feedd"])
    ra = statistics.mean(x[2] for x in rows["all"]["readability"])
    print(f"F1 feedd/readability: {fa / ra:.3f}")
    print("reproduce: /usr/bin/python3 bench/extract/run.py --pages %d --runs %d" % (len(names), args.runs))


if __name__ == "__main__":
    main()
