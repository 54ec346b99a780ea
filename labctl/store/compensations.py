"""Fixture compensation in the store: the standards measured per bench channel
(`compensations`) and which ones each step measured through (`step_compensation`); see
labctl/compensation.py for what they mean.
"""

from __future__ import annotations

import json

import numpy as np

from labctl.compensation import KINDS, MEASURED, CompensationError, Standard, Used, data_problem
from labctl.store.rows import utc_now


class Compensations:
    """The `Store` methods of fixture compensation (mixed into `Store`; writes go through
    its `_call`, so a run spools them while a PostgreSQL server is gone)."""

    def add_standard(self, bench_name: str, channel: str, kind: str, frequency_Hz,
                     impedance_Ohm, *, method: str = MEASURED, load_Ohm: float | None = None,
                     step_id: int | None = None) -> int:
        """Keep one fixture measurement of `channel` (frequencies sorted ascending);
        `CompensationError` for data that are no standard, nothing written."""
        f = np.asarray(frequency_Hz, dtype=float)
        z = np.asarray(impedance_Ohm, dtype=complex)
        if f.shape == z.shape:
            order = np.argsort(f)
            f, z = f[order], z[order]
        why = None if method != MEASURED else data_problem(f, z, kind, load_Ohm)
        if kind not in KINDS or why:
            raise CompensationError(f"{kind} standard of channel {channel} on bench "
                                    f"{bench_name}: {why or 'unknown kind'}; not stored")
        return self._call("_add_standard", bench_name, channel, kind, method, utc_now(),
                          step_id, load_Ohm, json.dumps(f.tolist()),
                          json.dumps(z.real.tolist()), json.dumps(z.imag.tolist()))

    def _add_standard(self, *row) -> int:
        with self._write() as db:
            return db.execute(
                "INSERT INTO compensations (bench_name, channel, kind, method, measured_utc, "
                "step_id, load_Ohm, frequency_Hz_json, z_real_Ohm_json, z_imag_Ohm_json) "
                "VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id", row).fetchone()[0]

    def standards(self, bench_name: str, channel: str | None = None) -> list[Standard]:
        """The standards of a bench (of one channel), newest first."""
        sql = "SELECT * FROM compensations WHERE bench_name = ?"
        params = [bench_name]
        if channel is not None:
            sql, params = sql + " AND channel = ?", params + [channel]
        return [_standard(r) for r in self._select(sql + " ORDER BY id DESC", *params)]

    def standard(self, standard_id: int) -> Standard:
        rows = self._select("SELECT * FROM compensations WHERE id = ?", standard_id)
        if not rows:
            raise CompensationError(f"{self.path}: no compensation standard {standard_id}")
        return _standard(rows[0])

    def record_used(self, step_id: int, used: Used) -> None:
        """Record what step `step_id` measured through (once; a later call replaces it)."""
        ids = [getattr(used, k).id if getattr(used, k) else None for k in KINDS]
        self._call("_record_used", step_id, used.channel, *ids, used.note)

    def _record_used(self, step_id: int, *row) -> None:
        with self._write() as db:
            db.execute("DELETE FROM step_compensation WHERE step_id = ?", (step_id,))
            db.execute("INSERT INTO step_compensation (step_id, channel, open_id, short_id, "
                       "load_id, note) VALUES (?,?,?,?,?,?)", (step_id, *row))

    def used(self, step_id: int) -> Used | None:
        """What step `step_id` measured through (None: nothing recorded, e.g. a run
        from before compensation existed). The standards are read back as stored: one
        stored malformed is a `CompensationError` naming it."""
        rows = self._select("SELECT * FROM step_compensation WHERE step_id = ?", step_id)
        if not rows:
            return None
        row = rows[0]
        chosen = {k: self.standard(row[f"{k}_id"]) for k in KINDS if row[f"{k}_id"] is not None}
        for s in chosen.values():
            why = s.problem()
            if why:
                raise CompensationError(f"step {step_id}: {s.kind} standard {s.id} of "
                                        f"channel {s.channel} is malformed: {why}")
        return Used(row["channel"], **chosen, note=row["note"])


def _standard(row: dict) -> Standard:
    try:
        f = np.array(json.loads(row["frequency_Hz_json"]), dtype=float)
        z = np.array(json.loads(row["z_real_Ohm_json"]), dtype=float) \
            + 1j * np.array(json.loads(row["z_imag_Ohm_json"]), dtype=float)
    except (ValueError, TypeError) as exc:
        raise CompensationError(f"compensation standard {row['id']} of channel "
                                f"{row['channel']}: stored data unreadable: {exc}") from None
    return Standard(row["id"], row["bench_name"], row["channel"], row["kind"], row["method"],
                    row["measured_utc"], f, z, row["load_Ohm"], row["step_id"])
