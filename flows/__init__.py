"""Prefect flows: the monthly reconciliation and the re-verification flow."""
