"""Download a dataset's scenario folders with ``huggingface_hub.snapshot_download``.

What it does on the wire (huggingface_hub 2.4, read from its source): with a pinned commit it
skips the repo-info call and lists the tree at that commit (``GET /api/datasets/<repo>/tree/<rev>
?recursive=true``, paginated by ``Link`` headers; cached on disk as ``trees/<commit>.json``), then
for each file matching the patterns that is not already on disk: ``HEAD /datasets/<repo>/resolve/
<rev>/<path>`` (``X-Repo-Commit``, ``ETag`` / ``X-Linked-Etag``, ``Content-Length`` /
``X-Linked-Size``; a redirect to another host is a CDN or Xet bridge) and a ``GET`` of the file,
resumed with ``Range`` from an ``.incomplete`` file after a broken connection.  Files the Hub keeps
in Xet storage are fetched through ``hf_xet`` when the HEAD answer carries ``X-Xet-Hash``.

Before going online it sends one ``HEAD`` to the endpoint: when that fails (refused, no route,
DNS), huggingface_hub would retry the listing for about 25 s, so the local copy is used at once
(``local_files_only``) if an earlier download recorded its file list, else the error is one line.

Resumable: files already downloaded at the same commit are not requested again (``--dest``
keeps its bookkeeping in ``DEST/.cache/huggingface/``; without it the Hugging Face cache is
used).  With ``HF_HUB_OFFLINE=1`` a complete earlier download is returned without any request.

Every failure of the Hub, the network or the disk becomes one :class:`~sre_agent.errors.InputError`
line (exit 2).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .registry import DatasetSpec

__all__ = ["FetchError", "fetch", "hub_endpoint"]


class FetchError(InputError):
    """The dataset could not be downloaded (offline, refused, unknown revision, HTTP error)."""


def hub_endpoint() -> str:
    """The Hub address huggingface_hub talks to (``HF_ENDPOINT``, read when it is imported)."""
    from huggingface_hub import constants
    from huggingface_hub import errors as hf_errors

    return constants.ENDPOINT


def _status(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return f"HTTP {code}" if code else type(exc).__name__


def _root_cause(exc: BaseException) -> BaseException:
    seen = {id(exc)}
    while (nxt := exc.__cause__ or exc.__context__) is not None and id(nxt) not in seen:
        seen.add(id(nxt))
        exc = nxt
    return exc


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def explain(exc: BaseException, spec: DatasetSpec, revision: str) -> FetchError:
    """One line saying why a download failed and what to do (for huggingface_hub / httpx errors)."""
    import httpx2
    from huggingface_hub import errors as hf

    where = f"{spec.repo_id} at {hub_endpoint()}"
    again = "run the same command again to resume"
    if isinstance(exc, hf.RevisionNotFoundError):
        return FetchError(f"{spec.name}: revision {revision!r} not found in {where} ({_status(exc)})")
    if isinstance(exc, (hf.RepositoryNotFoundError, hf.GatedRepoError, hf.DisabledRepoError)):
        return FetchError(f"{spec.name}: repository {where} not found or not accessible ({_status(exc)}); "
                          "a private or gated repository needs a token in HF_TOKEN")
    if isinstance(exc, hf.RemoteEntryNotFoundError):
        return FetchError(f"{spec.name}: a listed file is missing on {where} ({_status(exc)}); {again}")
    if isinstance(exc, hf.IncompleteSnapshotError):
        return FetchError(f"{spec.name}: the local copy is incomplete and the Hub cannot be reached "
                          f"({_first_line(_root_cause(exc))}); {again} when online")
    if isinstance(exc, (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled)):
        cause = _root_cause(exc)
        from huggingface_hub import constants
        if isinstance(cause, hf.OfflineModeIsEnabled) or constants.is_offline_mode():
            return FetchError(f"{spec.name}: the Hub is set offline (HF_HUB_OFFLINE=1) and there is no complete "
                              f"local copy of revision {revision!r}; unset HF_HUB_OFFLINE and run the command again")
        return FetchError(f"{spec.name}: cannot reach {hub_endpoint()} ({_first_line(cause)}) and no complete "
                          f"local copy of revision {revision!r}; connect to the network and run the command again")
    if isinstance(exc, hf.HfHubHTTPError):
        return FetchError(f"{spec.name}: the Hub answered {_status(exc)} for {where}; {again}")
    if isinstance(exc, httpx2.HTTPError):
        return FetchError(f"{spec.name}: cannot reach {hub_endpoint()} ({_first_line(exc)}); {again}")
    if isinstance(exc, OSError):
        return FetchError(f"{spec.name}: download failed: {_first_line(exc)}; {again}")
    return FetchError(f"{spec.name}: download failed: {_first_line(exc)}")


def fetch(spec: DatasetSpec, *, dest: Path | None = None, revision: str | None = None, jobs: int = 8,
          scenarios: Sequence[str] = (), cache_dir: Path | None = None, progress: bool = True) -> Path:
    """Download the scenario files of ``spec`` and return the folder holding them.

    ``dest``: a plain folder mirroring the repository (else the Hugging Face cache, or
    ``cache_dir``); ``revision``: another commit, tag or branch than the pinned one;
    ``scenarios``: only these scenario folders (``2`` or ``Scenario-2``).  Raises
    :class:`FetchError` with one line on any failure.
    """
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub import errors as hf_errors
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars, logging as hf_logging

    if jobs < 1:
        raise InputError(f"--jobs {jobs}: expected a positive number of parallel downloads")
    rev = revision or spec.revision
    patterns = spec.patterns(scenarios)
    created = dest is not None and not dest.exists()
    if dest is not None:
        if dest.exists() and not dest.is_dir():
            raise InputError(f"--dest {dest}: not a folder")
        try:
            dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--dest {dest}: cannot be created ({exc.strerror})") from None
    # huggingface_hub's own warnings would add lines to an error; its failures are explained below.
    hf_logging.set_verbosity_error()
    # no bars when stderr is not a terminal (a log file would get every redraw)
    (enable_progress_bars if progress and sys.stderr.isatty() else disable_progress_bars)()
    kwargs = dict(repo_id=spec.repo_id, repo_type=spec.repo_type, revision=rev, allow_patterns=patterns,
                  local_dir=str(dest) if dest is not None else None,
                  cache_dir=str(cache_dir) if cache_dir is not None else None, max_workers=jobs)
    try:
        unreachable = None if constants.is_offline_mode() else _unreachable(hub_endpoint())
        if unreachable is not None:
            # huggingface_hub would retry a refused connection for ~25 s before looking on disk:
            # look on disk at once, and only at a copy whose file list was recorded by a download.
            why = f"{spec.name}: cannot reach {hub_endpoint()} ({unreachable})"
            if not _has_cached_tree(spec, rev, dest, cache_dir):
                raise FetchError(f"{why} and no local copy of revision {rev!r}; "
                                 "connect to the network and run the command again")
            try:
                path = huggingface_hub.snapshot_download(**kwargs, local_files_only=True)
            except (hf_errors.IncompleteSnapshotError, hf_errors.LocalEntryNotFoundError) as exc:
                missing = re.search(r"(\d+) file\(s\) are missing", str(exc))
                raise FetchError(f"{why} and the local copy of revision {rev!r} is incomplete"
                                 f"{f' ({missing.group(1)} file(s) missing)' if missing else ''}; "
                                 "connect to the network and run the command again to resume") from None
        else:
            path = huggingface_hub.snapshot_download(**kwargs)
    except Exception as exc:  # noqa: BLE001 - every failure of the download becomes one line
        if created and dest is not None:
            _remove_if_no_file(dest)  # a failed first download leaves no empty folder behind
        if isinstance(exc, InputError):
            raise
        raise explain(exc, spec, rev) from None
    return Path(path)


def _remove_if_no_file(folder: Path) -> None:
    """Remove ``folder`` when nothing but empty folders is in it (a partial download is kept: it resumes)."""
    try:
        if any(p.is_file() for p in folder.rglob("*")):
            return
        shutil.rmtree(folder)
    except OSError:
        pass


def _unreachable(endpoint: str, timeout: float = 10.0) -> str | None:
    """``None`` when the Hub answers at all (any HTTP status), else why not, in one line."""
    import httpx2

    try:
        httpx2.head(endpoint, timeout=timeout, follow_redirects=False)
    except httpx2.HTTPError as exc:
        return _first_line(exc)
    return None


def _has_cached_tree(spec: DatasetSpec, rev: str, dest: Path | None, cache_dir: Path | None) -> bool:
    """Whether an earlier download recorded the file list of ``rev`` (then completeness is checkable)."""
    from huggingface_hub import get_cached_repo_tree
    from huggingface_hub.errors import CachedRepoTreeNotFoundError

    try:
        get_cached_repo_tree(spec.repo_id, repo_type=spec.repo_type, revision=rev,
                             local_dir=str(dest) if dest is not None else None,
                             cache_dir=str(cache_dir) if cache_dir is not None else None)
    except (CachedRepoTreeNotFoundError, OSError, ValueError):
        return False
    return True
