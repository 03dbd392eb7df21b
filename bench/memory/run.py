#!/usr/bin/env python3
"""Peak memory of one poll: `feedd poll --once` on feeds with one very large item, and on a feed of
many ordinary items, each feed served by a local HTTP server (Python's, on 127.0.0.1).

For every feedd binary given (say the one before a change and the one after, compared in the same
run) and every feed, the script polls into a fresh archive and prints the peak resident set size
that GNU time measures (ru_maxrss of the feedd process alone), in MiB and as a multiple of the
large body:

    python3 bench/memory/run.py --feedd build/feedd --sizes 100,200
    python3 bench/memory/run.py --feedd OLD/feedd --feedd build/feedd --sizes 100,200

The large item is RSS 2.0 whose <content:encoded> holds HTML in a CDATA section (paragraphs of
words and a relative link per paragraph, as an archive of a long article would); `--escaped`
writes it as escaped markup instead (&lt;p&gt;…), which the parser decodes into a new string.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import free_port, wait_for_port  # noqa: E402

WORDS = ("archive feed news market region policy energy rail forum water climate city data "
         "report science health trade court school river harbour budget vote festival").split()


def paragraph(n):
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(60))
    return f'<p>{words} <a href="/story/{n}">more</a></p>\n'


def large_body(size):
    """HTML of `size` bytes or a little more."""
    chunk = "".join(paragraph(n) for n in range(64))
    return chunk * (size // len(chunk) + 1)


def write_large_feed(path, mib, escaped):
    html = large_body(mib << 20)
    if escaped:
        html = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        content = f"<content:encoded>{html}</content:encoded>"
    else:
        content = f"<content:encoded><![CDATA[{html}]]></content:encoded>"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Large</title><link>http://bench.example/</link><description>one large item</description>
<item><title>Small before</title><link>http://bench.example/a</link><guid>a</guid><description>short</description></item>
<item><title>Large</title><link>http://bench.example/large</link><guid>large</guid>
<description>the whole story follows</description>
{content}</item>
<item><title>Small after</title><link>http://bench.example/c</link><guid>c</guid><description>short</description></item>
</channel></rss>
""")
    return len(html)


def write_many_feed(path, items):
    parts = ["""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Many</title><link>http://bench.example/</link><description>many items</description>
"""]
    for n in range(items):
        body = "".join(paragraph(n + k) for k in range(6))
        parts.append(f"""<item><title>Item {n} {WORDS[n % len(WORDS)]}</title><link>http://bench.example/{n}</link>
<guid>item-{n}</guid><pubDate>Mon, 01 Jan 2024 {n % 24:02d}:{n % 60:02d}:00 GMT</pubDate>
<description>{" ".join(WORDS[(n + k) % len(WORDS)] for k in range(30))}</description>
<content:encoded><![CDATA[{body}]]></content:encoded></item>
""")
    parts.append("</channel></rss>\n")
    path.write_text("".join(parts))


def poll(feedd, work, url, max_body_mib):
    """Peak RSS (MiB) and wall time of one `feedd poll --once` into a fresh archive."""
    home = Path(tempfile.mkdtemp(dir=work))
    (home / "feeds.toml").write_text(f"""[settings]
database = "feedd.db"
allow_private_networks = true
max_body = "{max_body_mib}MiB"
timeout = "10m"
log_level = "warning"

[[feed]]
name = "bench"
url = "{url}"
""")
    with tempfile.NamedTemporaryFile(mode="r") as timing:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", timing.name, str(feedd), "--config",
                               str(home / "feeds.toml"), "poll", "--once"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall, rss_kib = timing.read().split()[-2:]
    if proc.returncode != 0:
        print(f"  {feedd} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}", file=sys.stderr)
    for f in home.iterdir():
        f.unlink()
    home.rmdir()
    return int(rss_kib) / 1024, float(wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feedd", action="append", help="a feedd binary (repeat to compare)")
    parser.add_argument("--sizes", default="100,200", help="MiB of the large item's HTML, comma-separated")
    parser.add_argument("--items", type=int, default=5000, help="items of the ordinary feed (0: none)")
    parser.add_argument("--escaped", action="store_true", help="the large HTML escaped, not in CDATA")
    parser.add_argument("--runs", type=int, default=1, help="polls per binary and feed (the lowest peak counts)")
    args = parser.parse_args()
    binaries = [Path(b).resolve() for b in (args.feedd or ["build/feedd"])]
    sizes = [int(s) for s in args.sizes.split(",") if s]

    with tempfile.TemporaryDirectory(prefix="feedd-memory-bench-") as tmp:
        work = Path(tmp)
        www = work / "www"
        www.mkdir()
        feeds = []
        for mib in sizes:
            html = write_large_feed(www / f"large{mib}.xml", mib, args.escaped)
            feeds.append((f"one {mib} MiB item", f"large{mib}.xml", html, max(mib + 8, 16)))
        if args.items:
            write_many_feed(www / "many.xml", args.items)
            feeds.append((f"{args.items} ordinary items", "many.xml", 0, 16))
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(www)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            for label, name, html, max_body in feeds:
                size = (www / name).stat().st_size
                print(f"{label}: feed {size / 2**20:.1f} MiB" + (f", HTML {html / 2**20:.1f} MiB" if html else ""))
                for feedd in binaries:
                    peak, wall = min(poll(feedd, work, f"http://127.0.0.1:{port}/{name}", max_body)
                                     for _ in range(args.runs))
                    ratio = f" = {peak / (size / 2**20):.2f} x the feed" if html else ""
                    print(f"  {feedd}: peak RSS {peak:.0f} MiB{ratio} ({wall:.1f} s)")
        finally:
            server.terminate()
            server.wait()
    print("reproduce: python3 bench/memory/run.py " + " ".join(f"--feedd {b}" for b in (args.feedd or [])) +
          f" --sizes {args.sizes} --items {args.items}" + (" --escaped" if args.escaped else ""))


if __name__ == "__main__":
    main()
