"""Safe extraction of export archives: nothing is ever written outside the target folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.adapters.base import ExportParseError


def safe_extract_zip(zip_path: Path, target_dir: Path) -> Path:
    """Extract ``zip_path`` into ``target_dir`` and return it.

    Every member is checked before anything is written: absolute paths, ``..`` segments
    that escape the target, and symlink members are refused (zip-slip). Raises
    :class:`ExportParseError` naming the offending member.
    """
    target_dir = Path(target_dir).resolve()
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        raise ExportParseError(zip_path, "start of file", "a zip archive", str(exc)) from exc
    with zf:
        for info in zf.infolist():
            name = info.filename
            dest = (target_dir / name).resolve()
            if not dest.is_relative_to(target_dir) or Path(name).is_absolute():
                raise ExportParseError(zip_path, f"member {name!r}",
                                       "a path inside the archive's folder (refusing to write outside it)")
            # Unix mode bits live in the high 16 bits; 0o120000 marks a symlink.
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise ExportParseError(zip_path, f"member {name!r}", "a regular file, not a symbolic link")
        for info in zf.infolist():
            dest = (target_dir / info.filename).resolve()
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
    return target_dir
