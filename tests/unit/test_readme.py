"""The README and docs/ stay true: the two commands, links and anchors, the generated contract tables,
every `make` target and `warehouse` command they name, and a README short enough to read."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from retention_warehouse.cli import COMMANDS
from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.ingest.contract import markdown_tables

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
README_MAX_LINES = 300

FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
SHELL_COMMENT = re.compile(r"(^|\s)#.*$")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
MAKE_RULE = re.compile(r"^([A-Za-z0-9_.%/-][A-Za-z0-9_.%/ -]*?)\s*::?(?!=)")
MAKE_CALL = re.compile(r"(?:^|[\s`(;&|])make\s+([^`#\n;&|)]*)")
WAREHOUSE_CALL = re.compile(r"(?:^|[\s`(/;&|])warehouse\s+([a-z][a-z0-9-]*)")


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def prose_and_code(text: str) -> tuple[list[str], list[str]]:
    """The lines outside fenced code blocks, and every piece of code: fenced lines and inline spans."""
    prose: list[str] = []
    code: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            code.append(SHELL_COMMENT.sub("", line))
        else:
            prose.append(line)
            code += [span for _, span in INLINE_CODE.findall(line)]
    return prose, code


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower-cased, with every character
    but letters, digits, `_`, `-` and spaces dropped and each space turned into `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link reads as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file; repeated headings get -1, -2, ... as on GitHub."""
    prose, _ = prose_and_code(path.read_text())
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for line in prose:
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def relative_links(path: Path) -> list[str]:
    prose, _ = prose_and_code(path.read_text())
    links = []
    for line in prose:
        without_code = INLINE_CODE.sub("", line)
        links += [target for target in LINK.findall(without_code)
                  if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)]
    return links


def make_targets() -> set[str]:
    targets: set[str] = set()
    for line in (PROJECT_ROOT / "Makefile").read_text().splitlines():
        if line.startswith(("\t", "#", " ")) or "=" in line.split(":", 1)[0]:
            continue
        match = MAKE_RULE.match(line)
        if match:
            targets.update(name for name in match.group(1).split() if "%" not in name)
    return targets


def cli_commands() -> set[str]:
    """Every command of `warehouse`, as the CLI registers them."""
    return set(COMMANDS)


def code_of_every_page() -> list[tuple[str, str]]:
    return [(relative(path), code) for path in markdown_files() for code in prose_and_code(path.read_text())[1]]


def test_readme_shows_the_two_commands() -> None:
    readme = README.read_text()
    assert "make build" in readme and "make test" in readme


def test_readme_stays_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES}): move detail into docs/"


def test_contract_tables_match_the_code() -> None:
    page = (DOCS / "data-contract.md").read_text()
    assert markdown_tables() in page, (
        "docs/data-contract.md: regenerate the contract tables: "
        ".venv/bin/python -c 'from retention_warehouse.ingest.contract import markdown_tables; print(markdown_tables())'"
    )


def test_docs_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text()
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if page.name != "README.md" and f"]({page.name}" not in index]
    assert not missing, f"docs/README.md does not link {missing}"


@pytest.mark.parametrize("path", markdown_files(), ids=relative)
def test_relative_links_point_at_files_and_headings_that_exist(path: Path) -> None:
    broken = []
    for link in relative_links(path):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(f"{link}: no file {relative(file) if file.is_relative_to(PROJECT_ROOT) else file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors_of(file):
            broken.append(f"{link}: no heading with anchor #{anchor} in {relative(file)}")
    assert not broken, f"{relative(path)}: broken links:\n" + "\n".join(broken)


def test_every_make_target_named_exists() -> None:
    targets = make_targets()
    assert {"build", "test", "setup"} <= targets, f"Makefile targets not understood: {sorted(targets)}"
    unknown = set()
    for page, code in code_of_every_page():
        for call in MAKE_CALL.findall(code):
            for word in call.split():
                if "=" in word or word.startswith("-"):
                    continue
                if word not in targets:
                    unknown.add(f"{page}: make {word}")
    assert not unknown, "no such Makefile target:\n" + "\n".join(sorted(unknown))


def test_every_warehouse_command_named_exists() -> None:
    commands = cli_commands()
    assert {"build", "load", "publish"} <= commands, f"CLI commands: {sorted(commands)}"
    unknown = {f"{page}: warehouse {name}" for page, code in code_of_every_page()
               for name in WAREHOUSE_CALL.findall(code) if name not in commands}
    assert not unknown, "no such warehouse command:\n" + "\n".join(sorted(unknown))


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Safe publishing (write–audit–publish)", "safe-publishing-writeauditpublish"),
        ("`customers/`: One row per customer account.", "customers-one-row-per-customer-account"),
        ("Running on PostgreSQL / Spark", "running-on-postgresql--spark"),
        ("The `fct_nps` mart", "the-fct_nps-mart"),
    ],
)
def test_anchors_follow_githubs_rules(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor
