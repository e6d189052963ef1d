"""The dependency rule README.md states, read from the import statements themselves (function-level ones too):
each part imports only what the rule lets it, `ml`'s modules import one another without a cycle, and `bench/`
shares helpers with tests/ through testkit/, never by importing tests/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARTS = {
    "emotions",
    "ml",
    "recognition",
    "avatars",
    "emojis",
    "accounts",
    "deploy",
    "emojify_site",
    "testkit",
    "tests",
    "bench",
}
# What each part may import of the others (itself always).
ALLOWED = {
    "emotions": set(),
    "ml": {"emotions"},
    "recognition": {"emotions", "ml"},
    "avatars": {"emotions"},
    "accounts": set(),
    "emojis": {"emotions", "ml", "recognition", "avatars"},
    "deploy": set(),
    "emojify_site": {"recognition"},  # wsgi.py warms the model up before the first request
    "testkit": set(),  # what tests/ and bench/ share: it runs the site, never imports it
    "bench": {"emotions", "ml", "recognition", "avatars", "emojis", "accounts", "deploy", "emojify_site", "testkit"},
}


def python_files(part: str) -> list[Path]:
    path = ROOT / part
    return [path.with_suffix(".py")] if path.with_suffix(".py").exists() else sorted(path.rglob("*.py"))


def imported_modules(file: Path) -> set[str]:
    """Absolute names of every module `file` imports; relative imports resolved against its package."""
    package = file.relative_to(ROOT).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_the_rule_allows(part):
    wrong = sorted(
        f"{file.relative_to(ROOT)} imports {name}"
        for file in python_files(part)
        if ".fer-packages" not in file.parts
        for name in imported_modules(file)
        if name.split(".")[0] in PARTS - {part} - ALLOWED[part]
    )
    assert not wrong


def test_ml_knows_nothing_of_django():
    assert not [file.name for file in python_files("ml") if any(n.startswith("django") for n in imported_modules(file))]


def test_ml_modules_import_one_another_without_a_cycle():
    modules = {f"ml.{file.stem}": file for file in python_files("ml") if file.parent.name == "ml"}
    graph = {name: {m for m in imported_modules(file) if m in modules and m != name} for name, file in modules.items()}
    done, on_path = set(), []

    def visit(name):
        if name in on_path:
            raise AssertionError(" → ".join([*on_path[on_path.index(name) :], name]))
        if name not in done:
            on_path.append(name)
            for target in sorted(graph[name]):
                visit(target)
            on_path.pop()
            done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_test_module_imports_another():
    """What several test modules share lives in testkit/ or tests/conftest.py (issue 51): a test module importing
    another runs the other's module-level set-up and ties their fixtures together."""
    modules = {f"tests.{file.stem}" for file in python_files("tests") if file.stem.startswith("test_")}
    wrong = sorted(
        f"{file.relative_to(ROOT)} imports {name}"
        for file in python_files("tests")
        for name in imported_modules(file)
        if name in modules or name.rsplit(".", 1)[0] in modules
    )
    assert not wrong
