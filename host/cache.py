# SPDX-License-Identifier: MIT
"""The one cache folder of lgn-hil, and the one way to put a build in it.

    path = cached("vboard", key, make)    # make(path) fills an empty folder, once per key

`cache_root()` is $LGN_CACHE_DIR when set, else the platform's user cache folder
(platformdirs: ~/.cache/lgn-hil on Linux). `cached` takes a file lock per key (filelock:
Linux, macOS and Windows), so parallel processes build a key once and the others wait;
a folder counts as built only once `make` returned (a marker file is written last), so an
interrupted build is thrown away and redone, never used half-made. Keys are content
hashes (`digest`): sources, parameters, tools. Needs no torch or numpy (the PYNQ agent
may import it).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

_DONE = ".complete"


def cache_root() -> Path:
    base = os.environ.get("LGN_CACHE_DIR")
    if base:
        return Path(base)
    import platformdirs
    return Path(platformdirs.user_cache_dir("lgn-hil", appauthor=False))


def digest(*parts, files=()) -> str:
    """A short content hash of JSON-able `parts` and the names and bytes of `files`."""
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for f in files:
        f = Path(f)
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def find(kind: str, key: str) -> Path | None:
    """The folder of a finished build, or None."""
    folder = cache_root() / kind / key
    return folder if (folder / _DONE).exists() else None


def cached(kind: str, key: str, make: Callable[[Path], None]) -> Path:
    """The folder cache_root()/kind/key, made by `make(folder)` the first time."""
    from filelock import FileLock
    root = cache_root() / kind
    final = root / key
    if (final / _DONE).exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{key}.lock")):
        if (final / _DONE).exists():
            return final
        if final.exists():                  # an interrupted build
            shutil.rmtree(final)
        final.mkdir()
        try:
            make(final)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        (final / _DONE).write_text(key)
    return final
