// SPDX-License-Identifier: BSD-2-Clause
// The fixed vocabulary of run results, status conditions and their PascalCase reasons. These
// strings are API: they appear in nodes/<node>.json and in metrics, and are never renamed.

/** What one run did. */
export const RESULTS = [
  'Applied',
  'NoChange',
  'ValidationFailed',
  'RolledBack',
  'Refused',
  'Failed',
] as const;
export type RunResultKind = (typeof RESULTS)[number];

/** Conditions of a node: Ready plus negative ones. */
export const CONDITIONS = [
  'Ready',
  'ValidationFailed',
  'ApplyFailed',
  'HealthCheckFailed',
  'DriftDetected',
  'SourceUnavailable',
  'Pinned',
] as const;
export type ConditionType = (typeof CONDITIONS)[number];

/** Why a run ended the way it did. */
export const REASONS = {
  Applied: 'Applied',
  UpToDate: 'UpToDate',
  DriftCorrected: 'DriftCorrected',
  DriftDetected: 'DriftDetected',
  ManifestInvalid: 'ManifestInvalid',
  CompileFailed: 'CompileFailed',
  PruneGuard: 'PruneGuard',
  ForcePushRefused: 'ForcePushRefused',
  StepFailed: 'StepFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  RollbackFailed: 'RollbackFailed',
  JailsFailed: 'JailsFailed',
  SourceUnavailable: 'SourceUnavailable',
  Aborted: 'Aborted',
  DeadlineExceeded: 'DeadlineExceeded',
  InternalError: 'InternalError',
  Pinned: 'Pinned',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

/** Phases of a run, in order; the journal records the last one entered. */
export const PHASES = [
  'fetch',
  'observe',
  'load',
  'compile',
  'plan',
  'rollback-point',
  'apply',
  'health',
  'record',
] as const;
export type Phase = (typeof PHASES)[number];
