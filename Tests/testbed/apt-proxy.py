#!/usr/bin/env python3
"""A small HTTP forward proxy that gives testbed nodes apt access without NAT.

It listens on one node's host-side address, forwards plain-HTTP GET/HEAD requests only to
the allowed mirror hosts (it is not an open relay) and keeps downloaded .deb files (which
never change under a given pool path) in a shared cache so repeated test runs are fast.
"""
import argparse
import http.client
import os
import shutil
import sys
import tempfile
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
    "te", "trailer", "transfer-encoding", "upgrade",
}
CHUNK = 64 * 1024


def upstream_connection(host, port):
    # Honour a proxy the host itself needs (http_proxy), else connect directly.
    via = os.environ.get("http_proxy") or os.environ.get("HTTP_PROXY")
    if via:
        parsed = urllib.parse.urlsplit(via)
        return http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=60), True
    return http.client.HTTPConnection(host, port, timeout=60), False


class ProxyHandler(BaseHTTPRequestHandler):
    server_version = "shoal-testbed-apt-proxy"
    allowed = set()
    cache_dir = None

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()

    def do_GET(self):
        self.forward(head=False)

    def do_HEAD(self):
        self.forward(head=True)

    def refuse(self, code, why):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        body = (why + "\n").encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def cache_path(self, url):
        if self.cache_dir is None or "/pool/" not in url.path or not url.path.endswith(".deb"):
            return None
        parts = [p for p in url.path.split("/") if p not in ("", ".", "..")]
        return os.path.join(self.cache_dir, url.hostname, *parts)

    def forward(self, head):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            return self.refuse(400, "only absolute http:// URLs are proxied")
        if url.hostname not in self.allowed:
            return self.refuse(403, "host %s is not an allowed mirror" % url.hostname)
        cached = None if head else self.cache_path(url)
        if cached and os.path.isfile(cached):
            size = os.path.getsize(cached)
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.debian.binary-package")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with open(cached, "rb") as source:
                shutil.copyfileobj(source, self.wfile, CHUNK)
            return
        target = url.path + ("?" + url.query if url.query else "")
        connection, via_proxy = upstream_connection(url.hostname, url.port or 80)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Connection"] = "close"
        try:
            connection.request(self.command, self.path if via_proxy else target, headers=headers)
            response = connection.getresponse()
        except OSError as error:
            return self.refuse(502, "upstream %s: %s" % (url.hostname, error))
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.end_headers()
        if head:
            connection.close()
            return
        sink = None
        if cached and response.status == 200:
            os.makedirs(os.path.dirname(cached), exist_ok=True)
            fd, partial = tempfile.mkstemp(dir=os.path.dirname(cached), prefix=".partial-")
            sink = os.fdopen(fd, "wb")
        complete = False
        try:
            while True:
                block = response.read(CHUNK)
                if not block:
                    complete = True
                    break
                self.wfile.write(block)
                if sink:
                    sink.write(block)
        finally:
            connection.close()
            if sink:
                sink.close()
                length = response.getheader("Content-Length")
                if complete and (length is None or os.path.getsize(partial) == int(length)):
                    os.replace(partial, cached)
                else:
                    os.unlink(partial)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, default=3142)
    parser.add_argument("--allow", required=True, help="comma-separated mirror host names")
    parser.add_argument("--cache", default=None, help="directory for cached .deb files")
    parser.add_argument("--tag", default="", help="marks the process as the harness's (for cleanup)")
    args = parser.parse_args()
    ProxyHandler.allowed = {h for h in args.allow.split(",") if h}
    ProxyHandler.cache_dir = args.cache
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((args.listen, args.port), ProxyHandler)
    print("listening on %s:%d for %s" % (args.listen, args.port, ",".join(sorted(ProxyHandler.allowed))), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
