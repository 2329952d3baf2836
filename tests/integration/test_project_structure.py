"""The project's structure, checked on the manifest of the `built_warehouse` fixture.

dbt-project-evaluator cannot be installed here, so its rules are written out below on the manifest,
each after the evaluator's own model of the same name (models/marts/<category>/fct_*.sql in
dbt-labs/dbt-project-evaluator), with its default thresholds:

- modeling: fct_direct_join_to_source, fct_marts_or_intermediate_dependent_on_source,
  fct_model_fanout, fct_multiple_sources_joined, fct_rejoining_of_upstream_concepts, fct_root_models,
  fct_source_fanout, fct_staging_dependent_on_staging, fct_staging_dependent_on_marts_or_intermediate,
  fct_unused_sources, fct_too_many_joins, fct_hard_coded_references, fct_duplicate_sources;
- testing: fct_missing_primary_key_tests, fct_test_coverage, fct_sources_without_freshness;
- documentation: fct_undocumented_models, fct_documentation_coverage, fct_undocumented_source_tables,
  fct_undocumented_sources;
- structure: fct_model_naming_conventions, fct_model_directories, fct_source_directories,
  fct_test_directories;
- performance: fct_chained_views_dependencies, fct_exposure_parents_materializations;
- governance: fct_public_models_without_contract, fct_undocumented_public_models,
  fct_exposures_dependent_on_private_models.

A model, seed or source may be excused from a rule only by an exception recorded once beside it in its
YAML, `config: meta: {dag_rule_exceptions: [{rule: <evaluator model name>, reason: ...}]}`, as the
evaluator's exceptions seed does; a violation without one fails, and so does an exception that no
longer applies. The house rules of STYLE.md come first (stricter than the evaluator in places: a
staging model reads exactly one source, marts are tables with enforced contracts in types every
engine reads, every column of a built relation is documented), then every macro documented in YAML.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import jinja2.nodes
import pytest
from dbt.parser.schemas import is_valid_type
from dbt_common.clients.jinja import get_environment

LAYER_PREFIX = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
LAYER_ORDER = {"staging": 0, "intermediate": 1, "marts": 2}


@pytest.fixture(scope="module")
def manifest(built_warehouse) -> dict:
    return built_warehouse.manifest()


@pytest.fixture(scope="module")
def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and node["package_name"] == "retention_warehouse"}


def layer_of(node: dict) -> str:
    return node["original_file_path"].split("/")[1]


def is_base(node: dict) -> bool:
    """A contract check model: staging/<source>/base/base_<source>__<entity>_checked (dbt Labs' base models)."""
    return "/base/" in node["original_file_path"]


def test_every_model_sits_in_a_known_layer_folder_with_its_prefix(models: dict) -> None:
    for node in models.values():
        layer = layer_of(node)
        assert layer in LAYER_PREFIX, f"{node['original_file_path']}: models live under staging/, intermediate/ or marts/"
        prefixes = ("base_",) if is_base(node) else LAYER_PREFIX[layer]
        assert node["name"].startswith(prefixes), f"{node['name']} in {layer}/ must start with {prefixes}"
        assert node["config"]["schema"] == layer, f"{node['name']} must build into schema {layer}"


def test_staging_models_are_named_after_their_source_and_read_exactly_one_source(models: dict, manifest: dict) -> None:
    """A base model reads one source (and seeds, and the valid customers for its unknown-customer rule);
    a staging model reads its source's base model only."""
    for node in models.values():
        if layer_of(node) != "staging":
            continue
        parents = node["depends_on"]["nodes"]
        if is_base(node):
            sources = [p for p in parents if p.startswith("source.")]
            assert len(sources) == 1, f"{node['name']} reads {sources}"
            source_name = manifest["sources"][sources[0]]["source_name"]
            assert re.fullmatch(rf"base_{source_name}__\w+_checked", node["name"]), node["name"]
            assert node["original_file_path"].startswith(f"models/staging/{source_name}/base/"), node["name"]
            assert all(p.startswith(("seed.", "source.")) or p.endswith(".base_shop__customers_checked")
                       for p in parents), f"{node['name']} reads {parents}"
        else:
            assert len(parents) == 1 and is_base(models[parents[0]]), f"{node['name']} reads {parents}"
            source_name = models[parents[0]]["name"].split("__")[0].removeprefix("base_")
            assert re.fullmatch(rf"stg_{source_name}__\w+", node["name"]), node["name"]
            assert node["original_file_path"].startswith(f"models/staging/{source_name}/"), node["name"]


def test_one_staging_model_per_source_table(models: dict, manifest: dict) -> None:
    read = Counter(dep for node in models.values() for dep in node["depends_on"]["nodes"] if dep.startswith("source."))
    own_sources = [uid for uid, s in manifest["sources"].items() if s["package_name"] == "retention_warehouse"]
    assert sorted(read) == sorted(own_sources), "every source table has one check model"
    assert all(count == 1 for count in read.values()), read


def test_intermediate_and_marts_never_read_sources_or_later_layers(models: dict) -> None:
    for node in models.values():
        layer = layer_of(node)
        for dep in node["depends_on"]["nodes"]:
            if layer != "staging":
                assert not dep.startswith("source."), f"{node['name']} reads source {dep}"
            if dep in models:
                assert LAYER_ORDER[layer_of(models[dep])] <= LAYER_ORDER[layer], f"{node['name']} reads {dep}"
            if layer == "marts" and dep.startswith("seed."):
                pytest.fail(f"{node['name']} reads seed {dep}: marts read staging and intermediate only")


def test_every_model_and_column_is_documented(models: dict, built_warehouse) -> None:
    for node in models.values():
        assert node["description"].strip(), f"{node['name']} has no description"
        documented = {name for name, col in node["columns"].items() if col["description"].strip()}
        actual = {c for (c,) in built_warehouse.query(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], node["name"]])}
        assert actual, f"{node['name']} was not built"
        assert actual <= documented, f"{node['name']}: undocumented columns {sorted(actual - documented)}"
        assert documented <= actual, f"{node['name']}: documented columns that do not exist {sorted(documented - actual)}"


