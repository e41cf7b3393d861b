"""A Dash client without a browser, for the load test: the server callbacks a page fires."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

Prop = tuple[str, str]  # (component id, property)
Post = Callable[[dict[str, Any], str], dict[str, Any] | None]  # body, name → response JSON
ROUTER = "_pages_content"
ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
CASCADE_ROUNDS = 4  # a change fires callbacks, whose outputs fire more, this deep at most


class DashPage:
    """One open page: its components' properties as the server last sent them, and the server
    callbacks that run when they change (clientside ones and pattern-matching ids skipped:
    the browser runs the former, and the pages use the latter only for route editing)."""

    def __init__(self, dependencies: list[dict[str, Any]], post: Post) -> None:
        self.callbacks = [d for d in dependencies if _plain(d)]
        self.post = post
        self.props: dict[Prop, Any] = {}

    def open(self, pathname: str, search: str, app_layout: Any) -> None:
        """Navigate: the pages router's answer, then every callback that fires on load."""
        self.props = dict(_props(app_layout))
        body = router_body(pathname, search)
        answer = self.post(body, f"router {pathname}")
        content = ((answer or {}).get("response") or {}).get(ROUTER, {}).get("children")
        loaded = dict(_props(content))
        self.props.update(loaded)
        new = {cid for cid, _ in loaded}
        initial = [
            d
            for d in self.callbacks
            if not d.get("prevent_initial_call")
            and self._present(d)
            and any(cid in new for cid, _ in _inputs(d))
        ]
        self._cascade(self._run(initial))

    def set(self, prop: Prop, value: Any) -> None:
        """The user changes one property (a dropdown, a click): what it fires, and on."""
        self.props[prop] = value
        self._cascade({prop})

    def _cascade(self, changed: set[Prop]) -> None:
        for _ in range(CASCADE_ROUNDS):
            fired = [d for d in self.callbacks if changed & set(_inputs(d))]
            if not fired:
                return
            changed = self._run(fired)

    def _run(self, callbacks: Iterable[dict[str, Any]]) -> set[Prop]:
        changed: set[Prop] = set()
        for dependency in callbacks:
            if not self._present(dependency):
                continue
            answer = self.post(self._body(dependency), _name(dependency))
            for (cid, prop), value in _outputs(answer):
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    self.props[(cid, prop)] = value
                    self.props.update(_props(value))
                changed.add((cid, prop))
        return changed

    def _present(self, dependency: dict[str, Any]) -> bool:
        """Whether the page holds every input's component (a prop never set is still null)."""
        return all((cid, "id") in self.props for cid, _ in _inputs(dependency))

    def _body(self, dependency: dict[str, Any]) -> dict[str, Any]:
        def slot(item: dict[str, Any]) -> dict[str, Any]:
            key = (item["id"], item["property"])
            return {"id": key[0], "property": key[1], "value": self.props.get(key)}

        inputs = [slot(i) for i in dependency["inputs"]]
        outputs = _output_list(dependency["output"])
        return {
            "output": dependency["output"],
            "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "state": [slot(s) for s in dependency["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs[:1]],
        }


def router_body(pathname: str, search: str, output: str = ROUTER_OUTPUT) -> dict[str, Any]:
    """Dash's pages router asked for the page at `pathname` + `search`."""
    return {
        "output": output,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.search"],
        "state": [],
    }


def _plain(dependency: dict[str, Any]) -> bool:
    if dependency.get("clientside_function"):
        return False
    items = [*dependency["inputs"], *dependency["state"], *_output_list(dependency["output"])]
    return not any(str(i["id"]).startswith("{") for i in items) and dependency["inputs"] != []


def _inputs(dependency: dict[str, Any]) -> list[Prop]:
    return [(i["id"], i["property"]) for i in dependency["inputs"]]


def _name(dependency: dict[str, Any]) -> str:
    first = _output_list(dependency["output"])[0]
    return f"callback {first['id']}.{first['property']}"


def _output_list(output: str) -> list[dict[str, str]]:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        name, prop = part.rsplit(".", 1)
        found.append({"id": name, "property": prop.split("@")[0]})
    return found


def _outputs(answer: dict[str, Any] | None) -> Iterator[tuple[Prop, Any]]:
    for cid, props in ((answer or {}).get("response") or {}).items():
        for prop, value in props.items():
            yield (cid, prop), value


def _props(tree: Any) -> Iterator[tuple[Prop, Any]]:
    """(id, property) → value of every component with a plain id in a layout tree."""
    if isinstance(tree, list):
        for item in tree:
            yield from _props(item)
    elif isinstance(tree, dict) and isinstance(tree.get("props"), dict):
        props = tree["props"]
        cid = props.get("id")
        for key, value in props.items():
            if isinstance(cid, str):
                yield (cid, key), value
            yield from _props(value)
