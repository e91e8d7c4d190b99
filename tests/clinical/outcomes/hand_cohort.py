"""Five patients whose every measure is worked out by hand (see the expected values in
test_measures.py). Report date 2026-03-01; use admitted_from=2025-12-01 so P5's index
episode is the February one."""

from datetime import date, datetime

from speciosa.clinical.outcomes.tables import CohortFilter, OutcomeTables, tables_from_rows

AS_OF = date(2026, 3, 1)
WINDOW = CohortFilter(admitted_from=date(2025, 12, 1))


def T(*args: int) -> datetime:
    return datetime(*args)


def build() -> OutcomeTables:
    patients = [
        {"patient_id": 1, "birth_date": date(1990, 6, 15), "sex": "female"},
        {"patient_id": 2, "birth_date": date(1980, 3, 1), "sex": "male"},
        {"patient_id": 3, "birth_date": date(2000, 1, 10), "sex": "female"},
        {"patient_id": 4, "birth_date": date(1970, 12, 31), "sex": "male"},
        {"patient_id": 5, "birth_date": date(1995, 5, 5), "sex": "female"},
    ]

    def ep(eid, pid, prog, level, adm, dis=None, reason=""):
        return {
            "episode_id": eid,
            "patient_id": pid,
            "program_id": prog,
            "asam_level": level,
            "admitted_on": adm,
            "discharged_on": dis,
            "discharge_reason": reason,
        }

    episodes = [
        ep(1, 1, 1, "3.5", date(2026, 1, 1), date(2026, 1, 21), "left_against_advice"),
        ep(2, 2, 1, "1", date(2026, 1, 1), date(2026, 2, 10), "completed"),
        ep(3, 3, 2, "1", date(2026, 1, 11)),
        ep(4, 4, 1, "3.7", date(2026, 1, 1), date(2026, 1, 6), "administrative"),
        ep(5, 5, 2, "2.1", date(2025, 6, 1), date(2025, 7, 1), "completed"),
        ep(6, 5, 2, "2.1", date(2026, 2, 1)),
    ]
    diagnoses = [
        {"patient_id": 1, "icd10": "F11.20"},
        {"patient_id": 1, "icd10": "F19.20"},
        {"patient_id": 2, "icd10": "F11.20"},
        {"patient_id": 2, "icd10": "F19.20"},
        {"patient_id": 3, "icd10": "F90.0"},
        {"patient_id": 4, "icd10": "F11.20"},
    ]
    kratom_use = [
        {"patient_id": 1, "at": T(2025, 12, 30), "grams": 20.0},
        {"patient_id": 1, "at": T(2026, 1, 30), "grams": 0.0},
        {"patient_id": 3, "at": T(2026, 1, 10), "grams": 10.0},
        {"patient_id": 3, "at": T(2026, 2, 12), "grams": 4.0},
        {"patient_id": 2, "at": T(2026, 1, 5), "grams": 0.0},
        {"patient_id": 4, "at": T(2026, 1, 1), "grams": 5.0},
        {"patient_id": 5, "at": T(2026, 2, 1), "grams": 5.0},
    ]
    labs = [
        {
            "patient_id": 1,
            "analyte": "MITRAGYNINE",
            "method": "lc_ms_ms",
            "at": T(2026, 2, 1),
            "result": "negative",
        },
        {
            "patient_id": 3,
            "analyte": "MITRAGYNINE",
            "method": "lc_ms_ms",
            "at": T(2026, 2, 10),
            "result": "positive",
        },
    ]
    medications = [
        {
            "patient_id": 1,
            "name": "Buprenorphine/naloxone",
            "status": "active",
            "start_at": T(2026, 1, 2),
            "stop_at": None,
        },
        {
            "patient_id": 2,
            "name": "methadone",
            "status": "ordered",
            "start_at": T(2026, 1, 5),
            "stop_at": None,
        },
        {
            "patient_id": 4,
            "name": "naltrexone",
            "status": "stopped",
            "start_at": T(2025, 11, 1),
            "stop_at": T(2025, 12, 15),
        },
        {
            "patient_id": 3,
            "name": "atomoxetine",
            "status": "active",
            "start_at": T(2026, 1, 20),
            "stop_at": None,
        },
    ]

    def sc(pid, inst, at, total, pos=None):
        return {
            "patient_id": pid,
            "instrument": inst,
            "at": at,
            "total": float(total),
            "is_positive": pos,
        }

    scores = [
        # COWS
        sc(1, "cows", T(2026, 1, 1, 10), 12),
        sc(1, "cows", T(2026, 1, 2, 10), 8),
        sc(1, "cows", T(2026, 1, 3, 22), 4),
        sc(2, "cows", T(2025, 12, 31, 12), 20),  # before admission: ignored
        sc(2, "cows", T(2026, 1, 1, 12), 3),
        sc(4, "cows", T(2026, 1, 1, 8), 15),
        sc(4, "cows", T(2026, 1, 2, 8), 9),
        sc(3, "cows", T(2026, 1, 11, 6), 6),
        sc(3, "cows", T(2026, 1, 12, 6), 2),
        # PHQ-9
        sc(1, "phq9", T(2025, 12, 25), 18),
        sc(1, "phq9", T(2026, 1, 15), 10),
        sc(1, "phq9", T(2026, 1, 25), 5),  # after discharge: not a follow-up
        sc(2, "phq9", T(2026, 1, 2), 8),
        sc(2, "phq9", T(2026, 2, 5), 15),
        sc(3, "phq9", T(2026, 1, 11, 9), 12),
        sc(3, "phq9", T(2026, 1, 11, 9), 14),  # same time: the higher one counts
        sc(3, "phq9", T(2026, 2, 20), 11),
        sc(4, "phq9", T(2026, 1, 1), 20),
        # craving
        sc(1, "craving_nrs", T(2026, 1, 1), 8),
        sc(1, "craving_nrs", T(2026, 1, 16), 3),
        # ASRS
        sc(1, "asrs_screener", T(2026, 1, 5), 5, True),
        sc(2, "asrs_screener", T(2026, 1, 3), 1, False),
        sc(3, "asrs_screener", T(2026, 1, 15), 4, True),
        sc(4, "asrs_screener", T(2025, 10, 1), 6, True),  # long before admission: not screened
    ]
    alerts = [
        {
            "patient_id": 1,
            "severity": "critical",
            "created_at": T(2026, 1, 2),
            "acknowledged_at": T(2026, 1, 2, 2),
        },
        {
            "patient_id": 1,
            "severity": "high",
            "created_at": T(2026, 1, 3),
            "acknowledged_at": T(2026, 1, 3, 10),
        },
        {"patient_id": 1, "severity": "high", "created_at": T(2026, 1, 4), "acknowledged_at": None},
        {
            "patient_id": 3,
            "severity": "high",
            "created_at": T(2026, 1, 12),
            "acknowledged_at": T(2026, 1, 12, 4),
        },
        {
            "patient_id": 2,
            "severity": "moderate",
            "created_at": T(2025, 12, 20),
            "acknowledged_at": T(2025, 12, 20, 1),
        },
    ]
    events = [
        {"patient_id": 1, "kind": "assessment:adhd", "at": T(2026, 1, 8), "status": "attended"},
        {"patient_id": 2, "kind": "assessment:adhd", "at": T(2026, 1, 8), "status": "missed"},
    ]

    def sched(sid, pid, inst, kind, start, grace_h, interval_h=None, offset=None, end=None):
        return {
            "schedule_id": sid,
            "patient_id": pid,
            "instrument": inst,
            "kind": kind,
            "starts_at": start,
            "ends_at": end,
            "interval_hours": interval_h,
            "offset_days": offset,
            "grace_hours": grace_h,
        }

    schedules = [
        # rolling PHQ-9 every 14 days, 72 h grace
        sched(1, 1, "phq9", "interval", T(2026, 1, 1), 72, 336),
        sched(2, 2, "phq9", "interval", T(2026, 1, 1), 72, 336),
        sched(3, 3, "phq9", "interval", T(2026, 1, 11), 72, 336, end=T(2026, 2, 15)),
        # weekly craving, 48 h grace
        sched(4, 1, "craving_nrs", "interval", T(2026, 1, 1), 48, 168),
        sched(5, 5, "craving_nrs", "interval", T(2026, 2, 1), 48, 168),
        # COWS daily for 3 days, 6 h grace
        sched(6, 4, "cows", "interval", T(2026, 1, 1), 6, 24, end=T(2026, 1, 4)),
        # ASRS at fixed days, 7 days grace
        sched(7, 3, "asrs_screener", "fixed", T(2026, 1, 11), 168, offset=0),
        sched(7, 3, "asrs_screener", "fixed", T(2026, 1, 11), 168, offset=56),
        sched(8, 2, "asrs_screener", "fixed", T(2026, 1, 1), 168, offset=0),
        sched(8, 2, "asrs_screener", "fixed", T(2026, 1, 1), 168, offset=28),
        # an instrument no measure reads, never taken
        sched(9, 1, "ldq_kratom", "interval", T(2026, 1, 1), 168, 720),
        # P5's schedule from the earlier episode: due before the index admission
        sched(10, 5, "phq9", "fixed", T(2025, 6, 1), 72, offset=0),
    ]
    return tables_from_rows(
        {
            "schedules": schedules,
            "patients": patients,
            "episodes": episodes,
            "diagnoses": diagnoses,
            "kratom_use": kratom_use,
            "labs": labs,
            "medications": medications,
            "scores": scores,
            "alerts": alerts,
            "events": events,
        }
    )