def test_every_source_and_seed_is_documented(manifest: dict) -> None:
    for source in manifest["sources"].values():
        assert source["description"].strip(), source["unique_id"]
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "seed":
            assert node["description"].strip(), uid
            assert all(c["description"].strip() for c in node["columns"].values()), uid


def test_every_model_and_seed_has_a_primary_key_test(models: dict, manifest: dict) -> None:
    """unique + not_null on one column (the not_null a test, or an enforced contract's constraint), or
    unique_combination_of_columns."""
    tests_on: dict[str, set[tuple[str, str | None]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            meta = node.get("test_metadata") or {}
            tests_on.setdefault(node["attached_node"], set()).add((meta.get("name"), node.get("column_name")))
    keyed = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")
             and n["package_name"] == "retention_warehouse"]
    for uid in keyed:
        tests = tests_on.get(uid, set())
        unique_columns = {col for name, col in tests if name == "unique"}
        not_null_columns = {col for name, col in tests if name == "not_null"}
        # On DuckDB and PostgreSQL an enforced contract's not_null constraint stands in for the test.
        node = manifest["nodes"][uid]
        if (node.get("contract") or {}).get("enforced"):
            not_null_columns |= {name for name, column in node["columns"].items()
                                 if any(c.get("type") == "not_null" for c in column.get("constraints") or ())}
        has_key = bool(unique_columns & not_null_columns) or any(
            name == "unique_combination_of_columns" for name, _ in tests)
        assert has_key, f"{uid} needs unique + not_null on its primary key"


def test_marts_are_tables_with_enforced_contracts(models: dict) -> None:
    for node in models.values():
        if layer_of(node) == "marts":
            assert node["config"]["materialized"] in ("table", "incremental"), node["name"]
            assert node["config"]["contract"]["enforced"], f"{node['name']} needs an enforced contract"


CONTRACT_TYPES = re.compile(r"text|integer|double precision|boolean|date|timestamp|decimal\(\d+, \d+\)")
"""Contract types in PostgreSQL's spelling, which DuckDB reads too and Spark's cast translates
(macros/cross_db/contract_types.sql): DuckDB's `varchar` or `double` would fail on PostgreSQL."""


def test_contract_types_are_spelt_for_every_engine(models: dict) -> None:
    misspelt = [f"{node['name']}.{name}: {column['data_type']}"
                for node in models.values() if node["config"]["contract"]["enforced"]
                for name, column in node["columns"].items()
                if not CONTRACT_TYPES.fullmatch(column.get("data_type") or "")]
    assert not misspelt, f"contract types not in PostgreSQL's spelling: {misspelt}"


def test_unit_test_names_fit_a_postgres_identifier(manifest: dict) -> None:
    """dbt names a unit test's relation after the test; PostgreSQL cuts identifiers at 63 bytes, dbt refuses longer."""
    long_names = [test["name"] for test in manifest["unit_tests"].values() if len(test["name"]) > 63]
    assert not long_names, f"unit test names longer than 63 characters (PostgreSQL's limit): {long_names}"


# ----------------------------------------------------------------------------- macros documented


def macro_signature(macro: dict) -> list[str]:
    """The argument names of a macro's Jinja definition, parsed as dbt parses it."""
    definitions = list(get_environment().parse(macro["macro_sql"]).find_all(jinja2.nodes.Macro))
    assert len(definitions) == 1, f"{macro['unique_id']}: {len(definitions)} definitions"
    return [argument.name for argument in definitions[0].args]


def test_every_macro_is_documented_with_its_arguments(manifest: dict) -> None:
    """Every macro of the project has a description in macros/<group>/_macros.yml and every argument of
    its signature, in order, a type dbt knows (dbt.parser.schemas.is_valid_type: the check of dbt's
    flag validate_macro_args) and a description. dbt 1.11 takes YAML for generic tests (as test_<name>)
    and materializations (as materialization_<name>_<adapter>, whose one argument to dbt's parser is
    the `supported_languages` of its header) too, so none is skipped."""
    own = {uid: macro for uid, macro in manifest["macros"].items() if macro["package_name"] == "retention_warehouse"}
    assert own
    problems = []
    for uid, macro in sorted(own.items()):
        where = f"{macro['original_file_path']}: {macro['name']}"
        if not macro["description"].strip():
            problems.append(f"{where} has no description")
        patch = (macro.get("patch_path") or "").split("://")[-1]
        if patch != f"{macro['original_file_path'].rsplit('/', 1)[0]}/_macros.yml":
            problems.append(f"{where} is not documented in the _macros.yml of its folder ({patch or 'nowhere'})")
        documented = [argument["name"] for argument in macro["arguments"]]
        if documented != macro_signature(macro):
            problems.append(f"{where}: documented arguments {documented}, signature {macro_signature(macro)}")
        for argument in macro["arguments"]:
            if not (argument.get("type") and is_valid_type(argument["type"])):
                problems.append(f"{where}: argument {argument['name']} has type {argument.get('type')!r}")
            if not (argument.get("description") or "").strip():
                problems.append(f"{where}: argument {argument['name']} has no description")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- dbt-project-evaluator
#
# The evaluator builds a table of every resource (int_all_graph_resources) and one row per path between
# two of them (int_all_dag_relationships: distance 0 for each resource itself, then every path, not only
# the shortest, up to max_depth_dag); each rule is a query on those. The same here, on the manifest.

EVALUATOR_VARS = {
    # The evaluator's defaults (its dbt_project.yml and docs "Overriding Variables") ...
    "models_fanout_threshold": 3,
    "too_many_joins_threshold": 7,
    "chained_views_threshold": 5,
    "max_depth_dag": 9,
    "documentation_coverage_target": 100,
    "test_coverage_target": 100,
    "folder_names": {"base": "base", "staging": "staging", "intermediate": "intermediate", "marts": "marts"},
    "prefixes": {"base": ("base_",), "staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_"),
                 "other": ("rpt_",)},
    # ... and two overrides the evaluator offers as vars: this project's own unique_combination_of_columns
    # (macros/generic_tests) instead of dbt_utils', and seeds keyed as well as models.
    "primary_key_test_macros": (("dbt.test_unique", "dbt.test_not_null"),
                                ("retention_warehouse.test_unique_combination_of_columns",)),
    "enforced_primary_key_node_types": ("model", "seed"),
}


