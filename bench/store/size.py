#!/usr/bin/env python3
"""Archive size and read latency of two feedd builds, in the same run (issue 22).

The shared corpus (the corpus generator, `--corpus-gen GEN.py`) is served by nginx on 127.0.0.1;
each build cold-polls it into an archive of its own; the script prints the archive's bytes (database plus WAL after
`PRAGMA wal_checkpoint(TRUNCATE)`), its pages, the largest tables and indexes (`dbstat`), the
medians of `query`, `query --search` and `show` (whole processes), whether both builds print the
same, and the time of a poll after 10 % of the feeds changed. The bytes the warm poll (every feed a
304) and the changed poll read and write (`pread64`/`pwrite64`: pages of the database and its WAL)
are counted under strace, on copies of each archive, apart from the timed runs. With --newsboat,
newsboat's cache of the same corpus is measured too (slow: several minutes).

    python3 bench/store/size.py --before OLD/feedd --after build/feedd \\
        --corpus-gen GEN.py [--feeds 1000] [--newsboat] [--postgres URI] [--keep]

GEN.py is the shared corpus generator, called as `GEN.py N --out DIR`, `GEN.py --urls BASE --out DIR`
and `GEN.py --mutate F --out DIR`.
"""
import argparse, os, re, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import free_port, start_nginx, stop_nginx  # noqa: E402


def timed(cmd, cwd):
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        print("failed:", " ".join(map(str, cmd)), result.stderr[-400:], file=sys.stderr)
    return time.perf_counter() - start, result.stdout


def sql(db, query):
    return subprocess.run(["sqlite3", db, query], capture_output=True, text=True, check=True).stdout.strip()


def page_io(cmd, cwd):
    """MB read and written with pread64/pwrite64 (SQLite's page I/O) by `cmd`, under strace."""
    trace = Path(cwd) / "io.trace"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=pread64,pwrite64", "-o", str(trace), *cmd], cwd=cwd,
                   capture_output=True)
    totals = {"pread64": 0, "pwrite64": 0}
    for line in trace.read_text().splitlines():
        match = re.search(r"(pread64|pwrite64)\(.*= (\d+)$", line)
        if match:
            totals[match.group(1)] += int(match.group(2))
    trace.unlink()
    return f"read {totals['pread64'] / 1e6:.1f} MB, written {totals['pwrite64'] / 1e6:.1f} MB"


