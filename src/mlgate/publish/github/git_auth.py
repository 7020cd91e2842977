"""Let git reach origin with the workflow token, for the metrics ledger's fetch and push.

actions/checkout leaves an ``http.<server>/.extraheader`` in the repository's config unless
``persist-credentials: false``. When it is there, git already authenticates and we add nothing (a second
Authorization header would be refused). When it is not, the same header is handed to git through the
environment (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, git ≥ 2.31), so the token
never appears on a command line or in a file.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from mlgate.edges.git import Git


def token_env(git: Git, *, server_url: str, token: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git commands that talk to origin; unchanged when nothing needs adding."""
    env = dict(os.environ if environ is None else environ)
    if not token or not server_url:
        return env
    if git.run("config", "--get-regexp", r"^http\..*\.extraheader$", check=False):
        return env  # checkout's persisted credentials (or the user's own) already do it
    origin = git.run("remote", "get-url", "origin", check=False)
    prefix = server_url.rstrip("/") + "/"
    if not origin.startswith(prefix):
        return env  # another host (or a local path): the token is not for it
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    index = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    env.update({
        "GIT_CONFIG_COUNT": str(index + 1),
        f"GIT_CONFIG_KEY_{index}": f"http.{prefix}.extraheader",
        f"GIT_CONFIG_VALUE_{index}": f"AUTHORIZATION: basic {basic}",
    })
    return env