@dataclass(frozen=True)
class Resource:
    """One row of the evaluator's int_all_graph_resources."""

    unique_id: str
    name: str
    """resource_name: source_name.name for a source."""
    resource_type: str
    file_path: str
    directory_path: str
    file_name: str
    prefix: str | None
    model_type: str | None
    model_type_folder: str | None
    materialized: str | None
    is_public: bool
    is_described: bool
    is_contract_enforced: bool
    total_defined_columns: int
    total_described_columns: int
    source_name: str | None
    is_source_described: bool
    is_freshness_enabled: bool
    source_location: str | None
    hard_coded_references: str
    is_generic_test: bool
    column_name: str | None
    macros: tuple[str, ...]
    not_null_constrained_columns: frozenset[str]
    meta: dict


@dataclass(frozen=True)
class Path:
    """One row of int_all_dag_relationships: a path from parent to child."""

    parent: Resource
    child: Resource
    distance: int
    is_dependent_on_chain_of_views: bool


def _folder_type(directory_path: str) -> str | None:
    """model_type_folder: the model type whose folder sits closest to the file (the evaluator ranks the
    folders by their position in the path, last first); null when none is in the path."""
    positions = {model_type: directory_path.find(f"/{folder}/") + 1
                 for model_type, folder in EVALUATOR_VARS["folder_names"].items()}
    model_type, position = max(positions.items(), key=lambda item: item[1])
    return model_type if position > 0 else None


def _hard_coded_references(node: dict) -> str:
    """find_all_hard_coded_references: `from`/`join` followed by {{ var(...) }}, a two- or three-part
    name, or a quoted name, in the raw code of a SQL model (not after `distinct `)."""
    if node["resource_type"] != "model" or node.get("language") != "sql":
        return ""
    found = set()
    for pattern in HARD_CODED_REFERENCE_PATTERNS:
        for match in re.findall(pattern, node["raw_code"]):
            found.add("".join(match[1:]).strip())
    return ", ".join(sorted(found))