def traced_copy(source, target, cmd):
    """`cmd` run in a copy of the archive's directory (the timed archive moves on untouched)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return page_io(cmd, target)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--corpus-gen", dest="gen", required=True, help="the shared corpus generator")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--newsboat", action="store_true")
    parser.add_argument("--postgres", metavar="URI",
                        help="an empty PostgreSQL database the --after build cold-polls the corpus into too")
    parser.add_argument("--keep", action="store_true", help="leave the work directory (archives) behind")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="feedd-size-bench-"))
    work.chmod(0o755)
    corpus = work / "corpus"
    subprocess.run([sys.executable, args.gen, str(args.feeds), "--out", str(corpus)], check=True,
                   stdout=subprocess.DEVNULL)
    corpus.chmod(0o755)
    port = free_port()
    pidfile = start_nginx(work, corpus, port)
    try:
        urls = subprocess.run([sys.executable, args.gen, "--urls", f"http://127.0.0.1:{port}", "--out", str(corpus)],
                              check=True, capture_output=True, text=True).stdout.split()
        lines = ["[settings]", 'database = "feedd.db"', "concurrency = 32", "per_host = 32", 'per_host_gap = "0s"',
                 "allow_private_networks = true", 'log_level = "error"', ""]
        for i, url in enumerate(urls):
            lines += ["[[feed]]", f'name = "f{i}"', f'url = "{url}"', ""]
        builds = {"before": str(Path(args.before).resolve()), "after": str(Path(args.after).resolve())}
        dirs = {}
        for name in builds:
            dirs[name] = work / name
            dirs[name].mkdir()
            (dirs[name] / "feeds.toml").write_text("\n".join(lines))
        poll = ["--config", "feeds.toml", "poll", "--once", "--force"]
        result = {name: {} for name in builds}
        for name, binary in builds.items():
            result[name]["cold poll s"], _ = timed([binary, *poll], dirs[name])
        for name in builds:
            db = str(dirs[name] / "feedd.db")
            sql(db, "PRAGMA wal_checkpoint(TRUNCATE);")
            wal = db + "-wal"
            result[name]["bytes"] = os.path.getsize(db) + (os.path.getsize(wal) if os.path.exists(wal) else 0)
            result[name]["pages"] = f'{sql(db, "PRAGMA page_count;")} x {sql(db, "PRAGMA page_size;")}'
            items = int(sql(db, "SELECT count(*) FROM entries;"))
            result[name]["items"] = items
            result[name]["bytes per item"] = result[name]["bytes"] // items
            result[name]["dbstat"] = sql(db, "SELECT name, round(sum(pgsize) / 1e6, 1) || ' MB' FROM dbstat "
                                             "GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 6;").replace("\n", ", ")
        article = sql(str(dirs["before"] / "feedd.db"), "SELECT id FROM articles ORDER BY id LIMIT 1 OFFSET "
                                                        "(SELECT count(*) / 2 FROM articles);")
        reads = {"query": ["query", "--limit", "50"], "search": ["query", "--search", "climate budget", "--limit", "50"],
                 "show": ["show", article]}
        samples = {name: {k: [] for k in reads} for name in builds}
        outputs = {name: {} for name in builds}
        for _ in range(args.runs):  # interleaved: both builds see the same load
            for name, binary in builds.items():
                for kind, cmd in reads.items():
                    seconds, out = timed([binary, "--config", "feeds.toml", *cmd], dirs[name])
                    samples[name][kind].append(seconds)
                    outputs[name][kind] = "\n".join(l for l in out.splitlines() if "first seen" not in l)
        for name in builds:
            for kind in reads:
                result[name][f"{kind} ms"] = round(statistics.median(samples[name][kind]) * 1000, 1)
        same = [kind for kind in reads if outputs["before"][kind] == outputs["after"][kind]]
        tracing = shutil.which("strace") is not None
        if tracing:
            for name, binary in builds.items():
                result[name]["warm poll I/O"] = traced_copy(dirs[name], work / f"{name}-io", [binary, *poll])
        subprocess.run([sys.executable, args.gen, "--mutate", "0.1", "--out", str(corpus)], check=True,
                       stdout=subprocess.DEVNULL)
        if tracing:
            for name, binary in builds.items():
                result[name]["10% changed poll I/O"] = traced_copy(dirs[name], work / f"{name}-io",
                                                                   [binary, *poll])
                shutil.rmtree(work / f"{name}-io", ignore_errors=True)
        for name in ("after", "before"):
            result[name]["10% changed poll s"], _ = timed([builds[name], *poll], dirs[name])
        for name in builds:
            print(f"== {name}")
            for key, value in result[name].items():
                print(f"  {key}: {round(value, 2) if isinstance(value, float) else value}")
        print(f"same output (first-seen times aside): {', '.join(same) or 'none'}")
        if args.newsboat or args.postgres:
            subprocess.run([sys.executable, args.gen, str(args.feeds), "--out", str(corpus)], check=True,
                           stdout=subprocess.DEVNULL)  # back to the cold corpus
        if args.postgres:
            pg = work / "postgres"
            pg.mkdir()
            (pg / "feeds.toml").write_text("\n".join(lines).replace('database = "feedd.db"',
                                                                    f'database = "{args.postgres}"'))
            timed([builds["after"], *poll], pg)

            def psql(query):
                return subprocess.run(["psql", "-d", args.postgres, "-Atc", query], capture_output=True, text=True,
                                      check=True).stdout.strip()
            psql("VACUUM")
            size = int(psql("SELECT pg_database_size(current_database())"))
            items = int(psql("SELECT count(*) FROM entries"))
            print(f"PostgreSQL (after): {size} bytes, {size // items} bytes per item; largest (total, heap, "
                  "TOAST, indexes):")
            print(psql("SELECT c.relname || ': ' || pg_size_pretty(pg_total_relation_size(c.oid)) || ', ' || "
                       "pg_size_pretty(pg_relation_size(c.oid)) || ', ' || pg_size_pretty(coalesce("
                       "pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)) || ', ' || "
                       "pg_size_pretty(pg_indexes_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON "
                       "n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() "
                       "ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 3"))
        if args.newsboat:
            nb = work / "newsboat"
            nb.mkdir()
            (nb / "urls").write_text("\n".join(urls) + "\n")
            (nb / "config").write_text("reload-threads 8\n")
            timed(["newsboat", "-x", "reload", "-u", str(nb / "urls"), "-c", str(nb / "cache.db"), "-C",
                   str(nb / "config")], nb)
            size = os.path.getsize(nb / "cache.db")
            print(f"newsboat cache: {size} bytes, {size // int(sql(str(nb / 'cache.db'), 'SELECT count(*) FROM rss_item;'))}"
                  " bytes per item")
    finally:
        stop_nginx(pidfile)
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
