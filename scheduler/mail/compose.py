"""Warnings → messages. Pure: no I/O, no clock.

One email per lead section per run, never one per row. A warning already mailed to a section
within `alerts.repeat_days` is left out, unless its colour got worse or it was escalated, so
nobody gets the same nag twice in a week. A section without an address does not lose its
warnings: they go to the office, flagged, and are listed in the office summary.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from scheduler.core.model import Alert, Level, SentItem, Task
from scheduler.core.tracking import NO_SECTION

SUMMARY = "summary"


class AudienceKind(enum.StrEnum):
    SECTION = "section"
    OFFICE = "office"
    TEST = "test"


@dataclass(frozen=True)
class Audience:
    """Who a message is for. Stored as text: "section:大气环境股", "office" or "test"."""

    kind: AudienceKind
    section: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.section}" if self.kind is AudienceKind.SECTION else self.kind.value

    @classmethod
    def parse(cls, text: str) -> Audience:
        kind, _, section = text.partition(":")
        return cls(AudienceKind(kind), section)

    @classmethod
    def of_section(cls, section: str) -> Audience:
        return cls(AudienceKind.SECTION, section)

    @property
    def label(self) -> str:
        """For people and file names: the section, or what the message is."""
        return {AudienceKind.OFFICE: "整改周报", AudienceKind.TEST: "测试"}.get(self.kind, self.section)


OFFICE = Audience(AudienceKind.OFFICE)
TEST = Audience(AudienceKind.TEST)


@dataclass(frozen=True)
class Routing:
    """Who receives what: section and leader address books, and the office."""

    sections: Mapping[str, tuple[str, ...]]
    leaders: Mapping[str, tuple[str, ...]]
    office: tuple[str, ...]
    copy_support: bool = False

    @classmethod
    def merge(
        cls,
        contacts: Mapping[str, tuple[str, ...]],
        configured: Mapping[str, tuple[str, ...]],
        leaders: Mapping[str, tuple[str, ...]],
        office: tuple[str, ...],
        copy_support: bool,
    ) -> Routing:
        """The contacts sheet is the office's address book; config.toml wins where both name a section."""
        return cls({**contacts, **configured}, leaders, office, copy_support)


@dataclass(frozen=True)
class Entry:
    """One task in one message: the warnings this message carries for it (new to the section),
    and every warning the task has today, which give its light and its card's details."""

    task: Task
    identity: str
    alerts: tuple[Alert, ...]
    every: tuple[Alert, ...] = ()

    def __post_init__(self) -> None:
        if not self.every:
            object.__setattr__(self, "every", self.alerts)

    @property
    def light(self) -> Level:
        """The task's one colour: its worst warning, whether or not it is new."""
        return min((a.level for a in self.every), key=lambda level: level.rank)

    @property
    def escalated(self) -> bool:
        return any(a.escalate for a in self.every)


@dataclass(frozen=True)
class SectionMail:
    """What one section is to be told this run."""

    section: str
    to: tuple[str, ...]  # empty: the section has no address; the office is told instead
    cc: tuple[str, ...]
    entries: tuple[Entry, ...]

    @property
    def audience(self) -> Audience:
        return Audience.of_section(self.section)

    @property
    def routed(self) -> bool:
        return bool(self.to)

    def items(self, day: date) -> tuple[SentItem, ...]:
        return tuple(
            SentItem(str(self.audience), e.identity, a.code.value, a.level.value, a.escalate, day)
            for e in self.entries
            for a in e.alerts
        )


@dataclass(frozen=True)
class Plan:
    """Everything a run is to send, before it is laid out as email."""

    day: date
    sections: list[SectionMail] = field(default_factory=list)

    @property
    def unrouted(self) -> list[SectionMail]:
        return [s for s in self.sections if not s.routed]


def plan_sections(
    tasks: Sequence[Task],
    alerts: Mapping[str, Sequence[Alert]],
    identities: Mapping[str, str],
    routing: Routing,
    recent: Sequence[SentItem],
    day: date,
    repeat_days: int = 7,
    sendable: Callable[[Alert], bool] = lambda alert: True,
) -> Plan:
    """1. Group the warned tasks by lead section (a task with two lead sections goes to both).
    2. Drop the warnings that section was already sent within the repeat window.
    3. Address each section; copy leaders of escalated items and the office, and support
       sections when the office asked for that."""
    window_start = day - timedelta(days=repeat_days)
    history = _by_audience_and_task([i for i in recent if i.day > window_start])
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for task in tasks:
        found = alerts.get(task.key, ())
        if not found:
            continue
        identity = identities[task.key]
        for section in task.lead or (NO_SECTION,):
            sent = history.get((str(Audience.of_section(section)), identity), [])
            fresh = [a for a in _fresh(found, sent) if sendable(a)]
            if fresh:
                grouped[section].append(Entry(task, identity, tuple(fresh), tuple(found)))
    plan = Plan(day=day)
    for section, entries in grouped.items():
        plan.sections.append(_address(section, entries, routing))
    return plan


def _by_audience_and_task(recent: Sequence[SentItem]) -> dict[tuple[str, str], list[SentItem]]:
    found: dict[tuple[str, str], list[SentItem]] = defaultdict(list)
    for item in recent:
        found[(item.audience, item.identity)].append(item)
    return found


def _fresh(alerts: Sequence[Alert], sent: Sequence[SentItem]) -> list[Alert]:
    """The warnings worth sending again: never sent in the window, or worse than before."""
    if not sent:
        return list(alerts)
    worst_sent = min(Level(s.level).rank for s in sent)
    fresh = []
    for alert in alerts:
        same = [s for s in sent if s.code == alert.code.value]
        newly_escalated = alert.escalate and not any(s.escalate for s in same)
        if not same or newly_escalated or alert.level.rank < worst_sent:
            fresh.append(alert)
    return fresh


def _address(section: str, entries: list[Entry], routing: Routing) -> SectionMail:
    to = routing.sections.get(section, ())
    cc: list[str] = []
    escalated = [e for e in entries if e.escalated]
    for entry in escalated:
        cc.extend(routing.leaders.get(entry.task.leader, ()))
    if escalated:
        cc.extend(routing.office)
    if routing.copy_support:
        for entry in entries:
            for support in entry.task.support:
                cc.extend(routing.sections.get(support, ()))
    if not to:
        # No address: the office receives it, flagged, so the warning is not lost.
        return SectionMail(section, (), (), tuple(entries))
    unique_cc = tuple(a for a in dict.fromkeys(cc) if a not in to)
    return SectionMail(section, tuple(to), unique_cc, tuple(entries))


def summary_due(recent: Sequence[SentItem], day: date) -> bool:
    """One office summary a week (Monday to Sunday): a second run that week, by hand or after
    a holiday moved the weekly run, sends nothing new to the office."""
    monday = day - timedelta(days=day.weekday())
    office = str(OFFICE)
    return not any(i.audience == office and i.code == SUMMARY and monday <= i.day <= day for i in recent)


def summary_item(day: date) -> SentItem:
    return SentItem(str(OFFICE), SUMMARY, SUMMARY, Level.BLUE.value, False, day)


def reply_by(day: date, reply_days: int) -> date:
    """The day a section is asked to report back by."""
    return day + timedelta(days=reply_days)