_QUOTE_OPEN, _QUOTE_CLOSE = r"""([\[`"']?)""", r"""([\]`"']?)"""
HARD_CODED_REFERENCE_PATTERNS = [re.compile(p, re.IGNORECASE | re.VERBOSE) for p in (
    # from_var_1: {{ var('x') }}
    r"""(?<!distinct\s) (from|join)\s+ ({{\s*var\s*\(\s*['"]?) ([^)'"]+) (['"]?\s*) (\)\s*}})""",
    # from_var_2: {{ var('x', 'y') }}
    r"""(?<!distinct\s) (from|join)\s+ ({{\s*var\s*\(\s*['"]?) ([^)'"]+) (['"]?\s*) (,) (\s*['"]?) ([^)'"]+)
        (['"]?\s*) (\)\s*}})""",
    # from_table_1: schema.table
    rf"""(?<!distinct\s) (from|join)\s+ {_QUOTE_OPEN} (\w+) {_QUOTE_CLOSE} (\.) {_QUOTE_OPEN} (\w+) {_QUOTE_CLOSE}
        (?=\s|$)""",
    # from_table_2: database.schema.table
    rf"""(?<!distinct\s) (from|join)\s+ {_QUOTE_OPEN} (\w+) {_QUOTE_CLOSE} (\.) {_QUOTE_OPEN} (\w+) {_QUOTE_CLOSE}
        (\.) {_QUOTE_OPEN} (\w+) {_QUOTE_CLOSE} (?=\s|$)""",
    # from_table_3: "table"
    r"""(?<!distinct\s) (from|join)\s+ ([\[`"']) (\w+) ([\]`"'])(?=\s|$)""",
)]


def _resource(item: dict) -> Resource:
    resource_type = item["resource_type"]
    file_path = item["original_file_path"]
    directory_path, _, file_name = file_path.rpartition("/")
    directory_path += "/"
    is_source = resource_type == "source"
    name = f"{item['source_name']}.{item['name']}" if is_source else item["name"]
    prefix = None if is_source else item["name"].split("_")[0] + "_"
    typed = resource_type not in ("test", "source", "metric", "exposure", "seed")
    prefix_type = next((t for t, prefixes in EVALUATOR_VARS["prefixes"].items() if prefix in prefixes), None)
    folder_type = _folder_type(directory_path) if typed else None
    config = item.get("config") or {}
    columns = item.get("columns") or {}
    freshness = item.get("freshness") if is_source else None
    return Resource(
        unique_id=item["unique_id"], name=name, resource_type=resource_type, file_path=file_path,
        directory_path=directory_path, file_name=file_name, prefix=prefix,
        model_type=(prefix_type or folder_type or "other") if typed else None,
        model_type_folder=folder_type, materialized=config.get("materialized"),
        is_public=item.get("access") == "public", is_described=bool((item.get("description") or "").strip()),
        is_contract_enforced=bool((item.get("contract") or {}).get("enforced")),
        total_defined_columns=len(columns),
        total_described_columns=sum(1 for column in columns.values() if column.get("description")),
        source_name=item.get("source_name") if is_source else None,
        is_source_described=bool((item.get("source_description") or "").strip()),
        is_freshness_enabled=bool(freshness) and any(
            (freshness.get(after) or {}).get("count") not in (None, "") for after in ("warn_after", "error_after")),
        source_location=f"{item['database']}.{item['schema']}.{item['identifier']}" if is_source else None,
        hard_coded_references=_hard_coded_references(item),
        is_generic_test=bool(item.get("test_metadata")), column_name=item.get("column_name") or None,
        macros=tuple((item.get("depends_on") or {}).get("macros") or ()),
        not_null_constrained_columns=frozenset(
            name for name, column in columns.items()
            if any(c.get("type") == "not_null" for c in column.get("constraints") or ())),
        meta=config.get("meta") or {},
    )


class Dag:
    """int_all_graph_resources, int_direct_relationships and int_all_dag_relationships of a manifest."""

    def __init__(self, manifest: dict) -> None:
        items = [*manifest["nodes"].values(), *manifest["sources"].values(),
                 *manifest["exposures"].values(), *manifest["metrics"].values()]
        items = [item for item in items if item["package_name"] != "dbt_project_evaluator"
                 and (item.get("config") or {}).get("enabled", True)]
        self.resources = {item["unique_id"]: _resource(item) for item in items}
        # int_direct_relationships: models, snapshots, tests, exposures and metrics have parents; a
        # test's primary relationship is its last parent.
        self.parents: dict[str, list[str]] = {}
        for item in items:
            if item["resource_type"] in ("model", "snapshot", "test", "exposure", "metric"):
                self.parents[item["unique_id"]] = list(item["depends_on"]["nodes"])
        self.paths = self._all_paths()

    def _all_paths(self) -> list[Path]:
        """The recursive CTE of recursive_dag: every resource but tests at distance 0, then each path one
        step further to a (non-test) resource whose direct parent is the path's child, to max_depth_dag.
        A path depends on a chain of views when its parent and every resource before its child are
        views or ephemeral models."""
        children: dict[str, list[str]] = {}
        for child, parents in self.parents.items():
            if self.resources[child].resource_type == "test":
                continue
            for parent in dict.fromkeys(parents):  # stg_node_relationships: select distinct
                children.setdefault(parent, []).append(child)
        paths = []
        for start in (r for r in self.resources.values() if r.resource_type != "test"):
            frontier = [(start.unique_id, None)]
            for distance in range(EVALUATOR_VARS["max_depth_dag"] + 1):
                next_frontier = []
                for node, chained in frontier:
                    paths.append(Path(start, self.resources[node], distance, bool(chained)))
                    link = self.resources[node].materialized in ("view", "ephemeral") and chained in (None, True)
                    next_frontier += [(child, link) for child in children.get(node, ())]
                frontier = next_frontier
        return paths

    def direct(self) -> list[Path]:
        return [path for path in self.paths if path.distance == 1]

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.resource_type == resource_type]

    def primary_tests(self) -> dict[str, list[Resource]]:
        """Generic and singular tests by the resource they test (their last parent)."""
        tested: dict[str, list[Resource]] = {}
        for test in self.of_type("test"):
            if self.parents.get(test.unique_id):
                tested.setdefault(self.parents[test.unique_id][-1], []).append(test)
        return tested


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: Resource
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource.name} ({self.detail})"


