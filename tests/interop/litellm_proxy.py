"""LiteLLM's proxy as a child process on 127.0.0.1, routing every model name to one OpenAI-compatible upstream.

The proxy is started in its own process group and stopped with it (SIGTERM, then SIGKILL), whatever happens
to the caller. Its environment keeps it off the network: LiteLLM fetches a model cost map, Anthropic beta
headers, blog posts, auto-router presets and policy templates from the internet unless told to use the
copies bundled with the package (https://docs.litellm.ai/docs/proxy/outbound_requests), and in `DEV` mode it
reads a `.env` file from its working directory. Its own retries and cooldowns are off, so each request a
client sends reaches the scripted upstream exactly once and the upstream's script stays in step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

MASTER_KEY = "sk-interop-master-key"
"""The key clients send to the proxy: with a master key set, LiteLLM checks the key of every request."""
UPSTREAM_KEY = "sk-interop-upstream-key"
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
"""Loopback traffic never goes through an HTTP proxy the machine may have configured."""
STOP_TIMEOUT = 10.0
MAX_LIFETIME = 900
"""Seconds after which the proxy ends itself (coreutils `timeout`), even if whoever started it was killed."""
OFFLINE_ENVIRONMENT = {
    # Bundled copies instead of downloads, one switch per thing LiteLLM would fetch (1.106 has no global one).
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_MODE": "PRODUCTION",  # DEV mode loads a .env file from the working directory
    **NO_PROXY,
}


class ProxyStartError(RuntimeError):
    """The proxy did not come up; the message holds the end of its log."""


def stop_group(process: subprocess.Popen[Any], grace: float = STOP_TIMEOUT) -> None:
    """End `process`, started with `start_new_session=True`, and every process in its group.

    SIGTERM first and up to `grace` seconds to exit, then SIGKILL for whatever is left in the group (a child
    that ignored SIGTERM, or one whose parent has already exited).
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proxy_config(upstream_base_url: str) -> dict[str, object]:
    """Every model name is sent on as is (`openai/*`) to the scripted upstream; no retries, no cooldowns."""
    return {
        "model_list": [
            {
                "model_name": "*",
                "litellm_params": {
                    "model": "openai/*",
                    "api_base": upstream_base_url,
                    "api_key": UPSTREAM_KEY,
                    "max_retries": 0,
                },
            }
        ],
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
        "litellm_settings": {"num_retries": 0, "request_timeout": 30},
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }


class LiteLLMProxy:
    """Runs `litellm --config ...` from `venv` in front of `upstream_base_url` while the block runs.

    Args:
        venv: The environment holding LiteLLM (`bin/litellm`).
        upstream_base_url: The API root the proxy forwards to (ending in `/v1`).
        workdir: Where the config and the proxy's log are written.
        start_timeout: Seconds the proxy may take to answer its liveness probe.
    """

    def __init__(self, venv: Path, upstream_base_url: str, workdir: Path, *, start_timeout: float = 120.0) -> None:
        self._venv = venv
        self._upstream = upstream_base_url
        self._workdir = workdir
        self._start_timeout = start_timeout
        self.log_path = workdir / "litellm.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """What a client takes as `base_url`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except FileNotFoundError:
            return "(no log)"

    def start(self) -> None:
        """Start the proxy and wait until it answers its liveness probe (a port taken meanwhile: try another)."""
        self._workdir.mkdir(parents=True, exist_ok=True)
        config = self._workdir / "litellm-config.yaml"
        config.write_text(json.dumps(proxy_config(self._upstream), indent=2))  # JSON is YAML
        for attempt in range(3):
            try:
                self._launch(config)
                return
            except ProxyStartError:
                if attempt == 2 or "address already in use" not in self.log_tail().lower():
                    raise

    def _launch(self, config: Path) -> None:
        self.port = free_port()  # free now; another process could take it before LiteLLM binds (start retries)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("LITELLM_", "VIRTUAL_ENV"))}
        env.update(OFFLINE_ENVIRONMENT, LITELLM_MASTER_KEY=MASTER_KEY)
        lifetime = ["timeout", "--kill-after=5", str(MAX_LIFETIME)]
        argv = [*lifetime, str(self._venv / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1"]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [*argv, "--port", str(self.port)],
                cwd=self._workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the proxy and anything it spawned
            )
        deadline = time.monotonic() + self._start_timeout
        while not self._alive():
            status = self._process.poll()
            if status is not None:
                self.stop()
                raise ProxyStartError(f"LiteLLM's proxy exited with status {status} while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ProxyStartError(
                    f"LiteLLM's proxy did not answer within {self._start_timeout:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _alive(self) -> bool:
        probe = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
        try:
            with probe.open(f"http://127.0.0.1:{self.port}/health/liveliness", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        """Stop the proxy's whole process group; safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            stop_group(process)

    def __enter__(self) -> LiteLLMProxy:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
