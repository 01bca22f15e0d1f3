"""Thin Prefect tasks: retries, caching, logging and artifacts around connectors/expectations/domain."""
