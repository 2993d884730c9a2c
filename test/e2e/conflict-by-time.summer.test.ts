import { conflictDecidedByRealTime } from "./support/conflict-by-time";

// Amsterdam is UTC+2.
conflictDecidedByRealTime("summer", "2026-07-14T10:00:00Z");
