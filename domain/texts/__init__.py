"""Every user-facing sentence of SIGAP, in English and Bahasa Indonesia, in one catalogue.

:data:`CATALOGUE` maps a stable key to one template per language (:class:`Lang`).
Templates use ``{name}`` placeholders; the Indonesian template never needs a value the
English one does not have (it may leave some out: the citizen's letter shows no KPJ).
The keys are a public interface of this package (the report and the worklists reuse them):
add keys, never rename one.

=========================  =================================================================
``reason.<Reason>``        what a reason code means (short, capitalised)
``change.<ChangeType>``    what a population change means
``decision.<Decision>``    what a decision means
``evidence.<name>``        one evidence clause of ``registry_entry.evidence`` (the English
                           template *is* the published text; see ``domain.explain``)
``rule.<Rule>.label``      an eligibility rule of PROGRAM.md (``domain.assessment.Rule``)
``rule.<Rule>.<result>``   its outcome for one person, with the evidence value
``next.<step>``            what to do next (the citizen's letter, the operator's view)
``payer.<SUMBER_IURAN>``   a BPJS payer
``keberadaan.<code>``      a DTSEN ``STATUS_KEBERADAAN`` value
``status.<STATUS_DASAR>``  a Dukcapil ``STATUS_DASAR`` value
``reject.<rule>``          a quarantine (rejects file) rule, for people whose row was rejected
``source.<Source>``        the name of an extract's provider
``month.<1..12>``          month names
``explain.*``, ``letter.*``  the lines of ``sigap explain`` (operator) and of the letter
=========================  =================================================================

:func:`text` fills one template; :func:`render` fills one template for whole columns
(pandas string concatenation: no per-row Python), which is how the evidence is built.

The parts: :mod:`~domain.texts.lang` (the languages), the templates by subject
(:mod:`~domain.texts.registry`, :mod:`~domain.texts.assessment`,
:mod:`~domain.texts.values`, :mod:`~domain.texts.explain`) and
:mod:`~domain.texts.catalogue` (:data:`CATALOGUE`, which joins them, and its functions).
"""

from __future__ import annotations

from domain.texts.catalogue import (
    CATALOGUE,
    describe,
    fields,
    has,
    long_date,
    pattern,
    period_words,
    render,
    text,
    variants,
)
from domain.texts.lang import Lang

__all__ = [
    "CATALOGUE",
    "Lang",
    "describe",
    "fields",
    "has",
    "long_date",
    "pattern",
    "period_words",
    "render",
    "text",
    "variants",
]
