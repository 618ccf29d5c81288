"""Which treatment phases the phase form offers a child: those of the arm (or track) assigned.

Read from the protocol files only (:class:`remission.protocols.Protocol`: ``phases``, ``arms``,
``stratification.risk_groups[].arm`` and ``provisional_tracks[].phases``); nothing is invented:

- an assigned arm (or the arm of the assigned risk group) offers that arm's phases;
- before the final group, an assigned provisional track offers the track's phases (a
  KMT2A-rearranged infant's track has high-risk consolidation, never the low-risk blocks);
- with no arm or track yet, only the phases that every arm shares, and the page says so;
- a protocol that encodes no phases or no arms offers none, and the page says why.

Over several enrollments the offers are joined, each protocol with its own note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from remission.protocols import Protocol, load_protocol
from remission.store import CurrentRisk


@dataclass(frozen=True)
class PhaseChoices:
    """The phases offered (id → label, in protocol order) and why, one note per enrollment."""

    phases: dict[str, str]
    notes: tuple[str, ...]

    @property
    def help(self) -> str:
        return " ".join(self.notes)


@cache
def _protocol(protocol_id: str) -> Protocol:
    return load_protocol(protocol_id)


def _arm_id(protocol: Protocol, risk: CurrentRisk) -> str | None:
    if risk.arm:
        return risk.arm
    groups = protocol.stratification.risk_groups if protocol.stratification else []
    return next((group.arm for group in groups if group.id == risk.risk_group), None)


def _offer(protocol: Protocol, risk: CurrentRisk) -> tuple[list[str], str]:
    """The phase ids offered under one enrollment, and the note that says why."""
    name = f"{protocol.id}:"
    if not protocol.phases:
        return [], f"{name} the protocol file encodes no treatment phases, so none can be chosen."
    arms = {arm.id: arm for arm in protocol.arms}
    arm_id = _arm_id(protocol, risk)
    if arm_id in arms:
        return list(arms[arm_id].phases), f"{name} the phases of arm {arm_id} (risk group {risk.risk_group})."
    tracks = (
        {track.id: track for track in protocol.stratification.provisional_tracks}
        if protocol.stratification
        else {}
    )
    track = tracks.get(risk.provisional_track or "")
    if track is not None and track.phases:
        return list(track.phases), (
            f"{name} no final arm yet; the phases of the provisional track {track.id} ({track.label})."
        )
    if not arms:
        return (
            [],
            f"{name} no arm is assigned and the protocol file encodes no arms, so no phase can be chosen.",
        )
    shared = [phase for phase in protocol.arms[0].phases if all(phase in arm.phases for arm in protocol.arms)]
    if not shared:
        return [], f"{name} no arm is assigned yet and the arms share no phase, so none can be chosen."
    return shared, f"{name} no arm is assigned yet; only the phases every arm shares are offered."


def phase_choices(current: Iterable[CurrentRisk]) -> PhaseChoices:
    """The phases to offer a child with these current assignments (one per enrollment)."""
    offered: dict[str, str] = {}
    notes: list[str] = []
    for risk in current:
        protocol = _protocol(risk.protocol_id)
        labels = {phase.id: phase.label for phase in protocol.phases}
        ids, note = _offer(protocol, risk)
        offered |= {phase_id: labels.get(phase_id, phase_id) for phase_id in ids}
        notes.append(note)
    if not notes:
        notes.append(
            "The patient is not enrolled: phases come from the protocol, so enroll the patient first."
        )
    return PhaseChoices(offered, tuple(notes))
