"""dbt-project-evaluator's rules, checked on target/manifest.json (the package cannot be fetched here).

Every later model must pass these: they keep the DAG flowing one way
(sources -> staging -> intermediate -> marts), names and folders in step with layers, and
everything documented and keyed.
"""

from __future__ import annotations

import re
from collections import Counter

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


def test_every_model_sits_in_a_known_layer_folder_with_its_prefix(models: dict) -> None:
    for node in models.values():
        layer = layer_of(node)
        assert layer in LAYER_PREFIX, f"{node['original_file_path']}: models live under staging/, intermediate/ or marts/"
        assert node["name"].startswith(LAYER_PREFIX[layer]), f"{node['name']} in {layer}/ must start with {LAYER_PREFIX[layer]}"
        assert node["config"]["schema"] == layer, f"{node['name']} must build into schema {layer}"


def test_staging_models_are_named_after_their_source_and_read_exactly_one_source(models: dict, manifest: dict) -> None:
    for node in models.values():
        if layer_of(node) != "staging":
            continue
        sources = node["depends_on"]["nodes"]
        assert len(sources) == 1 and sources[0].startswith("source."), f"{node['name']} reads {sources}"
        source = manifest["sources"][sources[0]]
        assert re.fullmatch(rf"stg_{source['source_name']}__\w+", node["name"]), node["name"]
        assert node["original_file_path"].startswith(f"models/staging/{source['source_name']}/"), node["name"]


def test_one_staging_model_per_source_table(models: dict, manifest: dict) -> None:
    read = Counter(dep for node in models.values() for dep in node["depends_on"]["nodes"] if dep.startswith("source."))
    own_sources = [uid for uid, s in manifest["sources"].items() if s["package_name"] == "retention_warehouse"]
    assert sorted(read) == sorted(own_sources), "every source table has a staging model"
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
