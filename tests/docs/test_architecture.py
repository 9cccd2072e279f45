"""docs/architecture.md's map is drawn from the code: it may not go stale, nor leave a module out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("architecture_map", REPO / "scripts" / "architecture_map.py")
assert spec is not None and spec.loader is not None
architecture_map = importlib.util.module_from_spec(spec)
spec.loader.exec_module(architecture_map)


def test_the_generated_map_matches_the_code() -> None:
    assert architecture_map.current() == architecture_map.block(), (
        "docs/architecture.md is stale: run `python scripts/architecture_map.py --write`"
    )


def test_every_module_sits_in_a_layer() -> None:
    assert "Modules in no layer: none." in architecture_map.block()


def test_the_readme_links_the_map_first() -> None:
    readme = (REPO / "README.md").read_text()
    first_doc_link = readme.index("(docs/")
    assert readme[first_doc_link:].startswith("(docs/architecture.md)")


def test_no_module_of_the_package_imports_itself_back() -> None:
    """No import circle, function-level imports included (dashboard/routes.py and setup.py were one);
    imports for type checking only are not imports at run time."""
    import grimp

    graph = grimp.build_graph("pixpress", exclude_type_checking_imports=True)
    imports = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(imports[module]):
            if state.get(imported) == 1:
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = 2

    for module in sorted(imports):
        if module not in state:
            visit(module)
    assert circles == [], [" -> ".join(circle) for circle in circles]
