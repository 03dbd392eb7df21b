"""What the benchmarks that poll a corpus share: a free loopback port, waiting for a server on it,
and nginx serving a folder on it (gzip_static, so the server costs every reader the same and
little CPU)."""
import gzip
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, tries=200):
    """Until something listens on 127.0.0.1:port (a server just started), at most tries x 50 ms."""
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)


def start_nginx(work, docroot, port):
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""daemon on;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
worker_processes 2;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  types {{ application/rss+xml xml rss; application/atom+xml atom; application/rdf+xml rdf; }}
  server {{
    listen 127.0.0.1:{port};
    root {docroot};
    etag on;
    gzip_static on;
  }}
}}
""")
    subprocess.run(["nginx", "-p", str(prefix), "-c", str(conf)], check=True)
    return prefix / "nginx.pid"


def precompress(docroot):
    """Writes FILE.gz beside every feed whose .gz is missing or older, for nginx's gzip_static: the
    server then costs the same for every reader and takes no CPU from the readers on a small
    machine (compressing on the fly would)."""
    for path in docroot.iterdir():
        if path.suffix == ".gz" or path.name.startswith("_") or not path.is_file():
            continue
        packed = path.with_name(path.name + ".gz")
        if packed.exists() and packed.stat().st_mtime >= path.stat().st_mtime:
            continue
        packed.write_bytes(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
        stamp = path.stat()
        os.utime(packed, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


def stop_nginx(pidfile):
    try:
        os.kill(int(pidfile.read_text()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass
