"""The layering rule (docs/architecture.md), enforced by reading every import of the package.

Edges (CLI, daemon, the composition root) -> services (`ingest`, `archive`, `records`) ->
`understand`, `crypto`, `store`, `sources`, `platform`, `render` -> `domain`, `errors`,
`clock`, `settings`. Lower layers never import upper ones; a service does not reach into
another's private names; each third-party library is imported by one place; every error class
lives in `errors.py`; a migration states its own facts (it imports nothing of the live code).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "archiver"
MIGRATIONS = REPO / "migrations"

BOTTOM = {"domain", "errors", "clock", "settings"}
LOWER = {"understand", "crypto", "store", "sources", "platform", "render"}
SERVICES = {"archive", "ingest", "records"}
# What each part of the package may import (besides itself): the layers below it.
ALLOWED: dict[str, set[str]] = {
    **{name: BOTTOM for name in BOTTOM},
    "understand": BOTTOM | {"platform"},  # the extractor's sandbox: prctl
    "platform": BOTTOM,
    "crypto": BOTTOM | {"platform"},
    "store": BOTTOM,
    "sources": BOTTOM | {"platform"},
    "render": BOTTOM,
    "archive": BOTTOM | LOWER,
    "ingest": BOTTOM | LOWER | {"archive"},
    "records": BOTTOM | LOWER | {"archive", "ingest"},
    "app": BOTTOM | LOWER | SERVICES,
    "daemon": BOTTOM | LOWER | SERVICES | {"app"},
    "cli": BOTTOM | LOWER | SERVICES | {"app", "daemon", "web"},  # `archiver run` and `web`
    "web": BOTTOM | LOWER | SERVICES | {"app"},
    "__main__": {"cli"},
    "__init__": set(),
}
# Each third-party library, and the one part of the code that may import it.
OWNERS: dict[str, set[str]] = {
    "cryptography": {"archiver.crypto.envelope", "archiver.crypto.signing"},
    "zstandard": {"archiver.crypto.compression"},
    "sqlalchemy": {"archiver.store.*", "migrations.*"},
    "alembic": {"archiver.store.schema", "migrations.*"},
    "mailparser": {"archiver.understand.parse"},
    "pybase64": {"archiver.understand.parse"},
    "imapclient": {"archiver.sources.imap"},
    "msal": {"archiver.sources.auth"},
    "google": {"archiver.sources.auth"},
    "requests": {"archiver.sources.auth"},
    "apscheduler": {"archiver.daemon"},
    "click": {"archiver.cli.*"},
    "pypdf": {"archiver.understand.produced_text"},
    "holidays": {"archiver.records.calendar"},
    "weasyprint": {"archiver.render.pdf"},
    "pypdfium2": {
        "archiver.understand.extract_child",
        "archiver.understand.pdf_raster",
        "archiver.understand.produced_text",
    },
    "authlib": {"archiver.web.oidc"},
    "joserfc": {"archiver.web.oidc"},
    "flask": {"archiver.web.*"},
    "werkzeug": {"archiver.web.*"},
    "waitress": {"archiver.web.server"},
    "argon2": {"archiver.crypto.passwords"},
}


def _modules(root: Path, prefix: str) -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join((prefix, *parts))] = path
    return out


def _imports(path: Path, module: str) -> list[tuple[int, str, list[str]]]:
    """Every import of a file: (line, module imported, names taken from it). Relative imports
    are resolved; imports inside functions count too."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str, list[str]]] = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.append((node.lineno, base, [alias.name for alias in node.names]))
    return found


