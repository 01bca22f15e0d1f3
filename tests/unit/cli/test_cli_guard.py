"""The CLI's error handling: bad input the software refused is one clean line; any other
error (a bug) keeps its traceback instead of passing for bad input (issue 17)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from core.errors import InvalidInput, SigapError
from domain.periods import parse_period
from sigap.cli import _guard


def _app(body) -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    @_guard
    def run() -> None:
        body()

    @app.command()
    def other() -> None:  # a second command, so that `run` is a sub-command
        pass

    return app


def test_invalid_input_is_a_sigap_error_and_a_value_error():
    assert issubclass(InvalidInput, SigapError)
    assert issubclass(InvalidInput, ValueError)
    with pytest.raises(InvalidInput):
        parse_period("2026-13")


def test_refused_input_prints_one_clean_line_and_exits_2():
    result = CliRunner().invoke(_app(lambda: parse_period("2026-13")), ["run"])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_plain_value_error_is_a_bug_not_bad_input():
    def bug() -> None:
        int("not a number")  # a plain ValueError from a programming mistake

    result = CliRunner().invoke(_app(bug), ["run"])
    # not swallowed as "bad input": the exception reaches the caller with its traceback
    assert isinstance(result.exception, ValueError)
    assert not isinstance(result.exception, SigapError)
    assert "error:" not in result.output