RULES: dict[str, Callable[[Dag], list[Violation]]] = {}


def rule(category: str) -> Callable:
    def register(check: Callable[[Dag], list[Violation]]) -> Callable[[Dag], list[Violation]]:
        RULES[check.__name__.removeprefix("check_")] = check
        check.category = category
        return check
    return register


# -- Modeling ----------------------------------------------------------------------------------------


@rule("modeling")
def check_fct_direct_join_to_source(dag: Dag) -> list[Violation]:
    """fct_direct_join_to_source: a model with both a model and a source as direct parents."""
    parents: dict[str, list[Path]] = {}
    for path in dag.direct():
        if path.child.resource_type == "model":
            parents.setdefault(path.child.unique_id, []).append(path)
    return [Violation("fct_direct_join_to_source", paths[0].child, ", ".join(p.parent.name for p in paths))
            for paths in parents.values()
            if {"model", "source"} <= {p.parent.resource_type for p in paths}]


@rule("modeling")
def check_fct_marts_or_intermediate_dependent_on_source(dag: Dag) -> list[Violation]:
    """fct_marts_or_intermediate_dependent_on_source: a marts or intermediate model reading a source."""
    return [Violation("fct_marts_or_intermediate_dependent_on_source", p.child, p.parent.name)
            for p in dag.direct()
            if p.parent.resource_type == "source" and p.child.model_type in ("marts", "intermediate")]


@rule("modeling")
def check_fct_model_fanout(dag: Dag) -> list[Violation]:
    """fct_model_fanout: a model with models_fanout_threshold or more direct children that are models
    without any child of their own (leaf children; an exposure counts as a child)."""
    with_children = {p.parent.unique_id for p in dag.paths if p.distance > 0}
    leaves: dict[str, set[str]] = {}
    parent_of: dict[str, Resource] = {}
    for p in dag.direct():
        if p.child.resource_type == "model" and p.child.unique_id not in with_children:
            leaves.setdefault(p.parent.unique_id, set()).add(p.child.name)
            parent_of[p.parent.unique_id] = p.parent
    return [Violation("fct_model_fanout", parent_of[uid], f"{len(names)} leaf children: {', '.join(sorted(names))}")
            for uid, names in leaves.items() if len(names) >= EVALUATOR_VARS["models_fanout_threshold"]]


@rule("modeling")
def check_fct_multiple_sources_joined(dag: Dag) -> list[Violation]:
    """fct_multiple_sources_joined: a resource with more than one source as direct parents."""
    sources: dict[str, set[str]] = {}
    child_of: dict[str, Resource] = {}
    for p in dag.direct():
        if p.parent.resource_type == "source":
            sources.setdefault(p.child.unique_id, set()).add(p.parent.name)
            child_of[p.child.unique_id] = p.child
    return [Violation("fct_multiple_sources_joined", child_of[uid], ", ".join(sorted(names)))
            for uid, names in sources.items() if len(names) > 1]


@rule("modeling")
def check_fct_rejoining_of_upstream_concepts(dag: Dag) -> list[Violation]:
    """fct_rejoining_of_upstream_concepts: parent is both a direct parent and a second-level parent of
    child, through a model (parent_and_child) that has no other direct child."""
    paths = [p for p in dag.paths if {p.parent.resource_type, p.child.resource_type}.isdisjoint({"exposure", "metric"})]
    distances: dict[tuple[str, str], set[int]] = {}
    direct_children: dict[str, set[str]] = {}
    for p in paths:
        distances.setdefault((p.parent.unique_id, p.child.unique_id), set()).add(p.distance)
        if p.distance == 1:
            direct_children.setdefault(p.parent.unique_id, set()).add(p.child.unique_id)
    direct_parents: dict[str, set[str]] = {}
    for parent, kids in direct_children.items():
        for kid in kids:
            direct_parents.setdefault(kid, set()).add(parent)
    found = []
    for (parent, child), seen in distances.items():
        if {1, 2} <= seen:
            for between in direct_parents.get(child, set()) & direct_children.get(parent, set()):
                if len(direct_children.get(between, ())) == 1:
                    found.append(Violation(
                        "fct_rejoining_of_upstream_concepts", dag.resources[child],
                        f"reads {dag.resources[parent].name} directly and through {dag.resources[between].name}"))
    return found


