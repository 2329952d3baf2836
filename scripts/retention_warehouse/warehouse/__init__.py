"""The engines and dbt: targets from profiles.yml, the in-process dbt runner, project vars, builds on a target."""
