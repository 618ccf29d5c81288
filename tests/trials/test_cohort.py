"""A trial's criteria as flat data for the cohort evaluator."""

from __future__ import annotations

from remission.protocols import load_protocol
from remission.trials import flat_criteria, load_shipped_trial


class TestFlatCriteria:
    def test_each_criterion_is_id_kind_expression_parameters(self) -> None:
        """Interfant-21's criteria come in file order, with kind and expression (None when not computable)."""
        criteria = flat_criteria(load_shipped_trial("NCT05327894")).criteria
        assert [(c.criterion_id, c.kind, c.expression is None) for c in criteria][:3] == [
            ("incl-diagnosis-b-lineage", "inclusion", False),
            ("incl-diagnosis-who-2017", "inclusion", True),
            ("incl-kmt2a-r", "inclusion", False),
        ]

    def test_parameters_are_those_the_expression_reads(self) -> None:
        """The age criterion carries the parameter it reads, with its value."""
        criteria = {c.criterion_id: c for c in flat_criteria(load_shipped_trial("NCT05327894")).criteria}
        assert criteria["incl-age"].parameters == {"max_age_days_at_diagnosis": 365}
        assert criteria["excl-t-all"].parameters == {}

    def test_nested_parameters_are_found(self) -> None:
        """The steroid exclusion of NCT06516679 reads both window parameters inside any_item."""
        criteria = {c.criterion_id: c for c in flat_criteria(load_shipped_trial("NCT06516679")).criteria}
        assert criteria["excl-steroids"].parameters == {
            "steroid_window_days": 28,
            "steroid_window_reference": "study_entry",
        }

    def test_the_trials_parameter_values_and_versions_come_along(self) -> None:
        """All parameter values (MRD rules included) and both versions are returned."""
        flat = flat_criteria(load_shipped_trial("NCT06516679"))
        assert flat.parameter_values["mrd_threshold_fraction"] == 1e-4
        assert flat.trial_version == "2026.11.1"
        assert flat.criteria_version == load_protocol("NCT06516679").version
