"""The source data verification (SDV) plan a protocol file declares: which items a monitor must verify.

Each entry of ``source_verification:`` asks for one of:

- ``form: SEGMENT`` — every row of a course form, whole (100 % SDV of that form), or with
  ``where: {column: value}`` only the rows whose columns hold those values (``{serious: true}``:
  every serious adverse event);
- ``eligibility_inputs: true`` — every record input the eligibility expressions read, with the date
  of birth and the reference dates of their age and date tests;
- ``risk_inputs: true`` — every record input the stratification rules read, with the MRD results of
  the time points they name.

Like every fact of the file, an entry cites a source or says ``assumption: true``. A protocol
without entries requires no SDV. The store turns the entries into items of each enrolled child
(``remission.store.sdv_requirements``).
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from remission.protocols.base import ProtocolModel
from remission.protocols.schedule import CourseForm

Column = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class VerificationEntry(ProtocolModel):
    """One entry of the SDV plan: exactly one of ``form``, ``eligibility_inputs``, ``risk_inputs``."""

    form: CourseForm | None = Field(default=None, description="Every row of this course form, whole.")
    where: dict[Column, bool | int | float | str] | None = Field(
        default=None,
        description="With form: only rows whose columns hold these values, e.g. {serious: true}.",
    )
    eligibility_inputs: Literal[True] | None = Field(
        default=None,
        description="Every record input of the eligibility expressions (date of birth included).",
    )
    risk_inputs: Literal[True] | None = Field(
        default=None, description="Every record input of the stratification rules (MRD of their time points)."
    )
    source: str | None = Field(default=None, description="Id of a provenance source.")
    assumption: bool = Field(default=False, description="True when no source asks for this verification.")
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind_sourced(self) -> VerificationEntry:
        given = [
            name for name in ("form", "eligibility_inputs", "risk_inputs") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of form, eligibility_inputs, risk_inputs (given: {given or 'none'})"
            )
        if self.where is not None and self.form is None:
            raise ValueError("where applies to a form entry only")
        if self.source is None and not self.assumption:
            raise ValueError("an SDV plan entry needs a source or assumption: true")
        return self

    @property
    def kind(self) -> str:
        """The entry in words, as a worklist line names why an item is required."""
        if self.form is not None:
            condition = ", ".join(
                f"{name} = {value if isinstance(value, str) else json.dumps(value)}"
                for name, value in (self.where or {}).items()
            )
            return f"form {self.form.value}" + (f" where {condition}" if condition else "")
        return "eligibility inputs" if self.eligibility_inputs else "risk-group inputs"