def _part(module: str) -> str:
    """The part of the package a module belongs to: `store`, `cli`, `domain`, `app`..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _owned(module: str, owners: set[str]) -> bool:
    return any(
        module == o or (o.endswith(".*") and module.startswith(o[:-1])) or module == o[:-2]
        for o in owners
    )


def layer_violations(modules: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in modules.items():
        part = _part(module)
        allowed = ALLOWED.get(part, set()) | {part}
        for line, imported, _ in _imports(path, module):
            if imported.split(".")[0] == "archiver" and _part(imported) not in allowed:
                wrong.append(f"{path.name}:{line}: {part} imports {imported}")
    return wrong


def private_violations(modules: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in modules.items():
        for line, imported, names in _imports(path, module):
            if imported.split(".")[0] != "archiver" or _part(imported) == _part(module):
                continue
            private = [n for n in names if n.startswith("_")]
            if private or any(p.startswith("_") for p in imported.split(".")[1:]):
                wrong.append(f"{path.name}:{line}: {imported} {private}")
    return wrong


def library_violations(modules: dict[str, Path]) -> list[str]:
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for module, path in modules.items():
        for line, imported, _ in _imports(path, module):
            top = imported.split(".")[0]
            if not top or top in stdlib or top in ("archiver", "migrations", "__future__"):
                continue
            owners = OWNERS.get(top)
            if owners is None:
                wrong.append(f"{path.name}:{line}: {top} has no owner in OWNERS")
            elif not _owned(module, owners):
                wrong.append(f"{path.name}:{line}: {top} belongs to {sorted(owners)}")
    return wrong


def error_violations(modules: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in modules.items():
        if module == "archiver.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            if any(b.endswith(("Error", "Exception")) or b == "ArchiverError" for b in bases):
                wrong.append(f"{path.name}:{node.lineno}: {node.name}")
    return wrong


def migration_violations(modules: dict[str, Path]) -> list[str]:
    wrong = []
    for module, path in modules.items():
        if module == "migrations.env":  # it compares the schema with the models, by design
            continue
        for line, imported, _ in _imports(path, module):
            if imported.split(".")[0] == "archiver":
                wrong.append(f"{path.name}:{line}: imports {imported}")
    return wrong


PACKAGE_MODULES = _modules(PACKAGE, "archiver")
MIGRATION_MODULES = _modules(MIGRATIONS, "migrations")


def test_lower_layers_never_import_upper_ones() -> None:
    assert layer_violations(PACKAGE_MODULES) == []


def test_no_part_reaches_into_anothers_private_names() -> None:
    assert private_violations(PACKAGE_MODULES) == []


def test_each_library_is_imported_by_its_one_owner() -> None:
    assert library_violations({**PACKAGE_MODULES, **MIGRATION_MODULES}) == []


def test_every_error_class_lives_in_errors() -> None:
    assert error_violations(PACKAGE_MODULES) == []


def test_old_migrations_read_nothing_of_the_live_code() -> None:
    """A migration must do tomorrow what it did when it was written: the schema it builds
    cannot follow a constant someone changes in `tables.py` later."""
    assert migration_violations(MIGRATION_MODULES) == []


def test_each_rule_reports_what_breaks_it(tmp_path: Path) -> None:
    """The walk itself, on a small package that breaks every rule once."""
    root = tmp_path / "archiver"
    for sub in ("store", "archive", "understand"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
    (root / "archive" / "search.py").write_text("def _hidden() -> None: ...\n")
    (root / "store" / "index.py").write_text(
        "from archiver.archive.search import _hidden\n"  # upward, and private
        "import sqlalchemy\n"
    )
    (root / "understand" / "tokens.py").write_text(
        "import zstandard\nclass TokenError(ValueError): ...\n"
    )
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "v1.py").write_text("from archiver.store import tables\n")
    modules = _modules(root, "archiver")
    assert layer_violations(modules) == ["index.py:1: store imports archiver.archive.search"]
    assert private_violations(modules) == ["index.py:1: archiver.archive.search ['_hidden']"]
    assert library_violations(modules) == [
        "tokens.py:1: zstandard belongs to ['archiver.crypto.compression']"
    ]
    assert error_violations(modules) == ["tokens.py:2: TokenError"]
    assert migration_violations(_modules(tmp_path / "migrations", "migrations")) == [
        "v1.py:1: imports archiver.store"
    ]