@rule("modeling")
def check_fct_root_models(dag: Dag) -> list[Violation]:
    """fct_root_models: a model without any parent (the MetricFlow time spine aside)."""
    with_parents = {p.child.unique_id for p in dag.paths if p.distance > 0}
    return [Violation("fct_root_models", r, "no parent") for r in dag.of_type("model")
            if r.unique_id not in with_parents and r.name != "metricflow_time_spine"]


@rule("modeling")
def check_fct_source_fanout(dag: Dag) -> list[Violation]:
    """fct_source_fanout: a source read directly by more than one model."""
    children: dict[str, set[str]] = {}
    for p in dag.direct():
        if p.parent.resource_type == "source" and p.child.resource_type == "model":
            children.setdefault(p.parent.unique_id, set()).add(p.child.name)
    return [Violation("fct_source_fanout", dag.resources[uid], ", ".join(sorted(names)))
            for uid, names in children.items() if len(names) > 1]


@rule("modeling")
def check_fct_staging_dependent_on_staging(dag: Dag) -> list[Violation]:
    """fct_staging_dependent_on_staging: a staging model (or snapshot) reading another one."""
    return [Violation("fct_staging_dependent_on_staging", p.child, p.parent.name) for p in dag.direct()
            if {p.parent.resource_type, p.child.resource_type} <= {"model", "snapshot"}
            and p.parent.model_type == "staging" and p.child.model_type == "staging"]


@rule("modeling")
def check_fct_staging_dependent_on_marts_or_intermediate(dag: Dag) -> list[Violation]:
    """fct_staging_dependent_on_marts_or_intermediate: a staging model reading a marts or intermediate model."""
    return [Violation("fct_staging_dependent_on_marts_or_intermediate", p.child, p.parent.name) for p in dag.direct()
            if p.parent.resource_type == "model" and p.child.resource_type == "model"
            and p.child.model_type == "staging" and p.parent.model_type in ("marts", "intermediate")]


@rule("modeling")
def check_fct_unused_sources(dag: Dag) -> list[Violation]:
    """fct_unused_sources: a source nothing reads."""
    read = {p.parent.unique_id for p in dag.paths if p.distance > 0}
    return [Violation("fct_unused_sources", r, "no child") for r in dag.of_type("source") if r.unique_id not in read]


@rule("modeling")
def check_fct_too_many_joins(dag: Dag) -> list[Violation]:
    """fct_too_many_joins: a model with too_many_joins_threshold or more distinct direct parents."""
    parents: dict[str, set[str]] = {}
    for p in dag.direct():
        if p.child.resource_type == "model":
            parents.setdefault(p.child.unique_id, set()).add(p.parent.name)
    return [Violation("fct_too_many_joins", dag.resources[uid], f"{len(names)} parents")
            for uid, names in parents.items() if len(names) >= EVALUATOR_VARS["too_many_joins_threshold"]]


@rule("modeling")
def check_fct_hard_coded_references(dag: Dag) -> list[Violation]:
    """fct_hard_coded_references: a SQL model naming a relation instead of ref() or source()."""
    return [Violation("fct_hard_coded_references", r, r.hard_coded_references)
            for r in dag.of_type("model") if r.hard_coded_references]


@rule("modeling")
def check_fct_duplicate_sources(dag: Dag) -> list[Violation]:
    """fct_duplicate_sources: two sources defined on the same database.schema.identifier."""
    by_location: dict[str, list[Resource]] = {}
    for r in dag.of_type("source"):
        by_location.setdefault(r.source_location, []).append(r)
    return [Violation("fct_duplicate_sources", r, location) for location, sources in by_location.items()
            if len(sources) > 1 for r in sources]


# -- Testing -----------------------------------------------------------------------------------------


def _is_primary_key_tested(resource: Resource, tests: list[Resource]) -> bool:
    """int_model_test_summary: on one column (or on none, for model-level tests), all tests of one set of
    primary_key_test_macros, or a unique test and a not_null constraint."""
    by_column: dict[str | None, list[Resource]] = {}
    for test in tests:
        by_column.setdefault(test.column_name, []).append(test)

    def uses(test: Resource, macro: str) -> bool:
        return any(f"macro.{macro}" in dependency for dependency in test.macros)

    for column, column_tests in by_column.items():
        for test_set in EVALUATOR_VARS["primary_key_test_macros"]:
            if sum(1 for t in column_tests if any(uses(t, macro) for macro in test_set)) >= len(test_set):
                return True
        unique = sum(1 for t in column_tests if uses(t, "dbt.test_unique"))
        if unique + (column in resource.not_null_constrained_columns) >= 2:
            return True
    return False


