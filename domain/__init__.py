"""The SIGAP program's rules as pure functions on frames and values.

Nothing in this package imports prefect, paramiko or sqlalchemy, nor reads the
environment: every rule takes its parameters as arguments (see ``domain.rules``).
"""
