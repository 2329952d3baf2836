"""No secrets in the repository, and every credential in profiles.yml read from the environment."""

from __future__ import annotations

import re
import subprocess

from retention_warehouse.config import PROJECT_ROOT

# --------------------------------------------------------------------------- a killed load


# --------------------------------------------------------------------------- a killed build


# --------------------------------------------------------------------------- reloads change nothing


# --------------------------------------------------------------------------- secrets


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)\b(password|passwd|secret|token)\b\s*[:=]\s*['\"][^'\"{}$]{6,}['\"]"),
    re.compile(r"postgres(ql)?://[^:/\s]+:[^@/\s{$]+@"),
]


def test_no_secrets_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    hits = []
    for name in tracked.stdout.split():
        path = PROJECT_ROOT / name
        if path.suffix in {".lock", ".parquet", ".whl", ".png"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{name}: {pattern.pattern}" for pattern in SECRET_PATTERNS if pattern.search(text)]
    assert hits == []


def test_profiles_read_credentials_from_the_environment() -> None:
    profiles = (PROJECT_ROOT / "profiles.yml").read_text()
    for key in ("password", "pass", "user", "token"):
        for match in re.finditer(rf"^\s*{key}\s*:\s*(.+)$", profiles, flags=re.M):
            assert "env_var(" in match.group(1), f"profiles.yml {key}: {match.group(1)}"


# --------------------------------------------------------------------------- properties