@rule("testing")
def check_fct_missing_primary_key_tests(dag: Dag) -> list[Violation]:
    """fct_missing_primary_key_tests: a model (here also a seed) without a tested primary key."""
    tested = dag.primary_tests()
    return [Violation("fct_missing_primary_key_tests", r, f"{len(tested.get(r.unique_id, []))} tests")
            for r in dag.resources.values() if r.resource_type in EVALUATOR_VARS["enforced_primary_key_node_types"]
            and not _is_primary_key_tested(r, tested.get(r.unique_id, []))]


@rule("testing")
def check_fct_test_coverage(dag: Dag) -> list[Violation]:
    """fct_test_coverage: models, seeds, sources and snapshots with at least one test, as a share of all
    of them, below test_coverage_target (100%: each untested one is a violation)."""
    tested = dag.primary_tests()
    covered = [r for r in dag.resources.values() if r.resource_type in ("model", "seed", "source", "snapshot")]
    untested = [r for r in covered if not tested.get(r.unique_id)]
    coverage = 100 * (len(covered) - len(untested)) / len(covered)
    if coverage >= EVALUATOR_VARS["test_coverage_target"]:
        return []
    return [Violation("fct_test_coverage", r, f"untested; coverage {coverage:.2f}%") for r in untested]


@rule("testing")
def check_fct_sources_without_freshness(dag: Dag) -> list[Violation]:
    """fct_sources_without_freshness: a source without a warn_after or error_after count."""
    return [Violation("fct_sources_without_freshness", r, "no freshness") for r in dag.of_type("source")
            if not r.is_freshness_enabled]


# -- Documentation -----------------------------------------------------------------------------------


@rule("documentation")
def check_fct_undocumented_models(dag: Dag) -> list[Violation]:
    """fct_undocumented_models: a model without a description."""
    return [Violation("fct_undocumented_models", r, "no description") for r in dag.of_type("model")
            if not r.is_described]


@rule("documentation")
def check_fct_documentation_coverage(dag: Dag) -> list[Violation]:
    """fct_documentation_coverage: described models as a share of all, below documentation_coverage_target."""
    models = dag.of_type("model")
    undescribed = [r for r in models if not r.is_described]
    coverage = 100 * (len(models) - len(undescribed)) / len(models)
    if coverage >= EVALUATOR_VARS["documentation_coverage_target"]:
        return []
    return [Violation("fct_documentation_coverage", r, f"coverage {coverage:.2f}%") for r in undescribed]


@rule("documentation")
def check_fct_undocumented_source_tables(dag: Dag) -> list[Violation]:
    """fct_undocumented_source_tables: a source table without a description."""
    return [Violation("fct_undocumented_source_tables", r, "no description") for r in dag.of_type("source")
            if not r.is_described]


@rule("documentation")
def check_fct_undocumented_sources(dag: Dag) -> list[Violation]:
    """fct_undocumented_sources: a source (the group of tables) without a description."""
    undescribed = {r.source_name: r for r in dag.of_type("source") if not r.is_source_described}
    return [Violation("fct_undocumented_sources", r, f"source {name}") for name, r in undescribed.items()]


# -- Structure ---------------------------------------------------------------------------------------


@rule("structure")
def check_fct_model_naming_conventions(dag: Dag) -> list[Violation]:
    """fct_model_naming_conventions: a model whose prefix is not one of its model type's prefixes (the
    type comes from the prefix when it is known, else from the folder, else `other`)."""
    return [Violation("fct_model_naming_conventions", r, f"{r.model_type} model with prefix {r.prefix}")
            for r in dag.of_type("model") if r.name != "metricflow_time_spine"
            and r.prefix not in EVALUATOR_VARS["prefixes"].get(r.model_type, ())]


@rule("structure")
def check_fct_model_directories(dag: Dag) -> list[Violation]:
    """fct_model_directories: a staging model outside a folder named after its source, or a model whose
    closest layer folder is not its type's (a model in no layer folder is not flagged, as in the SQL)."""
    found = {}
    for p in dag.paths:
        if (p.parent.resource_type == "source" and p.child.resource_type == "model"
                and p.child.model_type == "staging" and p.parent.source_name not in p.child.directory_path):
            found[p.child.unique_id] = Violation("fct_model_directories", p.child,
                                                 f"staging model outside a folder {p.parent.source_name}")
    for r in dag.resources.values():
        if r.model_type and r.model_type_folder and r.model_type != r.model_type_folder:
            found.setdefault(r.unique_id, Violation("fct_model_directories", r,
                                                    f"{r.model_type} model in a {r.model_type_folder} folder"))
    return list(found.values())


@rule("structure")
def check_fct_source_directories(dag: Dag) -> list[Violation]:
    """fct_source_directories: a source defined in a YAML file outside a folder named after it."""
    return [Violation("fct_source_directories", r, r.file_path) for r in dag.of_type("source")
            if r.source_name not in r.directory_path]


@rule("structure")
def check_fct_test_directories(dag: Dag) -> list[Violation]:
    """fct_test_directories: a generic test on a model defined in YAML outside the model's folder."""
    return [Violation("fct_test_directories", dag.resources[uid], f"{test.name} in {test.directory_path}")
            for uid, tests in dag.primary_tests().items() if dag.resources[uid].resource_type == "model"
            for test in tests if test.is_generic_test and test.directory_path != dag.resources[uid].directory_path]


