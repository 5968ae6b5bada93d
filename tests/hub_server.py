"""A small Hugging Face Hub on 127.0.0.1 for tests: the endpoints ``snapshot_download`` calls.

Point huggingface_hub at it with ``HF_ENDPOINT=<server.url>`` (read when huggingface_hub is
imported, so run the client in a subprocess).  It answers, like the Hub:

* ``GET /api/<type>s/<ns>/<name>/revision/<rev>``: repo info (``sha``, ``siblings``);
* ``GET /api/<type>s/<ns>/<name>/tree/<rev>[/<path>]?recursive=..``: the file list, paginated
  with a ``Link: <...>; rel="next"`` header (``page_size`` entries per page);
* ``HEAD``/``GET /[<type>s/]<ns>/<name>/resolve/<rev>/<path>``: a small file answers 200 with
  ``X-Repo-Commit``, ``ETag`` (its git blob id) and ``Content-Length``; an "LFS" file (larger than
  ``lfs_threshold``) answers 302 to a second origin, the "CDN", with ``X-Linked-Etag`` (sha256),
  ``X-Linked-Size`` and ``Location``; the CDN serves ``/blobs/<sha256>`` with ``Range`` support;
* errors as the Hub sends them: ``X-Error-Code: RevisionNotFound`` / ``EntryNotFound`` (404),
  ``RepoNotFound`` (401, also for a missing token when ``token`` is set).

Every request is recorded in :attr:`HubServer.requests` as ``(origin, method, path, range)``.
Faults, by repo path: ``truncate_once`` (the first GET of the file, from the Hub or the CDN, stops
half-way: the client resumes with a ``Range`` request) and ``fail_once`` (it answers HTTP 500).
No Xet storage: no ``X-Xet-Hash`` header, no ``xetHash`` in the tree, so files go over plain HTTP.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["HubRepo", "HubServer"]


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class HubRepo:
    """One repository at one commit: ``files`` maps repo paths to contents."""

    repo_id: str
    files: dict[str, bytes]
    repo_type: str = "dataset"
    commit: str = "d0916b08ba421ce5e672e9ad68aa947d938dfef0"
    refs: dict[str, str] = field(default_factory=dict)  # branch / tag -> commit ("main" -> commit by default)

    def resolve(self, rev: str) -> str | None:
        if rev == self.commit:
            return rev
        return {"main": self.commit, **self.refs}.get(rev)


class HubServer:
    """The fake Hub (and its CDN origin) on two free ports of 127.0.0.1; a context manager."""

    def __init__(self, repos: list[HubRepo], *, page_size: int = 50, lfs_threshold: int = 1_000_000,
                 token: str | None = None) -> None:
        self.repos = {(r.repo_type, r.repo_id): r for r in repos}
        self.page_size = page_size
        self.lfs_threshold = lfs_threshold
        self.token = token
        self.requests: list[tuple[str, str, str, str | None]] = []
        self.truncate_once: set[str] = set()
        self.fail_once: set[str] = set()
        self._blobs: dict[str, tuple[str, bytes]] = {}  # sha256 -> (repo path, data)
        self._lock = threading.Lock()
        self._hub = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("hub"))
        self._cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("cdn"))
        for srv in (self._hub, self._cdn):
            srv.daemon_threads = True
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._hub, self._cdn)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._hub.server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self._cdn.server_address[1]}"

    def start(self) -> HubServer:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        for srv in (self._hub, self._cdn):
            srv.shutdown()
            srv.server_close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def paths(self, origin: str | None = None, method: str | None = None) -> list[str]:
        """Recorded request paths, optionally of one origin ("hub" / "cdn") and method."""
        with self._lock:
            return [p for o, m, p, _r in self.requests if (origin in (None, o)) and (method in (None, m))]

    # -- the request handler --------------------------------------------------------------------
    def _handler(self, origin: str) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._dispatch(head=True)

            def do_GET(self) -> None:
                self._dispatch(head=False)

            def _dispatch(self, head: bool) -> None:
                split = urlsplit(self.path)
                with server._lock:
                    server.requests.append((origin, self.command, unquote(split.path), self.headers.get("Range")))
                try:
                    if origin == "cdn":
                        self._blob(unquote(split.path), head)
                    else:
                        server._route(self, split, head)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _blob(self, path: str, head: bool) -> None:
                sha = path.rsplit("/", 1)[-1]
                name, data = server._blobs.get(sha, ("", None))
                if not path.startswith("/blobs/") or data is None:
                    return server._error(self, 404, "EntryNotFound", "no such blob")
                server._send_file(self, data, f'"{sha}"', head, key=name)

        return Handler

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              head: bool = False) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head and body:
            h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, message: str,
               extra: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(h, status, body, {"Content-Type": "application/json", "X-Error-Code": code,
                                     "X-Error-Message": message, **(extra or {})}, head=h.command == "HEAD")

    def _json(self, h: BaseHTTPRequestHandler, data: object, headers: dict[str, str] | None = None) -> None:
        self._send(h, 200, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _send_file(self, h: BaseHTTPRequestHandler, data: bytes, etag: str, head: bool, key: str,
                   headers: dict[str, str] | None = None) -> None:
        headers = {"ETag": etag, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream",
                   **(headers or {})}
        if not head:
            with self._lock:
                fail = key in self.fail_once
                self.fail_once.discard(key)
                cut = key in self.truncate_once
                self.truncate_once.discard(key)
            if fail:
                return self._error(h, 500, "InternalError", "simulated server error")
        start = 0
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes=") and not head:
            start = int(rng[len("bytes="):].split("-", 1)[0] or 0)
        body = data[start:]
        h.send_response(206 if start else 200)
        for k, v in headers.items():
            h.send_header(k, v)
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if head:
            return
        if cut and len(body) > 1:  # half the body, then drop the connection
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    def _auth_ok(self, h: BaseHTTPRequestHandler) -> bool:
        return self.token is None or h.headers.get("Authorization") == f"Bearer {self.token}"

    def _route(self, h: BaseHTTPRequestHandler, split: object, head: bool) -> None:
        parts = [unquote(p) for p in split.path.split("/")[1:]]  # type: ignore[attr-defined]
        query = parse_qs(split.query)  # type: ignore[attr-defined]
        if len(parts) >= 6 and parts[0] == "api" and parts[4] in ("revision", "tree"):
            repo = self.repos.get((parts[1].rstrip("s"), f"{parts[2]}/{parts[3]}"))
            if repo is None or not self._auth_ok(h):
                return self._error(h, 401, "RepoNotFound", "Repository not found")
            commit = repo.resolve(parts[5])
            if commit is None:
                return self._error(h, 404, "RevisionNotFound", f"Invalid rev id: {parts[5]}")
            if parts[4] == "revision":
                return self._json(h, {"id": repo.repo_id, "sha": commit, "private": False,
                                      "siblings": [{"rfilename": p} for p in sorted(repo.files)]})
            return self._tree(h, repo, "/".join(parts[6:]), query, split.path)  # type: ignore[attr-defined]
        for i, p in enumerate(parts):
            if p == "resolve" and i >= 2:
                prefix = parts[: i - 2]
                repo_type = prefix[0].rstrip("s") if prefix else "model"
                repo = self.repos.get((repo_type, f"{parts[i - 2]}/{parts[i - 1]}"))
                if repo is None or not self._auth_ok(h) or len(parts) < i + 3:
                    return self._error(h, 401, "RepoNotFound", "Repository not found")
                return self._resolve(h, repo, parts[i + 1], "/".join(parts[i + 2:]), head)
        self._send(h, 404, b"not found", head=head)  # e.g. the probe of "/": the Hub is up

    def _tree(self, h: BaseHTTPRequestHandler, repo: HubRepo, under: str, query: dict, path: str) -> None:
        recursive = query.get("recursive", ["False"])[0].lower() == "true"
        prefix = f"{under.strip('/')}/" if under.strip("/") else ""
        entries: dict[str, dict] = {}
        for name, data in sorted(repo.files.items()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):].split("/")
            for depth in range(1, len(rest)):  # the folders on the way
                folder = prefix + "/".join(rest[:depth])
                if recursive or depth == 1:
                    entries.setdefault(folder, {"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(),
                                                "size": 0, "path": folder})
            if recursive or len(rest) == 1:
                entry = {"type": "file", "oid": _git_blob_id(data), "size": len(data), "path": name}
                if len(data) > self.lfs_threshold:
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                entries[name] = entry
        listing = [entries[k] for k in sorted(entries)]
        cursor = int(query.get("cursor", ["0"])[0])
        page = listing[cursor: cursor + self.page_size]
        headers = {}
        if cursor + self.page_size < len(listing):
            nxt = f"{self.url}{quote(path)}?recursive={recursive}&expand=False&cursor={cursor + self.page_size}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._json(h, page, headers)

    def _resolve(self, h: BaseHTTPRequestHandler, repo: HubRepo, rev: str, name: str, head: bool) -> None:
        commit = repo.resolve(rev)
        if commit is None:
            return self._error(h, 404, "RevisionNotFound", f"Invalid rev id: {rev}")
        data = repo.files.get(name)
        if data is None:
            return self._error(h, 404, "EntryNotFound", f"{name} does not exist", {"X-Repo-Commit": commit})
        if len(data) > self.lfs_threshold:
            sha = hashlib.sha256(data).hexdigest()
            with self._lock:
                self._blobs[sha] = (name, data)
            return self._send(h, 302, b"", {
                "Location": f"{self.cdn_url}/blobs/{sha}", "X-Repo-Commit": commit, "ETag": f'"{_git_blob_id(data)}"',
                "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data))}, head=head)
        self._send_file(h, data, f'"{_git_blob_id(data)}"', head, key=name, headers={"X-Repo-Commit": commit})
