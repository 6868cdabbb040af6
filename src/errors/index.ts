// SPDX-License-Identifier: BSD-2-Clause
// Every error class Stockade raises and every code they carry. Codes are API: they appear in
// the status branch and in scripts, so a code is never renamed or reused for another meaning.
// Manifest diagnostics have their own codes, listed in src/manifest/codes.ts.

export { ConfigError } from './config-error.js';
export { DeadlineError } from './deadline-error.js';
export { GitAuthFailedError } from './git-auth-failed-error.js';
export { GitOperationError } from './git-operation-error.js';
export { GitPathNotFoundError } from './git-path-not-found-error.js';
export { GitPushRejectedError } from './git-push-rejected-error.js';
export { GitRefNotFoundError } from './git-ref-not-found-error.js';
export { GitTransferTooLargeError } from './git-transfer-too-large-error.js';
export { GitUnreachableError } from './git-unreachable-error.js';
export { HealthGateError } from './health-gate-error.js';
export { HostCommandError } from './host-command-error.js';
export { HostRefusedError } from './host-refused-error.js';
export { ImageBuildError } from './image-build-error.js';
export { InvalidDurationError } from './invalid-duration-error.js';
export { LockHeldError } from './lock-held-error.js';
export { ManifestDirError } from './manifest-dir-error.js';
export { ManifestInvalidError } from './manifest-invalid-error.js';
export { PfRulesInvalidError } from './pf-rules-invalid-error.js';
export { PruneGuardError } from './prune-guard-error.js';
export { StockadeError, hasCode, type ErrorKind } from './stockade-error.js';
export { TopologyError } from './topology-error.js';
export { UnsafeOutputPathError } from './unsafe-output-path-error.js';

/** Every code an error class may carry, with the class that carries it. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'ConfigError',
  DEADLINE_EXCEEDED: 'DeadlineError',
  GIT_AUTH_FAILED: 'GitAuthFailedError',
  GIT_OPERATION_FAILED: 'GitOperationError',
  GIT_PATH_NOT_FOUND: 'GitPathNotFoundError',
  GIT_PUSH_REJECTED: 'GitPushRejectedError',
  GIT_REF_NOT_FOUND: 'GitRefNotFoundError',
  GIT_TRANSFER_TOO_LARGE: 'GitTransferTooLargeError',
  GIT_UNREACHABLE: 'GitUnreachableError',
  HEALTH_CHECK_FAILED: 'HealthGateError',
  HOST_COMMAND_FAILED: 'HostCommandError',
  DATASET_HAS_CLONES: 'HostRefusedError',
  DATASET_IN_USE: 'HostRefusedError',
  FOREIGN_OBJECT: 'HostRefusedError',
  HOST_STATE_UNEXPECTED: 'HostRefusedError',
  INVALID_HOST_NAME: 'HostRefusedError',
  JAIL_INSTANCE_CHANGED: 'HostRefusedError',
  SNAPSHOT_MISSING: 'HostRefusedError',
  UNSAFE_PATH: 'HostRefusedError',
  IMAGE_BUILD_FAILED: 'ImageBuildError',
  INVALID_DURATION: 'InvalidDurationError',
  LOCK_HELD: 'LockHeldError',
  MANIFEST_DIR_SYMLINK_ESCAPE: 'ManifestDirError',
  MANIFEST_DIR_TOO_LARGE: 'ManifestDirError',
  MANIFEST_DIR_UNREADABLE: 'ManifestDirError',
  MANIFEST_INVALID: 'ManifestInvalidError',
  PF_RULES_INVALID: 'PfRulesInvalidError',
  PRUNE_GUARD: 'PruneGuardError',
  ADDRESS_CONFLICT: 'TopologyError',
  ADDRESS_EXHAUSTED: 'TopologyError',
  IFACE_NAME_COLLISION: 'TopologyError',
  INVALID_ADDRESS: 'TopologyError',
  INVALID_SIZE: 'TopologyError',
  UNKNOWN_REFERENCE: 'TopologyError',
  OUTPUT_PATH_UNSAFE: 'UnsafeOutputPathError',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
