"""Trained models on disk: versioned, swapped atomically, the previous one kept for rollback.

Layout under ``DATA_DIR/models/triage`` (never under the upload directory, nor anywhere an API user can write)::

    versions/<version>/model.joblib   both heads, pickled with joblib
    versions/<version>/meta.json      the library versions that made it, what it was trained on, its SHA-256
    current, previous                 one version name each, replaced with os.replace

A pickle runs code when it is loaded and is tied to the scikit-learn version that wrote it, so loading checks
that the file is the one the metadata describes, under this store's root, made by the same library versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from .classifier import Head

HEADS = ("domain", "category")
LIBRARIES = ("scikit-learn", "numpy", "scipy", "rjieba", "stopwordsiso", "joblib")


class ModelUnavailable(RuntimeError):
    """No usable model: none trained yet, or made by other library versions, or not the file it claims to be."""


@dataclass
class TriageModel:
    heads: dict[str, Head] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    @property
    def created_at(self) -> datetime | None:
        """When the model was made (UTC); None when its metadata does not say."""
        try:
            made = datetime.fromisoformat(str(self.meta["created_at"]))
        except (KeyError, ValueError):
            return None
        return made if made.tzinfo else made.replace(tzinfo=UTC)


def library_versions() -> dict[str, str]:
    versions = {name: metadata.version(name) for name in LIBRARIES}
    versions["python"] = platform.python_version()
    return versions


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = threading.Lock()
        self._loaded: TriageModel | None = None

    def current_version(self) -> str | None:
        return self._pointer("current")

    def previous_version(self) -> str | None:
        return self._pointer("previous")

    def save(self, heads: dict[str, Head], trained_on: dict[str, dict[str, Any]], now: datetime) -> TriageModel:
        """Write a new version beside the others, then make it current in one rename."""
        version = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"
        directory = self.root / "versions" / version
        directory.mkdir(parents=True, mode=0o700)
        model_path = directory / "model.joblib"
        joblib.dump(heads, model_path, compress=3)
        meta = {
            "version": version,
            "created_at": now.isoformat(),
            "libraries": library_versions(),
            "heads": {name: {"labels": heads[name].labels, **trained_on.get(name, {})} for name in heads},
            "sha256": _sha256(model_path),
        }
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        self._switch_to(version)
        return TriageModel(heads, meta)

    def rollback(self) -> str:
        """Make the previous version current again (and the current one previous)."""
        previous = self.previous_version()
        if previous is None:
            raise ModelUnavailable("没有可回退的上一版本模型")
        self._switch_to(previous)
        return previous

    def load(self) -> TriageModel:
        """The current model, read from disk only when the current version changed since the last call."""
        version = self.current_version()
        if version is None:
            raise ModelUnavailable("尚未训练分流模型")
        with self._lock:
            if self._loaded is None or self._loaded.version != version:
                self._loaded = self._read(version)
            return self._loaded

    def metadata(self, version: str) -> dict[str, Any]:
        """What meta.json says of a version; ModelUnavailable when it is missing or not a JSON object."""
        try:
            meta = json.loads((self._directory(version) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelUnavailable(f"model {version} has no readable meta.json: {error}") from None
        if not isinstance(meta, dict):
            raise ModelUnavailable(f"model {version} has no readable meta.json")
        return meta

    def _directory(self, version: str) -> Path:
        directory = (self.root / "versions" / version).resolve()
        if directory.parent != self.root / "versions" or not directory.is_dir():
            raise ModelUnavailable(f"model version {version!r} is not a directory inside {self.root}")
        return directory

    def _read(self, version: str) -> TriageModel:
        directory = self._directory(version)
        meta = self.metadata(version)
        made_with, running = meta.get("libraries"), library_versions()
        if not isinstance(made_with, dict):
            made_with = {}
        stale = [name for name in LIBRARIES if made_with.get(name) != running[name]]
        if stale:
            raise ModelUnavailable(
                f"model {version} was made with {', '.join(f'{n} {made_with.get(n)}' for n in stale)}; "
                f"this process runs {', '.join(f'{n} {running[n]}' for n in stale)}: train it again"
            )
        model_path = directory / "model.joblib"
        if not model_path.is_file() or _sha256(model_path) != meta.get("sha256"):
            raise ModelUnavailable(f"model {version} does not match its recorded SHA-256")
        return TriageModel(joblib.load(model_path), meta)

    def _pointer(self, name: str) -> str | None:
        try:
            return (self.root / name).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _switch_to(self, version: str) -> None:
        current = self.current_version()
        if current is not None and current != version:
            self._write_pointer("previous", current)
        self._write_pointer("current", version)

    def _write_pointer(self, name: str, version: str) -> None:
        temporary = self.root / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        temporary.write_text(version + "\n", encoding="utf-8")
        os.replace(temporary, self.root / name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
