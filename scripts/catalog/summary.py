"""What a run reports: rows inserted per table, countries assigned, and the final table printed on stdout."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """Rows inserted per table and countries assigned to a region."""

    added: dict[str, int] = field(default_factory=dict)
    countries_assigned: int = 0

    def add(self, table: str, count: int) -> None:
        """Count `count` more rows inserted into `table`."""
        self.added[table] = self.added.get(table, 0) + count


def format_summary(report: Report, totals: dict[str, int], elapsed: float) -> str:
    """The final table: rows added and total rows per table, then the elapsed time."""
    lines = [f"{'table':<32}{'added':>9}{'total':>10}"]
    for name in sorted(totals):
        lines.append(f"{name:<32}{report.added.get(name, 0):>9}{totals[name]:>10}")
    lines.append(f"countries assigned to new regions: {report.countries_assigned}")
    lines.append(f"rows added: {sum(report.added.values())}; elapsed: {elapsed:.1f} s")
    return "\n".join(lines)
