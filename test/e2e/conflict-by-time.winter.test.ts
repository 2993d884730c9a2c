import { conflictDecidedByRealTime } from "./support/conflict-by-time";

// Amsterdam is UTC+1.
conflictDecidedByRealTime("winter", "2026-01-20T10:00:00Z");
