"""SIGAP Registry: the monthly reconciliation of Kota Bekasi's city-paid BPJS
Ketenagakerjaan participants (application package: CLI, settings, errors, reports)."""

__version__ = "0.1.0"