# -- Performance -------------------------------------------------------------------------------------


@rule("performance")
def check_fct_chained_views_dependencies(dag: Dag) -> list[Violation]:
    """fct_chained_views_dependencies: a model at the end of a path longer than chained_views_threshold
    whose parent and every resource before the model are views or ephemeral models."""
    found = {}
    for p in dag.paths:
        if (p.child.resource_type == "model" and p.is_dependent_on_chain_of_views
                and p.distance > EVALUATOR_VARS["chained_views_threshold"]):
            found[p.child.unique_id] = Violation("fct_chained_views_dependencies", p.child,
                                                 f"{p.distance} views from {p.parent.name}")
    return list(found.values())


@rule("performance")
def check_fct_exposure_parents_materializations(dag: Dag) -> list[Violation]:
    """fct_exposure_parents_materializations: an exposure reading a source, a view or an ephemeral model."""
    return [Violation("fct_exposure_parents_materializations", p.parent, f"read by {p.child.name}")
            for p in dag.direct() if p.child.resource_type == "exposure"
            and (p.parent.resource_type == "source"
                 or (p.parent.resource_type == "model" and p.parent.materialized in ("view", "ephemeral")))]


# -- Governance --------------------------------------------------------------------------------------


@rule("governance")
def check_fct_public_models_without_contract(dag: Dag) -> list[Violation]:
    """fct_public_models_without_contract: a public model without an enforced contract."""
    return [Violation("fct_public_models_without_contract", r, "contract not enforced")
            for r in dag.resources.values() if r.is_public and not r.is_contract_enforced]


@rule("governance")
def check_fct_undocumented_public_models(dag: Dag) -> list[Violation]:
    """fct_undocumented_public_models: a public model without a description, with no columns declared,
    or with a declared column without a description."""
    return [Violation("fct_undocumented_public_models", r,
                      f"{r.total_described_columns} of {r.total_defined_columns} columns described")
            for r in dag.resources.values() if r.is_public and (
                not r.is_described or r.total_described_columns < r.total_defined_columns
                or r.total_defined_columns == 0)]


@rule("governance")
def check_fct_exposures_dependent_on_private_models(dag: Dag) -> list[Violation]:
    """fct_exposures_dependent_on_private_models: an exposure reading anything but a public model."""
    return [Violation("fct_exposures_dependent_on_private_models", p.parent, f"read by {p.child.name}")
            for p in dag.direct() if p.child.resource_type == "exposure"
            and not (p.parent.resource_type == "model" and p.parent.is_public)]


# -- the rules held ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dag(manifest: dict) -> Dag:
    return Dag(manifest)


def recorded_exceptions(dag: Dag) -> list[tuple[str, Resource, str]]:
    """(rule, resource, reason) of every dag_rule_exceptions entry in a resource's config meta."""
    return [(entry.get("rule"), resource, (entry.get("reason") or "").strip())
            for resource in dag.resources.values() for entry in resource.meta.get("dag_rule_exceptions", [])]


def test_the_module_holds_every_rule_of_the_evaluator() -> None:
    categories = Counter(check.category for check in RULES.values())
    assert categories == {"modeling": 13, "testing": 3, "documentation": 4, "structure": 4, "performance": 2,
                          "governance": 3}, categories
    assert all(name in __doc__ for name in RULES), "the module docstring names every rule it holds"


def test_recorded_exceptions_name_a_rule_once_with_a_reason(dag: Dag) -> None:
    exceptions = recorded_exceptions(dag)
    unknown = [f"{resource.name}: {rule}" for rule, resource, _ in exceptions if rule not in RULES]
    assert not unknown, f"exceptions for rules the module does not hold: {unknown}"
    unexplained = [f"{resource.name}: {rule}" for rule, resource, reason in exceptions if not reason]
    assert not unexplained, f"exceptions without a reason: {unexplained}"
    twice = [key for key, count in Counter((rule, resource.unique_id) for rule, resource, _ in exceptions).items()
             if count > 1]
    assert not twice, f"exceptions recorded more than once: {twice}"


@pytest.mark.parametrize("rule_name", list(RULES))
def test_dbt_project_evaluator_rule(rule_name: str, dag: Dag) -> None:
    violations = RULES[rule_name](dag)
    excused = {resource.unique_id for rule, resource, _ in recorded_exceptions(dag) if rule == rule_name}
    unrecorded = [str(v) for v in violations if v.resource.unique_id not in excused]
    assert not unrecorded, (f"{rule_name}: fix these, or record an exception with its reason beside the resource "
                            f"(config: meta: dag_rule_exceptions): {unrecorded}")
    stale = sorted(dag.resources[uid].name for uid in excused - {v.resource.unique_id for v in violations})
    assert not stale, f"{rule_name}: exceptions that no longer apply, remove them: {stale}"
