// SPDX-License-Identifier: BSD-2-Clause
// Process exit codes, from sysexits(3), plus the plan command's detailed codes.

export const EXIT = {
  OK: 0,
  /** stockade plan: the plan has changes (terraform's -detailed-exitcode). */
  CHANGES: 2,
  ERROR: 1,
  USAGE: 64,
  DATAERR: 65,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMPFAIL: 75,
  CONFIG: 78,
} as const;
